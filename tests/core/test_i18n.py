"""Two languages (core/i18n.py): the language of a request, API messages and validation errors
in it, labels, and a catalog that is complete and up to date with the code."""

from __future__ import annotations

import html as html_module
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from core import labels
from core.auth.models import Rol, Usuario
from core.i18n import negotiate, parse_accept_language, use_locale
from core.i18n_catalog import problems
from core.mail import Mail
from core.outbox_models import Envio

if TYPE_CHECKING:
    from aiohttp import ClientResponse

    from core.testing import SoporteClient

EN = {"Accept-Language": "en-GB,en;q=0.9,es;q=0.5"}
JSON = {"Content-Type": "application/json"}


async def problem(r: ClientResponse, status: int) -> dict[str, Any]:
    """The problem+json body of ``r``, checked to have ``status``."""
    text = await r.text()
    assert r.status == status, text
    assert r.content_type == "application/problem+json"
    return dict(json.loads(text))


def test_the_english_catalog_is_complete_and_current() -> None:
    """Every text the code marks has a non-empty English translation, none fuzzy, and the
    catalog holds nothing the code no longer has: `make messages` would change nothing."""
    assert problems("en") == []


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("en_US", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "en"),
        ("en;q=0.1, es;q=0.9", "es"),
        ("fr, de", "es"),
        ("es-AR", "es"),
        ("", "es"),
        ("en;q=0, fr", "es"),
        ("garbage;;;q=x, ,", "es"),
    ],
)
def test_accept_language_negotiation(header: str, lang: str) -> None:
    assert negotiate(header) == lang


def test_accept_language_is_ranked_by_quality() -> None:
    assert parse_accept_language("a;q=0.2, b, c;q=0.5, d;q=0") == ["b", "c", "a"]


async def test_an_api_error_follows_accept_language(api: SoporteClient) -> None:
    r = await api.get("/api/auth/yo/", headers={"Authorization": "Bearer nada", **EN})
    body = await problem(r, 401)
    assert body["title"] == "Not authenticated"
    assert body["detail"] == "Invalid or expired token."
    assert r.headers["Content-Language"] == "en"
    assert "Accept-Language" in r.headers["Vary"]
    r = await api.get("/api/auth/yo/", headers={"Authorization": "Bearer nada"})
    body = await problem(r, 401)
    assert (body["title"], body["detail"]) == ("No autenticado", "Token inválido o caducado.")
    assert r.headers["Content-Language"] == "es"


