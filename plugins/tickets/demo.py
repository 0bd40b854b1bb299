"""Demo data for ``soporte demo``: tickets of a travel-booking platform, with conversations.

Timestamps are spread over the last weeks (so the dashboard's averages mean something), the
waiting clock matches each conversation (running when the customer spoke last on an open
ticket), and some resolved tickets carry ratings. Idempotent: nothing is added when the demo
customer already has tickets.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from plugins.tickets.models import Categoria, Estado, Prioridad, Respuesta, Ticket, Valoracion
from plugins.tickets.service import ESTADOS_ABIERTOS, formato_numero

if TYPE_CHECKING:
    from core.auth.models import Usuario


@dataclass(frozen=True)
class _Demo:
    cliente: str
    asunto: str
    descripcion: str
    categoria: Categoria
    prioridad: Prioridad
    estado: Estado
    #: How long ago the ticket was opened.
    hace: timedelta
    reserva: int | None = None
    #: (username, message, hours after creation)
    conversacion: tuple[tuple[str, str, float], ...] = ()
    valoracion: tuple[int, str] | None = None


_TICKETS: tuple[_Demo, ...] = (
    _Demo(
        "cliente",
        "Problema con el pago de mi reserva",
        "No puedo completar el pago de mi reserva #123. La pasarela se queda cargando y al "
        "final me muestra «Transacción rechazada», aunque el banco dice que no hay bloqueo.",
        Categoria.PAGOS,
        Prioridad.ALTA,
        Estado.EN_PROGRESO,
        timedelta(hours=5),
        reserva=123,
        conversacion=(
            (
                "agente",
                "Hola Lucía, gracias por avisarnos. Estamos revisando con la pasarela de pago "
                "el motivo del rechazo. ¿Nos confirmas los cuatro últimos dígitos de la tarjeta?",
                0.6,
            ),
            ("cliente", "Sí, termina en 4821. Es una Visa.", 1.1),
            (
                "agente",
                "Gracias. Hemos mantenido la reserva bloqueada 24 horas para que no pierdas el "
                "precio mientras lo solucionamos.",
                1.5,
            ),
        ),
    ),
    _Demo(
        "cliente",
        "Cobro duplicado en mi tarjeta",
        "Al confirmar la reserva del apartamento en Valencia se me ha cobrado dos veces el "
        "importe (2 × 312,40 €). Adjunto el extracto si hace falta.",
        Categoria.PAGOS,
        Prioridad.ALTA,
        Estado.RESUELTO,
        timedelta(days=6),
        reserva=4512,
        conversacion=(
            (
                "agente",
                "Hola Lucía, confirmamos el cargo duplicado. Hemos solicitado la devolución "
                "del segundo cobro; tardará entre 3 y 5 días hábiles en reflejarse.",
                2.0,
            ),
            ("cliente", "Perfecto, muchas gracias por la rapidez.", 3.0),
            ("agente", "Te confirmamos que la devolución ya se ha emitido. ¡Buen viaje!", 50.0),
        ),
        valoracion=(5, "Me lo resolvieron en dos días, muy amables."),
    ),
    _Demo(
        "cliente",
        "Cambiar las fechas de mi reserva en el Hotel Mirador",
        "Necesito mover mi reserva del 14 al 16 de marzo, mismas noches. ¿Tiene algún coste "
        "si la tarifa era flexible?",
        Categoria.RESERVAS,
        Prioridad.MEDIA,
        Estado.ABIERTO,
        timedelta(hours=3),
        reserva=4620,
    ),
    _Demo(
        "cliente",
        "La app se cierra al subir la foto del DNI",
        "En Android 14, al hacer el check-in online la app se cierra justo después de hacer "
        "la foto del documento. Lo he intentado tres veces.",
        Categoria.TECNICO,
        Prioridad.MEDIA,
        Estado.EN_PROGRESO,
        timedelta(days=2),
        conversacion=(
            (
                "agente",
                "Gracias por el aviso. ¿Podrías decirnos la versión de la app (Ajustes → "
                "Acerca de)? Mientras tanto puedes hacer el check-in desde la web.",
                4.0,
            ),
            ("cliente", "Es la versión 5.12.1. Lo he hecho desde la web, gracias.", 6.0),
        ),
    ),
    _Demo(
        "cliente",
        "¿Cómo solicito la factura de mi estancia?",
        "Necesito una factura a nombre de mi empresa por la estancia de la semana pasada.",
        Categoria.GENERAL,
        Prioridad.BAJA,
        Estado.CERRADO,
        timedelta(days=20),
        reserva=3977,
        conversacion=(
            (
                "agente",
                "Puedes descargarla en Mis reservas → Detalle → Factura. Si necesitas otros "
                "datos fiscales, indícanos el CIF y la razón social.",
                1.0,
            ),
            ("cliente", "Encontrado, gracias.", 2.5),
        ),
        valoracion=(4, ""),
    ),
    _Demo(
        "cliente",
        "Reembolso por cancelación del alojamiento",
        "El alojamiento canceló mi reserva por overbooking tres días antes de llegar y todavía "
        "no he recibido el reembolso.",
        Categoria.PAGOS,
        Prioridad.ALTA,
        Estado.RESUELTO,
        timedelta(days=10),
        reserva=4105,
        conversacion=(
            (
                "agente",
                "Sentimos mucho la cancelación. Hemos tramitado el reembolso íntegro y un "
                "cupón de 30 € para tu próxima reserva.",
                20.0,
            ),
        ),
        valoracion=(2, "El reembolso llegó, pero tardaron casi un día en contestar."),
    ),
    _Demo(
        "cliente2",
        "No he recibido el correo de confirmación",
        "Reservé ayer una casa rural en Asturias y no me ha llegado ningún correo. En la web "
        "la reserva aparece como «pendiente».",
        Categoria.RESERVAS,
        Prioridad.MEDIA,
        Estado.ABIERTO,
        timedelta(days=1, hours=2),
        reserva=4701,
    ),
    _Demo(
        "cliente2",
        "Error al aplicar un código de descuento",
        "Al introducir el código VERANO24 en el último paso aparece «Ha ocurrido un error» y "
        "el precio no cambia.",
        Categoria.TECNICO,
        Prioridad.ALTA,
        Estado.EN_PROGRESO,
        timedelta(hours=9),
        conversacion=(
            (
                "agente",
                "Hola Martín, hemos reproducido el error y el equipo técnico ya lo está "
                "corrigiendo. Te avisamos en cuanto esté resuelto.",
                1.0,
            ),
            ("cliente2", "¿Mantendréis el descuento si reservo hoy? La oferta caduca.", 3.0),
        ),
    ),
    _Demo(
        "cliente2",
        "Añadir una cama supletoria",
        "Viajamos con un niño de 4 años. ¿Se puede añadir una cama supletoria a la reserva?",
        Categoria.RESERVAS,
        Prioridad.BAJA,
        Estado.RESUELTO,
        timedelta(days=4),
        reserva=4655,
        conversacion=(
            (
                "agente",
                "El hotel confirma la cama supletoria sin coste para menores de 6 años. Ya "
                "aparece en tu reserva.",
                5.0,
            ),
        ),
    ),
    _Demo(
        "cliente2",
        "No puedo iniciar sesión con Google",
        "Al pulsar «Continuar con Google» vuelvo a la pantalla de inicio sin entrar.",
        Categoria.TECNICO,
        Prioridad.MEDIA,
        Estado.CERRADO,
        timedelta(days=15),
        conversacion=(
            (
                "agente",
                "Era un problema con las cookies de terceros de tu navegador. Ya hemos "
                "publicado una corrección; prueba de nuevo, por favor.",
                3.0,
            ),
            ("cliente2", "Ya funciona, gracias.", 8.0),
        ),
        valoracion=(5, "Rápidos y claros."),
    ),
    _Demo(
        "cliente2",
        "Me han cobrado en dólares",
        "El precio se mostraba en euros pero el cargo de la tarjeta aparece en dólares, con "
        "comisión de cambio.",
        Categoria.PAGOS,
        Prioridad.MEDIA,
        Estado.ABIERTO,
        timedelta(minutes=40),
        reserva=4733,
    ),
    _Demo(
        "cliente2",
        "Sugerencia: filtrar alojamientos que admiten mascotas",
        "Sería muy útil poder filtrar los resultados por alojamientos que aceptan perros.",
        Categoria.GENERAL,
        Prioridad.BAJA,
        Estado.EN_PROGRESO,
        timedelta(days=8),
        conversacion=(
            (
                "agente",
                "¡Gracias por la idea, Martín! La hemos trasladado al equipo de producto.",
                26.0,
            ),
        ),
    ),
)


async def cargar_demo(usuarios: dict[str, Usuario]) -> None:
    """Create the demo tickets unless the demo customer already has some."""
    if await Ticket.filter(cliente_id=usuarios["cliente"].id).exists():
        return
    agente = usuarios["agente"]
    ahora = datetime.now(UTC)
    async with in_transaction() as conn:
        for demo in _TICKETS:
            creado = ahora - demo.hace
            cliente = usuarios[demo.cliente]
            ticket = await Ticket.create(
                numero=f"TMP-{secrets.token_hex(12)}",
                asunto=demo.asunto,
                descripcion=demo.descripcion,
                categoria=demo.categoria,
                prioridad=demo.prioridad,
                estado=demo.estado,
                cliente=cliente,
                agente_asignado=agente if demo.conversacion else None,
                reserva_relacionada=demo.reserva,
                using_db=conn,
            )
            primera: datetime | None = None
            ultimo_cliente: datetime | None = creado
            ultima = creado
            for username, mensaje, horas in demo.conversacion:
                cuando = creado + timedelta(hours=horas)
                autor = usuarios[username]
                respuesta = await Respuesta.create(
                    ticket=ticket, autor=autor, mensaje=mensaje, using_db=conn
                )
                await Respuesta.filter(id=respuesta.id).using_db(conn).update(fecha_creacion=cuando)
                if autor.es_agente:
                    primera = primera or cuando
                    ultimo_cliente = None
                elif ultimo_cliente is None:
                    ultimo_cliente = cuando
                ultima = cuando
            await (
                Ticket.filter(id=ticket.id)
                .using_db(conn)
                .update(
                    numero=formato_numero(ticket.id),
                    fecha_creacion=creado,
                    fecha_actualizacion=ultima,
                    primera_respuesta_agente=primera,
                    segundos_primera_respuesta=(
                        int((primera - creado).total_seconds()) if primera else None
                    ),
                    esperando_desde=ultimo_cliente if demo.estado in ESTADOS_ABIERTOS else None,
                )
            )
            if demo.valoracion:
                puntuacion, comentario = demo.valoracion
                await Valoracion.create(
                    ticket=ticket, puntuacion=puntuacion, comentario=comentario, using_db=conn
                )
