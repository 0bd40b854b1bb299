"""The rules of escalation, free of HTTP — and the public API for plugins that add policies.

A pass (:func:`escalar`) asks each active rule's policy which level its candidate tickets
should be at, then applies every level not reached yet, each **exactly once**:

1. in one transaction, lock the ticket's row (``SELECT … FOR UPDATE`` where the database has
   it) and check that it is still open and in the same clock period;
2. insert the :class:`~plugins.escalamiento.models.Escalamiento` row — its unique key
   ``(ticket, periodo, nivel)`` is the claim: another process that got there first makes this
   one skip (an existing row, or an ``IntegrityError`` that rolls this transaction back);
3. raise ``nivel_escalamiento`` with a conditional update (it never goes down), store the
   alert and the ticket's latest-escalation row, and queue ``ticket_escalado``;
4. after commit: the event is published and, with ``notificaciones_automaticas``, every
   notifier is called (failures logged, never stopping the pass).

Several rules may match one ticket: the highest target level wins, and the rule that set it
is the one recorded (ties: the lowest rule id). A rule naming a policy that no enabled plugin
registers is skipped (and logged).

Alert severity grows with the level: ``critica`` for the rule's last level and for level 3 and
above, ``advertencia`` for the levels before (a first escalation already means the customer
waited past the limit). ``info`` is for notices that are not escalations.

Waiting periods: an agent's answer stops the clock (the ticket keeps its level and history);
when the customer writes again a new period starts, and its levels count from 1 again — each
one alerts again, while ``nivel_escalamiento`` stays the highest ever reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from core.api.errors import BadRequest, NotFound
from core.auth.models import Rol, Usuario
from core.events import UnitOfWork
from core.plugins import await_me_maybe
from plugins.escalamiento.events import TicketEscalado
from plugins.escalamiento.horario import Horario, segundos_habiles
from plugins.escalamiento.models import (
    MAX_NIVELES,
    POLITICA_POR_DEFECTO,
    Alerta,
    Escalamiento,
    EstadoEscalamiento,
    Nivel,
    NivelAlerta,
    Regla,
)
from plugins.escalamiento.notificadores import (
    TIMEOUT_NOTIFICADOR,
    Destinatario,
    Notificacion,
    verificar_firma,
)
from plugins.escalamiento.politicas import (
    REGISTRO,
    Politica,
    PoliticaBase,
    PoliticaRegistrada,
    Registro,
    ReglaVista,
    TiempoRespuesta,
    candidatos_de,
    cargar_registro,
    parametros_validos,
    periodo_de,
)
from plugins.tickets import api as tickets

if TYPE_CHECKING:
    from core.events import EventBus

__all__ = [
    "MAX_NIVELES",
    "POLITICA_POR_DEFECTO",
    "REGISTRO",
    "Alerta",
    "Destinatario",
    "Escalado",
    "Escalamiento",
    "EstadoEscalamiento",
    "Horario",
    "Nivel",
    "NivelAlerta",
    "Notificacion",
    "Politica",
    "PoliticaBase",
    "Registro",
    "Regla",
    "ReglaVista",
    "TicketEscalado",
    "TiempoRespuesta",
    "actualizar_regla",
    "alertas_pendientes",
    "bucle",
    "cargar_registro",
    "cerrar_notificadores",
    "contar_escalados",
    "crear_regla",
    "destinatarios_nivel",
    "escalar",
    "formato_duracion",
    "marcar_leida",
    "nivel_alerta",
    "obtener_regla",
    "segundos_habiles",
    "tickets_escalados",
    "verificar_firma",
]

log = logging.getLogger("soporte.escalamiento")

#: Tickets read per query during a pass (keyset batches by id).
LOTE: Final = 500
#: Most tickets the monitor lists, and most unread alerts it shows.
MAX_MONITOR: Final = 100
MAX_ALERTAS: Final = 50

_ROLES_NOTIFICABLES: Final = (Rol.AGENTE.value, Rol.ADMIN.value)


def _ahora() -> datetime:
    return datetime.now(UTC)


# --- rules -------------------------------------------------------------------------------------


def _errores_notificar(niveles: Any, existentes: set[int]) -> list[str]:
    """Messages for ``notificar`` user ids that are not active agents."""
    if not isinstance(niveles, list):
        return []
    faltan = sorted(
        {
            destino
            for item in niveles
            for destino in item.get("notificar") or ()
            if isinstance(destino, int) and destino not in existentes
        }
    )
    if not faltan:
        return []
    return [f"Usuarios inexistentes o que no son agentes activos: {', '.join(map(str, faltan))}"]


async def _validar_notificar(niveles: Any) -> None:
    """A 400 when a level's ``notificar`` names a user id that is not an active agent."""
    if not isinstance(niveles, list):
        return
    ids = {d for item in niveles for d in item.get("notificar") or () if isinstance(d, int)}
    existentes: set[int] = set()
    if ids:
        # tortoise types every values_list() as tuples; flat=True returns the bare ids.
        activos = await Usuario.filter(
            id__in=list(ids), activo=True, rol__in=[Rol.AGENTE, Rol.ADMIN]
        ).values_list("id", flat=True)
        existentes = set(cast("list[int]", activos))
    errores = _errores_notificar(niveles, existentes)
    if errores:
        raise BadRequest("Datos inválidos.", errors={"niveles_escalamiento": errores})


