"""Two languages: the current locale of a request, a socket or a mail, and gettext catalogs.

The code, the templates and the JavaScript are written in Spanish: a Spanish text *is* its own
message id, so Spanish needs no catalog and stays what the code reads. English comes from
gettext catalogs (Babel): ``core/locale/en/LC_MESSAGES/soporte.po`` for the core and the
built-in plugins, one domain of its own for a third-party plugin (:func:`register_domain`).

The language of a request is the user's profile (``Usuario.idioma``), else the browser's
``Accept-Language`` (Babel's negotiation), else Spanish; the language of the ``soporte``
command is its environment's (:func:`environment_locale`: ``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES``, ``LANG``, as gettext reads them); it lives in a context variable
(:func:`current_locale`) that :func:`locale_middleware` sets for the request's task — REST
handlers, WebSocket handlers and page renders alike — and that :func:`use_locale` sets for a
block (a mail rendered in its *recipient's* language).

Mark a text with :func:`gettext` (imported as ``_``) where it is shown, or with :data:`N_`
where it is defined before a locale exists (module constants), translating it when shown::

    from core.i18n import N_, gettext as _

    raise BadRequest(_("El ticket {id} está cerrado.").format(id=ticket.id))

``make messages`` extracts every marked text (Python, jinja2 templates, JavaScript) into the
catalog template and updates each language's catalog; ``make compile-messages`` compiles them.
A catalog whose ``.mo`` is missing or older than its ``.po`` is compiled in memory when first
used, so a checkout runs with nothing but Python.
"""

from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import io
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from aiohttp.typedefs import Handler

#: The languages the app speaks; the first is the default and the language of the source.
LOCALES: tuple[str, ...] = ("es", "en")
DEFAULT_LOCALE = LOCALES[0]
#: The gettext domain of the core and the built-in plugins.
DOMAIN = "soporte"
#: Where the core's catalogs live (``<dir>/<lang>/LC_MESSAGES/<domain>.po``).
LOCALE_DIR = Path(__file__).parent / "locale"
#: The cookie an anonymous visitor's choice of language is kept in (the layout's switch).
LOCALE_COOKIE = "soporte_idioma"

_current: ContextVar[str] = ContextVar("soporte_locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (a constant defined at import
    time): translate it with :func:`gettext` where it is shown."""
    return message


def current_locale() -> str:
    """The language of what is being answered or rendered now (``es`` outside any request)."""
    return _current.get()


def normalize(lang: str | None) -> str | None:
    """``lang`` when it is one of :data:`LOCALES` (``en-GB`` counts as ``en``), else ``None``."""
    if not lang:
        return None
    base = lang.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LOCALES else None


@contextlib.contextmanager
def use_locale(lang: str | None) -> Iterator[str]:
    """Make ``lang`` (or the default when it is unknown or ``None``) current for a block: a
    mail rendered in its recipient's language, a background job acting for one user."""
    chosen = normalize(lang) or DEFAULT_LOCALE
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


#: The variables gettext reads a process's language from, the first one set deciding.
ENVIRONMENT_VARIABLES: tuple[str, ...] = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def environment_locale(environ: Mapping[str, str] | None = None) -> str:
    """The language of a command run in ``environ`` (the process's by default), as gettext
    finds it: the first of :data:`ENVIRONMENT_VARIABLES` that is set decides (``LANGUAGE`` may
    list several, ``en:es``: the first known one wins); ``en_GB.UTF-8`` is English; ``C``,
    ``POSIX`` or a language the app does not speak is the default."""
    environ = os.environ if environ is None else environ
    for name in ENVIRONMENT_VARIABLES:
        value = environ.get(name, "").strip()
        if not value:
            continue
        for candidate in value.split(":") if name == "LANGUAGE" else (value,):
            found = normalize(candidate.split(".")[0].split("@")[0])
            if found is not None:
                return found
        if name != "LANGUAGE":  # LANGUAGE naming nothing known defers to the others
            return DEFAULT_LOCALE
    return DEFAULT_LOCALE


def set_locale(lang: str | None) -> None:
    """Make ``lang`` current for the rest of this task, when it is a known language.

    For a handler that learns who its user is itself (a WebSocket authenticated by
    ``?token=``): the request's middleware restores the previous value when the request ends.
    """
    chosen = normalize(lang)
    if chosen is not None:
        _current.set(chosen)


# --- catalogs ------------------------------------------------------------------------------


@dataclass
class _Domain:
    directory: Path
    translations: dict[str, _gettext.NullTranslations] = field(default_factory=dict)


_DOMAINS: dict[str, _Domain] = {DOMAIN: _Domain(LOCALE_DIR)}


def register_domain(domain: str, directory: str | Path) -> None:
    """Register a plugin's own gettext domain: its catalogs are
    ``<directory>/<lang>/LC_MESSAGES/<domain>.po`` (``.mo`` optional). Idempotent."""
    known = _DOMAINS.get(domain)
    if known is None or known.directory != Path(directory):
        _DOMAINS[domain] = _Domain(Path(directory))


def _load(directory: Path, domain: str, lang: str) -> _gettext.NullTranslations:
    """The catalog of ``lang``: the ``.mo`` when it is current, else the ``.po`` compiled in
    memory (a fresh checkout or an edited ``.po``), else none (Spanish: the ids themselves)."""
    base = directory / lang / "LC_MESSAGES" / domain
    po, mo = base.with_suffix(".po"), base.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return _gettext.GNUTranslations(fp)
    if not po.exists():
        return _gettext.NullTranslations()
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as msgfmt does
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def translations(lang: str | None = None, domain: str = DOMAIN) -> _gettext.NullTranslations:
    """The catalog of ``domain`` for ``lang`` (the current locale by default), loaded once."""
    chosen = normalize(lang) or current_locale()
    entry = _DOMAINS.get(domain)
    if entry is None:
        return _gettext.NullTranslations()
    found = entry.translations.get(chosen)
    if found is None:
        found = entry.translations[chosen] = _load(entry.directory, domain, chosen)
    return found


