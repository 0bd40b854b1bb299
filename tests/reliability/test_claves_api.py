"""API keys (``/api/auth/claves/``): made by admins, shown once, stored hashed, scoped per
route, refused by login-only routes and sockets, revoked at once in every process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType

from core.auth.claves import stored_hash
from core.auth.claves_models import ClaveApi
from core.auth.models import Rol
from core.keyring import API_KEYS
from core.keys import KEYRING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from core.auth.models import Usuario
    from core.testing import SoporteClient

BASE = "/api/auth/claves/"
TICKET = {"asunto": "Sincronizar CRM", "categoria": "TECNICO", "descripcion": "Desde el CRM"}


def bearer(secreto: str) -> dict[str, str]:
    """The headers of a call with the API key ``secreto``."""
    return {"Authorization": f"Bearer {secreto}"}


async def crear_clave(
    soporte: SoporteClient, admin: Usuario, alcances: list[str], **extra: Any
) -> dict[str, Any]:
    """A key made through the API by ``admin``; its JSON (with the secret)."""
    r = await soporte.post(
        BASE, headers=soporte.auth(admin), json={"nombre": "CRM", "alcances": alcances, **extra}
    )
    assert r.status == 201, await r.text()
    clave: dict[str, Any] = await r.json()
    return clave


async def detalle(r: Any, status: int) -> str:
    """The problem's ``detail`` of a response that must have ``status``."""
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    texto: str = (await r.json())["detail"]
    return texto