async def crear_regla(datos: Mapping[str, Any], registro: Registro | None = None) -> Regla:
    """Create a rule from validated data (the API's ``ReglaIn`` dumped to JSON types).

    Checks what the schema cannot: ``notificar`` user ids must be active agents, and with the
    app's ``registro`` the ``parametros`` must fit the policy's own model (else 400).
    """
    datos = dict(datos)
    if registro is not None:
        politica = datos.get("politica", POLITICA_POR_DEFECTO)
        datos["parametros"] = parametros_validos(registro, politica, datos.get("parametros") or {})
    await _validar_notificar(datos.get("niveles_escalamiento"))
    return await Regla.create(**datos)


async def obtener_regla(regla_id: int) -> Regla:
    """The rule ``regla_id`` or a 404."""
    regla = await Regla.get_or_none(id=regla_id)
    if regla is None:
        raise NotFound()
    return regla


async def actualizar_regla(
    regla: Regla, cambios: Mapping[str, Any], registro: Registro | None = None
) -> Regla:
    """Apply a partial update (validated fields only); returns the rule updated in place.

    Tickets keep the levels they reached: lowering the number of levels erases no history.
    With the app's ``registro``, ``parametros`` are checked against the (new) policy's model;
    a change of policy without them resets them to the new policy's defaults.
    """
    cambios = dict(cambios)
    politica = cambios.get("politica", regla.politica)
    if registro is not None and ("parametros" in cambios or politica != regla.politica):
        valores = cambios.get("parametros") or {}
        cambios["parametros"] = parametros_validos(registro, politica, valores)
    if "niveles_escalamiento" in cambios:
        await _validar_notificar(cambios["niveles_escalamiento"])
    if cambios:
        for campo, valor in cambios.items():
            setattr(regla, campo, valor)
        await regla.save()
    return regla


# --- the pass ----------------------------------------------------------------------------------


def nivel_alerta(nivel: int, total: int) -> NivelAlerta:
    """The alert severity of reaching ``nivel`` out of ``total`` (see the module docstring)."""
    if nivel >= total or nivel >= 3:
        return NivelAlerta.CRITICA
    return NivelAlerta.ADVERTENCIA


@dataclass(frozen=True)
class Escalado:
    """One level applied by a pass (what ``soporte escalar --once`` prints)."""

    escalamiento_id: int
    ticket_id: int
    numero: str
    nivel: int
    regla_id: int | None
    politica: str
    alerta_id: int
    alerta_nivel: str
    mensaje: str


@dataclass
class _Objetivo:
    """The level a ticket should reach within one clock period, and who decided it."""

    ticket_id: int
    periodo: datetime
    nivel: int
    actual: int
    regla: Regla
    politica: str
    objeto: Any
    vista: ReglaVista


async def _niveles_actuales(periodos: Mapping[int, datetime]) -> dict[tuple[int, datetime], int]:
    """The highest level already reached per ``(ticket, period)``, in one query."""
    if not periodos:
        return {}
    filas = await Escalamiento.filter(
        ticket_id__in=list(periodos), periodo__in=list(set(periodos.values()))
    ).values_list("ticket_id", "periodo", "nivel")
    actuales: dict[tuple[int, datetime], int] = {}
    for ticket_id, periodo, nivel in filas:
        clave = (ticket_id, periodo)
        actuales[clave] = max(actuales.get(clave, 0), nivel)
    return actuales


