"""Request and response models of the tickets API (they validate requests and feed OpenAPI).

The response shapes are docs/api.md's "Tickets" section: the ticket object, the detail with
``respuestas``, ``adjunto = {id, nombre, tipo, tamano, url, miniatura, vista}``. Builders at
the bottom turn the service's loaded views into these models; the caller passes how to sign
attachment URLs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.api import PageQuery
from core.api.fields import MAX_ID, Id, Timestamp
from core.auth.models import Rol
from core.storage import ArchivoOut, Links
from plugins.tickets.models import Adjunto, Canal, Categoria, Estado, Prioridad
from plugins.tickets.service import ORDENES, Filtros, RespuestaVista, TicketVista

#: How an attachment becomes its absolute, signed, expiring links (download and previews).
UrlDe = Callable[[Adjunto], Links]


# --- responses ---------------------------------------------------------------------------------


class Referencia(BaseModel):
    """A reference to a booking of the host platform: ``{id}``."""

    id: int


class UsuarioRef(BaseModel):
    """A person as a ticket shows them: ``{id, nombre}``."""

    id: int
    nombre: str


class EquipoRef(BaseModel):
    """The team of a ticket: ``{id, nombre}``."""

    id: int
    nombre: str


class AutorOut(BaseModel):
    """The author of a reply: ``{id, nombre, rol}``."""

    id: int
    nombre: str
    rol: Rol


class AdjuntoOut(ArchivoOut):
    """An attachment; ``url`` is an absolute, signed, expiring download link (``miniatura``
    and ``vista``: an image's previews)."""


class ValoracionOut(BaseModel):
    """The customer's rating of a ticket."""

    puntuacion: int
    comentario: str


#: The ticket of the document's examples (demo-like data).
_EJEMPLO_TICKET: dict[str, Any] = {
    "id": 42,
    "numero": "TK-000042",
    "asunto": "No puedo pagar mi reserva",
    "descripcion": "El pago con tarjeta falla al confirmar la reserva 48213.",
    "categoria": "PAGOS",
    "prioridad": "ALTA",
    "estado": "EN_PROGRESO",
    "fecha_creacion": "2026-06-01T09:30:00Z",
    "fecha_actualizacion": "2026-06-01T10:05:00Z",
    "reserva_relacionada": {"id": 48213},
    "cliente": {"id": 3, "nombre": "Lucía Fernández"},
    "agente_asignado": {"id": 2, "nombre": "Carla Ruiz"},
    "equipo": {"id": 1, "nombre": "Pagos"},
    "nivel_escalamiento": 0,
    "archivos_adjuntos": [
        {
            "id": 7,
            "nombre": "captura.png",
            "tipo": "image/png",
            "tamano": 48213,
            "url": "https://soporte.example.com/api/descargas/eyJrIjo…/",
        }
    ],
    "valoracion": None,
}


class TicketOut(BaseModel):
    """The ticket object of lists and of the detail."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EJEMPLO_TICKET]})

    id: int
    numero: str
    asunto: str
    descripcion: str
    categoria: Categoria
    prioridad: Prioridad
    estado: Estado
    fecha_creacion: Timestamp
    fecha_actualizacion: Timestamp
    reserva_relacionada: Referencia | None
    cliente: UsuarioRef
    agente_asignado: UsuarioRef | None
    equipo: EquipoRef | None = Field(
        description="The team the ticket is routed to (by its category when created)."
    )
    nivel_escalamiento: int
    archivos_adjuntos: list[AdjuntoOut]
    valoracion: ValoracionOut | None
    etiquetas: list[str] = Field(
        default_factory=list,
        description="Tag names sorted by key (agents; always `[]` for customers: tags are the "
        "agents' internal vocabulary).",
    )


class TicketEnLista(TicketOut):
    """A ticket of the lists (mis-tickets, tickets): the ticket object and, when searched, the
    excerpt that matched."""

    fragmento: str | None = Field(
        None,
        description=(
            "Lists searched with words in `q` only: an HTML excerpt of the matching text "
            "(subject, description or a reply the caller may see), escaped, matches in "
            "`<mark>`; `null` otherwise."
        ),
    )


class RespuestaOut(BaseModel):
    """One message of the conversation (``canal``: TICKET from /responder/, CHAT from chat)."""

    id: int
    autor: AutorOut
    mensaje: str
    fecha_creacion: Timestamp
    canal: Canal
    archivos_adjuntos: list[AdjuntoOut]
    #: An internal note (only agents are ever sent one).
    interna: bool = False


class TicketDetalle(TicketOut):
    """A ticket with its conversation, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_EJEMPLO_TICKET,
                    "respuestas": [
                        {
                            "id": 90,
                            "autor": {"id": 2, "nombre": "Carla Ruiz", "rol": "AGENTE"},
                            "mensaje": "Ya revisamos el cobro: se reintegrará en 48 horas.",
                            "fecha_creacion": "2026-06-01T10:05:00Z",
                            "canal": "TICKET",
                            "archivos_adjuntos": [],
                            "interna": False,
                        }
                    ],
                }
            ]
        }
    )

    respuestas: list[RespuestaOut]


