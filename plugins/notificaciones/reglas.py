"""Who hears what: the ``in_transaction`` listeners that turn domain events into notifications.

Each builds an :class:`~plugins.notificaciones.service.Aviso` per type and hands the recipients
to :func:`~plugins.notificaciones.service.escribir`, inside the event's transaction. The actor
of a change is never among its recipients (``ticket_recibido`` aside: it is the customer's
receipt, by e-mail only by default). The rules (docs/api.md, "Notificaciones"):

- customer: ``ticket_recibido`` (their new ticket), ``respuesta_agente`` (a *public* reply by
  someone else, :func:`es_publica`), ``estado_cambiado`` (a state change by someone else; not
  the automatic ABIERTO → EN_PROGRESO of an agent's reply, which ``respuesta_agente`` tells);
- agents: ``ticket_nuevo`` (setting ``new_ticket_recipients``), ``respuesta_cliente`` (to the
  assigned agent), ``ticket_asignado`` (to the new assignee, unless they assigned themself),
  ``ticket_escalado`` (escalamiento's level recipients, when escalamiento is enabled),
  ``mencion`` (an active agent/admin named ``@username`` in a note or a public reply written by
  staff, but its author; a customer's ``@`` names nobody);
- internal notes (``RespuestaCreada.interna``) tell nobody but the agents they mention: never
  the customer (not even the live ``ticket`` frame), nor the assigned agent;
- casos, when enabled: ``caso_nuevo`` (agents but its creator), ``caso_actualizado`` (its
  customer, unless they made the change);
- admins: ``envio_fallido`` (a dead-lettered delivery of the outbox).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from core.auth import equipos
from core.auth.models import Rol, Usuario
from core.i18n import N_
from core.outbox import EnvioFallido
from plugins.notificaciones.difusion import notificacion_frame
from plugins.notificaciones.service import Aviso, Destinatarios, Escrita, escribir, extracto
from plugins.notificaciones.textos import Etiqueta, Texto
from plugins.tickets import api as tickets
from plugins.tickets.events import RespuestaCreada, TicketActualizado, TicketCreado

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import timedelta

    from core.events import Event
    from plugins.notificaciones.difusion import Pendientes

_ROLES_AGENTE: Final = (Rol.AGENTE, Rol.ADMIN)


def es_publica(evento: RespuestaCreada) -> bool:
    """Whether the customer may read this reply — the one rule of "public replies only": every
    channel's reply but an internal note (``core.auth.guards.reply_visible``'s flag)."""
    return not evento.interna


#: ``@username`` in a text: not inside a word or an e-mail address (``ana@example.com``).
_MENCION: Final = re.compile(r"(?<![\w.@+-])@([\w.+-]{1,150})")


def mencionados(texto: str) -> tuple[str, ...]:
    """The usernames ``texto`` mentions, in order and once each; a trailing ``.``/``-`` (the
    end of a sentence) is tried both ways, since usernames may contain them."""
    nombres: dict[str, None] = {}
    for m in _MENCION.finditer(texto):
        nombre = m.group(1)
        nombres[nombre] = None
        recortado = nombre.rstrip(".-+")
        if recortado:
            nombres[recortado] = None
    return tuple(nombres)


def estado_en_frase(estado: str) -> Etiqueta:
    """How a ticket's state reads inside a sentence: its label, lower-case ("resuelto")."""
    return Etiqueta("estado", estado, minusculas=True)


def url_ticket(ticket_id: int, *, agente: bool) -> str:
    """The ticket's page in the portal (customer) or the console (agents)."""
    return f"/agente/tickets/{ticket_id}/" if agente else f"/tickets/{ticket_id}/"


def aviso_ticket(
    ticket: tickets.TicketVista, *, agente: bool, sufijo: str = "", **campos: Any
) -> Aviso:
    """An :class:`Aviso` about ``ticket``: its page in the portal or the console (plus
    ``sufijo``, an anchor), its number, and its customer as the owner the visibility rule
    checks; ``campos``: the type, title, message and template context."""
    return aviso_de(
        ticket.id, ticket.numero, ticket.cliente_id, agente=agente, sufijo=sufijo, **campos
    )