async def _objetivos_de_regla(
    regla: Regla,
    registrada: PoliticaRegistrada,
    objetivos: dict[tuple[int, datetime], _Objetivo],
    ahora: datetime,
    lote: int,
) -> None:
    """Ask ``regla``'s policy about its candidates, in batches of ``lote``, raising
    ``objetivos``."""
    politica = registrada.politica
    total = regla.total_niveles
    vista = ReglaVista.de(regla)  # what the policy reads: once per rule and pass
    criterios = candidatos_de(politica, vista, ahora)
    async for lote_tickets in tickets.candidatos(criterios, lote):
        periodos = {t.id: p for t in lote_tickets if (p := periodo_de(politica, t)) is not None}
        actuales = await _niveles_actuales(periodos)
        for ticket in lote_tickets:
            if ticket.id not in periodos:
                continue  # no clock runs for this ticket
            clave = (ticket.id, periodos[ticket.id])
            actual = actuales.get(clave, 0)
            previo = objetivos.get(clave)
            if actual >= total or (previo is not None and previo.nivel >= total):
                continue  # nothing this rule could add
            try:
                nivel = int(await await_me_maybe(politica.nivel_objetivo(ticket, vista, ahora)))
            except Exception:
                log.exception(
                    "policy %r failed on ticket %s (rule %s)", regla.politica, ticket.id, regla.id
                )
                continue
            nivel = min(nivel, total)
            if nivel > actual and (previo is None or nivel > previo.nivel):
                objetivos[clave] = _Objetivo(
                    ticket.id, clave[1], nivel, actual, regla, registrada.nombre, politica, vista
                )


async def _objetivos(registro: Registro, ahora: datetime, lote: int) -> list[_Objetivo]:
    """Every ``(ticket, period)`` whose target level is above the level it has reached.

    A rule whose policy is not registered, or fails, is logged and skipped; the others go on.
    """
    objetivos: dict[tuple[int, datetime], _Objetivo] = {}
    for regla in await Regla.filter(activa=True).order_by("id"):
        registrada = registro.politicas.get(regla.politica)
        if registrada is None:
            log.warning(
                "rule %s names the escalation policy %r, which no enabled plugin registers; "
                "skipped",
                regla.id,
                regla.politica,
            )
            continue
        try:
            await _objetivos_de_regla(regla, registrada, objetivos, ahora, lote)
        except Exception:
            log.exception("policy %r failed for rule %s; skipped", regla.politica, regla.id)
    return sorted(objetivos.values(), key=lambda o: (o.ticket_id, o.periodo))


async def _aplicar(
    bus: EventBus, objetivo: _Objetivo, nivel: int, ahora: datetime
) -> tuple[Escalado, tickets.TicketVista] | None:
    """Apply one level in one transaction, or ``None`` if another process did or it no longer
    applies (ticket closed, answered, or in another period).

    tickets' :func:`~plugins.tickets.api.subir_nivel` locks the row, runs the check below and
    raises the level inside this unit of work; the unique ``Escalamiento`` row inserted in the
    same transaction is the claim that makes each level happen once.
    """
    regla = objetivo.regla
    try:
        async with UnitOfWork(bus) as uow:
            conn = uow.connection

            async def libre(ticket: tickets.TicketVista) -> bool:
                # Under the row lock: still the period evaluated, and nobody applied the level.
                if periodo_de(objetivo.objeto, ticket) != objetivo.periodo:
                    return False
                ya = Escalamiento.filter(ticket_id=ticket.id, periodo=objetivo.periodo, nivel=nivel)
                return not await ya.using_db(conn).exists()

            subida = await tickets.subir_nivel(
                uow, objetivo.ticket_id, nivel, comprobar=libre, ahora=ahora
            )
            if subida is None:
                return None
            ticket = subida.ticket
            escalamiento = await Escalamiento.create(
                ticket_id=ticket.id,
                regla_id=regla.id,
                politica=objetivo.politica,
                nivel=nivel,
                periodo=objetivo.periodo,
                fecha=ahora,
                using_db=conn,
            )
            severidad = nivel_alerta(nivel, regla.total_niveles)
            datos_nivel = regla.nivel(nivel)
            mensaje = (
                f"Ticket {ticket.numero} «{ticket.asunto[:80]}» escalado a nivel {nivel} "
                f"({datos_nivel.nombre}) por la regla «{regla.etiqueta[:80]}»."
            )
            alerta = await Alerta.create(
                nivel=severidad,
                mensaje=mensaje,
                timestamp=ahora,
                ticket_id=ticket.id,
                escalamiento_id=escalamiento.id,
                using_db=conn,
            )
            cambiados = (
                await EstadoEscalamiento.filter(ticket_id=ticket.id)
                .using_db(conn)
                .update(nivel=nivel, fecha=ahora, escalamiento_id=escalamiento.id)
            )
            if not cambiados:
                await EstadoEscalamiento.create(
                    ticket_id=ticket.id,
                    nivel=nivel,
                    fecha=ahora,
                    escalamiento_id=escalamiento.id,
                    using_db=conn,
                )
            await uow.emit(
                TicketEscalado(
                    ticket_id=ticket.id,
                    nivel=nivel,
                    nivel_anterior=subida.anterior,
                    regla_id=regla.id,
                    politica=objetivo.politica,
                    escalamiento_id=escalamiento.id,
                    alerta_id=alerta.id,
                    alerta_nivel=severidad.value,
                )
            )
    except IntegrityError:
        # Another process inserted the same (ticket, periodo, nivel) first: it owns this level
        # (the level raise of this transaction and its event are rolled back with it).
        log.debug("level %s of ticket %s taken by another process", nivel, objetivo.ticket_id)
        return None
    escalado = Escalado(
        escalamiento_id=escalamiento.id,
        ticket_id=ticket.id,
        numero=ticket.numero,
        nivel=nivel,
        regla_id=regla.id,
        politica=objetivo.politica,
        alerta_id=alerta.id,
        alerta_nivel=severidad.value,
        mensaje=mensaje,
    )
    return escalado, ticket


