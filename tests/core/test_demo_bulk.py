"""``soporte demo --tickets N``: bulk synthetic data through the ``generate_synthetic_data`` hook.

Small N (500 tickets) with every built-in plugin: the counts each plugin reports, the spread
of states, categories and dates, ticket numbers derived from ids, conversations that follow
the state machine, totals that match the rows, and a clear refusal to generate twice.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from core import keys
from core.auth.models import Rol, Usuario
from core.cli import ensure_demo_users
from core.synthetic import PREFIX, SPAN, AlreadyGenerated, generate
from plugins.casos.models import Caso
from plugins.escalamiento.models import Escalamiento, EstadoEscalamiento
from plugins.faq.models import FAQ, VotoFAQ
from plugins.tickets import agregados
from plugins.tickets.service import ESTADOS_ABIERTOS, Estado, Respuesta, Ticket, Valoracion
from tests.core.test_cli import entorno, invocar, una_linea

if TYPE_CHECKING:
    from pathlib import Path

    from core.testing import SoporteClient

N = 500


async def generar(soporte: SoporteClient, n: int = N, seed: int = 3) -> tuple[int, object]:
    """The demo data, then ``n`` synthetic tickets; returns the first synthetic ticket id."""
    usuarios = await ensure_demo_users()
    host = soporte.app[keys.PLUGINS]
    await host.load_demo_data(usuarios)
    primero = (await Ticket.all().order_by("-id").first()).id + 1  # type: ignore[union-attr]  # demo data has tickets
    ahora = datetime.now(UTC)
    report = await generate(host, n, 40, random.Random(seed), usuarios, ahora)
    return primero, (report, ahora)


async def test_generates_every_plugins_data_at_scale(soporte: SoporteClient) -> None:
    primero, (report, ahora) = await generar(soporte)  # type: ignore[misc]  # object: see generar()
    assert report.counts["core"] == {"usuarios": 40 + 4}
    assert report.counts["tickets"]["tickets"] == N
    assert report.counts["casos"] == {"casos": N // 20}
    assert report.counts["faq"]["faqs"] == 50
    assert set(report.counts) >= {"core", "tickets", "casos", "faq", "escalamiento"}

    tickets = await Ticket.filter(id__gte=primero).order_by("id")
    assert len(tickets) == N
    # Numbers derive from ids (the plugin's scheme) and are unique; ids grow with the date.
    assert [t.numero for t in tickets] == [f"TK-{t.id:06d}" for t in tickets]
    assert len(set(await Ticket.all().values_list("numero", flat=True))) == N + 12
    fechas = [t.fecha_creacion for t in tickets]
    assert fechas == sorted(fechas)
    assert ahora - SPAN <= fechas[0] and fechas[-1] <= ahora
    assert fechas[-1] - fechas[0] > SPAN * 0.9  # two years, not a burst

    estados = Counter(t.estado for t in tickets)
    assert set(estados) == set(Estado)
    assert estados[Estado.CERRADO] > N / 2  # old tickets are closed
    assert len({t.categoria for t in tickets}) == 4 and len({t.prioridad for t in tickets}) == 3
    sinteticos = set(await Usuario.filter(username__startswith=PREFIX).values_list("id", flat=True))
    assert len(sinteticos) == 40
    assert len({t.cliente_id for t in tickets}) > 10

    # Conversations follow the state machine.
    respuestas = await Respuesta.filter(ticket_id__gte=primero).select_related("autor")
    por_ticket: dict[int, list[Respuesta]] = {}
    for r in sorted(respuestas, key=lambda r: r.id):
        por_ticket.setdefault(r.ticket_id, []).append(r)
    assert len(respuestas) > N
    for t in tickets:
        conversacion = por_ticket.get(t.id, [])
        assert all(t.fecha_creacion <= r.fecha_creacion <= ahora for r in conversacion)
        agentes = [r for r in conversacion if r.autor.es_agente]
        if t.estado == Estado.ABIERTO:
            assert not agentes and t.primera_respuesta_agente is None
        else:
            assert agentes and t.primera_respuesta_agente == agentes[0].fecha_creacion
        if t.estado in (Estado.RESUELTO, Estado.CERRADO):
            assert conversacion[-1].autor.es_agente and t.esperando_desde is None
        espera = t.estado in ESTADOS_ABIERTOS and not (
            conversacion and conversacion[-1].autor.es_agente
        )
        assert (t.esperando_desde is not None) == espera, t.id
    valorados = await Valoracion.filter(ticket_id__gte=primero).values_list("ticket_id", flat=True)
    assert valorados
    estado_de = {t.id: t.estado for t in tickets}
    assert all(estado_de[i] in (Estado.RESUELTO, Estado.CERRADO) for i in valorados)

    # Other plugins: cases, FAQs whose counts match their votes, escalation history.
    assert await Caso.all().count() == N // 20 + 6
    for faq in await FAQ.all():
        votos = await VotoFAQ.filter(faq_id=faq.id).values_list("es_util", flat=True)
        assert faq.valoraciones_positivas == sum(1 for v in votos if v)
        assert faq.valoraciones_negativas == sum(1 for v in votos if not v)
    escalados = await EstadoEscalamiento.all().values_list("ticket_id", "nivel")
    for ticket_id, nivel in escalados:
        assert (await Ticket.get(id=ticket_id)).nivel_escalamiento == nivel
        assert await Escalamiento.filter(ticket_id=ticket_id).count() == nivel


async def test_totals_match_the_rows_and_the_dashboard_reads_them(
    soporte: SoporteClient,
) -> None:
    await generar(soporte)
    assert await agregados.contar_tickets() == await Ticket.all().count()
    abiertos = await Ticket.filter(estado__in=list(ESTADOS_ABIERTOS)).count()
    assert await agregados.contar_tickets(estados=ESTADOS_ABIERTOS) == abiertos
    agente = await soporte.usuario("ana", Rol.AGENTE)
    r = await soporte.get("/api/soporte/dashboard/stats/?dias=3650", headers=soporte.auth(agente))
    stats = await r.json()
    puntuaciones = await Valoracion.all().values_list("puntuacion", flat=True)
    buenas = sum(1 for p in puntuaciones if p >= 4)
    assert stats["tickets_abiertos"] == abiertos
    assert stats["satisfaccion_promedio"] == round(100 * buenas / len(puntuaciones), 1)
    segundos = await Ticket.filter(segundos_primera_respuesta__not_isnull=True).values_list(
        "segundos_primera_respuesta", flat=True
    )
    assert stats["tiempo_promedio_respuesta"] == round(sum(segundos) / len(segundos) / 3600, 1)
    r = await soporte.get("/api/soporte/tickets/?estado=CERRADO", headers=soporte.auth(agente))
    assert (await r.json())["count"] == await Ticket.filter(estado=Estado.CERRADO).count()


async def test_refuses_to_generate_twice(soporte: SoporteClient) -> None:
    await generar(soporte, n=50)
    antes = (await Ticket.all().count(), await Usuario.all().count())
    usuarios = await ensure_demo_users()
    with pytest.raises(AlreadyGenerated, match="already holds synthetic data"):
        await generate(soporte.app[keys.PLUGINS], 50, 40, random.Random(1), usuarios)
    assert (await Ticket.all().count(), await Usuario.all().count()) == antes


def test_the_command_generates_and_then_refuses_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = entorno(tmp_path / "x.db")
    assert invocar(["migrate"], env).exit_code == 0
    r = invocar(["demo", "--tickets", "300", "--usuarios", "20"], env)
    assert r.exit_code == 0, r.output
    assert "tickets: 300 tickets" in r.output and "core: 24 usuarios" in r.output
    assert "datos sintéticos generados" in r.output
    r = invocar(["demo", "--tickets", "300"], env)
    assert r.exit_code != 0
    assert "already holds synthetic data" in una_linea(r)