# --- requests ----------------------------------------------------------------------------------


def _ids_de_adjuntos(value: Any) -> Any:
    """Accept ids, or the adjunto objects ``POST /adjuntos/`` returned (their ``id``)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [item.get("id", item) if isinstance(item, dict) else item for item in value]
    return value


def _texto(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class TicketIn(BaseModel):
    """A new ticket, as the guide's ``crearTicket`` sends it (JSON or form data)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "asunto": "No puedo pagar mi reserva",
                    "categoria": "PAGOS",
                    "prioridad": "ALTA",
                    "descripcion": "El pago con tarjeta falla al confirmar la reserva 48213.",
                    "reserva_relacionada": 48213,
                }
            ]
        }
    )

    asunto: str = Field(min_length=1, max_length=200)
    categoria: Categoria
    prioridad: Prioridad = Prioridad.MEDIA
    descripcion: str = Field(min_length=1, max_length=10000)
    archivos_adjuntos: list[Id] = Field(
        default_factory=list,
        max_length=100,
        description="Ids returned by `POST /api/soporte/adjuntos/` (the caller's own).",
    )
    reserva_relacionada: int | None = Field(None, ge=1, le=2**63 - 1)  # a BIGINT column

    _strip = field_validator("asunto", "descripcion", mode="before")(_texto)
    _adjuntos = field_validator("archivos_adjuntos", mode="before")(_ids_de_adjuntos)

    @field_validator("prioridad", mode="before")
    @classmethod
    def _prioridad_por_defecto(cls, value: Any) -> Any:
        # The guide sends ``prioridad: undefined``/``null`` when the form leaves it empty.
        return Prioridad.MEDIA if value is None else value


class RespuestaIn(BaseModel):
    """A reply: form data as the guide's ``responderTicket`` sends it, or JSON."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"mensaje": "Ya revisamos el cobro: se reintegrará en 48 horas.", "interna": False}
            ]
        }
    )

    mensaje: str = Field(min_length=1, max_length=10000)
    archivos_adjuntos: list[Id] = Field(default_factory=list, max_length=100)
    ultima_respuesta_id: int | None = Field(
        None,
        ge=0,
        le=MAX_ID,
        description="The newest reply the page had loaded (0: none); a newer public reply by "
        "someone else makes this a 409 unless `forzar`. Absent: nothing is checked.",
    )
    forzar: bool = Field(False, description="Send even if a newer public reply exists.")
    interna: bool = Field(
        False, description="An internal note, seen by agents only (a customer's is a 403)."
    )

    _strip = field_validator("mensaje", mode="before")(_texto)
    _adjuntos = field_validator("archivos_adjuntos", mode="before")(_ids_de_adjuntos)

    @field_validator("ultima_respuesta_id", mode="before")
    @classmethod
    def _vacio_es_ninguno(cls, value: Any) -> Any:
        # A form field sent empty (a page without the id) means "not sent".
        return None if value == "" else value


class TicketPatch(BaseModel):
    """A partial update; only the fields sent change (``agente_asignado: null`` unassigns)."""

    model_config = ConfigDict(extra="forbid")

    # The None defaults only mark a field the client did not send (``cambios`` reads
    # model_fields_set); a null that was sent fails the field's type. ``X | None`` would accept
    # it and make the OpenAPI document advertise it.
    estado: Estado = Field(None, description="A legal move of the state machine.")  # type: ignore[assignment]  # absent, never null
    prioridad: Prioridad = Field(None)  # type: ignore[assignment]  # absent, never null
    categoria: Categoria = Field(None)  # type: ignore[assignment]  # absent, never null
    agente_asignado: int | None = Field(
        None, ge=1, le=MAX_ID, description="An AGENTE/ADMIN user id."
    )
    equipo: int | None = Field(
        None, ge=1, le=MAX_ID, description="An active team's id (`null`: no team)."
    )
    etiquetas: list[str] = Field(
        None,  # type: ignore[arg-type]  # absent, never null
        max_length=100,
        description="The whole new set of tag names (agents; new names create the tag).",
    )

    def cambios(self) -> dict[str, Any]:
        """The fields the client sent, with their values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class ValorarIn(BaseModel):
    """A rating of a resolved or closed ticket."""

    puntuacion: int = Field(ge=1, le=5)
    comentario: str = Field("", max_length=5000)

    @field_validator("comentario", mode="before")
    @classmethod
    def _sin_comentario(cls, value: Any) -> Any:
        return "" if value is None else value


