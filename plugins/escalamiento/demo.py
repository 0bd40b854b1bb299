"""Demo data of escalation: one realistic business-hours rule (idempotent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plugins.escalamiento.models import Regla

if TYPE_CHECKING:
    from core.auth.models import Usuario

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
