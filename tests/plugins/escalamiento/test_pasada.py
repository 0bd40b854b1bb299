"""The escalation pass: exactly once under concurrency, cheap candidate selection, batches,
policies and notifiers contributed by other plugins, and their failures."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from tortoise.exceptions import OperationalError

from core import keys
from core.auth.models import Rol
from core.db import activate
from core.events import Listener
from core.plugins import PluginError
from plugins.escalamiento import service
from plugins.escalamiento.events import TicketEscalado
from plugins.escalamiento.models import Alerta, Escalamiento, EstadoEscalamiento
from plugins.escalamiento.notificadores import Notificacion
from plugins.escalamiento.politicas import REGISTRO, PoliticaBase, TiempoRespuesta
from plugins.tickets.api import Criterios
from plugins.tickets.models import Ticket
from plugins.tickets.service import responder
from tests.plugins.escalamiento.ayudas import POLITICAS, Extra, Kit, ahora

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

pytestmark = pytest.mark.plugins("tickets", "escalamiento")


class Grabadora:
    """A notifier that keeps what it receives."""

    name = "grabadora"

    def __init__(self) -> None:
        self.recibidas: list[Notificacion] = []

    def notificar(self, notificacion: Notificacion) -> None:
        """Keep it."""
        self.recibidas.append(notificacion)


class Rota:
    """An async notifier whose channel is down."""

    name = "rota"

    async def notificar(self, notificacion: Notificacion) -> None:
        """Fail."""
        raise RuntimeError("servidor SMTP caído")


class Espia(TiempoRespuesta):
    """``tiempo_respuesta`` that records which tickets it was asked about."""

    name = "espia"

    def __init__(self) -> None:
        self.vistos: list[int] = []

    def nivel_objetivo(self, ticket: Ticket, regla: Any, ahora: Any) -> int:
        """Record, then answer as the built-in policy."""
        self.vistos.append(ticket.id)
        return super().nivel_objetivo(ticket, regla, ahora)


class Urgente:
    """An async policy with no base class: level 1 for tickets whose subject says URGENTE."""

    name = "urgente"
    description = "Nivel 1 si el asunto dice URGENTE."

    async def nivel_objetivo(self, ticket: Ticket, regla: Any, ahora: Any) -> int:
        """Level 1 for urgent subjects."""
        await asyncio.sleep(0)
        return 1 if "URGENTE" in ticket.asunto else 0


class Fallida:
    """A policy that raises."""

    name = "fallida"
    description = "Siempre falla."

    def nivel_objetivo(self, ticket: Ticket, regla: Any, ahora: Any) -> int:
        """Fail."""
        raise ZeroDivisionError("error de la política")


class Antigua:
    """A policy written before Plugin API v1, with no base class: ``descripcion`` only."""

    name = "antigua"
    descripcion = "Nivel 1 para todo ticket, con el nombre de atributo antiguo."

    def nivel_objetivo(self, ticket: Any, regla: Any, ahora: Any) -> int:
        """Level 1 for every candidate."""
        return 1


class AntiguaHeredada(TiempoRespuesta):
    """A pre-v1 subclass of the built-in policy (as the VIP example was): it sets
    ``descripcion`` only, so it inherits ``TiempoRespuesta.description`` — its own sentence,
    the nearer one, must still be the one listed."""

    name = "antigua"
    descripcion = "Como tiempo_respuesta, con el nombre de atributo antiguo."


class CandidatosRotos(PoliticaBase):
    """A policy whose ``candidatos`` is broken: it fails building its criteria."""

    name = "candidatos_rotos"

    def candidatos(self, regla: Any, ahora: Any) -> Criterios:
        """Criteria on a priority that does not exist (``Criterios`` raises ``ValueError``)."""
        return Criterios(prioridades=["URGENTISIMA"])

    def nivel_objetivo(self, ticket: Any, regla: Any, ahora: Any) -> int:
        """Never reached."""
        return 5


class CandidatosQuerySet(PoliticaBase):
    """A policy whose ``candidatos`` still returns a query set, as before Plugin API v1."""

    name = "candidatos_queryset"

    def candidatos(self, regla: Any, ahora: Any) -> Any:
        """Every ticket — a valid query, but not :class:`Criterios`."""
        return Ticket.all()

    def nivel_objetivo(self, ticket: Any, regla: Any, ahora: Any) -> int:
        """Level 1 for any ticket: would escalate every one if the rule were not skipped."""
        return 1


async def test_exactamente_una_vez_con_pasadas_concurrentes(kit: Kit) -> None:
    """Five passes at once, as five server processes would run them. On PostgreSQL
    (``SOPORTE_TEST_DATABASE_URL``) each transaction holds its own pooled connection, so the
    row lock and the unique key are what keep every level single."""
    await kit.regla(tiempo_respuesta_maximo=2, niveles_escalamiento=3)
    tickets = [await kit.ticket(esperando_hace=timedelta(hours=5)) for _ in range(20)]
    resultados = await asyncio.gather(*(kit.pasada() for _ in range(5)))
    hechos = [e for r in resultados for e in r]
    assert len(hechos) == 40
    assert sorted((e.ticket_id, e.nivel) for e in hechos) == sorted(
        (t, n) for t in tickets for n in (1, 2)
    )
    filas = await Escalamiento.all().values_list("ticket_id", "nivel")
    assert len(filas) == len(set(filas)) == 40
    assert await Alerta.all().count() == 40
    assert len(kit.eventos("ticket_escalado")) == 40
    assert set(await Ticket.all().values_list("nivel_escalamiento", flat=True)) == {2}
    assert await EstadoEscalamiento.all().count() == 20
    # Nothing is left to do for anyone.
    assert await asyncio.gather(kit.pasada(), kit.pasada()) == [[], []]


async def test_exactamente_una_vez_con_dos_procesos(
    arrancar: Callable[..., Awaitable[Kit]],
    make_app: Callable[..., web.Application],
    aiohttp_client: Callable[..., Any],
    soporte_database_url: str,
    tmp_path: Path,
) -> None:
    """Two applications (two server processes) on one database, each with its own connection
    and event bus, pass at the same moment. SQLite (a shared file) refuses a writer whose
    snapshot the other one just changed (``database is locked``): that pass stops and, like the
    scheduler, runs again later; PostgreSQL (``SOPORTE_TEST_DATABASE_URL``) waits on the row
    lock. Either way each level is applied — and announced — once, by one of them."""
    compartida = f"sqlite://{tmp_path}/compartida.db"
    url = compartida if soporte_database_url.startswith("sqlite") else soporte_database_url
    kit = await arrancar(database_url=url)
    otra = make_app(plugins=["tickets", "escalamiento"], database_url=url)
    await aiohttp_client(otra)
    await kit.regla(tiempo_respuesta_maximo=2, niveles_escalamiento=3)
    tickets = [await kit.ticket(esperando_hace=timedelta(hours=5)) for _ in range(10)]
    anunciados: list[tuple[str, int, int]] = []
    fallos: list[Exception] = []

    async def proceso(nombre: str, app: web.Application) -> None:
        app[keys.EVENTS].subscribe(
            Listener(TicketEscalado, lambda e: anunciados.append((nombre, e.ticket_id, e.nivel)))
        )
        with activate(app[keys.DB].ctx):
            for _ in range(500):
                try:
                    await service.escalar(app[keys.EVENTS], app[REGISTRO])
                except OperationalError as exc:
                    fallos.append(exc)
                    await asyncio.sleep(0.005)  # the scheduler's interval, shortened
                    continue
                if await Escalamiento.all().count() == 20:
                    return
        raise AssertionError("the passes never finished")

    await asyncio.gather(proceso("a", kit.soporte.app), proceso("b", otra))
    assert sorted((t, n) for _, t, n in anunciados) == sorted(
        (t, n) for t in tickets for n in (1, 2)
    )
    filas = await Escalamiento.all().values_list("ticket_id", "nivel")
    assert len(filas) == len(set(filas)) == 20
    assert await Alerta.all().count() == 20
    assert set(await Ticket.all().values_list("nivel_escalamiento", flat=True)) == {2}
    assert all("locked" in str(f) for f in fallos)


async def test_un_nivel_ya_reclamado_no_se_repite(kit: Kit) -> None:
    """The (ticket, periodo, nivel) row is the claim: whoever wrote it owns that level."""
    regla = await kit.regla(tiempo_respuesta_maximo=1, niveles_escalamiento=2)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=3))
    periodo = (await Ticket.get(id=ticket)).esperando_desde
    # Another process applied level 1 a moment ago.
    await Escalamiento.create(
        ticket_id=ticket,
        regla_id=regla["id"],
        politica="tiempo_respuesta",
        nivel=1,
        periodo=periodo,
        fecha=ahora(),
    )
    assert [e.nivel for e in await kit.pasada()] == [2]
    assert await Escalamiento.filter(ticket_id=ticket).count() == 2


async def test_la_pasada_solo_evalua_candidatos(arrancar: Callable[..., Awaitable[Kit]]) -> None:
    espia = Espia()
    kit = await arrancar(extra=[Extra([espia])])
    await kit.regla(politica="espia", tiempo_respuesta_maximo=2, niveles_escalamiento=1)
    atrasado = await kit.ticket(esperando_hace=timedelta(hours=3))
    await kit.ticket(esperando_hace=timedelta(hours=1))  # not overdue yet
    await kit.ticket("BAJA", esperando_hace=timedelta(hours=3))  # another priority
    contestado = await kit.ticket(esperando_hace=timedelta(hours=3))
    await kit.responder(contestado, kit.agente)
    resuelto = await kit.ticket(esperando_hace=timedelta(hours=3))
    await Ticket.filter(id=resuelto).update(estado="RESUELTO")
    assert [e.ticket_id for e in await kit.pasada()] == [atrasado]
    assert espia.vistos == [atrasado]
    # Once at the rule's last level, the ticket is not even evaluated again.
    assert await kit.pasada() == []
    assert espia.vistos == [atrasado]


async def test_lotes_pequenos_recorren_todo(kit: Kit) -> None:
    await kit.regla(niveles_escalamiento=1)
    tickets = [await kit.ticket(esperando_hace=timedelta(hours=3)) for _ in range(5)]
    hechos = await kit.pasada(lote=2)
    assert [e.ticket_id for e in hechos] == tickets


#: How the policy list shows a policy that takes no parameters.
SIN_PARAMETROS = {"type": "object", "properties": {}, "additionalProperties": False}


async def test_politica_de_otro_plugin_asincrona(arrancar: Callable[..., Awaitable[Kit]]) -> None:
    kit = await arrancar(extra=[Extra([Urgente], name="mis_politicas")])
    r = await kit.soporte.get(POLITICAS, headers=kit.soporte.auth(kit.agente))
    assert await r.json() == [
        {
            "nombre": "tiempo_respuesta",
            "descripcion": TiempoRespuesta.description,
            "plugin": "escalamiento",
            "parametros": SIN_PARAMETROS,
        },
        {
            "nombre": "urgente",
            "descripcion": Urgente.description,
            "plugin": "mis_politicas",
            "parametros": SIN_PARAMETROS,
        },
    ]
    await kit.regla(politica="urgente", tiempo_respuesta_maximo=100)
    urgente = await kit.ticket(asunto="URGENTE: no puedo pagar")
    await kit.ticket(asunto="Duda sobre facturas")
    assert [(e.ticket_id, e.politica) for e in await kit.pasada()] == [(urgente, "urgente")]


async def test_una_politica_que_falla_no_para_la_pasada(
    arrancar: Callable[..., Awaitable[Kit]], caplog: pytest.LogCaptureFixture
) -> None:
    kit = await arrancar(extra=[Extra([Fallida(), CandidatosRotos()])])
    await kit.regla(politica="fallida")
    await kit.regla(politica="candidatos_rotos")
    await kit.regla(niveles_escalamiento=1)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=3))
    with caplog.at_level(logging.ERROR, logger="soporte.escalamiento"):
        assert [(e.ticket_id, e.politica) for e in await kit.pasada()] == [
            (ticket, "tiempo_respuesta")
        ]
    assert "policy 'fallida' failed" in caplog.text
    assert "policy 'candidatos_rotos' failed for rule" in caplog.text
    assert "'URGENTISIMA' is not a valid Prioridad" in caplog.text


async def test_candidatos_que_no_son_criterios_saltan_su_regla(
    arrancar: Callable[..., Awaitable[Kit]], caplog: pytest.LogCaptureFixture
) -> None:
    """A ``candidatos`` returning a query set (the pre-v1 signature) is not run: its rule is
    skipped with an error naming the type, and the other rules still escalate."""
    kit = await arrancar(extra=[Extra([CandidatosQuerySet()])])
    rota = await kit.regla(politica="candidatos_queryset")
    await kit.regla(niveles_escalamiento=1)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=3))
    with caplog.at_level(logging.ERROR, logger="soporte.escalamiento"):
        assert [(e.ticket_id, e.politica) for e in await kit.pasada()] == [
            (ticket, "tiempo_respuesta")
        ]
    assert f"policy 'candidatos_queryset' failed for rule {rota['id']}; skipped" in caplog.text
    assert "candidatos() must return plugins.tickets.api.Criterios, not QuerySet" in caplog.text
    assert not await Escalamiento.filter(politica="candidatos_queryset").exists()


@pytest.mark.parametrize("politica", [Antigua, AntiguaHeredada])
async def test_una_politica_con_descripcion_funciona_y_avisa(
    arrancar: Callable[..., Awaitable[Kit]], politica: type
) -> None:
    """``descripcion`` (the pre-v1 name) is still read, with a ``DeprecationWarning`` naming
    the policy and its plugin; the policy is listed and escalates like any other."""
    with pytest.warns(DeprecationWarning) as avisos:
        kit = await arrancar(extra=[Extra([politica], name="viejas")])
    (aviso,) = [a for a in avisos if "descripcion" in str(a.message)]
    assert "'antigua'" in str(aviso.message) and "'viejas'" in str(aviso.message)
    assert "description" in str(aviso.message)
    r = await kit.soporte.get(POLITICAS, headers=kit.soporte.auth(kit.agente))
    assert {
        "nombre": "antigua",
        "descripcion": politica.descripcion,
        "plugin": "viejas",
        "parametros": SIN_PARAMETROS,
    } in await r.json()
    await kit.regla(politica="antigua", tiempo_respuesta_maximo=2, niveles_escalamiento=1)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=3))
    assert [(e.ticket_id, e.politica) for e in await kit.pasada()] == [(ticket, "antigua")]


@pytest.mark.parametrize(
    ("extra", "mensaje"),
    [
        (Extra([TiempoRespuesta], name="copion"), "'tiempo_respuesta' is registered by both"),
        (Extra([Urgente, Urgente()], name="doble"), "plugin 'doble' and plugin 'doble'"),
        (Extra([object()]), "without a valid name"),
        (Extra([type("SinMetodo", (), {"name": "sin_metodo"})]), "has no nivel_objetivo"),
        (Extra(notificadores=[Grabadora(), Grabadora()]), "notifier 'grabadora'"),
        (Extra(notificadores=[type("Mudo", (), {"name": "mudo"})()]), "has no notificar"),
    ],
)
def test_registros_invalidos_impiden_arrancar(
    make_app: Callable[..., web.Application], extra: Extra, mensaje: str
) -> None:
    with pytest.raises(PluginError, match=mensaje) as info:
        make_app(plugins=["tickets", "escalamiento"], extra=[extra])
    if "registered by both" in mensaje:
        assert "'escalamiento'" in str(info.value) and "'copion'" in str(info.value)


async def test_notificadores_reciben_cada_nivel(
    arrancar: Callable[..., Awaitable[Kit]], caplog: pytest.LogCaptureFixture
) -> None:
    grabadora = Grabadora()
    kit = await arrancar(extra=[Extra(notificadores=[Rota(), grabadora])])
    jefa = await kit.soporte.usuario("jefa", Rol.ADMIN)
    await kit.regla(
        tiempo_respuesta_maximo=1,
        nombre="SLA",
        niveles_escalamiento=[
            {"nivel": 1, "nombre": "Guardia", "notificar": ["AGENTE"]},
            {"nivel": 2, "nombre": "Supervisión", "notificar": [jefa.id]},
        ],
    )
    ticket = await kit.ticket(esperando_hace=timedelta(hours=2, minutes=5))
    with caplog.at_level(logging.WARNING, logger="soporte.escalamiento"):
        assert len(await kit.pasada()) == 2
    uno, dos = grabadora.recibidas
    assert (uno.ticket_id, uno.nivel, uno.nombre_nivel, uno.regla_nombre) == (
        ticket,
        1,
        "Guardia",
        "SLA",
    )
    assert uno.notificar == ("AGENTE",)
    assert [d.username for d in uno.destinatarios] == ["agente"]
    assert [d.username for d in dos.destinatarios] == ["jefa"]
    assert dos.alerta_nivel == "critica" and dos.numero.startswith("TK-")
    # The broken channel was logged; the built-in log channel wrote its line.
    assert "notifier 'rota'" in caplog.text and "servidor SMTP caído" in caplog.text
    assert "escalado a nivel 2 (Supervisión)" in caplog.text


async def test_sin_notificaciones_automaticas_no_se_notifica(
    arrancar: Callable[..., Awaitable[Kit]],
) -> None:
    grabadora = Grabadora()
    kit = await arrancar(extra=[Extra(notificadores=[grabadora])])
    await kit.regla(notificaciones_automaticas=False)
    await kit.ticket(esperando_hace=timedelta(hours=3))
    assert len(await kit.pasada()) == 1
    assert grabadora.recibidas == []


async def test_un_agente_que_responde_a_mitad_de_pasada_detiene_los_niveles_siguientes(
    arrancar: Callable[..., Awaitable[Kit]],
) -> None:
    """Each level re-checks, under the ticket's lock, that the clock period is unchanged."""

    class Responde:
        name = "responde"

        async def notificar(self, notificacion: Notificacion) -> None:
            ticket = await Ticket.get(id=notificacion.ticket_id)
            await responder(kit.soporte.app[keys.EVENTS], ticket, kit.agente, "Ya lo miro")

    kit = await arrancar(extra=[Extra(notificadores=[Responde()])])
    await kit.regla(tiempo_respuesta_maximo=1, niveles_escalamiento=3)
    ticket = await kit.ticket(esperando_hace=timedelta(hours=5))
    assert [e.nivel for e in await kit.pasada()] == [1]
    assert await kit.nivel(ticket) == 1
