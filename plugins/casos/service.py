"""The rules of support cases, free of HTTP: creation, visibility, the state machine, counts.

Routes, tests and the CLI call these functions directly. Errors are the core's problem
exceptions (400/404/409), which carry no HTTP machinery of their own.

Visibility: the owner of a case is ``cliente_afectado``. A customer (``CLIENTE``) can only open
cases about themself, so every case a customer created names them; ownership therefore covers
"cases I created" and "cases an agent opened about me" with one indexed column, through
:func:`core.auth.guards.visible_to`. Agents and admins see every case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from tortoise.connection import connections

from core import labels, tags
from core.api.errors import BadRequest, Conflict, Forbidden, NotFound
from core.api.fields import MAX_ID
from core.auth.equipos import es_miembro
from core.auth.guards import (
    can_see_notes,
    visible_in_teams_or_404,
    visible_replies,
    visible_to,
)
from core.auth.models import Equipo, Usuario
from core.db import Lectura, Marcas, leer
from core.events import EventBus, UnitOfWork
from core.history import CREADO, Canal, record
from core.i18n import N_
from core.i18n import gettext as _
from plugins.casos.cuota import Cuota, comprobar_cuota
from plugins.casos.events import CasoActualizado, CasoCreado, RespuestaCasoCreada
from plugins.casos.models import (
    AdjuntoCaso,
    Caso,
    EstadoCaso,
    Impacto,
    RespuestaCaso,
    TipoCaso,
    Urgencia,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.queryset import QuerySet

    from core.storage import Upload

#: The column that decides who owns a case (see the module docstring).
CAMPO_PROPIETARIO = "cliente_afectado_id"
#: States in which a case still needs work.
ABIERTOS: tuple[EstadoCaso, ...] = (EstadoCaso.ABIERTO, EstadoCaso.EN_INVESTIGACION)
#: Urgencies listed by ``urgentes``, most urgent first.
URGENCIAS_URGENTES: tuple[Urgencia, ...] = (Urgencia.CRITICA, Urgencia.ALTA)
#: At most this many cases in the urgent list (an array: it must stay bounded).
MAX_URGENTES = 100
#: At most this many booking ids on one case.
MAX_RESERVAS = 50
#: At most this many linked tickets on one case.
MAX_TICKETS = 50
#: The history's entity name of a case (``core.history``).
ENTIDAD = "caso"
#: The link table of cases' tags (:mod:`core.tags`).
ENLACE_ETIQUETAS = tags.Enlace("casos_caso_etiqueta", "caso_id")
#: The related rows every case read loads (one query with joins).
RELACIONES = ("cliente_afectado", "creado_por", "agente_asignado", "equipo")

#: Allowed moves of ``estado``. ``CERRADO`` is final.
TRANSICIONES: dict[EstadoCaso, frozenset[EstadoCaso]] = {
    EstadoCaso.ABIERTO: frozenset(
        {EstadoCaso.EN_INVESTIGACION, EstadoCaso.RESUELTO, EstadoCaso.CERRADO}
    ),
    EstadoCaso.EN_INVESTIGACION: frozenset(
        {EstadoCaso.RESUELTO, EstadoCaso.CERRADO, EstadoCaso.ABIERTO}
    ),
    EstadoCaso.RESUELTO: frozenset({EstadoCaso.CERRADO, EstadoCaso.EN_INVESTIGACION}),
    EstadoCaso.CERRADO: frozenset(),
}


# --- creation --------------------------------------------------------------------------------


def numero_de(caso_id: int) -> str:
    """The human-readable number of case ``caso_id``: ``CS-000123``."""
    return f"CS-{caso_id:06d}"


async def _cliente_afectado(
    usuario: Usuario, cliente_afectado_id: int | None, errores: dict[str, list[str]]
) -> int | None:
    """Who the case is about: a customer's case is always about themself."""
    if not usuario.es_agente:
        if cliente_afectado_id is not None and cliente_afectado_id != usuario.id:
            errores["cliente_afectado"] = [N_("Un cliente solo puede abrir casos sobre sí mismo.")]
        return usuario.id
    if cliente_afectado_id is None:
        return None
    if cliente_afectado_id > MAX_ID or not await Usuario.exists(id=cliente_afectado_id):
        errores["cliente_afectado"] = [f"No existe el usuario {cliente_afectado_id}."]
    return cliente_afectado_id