def _fecha(value: Any) -> Any:
    """``YYYY-MM-DD`` → a date (a whole day); anything else must be an ISO datetime."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("Fecha inválida: use AAAA-MM-DD o una fecha y hora ISO 8601.") from None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MisTicketsQuery(PageQuery):
    """Filters of a customer's own list (empty values mean "no filter")."""

    estado: Estado | None = None
    categoria: Categoria | None = None
    prioridad: Prioridad | None = None
    fecha_desde: date | datetime | None = Field(
        None, description="Created on or after: a day `YYYY-MM-DD` (UTC) or an ISO datetime."
    )
    fecha_hasta: date | datetime | None = Field(
        None, description="Created on or before: a day `YYYY-MM-DD` (inclusive) or a datetime."
    )
    q: str | None = Field(
        None,
        max_length=200,
        description=(
            "Search: words (full text of subject, description, replies; internal notes for "
            "agents) and qualifiers `estado:`, `prioridad:`, `categoria:`, `#TK-000123` "
            "(agents also `cliente:`, `equipo:`, `etiqueta:`). Ranked unless `ordering`."
        ),
    )

    _fechas = field_validator("fecha_desde", "fecha_hasta", mode="before")(_fecha)

    def filtros(self) -> Filtros:
        """The service's filters: days become half-open UTC ranges."""
        desde = hasta = None
        if isinstance(self.fecha_desde, datetime):
            desde = _utc(self.fecha_desde)
        elif isinstance(self.fecha_desde, date):
            desde = datetime.combine(self.fecha_desde, time.min, UTC)
        if isinstance(self.fecha_hasta, datetime):
            hasta = _utc(self.fecha_hasta) + timedelta(microseconds=1)
        elif isinstance(self.fecha_hasta, date):
            hasta = datetime.combine(self.fecha_hasta, time.min, UTC) + timedelta(days=1)
        return Filtros(
            estado=self.estado,
            categoria=self.categoria,
            prioridad=self.prioridad,
            creado_desde=desde,
            creado_antes=hasta,
            q=self.q.strip() if self.q and self.q.strip() else None,
            **self._extra(),
        )

    def _extra(self) -> dict[str, Any]:
        return {}


_ORDENES_VALIDOS = {*ORDENES, *(f"-{o}" for o in ORDENES)}


class TicketsQuery(MisTicketsQuery):
    """Filters and order of the agents' list of every ticket."""

    agente_asignado: int | None = Field(
        None, ge=1, le=MAX_ID, description="Assigned agent's user id."
    )
    cliente: int | None = Field(None, ge=1, le=MAX_ID, description="Customer's user id.")
    equipo: int | None = Field(None, ge=1, le=MAX_ID, description="Team id.")
    nivel_escalamiento: int | None = Field(None, ge=0, le=MAX_ID)
    etiqueta: str | None = Field(
        None, max_length=50, description="A tag name (case and accents ignored)."
    )
    ordering: list[str] = Field(
        default_factory=list,
        description="Comma-separated fields, `-` for descending: " + ", ".join(ORDENES),
    )

    @field_validator("ordering", mode="before")
    @classmethod
    def _ordering(cls, value: Any) -> Any:
        values = value if isinstance(value, list) else [value]
        terms = [t.strip() for v in values for t in str(v).split(",") if t.strip()]
        malos = [t for t in terms if t not in _ORDENES_VALIDOS]
        if malos:
            raise ValueError(f"Orden desconocido: {', '.join(malos)}")
        return terms

    def _extra(self) -> dict[str, Any]:
        return {
            "cliente_id": self.cliente,
            "agente_asignado_id": self.agente_asignado,
            "nivel_escalamiento": self.nivel_escalamiento,
            "equipo_id": self.equipo,
            "etiqueta": self.etiqueta.strip() if self.etiqueta and self.etiqueta.strip() else None,
        }