def aviso_de(
    ticket_id: int, numero: str, cliente_id: int, *, agente: bool, sufijo: str = "", **campos: Any
) -> Aviso:
    """:func:`aviso_ticket` from the ticket's id, number and customer alone (what an event
    carries, without reading the ticket)."""
    return Aviso(
        url=url_ticket(ticket_id, agente=agente) + sufijo,
        ticket_id=ticket_id,
        numero=numero,
        propietario_id=cliente_id,
        **campos,
    )


@dataclass(frozen=True, slots=True)
class DatosRespuesta:
    """What the rules need of a reply and its ticket."""

    ticket_id: int
    numero: str
    cliente_id: int
    agente_asignado_id: int | None
    asunto: str
    autor_nombre: str
    mensaje: str
    #: An internal note (staff only).
    interna: bool = False


async def datos_respuesta(evento: RespuestaCreada) -> DatosRespuesta | None:
    """From the event when it carries them (tickets' own replies do), else read (one join; ``None``
    when the reply is gone) — so that a reply costs no read of the ticket."""
    if evento.numero and evento.cliente_id is not None:
        return DatosRespuesta(
            evento.ticket_id,
            evento.numero,
            evento.cliente_id,
            evento.agente_asignado_id,
            evento.asunto,
            evento.autor_nombre,
            evento.mensaje,
            evento.interna,
        )
    par = await tickets.respuesta_con_ticket(evento.respuesta_id)
    if par is None:
        return None
    ticket, respuesta = par
    return DatosRespuesta(
        ticket.id,
        ticket.numero,
        ticket.cliente_id,
        ticket.agente_asignado_id,
        ticket.asunto,
        respuesta.autor_nombre,
        respuesta.mensaje,
        # The stored row decides too: an event built without the flag never unmasks a note.
        evento.interna or respuesta.interna,
    )


@dataclass(frozen=True, slots=True)
class DatosTicket:
    """What the rules need of a new ticket and its customer."""

    ticket_id: int
    numero: str
    cliente_id: int
    asunto: str
    #: ``BAJA``, ``MEDIA``, ``ALTA``.
    prioridad: str
    equipo_id: int | None
    #: The name others see of the customer; ``None`` when the customer is gone.
    cliente_nombre: str | None


async def datos_ticket_creado(evento: TicketCreado) -> DatosTicket | None:
    """From the event when it carries them (tickets' own creations do), else read (the ticket
    and its customer; ``None`` when the ticket is gone) — so that a new ticket costs no read
    inside its transaction."""
    if evento.numero:
        # The event's fields have the names of the ticket's (DatosTicket's are a subset).
        campos = {f: getattr(evento, f) for f in DatosTicket.__dataclass_fields__}
        return DatosTicket(**campos)
    ticket = await tickets.obtener(evento.ticket_id)
    if ticket is None:
        return None
    cliente = await Usuario.get_or_none(id=ticket.cliente_id)
    return DatosTicket(
        ticket.id,
        ticket.numero,
        ticket.cliente_id,
        ticket.asunto,
        str(ticket.prioridad),
        ticket.equipo_id,
        None if cliente is None else cliente.nombre_visible,
    )


#: Every agent (admins included): ``Destinatarios(roles=AGENTES)``.
AGENTES: Final = tuple(r.value for r in _ROLES_AGENTE)


