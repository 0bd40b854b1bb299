"""Account flows (docs/api.md "Authentication"): forgotten password, the profile, e-mail
verification. Mails are read from the outbox the app queued them in (``core_envio``, the real
table), so the links in them are followed exactly as a user would."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from core.auth.models import PropositoToken, Rol, Token, TokenCuenta, Usuario
from core.auth.service import emitir_token
from core.mail import Mail
from core.outbox_models import Envio
from core.testing import TEST_PASSWORD

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import ClientResponse

    from core.testing import SoporteClient

NUEVA = "otra-clave-muy-larga"
_ENLACE = re.compile(r"(https?://[^\s\"<>]+/(restablecer|verificar)/\?token=[\w%-]+)")


async def correos() -> list[Mail]:
    """Every mail queued so far, oldest first."""
    filas = await Envio.filter(canal="mail").order_by("id")
    return [Mail.from_payload(f.payload, f.message_id) for f in filas]


def enlace(mail: Mail) -> str:
    """The one account link of a mail (the same in its text and its HTML part)."""
    encontrados = {m[0] for m in _ENLACE.findall(mail.text)}
    assert len(encontrados) == 1, mail.text
    link = encontrados.pop()
    assert mail.html is not None and link.replace("&", "&amp;") in mail.html
    return link


def token_de(link: str) -> str:
    """The ``?token=`` of a link."""
    return parse_qs(urlsplit(link).query)["token"][0]


async def problema(r: ClientResponse, status: int) -> dict[str, Any]:
    """The problem+json body of ``r``, checked for ``status``."""
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    body: dict[str, Any] = await r.json()
    return body


async def login(api: SoporteClient, username: str, password: str) -> ClientResponse:
    """``POST /api/auth/token/``."""
    return await api.post("/api/auth/token/", json={"username": username, "password": password})


async def olvido(api: SoporteClient, email: str, **kw: Any) -> ClientResponse:
    """``POST /api/auth/password/olvido/``."""
    return await api.post("/api/auth/password/olvido/", json={"email": email}, **kw)


async def restablecer(api: SoporteClient, token: str, password: str = NUEVA) -> ClientResponse:
    """``POST /api/auth/password/restablecer/``."""
    return await api.post(
        "/api/auth/password/restablecer/", json={"token": token, "password": password}
    )


async def enlace_de_restablecer(api: SoporteClient, email: str) -> str:
    """Ask for a reset of ``email`` and return the link of the mail that comes of it."""
    antes = len(await correos())
    assert (await olvido(api, email)).status == 202
    nuevos = (await correos())[antes:]
    assert len(nuevos) == 1
    return enlace(nuevos[0])


# --- POST /api/auth/password/olvido/ -----------------------------------------------------------


async def test_olvido_is_the_same_202_for_unknown_and_known_addresses(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    r = await olvido(api, "nadie@example.test")
    assert r.status == 202, await r.text()
    desconocida = await r.json()
    assert await correos() == []

    r = await olvido(api, "ANA@Example.test")  # addresses match case-insensitively
    assert r.status == 202
    assert await r.json() == desconocida
    [mail] = await correos()
    assert mail.to == ("ana@example.test",)
    assert mail.subject == "Restablece tu contraseña de Centro de ayuda"
    assert mail.headers["Auto-Submitted"] == "auto-generated"
    assert "«ana»" in mail.text and "1 hora" in mail.text
    link = enlace(mail)
    base = str(api.client.make_url("/")).rstrip("/")
    assert link.startswith(f"{base}/restablecer/?token=")
    # Stored only as a keyed hash: neither the secret nor its plain SHA-256 is in the table.
    raw = token_de(link)
    [fila] = await TokenCuenta.filter(usuario_id=ana.id)
    assert fila.proposito == PropositoToken.RESTABLECER
    assert fila.key_hash not in (raw, hashlib.sha256(raw.encode()).hexdigest())
    assert timedelta(minutes=59) < fila.expira - datetime.now(UTC) <= timedelta(hours=1)


async def test_the_mailed_link_opens_the_page_and_resets_the_password_once(
    api: SoporteClient,
) -> None:
    ana = await api.usuario("ana")
    link = await enlace_de_restablecer(api, "ana@example.test")
    pagina = await api.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert pagina.status == 200
    assert 'data-cuenta="restablecer"' in await pagina.text()

    assert (await restablecer(api, token_de(link))).status == 204
    assert (await login(api, "ana", NUEVA)).status == 200
    assert (await login(api, "ana", TEST_PASSWORD)).status == 401
    # Every token the user had is revoked.
    assert (await api.get("/api/auth/yo/", headers=api.auth(ana))).status == 401
    # Single use.
    body = await problema(await restablecer(api, token_de(link), "y-otra-clave-mas"), 400)
    assert body["errors"]["token"] == [
        "El enlace para restablecer la contraseña no es válido, ya se usó o caducó."
    ]
    assert (await login(api, "ana", NUEVA)).status == 200


async def test_a_new_request_voids_the_earlier_link(api: SoporteClient) -> None:
    await api.usuario("ana")
    primero = await enlace_de_restablecer(api, "ana@example.test")
    segundo = await enlace_de_restablecer(api, "ana@example.test")
    await problema(await restablecer(api, token_de(primero)), 400)
    assert (await restablecer(api, token_de(segundo))).status == 204


async def test_an_expired_link_is_refused(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    link = await enlace_de_restablecer(api, "ana@example.test")
    await TokenCuenta.filter(usuario_id=ana.id).update(
        expira=datetime.now(UTC) - timedelta(seconds=1)
    )
    await problema(await restablecer(api, token_de(link)), 400)
    assert (await login(api, "ana", TEST_PASSWORD)).status == 200


async def test_the_link_lives_as_long_as_the_setting_says(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(password_reset_ttl_seconds=1800)
    ana = await api.usuario("ana")
    link = await enlace_de_restablecer(api, "ana@example.test")
    [fila] = await TokenCuenta.filter(usuario_id=ana.id)
    assert timedelta(minutes=29) < fila.expira - datetime.now(UTC) <= timedelta(minutes=30)
    assert "30 minutos" in (await correos())[0].text
    assert token_de(link)


async def test_a_password_the_policy_refuses_keeps_the_link_usable(api: SoporteClient) -> None:
    await api.usuario("ana")
    link = await enlace_de_restablecer(api, "ana@example.test")
    body = await problema(await restablecer(api, token_de(link), "12345678"), 400)
    assert "La contraseña no puede estar formada solo por números." in body["errors"]["password"]
    assert (await restablecer(api, token_de(link))).status == 204


async def test_garbage_tokens_are_the_same_400(api: SoporteClient) -> None:
    for token in ("x", "a" * 256, "../../etc"):
        await problema(await restablecer(api, token), 400)
    body = await problema(await restablecer(api, "a" * 257), 400)  # past the field's limit
    assert "token" in body["errors"]


async def test_an_inactive_account_gets_no_mail(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    ana.activo = False
    await ana.save()
    assert (await olvido(api, "ana@example.test")).status == 202
    assert await correos() == []


async def test_a_deactivated_user_cannot_use_a_link_mailed_before(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    link = await enlace_de_restablecer(api, "ana@example.test")
    await Usuario.filter(id=ana.id).update(activo=False)
    await problema(await restablecer(api, token_de(link)), 400)


async def test_an_untrusted_host_never_gets_into_a_link(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    """Without SOPORTE_PUBLIC_URL a forged Host is not used for the link: no mail at all."""
    api = await arrancar()
    await api.usuario("ana")
    r = await olvido(api, "ana@example.test", headers={"Host": "atacante.example"})
    assert r.status == 202
    assert await correos() == []


async def test_public_url_is_the_base_of_links(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(public_url="https://ayuda.example.test")
    await api.usuario("ana")
    r = await olvido(api, "ana@example.test", headers={"Host": "atacante.example"})
    assert r.status == 202
    [mail] = await correos()
    assert enlace(mail).startswith("https://ayuda.example.test/restablecer/?token=")


async def test_olvido_is_rate_limited_per_address_asked_for(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(rate_password_reset_email="2/hour")
    await api.usuario("ana")
    for _ in range(2):
        assert (await olvido(api, "ana@example.test")).status == 202
    body = await problema(await olvido(api, "ANA@example.test"), 429)
    assert "restablecimiento de contraseña para este correo" in body["detail"]
    assert len(await correos()) == 2
    assert (await olvido(api, "otra@example.test")).status == 202


async def test_olvido_is_rate_limited_per_client_address(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(rate_password_reset_address="3/hour")
    for n in range(3):
        assert (await olvido(api, f"u{n}@example.test")).status == 202
    r = await olvido(api, "u9@example.test")
    body = await problema(r, 429)
    assert "desde esta dirección" in body["detail"]
    assert int(r.headers["Retry-After"]) >= 1


async def test_olvido_takes_only_an_address(api: SoporteClient) -> None:
    for cuerpo in ({}, {"email": "no-es-correo"}, {"email": "a@b.test", "username": "ana"}):
        await problema(await api.post("/api/auth/password/olvido/", json=cuerpo), 400)


# --- PATCH /api/auth/yo/ -----------------------------------------------------------------------


async def patch_yo(api: SoporteClient, usuario: Usuario, **cambios: Any) -> ClientResponse:
    """``PATCH /api/auth/yo/`` as ``usuario``."""
    return await api.patch("/api/auth/yo/", headers=api.auth(usuario), json=cambios)


async def test_the_name_changes_without_the_password(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    r = await patch_yo(api, ana, nombre="  Ana   Pérez ")
    assert r.status == 200, await r.text()
    assert await r.json() == {
        "id": ana.id,
        "username": "ana",
        "nombre": "Ana Pérez",
        "email": "ana@example.test",
        "rol": "CLIENTE",
        "idioma": None,
    }
    assert (await (await api.get("/api/auth/yo/", headers=api.auth(ana))).json())[
        "nombre"
    ] == "Ana Pérez"


async def test_a_customer_cannot_take_a_staff_name(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    body = await problema(await patch_yo(api, ana, nombre="Ana (Soporte)"), 400)
    assert "nombre" in body["errors"]
    agente = await api.usuario("carla", Rol.AGENTE)
    assert (await patch_yo(api, agente, nombre="Carla (Soporte)")).status == 200


async def test_email_and_password_need_the_current_password(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    for cambios in ({"email": "nueva@example.test"}, {"password": NUEVA}):
        body = await problema(await patch_yo(api, ana, **cambios), 400)
        assert body["errors"] == {"password_actual": ["La contraseña actual no es correcta."]}
        body = await problema(await patch_yo(api, ana, password_actual="mala", **cambios), 400)
        assert body["errors"] == {"password_actual": ["La contraseña actual no es correcta."]}
    usuario = await Usuario.get(id=ana.id)
    assert usuario.email == "ana@example.test"
    assert (await login(api, "ana", TEST_PASSWORD)).status == 200


async def test_wrong_current_passwords_count_as_failed_logins(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(login_max_failures=2)
    ana = await api.usuario("ana")
    for _ in range(2):
        await problema(await patch_yo(api, ana, email="x@example.test", password_actual="m"), 400)
    r = await patch_yo(api, ana, email="x@example.test", password_actual=TEST_PASSWORD)
    await problema(r, 429)
    # The same count as the login form's: the account is throttled there too.
    await problema(await login(api, "ana", TEST_PASSWORD), 429)


async def test_a_new_email_is_checked_and_unique(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    await api.usuario("luis")
    # Without the current password, nothing is said about other accounts' addresses.
    body = await problema(await patch_yo(api, ana, email="LUIS@example.test"), 400)
    assert set(body["errors"]) == {"password_actual"}
    body = await problema(
        await patch_yo(api, ana, email="LUIS@example.test", password_actual=TEST_PASSWORD), 400
    )
    assert body["errors"] == {"email": ["Ese correo electrónico ya lo usa otra cuenta."]}
    body = await problema(await patch_yo(api, ana, email="sin-arroba"), 400)
    assert "email" in body["errors"]
    r = await patch_yo(api, ana, email="ana.perez@example.test", password_actual=TEST_PASSWORD)
    assert r.status == 200, await r.text()
    assert (await r.json())["email"] == "ana.perez@example.test"
    # Verification is off by default: nothing is mailed, the address is not held unconfirmed.
    assert await correos() == []
    assert (await Usuario.get(id=ana.id)).email_verificado is True


async def test_a_new_password_keeps_this_token_and_ends_the_others(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    otro, _ = await emitir_token(ana, timedelta(hours=1))
    body = await problema(
        await patch_yo(api, ana, password="password", password_actual=TEST_PASSWORD), 400
    )
    assert body["errors"]["password"] == ["La contraseña es demasiado común."]

    r = await patch_yo(api, ana, password=NUEVA, password_actual=TEST_PASSWORD)
    assert r.status == 200, await r.text()
    assert (await api.get("/api/auth/yo/", headers=api.auth(ana))).status == 200
    r = await api.get("/api/auth/yo/", headers={"Authorization": f"Bearer {otro}"})
    assert r.status == 401
    assert await Token.filter(usuario_id=ana.id).count() == 1
    assert (await login(api, "ana", NUEVA)).status == 200
    assert (await login(api, "ana", TEST_PASSWORD)).status == 401


async def test_a_password_change_voids_an_outstanding_reset_link(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    link = await enlace_de_restablecer(api, "ana@example.test")
    r = await patch_yo(api, ana, password=NUEVA, password_actual=TEST_PASSWORD)
    assert r.status == 200
    await problema(await restablecer(api, token_de(link), "la-del-ladron-123"), 400)


async def test_the_profile_cannot_change_anything_else(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    for cambios in ({"rol": "ADMIN"}, {"username": "root"}, {"activo": False}):
        await problema(await patch_yo(api, ana, **cambios), 400)
    assert (await Usuario.get(id=ana.id)).rol == Rol.CLIENTE
    assert (await api.patch("/api/auth/yo/", json={"nombre": "X"})).status == 401


# --- e-mail verification -----------------------------------------------------------------------


async def registrar(api: SoporteClient, username: str, email: str = "") -> ClientResponse:
    """The guide's sign-up."""
    body = {"username": username, "password": "clave-segura-123", "email": email, "nombre": ""}
    return await api.post("/api/auth/registro/", json=body)


