"""Demo FAQs of a hotel and flight booking platform (``soporte demo``), loaded idempotently.

:func:`generar_sinteticos` is the bulk version for benchmarks (``soporte demo --tickets N``):
FAQs written from templates (:func:`faqs_sinteticas`, shared with ``bench/faq_search.py``) and
users' votes, with counts that match the votes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from tortoise.transactions import in_transaction

from core.synthetic import SPAN, connection, insert_rows, next_id, sync_sequence
from plugins.faq import service
from plugins.faq.models import FAQ, VotoFAQ

if TYPE_CHECKING:
    import random
    from datetime import datetime

    from core.auth.models import Usuario
    from core.synthetic import SyntheticUsers

#: (categoria, pregunta, respuesta), in display order within each category.
FAQS: list[tuple[str, str, str]] = [
    # --- Reservas
    (
        "Reservas",
        "¿Cómo hago una reserva de hotel?",
        "Busque su destino y fechas en la página principal, elija el hotel y el tipo de "
        "habitación y pulse «Reservar». Complete los datos de los huéspedes y el pago; en unos "
        "minutos recibirá un correo con el localizador de la reserva.",
    ),
    (
        "Reservas",
        "¿Dónde encuentro el localizador de mi reserva?",
        "El localizador (seis letras y números) aparece en el correo de confirmación y en "
        "«Mis viajes» dentro de su cuenta. Téngalo a mano cuando contacte con soporte.",
    ),
    (
        "Reservas",
        "¿Puedo cambiar las fechas de mi reserva?",
        "Sí, desde «Mis viajes» › «Modificar reserva», siempre que la tarifa lo permita. Si el "
        "nuevo precio es mayor pagará la diferencia; si es menor, se le devolverá según las "
        "condiciones de la tarifa.",
    ),
    (
        "Reservas",
        "¿Puedo añadir un huésped o un pasajero a una reserva ya hecha?",
        "En hoteles puede añadir huéspedes si la habitación lo admite, desde «Modificar "
        "reserva». En vuelos cada pasajero necesita su propio billete: haga una reserva nueva "
        "con el mismo vuelo.",
    ),
    (
        "Reservas",
        "No he recibido el correo de confirmación, ¿qué hago?",
        "Revise la carpeta de correo no deseado. Si no está, entre en «Mis viajes»: si la "
        "reserva aparece, está confirmada y puede reenviar el correo desde allí. Si no aparece, "
        "abra un ticket indicando la fecha y el importe del cargo.",
    ),
    (
        "Reservas",
        "¿Puedo reservar vuelo y hotel juntos?",
        "Sí, con la opción «Vuelo + Hotel» obtendrá un precio conjunto normalmente más barato. "
        "Ambas partes comparten un único localizador y se gestionan juntas.",
    ),
    (
        "Reservas",
        "¿Cómo solicito una cama supletoria o una cuna?",
        "Indíquelo en «Peticiones especiales» al reservar o después en «Modificar reserva». El "
        "hotel confirmará la disponibilidad; algunas tienen un coste adicional que se paga en "
        "el alojamiento.",
    ),
    # --- Pagos
    (
        "Pagos",
        "¿Qué métodos de pago aceptan?",
        "Aceptamos tarjeta de crédito y de débito (Visa, Mastercard y American Express), "
        "PayPal y Bizum. En algunos hoteles puede elegir pagar en el alojamiento.",
    ),
    (
        "Pagos",
        "Me han cobrado dos veces la misma reserva",
        "A veces el banco muestra una preautorización además del cargo definitivo; la "
        "preautorización desaparece sola en 3 a 7 días hábiles. Si pasado ese plazo siguen "
        "los dos cargos, abra un ticket con el extracto y le devolveremos el duplicado.",
    ),
    (
        "Pagos",
        "¿Cuándo recibiré el reembolso?",
        "Tramitamos el reembolso en un máximo de 5 días hábiles desde la cancelación. Después, "
        "su banco tarda entre 3 y 10 días hábiles en reflejarlo en la tarjeta de crédito o "
        "débito con la que pagó.",
    ),
    (
        "Pagos",
        "¿Puedo pagar a plazos?",
        "Para reservas de más de 300 € puede pagar en 3 plazos sin intereses con tarjeta de "
        "crédito. La opción aparece en el paso de pago si su reserva cumple las condiciones.",
    ),
    (
        "Pagos",
        "¿Cómo obtengo la factura de mi reserva?",
        "Descárguela en «Mis viajes» › «Factura». Si necesita factura a nombre de una empresa, "
        "añada el NIF y la razón social antes de descargarla; los hoteles con pago en destino "
        "emiten su propia factura.",
    ),
    (
        "Pagos",
        "Mi pago ha sido rechazado",
        "Compruebe que la tarjeta admite compras por internet y que tiene saldo o crédito "
        "suficiente. Muchos bancos piden confirmar el pago en su aplicación (3D Secure). Si "
        "el problema continúa, pruebe con otro método de pago.",
    ),
    # --- Cancelaciones
    (
        "Cancelaciones",
        "¿Cómo cancelo mi reserva?",
        "Entre en «Mis viajes», elija la reserva y pulse «Cancelar reserva». Verá antes de "
        "confirmar si hay gastos de cancelación y cuánto se le devolverá.",
    ),
    (
        "Cancelaciones",
        "¿La cancelación es gratuita?",
        "Depende de la tarifa: las tarifas flexibles permiten cancelar gratis hasta 24 o 48 "
        "horas antes de la llegada; las tarifas no reembolsables no devuelven el importe. Las "
        "condiciones se muestran en la reserva.",
    ),
    (
        "Cancelaciones",
        "La aerolínea ha cancelado mi vuelo, ¿qué opciones tengo?",
        "Puede elegir un vuelo alternativo sin coste o el reembolso completo del billete. Según "
        "el reglamento europeo 261/2004 puede además tener derecho a una compensación; abra un "
        "ticket y le ayudaremos a reclamarla.",
    ),
    (
        "Cancelaciones",
        "¿Qué pasa si no me presento en el hotel?",
        "Si no se presenta sin cancelar (no show), el hotel puede cobrar la primera noche o la "
        "estancia completa según su política, y el resto de noches puede anularse. Avísenos si "
        "va a llegar tarde para que el hotel guarde la habitación.",
    ),
    (
        "Cancelaciones",
        "He cancelado pero no veo el reembolso",
        "Los reembolsos tardan de 3 a 10 días hábiles en aparecer una vez tramitados. Puede ver "
        "el estado en «Mis viajes». Si han pasado más de 15 días, abra un ticket con el "
        "localizador.",
    ),
    (
        "Cancelaciones",
        "¿Puedo cancelar solo una parte de un paquete vuelo + hotel?",
        "Los paquetes se cancelan completos. Si solo quiere cambiar una parte, use «Modificar "
        "reserva» o contacte con soporte para estudiar las opciones con el proveedor.",
    ),
    # --- Cuenta
    (
        "Cuenta",
        "He olvidado mi contraseña",
        "Pulse «¿Olvidó su contraseña?» en la pantalla de inicio de sesión e introduzca su "
        "correo electrónico. Recibirá un enlace válido durante una hora para crear una nueva.",
    ),
    (
        "Cuenta",
        "¿Cómo cambio mi correo electrónico o mi teléfono?",
        "En «Mi cuenta» › «Datos personales». Por seguridad le pediremos la contraseña y "
        "confirmar el nuevo correo con un código.",
    ),
    (
        "Cuenta",
        "¿Puedo consultar una reserva hecha sin cuenta?",
        "Sí: en «Gestionar reserva» introduzca el localizador y el correo electrónico usados al "
        "reservar. Si después crea una cuenta con ese correo, la reserva aparecerá en "
        "«Mis viajes».",
    ),
    (
        "Cuenta",
        "¿Cómo elimino mi cuenta?",
        "En «Mi cuenta» › «Privacidad» › «Eliminar cuenta». Las reservas futuras deben estar "
        "canceladas o finalizadas; conservaremos las facturas el tiempo que exige la ley.",
    ),
    (
        "Cuenta",
        "¿Cómo funcionan los puntos de fidelidad?",
        "Gana un punto por cada euro gastado en hoteles y vuelos. Los puntos se acreditan tras "
        "el viaje y puede canjearlos como descuento en su próxima reserva; caducan a los dos "
        "años.",
    ),
    # --- Check-in
    (
        "Check-in",
        "¿Cuándo puedo hacer el check-in online de mi vuelo?",
        "La mayoría de aerolíneas abren el check-in online entre 24 y 48 horas antes de la "
        "salida. Le enviaremos un recordatorio con el enlace; la tarjeta de embarque también "
        "aparece en «Mis viajes».",
    ),
    (
        "Check-in",
        "¿A qué hora es la entrada y la salida del hotel?",
        "Normalmente la entrada es a partir de las 14:00 y la salida antes de las 12:00, pero "
        "cada hotel tiene su horario; lo verá en la confirmación de la reserva.",
    ),
    (
        "Check-in",
        "¿Puedo llegar al hotel antes de la hora de entrada?",
        "Puede solicitar entrada anticipada en «Peticiones especiales». Depende de la "
        "disponibilidad del hotel y puede tener coste; casi todos guardan el equipaje sin "
        "cargo.",
    ),
    (
        "Check-in",
        "¿Qué documentos necesito para el check-in?",
        "En el hotel, el DNI o pasaporte del titular y la tarjeta con la que pagó si lo pide "
        "el alojamiento. En el aeropuerto, la tarjeta de embarque y un documento de identidad "
        "válido para el destino.",
    ),
    (
        "Check-in",
        "¿Cuánto equipaje de mano puedo llevar?",
        "Depende de la aerolínea y la tarifa: la básica suele incluir solo un bolso bajo el "
        "asiento; las tarifas superiores añaden una maleta de cabina. Consulte el detalle en "
        "su reserva y añada equipaje facturado desde «Mis viajes».",
    ),
    (
        "Check-in",
        "¿Puedo viajar con mi mascota?",
        "Muchos hoteles admiten mascotas con suplemento; fíltrelo en la búsqueda. En los vuelos, "
        "los animales pequeños pueden viajar en cabina si la aerolínea lo permite: solicítelo "
        "con antelación porque las plazas son limitadas.",
    ),
]

#: Demo votes: (index into FAQS, username, es_util).
VOTOS: list[tuple[int, str, bool]] = [
    (0, "cliente", True),
    (0, "cliente2", True),
    (9, "cliente", True),
    (9, "cliente2", False),
    (13, "cliente", True),
    (13, "cliente2", True),
    (13, "agente", True),
    (14, "cliente2", False),
    (19, "cliente", True),
    (24, "cliente2", True),
    (28, "cliente", True),
]


async def cargar_demo(usuarios: dict[str, Usuario]) -> None:
    """Create the demo FAQs that are missing (matched by question) and the demo votes.

    Safe to run twice: existing questions are left alone, and a user who has voted a FAQ is
    not asked again.
    """
    await service.preparar_busqueda()
    existentes = {
        f["pregunta"]: f["id"]
        for f in await FAQ.filter(pregunta__in=[p for _, p, _ in FAQS]).values("id", "pregunta")
    }
    ids: list[int] = []
    orden_en: dict[str, int] = {}
    for categoria, pregunta, respuesta in FAQS:
        orden = orden_en[categoria] = orden_en.get(categoria, 0) + 10
        if pregunta in existentes:
            ids.append(existentes[pregunta])
            continue
        faq = await service.crear(pregunta, respuesta, categoria, orden=orden)
        ids.append(faq.id)
    for indice, username, es_util in VOTOS:
        usuario = usuarios.get(username)
        # A vote the user has since changed is theirs: leave it.
        if usuario is not None and await service.voto_de(ids[indice], usuario.id) is None:
            await service.valorar(ids[indice], usuario.id, es_util, solo_activas=False)


# --- bulk synthetic data (benchmarks) ----------------------------------------------------------

#: One FAQ for every this many tickets, between the demo's 30 and :data:`MAX_FAQS`: a
#: knowledge base grows with the product, not with the number of tickets.
TICKETS_POR_FAQ: Final = 10
MAX_FAQS: Final = 1_000
#: One vote for every this many tickets.
TICKETS_POR_VOTO: Final = 50

CATEGORIAS = ["Reservas", "Pagos", "Cancelaciones", "Cuenta", "Check-in", "Vuelos", "Hoteles"]
ACCIONES = [
    "cancelar", "cambiar", "modificar", "pagar", "consultar", "solicitar", "reclamar",
    "añadir", "recuperar", "confirmar", "descargar", "anular", "reservar", "ampliar",
]  # fmt: skip
OBJETOS = [
    "la reserva", "el vuelo", "la habitación", "el equipaje de mano", "la factura",
    "el reembolso", "la tarjeta de embarque", "el check-in online", "los puntos de fidelidad",
    "la contraseña", "el asiento", "la cuna", "el traslado al aeropuerto", "el seguro de viaje",
    "el coche de alquiler", "la maleta facturada", "el desayuno", "la cama supletoria",
    "el parking del hotel", "la tarifa flexible", "el bono de descuento", "el localizador",
]  # fmt: skip
PREGUNTAS = [
    "¿Cómo {accion} {objeto} {contexto}?", "¿Puedo {accion} {objeto} {contexto}?",
    "¿Cuánto cuesta {accion} {objeto} {contexto}?", "¿Qué pasa si no puedo {accion} {objeto}?",
    "¿Dónde puedo {accion} {objeto} {contexto}?", "No consigo {accion} {objeto} {contexto}",
]  # fmt: skip
#: (context, weight): pets are rare, like in real FAQs.
CONTEXTOS = [
    ("en {ciudad}", 3), ("para {n} personas", 1), ("con {medio}", 2), ("desde la aplicación", 1),
    ("antes de {n} horas", 1), ("si viajo con niños", 1), ("en temporada alta", 1),
    ("para un grupo", 1), ("si el vuelo se retrasa", 1), ("con una mascota", 0.2),
    ("a nombre de una empresa", 0.5), ("después de pagar", 1), ("sin cuenta", 0.5),
    ("el mismo día", 1), ("en un paquete vuelo + hotel", 1), ("con {aerolinea}", 2),
    ("en {hotel}", 2),
]  # fmt: skip
FRASES = [
    "Puede {accion} {objeto} desde «Mis viajes» en su cuenta.",
    "El plazo para {accion} {objeto} es de {n} días antes de la llegada.",
    "Si pagó con {medio}, el importe se devuelve al mismo medio de pago.",
    "Le enviaremos un correo de confirmación con el localizador.",
    "En {ciudad} algunos hoteles cobran una tasa turística que se paga en el alojamiento.",
    "{aerolinea} puede aplicar gastos de gestión de {n}0 €.",
    "Consulte las condiciones de la tarifa antes de confirmar el cambio.",
    "Si necesita ayuda, abra un ticket y un agente le atenderá en menos de {n} horas.",
    "Los reembolsos tardan entre 3 y 10 días hábiles.",
    "La factura se descarga en formato PDF desde su cuenta.",
    "El check-in online abre {n} horas antes de la salida.",
    "Los niños menores de dos años viajan en el regazo de un adulto.",
    "La cancelación gratuita solo aplica a tarifas flexibles.",
    "En temporada alta la disponibilidad en {ciudad} es limitada.",
    "El traslado desde el aeropuerto de {ciudad} se reserva con {n} horas de antelación.",
    "{hotel} ofrece {servicio} a sus clientes.",
    "El pago con {medio} se confirma al instante.",
    "Recuerde llevar {documento} al aeropuerto.",
    "Para cambiar la fecha del vuelo contacte con {aerolinea} o use «Modificar reserva».",
    "El precio final incluye impuestos y tasas.",
    "Los puntos de fidelidad se acreditan {n} días después del viaje.",
    "La habitación estará disponible a partir de las 1{n}:00.",
    "Las tarifas no reembolsables no admiten cambios.",
    "Puede elegir asiento al hacer el check-in.",
    "El localizador tiene seis caracteres.",
    "Si el hotel no tiene disponibilidad le ofreceremos una alternativa en {ciudad}.",
]
RELLENO = {
    "ciudad": [
        "Madrid", "Barcelona", "Sevilla", "Valencia", "Bilbao", "Málaga", "Palma", "Tenerife",
        "Lisboa", "París", "Roma", "Londres", "Cancún", "Bogotá", "Lima", "México",
        "Buenos Aires", "Santiago", "Granada", "Córdoba", "Zaragoza", "Alicante", "Ibiza",
    ],
    "medio": ["tarjeta de crédito", "tarjeta de débito", "PayPal", "Bizum", "transferencia"],
    "aerolinea": ["Iberia", "Vueling", "Air Europa", "Binter", "Volotea", "Level", "Avianca"],
    "hotel": ["Meliá", "NH", "Barceló", "Riu", "Eurostars", "Paradores", "Hotel Sol"],
    "servicio": [
        "desayuno buffet", "wifi gratuito", "piscina climatizada", "aparcamiento vigilado",
        "gimnasio", "spa", "servicio de habitaciones", "cuna gratuita",
    ],
    "documento": ["el DNI", "el pasaporte", "la tarjeta de embarque", "el visado"],
}  # fmt: skip


def faqs_sinteticas(n: int, rng: random.Random, ahora: datetime) -> list[tuple[Any, ...]]:
    """``n`` FAQ rows (pregunta, respuesta, categoria, activa, orden, +, -, creada, actualizada)
    of a booking platform, written from templates; 95% active; random vote counts."""
    contextos, pesos = zip(*CONTEXTOS, strict=True)

    def rellenar(plantilla: str) -> str:
        valores = {clave: rng.choice(opciones) for clave, opciones in RELLENO.items()}
        valores.update(accion=rng.choice(ACCIONES), objeto=rng.choice(OBJETOS))
        return plantilla.format(n=rng.randint(2, 9), **valores)

    filas = []
    for i in range(n):
        contexto = rellenar(rng.choices(contextos, pesos)[0])
        pregunta = rellenar(rng.choice(PREGUNTAS).replace("{contexto}", contexto)).strip()
        respuesta = " ".join(rellenar(f) for f in rng.sample(FRASES, rng.randint(2, 4)))
        filas.append(
            (
                pregunta,
                respuesta,
                rng.choice(CATEGORIAS),
                rng.random() < 0.95,
                i % 1000,
                rng.randint(0, 50),
                rng.randint(0, 10),
                ahora,
                ahora,
            )
        )
    return filas


async def generar_sinteticos(
    usuarios: SyntheticUsers, n_tickets: int, rng: random.Random, ahora: datetime
) -> dict[str, int]:
    """One FAQ per :data:`TICKETS_POR_FAQ` tickets (30 to :data:`MAX_FAQS`) and one vote per
    :data:`TICKETS_POR_VOTO`, in bulk; the counts on each FAQ are computed from its votes, and
    the search index is rebuilt once at the end."""
    n = min(MAX_FAQS, max(30, n_tickets // TICKETS_POR_FAQ))
    conn = connection()
    primero = await next_id(conn, FAQ._meta.db_table)
    filas = []
    for i, fila in enumerate(faqs_sinteticas(n, rng, ahora)):
        creada = ahora - SPAN * rng.random()
        filas.append(
            (primero + i, *fila[:5], 0, 0, creada, creada + (ahora - creada) * rng.random())
        )
    columnas = ("id", "pregunta", "respuesta", "categoria", "activa", "orden",
                "valoraciones_positivas", "valoraciones_negativas", "fecha_creacion",
                "fecha_actualizacion")  # fmt: skip
    votantes = usuarios.clientes
    pares: set[tuple[int, int]] = set()
    objetivo = min(n_tickets // TICKETS_POR_VOTO, n * len(votantes) // 2)
    while len(pares) < objetivo:
        # Popular questions get most votes: the lowest ids of each batch of 1000 (``orden``).
        pares.add(
            (primero + int(rng.random() ** 2 * n), votantes[int(rng.random() * len(votantes))])
        )
    votos = [
        (faq_id, usuario_id, rng.random() < 0.8, ahora - timedelta(days=rng.random() * 365))
        for faq_id, usuario_id in sorted(pares)
    ]
    async with in_transaction() as tx:
        for desde in range(0, n, 20_000):
            await insert_rows(tx, FAQ._meta.db_table, columnas, filas[desde : desde + 20_000])
        for desde in range(0, len(votos), 20_000):
            await insert_rows(
                tx, VotoFAQ._meta.db_table, ("faq_id", "usuario_id", "es_util", "fecha"),
                votos[desde : desde + 20_000],
            )  # fmt: skip
        await tx.execute_script(
            f"UPDATE {FAQ._meta.db_table} SET "
            f"valoraciones_positivas = (SELECT COUNT(*) FROM {VotoFAQ._meta.db_table} v "
            f"WHERE v.faq_id = {FAQ._meta.db_table}.id AND v.es_util), "
            f"valoraciones_negativas = (SELECT COUNT(*) FROM {VotoFAQ._meta.db_table} v "
            f"WHERE v.faq_id = {FAQ._meta.db_table}.id AND NOT v.es_util) "
            f"WHERE id >= {int(primero)}"
        )
    await sync_sequence(conn, FAQ._meta.db_table)
    await sync_sequence(conn, VotoFAQ._meta.db_table)
    await service.reconstruir_indice()
    return {"faqs": n, "votos": len(votos)}
