"""The rules of notifications, free of aiohttp: writing them, preferences, reading, marking.

**Writing** (:func:`escribir`) runs inside the transaction of the change it tells about (an
``in_transaction`` listener, :mod:`plugins.notificaciones.reglas`), so a notification exists if
and only if its change committed. One call per event and type: one query for the recipients'
preferences, one for the e-mail coalescing rule (only when someone is to be mailed about a
ticket), and one multi-row ``INSERT … RETURNING`` — never a query per recipient.

**Coalescing** of e-mail, per recipient, ticket and type: a recipient is not mailed a
notification of a type about a ticket while their previous notification of that type and
ticket that was mailed is unread and younger than ``mail_coalesce_minutes`` (setting). A burst
of chat messages therefore sends one e-mail; the next goes once the person has read the
notification, or the window has passed. Other types are not held back (the receipt does not
hold back the first answer, nor an answer the "resolved" mail with its rating link). The
in-app notification is written every time.

**Visibility**: nobody is told about what they cannot see — every recipient passes
:func:`core.auth.guards.can_see` against the owner of the object (the ticket's customer), and
an :class:`Aviso` about an internal note (``interna``) :func:`core.auth.guards.reply_visible`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, cast

from tortoise.transactions import in_transaction

from core.auth.guards import can_see, reply_visible
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

_COLUMNAS: Final = (
    "usuario_id", "tipo", "titulo", "mensaje", "textos", "url", "ticket_id", "leida", "en_app",
    "correo", "fecha_creacion",
)  # fmt: skip


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
        a socket renders the live frame from, in its own language."""
        return guardar(self.aviso.titulo, self.aviso.mensaje)


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


@dataclass(frozen=True)
class _Candidato:
    persona: Persona
    guardada: tuple[bool, bool] | None
    #: A mailed, unread notification of the same type and ticket inside the coalescing window.
    reciente: bool


async def _candidatos(
    conn: BaseDBAsyncClient, aviso: Aviso, quienes: Destinatarios, desde: datetime | None
) -> list[_Candidato]:
    """The active recipients with their stored preference for ``aviso.tipo`` and whether the
    coalescing rule holds their e-mail back (``desde``: the window's start; ``None``: no
    rule) — one query, since a reply pays for it."""
    if not quienes.ids and not quienes.roles:
        return []
    campos = Notificacion._meta.fields_map
    si = campos["leida"].to_db_value(True, Notificacion)
    no = campos["leida"].to_db_value(False, Notificacion)
    # The statement as pieces and the values of its markers, in the order they appear.
    piezas: list[str] = []
    valores: list[Any] = []

    def marca(valor: Any) -> str:
        valores.append(valor)
        return "\0"

    reciente = "0"
    if desde is not None and aviso.ticket_id is not None:
        inicio = campos["fecha_creacion"].to_db_value(desde, Notificacion)
        reciente = (
            f'EXISTS (SELECT 1 FROM "{Notificacion._meta.db_table}" n '
            f"WHERE n.ticket_id = {marca(aviso.ticket_id)} AND n.usuario_id = u.id "
            f"AND n.correo = {marca(si)} AND n.leida = {marca(no)} "
            f"AND n.fecha_creacion >= {marca(inicio)} "
            f"AND n.tipo = {marca(aviso.tipo)})"
        )
    piezas.append(
        "SELECT u.id, u.username, u.nombre, u.email, u.rol, u.idioma, p.app AS p_app, "
        f"p.email AS p_email, {reciente} AS reciente "
        f'FROM "{Usuario._meta.db_table}" u LEFT JOIN "{Preferencia._meta.db_table}" p '
        f"ON p.usuario_id = u.id AND p.tipo = {marca(aviso.tipo)} WHERE ("
    )
    condiciones = []
    if quienes.ids:
        condiciones.append("u.id IN (" + ", ".join(marca(i) for i in quienes.ids) + ")")
    if quienes.roles:
        condiciones.append("u.rol IN (" + ", ".join(marca(r) for r in quienes.roles) + ")")
    activo = Usuario._meta.fields_map["activo"].to_db_value(True, Usuario)
    piezas.append(" OR ".join(condiciones) + f") AND u.activo = {marca(activo)}")
    trozos = "".join(piezas).split("\0")
    marcas = placeholders(conn, len(valores))
    sql = trozos[0] + "".join(m + t for m, t in zip(marcas, trozos[1:], strict=True))
    excluidos = set(quienes.excluir)
    candidatos = []
    for f in await conn.execute_query_dict(sql, valores):
        if f["id"] in excluidos:
            continue
        guardada = None if f["p_app"] is None else (bool(f["p_app"]), bool(f["p_email"]))
        persona = Persona(
            int(f["id"]),
            f["nombre"] or f["username"],
            f["email"] or "",
            f["rol"] in (Rol.AGENTE.value, Rol.ADMIN.value),
            f["idioma"],
        )
        candidatos.append(_Candidato(persona, guardada, bool(f["reciente"])))
    return candidatos