async def _destinatarios(notificar: Iterable[int | str]) -> tuple[Destinatario, ...]:
    """Active agents named by id or by role (``AGENTE``, ``ADMIN``), by id."""
    ids = [d for d in notificar if isinstance(d, int)]
    roles = [d for d in notificar if isinstance(d, str) and d in _ROLES_NOTIFICABLES]
    if not ids and not roles:
        return ()
    usuarios = await Usuario.filter(
        Q(id__in=ids) | Q(rol__in=roles), activo=True, rol__in=list(_ROLES_NOTIFICABLES)
    ).order_by("id")
    return tuple(Destinatario(u.id, u.username, u.nombre_visible, u.email) for u in usuarios)


async def destinatarios_nivel(regla_id: int | None, nivel: int) -> tuple[Destinatario, ...]:
    """Who hears that a ticket reached level ``nivel`` of rule ``regla_id``: the active agents
    its ``notificar`` names — the notifiers' ``destinatarios`` — or nobody when the rule is
    gone or has ``notificaciones_automaticas`` off. Safe inside the escalation's own unit of
    work (an ``in_transaction`` listener of ``TicketEscalado``): it only reads."""
    if regla_id is None:
        return ()
    regla = await Regla.get_or_none(id=regla_id)
    if regla is None or not regla.notificaciones_automaticas:
        return ()
    return await _destinatarios(regla.nivel(nivel).notificar)


async def _notificar(
    registro: Registro,
    escalado: Escalado,
    ticket: tickets.TicketVista,
    regla: Regla,
    vistos: dict[tuple[int | str, ...], tuple[Destinatario, ...]] | None = None,
) -> None:
    """Call every notifier for one escalation; failures and slow ones are logged, never raised.

    ``vistos``: recipients already looked up during this pass, by ``notificar`` list (one
    query per distinct list, not one per escalation).
    """
    if not registro.notificadores:
        return
    datos_nivel = regla.nivel(escalado.nivel)
    vistos = {} if vistos is None else vistos
    if datos_nivel.notificar not in vistos:
        vistos[datos_nivel.notificar] = await _destinatarios(datos_nivel.notificar)
    notificacion = Notificacion(
        ticket_id=ticket.id,
        numero=ticket.numero,
        asunto=ticket.asunto,
        prioridad=str(ticket.prioridad),
        categoria=str(ticket.categoria),
        nivel=escalado.nivel,
        nombre_nivel=datos_nivel.nombre,
        regla_id=regla.id,
        regla_nombre=regla.nombre,
        politica=escalado.politica,
        alerta_nivel=escalado.alerta_nivel,
        mensaje=escalado.mensaje,
        fecha=_ahora(),
        notificar=datos_nivel.notificar,
        destinatarios=vistos[datos_nivel.notificar],
    )
    for registrado in registro.notificadores.values():
        try:
            resultado = registrado.notificador.notificar(notificacion)
            if asyncio.iscoroutine(resultado) or isinstance(resultado, asyncio.Future):
                await asyncio.wait_for(resultado, TIMEOUT_NOTIFICADOR)
            else:
                await await_me_maybe(resultado)
        except Exception:
            log.exception(
                "notifier %r (plugin %r) failed for ticket %s level %s",
                registrado.nombre,
                registrado.plugin,
                ticket.id,
                escalado.nivel,
            )


