"""Reading e-mail (``plugins.correo.analisis``): the corpus, each rule on its own, and a fuzz.

Pure functions: no application, no database. The corpus (``corpus/*.eml``, described in
``corpus/README.md``) is shaped like what real clients send; each message's test asserts the
fields that matter for it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.correo.analisis import AdjuntoCorreo, Analizado, MensajeIlegible, analizar
from plugins.correo.citas import texto_nuevo
from plugins.correo.html_texto import html_a_texto

CORPUS = Path(__file__).parent / "corpus"


def corpus(nombre: str) -> Analizado:
    """The analysis of one corpus message."""
    return analizar((CORPUS / nombre).read_bytes())


def mensaje(cabeceras: str = "", cuerpo: str = "Hola", de: str = "Ana <ana@cliente.test>") -> bytes:
    """A small message: From, To, Subject, then ``cabeceras`` (lines ending in \\n)."""
    return (
        f"From: {de}\nTo: soporte@example.com\nSubject: Ayuda\n{cabeceras}\n{cuerpo}\n"
    ).encode()


def adjuntos(a: Analizado) -> list[tuple[str, str, int, bool, str | None]]:
    """(name, type, size, inline, content id) of each attachment."""
    return [(x.nombre, x.tipo, len(x.contenido), x.en_linea, x.content_id) for x in a.adjuntos]


# -- the corpus ---------------------------------------------------------------------------


def test_corpus_is_described_in_its_readme() -> None:
    leeme = (CORPUS / "README.md").read_text()
    for fichero in sorted(CORPUS.glob("*.eml")):
        assert f"`{fichero.name}`" in leeme, fichero.name


def test_gmail_reply_in_spanish_drops_the_wrapped_escribio_quote() -> None:
    a = corpus("01-gmail-respuesta.eml")
    assert a.message_id == "<CAH8yq7Lz0demo+RespuestaGmail@mail.gmail.com>"
    assert a.in_reply_to == a.references == ("<CAF3x9kQ1c2Vd0example@mail.gmail.com>",)
    assert (a.remitente, a.remitente_nombre) == ("lucia.ferrer.demo@gmail.com", "Lucía Ferrer")
    assert a.destinatarios == ("soporte@example.com", "jorge.munoz@example.org")
    assert a.asunto == "Re: No puedo acceder al portal de clientes"
    assert "> ¿Puede probar a borrar la caché del navegador?" in a.texto  # text/plain, not HTML
    assert a.texto_nuevo == (
        "Hola,\n\nHe probado a borrar la caché del navegador y sigue igual: al entrar me\n"
        "devuelve a la pantalla de inicio de sesión.\n\nUn saludo,\nLucía"
    )
    # The topmost Authentication-Results (our MX's), not the relay's one below it.
    assert a.autenticacion == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}
    assert a.fecha == datetime(2026, 12, 1, 10, 13, 51, tzinfo=UTC)
    assert a.automatico is None and a.adjuntos == ()


def test_outlook_reply_windows_1252_drops_the_de_enviado_block() -> None:
    a = corpus("02-outlook-respuesta.eml")
    assert (a.remitente, a.remitente_nombre) == (
        "carlos.perez@construcciones-demo.example",
        "Carlos Pérez",
    )
    assert a.destinatarios == ("soporte+tk-000457-k3j9x2@example.com",)
    assert a.references == (
        "<20261201090000.1.aviso@example.com>",
        "<TK-000457.9f3c2a1b@example.com>",
    )
    assert "1.250 €" in a.texto and "España" in a.texto  # cp1252's 0x80 is the euro sign
    assert a.texto_nuevo.startswith("Buenos días:\n\nEl error sigue apareciendo")
    assert a.texto_nuevo.endswith("Jefe de Administración | Construcciones Demo S.L.")
    assert "De: Soporte" not in a.texto_nuevo and "____" not in a.texto_nuevo
    assert a.fecha == datetime(2026, 12, 1, 9, 31, 5, tzinfo=UTC)
    assert a.automatico is None


def test_apple_mail_reply_drops_quote_and_iphone_footer() -> None:
    a = corpus("03-apple-mail-respuesta.eml")
    assert a.message_id == "<8C2E7F1A-3B4D-4E5F-9A0B-DEMO12345678@icloud.example>"
    assert a.texto_nuevo == "Sí, es en la oficina de Valencia, segunda planta."
    assert "\ufeff" not in a.texto  # the stray byte-order mark Apple Mail leaves in quotes
    assert a.automatico is None


def test_html_only_message_becomes_text_without_script_or_style() -> None:
    a = corpus("04-solo-html.eml")
    assert a.texto == (
        "Pedido 8841\n\nHola, hice el pedido el 28 de noviembre y todavía no ha llegado.\n\n"
        "Lo que pedí:\n\n- Silla de oficina\n- Lámpara de escritorio\n\n"
        "El seguimiento está en esta página "
        "(https://envios.example/seguimiento?id=8841&ref=web).\nGracias."
    )
    for fuga in ("robar-cookies", "font-family", "Nuevo mensaje", "marco", "<", "alert"):
        assert fuga not in a.texto
    assert a.texto_nuevo == a.texto
    assert a.remitente == "formulario@tienda-demo.example"


def test_iso_8859_1_body_and_encoded_word_subject() -> None:
    a = corpus("05-iso-8859-1.eml")
    assert a.asunto == "Contraseña caducada y acceso bloqueado"
    assert a.remitente_nombre == "Inés Navarro"
    assert a.texto.startswith("Buenos días,\n\nMi contraseña ha caducado y ahora la cuenta está")
    assert a.texto.endswith("miércoles.\n\nGracias,\nInés")


def test_pdf_attachment_and_inline_image_with_content_id() -> None:
    a = corpus("06-adjuntos.eml")
    assert a.texto == "Os adjunto la factura en PDF y una captura del error."
    assert adjuntos(a) == [
        ("captura.png", "image/png", 70, True, "captura.001@empresa-demo.example"),
        ("factura diciembre € nº 12.pdf", "application/pdf", 125, False, None),
    ]
    assert a.adjuntos[0].contenido.startswith(b"\x89PNG\r\n\x1a\n")
    assert a.adjuntos[1].contenido.startswith(b"%PDF-1.4") and b"%%EOF" in a.adjuntos[1].contenido


def test_calendar_invite_is_an_ics_attachment_and_its_text_stays() -> None:
    a = corpus("07-invitacion.eml")
    assert a.texto == (
        "Revisión de la migración\njueves, 10 de diciembre de 2026 · 10:00 – 11:00\nSala 2"
    )
    assert adjuntos(a) == [("invitacion.ics", "text/calendar", 657, False, None)]
    assert a.adjuntos[0].contenido.startswith(b"BEGIN:VCALENDAR")


def test_bounce_dsn_from_mailer_daemon() -> None:
    a = corpus("08-rebote-dsn.eml")
    assert a.automatico == "informe-entrega"
    assert a.remitente == "mailer-daemon@mx.example.com"
    assert "550 5.1.1 User unknown" in a.texto
    assert adjuntos(a) == [
        ("informe-entrega.txt", "message/delivery-status", 261, False, None),
        ("[TK-000321] Hemos recibido su solicitud.eml", "message/rfc822", 286, False, None),
    ]
    # The bounced message is attached whole, and is never read as our own body.
    original = analizar(a.adjuntos[1].contenido)
    assert original.message_id == "<20261201100000.3.aviso@example.com>"
    assert "Hemos recibido su solicitud." not in a.texto


def test_out_of_office_auto_reply() -> None:
    a = corpus("09-fuera-oficina.eml")
    assert a.automatico == "auto-submitted"
    assert a.in_reply_to == ("<20261201100000.1.aviso@example.com>",)


def test_microsoft_oof() -> None:
    a = corpus("10-outlook-oof.eml")
    assert a.automatico == "x-autoreply"
    assert a.asunto == "Respuesta automática: [TK-000124] Hemos recibido su solicitud"
    assert a.texto == "Estaré de vacaciones hasta el 15 de diciembre."


def test_mailing_list_message() -> None:
    a = corpus("11-lista-correo.eml")
    assert a.automatico == "precedence"
    assert a.destinatarios == ("usuarios@lista-demo.example", "soporte@example.com")


def test_message_without_message_id() -> None:
    a = corpus("12-sin-message-id.eml")
    assert a.message_id is None
    assert (a.remitente, a.remitente_nombre) == ("antonio.vidal@pyme-demo.example", "")
    assert a.destinatarios == ("soporte@example.com",)
    assert a.fecha == datetime(2026, 12, 2, 10, 10, 10, tzinfo=UTC)  # "-0000": UTC
    assert a.texto == "La impresora de recepción no imprime desde esta mañana."


def test_broken_message_recovers_what_can_be_read() -> None:
    a = corpus("13-roto.eml")
    assert a.remitente == "roto@remitente-demo.example"
    assert a.remitente_nombre == "Roto José"  # unknown charset: read as utf-8/cp1252
    assert a.asunto == "Factura pendiente =?utf-8?q?_sin_cerrar"  # unterminated word kept
    assert a.references == ("<bueno@remitente-demo.example>",)
    assert a.fecha is None
    assert a.texto == "El pago de la factura 77 no aparece. Importe: 30 euros y el código =ZZ roto."
    # Truncated multipart, bad base64 line: the attachment keeps the bytes that decode.
    assert [(x.nombre, x.tipo) for x in a.adjuntos] == [("justificante.pdf", "application/pdf")]
    assert a.adjuntos[0].contenido.startswith(b"%PDF-1.4")


def test_reply_to_a_soporte_notification() -> None:
    a = corpus("14-respuesta-notificacion.eml")
    assert a.message_id == "<respuesta-14@example.org>"
    assert a.in_reply_to == ("<20261201100000.9f8e7d6c.aviso@example.com>",)
    assert a.references == (
        "<TK-000123.abcd1234ef567890abcd1234ef567890@example.com>",
        "<20261201100000.9f8e7d6c.aviso@example.com>",
    )
    assert a.remitente == "ana.torres@example.org"
    assert a.destinatarios == ("soporte+tk-000123-a1b2c3d4e5@example.com",)
    assert a.texto_nuevo == "Gracias, ya funciona después de reiniciar el router."
    assert a.autenticacion == {"spf": "softfail", "dkim": "none", "dmarc": "fail"}


def test_outlook_web_html_reply_drops_the_header_block() -> None:
    a = corpus("15-outlook-web-html.eml")
    assert a.texto_nuevo == "Ya me conecto, pero va muy lento desde casa."
    assert "¿Puede probar de nuevo?" in a.texto


def test_forwarded_message_is_kept_in_the_new_text() -> None:
    a = corpus("16-reenvio.eml")
    assert a.texto_nuevo.startswith("Os reenvío lo que me ha llegado de contabilidad.")
    assert a.texto_nuevo.endswith("Desde las 10:00 no podemos abrir la carpeta compartida.")


# -- quoted history and signatures ----------------------------------------------------------


@pytest.mark.parametrize(
    ("texto", "nuevo"),
    [
        ("Vale.\n\nEl lun, 1 dic 2026 a las 10:00, Ana <a@b.test> escribió:\n> x\n", "Vale."),
        ("Thanks.\n\nOn Mon, Dec 1, 2026 at 10:00 AM Ana <a@b.test> wrote:\n> x\n", "Thanks."),
        ("Hecho.\n\n-----Original Message-----\nFrom: A\nSent: Monday\nTo: B\n\nx\n", "Hecho."),
        ("Sí.\n\nDe: Soporte <s@x.test>\nEnviado el: lunes\nPara: Ana\nAsunto: x\n\nx", "Sí."),
        ("Ok.\n\nFrom: Support <s@x.test>\nSent: Monday\nTo: Ana\nSubject: x\n\nx", "Ok."),
        ("Ya va.\n\n-- \nAna\nTel. 600\n", "Ya va."),
        ("Ya va.\n\nEnviado desde mi iPhone\n", "Ya va."),
        ("Ya va.\n\nSent from my Galaxy\n", "Ya va."),
        ("Ya va.\n\nObtener Outlook para Android\n", "Ya va."),
        ("Respuesta.\n\n> cita sin cabecera\n> final\n", "Respuesta."),
        # Not cut: a sign-off followed by more text, inline answers between quotes.
        ("Gracias, pero además\nel portátil no arranca.\n", None),
        ("> ¿Versión?\n3.2\n> ¿Sistema?\nWindows", None),
    ],
)
def test_texto_nuevo(texto: str, nuevo: str | None) -> None:
    assert texto_nuevo(texto) == (texto.strip() if nuevo is None else nuevo)


def test_texto_nuevo_falls_back_to_the_whole_text() -> None:
    todo_citado = "El lun, 1 dic 2026, Ana <a@b.test> escribió:\n> solo la cita\n"
    assert texto_nuevo(todo_citado) == todo_citado
    assert analizar(mensaje(cuerpo=todo_citado)).texto_nuevo == todo_citado.strip()


# -- HTML to text ---------------------------------------------------------------------------


def test_html_a_texto_structure() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<!--[if mso]><xml>oculto</xml><![endif]--><script>alert(1)</script>"
        "<p>Uno<br>dos</p><div>tres</div><div><br></div><div>cuatro</div>"
        "<ol><li>a</li><li>b<ul><li>b.1</li></ul></li></ol>"
        '<p><a href="https://x.test/a">enlace</a> <a href="mailto:ana@x.test">ana@x.test</a> '
        '<a href="javascript:alert(1)">malo</a> <a href="https://x.test/b">https://x.test/b</a></p>'
        "<blockquote>citado<br>sigue</blockquote><pre>  a\n   b</pre>"
        "<table><tr><td>c1</td><td>c2</td></tr></table>Caf&eacute; &lt;b&gt;</body></html>"
    )
    assert html_a_texto(html) == (
        "Uno\ndos\n\ntres\n\ncuatro\n\n1. a\n2. b\n  - b.1\n\n"
        "enlace (https://x.test/a) ana@x.test malo https://x.test/b\n\n"
        "> citado\n> sigue\n\n  a\n   b\n\nc1  c2\nCafé <b>"
    )


# -- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cabeceras", "esperado"),
    [
        ("Message-ID: <a@b.test>\n", ("<a@b.test>", (), ())),
        ("Message-ID:   a@b.test  \n", ("<a@b.test>", (), ())),  # no brackets
        ("Message-ID: basura sin arroba\n", (None, (), ())),
        ("Message-ID: <>\n", (None, (), ())),
        (
            "In-Reply-To: <x@b.test> (comentario)\n"
            "References: <r1@b.test>\n <r2@b.test>,<r1@b.test>\n",
            (None, ("<x@b.test>",), ("<r1@b.test>", "<r2@b.test>")),
        ),
        ("References: r1@b.test r2@b.test\n", (None, (), ("<r1@b.test>", "<r2@b.test>"))),
        ("References: ((( <<< >>>\n", (None, (), ())),
    ],
)
def test_message_ids(cabeceras: str, esperado: tuple[object, ...]) -> None:
    a = analizar(mensaje(cabeceras))
    assert (a.message_id, a.in_reply_to, a.references) == esperado


def test_addresses_lower_cased_and_invalid_ones_tolerated() -> None:
    a = analizar(
        mensaje(
            "Cc: roto@@, Luis <LUIS@X.test>, sin-arroba\nDelivered-To: Soporte@Example.com\n"
            "X-Original-To: ayuda@example.com\n",
            de='"Pérez, Juan" <Juan.Perez@X.test>',
        )
    )
    assert (a.remitente, a.remitente_nombre) == ("juan.perez@x.test", "Pérez, Juan")
    assert a.destinatarios == ("soporte@example.com", "luis@x.test", "ayuda@example.com")
    encoded = analizar(mensaje(de="=?utf-8?q?P=C3=A9rez=2C_Juan?= <j@x.test>"))
    assert (encoded.remitente, encoded.remitente_nombre) == ("j@x.test", "Pérez, Juan")
    assert analizar(mensaje(de="nadie")).remitente == ""


def test_raw_8bit_headers_are_decoded() -> None:
    crudo = "From: José <j@x.test>\nSubject: Año nuevo\n\nx".encode()
    a = analizar(crudo)
    assert (a.remitente_nombre, a.asunto) == ("José", "Año nuevo")
    latin = "From: José <j@x.test>\nSubject: Año nuevo\n\nx".encode("latin-1")
    assert analizar(latin).asunto == "Año nuevo"


@pytest.mark.parametrize(
    ("fecha", "esperada"),
    [
        (
            "Mon, 1 Dec 2026 10:00:00 +0100",
            datetime(2026, 12, 1, 10, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("Mon, 1 Dec 2026 10:00:00 -0000", datetime(2026, 12, 1, 10, tzinfo=UTC)),
        ("ayer", None),
        ("Mon, 99 Foo 2026 99:99:99 +9999", None),
    ],
)
def test_date(fecha: str, esperada: datetime | None) -> None:
    a = analizar(mensaje(f"Date: {fecha}\n"))
    assert a.fecha == esperada
    assert a.fecha is None or a.fecha.tzinfo is not None


def test_authentication_results() -> None:
    a = analizar(
        mensaje(
            "Authentication-Results: mx.example.com (our mx); dkim=fail (bad sig) header.d=x;\n"
            " dkim=pass header.d=y; spf=neutral smtp.mailfrom=x; dmarc=none; arc=pass\n"
            "Authentication-Results: other.example; spf=pass; dmarc=pass\n"
        )
    )
    assert a.autenticacion == {"dkim": "fail", "spf": "neutral", "dmarc": "none"}
    assert analizar(mensaje("Authentication-Results: mx.example.com; none\n")).autenticacion == {}
    assert analizar(mensaje()).autenticacion == {}


# -- loop signals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cabeceras", "de", "motivo"),
    [
        ("", "Ana <ana@cliente.test>", None),
        ("Auto-Submitted: no\n", "ana@cliente.test", None),
        ("Auto-Submitted: auto-generated\n", "ana@cliente.test", "auto-submitted"),
        ("Auto-Submitted: Auto-Replied; owner-email=x@y\n", "ana@cliente.test", "auto-submitted"),
        ("Precedence: bulk\n", "ana@cliente.test", "precedence"),
        ("Precedence: JUNK\n", "ana@cliente.test", "precedence"),
        ("Precedence: list\n", "ana@cliente.test", "precedence"),
        ("Precedence: first-class\n", "ana@cliente.test", None),
        ("List-Id: <l.example>\n", "ana@cliente.test", "precedence"),
        ("List-Unsubscribe: <mailto:u@crm.test>\n", "ana@cliente.test", None),
        ("X-Autoreply: yes\n", "ana@cliente.test", "x-autoreply"),
        ("X-Autorespond: Vacaciones\n", "ana@cliente.test", "x-autoreply"),
        ("X-Auto-Response-Suppress: All\n", "ana@cliente.test", "x-autoreply"),
        ("X-Auto-Response-Suppress: DR, OOF, AutoReply\n", "ana@cliente.test", "x-autoreply"),
        ("X-Auto-Response-Suppress: DR, RN, NRN\n", "ana@cliente.test", None),
        ("", "MAILER-DAEMON@mx.test", "remitente-sistema"),
        ("", "postmaster@x.test", "remitente-sistema"),
        ("", "No-Reply <no-reply@x.test>", "remitente-sistema"),
        ("", "noreply@x.test", "remitente-sistema"),
        ("", "do-not-reply@x.test", "remitente-sistema"),
        ("", "bounces+12345-abc@mail.x.test", "remitente-sistema"),
        ("", "bounce@x.test", "remitente-sistema"),
        ("", "noelia@x.test", None),
        ("Return-Path: <>\n", "ana@cliente.test", "remitente-sistema"),
        ("Return-Path: <ana@cliente.test>\n", "ana@cliente.test", None),
        (
            'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\n',
            "ana@cliente.test",
            "informe-entrega",
        ),
    ],
)
def test_automatico(cabeceras: str, de: str, motivo: str | None) -> None:
    assert analizar(mensaje(cabeceras, de=de)).automatico == motivo


# -- charsets and MIME ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "cuerpo", "texto"),
    [
        ("iso-8859-1", "Precio: 10 \x80".encode("latin-1"), "Precio: 10 €"),  # really cp1252
        ("windows-1252", "Año".encode("cp1252"), "Año"),
        ("utf-8", "Año".encode("latin-1"), "Año"),  # mislabelled
        ("no-existe", "Año".encode(), "Año"),
        ("base64", b"Hola", "Hola"),  # a codec that is not a text encoding
        ("unicode_escape", b"C:\\new", "C:\\new"),
        ("utf-8", b"nul\x00 aqui", "nul aqui"),
    ],
)
def test_body_charsets(charset: str, cuerpo: bytes, texto: str) -> None:
    crudo = (
        b'From: a@x.test\nSubject: x\nContent-Type: text/plain; charset="'
        + charset.encode()
        + b'"\nContent-Transfer-Encoding: 8bit\n\n'
        + cuerpo
    )
    assert analizar(crudo).texto == texto


def test_attachment_names() -> None:
    crudo = b"""From: a@x.test