def gettext(message: str) -> str:
    """``message`` (a Spanish text) in the current locale: from the core's catalog, else from
    a plugin's own domain (:func:`register_domain`), else the text itself."""
    lang = _current.get()
    if lang == DEFAULT_LOCALE:
        return message
    found = translations(lang).gettext(message)
    if found == message and len(_DOMAINS) > 1:
        for domain in _DOMAINS:
            if domain != DOMAIN:
                own = translations(lang, domain).gettext(message)
                if own != message:
                    return own
    return found


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a text for ``n``, in the current locale."""
    return translations().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in a ``context`` (the same Spanish word translated two ways)."""
    return translations().pgettext(context, message)


def js_catalog(lang: str, domain: str = DOMAIN) -> dict[str, str]:
    """The translations of the texts the JavaScript marks with ``t()`` (the entries of the
    ``.po`` whose locations include a ``.js`` file), for the layout to hand to the pages.

    Read once per process and language: every page render hands it over, and the catalogs do
    not change while the app runs (``make messages`` is a development step; restart after it).
    """
    chosen = normalize(lang)
    if chosen in (None, DEFAULT_LOCALE):
        return {}
    entry = _DOMAINS.get(domain)
    if entry is None:
        return {}
    return _js_catalog(entry.directory, domain, str(chosen))


@functools.cache
def _js_catalog(directory: Path, domain: str, lang: str) -> dict[str, str]:
    """:func:`js_catalog` of one catalog file (cached by its folder: a re-registered domain
    with another folder is read anew)."""
    po = directory / lang / "LC_MESSAGES" / f"{domain}.po"
    if not po.exists():
        return {}
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain=domain)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id
        and isinstance(m.id, str)
        and m.string
        and not m.fuzzy
        and any(path.endswith(".js") for path, _line in m.locations)
    }


# --- negotiation and the middleware -------------------------------------------------------

_QUALITY = re.compile(r"^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$", re.IGNORECASE)


def parse_accept_language(header: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, most preferred first (``q=0`` dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:50]):
        tag, *params = item.strip().split(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in params:
            match = _QUALITY.match(param)
            if match:
                quality = float(match.group(1))
        if quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _q, _p, tag in sorted(ranked)]


@functools.lru_cache(maxsize=512)
def negotiate(accept_language: str | None) -> str:
    """The best of :data:`LOCALES` for an ``Accept-Language`` header (Babel's negotiation,
    which also matches ``en-GB`` with ``en``), else the default. Cached: browsers send a few
    distinct headers, and a request pays a dict look-up for its language."""
    if not accept_language:
        return DEFAULT_LOCALE
    preferred = [tag.replace("_", "-") for tag in parse_accept_language(accept_language)]
    try:
        found = Locale.negotiate(preferred, list(LOCALES), sep="-")
    except (UnknownLocaleError, ValueError):
        found = None
    return str(found) if found is not None else DEFAULT_LOCALE


def request_locale(request: web.Request, profile: str | None = None) -> str:
    """The language of a request: the user's ``profile`` language, else the switch's cookie,
    else ``Accept-Language``, else the default."""
    return (
        normalize(profile)
        or normalize(request.cookies.get(LOCALE_COOKIE))
        or negotiate(request.headers.get("Accept-Language"))
    )


@web.middleware
async def locale_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Make the request's language current for the whole request (error answers included) and
    say it in ``Content-Language``. The auth middleware refines it with the user's profile
    (:func:`set_locale`); the value is restored when the request ends."""
    token = _current.set(request_locale(request))
    try:
        response = await handler(request)
        if not response.prepared:
            response.headers.setdefault("Content-Language", current_locale())
            vary = response.headers.get("Vary", "")
            if "accept-language" not in vary.lower():
                response.headers["Vary"] = f"{vary}, Accept-Language" if vary else "Accept-Language"
        return response
    finally:
        _current.reset(token)


def install_jinja(env: Any) -> None:
    """Give a jinja2 environment the i18n extension with these catalogs (``{% trans %}``,
    ``_()``), read at render time: a page, or a mail, comes out in the current locale."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True, pgettext=pgettext)
    env.globals["current_locale"] = current_locale
    env.globals["i18n_datos"] = page_data
    env.globals["locale_cookie"] = LOCALE_COOKIE
    env.globals["etiqueta"] = _value_label
    # Each language in its own name: someone who cannot read the current one still finds theirs.
    env.globals["idiomas"] = [("es", "Español"), ("en", "English")]


def _value_label(kind: str, value: object) -> str:
    """``etiqueta(kind, value)`` in templates: :func:`core.labels.value_label`."""
    from core import labels  # labels imports this module

    return labels.value_label(kind, str(value))


def page_data() -> dict[str, Any]:
    """What the layout hands to the pages' scripts (``core/static/i18n.js``): the language,
    the translations of the texts the scripts mark with ``t()``, and every enum's labels."""
    from core import labels  # labels imports this module

    lang = current_locale()
    return {"idioma": lang, "textos": js_catalog(lang), "etiquetas": labels.all_value_labels()}
