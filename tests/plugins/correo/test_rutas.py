"""The raw inbound endpoint (integration token, 415, 413 streamed, 202) and the admins' view of
received messages (list, detail, reprocess from quarantine); ``soporte correo token``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from core.auth.models import Rol
from core.keyring import Keyring
from plugins.correo.credencial import PROPOSITO, token
from plugins.correo.models import EstadoMensaje, Mensaje
from plugins.correo.procesamiento import procesador
from plugins.tickets.models import Ticket
from tests.plugins.correo.ayudas import arrancar, correo

pytestmark = pytest.mark.plugins("tickets", "notificaciones", "correo")

ENTRANTE = "/api/soporte/correo/entrante/"
MENSAJES = "/api/soporte/correo/mensajes/"


def cabeceras(app, clave: str | None = None) -> dict[str, str]:
    """The inbound endpoint's headers with the app's integration token (or ``clave``)."""
    from core.keyring import keyring

    return {
        "Authorization": f"Bearer {clave or token(keyring(app))}",
        "Content-Type": "message/rfc822",
    }


async def test_the_endpoint_stores_the_message_and_answers_202(start_app) -> None:
    soporte = await arrancar(start_app)
    crudo = correo()
    r = await soporte.post(ENTRANTE, data=crudo, headers=cabeceras(soporte.app))
    assert r.status == 202, await r.text()
    cuerpo = await r.json()
    assert cuerpo["duplicado"] is False
    fila = await Mensaje.get(id=cuerpo["id"])
    assert bytes(fila.crudo) == crudo and fila.origen == "API"
    await procesador(soporte.app).esperar([fila.id])
    assert await Ticket.all().count() == 1
    # The same message again: the same row, nothing new.
    r = await soporte.post(ENTRANTE, data=crudo, headers=cabeceras(soporte.app))
    assert r.status == 202 and await r.json() == {"id": fila.id, "duplicado": True}
    assert await Mensaje.all().count() == 1


async def test_the_endpoint_refuses_user_tokens_and_bad_credentials(start_app) -> None:
    soporte = await arrancar(start_app)
    admin = await soporte.usuario("admin", Rol.ADMIN)
    crudo = correo()
    intentos = [
        {"Content-Type": "message/rfc822"},
        {**cabeceras(soporte.app), "Authorization": f"Bearer {admin.token}"},
        cabeceras(soporte.app, "0" * 64),
        {**cabeceras(soporte.app), "Authorization": token(Keyring("otra-clave"))},
    ]
    for headers in intentos:
        r = await soporte.post(ENTRANTE, data=crudo, headers=headers)
        assert r.status == 401, headers
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert r.content_type == "application/problem+json"
    assert await Mensaje.all().count() == 0


async def test_the_token_of_a_fallback_secret_still_works(start_app) -> None:
    soporte = await arrancar(
        start_app, secret_key="clave-nueva-de-pruebas", secret_key_fallbacks=["clave-antigua"]
    )
    antiguo = Keyring("clave-antigua").key(PROPOSITO)
    r = await soporte.post(ENTRANTE, data=correo(), headers=cabeceras(soporte.app, antiguo))
    assert r.status == 202


async def test_415_for_another_content_type_and_for_compressed_bodies(start_app) -> None:
    soporte = await arrancar(start_app)
    for extra in ({"Content-Type": "text/plain"}, {"Content-Encoding": "gzip"}):
        r = await soporte.post(ENTRANTE, data=correo(), headers={**cabeceras(soporte.app), **extra})
        assert r.status == 415, extra
    assert await Mensaje.all().count() == 0


async def test_413_over_max_bytes_without_reading_it_all(start_app) -> None:
    soporte = await arrancar(start_app, plugin_settings={"correo": {"max_bytes": 10_000}})
    grande = correo(cuerpo="x" * 20_000)
    r = await soporte.post(ENTRANTE, data=grande, headers=cabeceras(soporte.app))
    assert r.status == 413
    assert "10000" in (await r.json())["detail"]

    # Chunked (no Content-Length): refused once the stream passes the limit.
    async def trozos():
        for _ in range(1000):
            yield b"x" * 1000

    r = await soporte.post(ENTRANTE, data=trozos(), headers=cabeceras(soporte.app))
    assert r.status == 413
    assert await Mensaje.all().count() == 0
    r = await soporte.post(ENTRANTE, data=correo(), headers=cabeceras(soporte.app))
    assert r.status == 202


def test_soporte_correo_token_prints_the_token() -> None:
    import click

    from core.cli import Env
    from core.settings import Settings
    from plugins.correo.plugin import register_commands

    raiz = click.Group("soporte")
    register_commands(raiz)
    env = Env(Settings(secret_key="clave-de-la-linea-de-ordenes"))
    resultado = CliRunner().invoke(raiz, ["correo", "token"], obj=env, catch_exceptions=False)
    assert resultado.exit_code == 0, resultado.output
    assert resultado.output.strip() == Keyring("clave-de-la-linea-de-ordenes").key(PROPOSITO)


# --- the admins' view ---------------------------------------------------------------------------


async def test_admins_list_filter_and_read_messages(start_app) -> None:
    soporte = await arrancar(start_app)
    admin = await soporte.usuario("admin", Rol.ADMIN)
    for crudo in (correo(), b"Subject: sin remitente\r\n\r\nnada\r\n"):
        r = await soporte.post(ENTRANTE, data=crudo, headers=cabeceras(soporte.app))
        assert r.status == 202
    ids = list(await Mensaje.all().order_by("id").values_list("id", flat=True))
    await procesador(soporte.app).esperar(ids)
    r = await soporte.get(MENSAJES, headers=soporte.auth(admin))
    pagina = await r.json()
    assert pagina["count"] == 2 and [m["id"] for m in pagina["results"]] == ids[::-1]
    assert "crudo" not in pagina["results"][0]
    r = await soporte.get(MENSAJES, params={"estado": "CUARENTENA"}, headers=soporte.auth(admin))
    [cuarentena] = (await r.json())["results"]
    assert cuarentena["id"] == ids[1] and cuarentena["motivo"] == "sin remitente (From)"
    [procesado] = (
        await (
            await soporte.get(MENSAJES, params={"estado": "PROCESADO"}, headers=soporte.auth(admin))
        ).json()
    )["results"]
    assert procesado["remitente"] == "ana@cliente.test" and procesado["ticket_id"] is not None
    r = await soporte.get(f"{MENSAJES}{ids[1]}/", headers=soporte.auth(admin))
    detalle = await r.json()
    assert detalle["crudo"].startswith("Subject: sin remitente") and detalle["tamano"] > 0
    assert (await soporte.get(f"{MENSAJES}999999/", headers=soporte.auth(admin))).status == 404


async def test_reprocessing_from_quarantine(start_app) -> None:
    soporte = await arrancar(start_app, plugin_settings={"correo": {"unknown_senders": "rechazar"}})
    admin = await soporte.usuario("admin", Rol.ADMIN)
    r = await soporte.post(ENTRANTE, data=correo(), headers=cabeceras(soporte.app))
    mensaje_id = (await r.json())["id"]
    await procesador(soporte.app).esperar([mensaje_id])
    fila = await Mensaje.get(id=mensaje_id)
    assert fila.estado == EstadoMensaje.IGNORADO
    # The admin fixes the cause (the sender now has an account) and reprocesses it.
    await soporte.usuario("ana")
    from core.auth.models import Usuario

    await Usuario.filter(username="ana").update(email="ana@cliente.test")
    ruta = f"{MENSAJES}{mensaje_id}/reprocesar/"
    r = await soporte.post(ruta, headers=soporte.auth(admin))
    assert r.status == 200 and (await r.json())["estado"] in ("RECIBIDO", "PROCESADO")
    await procesador(soporte.app).esperar([mensaje_id])
    fila = await Mensaje.get(id=mensaje_id)
    assert fila.estado == EstadoMensaje.PROCESADO and fila.intentos == 1
    assert await Ticket.all().count() == 1
    # Processed: reprocessing could make it twice.
    r = await soporte.post(ruta, headers=soporte.auth(admin))
    assert r.status == 409
    assert await Ticket.all().count() == 1
