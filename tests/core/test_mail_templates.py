"""Mail templates (``core/mail_templates.py``): subject, text and HTML parts through the app's
jinja2 templates, the override folder first, HTML autoescaped and plain text left alone."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import jinja2
import pytest

from core.mail_templates import render_mail

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiohttp import web

PELIGRO = '<script>alert("x")</script> & <b>'


class Correos:
    """An ad-hoc plugin whose ``templates/`` folder holds one mail, ``correos/saludo``."""

    name = "correos"
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, carpeta: Path, *, html: bool = True) -> None:
        # Templates are found beside the plugin's module file, as for pages.
        self.__file__ = str(carpeta / "plugin.py")
        plantillas = carpeta / "templates" / "correos"
        plantillas.mkdir(parents=True, exist_ok=True)
        (plantillas / "saludo.subject.txt").write_text(
            "\n  Hola {{ nombre }}\n  desde {{ site_name }}  \n"
        )
        (plantillas / "saludo.txt").write_text("Hola {{ nombre }}: {{ public_url }}/x/\n")
        if html:
            (plantillas / "saludo.html").write_text(
                '{% extends "core/correo/base.html" %}'
                "{% block content %}<p>Hola {{ nombre }}</p>{% endblock %}"
            )


@pytest.fixture
def app_con(
    make_app: Callable[..., web.Application], tmp_path: Path
) -> Callable[..., web.Application]:
    """An app (no built-in plugin) with the ``correos`` plugin and settings overrides."""

    def build(*, html: bool = True, **settings: object) -> web.Application:
        return make_app(plugins=[], extra=[Correos(tmp_path / "plugin", html=html)], **settings)

    return build


def test_parts_rendered_with_the_common_context(app_con: Callable[..., web.Application]) -> None:
    """The subject is one stripped line; the HTML extends the layout with the site's name."""
    app = app_con(site_name="Mesa de Ayuda", public_url="https://ayuda.example.test/")
    correo = render_mail(app, "correos/saludo", {"nombre": "Ana"})
    assert correo.subject == "Hola Ana desde Mesa de Ayuda"
    assert correo.text == "Hola Ana: https://ayuda.example.test/x/"
    assert correo.html is not None
    assert "<p>Hola Ana</p>" in correo.html
    assert "Mesa de Ayuda" in correo.html  # the layout's header and footer
    assert 'href="https://ayuda.example.test/"' in correo.html
    assert correo.html.lstrip().startswith("<!doctype html>")


def test_html_autoescapes_and_text_does_not(app_con: Callable[..., web.Application]) -> None:
    """Context text is escaped in the HTML part only; the plain text keeps it as written."""
    correo = render_mail(app_con(), "correos/saludo", {"nombre": PELIGRO})
    assert correo.html is not None
    assert "<script>" not in correo.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;" in correo.html
    assert PELIGRO in correo.text
    assert "&lt;" not in correo.text and "&amp;" not in correo.text
    assert PELIGRO in correo.subject  # a header, not HTML: left as written


def test_override_folder_wins(app_con: Callable[..., web.Application], tmp_path: Path) -> None:
    """A file in SOPORTE_MAIL_TEMPLATES_DIR replaces that part; the others stay the plugin's."""
    carpeta = tmp_path / "propias" / "correos"
    carpeta.mkdir(parents=True)
    (carpeta / "saludo.subject.txt").write_text("Bienvenida, {{ nombre }}")
    # The core's layout can be overridden the same way.
    (tmp_path / "propias" / "core" / "correo").mkdir(parents=True)
    (tmp_path / "propias" / "core" / "correo" / "base.html").write_text(
        "<main>{% block content %}{% endblock %}</main>"
    )
    app = app_con(mail_templates_dir=tmp_path / "propias")
    correo = render_mail(app, "correos/saludo", {"nombre": "Ana"})
    assert correo.subject == "Bienvenida, Ana"
    assert correo.text == "Hola Ana: /x/"
    assert correo.html == "<main><p>Hola Ana</p></main>"


def test_without_html_template_the_mail_is_text_only(
    app_con: Callable[..., web.Application],
) -> None:
    """No ``.html`` anywhere: a plain-text mail."""
    correo = render_mail(app_con(html=False), "correos/saludo", {"nombre": "Ana"})
    assert correo.html is None
    assert correo.text.startswith("Hola Ana")


def test_a_name_missing_from_the_context_is_an_error(
    app_con: Callable[..., web.Application],
) -> None:
    """A template using a name the mail lacks fails, instead of mailing an empty value."""
    with pytest.raises(jinja2.UndefinedError):
        render_mail(app_con(), "correos/saludo", {})
    with pytest.raises(jinja2.TemplateNotFound):
        render_mail(app_con(), "correos/no-existe", {"nombre": "Ana"})


def test_pages_keep_their_own_escaping(app_con: Callable[..., web.Application]) -> None:
    """The mail environment is an overlay: the pages' environment still escapes everything."""
    import aiohttp_jinja2

    app = app_con()
    pagina = aiohttp_jinja2.get_env(app).from_string("{{ x }}").render(x="<b>")
    assert pagina == "&lt;b&gt;"
