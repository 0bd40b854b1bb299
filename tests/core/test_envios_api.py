"""``/api/soporte/envios/``: the outbox for admins — list, detail, retry of a dead letter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.auth.models import Rol
from core.outbox_models import Envio, EstadoEnvio

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SmtpSink, SoporteClient


async def fila(estado: EstadoEnvio, canal: str = "mail", n: int = 0) -> Envio:
    return await Envio.create(
        canal=canal,
        destino=f"ana{n}@example.test",
        payload={"to": [f"ana{n}@example.test"], "subject": f"Asunto {n}", "text": "T"},
        message_id=f"<m{n}@example.test>",
        estado=estado,
        intentos=3 if estado == EstadoEnvio.FALLIDO else 1,
        ultimo_error="550 5.1.1 no" if estado == EstadoEnvio.FALLIDO else "",
        proximo_intento=datetime.now(UTC),
    )


async def test_admins_list_filter_and_read_deliveries(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(outbox_poll_seconds=60)
    admin = await api.usuario("jefa", Rol.ADMIN)
    enviado = await fila(EstadoEnvio.ENVIADO, n=1)
    fallido = await fila(EstadoEnvio.FALLIDO, n=2)
    await fila(EstadoEnvio.ENVIADO, canal="webhook", n=3)

    r = await api.get("/api/soporte/envios/", headers=api.auth(admin))
    assert r.status == 200
    pagina = await r.json()
    assert pagina["count"] == 3 and pagina["next"] is None and pagina["previous"] is None
    assert [e["id"] for e in pagina["results"]][1:] == [fallido.id, enviado.id]  # newest first
    r = await api.get("/api/soporte/envios/?estado=FALLIDO", headers=api.auth(admin))
    [solo] = (await r.json())["results"]
    assert solo["id"] == fallido.id and solo["ultimo_error"] == "550 5.1.1 no"
    assert solo["asunto"] == "Asunto 2" and solo["message_id"] == "<m2@example.test>"
    assert "payload" not in solo
    r = await api.get("/api/soporte/envios/?canal=webhook&size=1", headers=api.auth(admin))
    assert (await r.json())["count"] == 1
    r = await api.get("/api/soporte/envios/?estado=RARO", headers=api.auth(admin))
    assert r.status == 400

    r = await api.get(f"/api/soporte/envios/{enviado.id}/", headers=api.auth(admin))
    detalle = await r.json()
    assert detalle["payload"]["subject"] == "Asunto 1" and detalle["estado"] == "ENVIADO"


async def test_retrying_a_dead_letter_sends_it(
    arrancar: Callable[..., Awaitable[SoporteClient]], smtp_sink: SmtpSink
) -> None:
    api = await arrancar(smtp_url=smtp_sink.url, outbox_poll_seconds=60)
    admin = await api.usuario("jefa", Rol.ADMIN)
    fallido = await fila(EstadoEnvio.FALLIDO)
    r = await api.post(f"/api/soporte/envios/{fallido.id}/reintentar/", headers=api.auth(admin))
    assert r.status == 200
    cuerpo: dict[str, Any] = await r.json()
    assert cuerpo["estado"] in ("PENDIENTE", "ENVIADO") and cuerpo["intentos"] in (0, 1)
    # The worker polls once a minute: the retry itself woke it.
    [recibido] = await smtp_sink.wait_for(1)
    assert recibido.message["Message-ID"] == "<m0@example.test>"
    for _ in range(300):
        if (await Envio.get(id=fallido.id)).estado == EstadoEnvio.ENVIADO:
            break
        await asyncio.sleep(0.01)
    assert (await Envio.get(id=fallido.id)).estado == EstadoEnvio.ENVIADO
    # Only a dead letter may be retried.
    r = await api.post(f"/api/soporte/envios/{fallido.id}/reintentar/", headers=api.auth(admin))
    assert r.status == 409
    assert "FALLIDO" in (await r.json())["detail"]
