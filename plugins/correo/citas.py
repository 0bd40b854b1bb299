"""The new text of a reply: quoted history and signature removed (used only by ``analisis``).

Quoted history is found by **quotequail** (Close's maintained reply parser: "On … wrote:",
Spanish "El … escribió:" — also wrapped over two lines, as Gmail writes it —, Outlook's
"-----Original Message-----" and "________________________________" separators, forwarded
blocks). Researched and left aside: ``mail-parser-reply`` (maintained, has a Spanish table,
but its "El … escribió:" pattern needs two spaces before "escribió", and its sign-off rule
drops everything after any line beginning "Gracias," — a customer's text lost), talon and
``email-reply-parser`` (no release since 2017 / 2020).

What quotequail lacks, added here (each a pattern a real client writes):

- an Outlook header block **without** a separator line above it (new Outlook, Outlook on the
  web, and Outlook's HTML once turned into text): "De: …" / "From: …" followed within three
  lines by "Enviado: …" / "Enviado el: …" / "Sent: …" / "Fecha: …" / "Date: …";
- a bottom-posted quote with no intro line: trailing ``>`` lines;
- signatures: the standard ``-- `` delimiter and mobile footers ("Enviado desde mi iPhone",
  "Sent from my …", "Obtener Outlook para …", "Get Outlook for …").

Sign-offs ("Saludos,", "Thanks,") are deliberately *not* cut: what follows them is sometimes
more of the message, and a helpdesk must not lose what a customer wrote. A forwarded message
("---------- Forwarded message ---------", "Inicio del mensaje reenviado:") is kept: what was
forwarded is usually the request itself.
"""

from __future__ import annotations

import re

import quotequail

__all__ = ["texto_nuevo"]

#: Lines quotequail may stop at that begin a forward, not a reply: never cut there.
_REENVIO = re.compile(
    r"^[\s>]*(?:-{2,}\s*)?(?:forwarded message|mensaje reenviado|begin forwarded message|"
    r"inicio del mensaje reenviado|message transféré)",
    re.IGNORECASE,
)
_OUTLOOK_DE = re.compile(r"^[\s>*]*(?:De|From)\s*:\*?\s*\S", re.IGNORECASE)
_OUTLOOK_SIGUE = re.compile(
    r"^[\s>*]*(?:Enviado(?: el)?|Sent|Fecha|Date|Para|To|Asunto|Subject)\s*:", re.IGNORECASE
)
_FIRMA = re.compile(r"^(?:--|-- |__)\s*$")
_MOVIL = re.compile(
    r"^(?:Enviado desde mi |Enviado desde (?:Outlook|Correo|Yahoo)|Sent from my |"
    r"Sent from (?:Outlook|Mail|Yahoo)|Obtener Outlook para |Get Outlook for |"
    r"Descargar Outlook para )",
    re.IGNORECASE,
)
#: Lines examined by quotequail at most: past that the rest counts as quoted. Ample for any
#: real reply, and it bounds the work on a huge body.
_LIMITE_LINEAS = 5000


def _corte_outlook(lineas: list[str]) -> int | None:
    """Index of the first Outlook header block ("De:" then "Enviado:"/"Para:"…), if any
    before a forwarded message (whose own "De:/Para:" block is the forward, kept)."""
    for i, linea in enumerate(lineas):
        if _REENVIO.match(linea):
            return None
        if _OUTLOOK_DE.match(linea) and any(
            _OUTLOOK_SIGUE.match(siguiente) for siguiente in lineas[i + 1 : i + 4]
        ):
            return i
    return None


def _sin_firma(lineas: list[str]) -> list[str]:
    """Cut at the signature delimiter or a mobile footer, whichever comes first."""
    for i, linea in enumerate(lineas):
        limpia = linea.strip()
        if _FIRMA.match(linea) or (len(limpia) < 80 and _MOVIL.match(limpia)):
            return lineas[:i]
    return lineas


def texto_nuevo(texto: str) -> str:
    """``texto`` without its quoted history and signature; ``texto`` itself if nothing is left."""
    nuevo = texto
    partes = quotequail.quote(texto, limit=_LIMITE_LINEAS, quote_intro_line=True)
    if len(partes) > 1 and partes[0][0]:
        cortado = partes[1][1].lstrip("\n").split("\n", 1)[0]
        if not _REENVIO.match(cortado):
            nuevo = partes[0][1]
    lineas = nuevo.split("\n")
    corte = _corte_outlook(lineas)
    if corte is not None:
        lineas = lineas[:corte]
    lineas = _sin_firma(lineas)
    while lineas and (not lineas[-1].strip() or lineas[-1].lstrip().startswith(">")):
        lineas.pop()
    # The Outlook separator line quotequail leaves above a header block it did not see.
    while lineas and (not lineas[-1].strip() or set(lineas[-1].strip()) <= {"_", "-"}):
        lineas.pop()
    resultado = "\n".join(lineas).strip()
    return resultado or texto