async def crear_caso(
    bus: EventBus,
    usuario: Usuario,
    *,
    tipo_caso: TipoCaso,
    urgencia: Urgencia,
    titulo: str,
    descripcion: str,
    cliente_afectado_id: int | None = None,
    reservas_relacionadas: Sequence[int] = (),
    impacto_estimado: Impacto = Impacto.INDIVIDUAL,
    validar_reserva: Callable[[int, Usuario], Awaitable[list[str]]] | None = None,
) -> Caso:
    """Open a case on behalf of ``usuario`` and publish :class:`CasoCreado`.

    ``cliente_afectado_id``: for a customer, absent or their own id (anyone else is a 400); for
    an agent, absent (no particular customer) or any existing user. Each booking id is checked
    with ``validar_reserva`` (the ``validate_reserva`` hook; ``None``: stored as given); every
    objection becomes a 400 under ``reservas_relacionadas``. All problems are reported at once.
    The hook runs before the transaction opens, since it may call out to another system.
    """
    errores: dict[str, list[str]] = {}
    cliente_id = await _cliente_afectado(usuario, cliente_afectado_id, errores)
    reservas = list(reservas_relacionadas)
    if len(reservas) > MAX_RESERVAS:
        errores["reservas_relacionadas"] = [f"Como máximo {MAX_RESERVAS} reservas."]
    elif validar_reserva is not None:
        for reserva_id in reservas:
            for mensaje in await validar_reserva(reserva_id, usuario):
                errores.setdefault("reservas_relacionadas", []).append(
                    f"Reserva {reserva_id}: {mensaje}"
                )
    if errores:
        raise BadRequest("Datos inválidos.", errors=errores)

    async with UnitOfWork(bus) as uow:
        # The number comes from the id, so concurrent creations can never collide; the
        # placeholder only lives inside this transaction.
        caso = await Caso.create(
            numero=f"tmp-{uuid.uuid4().hex}",
            tipo_caso=tipo_caso,
            urgencia=urgencia,
            titulo=titulo,
            descripcion=descripcion,
            cliente_afectado_id=cliente_id,
            reservas_relacionadas=reservas,
            impacto_estimado=impacto_estimado,
            estado=EstadoCaso.ABIERTO,
            creado_por_id=usuario.id,
            using_db=uow.connection,
        )
        caso.numero = numero_de(caso.id)
        await Caso.filter(id=caso.id).using_db(uow.connection).update(numero=caso.numero)
        await record(
            uow.connection,
            entidad=ENTIDAD,
            entidad_id=caso.id,
            cambios={CREADO: [None, EstadoCaso.ABIERTO.value]},
            autor_id=usuario.id,
            canal=Canal.API,
        )
        await uow.emit(
            CasoCreado(
                caso_id=caso.id,
                numero=caso.numero,
                tipo_caso=TipoCaso(tipo_caso).value,
                urgencia=Urgencia(urgencia).value,
                impacto_estimado=Impacto(impacto_estimado).value,
                creado_por_id=usuario.id,
                cliente_afectado_id=cliente_id,
            )
        )
    return caso


# --- reading ---------------------------------------------------------------------------------


def casos_visibles(
    usuario: Usuario,
    *,
    tipo_caso: TipoCaso | None = None,
    urgencia: Urgencia | None = None,
    estado: EstadoCaso | None = None,
    etiqueta: str | None = None,
) -> QuerySet[Caso]:
    """The cases ``usuario`` may see, filtered, newest first (each filter ``None``: any;
    ``etiqueta``: a tag name, compared by :func:`core.tags.clave`)."""
    qs = visible_to(
        usuario,
        Caso.all(),
        CAMPO_PROPIETARIO,
        campo_equipo="equipo_id",
        campo_agente="agente_asignado_id",
    )
    if tipo_caso is not None:
        qs = qs.filter(tipo_caso=tipo_caso)
    if urgencia is not None:
        qs = qs.filter(urgencia=urgencia)
    if estado is not None:
        qs = qs.filter(estado=estado)
    if etiqueta is not None:
        # Through the link table, unique per case and tag: no duplicate rows.
        qs = qs.filter(etiquetas__clave=tags.clave(etiqueta))
    return qs.order_by("-fecha_creacion", "-id")