async def test_the_profile_language_wins_over_the_browser(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    r = await api.patch("/api/auth/yo/", headers=api.auth(ana), json={"idioma": "en"})
    assert r.status == 200, await r.text()
    assert (await r.json())["idioma"] == "en"
    assert (await Usuario.get(id=ana.id)).idioma == "en"
    # A Spanish browser, an English profile: English.
    staff_only = await api.get(
        "/api/soporte/usuarios/", headers={**api.auth(ana), "Accept-Language": "es"}
    )
    body = await problem(staff_only, 403)
    assert body["title"] == "Forbidden"
    assert body["detail"] == "The Agent role (AGENTE) is required."
    assert staff_only.headers["Content-Language"] == "en"
    # null: follow the browser again.
    r = await api.patch("/api/auth/yo/", headers=api.auth(ana), json={"idioma": None})
    assert (await r.json())["idioma"] is None
    r = await api.get("/api/soporte/usuarios/", headers=api.auth(ana))
    assert (await problem(r, 403))["detail"] == "Se requiere el rol Agente (AGENTE)."
    # A name change leaves the language alone.
    await api.patch("/api/auth/yo/", headers=api.auth(ana), json={"idioma": "en"})
    await api.patch("/api/auth/yo/", headers=api.auth(ana), json={"nombre": "Ana"})
    assert (await Usuario.get(id=ana.id)).idioma == "en"


async def test_an_unknown_language_is_refused_with_its_labels(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    r = await api.patch("/api/auth/yo/", headers=api.auth(ana), json={"idioma": "fr"})
    body = await problem(r, 400)
    assert body["errors"] == {
        "idioma": ["El idioma debe ser uno de estos valores: Español o Inglés."]
    }
    r = await api.patch("/api/auth/yo/", headers={**api.auth(ana), **EN}, json={"idioma": "fr"})
    assert (await problem(r, 400))["errors"] == {
        "idioma": ["The language must be one of these values: Spanish or English."]
    }


#: Bodies of ``POST /api/auth/registro/`` and ``POST /api/pruebas/eco/`` breaking one rule each:
#: (path, body, field, Spanish message, English message).
CASES = [
    (
        "/api/auth/registro/",
        {"username": "lucia", "password": "corta"},
        "password",
        "La contraseña debe tener al menos 8 caracteres.",
        "The password must be at least 8 characters long.",
    ),
    (
        "/api/auth/registro/",
        {"password": "clave-de-lucia-larga"},
        "username",
        "Es obligatorio indicar el nombre de usuario.",
        "The username is required.",
    ),
    (
        "/api/auth/registro/",
        {"username": "lucia", "password": "clave-de-lucia-larga", "apodo": "x"},
        "apodo",
        "«apodo» no es un campo admitido.",
        "“apodo” is not an accepted field.",
    ),
    (
        "/api/auth/registro/",
        {"username": "lu cia", "password": "clave-de-lucia-larga"},
        "username",
        "El nombre de usuario no tiene el formato esperado.",
        "The username does not have the expected format.",
    ),
    (
        "/api/auth/registro/",
        {"username": "lucia", "password": 12345678},
        "password",
        "La contraseña debe ser un texto.",
        "The password must be text.",
    ),
    (
        "/api/pruebas/eco/",
        {"nombre": "x" * 21, "edad": 1, "color": "ROJO"},
        "nombre",
        "El nombre admite como máximo 20 caracteres.",
        "The name can be at most 20 characters long.",
    ),
    (
        "/api/pruebas/eco/",
        {"nombre": "", "edad": 1, "color": "ROJO"},
        "nombre",
        "El nombre no puede estar vacío.",
        "The name cannot be empty.",
    ),
    (
        "/api/pruebas/eco/",
        {"nombre": "a", "edad": "mucha", "color": "ROJO"},
        "edad",
        "El campo «edad» debe ser un número entero.",
        "The field “edad” must be a whole number.",
    ),
    (
        "/api/pruebas/eco/",
        {"nombre": "a", "edad": 151, "color": "ROJO"},
        "edad",
        "El campo «edad» debe ser menor o igual que 150.",
        "The field “edad” must be less than or equal to 150.",
    ),
    (
        "/api/pruebas/eco/",
        {"nombre": "a", "edad": 1, "color": "ROJO", "etiquetas": "x"},
        "etiquetas",
        "La lista de etiquetas debe ser una lista.",
        "The list of tags must be a list.",
    ),
]


@pytest.mark.parametrize(("path", "body", "field", "es", "en"), CASES)
async def test_each_validation_error_is_a_sentence_in_the_request_language(
    api: SoporteClient, path: str, body: dict[str, Any], field: str, es: str, en: str
) -> None:
    for headers, expected, detail in ((JSON, es, "Datos inválidos."), (EN, en, "Invalid data.")):
        r = await api.post(path, json=body, headers=headers)
        problem_body = await problem(r, 400)
        assert problem_body["detail"] == detail
        # The machine-readable part stays as the contract names it: the field's own name.
        assert problem_body["errors"][field] == [expected]


async def test_an_enum_error_shows_the_allowed_values_as_labels(api: SoporteClient) -> None:
    admin = await api.usuario("admin", Rol.ADMIN)
    for headers, text in (
        ({}, "El rol debe ser uno de estos valores: Cliente, Agente o Administrador."),
        (EN, "The role must be one of these values: Customer, Agent or Administrator."),
    ):
        r = await api.post(
            "/api/soporte/usuarios/",
            json={"username": "jefa", "rol": "JEFE"},
            headers={**api.auth(admin), **headers},
        )
        assert (await problem(r, 400))["errors"] == {"rol": [text]}


async def test_malformed_json_is_said_in_the_request_language(api: SoporteClient) -> None:
    for headers, text in (
        ({}, "JSON mal formado: error en la línea 1, columna 2."),
        (EN, "Malformed JSON: error at line 1, column 2."),
    ):
        r = await api.post("/api/pruebas/eco/", data="{x", headers={**JSON, **headers})
        assert (await problem(r, 400))["detail"] == text


async def test_enum_values_have_labels_in_both_languages() -> None:
    # The plugins' tables are registered when their models are imported.
    import plugins.casos.models
    import plugins.tickets.models  # noqa: F401

    with use_locale("en"):
        assert labels.value_label("estado", "CERRADO") == "Closed"
        assert labels.value_label("prioridad", "MEDIA") == "Medium"
        assert labels.value_label("estado", "EN_INVESTIGACION") == "Under investigation"
        assert labels.value_label("estado", "DESCONOCIDO") == "DESCONOCIDO"
    assert labels.value_label("estado", "EN_PROGRESO") == "En progreso"
    assert labels.value_label("rol", Rol.ADMIN.value) == "Administrador"


async def test_a_page_is_rendered_in_the_request_language(api: SoporteClient) -> None:
    r = await api.get("/entrar/", headers=EN)
    html = await r.text()
    assert r.headers["Content-Language"] == "en"
    assert '<html lang="en">' in html
    for english in ("Log in", "Forgot your password?", "Skip to content", "Help centre"):
        assert english in html, english
    for spanish in ("Iniciar sesión", "Contraseña", "Saltar al contenido", "Centro de ayuda"):
        assert spanish not in html, spanish
    # The scripts' texts and the labels come with the page (core/static/i18n.js reads them).
    match = re.search(r"<meta name=\"soporte-i18n\" content='([^']*)'>", html)
    assert match is not None
    datos = json.loads(html_module.unescape(match.group(1)))
    assert datos["idioma"] == "en"
    assert datos["textos"]["Escribe tu usuario y tu contraseña."] == (
        "Enter your username and your password."
    )
    assert datos["etiquetas"]["rol"]["ADMIN"] == "Administrator"
    # The cookie of the layout's switch wins over the browser.
    r = await api.get("/entrar/", headers={**EN, "Cookie": "soporte_idioma=es"})
    html = await r.text()
    assert '<html lang="es">' in html and "Iniciar sesión" in html
    assert r.headers["Content-Language"] == "es"


async def _mails() -> list[Mail]:
    filas = await Envio.filter(canal="mail").order_by("id")
    return [Mail.from_payload(f.payload, f.message_id) for f in filas]


async def test_a_mail_is_written_in_its_recipients_language(api: SoporteClient) -> None:
    ana = await api.usuario("ana")
    bob = await api.usuario("bob")
    await Usuario.filter(id=ana.id).update(idioma="en")
    # Ana's profile says English: her mail is English whatever the requesting browser says.
    r = await api.post(
        "/api/auth/password/olvido/",
        json={"email": "ana@example.test"},
        headers={"Accept-Language": "es"},
    )
    assert r.status == 202, await r.text()
    # Bob follows his browser: the request asking for his mail is Spanish.
    await api.post("/api/auth/password/olvido/", json={"email": "bob@example.test"})
    ingles, espanol = await _mails()
    assert ingles.to == ("ana@example.test",) and espanol.to == (bob.email,)
    assert ingles.subject == "Reset your Centro de ayuda password"
    assert "Hello Ana," in ingles.text and "expires in 1 hour" in ingles.text
    assert "Someone (probably you) asked to reset the password" in ingles.text
    assert ingles.html is not None and '<html lang="en">' in ingles.html
    assert "Choose a new password" in ingles.html
    for spanish in ("Hola", "contraseña", "enlace", "caduca"):
        assert spanish not in ingles.text and spanish not in ingles.html, spanish
    assert espanol.subject == "Restablece tu contraseña de Centro de ayuda"
    assert "caduca en 1 hora" in espanol.text
    assert espanol.html is not None and '<html lang="es">' in espanol.html


def test_the_pages_catalog_is_read_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page render hands the scripts their catalog: read once, never stat'ed again."""
    from core import i18n

    carpeta = tmp_path / "en" / "LC_MESSAGES"
    carpeta.mkdir(parents=True)
    po = carpeta / "prueba_js.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        '#: static/x.js:1\nmsgid "Hola"\nmsgstr "Hello"\n\n'
        '#: plugin.py:1\nmsgid "Solo Python"\nmsgstr "Python only"\n',
        encoding="utf-8",
    )
    monkeypatch.setitem(i18n._DOMAINS, "prueba_js", i18n._Domain(tmp_path))
    assert i18n.js_catalog("en", "prueba_js") == {"Hola": "Hello"}
    assert i18n.js_catalog("es", "prueba_js") == {}  # Spanish needs none
    # A catalog edited (or gone) while the app runs is not looked at again.
    po.unlink()
    assert i18n.js_catalog("en-GB", "prueba_js") == {"Hola": "Hello"}