# --- builders ----------------------------------------------------------------------------------


def adjunto_out(adjunto: Adjunto, url: UrlDe) -> AdjuntoOut:
    """An attachment with its signed links."""
    return AdjuntoOut.de(adjunto, url(adjunto))


def _ticket_campos(vista: TicketVista, url: UrlDe) -> dict[str, Any]:
    t = vista.ticket
    agente = t.agente_asignado
    equipo = t.equipo
    return {
        "id": t.id,
        "numero": t.numero,
        "asunto": t.asunto,
        "descripcion": t.descripcion,
        "categoria": t.categoria,
        "prioridad": t.prioridad,
        "estado": t.estado,
        "fecha_creacion": t.fecha_creacion,
        "fecha_actualizacion": t.fecha_actualizacion,
        "reserva_relacionada": (
            Referencia(id=t.reserva_relacionada) if t.reserva_relacionada is not None else None
        ),
        "cliente": UsuarioRef(id=t.cliente.id, nombre=t.cliente.nombre_visible),
        "agente_asignado": (
            UsuarioRef(id=agente.id, nombre=agente.nombre_visible) if agente else None
        ),
        "equipo": EquipoRef(id=equipo.id, nombre=equipo.nombre) if equipo else None,
        "nivel_escalamiento": t.nivel_escalamiento,
        "archivos_adjuntos": [adjunto_out(a, url) for a in vista.adjuntos],
        "valoracion": (
            ValoracionOut(
                puntuacion=vista.valoracion.puntuacion, comentario=vista.valoracion.comentario
            )
            if vista.valoracion
            else None
        ),
        "etiquetas": list(vista.etiquetas),
    }


def ticket_out(vista: TicketVista, url: UrlDe) -> TicketOut:
    """The ticket object of a loaded ticket."""
    return TicketOut(**_ticket_campos(vista, url))


def ticket_en_lista(vista: TicketVista, url: UrlDe, fragmento: str | None = None) -> TicketEnLista:
    """The list object of a loaded ticket (``fragmento``: the search's excerpt)."""
    return TicketEnLista(**_ticket_campos(vista, url), fragmento=fragmento)


def respuesta_out(vista: RespuestaVista, url: UrlDe) -> RespuestaOut:
    """A reply object of a loaded reply."""
    r = vista.respuesta
    return RespuestaOut(
        id=r.id,
        autor=AutorOut(id=r.autor.id, nombre=r.autor.nombre_visible, rol=r.autor.rol),
        mensaje=r.mensaje,
        fecha_creacion=r.fecha_creacion,
        canal=r.canal,
        archivos_adjuntos=[adjunto_out(a, url) for a in vista.adjuntos],
        interna=r.interna,
    )


def ticket_detalle(vista: TicketVista, url: UrlDe) -> TicketDetalle:
    """The detail object: the ticket plus its replies, oldest first."""
    return TicketDetalle(
        **_ticket_campos(vista, url),
        respuestas=[respuesta_out(r, url) for r in vista.respuestas],
    )


class EstadisticasTickets(BaseModel):
    """The tickets' keys of ``GET /api/soporte/dashboard/stats/`` (each ``0`` when empty)."""

    tickets_abiertos: int = Field(
        description="Open tickets (ABIERTO + EN_PROGRESO).", examples=[12]
    )
    tiempo_promedio_respuesta: float = Field(
        description="Mean hours (one decimal) from creation to the first agent answer, over "
        "the tickets created in the period.",
        examples=[3.5],
    )
    satisfaccion_promedio: float = Field(
        description="CSAT: the percentage (one decimal) of ratings of 4 or 5.", examples=[87.5]
    )