Subject: nombres
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

cuerpo
--b
Content-Type: application/pdf; name="=?utf-8?b?ZmFjdHVyYSDDsS5wZGY=?="
Content-Disposition: attachment; filename="=?utf-8?b?ZmFjdHVyYSDDsS5wZGY=?="

x
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="../../etc/passwd"

x
--b
Content-Type: image/jpeg
Content-Transfer-Encoding: base64

/9j/4AAQ
--b
Content-Type: text/plain; name="notas.txt"

texto adjunto
--b
Content-Type: message/rfc822

Subject: =?utf-8?q?Petici=C3=B3n?=
From: b@x.test

adjunto
--b
Content-Type: message/rfc822

From: b@x.test

sin asunto
--b--
"""
    a = analizar(crudo)
    assert a.texto == "cuerpo"
    assert [(x.nombre, x.tipo) for x in a.adjuntos] == [
        ("factura ñ.pdf", "application/pdf"),
        ("passwd", "application/octet-stream"),
        ("imagen.jpg", "image/jpeg"),
        ("notas.txt", "text/plain"),
        ("Petición.eml", "message/rfc822"),
        ("mensaje.eml", "message/rfc822"),
    ]
    assert a.adjuntos[3].contenido == b"texto adjunto"
    assert analizar(a.adjuntos[4].contenido).asunto == "Petición"


def test_calendar_only_invite_keeps_its_text() -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Revisión\r\nDTSTART:20261210T090000Z\r\n"
        "LOCATION:Sala 2\r\nDESCRIPTION:Traed la lista\\, por\r\n  favor.\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    crudo = (
        "From: a@x.test\nSubject: Invitación\nContent-Type: text/calendar; method=REQUEST; "
        "charset=utf-8\n\n" + ics
    ).encode()
    a = analizar(crudo)
    assert (
        a.texto == "Revisión\nCuándo: 20261210T090000Z\nDónde: Sala 2\nTraed la lista, por favor."
    )
    assert [(x.nombre, x.tipo) for x in a.adjuntos] == [("invitacion.ics", "text/calendar")]


def test_multipart_alternative_prefers_plain_and_html_only_parts_are_converted() -> None:
    crudo = b"""From: a@x.test
