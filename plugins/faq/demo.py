"""Demo FAQs of a hotel and flight booking platform (``soporte demo``), loaded idempotently."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plugins.faq import service
from plugins.faq.models import FAQ

if TYPE_CHECKING:
    from core.auth.models import Usuario

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