async def verificar(api: SoporteClient, token: str) -> ClientResponse:
    """``POST /api/auth/email/verificar/``."""
    return await api.post("/api/auth/email/verificar/", json={"token": token})


async def test_with_verification_off_sign_up_then_login_is_unchanged(api: SoporteClient) -> None:
    assert (await registrar(api, "nuevo", "nuevo@example.test")).status == 201
    assert (await login(api, "nuevo", "clave-segura-123")).status == 200
    assert await correos() == []
    assert (await Usuario.get(username="nuevo")).email_verificado is True


async def test_optional_verification_mails_a_link_and_lets_the_account_work(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(email_verification="optional")
    assert (await registrar(api, "nuevo", "nuevo@example.test")).status == 201
    assert (await login(api, "nuevo", "clave-segura-123")).status == 200
    [mail] = await correos()
    assert mail.to == ("nuevo@example.test",)
    assert mail.subject == "Confirma tu correo electrónico en Centro de ayuda"
    link = enlace(mail)
    assert urlsplit(link).path == "/verificar/"
    assert (await Usuario.get(username="nuevo")).email_verificado is False

    assert (await verificar(api, token_de(link))).status == 204
    assert (await Usuario.get(username="nuevo")).email_verificado is True
    body = await problema(await verificar(api, token_de(link)), 400)
    assert body["errors"]["token"] == [
        "El enlace de verificación no es válido, ya se usó o caducó."
    ]


async def test_required_verification_refuses_login_until_the_link_is_used(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(email_verification="required")
    body = await problema(await registrar(api, "sincorreo"), 400)
    assert "email" in body["errors"]
    assert (await registrar(api, "nuevo", "nuevo@example.test")).status == 201
    body = await problema(await login(api, "nuevo", "clave-segura-123"), 403)
    assert "confirma tu correo electrónico" in body["detail"]
    # A wrong password is still the plain 401: the 403 says nothing to a guesser.
    await problema(await login(api, "nuevo", "otra-cosa-distinta"), 401)
    # Existing accounts (and staff) count as confirmed.
    await api.usuario("ana")
    assert (await login(api, "ana", TEST_PASSWORD)).status == 200

    [primero] = await correos()
    r = await api.post("/api/auth/email/reenviar/", json={"email": "NUEVO@example.test"})
    assert r.status == 202
    segundo = (await correos())[-1]
    assert len(await correos()) == 2
    await problema(await verificar(api, token_de(enlace(primero))), 400)  # voided by the resend
    assert (await verificar(api, token_de(enlace(segundo)))).status == 204
    assert (await login(api, "nuevo", "clave-segura-123")).status == 200


async def test_a_reset_link_confirms_the_address(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(email_verification="required")
    assert (await registrar(api, "nuevo", "nuevo@example.test")).status == 201
    link = await enlace_de_restablecer(api, "nuevo@example.test")
    assert (await restablecer(api, token_de(link))).status == 204
    assert (await login(api, "nuevo", NUEVA)).status == 200


async def test_a_changed_email_is_unconfirmed_and_mailed_when_verification_is_on(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(email_verification="optional")
    ana = await api.usuario("ana")
    r = await patch_yo(api, ana, email="ana.nueva@example.test", password_actual=TEST_PASSWORD)
    assert r.status == 200
    [mail] = await correos()
    assert mail.to == ("ana.nueva@example.test",)
    assert (await Usuario.get(id=ana.id)).email_verificado is False
    # A link for an address changed since verifies nothing.
    r = await patch_yo(api, ana, email="ana.otra@example.test", password_actual=TEST_PASSWORD)
    assert r.status == 200
    await problema(await verificar(api, token_de(enlace(mail))), 400)
    assert (await verificar(api, token_de(enlace((await correos())[-1])))).status == 204


async def test_resend_with_a_token_and_its_rate_limit(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(email_verification="optional", rate_email_verification="2/hour")
    ana = await api.usuario("ana")
    await Usuario.filter(id=ana.id).update(email_verificado=False)
    for _ in range(2):
        r = await api.post("/api/auth/email/reenviar/", headers=api.auth(ana), json={})
        assert r.status == 202, await r.text()
    assert [m.to for m in await correos()] == [("ana@example.test",)] * 2
    r = await api.post("/api/auth/email/reenviar/", headers=api.auth(ana), json={})
    await problema(r, 429)
    # Without a token an address is needed.
    assert (await api.post("/api/auth/email/reenviar/", json={})).status in (400, 429)


async def test_resend_says_nothing_about_unknown_addresses(
    arrancar: Callable[..., Awaitable[SoporteClient]],
) -> None:
    api = await arrancar(email_verification="required")
    await api.usuario("ana")  # confirmed: nothing to resend
    respuestas = [
        await api.post("/api/auth/email/reenviar/", json={"email": email})
        for email in ("nadie@example.test", "ana@example.test")
    ]
    assert [r.status for r in respuestas] == [202, 202]
    assert (await respuestas[0].json()) == (await respuestas[1].json())
    assert await correos() == []
    body = await problema(await api.post("/api/auth/email/reenviar/", json={}), 400)
    assert "email" in body["errors"]


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ruta", ["/olvido/", "/restablecer/", "/verificar/", "/perfil/"])
async def test_account_pages_are_served(api: SoporteClient, ruta: str) -> None:
    r = await api.get(ruta)
    assert r.status == 200
    html = await r.text()
    assert 'src="/static/core/cuenta.js"' in html
    assert 'aria-live="' in html
    assert re.search(r"<label for=\"[\w-]+\">", html)


async def test_the_login_page_links_to_the_forgotten_password_page(api: SoporteClient) -> None:
    html = await (await api.get("/entrar/")).text()
    assert 'href="/olvido/"' in html
    assert 'id="sesion-perfil" href="/perfil/"' in html
