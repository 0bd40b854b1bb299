"""The e-mail of a notification: rendered from the type's templates, threaded per ticket.

Templates: ``notificaciones/correo/<tipo>.subject.txt``, ``.txt`` and ``.html`` (this plugin's
``templates/`` folder; ``SOPORTE_MAIL_TEMPLATES_DIR`` or a later plugin may override any of
them, see :mod:`core.mail_templates`). Context: ``nombre`` (the recipient), ``numero``,
``titulo``, ``mensaje``, ``enlace`` (the absolute link), ``preferencias_url``, plus the type's
own values (``asunto``, ``autor``, ``respuesta``, ``estado_texto``, ``valorar``…).

Headers: a fresh ``Message-ID``; ``In-Reply-To`` and ``References`` name a stable root id per
ticket, ``<TK-000123.<hash>@domain>`` (derived, not stored: every mail of the ticket
references the same root, so clients thread them; a ticket opened or answered by e-mail adds
the ids of the hook ``mail_thread_references``, see :func:`encolar`); ``Reply-To`` the
ticket's signed address (:mod:`core.reply_address`); ``Auto-Submitted: auto-generated``;
``List-Unsubscribe`` the preferences page (only with ``SOPORTE_PUBLIC_URL`` set: it must be an
absolute URL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from core.i18n import DEFAULT_LOCALE, N_, current_locale, use_locale
from core.keys import PLUGINS, SETTINGS
from core.mail import Mail, queue_mail
from core.mail_templates import MAIL_LOCALE, render_mail, render_mail_subject
from core.reply_address import from_parts, reply_address, thread_root
from plugins.notificaciones.textos import Etiqueta, Texto, render

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aiohttp import web

    from plugins.notificaciones.service import Aviso, Escrita

#: The portal's preferences page (the pages plugin serves it), as ``List-Unsubscribe`` names it.
PREFERENCIAS: Final = "/notificaciones/preferencias/"


def plantilla(tipo: str) -> str:
    """The template name of a type's mail."""
    return f"notificaciones/correo/{tipo}"


def raiz_hilo(app: web.Application, numero: str) -> str:
    """The stable root Message-ID of ticket (or case) ``numero``'s thread
    (:func:`core.reply_address.thread_root`)."""
    return thread_root(app, numero)


def contexto(app: web.Application, escrita: Escrita) -> dict[str, Any]:
    """What the templates of ``escrita``'s type receive: plain JSON values (the outbox keeps
    them), its texts (the title, the message, a value like "una nota interna") rendered in the
    recipient's language."""
    publica = (app[SETTINGS].public_url or "").rstrip("/")
    aviso = escrita.aviso
    # The recipient's language (core.mail_templates renders the mail in it), never the
    # language of whoever caused the notification.
    idioma = escrita.persona.idioma or DEFAULT_LOCALE
    with use_locale(idioma):
        propios = {
            k: render(v) if isinstance(v, Texto | Etiqueta) else v
            for k, v in aviso.contexto.items()
        }
        titulo, mensaje = render(aviso.titulo), render(aviso.mensaje)
    return {
        **propios,
        "nombre": escrita.persona.nombre,
        "tipo": aviso.tipo,
        "numero": aviso.numero or aviso.contexto.get("numero_caso") or "",
        "titulo": titulo,
        "mensaje": mensaje,
        "enlace": publica + aviso.url,
        "preferencias_url": publica + PREFERENCIAS,
        MAIL_LOCALE: idioma,
    }


def cabeceras(app: web.Application, numero: str | None) -> tuple[dict[str, str], dict[str, Any]]:
    """The extra headers of a notification mail and the threading fields of :class:`Mail`."""
    publica = (app[SETTINGS].public_url or "").rstrip("/")
    extra = {"Auto-Submitted": "auto-generated"}
    if publica:
        extra["List-Unsubscribe"] = f"<{publica}{PREFERENCIAS}>"
    hilo: dict[str, Any] = {}
    if numero:
        raiz = raiz_hilo(app, numero)
        hilo = {"in_reply_to": raiz, "references": (raiz,)}
        if numero.startswith("TK-"):
            hilo["reply_to"] = reply_address(app, numero)
    return extra, hilo


def _hilo(escrita: Escrita, valores: dict[str, Any]) -> str | None:
    """The number whose thread the mail joins — none for a mail about an internal note: with
    the ticket's Reply-To and threading, an agent answering it by mail would post a *public*
    reply to the customer, quoting the note."""
    if escrita.aviso.interna:
        return None
    return valores["numero"] or None


def componer(app: web.Application, escrita: Escrita) -> Mail:
    """The mail of one notification, rendered (not queued; the preview shows it, and it is
    what :func:`encolar`'s mail becomes when the outbox sends it)."""
    valores = contexto(app, escrita)
    partes = render_mail(app, plantilla(escrita.aviso.tipo), valores)
    extra, hilo = cabeceras(app, _hilo(escrita, valores))
    return Mail(
        to=(escrita.persona.email,),
        subject=partes.subject,
        text=partes.text,
        html=partes.html,
        headers=extra,
        **hilo,
    )


async def referencias_previas(app: web.Application, aviso: Aviso) -> tuple[str, ...]:
    """The Message-IDs other plugins name for ``aviso``'s ticket (hook
    ``mail_thread_references``: the ``correo`` plugin's inbound mails), oldest first; none for
    a mail that joins no ticket's thread (:func:`_hilo`)."""
    numero = aviso.numero
    if not numero or aviso.interna:
        return ()
    return tuple(await app[PLUGINS].mail_thread_references(app, numero))


