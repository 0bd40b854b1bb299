"""Demo cases for ``soporte demo``: realistic, in Spanish, loaded once.

:func:`generar_sinteticos` is the bulk version for benchmarks (``soporte demo --tickets N``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from tortoise.transactions import in_transaction

from core.events import EventBus
from core.synthetic import SPAN, connection, insert_rows, next_id, sync_sequence
from plugins.casos.models import Caso, EstadoCaso, Impacto, TipoCaso, Urgencia
from plugins.casos.service import ABIERTOS, crear_caso, numero_de

if TYPE_CHECKING:
    import random

    from core.auth.models import Usuario
    from core.synthetic import SyntheticUsers

#: (creator, affected customer, age in hours, final state, fields). Titles identify a demo
#: case, which is what makes loading twice harmless.
CASOS_DEMO: list[tuple[str, str | None, int, EstadoCaso, dict[str, Any]]] = [
    (
        "agente",
        None,
        3,
        EstadoCaso.EN_INVESTIGACION,
        {
            "tipo_caso": TipoCaso.INCIDENTE,
            "urgencia": Urgencia.CRITICA,
            "titulo": "Caída de la pasarela de pagos con tarjeta",
            "descripcion": "Desde las 09:40 los pagos con tarjeta devuelven un error de tiempo "
            "de espera. Afecta a todas las reservas nuevas.",
            "impacto_estimado": Impacto.MASIVO,
        },
    ),
    (
        "cliente",
        "cliente",
        20,
        EstadoCaso.ABIERTO,
        {
            "tipo_caso": TipoCaso.RECLAMO,
            "urgencia": Urgencia.CRITICA,
            "titulo": "Cobro duplicado de mi reserva en Bariloche",
            "descripcion": "Me cobraron dos veces la misma reserva de hotel. Necesito la "
            "devolución del segundo cargo antes del cierre de mi tarjeta.",
            "reservas_relacionadas": [10452],
        },
    ),
    (
        "agente",
        "cliente2",
        30,
        EstadoCaso.ABIERTO,
        {
            "tipo_caso": TipoCaso.INCIDENTE,
            "urgencia": Urgencia.ALTA,
            "titulo": "Vuelo reprogramado sin aviso al pasajero",
            "descripcion": "La aerolínea adelantó el vuelo de regreso tres horas y el cliente "
            "no recibió la notificación. Hay que ofrecerle alternativas.",
            "reservas_relacionadas": [20781, 20782],
            "impacto_estimado": Impacto.MULTIPLE,
        },
    ),
    (
        "cliente2",
        "cliente2",
        50,
        EstadoCaso.ABIERTO,
        {
            "tipo_caso": TipoCaso.CONSULTA,
            "urgencia": Urgencia.MEDIA,
            "titulo": "¿Puedo cambiar el titular de una reserva?",
            "descripcion": "Compré un paquete a mi nombre pero viajará mi hermana. ¿Cómo "
            "cambio el titular y tiene costo?",
        },
    ),
    (
        "cliente",
        "cliente",
        120,
        EstadoCaso.RESUELTO,
        {
            "tipo_caso": TipoCaso.SUGERENCIA,
            "urgencia": Urgencia.BAJA,
            "titulo": "Filtro de alojamientos que admiten mascotas",
            "descripcion": "Sería útil poder filtrar los hoteles que aceptan mascotas en el "
            "buscador.",
        },
    ),
    (
        "agente",
        None,
        200,
        EstadoCaso.CERRADO,
        {
            "tipo_caso": TipoCaso.INCIDENTE,
            "urgencia": Urgencia.ALTA,
            "titulo": "Correos de confirmación llegando a spam",
            "descripcion": "Varios clientes reportaron que las confirmaciones de reserva "
            "llegaban a la carpeta de spam. Se corrigió el registro SPF del dominio.",
            "impacto_estimado": Impacto.MULTIPLE,
        },
    ),
]


async def cargar_demo(usuarios: dict[str, Usuario]) -> None:
    """Create the demo cases that are missing, backdated and in their final states."""
    bus = EventBus()  # no listeners outside a running app; nothing needs these events
    ahora = datetime.now(UTC)
    for creador, afectado, horas, estado, datos in CASOS_DEMO:
        if await Caso.exists(titulo=datos["titulo"]):
            continue
        autor = usuarios[creador]
        caso = await crear_caso(
            bus,
            autor,
            cliente_afectado_id=usuarios[afectado].id if afectado else None,
            **datos,
        )
        creado = ahora - timedelta(hours=horas)
        await Caso.filter(id=caso.id).update(
            estado=estado,
            fecha_creacion=creado,
            fecha_actualizacion=creado if estado == EstadoCaso.ABIERTO else ahora,
        )


# --- bulk synthetic data (benchmarks) ----------------------------------------------------------

#: One case for every this many tickets.
TICKETS_POR_CASO: Final = 20
_TITULOS: Final = (
    "Cobro duplicado de una reserva", "Vuelo reprogramado sin aviso", "Caída de la pasarela de "
    "pagos", "Correos de confirmación en spam", "Hotel sin disponibilidad a la llegada",
    "Sugerencia: filtro de mascotas", "Consulta sobre cambio de titular", "Reembolso no recibido",
    "Error en el precio mostrado", "Queja por trato en recepción", "Traslado al aeropuerto no "
    "presentado", "Incidencia con el check-in online",
)  # fmt: skip
_DESCRIPCIONES: Final = (
    "Varios clientes han informado del mismo problema durante la última hora.",
    "El cliente aporta capturas y el localizador; pide una solución antes del viaje.",
    "Se ha escalado desde un ticket por su impacto en otras reservas.",
    "El proveedor confirma la incidencia y estudia una compensación.",
    "Pendiente de respuesta del equipo técnico.",
)


async def generar_sinteticos(
    usuarios: SyntheticUsers, n_tickets: int, rng: random.Random, ahora: datetime
) -> dict[str, int]:
    """One case per :data:`TICKETS_POR_CASO` tickets over two years, in bulk.

    Recent cases are still open, old ones closed; one in a hundred is CRITICA. Customers open
    a third of them (about themselves), agents the rest (about a customer or about nobody).
    """
    n = max(1, n_tickets // TICKETS_POR_CASO)
    conn = connection()
    primero = await next_id(conn, Caso._meta.db_table)
    clientes, agentes = usuarios.clientes, usuarios.agentes
    tipos, urgencias, impactos = list(TipoCaso), list(Urgencia), list(Impacto)
    inicio, paso = ahora - SPAN, SPAN.total_seconds() / n
    columnas = (
        "id", "numero", "tipo_caso", "urgencia", "titulo", "descripcion", "cliente_afectado_id",
        "reservas_relacionadas", "impacto_estimado", "estado", "creado_por_id",
        "fecha_creacion", "fecha_actualizacion",
    )  # fmt: skip
    filas: list[tuple[Any, ...]] = []
    for i in range(n):
        creado = inicio + timedelta(seconds=(i + rng.random()) * paso)
        edad = ahora - creado
        if edad < timedelta(days=7):
            estado = rng.choice(list(EstadoCaso))
        elif edad < timedelta(days=60):
            estado = rng.choices(list(EstadoCaso), (5, 10, 35, 50))[0]
        else:
            estado = rng.choices(list(EstadoCaso), (0.5, 0.5, 9, 90))[0]
        urgencia = rng.choices(urgencias, (1, 14, 50, 35))[0]
        cliente = clientes[int(rng.random() * len(clientes))]
        afectado: int | None
        if rng.random() < 1 / 3:
            creador, afectado = cliente, cliente
        else:
            creador = agentes[int(rng.random() * len(agentes))]
            afectado = cliente if rng.random() < 0.8 else None
        reservas = [1000 + int(rng.random() * 999_000) for _ in range(rng.choice((0, 1, 1, 2)))]
        actualizado = creado if estado in ABIERTOS else creado + (ahora - creado) * rng.random()
        filas.append(
            (
                primero + i,
                numero_de(primero + i),
                rng.choice(tipos).value,
                urgencia.value,
                rng.choice(_TITULOS),
                rng.choice(_DESCRIPCIONES),
                afectado,
                json.dumps(reservas),
                rng.choices(impactos, (80, 15, 5))[0].value,
                estado.value,
                creador,
                creado,
                min(ahora, actualizado),
            )
        )
    async with in_transaction() as tx:
        for desde in range(0, n, 20_000):
            await insert_rows(tx, Caso._meta.db_table, columnas, filas[desde : desde + 20_000])
    await sync_sequence(conn, Caso._meta.db_table)
    return {"casos": n}
