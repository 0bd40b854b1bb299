"""The walk of issue 20's "Done when": every page of the portal and the console, at desktop
(1280×800) and phone (390×844) width, in Spanish and English, with the demo data loaded.

The pages come from the app's own registry (``core.pages.SITE``), so a page a plugin adds is
walked without touching this file; a page with path parameters needs an example id in
:data:`EJEMPLOS` (the test fails naming it otherwise). Each page is opened, left to settle
(no request in flight), and must show no console error, no failed request (an answer of 400
or more, or a network failure) and no axe-core violation of impact serious or critical
(moderate and minor ones are reported as warnings, see ``accesibilidad.py``). In English, no
text the app shows may be left in Spanish: no text of the page (a text node, ``title``,
``aria-label``, ``placeholder``, ``alt``) may be, whole, one of the catalog's Spanish texts
whose English differs (:func:`textos_sin_traducir`). User data may be such a text (the demo's
team "Pagos", its FAQ category "Reservas"): every text stored in the database is left out, so
the check raises no false alarm on what people wrote.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from babel.messages.pofile import read_po

from core import keys
from core.cli import DEMO_USERS
from core.i18n import DOMAIN, LOCALE_DIR
from core.pages import SITE
from tests.browser.accesibilidad import comprobar_accesibilidad
from tests.browser.paginas import (
    ANCHOS,
    EJEMPLOS,
    ENTRAR,
    IDIOMAS,
    PERFILES,
    ejemplos,
    paginas_de,
    ruta_de,
    segmento_de,
)

if TYPE_CHECKING:
    from playwright.async_api import Page as Pestaña

    from core.auth.models import Usuario
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador


@dataclass
class Vigia:
    """What a tab does wrong while a page loads: console errors and failed requests."""

    problemas: list[str] = field(default_factory=list)

    def vigilar(self, pestaña: Pestaña) -> None:
        """Listen to the tab's console, uncaught errors, answers and failed requests."""

        def consola(msg: Any) -> None:
            # "Failed to load resource" repeats, without the URL, an answer that ``respuesta``
            # reports with it; the one load it alone sees is the browser's own implicit
            # /favicon.ico, which is no request of the page (the favicon has its own test).
            if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
                self.problemas.append(f"console error: {msg.text}")

        def respuesta(resp: Any) -> None:
            if resp.status >= 400:
                self.problemas.append(f"{resp.status} {resp.request.method} {resp.url}")

        def fallida(req: Any) -> None:
            # Navigating away cancels what the previous page had in flight (a poll, a socket):
            # that is the browser's doing, not a failure of the page.
            if req.failure != "net::ERR_ABORTED":
                self.problemas.append(f"failed {req.method} {req.url}: {req.failure}")

        pestaña.on("console", consola)
        pestaña.on("pageerror", lambda exc: self.problemas.append(f"page error: {exc}"))
        pestaña.on("response", respuesta)
        pestaña.on("requestfailed", fallida)


#: A field of a message id (``{numero}``, ``%(numero)s``): anything may stand in its place.
_CAMPO = re.compile(r"\{[^{}]*\}|%\([^)]*\)[sd]")
#: Least letters of its own a text with fields must have to be told from user data ("{autor}:
#: {texto}" is any line at all).
_LETRAS_PROPIAS = 12


@functools.cache
def _espanol_con_traduccion() -> tuple[frozenset[str], re.Pattern[str]]:
    """The catalog's Spanish texts whose English differs: those without fields, as a page
    shows them whole, and one pattern matching any of those with fields as filled in."""
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as fp:
        catalogo = read_po(fp, locale="en")
    enteros: set[str] = set()
    patrones: list[str] = []
    for m in catalogo:
        if not isinstance(m.id, str) or not isinstance(m.string, str):
            continue
        texto = m.id.strip()
        if not texto or m.string.strip() == texto:
            continue
        trozos = _CAMPO.split(texto)
        if len(trozos) == 1:
            enteros.add(texto)
        elif sum(c.isalpha() for c in "".join(trozos)) >= _LETRAS_PROPIAS:
            patrones.append(".+?".join(re.escape(t) for t in trozos))
    return frozenset(enteros), re.compile("|".join(f"(?:{p})" for p in patrones), re.DOTALL)


#: Every text the page shows a person: text nodes (not of scripts or styles), the title, and
#: the attributes read aloud or shown on hover.
_TEXTOS_DE_LA_PAGINA = """() => {
  const textos = [document.title];
  const recorrido = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (recorrido.nextNode()) {
    const nodo = recorrido.currentNode;
    if (!nodo.parentElement || nodo.parentElement.closest("script, style, template")) continue;
    textos.push(nodo.textContent);
  }
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder], [alt]")) {
    for (const nombre of ["title", "aria-label", "placeholder", "alt"]) {
      if (el.hasAttribute(nombre)) textos.push(el.getAttribute(nombre));
    }
  }
  return textos.map((t) => t.trim()).filter(Boolean);
}"""


#: Texts that are Spanish on purpose in every language: the language switch names each
#: language in itself, so that someone who cannot read the current one finds theirs.
_A_PROPOSITO: frozenset[str] = frozenset({"Español"})