async def cerrar_notificadores(registro: Registro) -> None:
    """Let notifiers finish their background work: each one's optional ``aclose()``.

    Called at the app's clean-up (after the scheduler stopped) and by ``soporte escalar``
    before it exits, so queued webhook deliveries complete (or are cancelled after 10 s).
    A failing ``aclose`` is logged.
    """
    for registrado in registro.notificadores.values():
        cerrar = getattr(registrado.notificador, "aclose", None)
        if cerrar is None:
            continue
        try:
            await await_me_maybe(cerrar())
        except Exception:
            log.exception("notifier %r failed to close", registrado.nombre)


async def escalar(
    bus: EventBus, registro: Registro, *, ahora: datetime | None = None, lote: int = LOTE
) -> list[Escalado]:
    """One escalation pass over every active rule; returns the levels this call applied.

    Safe to run in several processes at once: each level of each ticket's clock period is
    applied by exactly one of them. Reads tickets in batches of ``lote`` and only the
    candidates each policy selects. ``ahora`` (default: now) is for tests and replays.
    """
    ahora = ahora or _ahora()
    hechos: list[Escalado] = []
    destinatarios: dict[tuple[int | str, ...], tuple[Destinatario, ...]] = {}
    for objetivo in await _objetivos(registro, ahora, lote):
        for nivel in range(objetivo.actual + 1, objetivo.nivel + 1):
            aplicado = await _aplicar(bus, objetivo, nivel, ahora)
            if aplicado is None:
                continue
            escalado, ticket = aplicado
            hechos.append(escalado)
            if objetivo.regla.notificaciones_automaticas:
                await _notificar(registro, escalado, ticket, objetivo.regla, destinatarios)
    if hechos:
        log.info("escalation pass: %d level(s) applied", len(hechos))
    return hechos


async def bucle(
    bus: EventBus,
    registro: Registro,
    intervalo: float,
    parar: asyncio.Event | None = None,
) -> None:
    """Run :func:`escalar` now and then every ``intervalo`` seconds until ``parar`` is set.

    A failing pass is logged and the loop goes on; setting ``parar`` ends the loop after the
    pass in progress (the scheduler's clean-up waits for it).
    """
    parar = parar or asyncio.Event()
    while not parar.is_set():
        try:
            await escalar(bus, registro)
        except Exception:
            log.exception("escalation pass failed; retrying in %s s", intervalo)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(parar.wait(), intervalo)


# --- monitor, alerts, dashboard ----------------------------------------------------------------


def formato_duracion(duracion: timedelta) -> str:
    """Human-readable: ``"3 d 4 h"``, ``"2 h 15 min"``, ``"45 min"``, ``"menos de 1 min"``."""
    minutos = max(0, int(duracion.total_seconds() // 60))
    dias, resto = divmod(minutos, 24 * 60)
    horas, minutos = divmod(resto, 60)
    if dias:
        return f"{dias} d {horas} h" if horas else f"{dias} d"
    if horas:
        return f"{horas} h {minutos} min" if minutos else f"{horas} h"
    return f"{minutos} min" if minutos else "menos de 1 min"


async def tickets_escalados(
    limite: int = MAX_MONITOR,
) -> list[tuple[tickets.TicketVista, datetime | None]]:
    """Open tickets with ``nivel_escalamiento > 0``: highest level first, then the ones whose
    latest escalation is oldest; each with that escalation's date (``None`` if the level was
    set outside this plugin). Two queries."""
    # `estado_escalamiento` is this plugin's own relation on tickets (EstadoEscalamiento.ticket).
    filas = await tickets.escalados(limite, desempate="estado_escalamiento__fecha")
    fechas = dict(
        await EstadoEscalamiento.filter(ticket_id__in=[t.id for t in filas]).values_list(
            "ticket_id", "fecha"
        )
    )
    return [(t, fechas.get(t.id)) for t in filas]


async def alertas_pendientes(limite: int = MAX_ALERTAS) -> list[Alerta]:
    """Unread alerts, newest first, at most ``limite``."""
    return list(await Alerta.filter(leida=False).order_by("-timestamp", "-id").limit(limite))


async def marcar_leida(alerta_id: int, usuario: Usuario) -> Alerta:
    """Acknowledge an alert (idempotent: the first reader and time are kept); 404 if unknown."""
    alerta = await Alerta.get_or_none(id=alerta_id)
    if alerta is None:
        raise NotFound()
    if not alerta.leida:
        ahora = _ahora()
        await Alerta.filter(id=alerta_id, leida=False).update(
            leida=True, leida_por_id=usuario.id, fecha_lectura=ahora
        )
        await alerta.refresh_from_db()
    return alerta


async def contar_escalados() -> int:
    """Open tickets with ``nivel_escalamiento > 0`` (the dashboard's ``tickets_escalados``)."""
    return await tickets.contar(tickets.Criterios(nivel_minimo=1))
