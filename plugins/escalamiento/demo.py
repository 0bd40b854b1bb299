"""Demo data of escalation: one realistic business-hours rule (idempotent).

:func:`generar_sinteticos` is the bulk version for benchmarks (``soporte demo --tickets N``):
the escalation history a running scheduler would have left behind.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from tortoise.transactions import in_transaction

from core.synthetic import (
    chunks,
    connection,
    insert_rows,
    next_id,
    sync_sequence,
)
from plugins.escalamiento.models import Alerta, Escalamiento, EstadoEscalamiento, Regla
from plugins.escalamiento.politicas import ReglaVista, TiempoRespuesta
from plugins.escalamiento.service import nivel_alerta
from plugins.tickets import api as tickets

if TYPE_CHECKING:
    import random
    from datetime import datetime

    from core.auth.models import Usuario
    from core.synthetic import SyntheticUsers

NOMBRE_DEMO = "SLA prioridad alta y media (horario laboral)"


async def cargar_demo(usuarios: dict[str, Usuario]) -> None:
    """ALTA and MEDIA tickets: a level every 4 business hours (Mon–Fri 9–18, Madrid), 3 levels."""
    if await Regla.filter(nombre=NOMBRE_DEMO).exists():
        return
    admin = usuarios.get("admin")
    await Regla.create(
        nombre=NOMBRE_DEMO,
        politica="tiempo_respuesta",
        tiempo_respuesta_maximo=4,
        prioridades_escalamiento=["ALTA", "MEDIA"],
        categorias=[],
        niveles_escalamiento=[
            {"nivel": 1, "nombre": "Agentes de guardia", "notificar": ["AGENTE"]},
            {"nivel": 2, "nombre": "Supervisión", "notificar": [admin.id] if admin else ["ADMIN"]},
            {"nivel": 3, "nombre": "Dirección de soporte", "notificar": ["ADMIN"]},
        ],
        notificaciones_automaticas=True,
        activa=True,
        horario={
            "zona": "Europe/Madrid",
            "dias": [0, 1, 2, 3, 4],
            "intervalos": [["09:00", "18:00"]],
            "festivos": [],
        },
    )


# --- bulk synthetic data (benchmarks) ----------------------------------------------------------

#: Share of the tickets no longer open that were escalated while they were.
ESCALADOS_CERRADOS: Final = 0.02
#: Alerts left unread (the newest ones): what the monitor shows.
ALERTAS_SIN_LEER: Final = 60


async def generar_sinteticos(
    usuarios: SyntheticUsers, n_tickets: int, rng: random.Random, ahora: datetime
) -> dict[str, int]:
    """The history a scheduler running the demo rule would have left, in bulk.

    Every open ticket whose customer waits is at the level the rule's policy gives it now
    (so the next pass has nothing to catch up on); a share of the closed and resolved ones
    (:data:`ESCALADOS_CERRADOS`) reached level 1 or 2 while open. Each level is an
    ``Escalamiento`` row with its alert (the newest :data:`ALERTAS_SIN_LEER` unread), each
    escalated ticket has its ``EstadoEscalamiento`` row and its ``nivel_escalamiento``.
    """
    regla = await Regla.filter(activa=True).order_by("id").first()
    if regla is None:
        return {}
    conn = connection()
    politica = TiempoRespuesta()
    vista = ReglaVista.de(regla)
    limite = regla.limite
    total = regla.total_niveles
    # (ticket id, numero, asunto, periodo, level reached)
    escalados: list[tuple[int, str, str, datetime, int]] = []
    async for lote_abiertos in tickets.candidatos(tickets.Criterios(en_espera=True)):
        for ticket in lote_abiertos:
            nivel = politica.nivel_objetivo(ticket, vista, ahora)
            if nivel > 0 and ticket.esperando_desde is not None:
                escalados.append(
                    (ticket.id, ticket.numero, ticket.asunto, ticket.esperando_desde, nivel)
                )
    maximo = await tickets.ultimo_id()
    muestra = sorted(rng.sample(range(1, maximo + 1), min(maximo, int(n_tickets * 0.025))))
    for lote in chunks(muestra, 500):
        for ticket in await tickets.leer(lote):
            if ticket.estado in tickets.ESTADOS_ABIERTOS:
                continue
            if rng.random() < ESCALADOS_CERRADOS / 0.025:
                escalados.append(
                    (ticket.id, ticket.numero, ticket.asunto, ticket.fecha_creacion,
                     rng.choice((1, 1, 2)))
                )  # fmt: skip
    primer_escalamiento = await next_id(conn, Escalamiento._meta.db_table)
    primera_alerta = await next_id(conn, Alerta._meta.db_table)
    filas_esc: list[tuple[Any, ...]] = []
    filas_alerta: list[tuple[Any, ...]] = []
    filas_estado: list[tuple[Any, ...]] = []
    niveles: list[tuple[int, int]] = []
    for ticket_id, numero, asunto, periodo, nivel in escalados:
        for k in range(1, nivel + 1):
            fecha = min(ahora, periodo + limite * k)
            esc_id = primer_escalamiento + len(filas_esc)
            filas_esc.append((esc_id, ticket_id, regla.id, politica.name, k, periodo, fecha))
            filas_alerta.append(
                (
                    primera_alerta + len(filas_alerta),
                    nivel_alerta(k, total).value,
                    f"Ticket {numero} «{asunto[:80]}» escalado a nivel {k} "
                    f"({regla.nivel(k).nombre}) por la regla «{regla.etiqueta[:80]}».",
                    fecha,
                    ticket_id,
                    esc_id,
                    True,
                    fecha + timedelta(minutes=5),
                )
            )
        filas_estado.append((ticket_id, nivel, filas_esc[-1][6], filas_esc[-1][0]))
        niveles.append((nivel, ticket_id))
    # The newest alerts are still waiting for an agent.
    for i in sorted(range(len(filas_alerta)), key=lambda i: filas_alerta[i][3])[-ALERTAS_SIN_LEER:]:
        filas_alerta[i] = (*filas_alerta[i][:6], False, None)
    async with in_transaction() as tx:
        await insert_rows(
            tx, Escalamiento._meta.db_table,
            ("id", "ticket_id", "regla_id", "politica", "nivel", "periodo", "fecha"), filas_esc,
        )  # fmt: skip
        await insert_rows(
            tx, Alerta._meta.db_table,
            ("id", "nivel", "mensaje", "timestamp", "ticket_id", "escalamiento_id", "leida",
             "fecha_lectura"), filas_alerta,
        )  # fmt: skip
        await insert_rows(
            tx, EstadoEscalamiento._meta.db_table,
            ("ticket_id", "nivel", "fecha", "escalamiento_id"), filas_estado,
        )  # fmt: skip
        await tickets.fijar_niveles(tx, niveles)
    for modelo in (Escalamiento, Alerta, EstadoEscalamiento):
        await sync_sequence(conn, modelo._meta.db_table)
    return {"escalamientos": len(filas_esc), "alertas": len(filas_alerta),
            "tickets_escalados": len(filas_estado)}  # fmt: skip
