"""Abusive sign-ups: weak passwords, look-alike usernames, customers dressed up as staff.

Sign-up is open by default, so "any customer" is anyone: each attack gets a 400 problem+json
whose ``errors`` names the field (Spanish messages, as the guide's form shows them), and no
user is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from core.auth.models import Rol, Usuario

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from core.testing import SoporteClient

REGISTRO = "/api/auth/registro/"


async def registrar(soporte: SoporteClient, **alta: str) -> tuple[int, dict[str, Any]]:
    """Sign up with ``alta`` over defaults that pass every rule; the status and the body."""
    cuerpo = {"username": "nuevo", "password": "una-clave-larga", "email": "", **alta}
    r = await soporte.post(REGISTRO, json=cuerpo)
    return r.status, await r.json()


def refusal(status: int, body: dict[str, Any], campo: str) -> list[str]:
    """The messages of a 400 on ``campo`` (and only on it)."""
    assert status == 400, body
    assert set(body["errors"]) == {campo}, body
    return list(body["errors"][campo])


@pytest.mark.parametrize(
    ("alta", "esperado"),
    [
        ({"password": "password"}, "demasiado común"),
        ({"password": "12345678"}, "solo por números"),
        ({"password": "Password"}, "demasiado común"),  # the list is compared case-insensitively
        ({"username": "mariagarcia", "password": "mariagarcia"}, "nombre de usuario"),
        (
            {"username": "pepe", "nombre": "José Luis Ortega", "password": "joseluisortega"},
            "nombre",
        ),
        ({"email": "lucia.fernandez@x.test", "password": "lucia.fernandez"}, "correo"),
    ],
    ids=[
        "password",
        "12345678",
        "Password",
        "igual-al-usuario",
        "igual-al-nombre",
        "igual-al-email",
    ],
)
async def test_weak_passwords_are_refused(
    soporte: SoporteClient, alta: dict[str, str], esperado: str
) -> None:
    status, body = await registrar(soporte, **alta)
    mensajes = refusal(status, body, "password")
    assert any(esperado in m for m in mensajes), mensajes
    assert body["type"] == "about:blank" and body["status"] == 400
    assert await Usuario.filter(username=alta.get("username", "nuevo")).count() == 0


async def test_every_broken_password_rule_is_listed(soporte: SoporteClient) -> None:
    status, body = await registrar(soporte, password="12345678")
    assert len(refusal(status, body, "password")) == 2  # only digits, and common


async def test_the_minimum_length_is_a_setting(
    start_app: Callable[..., Awaitable[SoporteClient]],
) -> None:
    soporte = await start_app(password_min_length=12)
    status, body = await registrar(soporte, password="clave-de-11")
    assert refusal(status, body, "password") == ["La contraseña debe tener al menos 12 caracteres."]
    assert (await registrar(soporte, password="clave-de-doce"))[0] == 201


async def test_cyrillic_admin_is_refused_when_admin_exists(soporte: SoporteClient) -> None:
    await soporte.usuario("admin", Rol.ADMIN)
    status, body = await registrar(soporte, username="\u0430dmin")  # Cyrillic а
    assert refusal(status, body, "username")
    assert await Usuario.all().count() == 1


@pytest.mark.parametrize(
    "parecido",
    [
        "m\u0430riana",  # Cyrillic а
        "MARIANA",
        "Mariana",
        "mar\u0456ana",  # Ukrainian і
        "mari\u0430n\u0430",
    ],
    ids=["cirilico", "mayusculas", "capital", "i-ucraniana", "dos-letras"],
)
async def test_a_username_that_looks_like_an_existing_one_is_refused(
    soporte: SoporteClient, parecido: str
) -> None:
    await soporte.usuario("mariana")
    status, body = await registrar(soporte, username=parecido)
    assert refusal(status, body, "username") == [
        "Ese nombre de usuario se confunde con otro que ya existe."
    ]
    assert await Usuario.all().count() == 1


@pytest.mark.parametrize(
    ("alta", "campo"),
    [
        ({"nombre": "Carla Ruiz (Soporte)"}, "nombre"),
        ({"nombre": "Equipo de Atención"}, "nombre"),
        ({"nombre": "Diego (Administrador)"}, "nombre"),
        ({"nombre": "Ana — sóporte técnico"}, "nombre"),  # accents do not hide it
        ({"username": "\u0455upp\u043ert"}, "username"),  # Cyrillic ѕ and о: "support"
        ({"username": "s0porte"}, "username"),
        ({"username": "helpdesk_oficial"}, "username"),
    ],
    ids=["soporte", "equipo", "administrador", "acentos", "cirilico", "cero", "helpdesk"],
)
async def test_a_customer_cannot_impersonate_staff(
    soporte: SoporteClient, alta: dict[str, str], campo: str
) -> None:
    status, body = await registrar(soporte, **alta)
    [mensaje] = refusal(status, body, campo)
    assert "equipo de soporte" in mensaje
    assert await Usuario.all().count() == 0


async def test_names_are_stored_normalised(soporte: SoporteClient) -> None:
    status, body = await registrar(
        soporte, username="\uff4c\uff55\uff43\uff49\uff41", nombre="  Lucía \t  Fernández "
    )
    assert status == 201, body
    assert (body["username"], body["nombre"]) == ("lucia", "Lucía Fernández")
    r = await soporte.post(
        "/api/auth/token/", json={"username": "lucia", "password": "una-clave-larga"}
    )
    assert r.status == 200
    # Logging in with the name as typed at sign-up finds the normalised account too.
    r = await soporte.post(
        "/api/auth/token/",
        json={"username": "\uff4c\uff55\uff43\uff49\uff41", "password": "una-clave-larga"},
    )
    assert r.status == 200, await r.text()


async def test_an_honest_sign_up_still_works(soporte: SoporteClient) -> None:
    await soporte.usuario("admin", Rol.ADMIN)
    status, body = await registrar(
        soporte, username="martin.gomez", nombre="Martín Gómez", password="tres perros azules"
    )
    assert status == 201, body
    assert body["rol"] == "CLIENTE"