async def cargar(ids: Sequence[int]) -> list[Caso]:
    """The cases ``ids`` with their users, in that order (one query)."""
    found = await Caso.filter(id__in=list(ids)).select_related(*RELACIONES)
    by_id = {caso.id: caso for caso in found}
    return [by_id[i] for i in ids if i in by_id]


async def etiquetas_de(ids: Sequence[int]) -> dict[int, list[str]]:
    """The tag names of cases ``ids`` (sorted by key), in one query; cases without tags are
    absent."""
    return await tags.nombres_de(ENLACE_ETIQUETAS, ids)


async def obtener_caso(usuario: Usuario, caso_id: int) -> Caso:
    """Case ``caso_id`` with its users if ``usuario`` may see it; otherwise a 404."""
    if not 0 < caso_id <= MAX_ID:
        raise NotFound()
    caso = await Caso.filter(id=caso_id).select_related(*RELACIONES).first()
    return await visible_in_teams_or_404(usuario, caso, CAMPO_PROPIETARIO)


async def casos_urgentes(limite: int = MAX_URGENTES) -> list[Caso]:
    """Open CRITICA cases, then open ALTA ones, oldest first within each; at most ``limite``."""
    resultado: list[Caso] = []
    for urgencia in URGENCIAS_URGENTES:
        restantes = limite - len(resultado)
        if restantes <= 0:
            break
        resultado += (
            await Caso.filter(urgencia=urgencia, estado__in=ABIERTOS)
            .select_related(*RELACIONES)
            .order_by("fecha_creacion", "id")
            .limit(restantes)
        )
    return resultado


async def contar_criticos() -> int:
    """How many open (ABIERTO or EN_INVESTIGACION) cases are CRITICA."""

    # Every dashboard request asks: a hand-written COUNT on the read connection (core.db.leer);
    # building the ORM's query cost more than running it.
    def lectura(marcas: Marcas) -> Lectura[int]:
        urgencia, *estados = marcas(1 + len(ABIERTOS))
        [(n,)] = yield (
            f'SELECT COUNT(*) FROM "{Caso._meta.db_table}" '
            f"WHERE urgencia = {urgencia} AND estado IN ({', '.join(estados)})",
            [Urgencia.CRITICA.value, *(e.value for e in ABIERTOS)],
        )
        return int(n)

    return await leer(lectura)


# --- changes ---------------------------------------------------------------------------------


def transicion_permitida(desde: EstadoCaso, hacia: EstadoCaso) -> bool:
    """Whether ``estado`` may move from ``desde`` to ``hacia`` (staying put always may)."""
    return desde == hacia or hacia in TRANSICIONES[EstadoCaso(desde)]


async def _validar_asignacion(
    caso: Caso, cambios: Mapping[str, Any], errores: dict[str, list[str]]
) -> None:
    """The assignee is an active agent; the team exists and is active; with both, a member."""
    agente_id = cambios.get("agente_asignado", caso.agente_asignado_id)
    equipo_id = cambios.get("equipo", caso.equipo_id)
    if "agente_asignado" in cambios and agente_id is not None:
        agente = await Usuario.get_or_none(id=agente_id)
        if agente is None or not agente.activo or not agente.es_agente:
            errores["agente_asignado"] = [f"El usuario {agente_id} no es un agente activo."]
            return
    if (
        "equipo" in cambios
        and equipo_id is not None
        and not await Equipo.exists(id=equipo_id, activo=True)
    ):
        errores["equipo"] = [f"No existe el equipo activo {equipo_id}."]
        return
    if (
        ("agente_asignado" in cambios or "equipo" in cambios)
        and agente_id is not None
        and equipo_id is not None
        and not await es_miembro(agente_id, equipo_id)
    ):
        errores["agente_asignado"] = [
            f"El agente {agente_id} no es miembro del equipo {equipo_id} del caso."
        ]