#: Stored columns that are not user data but the app's own text as written once, in Spanish
#: (a notification's rendering, kept for SQL reports): a page must never show them as stored.
_TEXTOS_DE_LA_APP: frozenset[tuple[str, str]] = frozenset(
    {("notificaciones_notificacion", "titulo"), ("notificaciones_notificacion", "mensaje")}
)


async def datos_guardados(soporte: SoporteClient) -> frozenset[str]:
    """Every text stored in the database (names, subjects, tags, categories…): user data,
    which a page shows as written in any language."""
    from tortoise import fields as campos

    textos: set[str] = set()
    for modelos in soporte.app[keys.DB].ctx.apps.values():
        for modelo in modelos.values():
            columnas = [
                nombre
                for nombre, campo in modelo._meta.fields_map.items()
                if isinstance(campo, campos.CharField | campos.TextField | campos.JSONField)
                and (modelo._meta.db_table, nombre) not in _TEXTOS_DE_LA_APP
            ]
            for fila in await modelo.all().values_list(*columnas) if columnas else []:
                for valor in fila:
                    # A JSON column (a ticket's tags) holds texts in lists.
                    for texto in valor if isinstance(valor, list) else [valor]:
                        if isinstance(texto, str) and texto.strip():
                            textos.add(texto.strip())
    return frozenset(textos)


async def textos_sin_traducir(pestaña: Pestaña, guardados: frozenset[str]) -> list[str]:
    """The texts of an English page that are, whole, Spanish texts of the catalog (but the
    ``guardados``, user data, and those Spanish on purpose)."""
    enteros, con_campos = _espanol_con_traduccion()
    textos: list[str] = await pestaña.evaluate(_TEXTOS_DE_LA_PAGINA)
    return sorted(
        {
            t
            for t in textos
            if t not in guardados
            and t not in _A_PROPOSITO
            and (t in enteros or con_campos.fullmatch(t))
        }
    )


async def recorrer(
    pestaña: Pestaña,
    vigia: Vigia,
    rutas: list[str],
    guardados: frozenset[str] | None = None,
) -> list[str]:
    """Open each path, let it settle, check it: every problem found, by page. With
    ``guardados`` (an English walk), also every text left in Spanish."""
    hallazgos: list[str] = []
    for ruta in rutas:
        vigia.problemas.clear()
        await pestaña.goto(ruta)
        await pestaña.wait_for_load_state("networkidle")
        try:
            await comprobar_accesibilidad(pestaña)
        except AssertionError as exc:
            vigia.problemas.append(str(exc))
        if not pestaña.url.endswith(ruta):
            vigia.problemas.append(f"sent elsewhere: {pestaña.url}")
        if guardados is not None:
            sin_traducir = await textos_sin_traducir(pestaña, guardados)
            vigia.problemas.extend(f"in Spanish: {t!r}" for t in sin_traducir)
        hallazgos.extend(f"{ruta}: {p}" for p in vigia.problemas)
    return hallazgos


@pytest.mark.parametrize("idioma", IDIOMAS)
@pytest.mark.parametrize("ancho", ANCHOS)
@pytest.mark.parametrize("perfil", PERFILES)
async def test_cada_pagina_sin_errores_ni_violaciones_graves(
    soporte: SoporteClient,
    navegador: Navegador,
    demo: dict[str, Usuario],
    perfil: str,
    ancho: str,
    idioma: str,
) -> None:
    """Every page of the registry that ``perfil`` may open, at ``ancho`` px in ``idioma``:
    no console error, no failed request, no axe violation above moderate."""
    ids = await ejemplos(demo)
    paginas = paginas_de(perfil, soporte.app[SITE].pages)
    assert paginas, f"no page for {perfil}"
    rutas = [ruta_de(p, ids) for p in paginas]

    w, h = ANCHOS[ancho]
    ctx = await navegador.contexto(w, h, locale=IDIOMAS[idioma])
    pestaña = await navegador.pagina(ctx)
    if perfil != "anonimo":
        await navegador.entrar(pestaña, perfil, DEMO_USERS[perfil][0], etiquetas=ENTRAR[idioma])
        # The page logged into answers in the browser's language (its Accept-Language).
        assert await pestaña.evaluate("document.documentElement.lang") == idioma
    vigia = Vigia()
    vigia.vigilar(pestaña)
    guardados = await datos_guardados(soporte) if idioma == "en" else None
    hallazgos = await recorrer(pestaña, vigia, rutas, guardados)
    # The console listener of the fixture would report the same errors again at teardown.
    navegador.errores.clear()
    assert not hallazgos, f"{len(hallazgos)} problems:\n" + "\n".join(hallazgos)


def test_el_recorrido_cubre_cada_pagina_registrada(soporte: SoporteClient) -> None:
    """Every registered page is walked by some profile (none left out by the split)."""
    paginas = soporte.app[SITE].pages
    recorridas = {p.path for perfil in PERFILES for p in paginas_de(perfil, paginas)}
    faltan = {p.path for _, p in paginas} - recorridas
    assert not faltan, f"pages no profile walks: {sorted(faltan)}"
    detalles = {segmento_de(p) for _, p in paginas if p.has_params}
    assert detalles <= set(EJEMPLOS), f"detail pages without an example id: {detalles}"
