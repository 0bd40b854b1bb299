"""The login page's ``?siguiente=`` in Chromium: only a page of this origin is a destination.

The payloads are the issue's: each once read as a path by a string check, and by the browser as
another host (``\\`` is ``/`` to it, and it drops tabs and newlines from URLs) or as a script.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from core.testing import TEST_PASSWORD

if TYPE_CHECKING:
    from core.testing import SoporteClient
    from tests.browser.conftest import Navegador

#: As written in a link's query string (the page decodes them with URLSearchParams).
PAYLOADS = [
    "/%5Cevil.test",
    "/%09/evil.test",
    "/%0A/evil.test",
    "//evil.test",
    "/\\evil.test",
    "https://evil.test/",
    "javascript:alert(1)",
]


async def test_siguiente_lleva_solo_a_paginas_de_este_origen(
    soporte: SoporteClient, navegador: Navegador
) -> None:
    await soporte.usuario("ana")
    origen = urlsplit(navegador.base)
    ctx = await navegador.contexto()
    page = await navegador.pagina(ctx)
    # Logging in through the form, then (with the session) arriving on the login page again.
    for i, payload in enumerate(PAYLOADS):
        await page.goto(f"/entrar/?siguiente={payload}")
        if i == 0:
            await navegador.entrar(page, "ana", TEST_PASSWORD)
        await page.wait_for_url(lambda url: "/entrar/" not in url)
        await page.wait_for_load_state()
        llegada = urlsplit(page.url)
        assert (llegada.scheme, llegada.netloc) == (origen.scheme, origen.netloc), (
            payload,
            page.url,
        )
        assert llegada.path == "/", (payload, page.url)
    # A path of this site is still honoured, query and fragment included.
    await page.goto("/entrar/?siguiente=%2Ftickets%2F%3Festado%3DABIERTO%23lista")
    await page.wait_for_url(lambda url: "/entrar/" not in url)
    assert page.url == navegador.base + "/tickets/?estado=ABIERTO#lista"
