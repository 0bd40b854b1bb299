"""Demo cases for ``soporte demo``: realistic, in Spanish, loaded once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.events import EventBus
from plugins.casos.models import Caso, EstadoCaso, Impacto, TipoCaso, Urgencia
from plugins.casos.service import crear_caso

if TYPE_CHECKING:
    from core.auth.models import Usuario

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
