"""Demo macros for ``soporte demo``: a few global canned replies and one personal (idempotent)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plugins.macros.models import Ambito, Macro
from plugins.macros.service import alcance

if TYPE_CHECKING:
    from core.auth.models import Usuario

#: ``(nombre, descripcion, mensaje, interna, acciones)`` of the global demo macros.
GLOBALES: list[tuple[str, str, str, bool, dict[str, Any]]] = [
    (
        "Saludo",
        "Primera respuesta a un ticket nuevo",
        'Hola {{ cliente.nombre | default("y gracias por escribirnos") }}:\n\n'
        "Hemos recibido tu consulta «{{ ticket.asunto }}» ({{ ticket.numero }}) y ya la "
        "estamos revisando.\n\nUn saludo,\n{{ agente.nombre }}",
        False,
        {"estado": "EN_PROGRESO"},
    ),
    (
        "Factura reenviada",
        "La factura se reenvió por correo: resuelve el ticket",
        'Hola {{ cliente.nombre | default("") }}:\n\nTe hemos reenviado la factura a '
        '{{ cliente.email | default("tu correo") }} hoy, {{ hoy }}. Si no la ves, revisa la '
        "carpeta de correo no deseado.\n\nUn saludo,\n{{ agente.nombre }}",
        False,
        {"estado": "RESUELTO", "etiquetas_agregar": ["Factura"]},
    ),
    (
        "Escalar a pagos",
        "Nota interna y prioridad alta para el equipo de pagos",
        "Escalado a pagos por {{ agente.nombre }} el {{ ahora }}.",
        True,
        {"prioridad": "ALTA", "etiquetas_agregar": ["Pagos"]},
    ),
]


async def cargar_demo(usuarios: dict[str, Usuario]) -> None:
    """Create the demo macros that do not exist yet (by scope and name)."""
    filas: list[tuple[Ambito, int | None, str, str, str, bool, dict[str, Any]]] = [
        (Ambito.GLOBAL, None, *fila) for fila in GLOBALES
    ]
    agente = usuarios.get("agente")
    if agente is not None:
        filas.append(
            (
                Ambito.PERSONAL,
                agente.id,
                "Pedir captura",
                "Cuando falta información",
                "¿Nos envías una captura de pantalla del error, por favor?",
                False,
                {},
            )
        )
    for ambito, propietario_id, nombre, descripcion, mensaje, interna, acciones in filas:
        await Macro.get_or_create(
            alcance=alcance(ambito, propietario_id, None),
            nombre=nombre,
            defaults={
                "descripcion": descripcion,
                "mensaje": mensaje,
                "interna": interna,
                "acciones": acciones,
                "ambito": ambito,
                "propietario_id": propietario_id,
            },
        )
