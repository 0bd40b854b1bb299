"""Demo data for ``soporte demo``: tickets of a travel-booking platform, with conversations.

Timestamps are spread over the last weeks (so the dashboard's averages mean something), the
waiting clock matches each conversation (running when the customer spoke last on an open
ticket), and some resolved tickets carry ratings. Idempotent: nothing is added when the demo
customer already has tickets.

:func:`generar_sinteticos` is the bulk version for benchmarks (``soporte demo --tickets N``):
the same rules of the state machine, drawn at random over two years, written with multi-row
inserts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from tortoise.transactions import in_transaction

from core.synthetic import SPAN, connection, insert_rows, next_id, sync_sequence
from plugins.tickets import agregados, busqueda, indices
from plugins.tickets.models import (
    Canal,
    Categoria,
    Estado,
    Prioridad,
    Respuesta,
    Ticket,
    Valoracion,
)
from plugins.tickets.service import ESTADOS_ABIERTOS, formato_numero

if TYPE_CHECKING:
    import random

    from core.auth.models import Usuario
    from core.synthetic import SyntheticUsers


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


#: The demo teams: name → the ticket categories they serve (the demo agent and admin in each).
EQUIPOS_DEMO: Final = {
    "Pagos": [Categoria.PAGOS.value],
    "Técnico": [Categoria.TECNICO.value, Categoria.RESERVAS.value],
}


async def equipos_demo(usuarios: dict[str, Usuario]) -> dict[str, int]:
    """The demo teams (created if missing, idempotent) with the demo staff as members;
    ``{categoria: equipo id}`` for routing the demo tickets as new tickets are."""
    from core.auth.models import Equipo

    por_categoria: dict[str, int] = {}
    staff = [u for u in usuarios.values() if u.es_agente]
    for nombre, categorias in EQUIPOS_DEMO.items():
        equipo = await Equipo.get_or_none(nombre=nombre)
        if equipo is None:
            equipo = await Equipo.create(
                nombre=nombre,
                descripcion=f"Equipo de demostración: {nombre}",
                categorias=categorias,
            )
            await equipo.miembros.add(*staff)
        for categoria in categorias:
            por_categoria[categoria] = equipo.id
    return por_categoria


async def cargar_demo(usuarios: dict[str, Usuario]) -> None:
    """Create the demo teams, and the demo tickets unless the demo customer already has some."""
    por_categoria = await equipos_demo(usuarios)
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
                equipo_id=por_categoria.get(Categoria(demo.categoria).value),
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
    # Written without the service (back-dated): the index learns them by its repair.
    await busqueda.preparar()


# --- bulk synthetic data (benchmarks) ----------------------------------------------------------

#: Tickets written per transaction.
LOTE_SINTETICO: Final = 20_000

_ASUNTOS: Final[dict[Categoria, tuple[str, ...]]] = {
    Categoria.PAGOS: (
        "Cobro duplicado en mi tarjeta", "No puedo completar el pago", "Reembolso pendiente",
        "Me han cobrado en otra moneda", "Pago rechazado con {medio}", "Factura incorrecta",
        "Cargo no reconocido de {importe} €", "Devolución de la fianza",
    ),
    Categoria.RESERVAS: (
        "Cambiar las fechas de mi reserva en {ciudad}", "No recibí la confirmación",
        "Cancelar mi reserva en {ciudad}", "Añadir un huésped a la reserva",
        "El hotel de {ciudad} no encuentra mi reserva", "Solicitar cama supletoria",
        "Cambio de nombre del titular", "Reserva duplicada por error",
    ),
    Categoria.TECNICO: (
        "La app se cierra al abrir mis viajes", "No puedo iniciar sesión",
        "Error al aplicar un código de descuento", "La web no carga el paso de pago",
        "No llega el código de verificación", "Fallo al descargar la tarjeta de embarque",
        "La búsqueda de {ciudad} no muestra resultados",
    ),
    Categoria.GENERAL: (
        "¿Cómo solicito la factura?", "Sugerencia para la web", "Consulta sobre equipaje",
        "¿Admiten mascotas en {ciudad}?", "Horario de check-in en {ciudad}",
        "Puntos de fidelidad no acreditados", "Queja sobre la atención recibida",
    ),
}  # fmt: skip
_FRASES_CLIENTE: Final = (
    "Lo he intentado varias veces desde el móvil y desde el ordenador.",
    "La reserva es para el fin de semana que viene y necesito una solución pronto.",
    "Adjunto el localizador que aparece en el correo de confirmación.",
    "El banco me dice que no hay ningún bloqueo en la tarjeta.",
    "En la web aparece como pendiente desde hace dos días.",
    "Viajamos dos adultos y un niño de cuatro años.",
    "Ya escribí al alojamiento pero no me contestan.",
    "Me aparece el mensaje «Ha ocurrido un error» al final del proceso.",
    "Necesito la factura a nombre de mi empresa.",
    "El importe cobrado no coincide con el precio mostrado.",
    "¿Me podéis confirmar si se aplica alguna penalización?",
    "Gracias de antemano por la ayuda.",
)
_MENSAJES_CLIENTE: Final = (
    "¿Hay alguna novedad?", "Gracias, quedo a la espera.", "Sí, termina en {n}{n}{n}{n}.",
    "Sigue sin funcionar, lo acabo de probar.", "Perfecto, muchas gracias por la rapidez.",
    "El localizador es {loc}.", "¿Cuánto tardará el reembolso?", "Ya funciona, gracias.",
    "Os adjunto la captura de pantalla.", "¿Mantendréis el precio si espero?",
)  # fmt: skip
_MENSAJES_AGENTE: Final = (
    "Hola, gracias por escribirnos. Estamos revisando tu caso con el proveedor.",
    "Hemos solicitado la devolución; tardará entre 3 y 5 días hábiles en reflejarse.",
    "¿Nos confirmas los cuatro últimos dígitos de la tarjeta?",
    "Hemos cambiado las fechas sin coste adicional. Recibirás un correo de confirmación.",
    "El equipo técnico ya ha corregido el error; prueba de nuevo, por favor.",
    "Te hemos reenviado la confirmación a tu correo.",
    "La factura ya está disponible en «Mis viajes».",
    "Hemos mantenido la reserva bloqueada 24 horas mientras lo solucionamos.",
    "Te confirmamos que la incidencia está resuelta. ¡Buen viaje!",
    "Hemos trasladado tu sugerencia al equipo de producto. ¡Gracias!",
)
_RELLENO: Final[dict[str, tuple[str, ...]]] = {
    "ciudad": ("Madrid", "Barcelona", "Sevilla", "Valencia", "Bilbao", "Málaga", "Palma",
               "Lisboa", "París", "Roma", "Cancún", "Bogotá", "Lima", "Granada"),
    "medio": ("tarjeta", "PayPal", "Bizum", "transferencia"),
    "importe": ("49,90", "120,00", "312,40", "89,50", "1.045,00"),
}  # fmt: skip
_COMENTARIOS: Final = ("", "", "", "Muy amables.", "Rápidos y claros.", "Tardaron en contestar.",
                       "Resuelto a la primera.", "Podría haber sido más rápido.")  # fmt: skip

# Weights by the ticket's age: young tickets are still open, old ones closed.
_ESTADOS: Final = (Estado.ABIERTO, Estado.EN_PROGRESO, Estado.RESUELTO, Estado.CERRADO)
_PESOS_ESTADO: Final = (
    (timedelta(days=2), (45, 40, 12, 3)),
    (timedelta(days=14), (10, 30, 35, 25)),
    (timedelta(days=60), (2, 5, 25, 68)),
    (None, (0.3, 0.7, 4, 95)),
)
_CATEGORIAS: Final = (Categoria.RESERVAS, Categoria.PAGOS, Categoria.TECNICO, Categoria.GENERAL)
_PESOS_CATEGORIA: Final = (35, 25, 20, 20)
_PRIORIDADES: Final = (Prioridad.ALTA, Prioridad.MEDIA, Prioridad.BAJA)
_PESOS_PRIORIDAD: Final = (15, 55, 30)
_PUNTUACIONES: Final = (5, 4, 3, 2, 1)
_PESOS_PUNTUACION: Final = (45, 25, 12, 8, 10)


def _rellenar(plantilla: str, rng: random.Random) -> str:
    valores = {k: rng.choice(v) for k, v in _RELLENO.items()}
    return plantilla.format(n=rng.randint(0, 9), loc=f"{rng.randint(0, 16**6):06X}", **valores)


def _acumulados(pesos: tuple[float, ...]) -> list[float]:
    total, acumulados = 0.0, []
    for peso in pesos:
        total += peso
        acumulados.append(total)
    return acumulados


def _elegir(rng: random.Random, opciones: tuple[Any, ...], acumulados: list[float]) -> Any:
    """A weighted choice, cheaper than ``rng.choices`` for one item."""
    x = rng.random() * acumulados[-1]
    for opcion, limite in zip(opciones, acumulados, strict=True):
        if x < limite:
            return opcion
    return opciones[-1]


async def generar_sinteticos(
    usuarios: SyntheticUsers, n: int, rng: random.Random, ahora: datetime
) -> dict[str, int]:
    """``n`` tickets over the two years before ``ahora``, with replies and ratings, in bulk.

    Ids (and so ``TK-…`` numbers) grow with the creation date, as they do in a real
    installation. The state depends on the ticket's age (recent ones are still open); the
    conversation follows the state machine: an agent's first answer sets
    ``primera_respuesta_agente``, the clock ``esperando_desde`` runs on an open ticket whose
    customer spoke last, resolved and closed tickets end with an agent's message and a third
    of them are rated. Customers and agents are drawn from ``usuarios``.
    """
    conn = connection()
    primer_ticket = await next_id(conn, Ticket._meta.db_table)
    siguiente_respuesta = await next_id(conn, Respuesta._meta.db_table)
    siguiente_valoracion = await next_id(conn, Valoracion._meta.db_table)
    clientes, agentes = list(usuarios.clientes), list(usuarios.agentes)
    asuntos = {c: [_rellenar(a, rng) for a in v for _ in range(6)] for c, v in _ASUNTOS.items()}
    descripciones = [" ".join(rng.sample(_FRASES_CLIENTE, rng.randint(2, 4))) for _ in range(2_000)]
    de_cliente = [_rellenar(m, rng) for m in _MENSAJES_CLIENTE for _ in range(20)]
    de_agente = list(_MENSAJES_AGENTE)
    acum_estado = [(edad, _acumulados(p)) for edad, p in _PESOS_ESTADO]
    acum_categoria = _acumulados(_PESOS_CATEGORIA)
    acum_prioridad = _acumulados(_PESOS_PRIORIDAD)
    acum_puntuacion = _acumulados(_PESOS_PUNTUACION)
    inicio = ahora - SPAN
    paso = SPAN.total_seconds() / max(1, n)
    columnas_ticket = (
        "id", "numero", "asunto", "descripcion", "categoria", "prioridad", "estado", "cliente_id",
        "agente_asignado_id", "reserva_relacionada", "nivel_escalamiento",
        "primera_respuesta_agente", "segundos_primera_respuesta", "esperando_desde",
        "fecha_creacion", "fecha_actualizacion",
    )  # fmt: skip
    columnas_respuesta = ("id", "ticket_id", "autor_id", "mensaje", "canal", "fecha_creacion")
    columnas_valoracion = (
        "id", "ticket_id", "puntuacion", "comentario", "fecha_creacion", "fecha_actualizacion",
    )  # fmt: skip
    totales = {"tickets": 0, "respuestas": 0, "valoraciones": 0}
    rnd = rng.random
    for desde in range(0, n, LOTE_SINTETICO):
        tickets: list[tuple[Any, ...]] = []
        respuestas: list[tuple[Any, ...]] = []
        valoraciones: list[tuple[Any, ...]] = []
        for i in range(desde, min(n, desde + LOTE_SINTETICO)):
            ticket_id = primer_ticket + i
            creado = inicio + timedelta(seconds=(i + rnd()) * paso)
            edad = ahora - creado
            pesos = next(a for limite, a in acum_estado if limite is None or edad < limite)
            estado = _elegir(rng, _ESTADOS, pesos)
            categoria = _elegir(rng, _CATEGORIAS, acum_categoria)
            cliente = clientes[int(rnd() * len(clientes))]
            agente = agentes[int(rnd() * len(agentes))]
            # The conversation: (is the agent speaking, seconds after creation).
            mensajes: list[tuple[bool, float]] = []
            if estado == Estado.ABIERTO:
                if rnd() < 0.3:
                    mensajes.append((False, rng.expovariate(1 / 3600)))
            else:
                t = rng.expovariate(1 / (4 * 3600))  # the first answer: hours, rarely days
                mensajes.append((True, t))
                extra = int(rnd() * 4) if estado == Estado.EN_PROGRESO else int(rnd() ** 2 * 4)
                for k in range(extra):
                    t += rng.expovariate(1 / (6 * 3600))
                    mensajes.append((k % 2 == 1, t))
                if estado in (Estado.RESUELTO, Estado.CERRADO) and not mensajes[-1][0]:
                    t += rng.expovariate(1 / (6 * 3600))
                    mensajes.append((True, t))
            # Squeeze a young ticket's conversation into the time it has had.
            vivo = edad.total_seconds() * 0.95
            if mensajes and mensajes[-1][1] > vivo:
                escala = vivo / mensajes[-1][1]
                mensajes = [(a, s * escala) for a, s in mensajes]
            primera = None
            esperando: datetime | None = creado
            ultima = creado
            for es_agente, segundos in mensajes:
                cuando = creado + timedelta(seconds=segundos)
                if es_agente:
                    if primera is None:
                        primera = cuando
                    esperando = None
                elif esperando is None:
                    esperando = cuando
                ultima = cuando
                respuestas.append(
                    (
                        siguiente_respuesta,
                        ticket_id,
                        agente if es_agente else cliente,
                        de_agente[int(rnd() * len(de_agente))]
                        if es_agente
                        else de_cliente[int(rnd() * len(de_cliente))],
                        Canal.CHAT.value if rnd() < 0.15 else Canal.TICKET.value,
                        cuando,
                    )
                )
                siguiente_respuesta += 1
            if estado not in ESTADOS_ABIERTOS:
                esperando = None
            actualizado = ultima
            if estado in (Estado.RESUELTO, Estado.CERRADO):
                actualizado = min(ahora, ultima + timedelta(seconds=rng.expovariate(1 / 7200)))
                if rnd() < 0.35:
                    valorado = actualizado + (ahora - actualizado) * rnd() * 0.1
                    valoraciones.append(
                        (
                            siguiente_valoracion,
                            ticket_id,
                            _elegir(rng, _PUNTUACIONES, acum_puntuacion),
                            _COMENTARIOS[int(rnd() * len(_COMENTARIOS))],
                            valorado,
                            valorado,
                        )
                    )
                    siguiente_valoracion += 1
            reserva = None
            if categoria in (Categoria.RESERVAS, Categoria.PAGOS) and rnd() < 0.7:
                reserva = 1000 + int(rnd() * 999_000)
            asignado = agente if primera is not None or rnd() < 0.1 else None
            tickets.append(
                (
                    ticket_id,
                    formato_numero(ticket_id),
                    rng.choice(asuntos[categoria]),
                    descripciones[int(rnd() * len(descripciones))],
                    categoria.value,
                    _elegir(rng, _PRIORIDADES, acum_prioridad).value,
                    estado.value,
                    cliente,
                    asignado,
                    reserva,
                    0,
                    primera,
                    int((primera - creado).total_seconds()) if primera else None,
                    esperando,
                    creado,
                    actualizado,
                )
            )
        async with in_transaction() as tx:
            totales["tickets"] += await insert_rows(
                tx, Ticket._meta.db_table, columnas_ticket, tickets
            )
            totales["respuestas"] += await insert_rows(
                tx, Respuesta._meta.db_table, columnas_respuesta, respuestas
            )
            totales["valoraciones"] += await insert_rows(
                tx, Valoracion._meta.db_table, columnas_valoracion, valoraciones
            )
    for modelo in (Ticket, Respuesta, Valoracion):
        await sync_sequence(conn, modelo._meta.db_table)
    # PostgreSQL's list index (normally made at start-up; a first start would build it anyway).
    await indices.preparar()
    # The maintained totals: kept by their triggers if they already existed, else built now.
    await agregados.preparar()
    # The rows above bypassed the service (and so the index's listeners): rebuild it at once.
    await busqueda.preparar(reparar=False)
    await busqueda.reconstruir()
    return totales
