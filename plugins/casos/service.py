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
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.api.errors import BadRequest, Conflict, NotFound
from core.api.fields import MAX_ID
from core.auth.guards import visible_or_404, visible_to
from core.auth.models import Usuario
from core.events import EventBus, UnitOfWork
from plugins.casos.events import CasoActualizado, CasoCreado
from plugins.casos.models import Caso, EstadoCaso, Impacto, TipoCaso, Urgencia

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from tortoise.queryset import QuerySet

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
            errores["cliente_afectado"] = ["Un cliente solo puede abrir casos sobre sí mismo."]
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
) -> QuerySet[Caso]:
    """The cases ``usuario`` may see, filtered, newest first (each filter ``None``: any)."""
    qs = visible_to(usuario, Caso.all(), CAMPO_PROPIETARIO)
    if tipo_caso is not None:
        qs = qs.filter(tipo_caso=tipo_caso)
    if urgencia is not None:
        qs = qs.filter(urgencia=urgencia)
    if estado is not None:
        qs = qs.filter(estado=estado)
    return qs.order_by("-fecha_creacion", "-id")


async def cargar(ids: Sequence[int]) -> list[Caso]:
    """The cases ``ids`` with their users, in that order (one query)."""
    found = await Caso.filter(id__in=list(ids)).select_related("cliente_afectado", "creado_por")
    by_id = {caso.id: caso for caso in found}
    return [by_id[i] for i in ids if i in by_id]


async def obtener_caso(usuario: Usuario, caso_id: int) -> Caso:
    """Case ``caso_id`` with its users if ``usuario`` may see it; otherwise a 404."""
    if not 0 < caso_id <= MAX_ID:
        raise NotFound()
    caso = await Caso.filter(id=caso_id).select_related("cliente_afectado", "creado_por").first()
    return visible_or_404(usuario, caso, CAMPO_PROPIETARIO)


async def casos_urgentes(limite: int = MAX_URGENTES) -> list[Caso]:
    """Open CRITICA cases, then open ALTA ones, oldest first within each; at most ``limite``."""
    resultado: list[Caso] = []
    for urgencia in URGENCIAS_URGENTES:
        restantes = limite - len(resultado)
        if restantes <= 0:
            break
        resultado += (
            await Caso.filter(urgencia=urgencia, estado__in=ABIERTOS)
            .select_related("cliente_afectado", "creado_por")
            .order_by("fecha_creacion", "id")
            .limit(restantes)
        )
    return resultado


async def contar_criticos() -> int:
    """How many open (ABIERTO or EN_INVESTIGACION) cases are CRITICA."""
    return await Caso.filter(urgencia=Urgencia.CRITICA, estado__in=ABIERTOS).count()


# --- changes ---------------------------------------------------------------------------------


def transicion_permitida(desde: EstadoCaso, hacia: EstadoCaso) -> bool:
    """Whether ``estado`` may move from ``desde`` to ``hacia`` (staying put always may)."""
    return desde == hacia or hacia in TRANSICIONES[EstadoCaso(desde)]


async def actualizar_caso(
    bus: EventBus,
    agente: Usuario,
    caso: Caso,
    *,
    estado: EstadoCaso | None = None,
    urgencia: Urgencia | None = None,
) -> Caso:
    """An agent changes ``estado`` and/or ``urgencia``; publishes :class:`CasoActualizado`.

    Moves outside :data:`TRANSICIONES`, and any change to a CERRADO case, are a 409. Nothing
    changed: nothing written, no event. The update is conditional on the values just read, so
    two agents racing on one case cannot both apply a move decided on a stale state (the loser
    gets a 409 and may retry).
    """
    antes_estado, antes_urgencia = EstadoCaso(caso.estado), Urgencia(caso.urgencia)
    nuevo_estado = EstadoCaso(estado) if estado is not None else antes_estado
    nueva_urgencia = Urgencia(urgencia) if urgencia is not None else antes_urgencia
    if (nuevo_estado, nueva_urgencia) == (antes_estado, antes_urgencia):
        return caso
    if antes_estado == EstadoCaso.CERRADO:
        raise Conflict("El caso está CERRADO y ya no admite cambios.")
    if not transicion_permitida(antes_estado, nuevo_estado):
        raise Conflict(
            f"Un caso {antes_estado.value} no puede pasar a {nuevo_estado.value}.",
            errors={"estado": [f"Transición no permitida: {antes_estado} → {nuevo_estado}."]},
        )
    ahora = datetime.now(UTC)
    async with UnitOfWork(bus) as uow:
        cambiados = (
            await Caso.filter(id=caso.id, estado=antes_estado, urgencia=antes_urgencia)
            .using_db(uow.connection)
            .update(estado=nuevo_estado, urgencia=nueva_urgencia, fecha_actualizacion=ahora)
        )
        if not cambiados:
            raise Conflict("El caso cambió mientras tanto; recárguelo y vuelva a intentarlo.")
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
            )
        )
    caso.estado, caso.urgencia, caso.fecha_actualizacion = nuevo_estado, nueva_urgencia, ahora
    return caso