Subject: x
Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/html

<p>version <b>html</b></p>
--b
Content-Type: text/plain

version plana
--b--
"""
    assert analizar(crudo).texto == "version plana"
    solo_html = crudo.replace(b"Content-Type: text/plain\n\nversion plana\n", b"")
    assert analizar(solo_html).texto == "version html"


def test_missing_boundary_and_deep_nesting_are_read() -> None:
    sin_limite = b"From: a@x.test\nSubject: x\nContent-Type: multipart/mixed\n\nel texto sigue\n"
    assert analizar(sin_limite).texto == "el texto sigue"
    profundo = b"From: a@x.test\nSubject: hondo\n"
    for n in range(200):
        profundo += b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (n, n)
    profundo += b"Content-Type: text/plain\n\nal fondo\n"
    a = analizar(profundo)  # no RecursionError: the walk stops at a sane depth
    assert a.asunto == "hondo" and a.texto == ""


@pytest.mark.parametrize(
    "crudo", [b"", b" \r\n\t", b"\x00\x01\x02\xff\xfe" * 50, b"no es un correo\n", b"abc: def\n\n"]
)
def test_unreadable_bytes(crudo: bytes) -> None:
    with pytest.raises(MensajeIlegible):
        analizar(crudo)


def test_dataclasses_are_frozen() -> None:
    a = analizar(mensaje())
    with pytest.raises(AttributeError):
        a.asunto = "otro"  # type: ignore[misc]
    assert isinstance(AdjuntoCorreo("a", "b", b"", False, None), AdjuntoCorreo)


# -- fuzz -----------------------------------------------------------------------------------


def _analizar_o_ilegible(crudo: bytes) -> None:
    try:
        a = analizar(crudo)
    except MensajeIlegible:
        return
    for campo in (a.asunto, a.texto, a.texto_nuevo, a.remitente, a.remitente_nombre):
        assert "\x00" not in campo
        campo.encode("utf-8")  # storable: no lone surrogates


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_arbitrary_bytes(crudo: bytes) -> None:
    _analizar_o_ilegible(crudo)


_MUESTRAS = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_MUESTRAS) - 1), st.integers(0, 2**32 - 1), st.integers(1, 20))
def test_fuzz_mutated_corpus(indice: int, semilla: int, cambios: int) -> None:
    datos = bytearray(_MUESTRAS[indice])
    azar = random.Random(semilla)
    trozos = [b"\n", b"--", b"=?", b"?=", b"=", b"<", b">", b";", b'"', b"\r\n\r\n", b"\xff"]
    for _ in range(cambios):
        pos = azar.randrange(len(datos) + 1)
        accion = azar.randrange(4)
        if accion == 0 and datos:
            datos[min(pos, len(datos) - 1)] = azar.randrange(256)
        elif accion == 1:
            datos[pos:pos] = azar.choice(trozos)
        elif accion == 2:
            del datos[pos : pos + azar.randrange(1, 50)]
        else:
            del datos[pos:]  # truncation
    _analizar_o_ilegible(bytes(datos))