async def encolar_todas(app: web.Application, escritas: Sequence[Escrita]) -> list[str]:
    """Queue the mails of ``escritas`` — the notifications of one event and type, so one
    :class:`~plugins.notificaciones.service.Aviso` — in the current transaction; their
    Message-IDs. The hook ``mail_thread_references`` (a query of the ``correo`` plugin) is
    asked once for them all, not once per recipient."""
    if not escritas:
        return []
    previos = await referencias_previas(app, escritas[0].aviso)
    return [await encolar(app, escrita, previos) for escrita in escritas]


async def encolar(
    app: web.Application, escrita: Escrita, previos: tuple[str, ...] | None = None
) -> str:
    """Queue the mail of ``escrita`` in the current transaction (idempotent per
    notification); its Message-ID.

    Only the subject is rendered here (the outbox lists it); the text and HTML parts are
    rendered by the outbox worker when it sends the mail (``Mail.template``), from the same
    context — the reply's transaction, which runs on every reply, renders one template
    instead of three. The headers (threading, Reply-To) are set now, as before. A ticket's
    mail also answers the Message-IDs other plugins name for it (``previos``, else
    :func:`referencias_previas`), so it threads with the customer's own message:
    ``In-Reply-To`` the last of them, ``References`` the root and them.
    """
    valores = contexto(app, escrita)
    nombre = plantilla(escrita.aviso.tipo)
    extra, hilo = cabeceras(app, _hilo(escrita, valores))
    if hilo.get("in_reply_to") is not None:
        if previos is None:
            previos = await referencias_previas(app, escrita.aviso)
        if previos:
            hilo["references"] = tuple(dict.fromkeys((*hilo["references"], *previos)))
            hilo["in_reply_to"] = previos[-1]
    correo = Mail(
        to=(escrita.persona.email,),
        subject=render_mail_subject(app, nombre, valores),
        text="",
        headers=extra,
        template=nombre,
        context=valores,
        **hilo,
    )
    return await queue_mail(correo, key=f"notificacion.{escrita.id}")


# --- the admins' preview ---------------------------------------------------------------------

#: Sample values of the preview, per type (what the listeners would put in ``contexto``); the
#: sample texts are the app's, so they read in the admin's language as the rest of the mail.
_MUESTRA_TICKET: Final = {
    "asunto": Texto(N_("No puedo completar el pago de mi reserva")),
    "prioridad": "ALTA",
    "cliente": "Ana Pérez",
    "autor": "Carla Gómez",
    "respuesta": Texto(
        N_("Hola, Ana: ya hemos liberado el cobro retenido.\nGracias por su paciencia.")
    ),
    "antes": "EN_PROGRESO",
    "estado": "RESUELTO",
    "estado_texto": Etiqueta("estado", "RESUELTO", minusculas=True),
    "valorar": True,
    "nivel": 2,
    "alerta_nivel": "ADVERTENCIA",
    "donde": Texto(N_("una nota interna")),
    "interna": True,
}
_MUESTRA_CASO: Final = {"numero_caso": "CS-000042", "urgencia": "ALTA", "estado": "RESUELTO"}


def vista_previa(app: web.Application, tipo: str) -> dict[str, Any]:
    """``{asunto, texto, html, cabeceras}`` of type ``tipo``'s mail with sample data, in the
    current language (the admin's); a :class:`KeyError` for a type without e-mail."""
    from datetime import UTC, datetime

    from core.mail import new_message_id
    from plugins.notificaciones.service import Aviso, Escrita, Persona
    from plugins.notificaciones.tipos import TIPOS

    if tipo not in TIPOS or not TIPOS[tipo].con_email:
        raise KeyError(tipo)
    es_caso = tipo.startswith("caso_")
    agente = TIPOS[tipo].rol != "CLIENTE"
    aviso = Aviso(
        tipo=tipo,
        titulo=Texto(N_("Título del aviso")),
        mensaje=Texto(N_("Texto breve del aviso, como se muestra en la campana.")),
        url=("/agente/casos/" if agente else "/casos/")
        if es_caso
        else ("/agente/tickets/123/" if agente else "/tickets/123/"),
        ticket_id=None if es_caso else 123,
        numero=None if es_caso else "TK-000123",
        contexto=_MUESTRA_CASO if es_caso else _MUESTRA_TICKET,
        # A mention may quote a note: its rule marks it so (no thread, no Reply-To).
        interna=tipo == "mencion",
    )
    persona = Persona(
        1,
        "Carla Gómez" if agente else "Ana Pérez",
        "usuario@example.com",
        agente,
        current_locale(),
    )
    correo = componer(app, Escrita(0, persona, aviso, True, True, datetime.now(UTC)))
    _, dominio = from_parts(app)
    cabeceras = {
        "To": persona.email,
        "Message-ID": new_message_id(dominio),
        **({"In-Reply-To": correo.in_reply_to} if correo.in_reply_to else {}),
        **({"References": " ".join(correo.references)} if correo.references else {}),
        **({"Reply-To": correo.reply_to} if correo.reply_to else {}),
        **correo.headers,
    }
    return {
        "asunto": correo.subject,
        "texto": correo.text,
        "html": correo.html,
        "cabeceras": cabeceras,
    }