async def _validar_tickets(
    ids: Sequence[int],
    validar_ticket: Callable[[Sequence[int]], Awaitable[set[int]]] | None,
    errores: dict[str, list[str]],
) -> list[int]:
    """Distinct ids in order, at most :data:`MAX_TICKETS`, each an existing ticket."""
    unicos = list(dict.fromkeys(ids))
    if len(unicos) > MAX_TICKETS:
        errores["tickets_relacionados"] = [f"Como máximo {MAX_TICKETS} tickets."]
    elif validar_ticket is not None and unicos:
        existentes = await validar_ticket(unicos)
        if faltan := [i for i in unicos if i not in existentes]:
            errores["tickets_relacionados"] = [f"No existe el ticket {i}." for i in faltan]
    return unicos


async def actualizar_caso(
    bus: EventBus,
    agente: Usuario,
    caso: Caso,
    *,
    estado: EstadoCaso | None = None,
    urgencia: Urgencia | None = None,
    otros: Mapping[str, Any] | None = None,
    validar_reserva: Callable[[int, Usuario], Awaitable[list[str]]] | None = None,
    validar_ticket: Callable[[Sequence[int]], Awaitable[set[int]]] | None = None,
) -> Caso:
    """An agent changes a case; every change is recorded in its history (``core.history``).

    ``estado``/``urgencia``: moves outside :data:`TRANSICIONES`, and any change to a CERRADO
    case, are a 409; they publish :class:`CasoActualizado`. ``otros``: any of
    ``agente_asignado`` (an active agent; with a team, one of its members), ``equipo`` (an
    active team), ``tickets_relacionados`` (existing tickets when ``validar_ticket`` is given),
    ``reservas_relacionadas`` (each checked by ``validar_reserva``) and ``etiquetas`` (the
    whole new set of tag names, :func:`core.tags.fijar` in the same transaction; one history
    entry ``etiquetas: [before, after]``); objections are 400s.
    Nothing changed: nothing written, no event. The update is conditional on the scalar
    values just read, so two agents racing on one case cannot both apply a change decided on a
    stale state (the loser gets a 409 and may retry).
    """
    otros = dict(otros or {})
    etiquetas = await _etiquetas_pedidas(caso.id, otros.pop("etiquetas", None))
    antes_estado, antes_urgencia = EstadoCaso(caso.estado), Urgencia(caso.urgencia)
    nuevo_estado = EstadoCaso(estado) if estado is not None else antes_estado
    nueva_urgencia = Urgencia(urgencia) if urgencia is not None else antes_urgencia
    antes: dict[str, Any] = {
        "estado": antes_estado.value,
        "urgencia": antes_urgencia.value,
        "agente_asignado": caso.agente_asignado_id,
        "equipo": caso.equipo_id,
        "tickets_relacionados": list(caso.tickets_relacionados or []),
        "reservas_relacionadas": list(caso.reservas_relacionadas or []),
    }
    errores: dict[str, list[str]] = {}
    if "tickets_relacionados" in otros:
        otros["tickets_relacionados"] = await _validar_tickets(
            otros["tickets_relacionados"], validar_ticket, errores
        )
    if "reservas_relacionadas" in otros:
        reservas = list(dict.fromkeys(otros["reservas_relacionadas"]))
        otros["reservas_relacionadas"] = reservas
        nuevas = [r for r in reservas if r not in antes["reservas_relacionadas"]]
        if validar_reserva is not None:
            # Only new ids are asked about: a booking accepted once stays accepted.
            for reserva_id in nuevas:
                for mensaje in await validar_reserva(reserva_id, agente):
                    errores.setdefault("reservas_relacionadas", []).append(
                        f"Reserva {reserva_id}: {mensaje}"
                    )
    despues = {**antes, "estado": nuevo_estado.value, "urgencia": nueva_urgencia.value, **otros}
    diferencias = {c: [antes[c], despues[c]] for c in antes if antes[c] != despues[c]}
    if not diferencias and etiquetas is None:
        if errores:
            raise BadRequest("Datos inválidos.", errors=errores)
        return caso
    if antes_estado == EstadoCaso.CERRADO:
        raise Conflict("El caso está CERRADO y ya no admite cambios.")
    if not transicion_permitida(antes_estado, nuevo_estado):
        raise Conflict(
            _("Un caso {antes} no puede pasar a {despues}.").format(
                antes=labels.value_label("estado_caso", antes_estado.value),
                despues=labels.value_label("estado_caso", nuevo_estado.value),
            ),
            errors={
                "estado": [
                    _("Transición no permitida: {antes} → {despues}.").format(
                        antes=labels.value_label("estado_caso", antes_estado.value),
                        despues=labels.value_label("estado_caso", nuevo_estado.value),
                    )
                ]
            },
        )
    await _validar_asignacion(
        caso, {c: despues[c] for c in ("agente_asignado", "equipo") if c in diferencias}, errores
    )
    if errores:
        raise BadRequest("Datos inválidos.", errors=errores)
    ahora = datetime.now(UTC)
    columnas: dict[str, Any] = {
        "estado": nuevo_estado,
        "urgencia": nueva_urgencia,
        "agente_asignado_id": despues["agente_asignado"],
        "equipo_id": despues["equipo"],
        "tickets_relacionados": despues["tickets_relacionados"],
        "reservas_relacionadas": despues["reservas_relacionadas"],
        "fecha_actualizacion": ahora,
    }
    async with UnitOfWork(bus) as uow:
        cambiados = (
            await Caso.filter(
                id=caso.id,
                estado=antes_estado,
                urgencia=antes_urgencia,
                agente_asignado_id=antes["agente_asignado"],
                equipo_id=antes["equipo"],
            )
            .using_db(uow.connection)
            .update(**columnas)
        )
        if not cambiados:
            raise Conflict("El caso cambió mientras tanto; recárguelo y vuelva a intentarlo.")
        if etiquetas is not None:
            # After the UPDATE: its row lock serialises two tag changes of one case.
            cambio = await tags.fijar(
                cast("BaseDBAsyncClient", uow.connection),
                ENLACE_ETIQUETAS,
                caso.id,
                poner=etiquetas,
            )
            if cambio is not None:
                diferencias["etiquetas"] = list(cambio)
        # Which rows the customer's timeline shows is core.auth.guards.public_change's call.
        await record(
            uow.connection,
            entidad=ENTIDAD,
            entidad_id=caso.id,
            cambios=diferencias,
            autor_id=agente.id,
            canal=Canal.API,
        )
        # The event tells the customer about estado/urgencia (notificaciones' rule words it
        # so); assignment and links are staff matters, kept in the history only.
        if {"estado", "urgencia"} & diferencias.keys():
            await uow.emit(
                CasoActualizado(
                    caso_id=caso.id,
                    numero=caso.numero,
                    agente_id=agente.id,
                    estado_anterior=antes_estado.value,
                    estado=nuevo_estado.value,
                    urgencia_anterior=antes_urgencia.value,
                    urgencia=nueva_urgencia.value,
                    cliente_afectado_id=caso.cliente_afectado_id,
                    agente_asignado_id=despues["agente_asignado"],
                    equipo_id=despues["equipo"],
                    campos=tuple(sorted(diferencias)),
                )
            )
    for campo, valor in columnas.items():
        setattr(caso, campo, valor)
    # The loaded relations must follow the ids just written (the answer shows them).
    if "agente_asignado" in diferencias:
        caso.agente_asignado = (
            await Usuario.get(id=despues["agente_asignado"])
            if despues["agente_asignado"] is not None
            else None
        )
    if "equipo" in diferencias:
        caso.equipo = (
            await Equipo.get(id=despues["equipo"]) if despues["equipo"] is not None else None
        )
    return caso


