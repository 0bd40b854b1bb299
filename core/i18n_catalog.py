"""The translators' side of :mod:`core.i18n`: extract, update, compile and check the catalogs.

``make messages`` (``python -m core.i18n_catalog messages``) extracts every marked text of the
core and the built-in plugins — Python (``_()``, ``N_()``, and the first argument of the
problem classes: ``raise NotFound("…")`` is a message), jinja2 templates of pages and mails
(``{% trans %}``, ``_()``), and the pages' scripts (``t("…")``) — into
``core/locale/soporte.pot``, then updates each language's ``.po`` from it: new texts arrive
untranslated, texts gone from the code are dropped, nothing is fuzzy-matched (a guessed
translation is worse than none). ``make compile-messages`` writes the ``.mo`` files (the app
also compiles a ``.po`` in memory when its ``.mo`` is missing or older).

:func:`problems` is what the catalog test checks: every text extracted from the code is in each
catalog, translated, not fuzzy, and no catalog keeps a text the code no longer has.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from core.i18n import DOMAIN, LOCALE_DIR, LOCALES

#: The project's root: the folder that holds ``core/`` and ``plugins/``.
ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"

#: The problem classes of :mod:`core.api.errors`: their first argument is a message shown.
_PROBLEMS = (
    "Problem",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "TooManyRequests",
)
_PYTHON_KEYWORDS = {**DEFAULT_KEYWORDS, **dict.fromkeys(_PROBLEMS, None)}
# ``t`` is the pages' helper: only in scripts (in Python, ``t["x"]`` is a row, not a text).
_JS_KEYWORDS = {**DEFAULT_KEYWORDS, "t": None}

_PYTHON_MAP = [
    ("core/**.py", "python"),
    ("plugins/**.py", "python"),
    ("core/templates/**.html", "jinja2"),
    ("core/templates/**.txt", "jinja2"),
    ("plugins/*/templates/**.html", "jinja2"),
    ("plugins/*/templates/**.txt", "jinja2"),
]
_JS_MAP = [("core/static/**.js", "javascript"), ("plugins/*/static/**.js", "javascript")]
_SKIP = ("/migrations/",)


def extract(root: Path = ROOT) -> Catalog:
    """Every marked text under ``root``'s ``core/`` and ``plugins/``, with its locations."""
    catalog = Catalog(domain=DOMAIN, project="soporte", charset="utf-8", fuzzy=False)
    for method_map, keywords in ((_PYTHON_MAP, _PYTHON_KEYWORDS), (_JS_MAP, _JS_KEYWORDS)):
        found = extract_from_dir(
            str(root),
            method_map=method_map,
            options_map={},
            keywords=keywords,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            if any(part in f"/{filename}" for part in _SKIP) or not message:
                continue
            catalog.add(
                message,
                None,
                [(filename, lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def po_path(lang: str) -> Path:
    """The catalog of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str) -> Catalog:
    """The ``.po`` of ``lang`` (an empty catalog when it does not exist yet)."""
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN, fuzzy=False)
    with path.open("rb") as fp:
        return read_po(fp, locale=lang, domain=DOMAIN)


def write_catalog(catalog: Catalog, path: Path) -> None:
    """Write a ``.po`` (or ``.pot``) sorted by location, unwrapped: small, stable diffs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fp:
        write_po(fp, catalog, width=0, sort_by_file=True, ignore_obsolete=True)


def messages() -> None:
    """``make messages``: extract the template and update every translated language's catalog."""
    template = extract()
    write_catalog(template, TEMPLATE)
    for lang in LOCALES[1:]:  # the first language is the source: its texts are the ids
        catalog = read_catalog(lang)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()
        write_catalog(catalog, po_path(lang))
        missing = sum(1 for m in catalog if m.id and not _translated(m.string))
        print(f"{po_path(lang).relative_to(ROOT)}: {len(catalog)} texts, {missing} untranslated")


def compile_messages() -> None:
    """``make compile-messages``: a ``.mo`` beside every ``.po`` (fuzzy entries left out)."""
    for lang in LOCALES[1:]:
        catalog = read_catalog(lang)
        with po_path(lang).with_suffix(".mo").open("wb") as fp:
            write_mo(fp, catalog)


def _translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return all(isinstance(s, str) and s.strip() for s in string)
    return isinstance(string, str) and bool(string.strip())


def problems(lang: str) -> list[str]:
    """What is wrong with the catalog of ``lang`` against the code: texts missing from it or
    untranslated, fuzzy ones, and texts the code no longer has (empty: complete)."""
    template = extract()
    catalog = read_catalog(lang)
    found: list[str] = []
    wanted = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in template if m.id}
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        if entry is None:
            found.append(f"not in the catalog (run make messages): {message.id!r} ({where})")
        elif not _translated(entry.string):
            found.append(f"untranslated: {message.id!r} ({where})")
        elif entry.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
    for entry in catalog:
        key = entry.id if isinstance(entry.id, str) else entry.id[0]
        if entry.id and (key, entry.context) not in wanted:
            found.append(f"no longer in the code (run make messages): {entry.id!r}")
    found.extend(f"obsolete: {key!r}" for key in catalog.obsolete)
    return found


if __name__ == "__main__":
    commands = {"messages": messages, "compile": compile_messages}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python -m core.i18n_catalog {{{'|'.join(commands)}}}")
    commands[sys.argv[1]]()