async def escribir(
    aviso: Aviso,
    quienes: Destinatarios,
    *,
    coalescer: timedelta,
    correo: Callable[[Escrita], Any] | None = None,
) -> list[Escrita]:
    """Write ``aviso`` for each of ``quienes`` that may see it and wants it.

    In the current transaction when there is one. ``correo(escrita)`` (may be async) queues
    the e-mail of each notification whose recipient wants one, has an address, and is not
    coalesced (see the module docstring); it runs in the same transaction. Two queries in all:
    the recipients with their preferences and the coalescing check, and one ``INSERT``.
    """
    tipo = TIPOS[aviso.tipo]
    conn = Notificacion._meta.db
    momento = ahora()
    desde = momento - coalescer if coalescer > timedelta(0) and correo is not None else None
    elegidos: list[tuple[Persona, bool, bool]] = []
    for c in await _candidatos(conn, aviso, quienes, desde):
        if not can_see_persona(c.persona, aviso.propietario_id):
            continue
        if not reply_visible(cast("Usuario", c.persona), aviso.interna):
            continue  # a note's text never reaches a customer, even if a rule named one
        app, email = canales(tipo, c.guardada)
        email = email and bool(c.persona.email) and correo is not None and not c.reciente
        if app or email:
            elegidos.append((c.persona, app, email))
    if not elegidos:
        return []
    textos = columnas(aviso.titulo, aviso.mensaje, largos=(MAX_TITULO, MAX_MENSAJE))
    filas = [
        (
            p.id,
            aviso.tipo,
            textos["titulo"],
            textos["mensaje"],
            textos["textos"],
            aviso.url,
            aviso.ticket_id,
            False,
            app,
            email,
            momento,
        )
        for p, app, email in elegidos
    ]
    ids = await _insertar(conn, filas)
    escritas = [Escrita(ids[p.id], p, aviso, app, email, momento) for p, app, email in elegidos]
    if correo is not None:
        for escrita in escritas:
            if escrita.correo:
                await await_me_maybe(correo(escrita))
    return escritas


def can_see_persona(persona: Persona, propietario_id: int | None) -> bool:
    """:func:`core.auth.guards.can_see` for a :class:`Persona`: the rule reads only ``id`` and
    ``es_agente``, which a ``Persona`` has as a user does."""
    return can_see(cast("Usuario", persona), propietario_id)


async def _insertar(conn: BaseDBAsyncClient, filas: list[tuple[Any, ...]]) -> dict[int, int]:
    """One multi-row ``INSERT … RETURNING id, usuario_id``; the new id of each recipient."""
    campos = Notificacion._meta.fields_map
    nombres = ", ".join(f'"{c}"' for c in _COLUMNAS)
    marcas = placeholders(conn, len(_COLUMNAS) * len(filas))
    grupos = ", ".join(
        "(" + ", ".join(marcas[i * len(_COLUMNAS) : (i + 1) * len(_COLUMNAS)]) + ")"
        for i in range(len(filas))
    )
    valores: list[Any] = []
    for fila in filas:
        for columna, valor in zip(_COLUMNAS, fila, strict=True):
            if columna in ("usuario_id", "ticket_id"):
                valores.append(valor)
            else:
                valores.append(campos[columna].to_db_value(valor, Notificacion))
    sql = (
        f'INSERT INTO "{Notificacion._meta.db_table}" ({nombres}) VALUES {grupos} '
        'RETURNING "id", "usuario_id"'
    )
    resultado = await conn.execute_query_dict(sql, valores)
    return {int(r["usuario_id"]): int(r["id"]) for r in resultado}


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
