"""One key per purpose: whoever holds one key (the raw secret's old use, the webhook key)
cannot mint a download link; a rotation keeps old links working through the fallbacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from itsdangerous import URLSafeTimedSerializer

from core import keys
from core.keyring import LINKS, WEBHOOKS, derive_key, purpose_key
from core.testing import token_of
from plugins.escalamiento.notificadores import CABECERA_FIRMA, CABECERA_TIMESTAMP, firmar
from plugins.escalamiento.politicas import REGISTRO
from tests.reliability.ayudas import multipart

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient

SECRETO = "clave-secreta-de-pruebas"  # the soporte_settings fixture's secret key


async def un_enlace(soporte: SoporteClient, username: str = "ana") -> dict[str, Any]:
    """Upload one file as a new user; the payload of its download link (key, name, type)."""
    ana = await soporte.usuario(username)
    cuerpo, tipo = multipart([("archivo_0", "f.pdf", b"%PDF-1.4", "application/pdf")])
    cabeceras = {"Authorization": f"Bearer {token_of(ana)}", "Content-Type": tipo}
    r = await soporte.post("/api/soporte/adjuntos/", data=cuerpo, headers=cabeceras)
    assert r.status == 201, await r.text()
    [adjunto] = await r.json()
    token = adjunto["url"].rstrip("/").rsplit("/", 1)[1]
    assert (await soporte.get(f"/api/descargas/{token}/")).status == 200
    return soporte.app[keys.STORAGE].verify(token)


def firmado(clave: str, payload: dict[str, Any]) -> str:
    """A link token for ``payload`` signed as the storage does, with ``clave``."""
    return URLSafeTimedSerializer(clave, salt="soporte.descarga").dumps(payload)


async def test_links_minted_with_the_secret_or_the_webhook_key_are_403(
    soporte: SoporteClient,
) -> None:
    payload = await un_enlace(soporte)
    # Any file name and type: what a holder of the key could mint.
    falso = {**payload, "n": "factura.html", "t": "text/html"}
    for clave in (SECRETO, derive_key(SECRETO, WEBHOOKS)):
        r = await soporte.get(f"/api/descargas/{firmado(clave, falso)}/")
        assert r.status == 403, clave
        assert r.content_type == "application/problem+json"
    assert purpose_key(soporte.app, WEBHOOKS) == derive_key(SECRETO, WEBHOOKS)
    # The links' own key is the one that works (so the refusals above are about the key).
    r = await soporte.get(f"/api/descargas/{firmado(derive_key(SECRETO, LINKS), payload)}/")
    assert r.status == 200


async def test_a_link_of_the_old_secret_verifies_only_while_it_is_a_fallback(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    sin_respaldo = await start_app(secret_key="nueva")
    payload = await un_enlace(sin_respaldo)
    viejo = firmado(derive_key("vieja", LINKS), payload)
    assert (await sin_respaldo.get(f"/api/descargas/{viejo}/")).status == 403

    rotada = await start_app(secret_key="nueva", secret_key_fallbacks="vieja")
    payload = await un_enlace(rotada, "beatriz")  # a new user: the apps may share a database
    viejo = firmado(derive_key("vieja", LINKS), payload)
    assert (await rotada.get(f"/api/descargas/{viejo}/")).status == 200
    # New links are signed with the new secret's key, never with the fallback's.
    nuevo = rotada.app[keys.STORAGE].sign(payload["k"], payload["n"], payload["t"])
    con_nueva = URLSafeTimedSerializer(derive_key("nueva", LINKS), salt="soporte.descarga")
    assert con_nueva.loads(nuevo) == payload
    solo_vieja = URLSafeTimedSerializer(derive_key("vieja", LINKS), salt="soporte.descarga")
    assert solo_vieja.loads_unsafe(nuevo)[0] is False


async def test_the_webhook_signature_is_not_an_hmac_with_the_link_key(
    start_app: Callable[..., Awaitable[SoporteClient]],
    aiohttp_server: Callable[..., Any],
) -> None:
    recibidas: list[tuple[dict[str, str], bytes]] = []

    async def recibir(request: web.Request) -> web.Response:
        recibidas.append((dict(request.headers), await request.read()))
        return web.json_response({})

    receptor = web.Application()
    receptor.router.add_post("/hook", recibir)
    servidor = await aiohttp_server(receptor)
    soporte = await start_app(
        plugin_settings={
            "escalamiento": {"interval": 0, "webhook_url": str(servidor.make_url("/hook"))}
        }
    )
    webhook = soporte.app[REGISTRO].notificadores["webhook"].notificador
    await webhook.entregar(b'{"ticket_id": 1}')
    [(cabeceras, cuerpo)] = recibidas
    t, firma = cabeceras[CABECERA_TIMESTAMP], cabeceras[CABECERA_FIRMA]
    assert firma != firmar(SECRETO, t, cuerpo)  # the secret key itself (what links derive from)
    assert firma != firmar(derive_key(SECRETO, LINKS), t, cuerpo)
    assert firma == firmar(purpose_key(soporte.app, WEBHOOKS), t, cuerpo)
    assert purpose_key(soporte.app, WEBHOOKS) != derive_key(SECRETO, LINKS)
