"""The rules of notifications, free of aiohttp: writing them, preferences, reading, marking.

**Writing** (:func:`escribir`) runs inside the transaction of the change it tells about (an
``in_transaction`` listener, :mod:`plugins.notificaciones.reglas`), so a notification exists if
and only if its change committed. One statement per event and type, whatever the number of
recipients: an ``INSERT … SELECT … RETURNING`` that chooses them (preferences, visibility,
the e-mail coalescing rule) and writes their rows; then the outbox row of each mail.

**Coalescing** of e-mail, per recipient, ticket and type: a recipient is not mailed a
notification of a type about a ticket while their previous notification of that type and
ticket that was mailed is unread and younger than ``mail_coalesce_minutes`` (setting). A burst
of chat messages therefore sends one e-mail; the next goes once the person has read the
notification, or the window has passed. Other types are not held back (the receipt does not
hold back the first answer, nor an answer the "resolved" mail with its rating link). The
in-app notification is written every time.

**Visibility**: nobody is told about what they cannot see — every recipient passes
:func:`core.auth.guards.can_see` against the owner of the object (the ticket's customer), and
an :class:`Aviso` about an internal note (``interna``) :func:`core.auth.guards.reply_visible` —
applied by the statement in their set form, :func:`core.auth.guards.audience`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

from tortoise.transactions import in_transaction

from core.auth.guards import audience
from core.auth.models import Rol, Usuario
from core.db import placeholders
from core.events import EventBus, UnitOfWork
from core.i18n import N_
from core.plugin_contract import await_me_maybe
from plugins.notificaciones.events import NotificacionesLeidas
from plugins.notificaciones.models import Notificacion, Preferencia
from plugins.notificaciones.textos import Texto, columnas, guardar, mostrar, render
from plugins.notificaciones.tipos import TIPOS, Tipo, tipos_de

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient

#: Most unread notifications a socket is sent when it connects (oldest first).
MAX_REPLAY: Final = 50
#: Longest ``titulo`` and ``mensaje`` stored (a reply's text is cut to an excerpt).
MAX_TITULO: Final = 200
MAX_MENSAJE: Final = 500


def ahora() -> datetime:
    """Now, in UTC (one place, so that tests read the same clock)."""
    return datetime.now(UTC)


def extracto(texto: str, largo: int = 160) -> str:
    """``texto`` on one line, cut at ``largo`` characters with an ellipsis."""
    plano = " ".join(texto.split())
    return plano if len(plano) <= largo else plano[: largo - 1].rstrip() + "…"


@dataclass(frozen=True)
class Persona:
    """A recipient as this plugin needs them: no ORM object, so that any source (a user row,
    escalamiento's ``Destinatario``) can name one."""

    id: int
    nombre: str
    email: str
    es_agente: bool
    #: The language of their mails (``Usuario.idioma``); ``None``: the default language.
    idioma: str | None = None

    @classmethod
    def de(cls, usuario: Usuario) -> Persona:
        """The recipient behind a user row."""
        return cls(
            usuario.id, usuario.nombre_visible, usuario.email, usuario.es_agente, usuario.idioma
        )


@dataclass(frozen=True)
class Aviso:
    """What every recipient of one event is told (one type, one text).

    ``titulo`` and ``mensaje`` are :class:`~plugins.notificaciones.textos.Texto`: each
    recipient reads them in their own language, whenever they read them. A plain string (a
    third-party plugin's text in one language) is shown as written.
    """

    tipo: str
    titulo: str | Texto
    mensaje: str | Texto
    url: str
    ticket_id: int | None = None
    #: The ticket number (``TK-000123``), for the e-mail's subject and threading.
    numero: str | None = None
    #: The owner of what it is about (``can_see``); ``None``: only agents may be told.
    propietario_id: int | None = None
    #: Extra values for the e-mail templates (the reply's text, the new state…).
    contexto: Mapping[str, Any] = field(default_factory=dict)
    #: About an internal note (or quoting one): staff only, whatever the recipients say
    #: (``core.auth.guards.reply_visible``).
    interna: bool = False

    # Computed once per event, not once per recipient: an event told to every agent has as
    # many :class:`Escrita` as agents, all sharing this one Aviso (frozen: the texts cannot
    # change after the first read).
    @cached_property
    def textos(self) -> dict[str, Any] | None:
        """The stored form of its texts (:func:`plugins.notificaciones.textos.guardar`)."""
        return guardar(self.titulo, self.mensaje)

    @cached_property
    def columnas(self) -> dict[str, Any]:
        """What its rows keep of the texts (:func:`plugins.notificaciones.textos.columnas`)."""
        return columnas(self.titulo, self.mensaje, largos=(MAX_TITULO, MAX_MENSAJE))


@dataclass(frozen=True)
class Escrita:
    """One notification just written, with what the e-mail needs."""

    id: int
    persona: Persona
    aviso: Aviso
    en_app: bool
    correo: bool
    fecha_creacion: datetime

    def frame(self) -> dict[str, Any]:
        """As the API and the socket show it (docs/api.md), in the current locale."""
        return {
            "id": self.id,
            "tipo": self.aviso.tipo,
            "titulo": render(self.aviso.titulo)[:MAX_TITULO],
            "mensaje": render(self.aviso.mensaje)[:MAX_MENSAJE],
            "url": self.aviso.url,
            "ticket_id": self.aviso.ticket_id,
            "leida": False,
            "fecha_creacion": self.fecha_creacion.isoformat(),
        }

    @property
    def textos(self) -> dict[str, Any] | None:
        """The stored form of its texts (:func:`plugins.notificaciones.textos.guardar`): what
        a socket renders the live frame from, in its own language (computed once per
        :class:`Aviso`)."""
        return self.aviso.textos


def canales(tipo: Tipo, guardada: tuple[bool, bool] | None) -> tuple[bool, bool]:
    """``(app, email)`` for a type given the user's stored choice (``None``: the defaults)."""
    app, email = guardada if guardada is not None else (tipo.app, tipo.email)
    return app, email and tipo.con_email


@dataclass(frozen=True)
class Destinatarios:
    """Who an :class:`Aviso` is for: user ids and/or every active user of some roles, minus
    ``excluir`` (the actor). Only active users are ever told."""

    ids: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    excluir: tuple[int, ...] = ()


async def escribir(
    aviso: Aviso,
    quienes: Destinatarios,
    *,
    coalescer: timedelta,
    correo: Callable[[list[Escrita]], Any] | None = None,
) -> list[Escrita]:
    """Write ``aviso`` for each of ``quienes`` that may see it and wants it.

    In the current transaction when there is one. ``correo(escritas)`` (may be async) queues
    the e-mails of the notifications whose recipient wants one, has an address, and is not
    coalesced (see the module docstring), all at once; it runs in the same transaction.
    **One statement** (:func:`_insertar`): an ``INSERT … SELECT … RETURNING`` that picks the
    recipients, applies their preferences, the visibility rule and the coalescing check,
    writes a row for each and returns what the e-mail needs of them — it runs inside every
    reply, where each statement is a round trip to the database (on SQLite a hand-off to its
    thread and back).
    """
    if not quienes.ids and not quienes.roles:
        return []
    momento = ahora()
    desde = momento - coalescer if coalescer > timedelta(0) and correo is not None else None
    escritas = [
        Escrita(
            int(f["id"]),
            Persona(
                int(f["usuario_id"]),
                f["p_nombre"] or f["p_username"],
                f["p_email"] or "",
                f["p_rol"] in _ROLES_AGENTE,
                f["p_idioma"],
            ),
            aviso,
            bool(f["en_app"]),
            bool(f["correo"]),
            momento,
        )
        for f in await _insertar(aviso, quienes, momento, desde, con_correo=correo is not None)
    ]
    correos = [e for e in escritas if e.correo]
    if correo is not None and correos:
        await await_me_maybe(correo(correos))
    return escritas


#: The roles of staff (``Usuario.es_agente``), as stored.
_ROLES_AGENTE: Final = (Rol.AGENTE.value, Rol.ADMIN.value)
#: What :func:`_insertar` returns of each recipient (a subquery each: ``RETURNING`` may only
#: name the inserted row's columns).
_PERSONA: Final = {
    "p_nombre": "nombre",
    "p_username": "username",
    "p_email": "email",
    "p_rol": "rol",
    "p_idioma": "idioma",
}


async def _insertar(
    aviso: Aviso,
    quienes: Destinatarios,
    momento: datetime,
    desde: datetime | None,
    *,
    con_correo: bool,
) -> list[dict[str, Any]]:
    """The one ``INSERT … SELECT … RETURNING`` of :func:`escribir`: a row for each active
    recipient in ``quienes`` (but ``excluir``) who may see ``aviso``
    (:func:`core.auth.guards.audience`) and wants it in the app or by e-mail (their stored
    preference for the type, else the type's default, :func:`canales`); e-mail only with an
    address, ``con_correo`` and no mailed, unread notification of the same type and ticket
    since ``desde`` (``None``: no coalescing). Returns each row's ``id``, ``usuario_id``,
    ``en_app``, ``correo`` and the recipient's :data:`_PERSONA` fields."""
    conn: BaseDBAsyncClient = Notificacion._meta.db
    tipo = TIPOS[aviso.tipo]
    quien = audience(aviso.propietario_id, interna=aviso.interna)
    campos = Notificacion._meta.fields_map
    postgres = conn.capabilities.dialect == "postgres"
    valores: list[Any] = []

    def marca(valor: Any, tipo_pg: str = "") -> str:
        # PostgreSQL types a bare parameter of a SELECT list as text: the integer and
        # timestamp columns need it said (SQLite's CAST would turn a timestamp into a number).
        valores.append(valor)
        m = placeholders(conn, 1, start=len(valores))[0]
        return f"{m}::{tipo_pg}" if postgres and tipo_pg else m

    def lista(xs: Sequence[Any]) -> str:
        return ", ".join(marca(x) for x in xs)

    def si(valor: bool) -> str:
        # Constants of the code, not input: literals, typed alike by both databases.
        return "TRUE" if valor else "FALSE"

    tabla = Notificacion._meta.db_table
    textos = aviso.columnas
    textos_db = campos["textos"].to_db_value(textos["textos"], Notificacion)
    seleccion = (
        f"{marca(aviso.tipo)}, {marca(textos['titulo'])}, {marca(textos['mensaje'])}, "
        f"{marca(textos_db, 'jsonb')}, {marca(aviso.url)}, "
        f"{marca(aviso.ticket_id, 'integer')}, {si(False)}, c.app, c.email, "
        f"{marca(campos['fecha_creacion'].to_db_value(momento, Notificacion), 'timestamptz')}"
    )
    reciente = "FALSE"
    if desde is not None and aviso.ticket_id is not None:
        reciente = (
            f'EXISTS (SELECT 1 FROM "{tabla}" n WHERE n.ticket_id = {marca(aviso.ticket_id)} '
            f"AND n.usuario_id = u.id AND n.correo = TRUE AND n.leida = FALSE "
            f"AND n.fecha_creacion >= "
            f"{marca(campos['fecha_creacion'].to_db_value(desde, Notificacion), 'timestamptz')} "
            f"AND n.tipo = {marca(aviso.tipo)})"
        )
    email = (
        f"(COALESCE(p.email, {si(tipo.email)}) AND {si(tipo.con_email and con_correo)} "
        f"AND COALESCE(u.email, '') <> '' AND NOT {reciente})"
    )
    usuarios = Usuario._meta.db_table
    # Markers are numbered in the order they are made, so the statement's parts are built in
    # the order they are written: the columns, the e-mail test, the join, the recipients.
    union = (
        f'"{Preferencia._meta.db_table}" p ON p.usuario_id = u.id AND p.tipo = {marca(aviso.tipo)}'
    )
    quienes_sql = []
    if quienes.ids:
        quienes_sql.append(f"u.id IN ({lista(quienes.ids)})")
    if quienes.roles:
        quienes_sql.append(f"u.rol IN ({lista(quienes.roles)})")
    visible = f"u.rol IN ({lista(quien.roles)})"
    if quien.owner_id is not None:
        visible = f"({visible} OR u.id = {marca(quien.owner_id)})"
    donde = f"({' OR '.join(quienes_sql)}) AND u.activo = TRUE AND {visible}"
    if quienes.excluir:
        donde += f" AND u.id NOT IN ({lista(quienes.excluir)})"
    persona = ", ".join(
        f'(SELECT x."{col}" FROM "{usuarios}" x WHERE x.id = "{tabla}".usuario_id) AS {alias}'
        for alias, col in _PERSONA.items()
    )
    sql = (
        f'INSERT INTO "{tabla}" ("usuario_id", "tipo", "titulo", "mensaje", "textos", "url", '
        '"ticket_id", "leida", "en_app", "correo", "fecha_creacion") '
        f"SELECT c.id, {seleccion} FROM (SELECT u.id AS id, "
        f"COALESCE(p.app, {si(tipo.app)}) AS app, {email} AS email "
        f'FROM "{usuarios}" u LEFT JOIN {union} WHERE {donde}) c '
        # (WHERE c.app OR c.email: a row nobody would see nor be mailed for is not written.)
        f'WHERE c.app OR c.email RETURNING "id", "usuario_id", "en_app", "correo", {persona}'
    )
    return await conn.execute_query_dict(sql, valores)


# --- reading -----------------------------------------------------------------------------------


def mias(usuario_id: int, *, no_leidas: bool = False) -> Any:
    """The user's in-app notifications, newest first (a query set for ``paginate``)."""
    qs = Notificacion.filter(usuario_id=usuario_id, en_app=True)
    if no_leidas:
        qs = qs.filter(leida=False)
    return qs.order_by("-id")


async def cargar(ids: Sequence[int]) -> list[Notificacion]:
    """Notifications ``ids`` in that order (one query)."""
    por_id = {n.id: n for n in await Notificacion.filter(id__in=list(ids))}
    return [por_id[i] for i in ids if i in por_id]


async def contar_no_leidas(usuario_id: int) -> int:
    """How many unread in-app notifications the user has."""
    return await Notificacion.filter(usuario_id=usuario_id, leida=False, en_app=True).count()


async def para_reponer(usuario_id: int, limite: int = MAX_REPLAY) -> list[Notificacion]:
    """The user's newest ``limite`` unread notifications, oldest first (a socket's replay)."""
    ultimas = await mias(usuario_id, no_leidas=True).limit(limite)
    return list(reversed(ultimas))


def como_dict(n: Notificacion) -> dict[str, Any]:
    """A stored notification as the API and the socket show it, its texts in the current
    locale (a row without ``textos``: as stored)."""
    titulo, mensaje = mostrar(n.titulo, n.mensaje, n.textos, largos=(MAX_TITULO, MAX_MENSAJE))
    return {
        "id": n.id,
        "tipo": n.tipo,
        "titulo": titulo,
        "mensaje": mensaje,
        "url": n.url,
        "ticket_id": n.ticket_id,
        "leida": n.leida,
        "fecha_creacion": n.fecha_creacion.isoformat(),
    }


def en_idioma(notificacion: dict[str, Any], textos: dict[str, Any] | None) -> dict[str, Any]:
    """A notification as :func:`como_dict` shows it, re-rendered from its stored ``textos`` in
    the current locale (a live frame, for each socket's language)."""
    titulo, mensaje = mostrar(
        notificacion["titulo"], notificacion["mensaje"], textos, largos=(MAX_TITULO, MAX_MENSAJE)
    )
    return {**notificacion, "titulo": titulo, "mensaje": mensaje}


# --- marking read --------------------------------------------------------------------------------


async def leer(bus: EventBus, usuario_id: int, notificacion_id: int) -> bool:
    """Mark one of the user's notifications read; ``False`` if it is not theirs or unknown
    (the route answers 404). Publishes :class:`NotificacionesLeidas` when it changed."""
    async with UnitOfWork(bus) as uow:
        existe = (
            await Notificacion.filter(id=notificacion_id, usuario_id=usuario_id, en_app=True)
            .using_db(uow.connection)
            .values_list("leida", flat=True)
        )
        if not existe:
            return False
        cambiadas = (
            await Notificacion.filter(id=notificacion_id, leida=False)
            .using_db(uow.connection)
            .update(leida=True)
        )
        if cambiadas:
            restantes = (
                await Notificacion.filter(usuario_id=usuario_id, leida=False, en_app=True)
                .using_db(uow.connection)
                .count()
            )
            await uow.emit(
                NotificacionesLeidas(
                    usuario_id=usuario_id, ids=[notificacion_id], no_leidas=restantes
                )
            )
    return True


async def leer_todas(bus: EventBus, usuario_id: int) -> int:
    """Mark every notification of the user read (e-mail-only rows too, which ends their
    coalescing window); publishes :class:`NotificacionesLeidas` when any changed."""
    async with UnitOfWork(bus) as uow:
        cambiadas = (
            await Notificacion.filter(usuario_id=usuario_id, leida=False)
            .using_db(uow.connection)
            .update(leida=True)
        )
        if cambiadas:
            await uow.emit(NotificacionesLeidas(usuario_id=usuario_id, ids=None, no_leidas=0))
    return cambiadas


# --- preferences -------------------------------------------------------------------------------


async def preferencias(usuario: Usuario, plugins: set[str]) -> dict[str, dict[str, bool]]:
    """Every type the user can receive with its ``{app, email}`` (stored or default)."""
    guardadas = {
        tipo: (app, email)
        for tipo, app, email in await Preferencia.filter(usuario_id=usuario.id).values_list(
            "tipo", "app", "email"
        )
    }
    resultado: dict[str, dict[str, bool]] = {}
    for tipo in tipos_de(usuario, plugins):
        app, email = canales(tipo, guardadas.get(tipo.nombre))
        resultado[tipo.nombre] = {"app": app, "email": email}
    return resultado


async def cambiar_preferencias(
    usuario: Usuario, plugins: set[str], cambios: Mapping[str, Mapping[str, bool]]
) -> dict[str, dict[str, bool]]:
    """Apply a partial change (``{tipo: {"app"?: bool, "email"?: bool}}``); every type must be
    one the user can receive, and an in-app-only type refuses ``email: true`` (else a 400
    listing each problem). Returns every preference, as :func:`preferencias`."""
    from core.api.errors import BadRequest

    propios = {t.nombre: t for t in tipos_de(usuario, plugins)}
    errores: dict[str, list[str]] = {}
    for nombre, cambio in cambios.items():
        tipo = propios.get(nombre)
        if tipo is None:
            errores[f"preferencias.{nombre}"] = [N_("Tipo de notificación desconocido.")]
        elif cambio.get("email") and not tipo.con_email:
            errores[f"preferencias.{nombre}"] = [N_("Este aviso solo existe en la aplicación.")]
    if errores:
        raise BadRequest("Datos inválidos.", errors=errores)
    actuales = await preferencias(usuario, plugins)
    async with in_transaction() as conn:
        for nombre, cambio in cambios.items():
            nuevo = {**actuales[nombre], **{k: bool(v) for k, v in cambio.items()}}
            actuales[nombre] = nuevo
            await Preferencia.update_or_create(
                usuario_id=usuario.id,
                tipo=nombre,
                defaults={"app": nuevo["app"], "email": nuevo["email"]},
                using_db=conn,
            )
    return actuales
