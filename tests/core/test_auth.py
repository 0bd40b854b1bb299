"""Users, roles and tokens, exactly as docs/api.md "Authentication" says."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from core import keys
from core.auth.models import Rol, Token, Usuario
from core.auth.service import emitir_token
from core.testing import TEST_PASSWORD

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import ClientResponse

    from core.testing import SoporteClient


async def problem(r: ClientResponse, status: int) -> dict[str, Any]:
    """The problem+json body of ``r``, checked for ``status``."""
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    body = await r.json()
    assert body["status"] == status
    return body


def sin_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


# --- POST /api/auth/token/ -------------------------------------------------------------------


async def test_login_returns_token_expiry_and_user(api: SoporteClient) -> None:
    ana = await api.usuario("ana", Rol.AGENTE, nombre="Ana Pérez")
    antes = datetime.now(UTC)
    r = await api.post("/api/auth/token/", json={"username": "ana", "password": TEST_PASSWORD})
    assert r.status == 200, await r.text()
    body = await r.json()
    assert set(body) == {"token", "expira", "usuario"}
    assert body["usuario"] == {
        "id": ana.id,
        "username": "ana",
        "nombre": "Ana Pérez",
        "email": "ana@example.test",
        "rol": "AGENTE",
    }
    expira = datetime.fromisoformat(body["expira"])
    assert expira.utcoffset() == timedelta(0)
    assert body["expira"].endswith("+00:00")  # the contract's form, like every other timestamp
    ttl = timedelta(hours=api.app[keys.SETTINGS].token_ttl_hours)
    assert antes + ttl - timedelta(minutes=1) < expira < datetime.now(UTC) + ttl
    r = await api.get("/api/auth/yo/", headers={"Authorization": f"Bearer {body['token']}"})
    assert (await r.json())["username"] == "ana"


async def test_login_token_lifetime_is_configurable(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(token_ttl_hours=2)
    await api.usuario("ana")
    r = await api.post("/api/auth/token/", json={"username": "ana", "password": TEST_PASSWORD})
    expira = datetime.fromisoformat((await r.json())["expira"])
    assert abs(expira - datetime.now(UTC) - timedelta(hours=2)) < timedelta(minutes=1)


async def test_login_missing_fields_are_each_listed(api: SoporteClient) -> None:
    body = await problem(await api.post("/api/auth/token/", json={}), 400)
    assert set(body["errors"]) == {"username", "password"}
    body = await problem(await api.post("/api/auth/token/", json={"username": "x"}), 400)
    assert set(body["errors"]) == {"password"}


async def test_wrong_password_and_unknown_user_get_the_same_401(api: SoporteClient) -> None:
    await api.usuario("ana")
    r1 = await api.post("/api/auth/token/", json={"username": "ana", "password": "mala-clave"})
    r2 = await api.post("/api/auth/token/", json={"username": "nadie", "password": "mala-clave"})
    b1, b2 = await problem(r1, 401), await problem(r2, 401)
    assert sin_id(b1) == sin_id(b2)
    assert r1.headers["WWW-Authenticate"] == r2.headers["WWW-Authenticate"]
    assert "token" not in b1


async def test_inactive_user_cannot_log_in(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    await Usuario.filter(id=ana.id).update(activo=False)
    r = await api.post("/api/auth/token/", json={"username": "ana", "password": TEST_PASSWORD})
    await problem(r, 401)
    await problem(await api.get("/api/auth/yo/", headers=api.auth(ana)), 401)


async def test_user_created_without_password_cannot_log_in_with_any(api: SoporteClient) -> None:
    """``crear_usuario(password=None)`` (a customer who wrote by e-mail): an unusable hash that
    no password verifies — not even an empty one, nor the hash's own text."""
    from core.auth.passwords import UNUSABLE_PREFIX, verify_password
    from core.auth.service import crear_usuario

    usuario = await crear_usuario("correo.ana", None, email="ana@cliente.test")
    assert usuario.password_hash.startswith(UNUSABLE_PREFIX)
    assert not usuario.password_hash.startswith("$argon2")
    for intento in ("", TEST_PASSWORD, usuario.password_hash, UNUSABLE_PREFIX):
        r = await api.post("/api/auth/token/", json={"username": "correo.ana", "password": intento})
        assert r.status in (400, 401)
        assert not verify_password(usuario.password_hash, intento)
    otro = await crear_usuario("correo.luis", None)
    assert otro.password_hash != usuario.password_hash