async def _etiquetas_pedidas(caso_id: int, pedidas: Sequence[str] | None) -> list[str] | None:
    """The tag names a PATCH asks for, validated (400), or ``None`` when absent or the same
    set the case has (by key): then they are no change, not even on a CERRADO case."""
    if pedidas is None:
        return None
    nombres = tags.validar(pedidas)
    actuales = await tags.de(connections.get("default"), ENLACE_ETIQUETAS, caso_id)
    if {tags.clave(n) for n in nombres} == {e.clave for e in actuales}:
        return None
    return nombres


# --- the conversation ------------------------------------------------------------------------


@dataclass(frozen=True)
class RespuestaConArchivos:
    """A reply of a case with its author loaded and its files."""

    respuesta: RespuestaCaso
    adjuntos: list[AdjuntoCaso]


async def conversacion(usuario: Usuario, caso_id: int) -> list[RespuestaConArchivos]:
    """The replies of a case ``usuario`` may see (no internal note for a customer), oldest
    first, with their files (two queries)."""
    respuestas = await (
        visible_replies(usuario, RespuestaCaso.filter(caso_id=caso_id))
        .select_related("autor")
        .order_by("id")
    )
    if not respuestas:
        return []
    ids = [r.id for r in respuestas]
    por_respuesta: dict[int, list[AdjuntoCaso]] = {}
    for adjunto in await AdjuntoCaso.filter(respuesta_id__in=ids).order_by("id"):
        por_respuesta.setdefault(adjunto.respuesta_id or 0, []).append(adjunto)
    return [RespuestaConArchivos(r, por_respuesta.get(r.id, [])) for r in respuestas]