async def test_created_key_is_shown_once_and_stored_hashed(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    expira = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    clave = await crear_clave(soporte, admin, ["tickets:read"], expira=expira.isoformat())
    secreto = clave.pop("secreto")
    assert secreto.startswith("sk_") and len(secreto) > 40
    assert clave["prefijo"] == secreto[:11]
    assert clave["alcances"] == ["tickets:read"] and clave["creada_por"] == admin.id
    assert datetime.fromisoformat(clave["expira"]) == expira
    assert clave["ultimo_uso"] is None and clave["revocada"] is False
    fila = await ClaveApi.get(id=clave["id"])
    # Only the keyed hash is kept: the secret is nowhere in the row.
    assert secreto not in str(vars(fila))
    assert fila.key_hash == stored_hash(soporte.app[KEYRING].key(API_KEYS), secreto)
    # Never again: neither the list nor the detail carries it.
    lista = await (await soporte.get(BASE, headers=soporte.auth(admin))).json()
    assert [c["id"] for c in lista["results"]] == [clave["id"]]
    assert "secreto" not in lista["results"][0] and secreto not in str(lista)
    r = await soporte.get(f"{BASE}{clave['id']}/", headers=soporte.auth(admin))
    assert await r.json() == clave


async def test_unknown_scopes_and_past_expiry_are_refused(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    r = await soporte.post(
        BASE,
        headers=soporte.auth(admin),
        json={"nombre": "x", "alcances": ["tickets:read", "tickets:borrar", "sesion"]},
    )
    assert r.status == 400
    assert (await r.json())["errors"]["alcances"] == [
        "Alcance desconocido: tickets:borrar.",
        "Alcance desconocido: sesion.",
    ]
    pasado = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    r = await soporte.post(
        BASE,
        headers=soporte.auth(admin),
        json={"nombre": "x", "alcances": ["casos:*"], "expira": pasado},
    )
    assert r.status == 400 and "expira" in (await r.json())["errors"]
    assert await ClaveApi.all().count() == 0


async def test_a_read_key_cannot_write(soporte: SoporteClient) -> None:
    """The issue's line: a key with ``tickets:read`` cannot write (a 403 naming the scope)."""
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    cliente = await soporte.usuario("ana")
    r = await soporte.post("/api/soporte/tickets/", headers=soporte.auth(cliente), json=TICKET)
    ticket = await r.json()
    secreto = (await crear_clave(soporte, admin, ["tickets:read"]))["secreto"]
    # Reads: as the admin who made it (every ticket, the customer's too).
    r = await soporte.get("/api/soporte/tickets/", headers=bearer(secreto))
    assert r.status == 200 and [t["id"] for t in (await r.json())["results"]] == [ticket["id"]]
    r = await soporte.get(f"/api/soporte/tickets/{ticket['id']}/", headers=bearer(secreto))
    assert r.status == 200
    # Writes: refused, naming the missing scope; nothing changed.
    r = await soporte.post("/api/soporte/tickets/", headers=bearer(secreto), json=TICKET)
    assert "tickets:write" in await detalle(r, 403)
    ruta = f"/api/soporte/tickets/{ticket['id']}/"
    r = await soporte.patch(ruta, headers=bearer(secreto), json={"prioridad": "ALTA"})
    assert "tickets:write" in await detalle(r, 403)
    r = await soporte.post(f"{ruta}responder/", headers=bearer(secreto), json={"mensaje": "x"})
    assert "tickets:write" in await detalle(r, 403)
    # Another area: not even read.
    r = await soporte.get("/api/soporte/casos/", headers=bearer(secreto))
    assert "casos:read" in await detalle(r, 403)
    r = await soporte.get(ruta, headers=soporte.auth(admin))
    detalle_ticket = await r.json()
    assert detalle_ticket["prioridad"] != "ALTA" and detalle_ticket["respuestas"] == []


async def test_write_implies_read_and_star_is_the_whole_area(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    escribe = (await crear_clave(soporte, admin, ["tickets:write"]))["secreto"]
    r = await soporte.post("/api/soporte/tickets/", headers=bearer(escribe), json=TICKET)
    assert r.status == 201, await r.text()
    assert (await r.json())["cliente"]["id"] == admin.id  # the key acts as its creator
    assert (await soporte.get("/api/soporte/tickets/", headers=bearer(escribe))).status == 200
    todo = (await crear_clave(soporte, admin, ["casos:*"]))["secreto"]
    assert (await soporte.get("/api/soporte/casos/", headers=bearer(todo))).status == 200
    assert (await soporte.get("/api/soporte/tickets/", headers=bearer(todo))).status == 403


async def test_login_only_routes_and_sockets_refuse_keys(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    alcances = ["auth:*", "tickets:*", "chat:*", "notificaciones:*"]
    clave = await crear_clave(soporte, admin, alcances)
    secreto = clave["secreto"]
    for metodo, ruta, cuerpo in [
        ("GET", "/api/auth/yo/", None),
        ("PATCH", "/api/auth/yo/", {"nombre": "Otro"}),
        ("POST", "/api/auth/logout/", None),
        # A key cannot mint, widen or revoke keys (its own neither).
        ("GET", BASE, None),
        ("POST", BASE, {"nombre": "otra", "alcances": ["tickets:read"]}),
        ("PATCH", f"{BASE}{clave['id']}/", {"alcances": ["casos:*"]}),
        ("POST", f"{BASE}{clave['id']}/revocar/", None),
    ]:
        r = await soporte.request(metodo, ruta, headers=bearer(secreto), json=cuerpo)
        assert "claves de API" in await detalle(r, 403), ruta
    assert await ClaveApi.all().count() == 1
    assert (await ClaveApi.get(id=clave["id"])).alcances == alcances
    # Sockets take login tokens only: a key is an unknown token there.
    for ruta in ("/ws/soporte/notificaciones/", "/ws/soporte/ticket/1/"):
        ws = await soporte.client.ws_connect(ruta, params={"token": secreto})
        msg = await ws.receive(timeout=5)
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED) and ws.close_code == 4401, ruta
        await ws.close()


async def test_revoked_expired_and_orphaned_keys_are_401(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    ruta = "/api/soporte/tickets/"
    a, b, c, d = [(await crear_clave(soporte, admin, ["tickets:read"])) for _ in range(4)]
    for clave in (a, b, c, d):
        assert (await soporte.get(ruta, headers=bearer(clave["secreto"]))).status == 200
    r = await soporte.post(f"{BASE}{a['id']}/revocar/", headers=soporte.auth(admin))
    assert r.status == 200 and (await r.json())["revocada"] is True
    r = await soporte.delete(f"{BASE}{b['id']}/", headers=soporte.auth(admin))
    assert r.status == 204
    await ClaveApi.filter(id=c["id"]).update(expira=datetime.now(UTC) - timedelta(seconds=1))
    for clave in (a, b, c):
        r = await soporte.get(ruta, headers=bearer(clave["secreto"]))
        assert "Clave de API" in await detalle(r, 401)
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    # Public routes too: a dead credential is never taken for an anonymous caller.
    r = await soporte.get("/api/soporte/faqs/", headers=bearer(a["secreto"]))
    assert r.status == 401
    # Revoked stays listed, and cannot be revived.
    r = await soporte.patch(
        f"{BASE}{a['id']}/", headers=soporte.auth(admin), json={"alcances": ["tickets:write"]}
    )
    assert r.status == 409
    # A key lives only while its creator is an active admin.
    r = await soporte.get(ruta, headers=bearer(d["secreto"]))
    assert r.status == 200
    await type(admin).filter(id=admin.id).update(rol=Rol.AGENTE)
    assert (await soporte.get(ruta, headers=bearer(d["secreto"]))).status == 401
    await type(admin).filter(id=admin.id).update(rol=Rol.ADMIN, activo=False)
    assert (await soporte.get(ruta, headers=bearer(d["secreto"]))).status == 401
    # A made-up secret of the right shape.
    r = await soporte.get(ruta, headers=bearer("sk_" + "A" * 43))
    assert r.status == 401


async def test_scope_changes_apply_at_once(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    clave = await crear_clave(soporte, admin, ["tickets:read"])
    assert (
        await soporte.get("/api/soporte/casos/", headers=bearer(clave["secreto"]))
    ).status == 403
    r = await soporte.patch(
        f"{BASE}{clave['id']}/",
        headers=soporte.auth(admin),
        json={"nombre": "CRM casos", "alcances": ["casos:read", "casos:read"], "expira": None},
    )
    assert r.status == 200, await r.text()
    assert (await r.json())["alcances"] == ["casos:read"]
    assert (
        await soporte.get("/api/soporte/casos/", headers=bearer(clave["secreto"]))
    ).status == 200
    r = await soporte.get("/api/soporte/tickets/", headers=bearer(clave["secreto"]))
    assert r.status == 403


async def test_last_use_is_written_at_most_once_a_minute(soporte: SoporteClient) -> None:
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    clave = await crear_clave(soporte, admin, ["tickets:read"])
    headers = {**bearer(clave["secreto"]), "X-Forwarded-For": "203.0.113.9"}
    assert (await soporte.get("/api/soporte/tickets/", headers=headers)).status == 200
    primera = await ClaveApi.get(id=clave["id"])
    assert primera.ultimo_uso is not None and primera.ultima_ip == "127.0.0.1"
    for _ in range(3):
        assert (await soporte.get("/api/soporte/tickets/", headers=headers)).status == 200
    assert (await ClaveApi.get(id=clave["id"])).ultimo_uso == primera.ultimo_uso
    # A minute later the next use is noted.
    antes = primera.ultimo_uso - timedelta(seconds=61)
    await ClaveApi.filter(id=clave["id"]).update(ultimo_uso=antes)
    assert (await soporte.get("/api/soporte/tickets/", headers=headers)).status == 200
    ahora = (await ClaveApi.get(id=clave["id"])).ultimo_uso
    assert ahora is not None and ahora > primera.ultimo_uso
    r = await soporte.get(f"{BASE}{clave['id']}/", headers=soporte.auth(admin))
    assert (await r.json())["ultima_ip"] == "127.0.0.1"


def base_compartida(soporte_database_url: str, tmp_path: Path) -> str:
    """A database two apps share: the test's PostgreSQL schema, or an SQLite file (an
    in-memory SQLite database is each connection's own)."""
    if soporte_database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'compartida.sqlite3'}"
    return soporte_database_url


async def test_revocation_is_immediate_in_another_process(
    start_app: Callable[..., Awaitable[SoporteClient]], soporte_database_url: str, tmp_path: Path
) -> None:
    """Two apps on one database (two processes of a deployment): a key revoked through one is
    a 401 on the very next request to the other — keys are looked up per request, no cache."""
    url = base_compartida(soporte_database_url, tmp_path)
    otra = await start_app(database_url=url)
    soporte = await start_app(database_url=url)
    admin = await soporte.usuario("jefa", Rol.ADMIN)
    clave = await crear_clave(soporte, admin, ["tickets:read"])
    assert (await otra.get("/api/soporte/tickets/", headers=bearer(clave["secreto"]))).status == 200
    r = await soporte.delete(f"{BASE}{clave['id']}/", headers=soporte.auth(admin))
    assert r.status == 204
    assert (await otra.get("/api/soporte/tickets/", headers=bearer(clave["secreto"]))).status == 401