async def test_repeated_failures_are_throttled_with_retry_after(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(login_max_failures=3, login_window_seconds=120)
    await api.usuario("ana")
    mala = {"username": "ana", "password": "mala-clave"}
    for _ in range(3):
        await problem(await api.post("/api/auth/token/", json=mala), 401)
    r = await api.post("/api/auth/token/", json=mala)
    await problem(r, 429)
    assert 1 <= int(r.headers["Retry-After"]) <= 121
    # Even the right password is refused while throttled: no guessing past the limit.
    buena = {"username": "ana", "password": TEST_PASSWORD}
    await problem(await api.post("/api/auth/token/", json=buena), 429)
    # Another username is counted separately.
    await api.usuario("bea")
    r = await api.post("/api/auth/token/", json={"username": "bea", "password": TEST_PASSWORD})
    assert r.status == 200


async def test_a_successful_login_clears_the_failure_counter(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(login_max_failures=3)
    await api.usuario("ana")
    mala = {"username": "ana", "password": "mala-clave"}
    buena = {"username": "ana", "password": TEST_PASSWORD}
    for _ in range(2):
        await problem(await api.post("/api/auth/token/", json=mala), 401)
    assert (await api.post("/api/auth/token/", json=buena)).status == 200
    for _ in range(2):
        await problem(await api.post("/api/auth/token/", json=mala), 401)
    # Four failures in all, but only two since the success: still allowed.
    assert (await api.post("/api/auth/token/", json=buena)).status == 200


# --- POST /api/auth/registro/ ----------------------------------------------------------------

ALTA = {"username": "nuevo", "password": "una-clave-larga", "email": "n@x.test", "nombre": "Nuevo"}


async def test_registro_creates_a_cliente(api: SoporteClient) -> None:
    r = await api.post("/api/auth/registro/", json=ALTA)
    assert r.status == 201, await r.text()
    body = await r.json()
    assert body == {
        "id": body["id"],
        "username": "nuevo",
        "nombre": "Nuevo",
        "email": "n@x.test",
        "rol": "CLIENTE",
    }
    r = await api.post(
        "/api/auth/token/", json={"username": "nuevo", "password": "una-clave-larga"}
    )
    assert r.status == 200


async def test_registro_cannot_choose_a_role(api: SoporteClient) -> None:
    body = await problem(await api.post("/api/auth/registro/", json={**ALTA, "rol": "ADMIN"}), 400)
    assert "rol" in body["errors"]
    assert await Usuario.filter(username="nuevo").count() == 0


async def test_registro_duplicate_username_is_a_400(api: SoporteClient) -> None:
    assert (await api.post("/api/auth/registro/", json=ALTA)).status == 201
    body = await problem(await api.post("/api/auth/registro/", json=ALTA), 400)
    assert list(body["errors"]) == ["username"]
    assert await Usuario.filter(username="nuevo").count() == 1


async def test_registro_lists_every_invalid_field(api: SoporteClient) -> None:
    malo = {"username": "a b", "password": "corta", "email": "no-es-un-email", "nombre": "x" * 201}
    body = await problem(await api.post("/api/auth/registro/", json=malo), 400)
    assert set(body["errors"]) == {"username", "password", "email", "nombre"}
    body = await problem(await api.post("/api/auth/registro/", json={}), 400)
    assert set(body["errors"]) == {"username", "password"}


async def test_registro_can_be_switched_off(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(signup_open=False)
    await problem(await api.post("/api/auth/registro/", json=ALTA), 403)
    assert await Usuario.all().count() == 0


# --- yo, logout, tokens ----------------------------------------------------------------------


async def test_yo_returns_the_user_behind_the_token(api: SoporteClient) -> None:
    bea = await api.usuario("bea", Rol.ADMIN, nombre="Bea")
    r = await api.get("/api/auth/yo/", headers=api.auth(bea))
    assert await r.json() == {
        "id": bea.id,
        "username": "bea",
        "nombre": "Bea",
        "email": "bea@example.test",
        "rol": "ADMIN",
        "idioma": None,
    }
    await problem(await api.get("/api/auth/yo/"), 401)


async def test_logout_revokes_that_token_at_once(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    otro, _ = await emitir_token(ana, timedelta(hours=1))
    r = await api.post("/api/auth/logout/", headers=api.auth(ana))
    assert r.status == 204 and await r.read() == b""
    r = await api.get("/api/auth/yo/", headers=api.auth(ana))
    await problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    # Only that token: the user's other sessions keep working.
    r = await api.get("/api/auth/yo/", headers={"Authorization": f"Bearer {otro}"})
    assert r.status == 200


async def test_an_expired_token_is_a_401(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    raw, _ = await emitir_token(ana, timedelta(seconds=-1))
    r = await api.get("/api/auth/yo/", headers={"Authorization": f"Bearer {raw}"})
    await problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer null",
        "Bearer undefined",
        "Bearer",
        "Bearer ",
        "Basic YWRtaW46YWRtaW4=",
        "basura",
        "Bearer a b",
        "Bearer " + "x" * 300,
        "Bearer no-existe",
    ],
)
async def test_bad_authorization_headers_are_401_with_a_bearer_challenge(
    api: SoporteClient, header: str
) -> None:
    for path in ("/api/auth/yo/", "/api/pruebas/token/"):
        r = await api.get(path, headers={"Authorization": header})
        body = await problem(r, 401)
        assert r.headers["WWW-Authenticate"].startswith("Bearer"), path
        assert body["title"] and body["detail"]


async def test_token_scheme_is_accepted_too(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    r = await api.get("/api/auth/yo/", headers={"Authorization": f"Token {ana.token}"})
    assert r.status == 200


@pytest.mark.parametrize(
    ("rol", "agente", "admin"),
    [(Rol.CLIENTE, 403, 403), (Rol.AGENTE, 200, 403), (Rol.ADMIN, 200, 200)],
)
async def test_role_guards(api: SoporteClient, rol: Rol, agente: int, admin: int) -> None:
    u = await api.usuario("u", rol)
    r = await api.get("/api/pruebas/agente/", headers=api.auth(u))
    assert r.status == agente
    r = await api.get("/api/pruebas/admin/", headers=api.auth(u))
    assert r.status == admin
    if admin == 403:
        body = await problem(r, 403)
        assert "ADMIN" in body["detail"]
    # No token at all: 401, not 403.
    await problem(await api.get("/api/pruebas/agente/"), 401)


async def test_tokens_are_stored_only_as_a_hash(api: SoporteClient) -> None:
    await api.usuario("ana")
    r = await api.post("/api/auth/token/", json={"username": "ana", "password": TEST_PASSWORD})
    raw = (await r.json())["token"]
    assert len(raw) >= 32
    conn = api.app[keys.DB].ctx.db("default")
    rows = await conn.execute_query_dict("SELECT * FROM core_token")
    assert rows and all(raw not in str(v) for row in rows for v in row.values())
    hashes = await Token.all().values_list("key_hash", flat=True)
    assert hashlib.sha256(raw.encode()).hexdigest() in hashes


async def test_passwords_are_stored_with_argon2(api: SoporteClient) -> None:
    assert (await api.post("/api/auth/registro/", json=ALTA)).status == 201
    usuario = await Usuario.get(username="nuevo")
    assert usuario.password_hash.startswith("$argon2")
    assert ALTA["password"] not in usuario.password_hash
