"""Mail templates: a subject, a plain-text part and an optional HTML part per mail (jinja2).

A mail named ``core/correo/restablecer`` is three templates beside each other:

- ``core/correo/restablecer.subject.txt``: the subject, one line (surrounding blanks stripped,
  inner runs of whitespace — newlines included — folded to one space, so no template can
  inject a header);
- ``core/correo/restablecer.txt``: the plain-text part, *not* HTML-escaped;
- ``core/correo/restablecer.html`` (optional): the HTML part, autoescaped, usually extending
  ``core/correo/base.html`` (a simple inline-styled layout: mail clients ignore style sheets,
  and this HTML is never served under the pages' Content-Security-Policy).

A mail is rendered in the language its context names under :data:`MAIL_LOCALE` (``"idioma"``:
its recipient's profile language), else in the current one; the templates mark their texts
with ``{% trans %}`` or ``_()`` (:mod:`core.i18n`), so a deferred part (rendered by the outbox
at delivery) comes out in the same language as its subject.

Templates are looked up first in ``SOPORTE_MAIL_TEMPLATES_DIR`` (when set), so a deployment
overrides any mail without code, then where every page template is found: the core's
``templates/`` and each enabled plugin's ``templates/`` folder. Every mail gets ``site_name`` and
``public_url`` in its context (the caller's values win).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web

from core import keys
from core.i18n import use_locale

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The mail templates' environment of an app: the pages' one with the override folder first
#: and autoescaping for the HTML parts only (see :func:`setup_mail_templates`).
MAIL_ENVIRONMENT: web.AppKey[jinja2.Environment] = web.AppKey(
    "soporte_mail_environment", jinja2.Environment
)


@dataclass(frozen=True)
class RenderedMail:
    """The parts of one rendered mail, ready for :class:`core.mail.Mail`."""

    subject: str
    text: str
    html: str | None


def _autoescape(template_name: str | None) -> bool:
    """HTML parts are escaped; subjects and plain-text parts are not (they are not HTML)."""
    return template_name is not None and template_name.endswith((".html", ".htm"))


def setup_mail_templates(app: web.Application, env: jinja2.Environment) -> jinja2.Environment:
    """Derive the mail environment from the pages' jinja2 environment and keep it on the app.

    An overlay shares the pages' filters, globals and extensions, but has its own loader (the
    override folder first) and its own autoescape rule. Call once in the app factory, before
    the app is frozen.
    """
    assert env.loader is not None, "the pages' environment has a loader"
    loaders: list[jinja2.BaseLoader] = []
    folder = app[keys.SETTINGS].mail_templates_dir
    if folder is not None:
        loaders.append(jinja2.FileSystemLoader(str(folder)))
    loaders.append(env.loader)
    mail_env = env.overlay(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=_autoescape,
        # Undefined names in a mail are a bug of the caller, never an empty link in a mailbox.
        undefined=jinja2.StrictUndefined,
    )
    app[MAIL_ENVIRONMENT] = mail_env
    return mail_env


def _one_line(subject: str) -> str:
    """A subject as one header line: no newline can reach the message headers."""
    return " ".join(subject.split())


#: The context key naming the language a mail is rendered in (a JSON value: it is stored with a
#: mail whose parts are rendered at delivery).
MAIL_LOCALE = "idioma"


def _locale(context: Mapping[str, Any]) -> contextlib.AbstractContextManager[Any]:
    """The language block a mail renders in: its context's, else the current one."""
    lang = context.get(MAIL_LOCALE)
    return use_locale(lang) if lang else contextlib.nullcontext()


def _values(app: web.Application, context: Mapping[str, Any]) -> dict[str, Any]:
    settings = app[keys.SETTINGS]
    return {"site_name": settings.site_name, "public_url": settings.public_url or "", **context}


def render_mail(app: web.Application, name: str, context: Mapping[str, Any]) -> RenderedMail:
    """Render the mail ``name`` (``<name>.subject.txt``, ``<name>.txt``, ``<name>.html``).

    ``context`` is given to the three templates, with ``site_name`` and ``public_url`` added
    unless it has them. The HTML part is ``None`` when no ``<name>.html`` exists anywhere.
    Raises :class:`jinja2.TemplateNotFound` when the subject or the text part is missing, and
    :class:`jinja2.UndefinedError` when a template uses a name the context lacks.
    """
    text, html = render_mail_body(app, name, context)
    return RenderedMail(subject=render_mail_subject(app, name, context), text=text, html=html)


def render_mail_subject(app: web.Application, name: str, context: Mapping[str, Any]) -> str:
    """The subject of mail ``name`` alone, on one line (:func:`render_mail`'s rules): what a
    mail queued with its parts rendered at delivery (``Mail.template``) is stored with."""
    with _locale(context):
        subject = (
            app[MAIL_ENVIRONMENT].get_template(f"{name}.subject.txt").render(_values(app, context))
        )
    return _one_line(subject)


def render_mail_body(
    app: web.Application, name: str, context: Mapping[str, Any]
) -> tuple[str, str | None]:
    """The text part and the HTML part (``None`` without ``<name>.html``) of mail ``name``."""
    env = app[MAIL_ENVIRONMENT]
    values = _values(app, context)
    with _locale(context):
        text = env.get_template(f"{name}.txt").render(values)
        try:
            html_template = env.get_template(f"{name}.html")
        except jinja2.TemplateNotFound:
            return text, None
        return text, html_template.render(values)