async def responder(
    bus: EventBus,
    caso: Caso,
    autor: Usuario,
    mensaje: str,
    *,
    interna: bool = False,
    archivos: Sequence[Upload] = (),
    cuota: Cuota | None = None,
) -> RespuestaConArchivos:
    """``autor`` (an agent, or the case's customer) answers the case; publishes
    :class:`RespuestaCasoCreada`.

    ``interna``: an internal note, staff only (a customer: 403). A CERRADO case takes no more
    messages (409). ``archivos``: files just stored by the request, recorded with the reply in
    its transaction and counted against ``cuota`` (429 past it; the request's files are then
    removed by the routing layer). Callers check visibility first (:func:`obtener_caso`).
    """
    if interna and not can_see_notes(autor):
        raise Forbidden("Solo el personal de soporte puede escribir notas internas.")
    if caso.estado == EstadoCaso.CERRADO:
        raise Conflict("El caso está CERRADO y ya no admite mensajes.")
    ahora = datetime.now(UTC)
    async with UnitOfWork(bus) as uow:
        conn = uow.connection
        assert conn is not None  # a UnitOfWork inside its block always has its connection
        respuesta = await RespuestaCaso.create(
            caso_id=caso.id, autor_id=autor.id, mensaje=mensaje, interna=interna, using_db=conn
        )
        adjuntos = [
            await AdjuntoCaso.create(
                clave=archivo.key,
                nombre=archivo.nombre,
                tipo=archivo.tipo,
                tamano=archivo.tamano,
                subido_por_id=autor.id,
                caso_id=caso.id,
                respuesta_id=respuesta.id,
                using_db=conn,
            )
            for archivo in archivos
        ]
        await comprobar_cuota(conn, autor.id, cuota, [a.id for a in adjuntos])
        await Caso.filter(id=caso.id).using_db(conn).update(fecha_actualizacion=ahora)
        await uow.emit(
            RespuestaCasoCreada(
                caso_id=caso.id,
                numero=caso.numero,
                respuesta_id=respuesta.id,
                autor_id=autor.id,
                interna=interna,
                cliente_afectado_id=caso.cliente_afectado_id,
            )
        )
    respuesta.autor = autor
    caso.fecha_actualizacion = ahora
    return RespuestaConArchivos(respuesta, adjuntos)