class Reglas:
    """The listeners of one app: they write notifications and leave their frames to send."""

    def __init__(
        self,
        pendientes: Pendientes,
        *,
        coalescer: timedelta,
        nuevos_a_agentes: bool,
        correo: Callable[[list[Escrita]], Any] | None = None,
        por_equipo: bool = False,
    ) -> None:
        self.pendientes = pendientes
        self.coalescer = coalescer
        self.nuevos_a_agentes = nuevos_a_agentes
        #: ``SOPORTE_TEAM_VISIBILITY``: a new team ticket is told to its team and the admins
        #: only, as only they may see it.
        self.por_equipo = por_equipo
        self.correo = correo

    async def _escribir(self, evento: Event, aviso: Aviso, quienes: Destinatarios) -> None:
        escritas = await escribir(aviso, quienes, coalescer=self.coalescer, correo=self.correo)
        pendiente = self.pendientes.de(evento)
        pendiente.notificaciones += [
            (e.persona.id, notificacion_frame(e.frame(), e.textos)) for e in escritas if e.en_app
        ]

    # --- tickets ---------------------------------------------------------------------------------

    async def ticket_creado(self, evento: TicketCreado) -> None:
        """The customer's receipt; every agent hears of the new ticket (per the setting)."""
        self.pendientes.de(evento).cliente_id = evento.cliente_id
        datos = await datos_ticket_creado(evento)
        if datos is None:
            return
        if datos.cliente_nombre is not None:
            await self._escribir(
                evento,
                aviso_de(
                    datos.ticket_id,
                    datos.numero,
                    datos.cliente_id,
                    agente=False,
                    tipo="ticket_recibido",
                    titulo=Texto(N_("Hemos recibido su ticket {numero}"), {"numero": datos.numero}),
                    mensaje=Texto(
                        N_("«{asunto}»: le responderemos lo antes posible."),
                        {"asunto": extracto(datos.asunto)},
                    ),
                    contexto={"asunto": datos.asunto, "prioridad": datos.prioridad},
                ),
                Destinatarios(ids=(datos.cliente_id,)),
            )
        if self.nuevos_a_agentes:
            quien: str | Texto = (
                datos.cliente_nombre
                if datos.cliente_nombre is not None
                else Texto(N_("Un cliente"))
            )
            await self._escribir(
                evento,
                aviso_de(
                    datos.ticket_id,
                    datos.numero,
                    datos.cliente_id,
                    agente=True,
                    tipo="ticket_nuevo",
                    titulo=Texto(N_("Nuevo ticket {numero}"), {"numero": datos.numero}),
                    mensaje=Texto(
                        N_("{cliente}: «{asunto}» (prioridad {prioridad})."),
                        {
                            "cliente": quien,
                            "asunto": extracto(datos.asunto),
                            "prioridad": Etiqueta("prioridad", datos.prioridad),
                        },
                    ),
                    contexto={
                        "asunto": datos.asunto,
                        "prioridad": datos.prioridad,
                        "cliente": quien,
                    },
                ),
                await self._agentes_del_ticket(datos.equipo_id, excluir=(datos.cliente_id,)),
            )

    async def _agentes_del_ticket(
        self, equipo_id: int | None, excluir: tuple[int, ...]
    ) -> Destinatarios:
        """Every agent, or — with team visibility on and a ticket of a team — the team's
        members and every admin (the agents who may see the ticket)."""
        if not self.por_equipo or equipo_id is None:
            return Destinatarios(roles=AGENTES, excluir=excluir)
        ids = tuple(await equipos.miembros(equipo_id))
        return Destinatarios(ids=ids, roles=(Rol.ADMIN.value,), excluir=excluir)

    async def respuesta_creada(self, evento: RespuestaCreada) -> None:
        """A public reply by someone else tells the customer; the customer's reply tells the
        assigned agent; a note tells only the agents it mentions (as staff replies do)."""
        datos = await datos_respuesta(evento)
        if datos is None:
            return
        pendiente = self.pendientes.de(evento)
        if not datos.interna:
            # The live ``ticket`` frame to the customer too: never for a note (it would tell
            # them something happened on their ticket).
            pendiente.cliente_id = datos.cliente_id
        contexto = {"asunto": datos.asunto, "autor": datos.autor_nombre, "respuesta": datos.mensaje}
        mensaje = f"{datos.autor_nombre}: {extracto(datos.mensaje)}"
        if datos.interna or evento.autor_rol in AGENTES:  # a note is always by staff
            await self._menciones(evento, datos, contexto, mensaje)
        if datos.interna:
            return
        if evento.autor_id == datos.cliente_id:
            agente_id = datos.agente_asignado_id
            if agente_id is None or agente_id == evento.autor_id:
                return
            quienes = Destinatarios(ids=(agente_id,))
            aviso = aviso_de(
                datos.ticket_id,
                datos.numero,
                datos.cliente_id,
                agente=True,
                tipo="respuesta_cliente",
                titulo=Texto(N_("El cliente respondió en {numero}"), {"numero": datos.numero}),
                mensaje=mensaje,
                contexto=contexto,
            )
        else:
            if not es_publica(evento):
                return
            quienes = Destinatarios(ids=(datos.cliente_id,), excluir=(evento.autor_id,))
            aviso = aviso_de(
                datos.ticket_id,
                datos.numero,
                datos.cliente_id,
                agente=False,
                tipo="respuesta_agente",
                titulo=Texto(N_("Nueva respuesta en {numero}"), {"numero": datos.numero}),
                mensaje=mensaje,
                contexto=contexto,
            )
        await self._escribir(evento, aviso, quienes)

    async def _menciones(
        self,
        evento: RespuestaCreada,
        datos: DatosRespuesta,
        contexto: dict[str, Any],
        mensaje: str,
    ) -> None:
        """``mencion`` to each active agent/admin a staff reply or note names ``@username``
        (its author aside). No query unless the text has an ``@``: this runs on every reply."""
        if "@" not in datos.mensaje:
            return
        nombres = mencionados(datos.mensaje)
        if not nombres:
            return
        # tortoise types every values_list() as tuples; flat=True returns the bare ids.
        ids = cast(
            "list[int]",
            await Usuario.filter(
                username__in=list(nombres), activo=True, rol__in=list(_ROLES_AGENTE)
            ).values_list("id", flat=True),
        )
        if not ids:
            return
        donde = Texto(N_("una nota interna") if datos.interna else N_("una respuesta"))
        await self._escribir(
            evento,
            aviso_de(
                datos.ticket_id,
                datos.numero,
                datos.cliente_id,
                agente=True,
                tipo="mencion",
                titulo=Texto(
                    N_("{autor} le mencionó en {numero}"),
                    {"autor": datos.autor_nombre, "numero": datos.numero},
                ),
                mensaje=mensaje,
                contexto={**contexto, "interna": datos.interna, "donde": donde},
                interna=True,
            ),
            Destinatarios(ids=tuple(ids), excluir=(evento.autor_id,)),
        )

    async def ticket_actualizado(self, evento: TicketActualizado) -> None:
        """A state change by someone else tells the customer; an assignment tells the new
        assignee (unless they assigned themself)."""
        ticket = await tickets.obtener(evento.ticket_id)
        if ticket is None:
            return
        self.pendientes.de(evento).cliente_id = ticket.cliente_id
        actor = evento.actor_id
        estado = evento.cambios.get("estado")
        avisar_estado = (
            estado is not None
            and actor != ticket.cliente_id
            and tuple(estado) != ("ABIERTO", "EN_PROGRESO")
        )
        asignado = evento.cambios.get("agente_asignado")
        nuevo_agente = asignado[1] if asignado is not None else None
        if nuevo_agente == actor:
            nuevo_agente = None
        if not avisar_estado and nuevo_agente is None:
            return
        if estado is not None and avisar_estado:
            antes, despues = estado
            resuelto = despues == "RESUELTO"
            frase = (
                N_("Su ticket «{asunto}» está {estado}. Valore la atención recibida.")
                if resuelto
                else N_("Su ticket «{asunto}» está {estado}.")
            )
            mensaje = Texto(
                frase, {"asunto": extracto(ticket.asunto), "estado": estado_en_frase(despues)}
            )
            await self._escribir(
                evento,
                aviso_ticket(
                    ticket,
                    agente=False,
                    sufijo="#valorar" if resuelto else "",
                    tipo="estado_cambiado",
                    titulo=Texto(
                        N_("{numero}: {estado}"),
                        {"numero": ticket.numero, "estado": estado_en_frase(despues)},
                    ),
                    mensaje=mensaje,
                    contexto={
                        "asunto": ticket.asunto,
                        "antes": antes,
                        "estado": despues,
                        "estado_texto": estado_en_frase(despues),
                        "valorar": resuelto,
                    },
                ),
                Destinatarios(ids=(ticket.cliente_id,)),
            )
        if nuevo_agente is not None:
            await self._escribir(
                evento,
                aviso_ticket(
                    ticket,
                    agente=True,
                    tipo="ticket_asignado",
                    titulo=Texto(N_("Se le asignó {numero}"), {"numero": ticket.numero}),
                    mensaje=Texto(
                        N_("«{asunto}» (prioridad {prioridad})."),
                        {
                            "asunto": extracto(ticket.asunto),
                            "prioridad": Etiqueta("prioridad", str(ticket.prioridad)),
                        },
                    ),
                    contexto={"asunto": ticket.asunto, "prioridad": str(ticket.prioridad)},
                ),
                Destinatarios(ids=(int(nuevo_agente),)),
            )

    # --- escalamiento ------------------------------------------------------------------------

    async def ticket_escalado(self, evento: Any) -> None:
        """The agents the rule's level names (escalamiento's ``destinatarios_nivel``)."""
        from plugins.escalamiento.api import destinatarios_nivel

        ticket = await tickets.obtener(evento.ticket_id)
        if ticket is None:
            return
        destinatarios = await destinatarios_nivel(evento.regla_id, evento.nivel)
        quienes = Destinatarios(ids=tuple(d.id for d in destinatarios))
        await self._escribir(
            evento,
            aviso_ticket(
                ticket,
                agente=True,
                tipo="ticket_escalado",
                titulo=Texto(
                    N_("{numero} escalado a nivel {nivel}"),
                    {"numero": ticket.numero, "nivel": evento.nivel},
                ),
                mensaje=Texto(
                    N_(
                        "«{asunto}» (prioridad {prioridad}) alcanzó el nivel {nivel} "
                        "de escalamiento."
                    ),
                    {
                        "asunto": extracto(ticket.asunto),
                        "prioridad": Etiqueta("prioridad", str(ticket.prioridad)),
                        "nivel": evento.nivel,
                    },
                ),
                contexto={
                    "asunto": ticket.asunto,
                    "prioridad": str(ticket.prioridad),
                    "nivel": evento.nivel,
                    "alerta_nivel": evento.alerta_nivel,
                },
            ),
            quienes,
        )

    # --- the outbox ------------------------------------------------------------------------------

    async def envio_fallido(self, evento: EnvioFallido) -> None:
        """Every active admin, in the page only (a mail about failing mail would likely fail)."""
        await self._escribir(
            evento,
            Aviso(
                tipo="envio_fallido",
                titulo=Texto(N_("Envío fallido ({canal})"), {"canal": evento.canal}),
                mensaje=Texto(
                    N_("No se pudo entregar a {destino}: {error}"),
                    # The error is the server's own words (SMTP, HTTP): shown as it came.
                    {"destino": extracto(evento.destino, 80), "error": extracto(evento.error, 200)},
                ),
                url="/agente/",
                contexto={"envio_id": evento.envio_id},
            ),
            Destinatarios(roles=(Rol.ADMIN.value,)),
        )

    # --- casos ---------------------------------------------------------------------------------

    async def caso_creado(self, evento: Any) -> None:
        """Every active agent but the case's creator."""
        await self._escribir(
            evento,
            Aviso(
                tipo="caso_nuevo",
                titulo=Texto(N_("Nuevo caso {numero}"), {"numero": evento.numero}),
                mensaje=Texto(
                    N_("{tipo}, urgencia {urgencia}, impacto {impacto}."),
                    {
                        "tipo": Etiqueta("tipo", evento.tipo_caso),
                        "urgencia": Etiqueta("urgencia", evento.urgencia, minusculas=True),
                        "impacto": Etiqueta("impacto", evento.impacto_estimado, minusculas=True),
                    },
                ),
                url="/agente/casos/",
                propietario_id=evento.cliente_afectado_id,
                contexto={"numero_caso": evento.numero, "urgencia": evento.urgencia},
            ),
            Destinatarios(roles=AGENTES, excluir=(evento.creado_por_id,)),
        )

    async def caso_actualizado(self, evento: Any) -> None:
        """The case's customer, unless they made the change."""
        cliente_id = getattr(evento, "cliente_afectado_id", None)
        if cliente_id is None or cliente_id == evento.agente_id:
            return
        estado = Etiqueta("estado_caso", evento.estado, minusculas=True)
        urgencia = Etiqueta("urgencia", evento.urgencia, minusculas=True)
        cambio_estado = evento.estado != evento.estado_anterior
        cambio_urgencia = evento.urgencia != evento.urgencia_anterior
        if cambio_estado and cambio_urgencia:
            frase = N_("Ahora: estado {estado}, urgencia {urgencia}.")
        elif cambio_urgencia:
            frase = N_("Ahora: urgencia {urgencia}.")
        else:  # the event is published for a change of either (or both)
            frase = N_("Ahora: estado {estado}.")
        await self._escribir(
            evento,
            Aviso(
                tipo="caso_actualizado",
                titulo=Texto(N_("Su caso {numero} cambió"), {"numero": evento.numero}),
                mensaje=Texto(frase, {"estado": estado, "urgencia": urgencia}),
                url="/casos/",
                propietario_id=cliente_id,
                contexto={
                    "numero_caso": evento.numero,
                    "estado": evento.estado,
                    "urgencia": evento.urgencia,
                },
            ),
            Destinatarios(ids=(cliente_id,)),
        )
