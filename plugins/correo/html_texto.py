"""An HTML mail body turned into readable plain text (used only by ``analisis``).

Two steps. First **nh3** (the Ammonia sanitizer) keeps only structural tags and the links'
``href``, and drops ``<script>``, ``<style>``, ``<head>``'s title and the like *with their
content*, so nothing executable or presentational can leak into the text. Then a small
:class:`html.parser.HTMLParser` walker over that already-clean, whitelisted markup writes
paragraphs, line breaks, lists (``- `` / ``1. ``), quotes (``> ``, so the reply parser sees
quoted history as it would in a text/plain mail) and links as ``texto (url)``.

Why not an HTML→text library: ``html2text`` (maintained) is GPL-3.0, which an Apache-2.0
project cannot take as a dependency without changing its terms, and it writes Markdown
(``**bold**``, escaped ``\\-``); ``inscriptis`` (maintained, Apache-2.0) writes links as
Markdown ``[texto](url)`` and pulls ``requests``. After nh3 the walker only ever sees the tags
of :data:`_ETIQUETAS`, which keeps it short.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

__all__ = ["html_a_texto"]

#: Tags nh3 keeps (everything else is unwrapped: its text stays, the tag goes).
_ETIQUETAS = {
    "a", "br", "p", "div", "span", "ul", "ol", "li", "blockquote", "pre", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
    "dl", "dt", "dd", "section", "article", "header", "footer", "address", "center",
}  # fmt: skip
#: Tags removed together with their content (never text a person wrote to us).
_SIN_CONTENIDO = {
    "script", "style", "title", "head", "noscript", "template", "xml", "svg", "math", "object",
    "iframe", "select", "textarea", "button",
}  # fmt: skip
#: Block tags: a line break before and after.
_BLOQUES = {
    "div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "address",
    "center", "table", "thead", "tbody", "tfoot", "dl",
}  # fmt: skip
#: Paragraph-like tags: a blank line before and after.
_PARRAFOS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "pre", "blockquote", "hr"}

_ESPACIOS = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_LINEAS_VACIAS = re.compile(r"\n{3,}")


class _Escritor(HTMLParser):
    """Writes the text of sanitised HTML line by line (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lineas: list[str] = []
        self.actual: list[str] = []  # pieces of the line being written
        self.blancos = 0  # blank lines owed before the next text (0, 1 = break, 2 = paragraph)
        self.cita = 0  # <blockquote> depth
        self.pre = 0
        self.listas: list[list[int]] = []  # one [counter] per open list; -1 = bullet list
        self.enlaces: list[tuple[str, int]] = []  # (href, text length when the <a> opened)
        self.texto_enlace: list[str] = []

    # -- writing -------------------------------------------------------------------------
    def _salto(self, n: int) -> None:
        """Owe ``n`` line ends (1: new line, 2: a blank line) before the next text."""
        self.blancos = max(self.blancos, n)

    def _cerrar_linea(self) -> None:
        self.lineas.append("".join(self.actual).rstrip())
        self.actual = []

    def _linea_en_blanco(self) -> None:
        # Inside a quote a blank line stays quoted, so the quote reads as one block.
        marca = ("> " * self.cita).rstrip()
        seguida = self.cita and self.lineas and self.lineas[-1].startswith(marca)
        self.lineas.append(marca if seguida else "")

    def _escribir(self, texto: str, literal: bool = False) -> None:
        if not texto:
            return
        if self.blancos and (self.actual or self.lineas):
            if self.actual:
                self._cerrar_linea()
            if self.blancos > 1 and self.lineas and self.lineas[-1].strip("> "):
                self._linea_en_blanco()
            self.blancos = 0
        elif self.blancos:
            self.blancos = 0
        if not self.actual:
            if not self.pre and not literal:
                texto = texto.lstrip()
                if not texto:
                    return
            self.actual.append("> " * self.cita)
        self.actual.append(texto)
        if self.enlaces:
            self.texto_enlace.append(texto)

    # -- parser callbacks ----------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a tag: breaks, list markers, quote depth, link start."""
        if tag == "br":
            debida = self.blancos
            self.blancos = 0
            if self.actual:
                self._cerrar_linea()  # ends the line (and pays a block's pending break)
                if not debida:
                    return
            # A <br> opening a block is an empty line (Gmail's <div><br></div>).
            self._linea_en_blanco()
            return
        if tag in ("ul", "ol") and self.listas:
            self._salto(1)  # a nested list: just a new line
        elif tag in _PARRAFOS:
            self._salto(2)
        elif tag in _BLOQUES:
            self._salto(1)
        if tag == "blockquote":
            self.cita += 1
        elif tag == "pre":
            self.pre += 1
        elif tag in ("ul", "ol"):
            self.listas.append([0 if tag == "ol" else -1])
        elif tag == "li":
            marca = "- "
            if self.listas and self.listas[-1][0] >= 0:
                self.listas[-1][0] += 1
                marca = f"{self.listas[-1][0]}. "
            self._escribir("  " * max(len(self.listas) - 1, 0) + marca, literal=True)
        elif tag in ("td", "th") and self.actual:
            self.actual.append("  ")
        elif tag == "hr":
            self._escribir("---")
            self._salto(2)
        elif tag == "a":
            href = next((v for k, v in attrs if k == "href" and v), "")
            self.enlaces.append((href.strip(), len(self.texto_enlace)))

    def handle_endtag(self, tag: str) -> None:
        """Close a tag: breaks, list/quote depth, the link's ``(url)``."""
        if tag in ("ul", "ol") and len(self.listas) > 1:
            self._salto(1)
        elif tag in _PARRAFOS:
            self._salto(2)
        elif tag in _BLOQUES:
            self._salto(1)
        if tag == "blockquote":
            self.cita = max(self.cita - 1, 0)
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
        elif tag in ("ul", "ol") and self.listas:
            self.listas.pop()
        elif tag == "a" and self.enlaces:
            href, desde = self.enlaces.pop()
            texto = "".join(self.texto_enlace[desde:]).strip()
            if not self.enlaces:
                self.texto_enlace = []
            url = href[7:] if href.lower().startswith("mailto:") else href
            if url and url != texto:
                self._escribir(f" ({url})" if texto else url)

    def handle_data(self, data: str) -> None:
        """Text: whitespace collapsed outside ``<pre>``."""
        if self.pre:
            partes = data.replace("\r\n", "\n").split("\n")
            for i, parte in enumerate(partes):
                if i:
                    self._cerrar_linea()
                if parte:
                    self._escribir(parte, literal=True)
            return
        self._escribir(_ESPACIOS.sub(" ", data))

    def resultado(self) -> str:
        """The text written so far, without trailing blank lines."""
        if self.actual:
            self._cerrar_linea()
        texto = "\n".join(linea.rstrip() for linea in self.lineas)
        return _LINEAS_VACIAS.sub("\n\n", texto).strip("\n")


def html_a_texto(html: str) -> str:
    """Readable plain text of an HTML mail body; never any markup, script or style of it."""
    limpio = nh3.clean(
        html,
        tags=_ETIQUETAS,
        clean_content_tags=_SIN_CONTENIDO,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel=None,
        strip_comments=True,
    )
    escritor = _Escritor()
    escritor.feed(limpio)
    escritor.close()
    return escritor.resultado()
