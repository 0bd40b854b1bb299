"""Who hears what: each recipient rule, and each non-recipient (the actor, other customers)."""

from __future__ import annotations

import pytest

from core.auth.models import Rol
from plugins.notificaciones.models import Notificacion
from tests.plugins.notificaciones.ayudas import cambiar, crear_ticket, responder, tipos

pytestmark = pytest.mark.plugins("tickets", "notificaciones")


async def test_un_ticket_nuevo_avisa_a_los_agentes_y_no_a_otros_clientes(soporte):
    ana = await soporte.usuario("ana")
    otro = await soporte.usuario("otro")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    ticket = await crear_ticket(soporte, ana)
    assert await tipos(soporte, carla) == [("ticket_nuevo", ticket["id"])]
    assert await tipos(soporte, jefa) == [("ticket_nuevo", ticket["id"])]
    assert await tipos(soporte, otro) == []
    # ana's receipt is by e-mail only by default (she is the actor): nothing in her bell.
    assert await tipos(soporte, ana) == []


@pytest.mark.parametrize("destino", ["ninguno"])
async def test_ticket_nuevo_a_ningun_agente_por_ajuste(make_app, destino):
    from core.testing import started_app

    app = make_app(
        ["tickets", "notificaciones"],
        plugin_settings={"notificaciones": {"new_ticket_recipients": destino}},
    )
    async with started_app(app) as soporte:
        ana = await soporte.usuario("ana")
        carla = await soporte.usuario("carla", Rol.AGENTE)
        await crear_ticket(soporte, ana)
        assert await tipos(soporte, carla) == []


async def test_la_respuesta_de_un_agente_avisa_al_cliente_y_no_al_agente(soporte):
    ana = await soporte.usuario("ana")
    otro = await soporte.usuario("otro")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana)
    await responder(soporte, carla, ticket["id"], "Lo estamos revisando")
    assert await tipos(soporte, ana) == [("respuesta_agente", ticket["id"])]
    # The automatic ABIERTO → EN_PROGRESO is told by the reply itself; carla is the actor.
    assert await tipos(soporte, carla) == [("ticket_nuevo", ticket["id"])]
    assert await tipos(soporte, otro) == []


async def test_la_respuesta_del_cliente_avisa_solo_al_agente_asignado(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    dani = await soporte.usuario("dani", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana)
    await responder(soporte, ana, ticket["id"], "¿Alguna novedad?")
    assert await tipos(soporte, carla) == [("ticket_nuevo", ticket["id"])]  # nobody assigned
    await cambiar(soporte, dani, ticket["id"], agente_asignado=carla.id)
    await responder(soporte, ana, ticket["id"], "¿Y ahora?")
    assert await tipos(soporte, carla) == [
        ("ticket_nuevo", ticket["id"]),
        ("ticket_asignado", ticket["id"]),
        ("respuesta_cliente", ticket["id"]),
    ]
    assert await tipos(soporte, dani) == [("ticket_nuevo", ticket["id"])]
    assert await tipos(soporte, ana) == []


async def test_asignarse_a_si_mismo_no_avisa(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana)
    await cambiar(soporte, carla, ticket["id"], agente_asignado=carla.id)
    assert await tipos(soporte, carla) == [("ticket_nuevo", ticket["id"])]


async def test_un_cambio_de_estado_avisa_al_cliente_con_el_enlace_de_valoracion(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana)
    await cambiar(soporte, carla, ticket["id"], estado="RESUELTO")
    pagina = await soporte.get("/api/soporte/notificaciones/", headers=soporte.auth(ana))
    (nota,) = (await pagina.json())["results"]
    assert nota["tipo"] == "estado_cambiado"
    assert nota["url"] == f"/tickets/{ticket['id']}/#valorar"
    assert "resuelto" in nota["titulo"]
    # The customer closing their own ticket tells nobody on their side.
    await cambiar(soporte, ana, ticket["id"], estado="CERRADO")
    assert await tipos(soporte, ana) == [("estado_cambiado", ticket["id"])]


async def test_un_usuario_inactivo_no_recibe_nada(soporte):
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    carla.activo = False
    await carla.save()
    await crear_ticket(soporte, ana)
    assert await Notificacion.filter(usuario_id=carla.id).count() == 0


async def test_un_rollback_no_escribe_nada(soporte):
    """A notification lives and dies with its change: a veto after it rolls both back."""
    from core.events import Listener
    from core.keys import EVENTS
    from plugins.tickets.events import RespuestaCreada

    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana)
    antes = await Notificacion.all().count()

    def vetar(evento: RespuestaCreada) -> None:
        raise RuntimeError("veto")

    veto = Listener(RespuestaCreada, vetar, "in_transaction")
    soporte.app[EVENTS].subscribe(veto)
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket['id']}/responder/",
        json={"mensaje": "hola"},
        headers=soporte.auth(carla),
    )
    assert r.status == 500
    soporte.app[EVENTS].unsubscribe(veto)
    assert await Notificacion.all().count() == antes


async def test_una_respuesta_lleva_en_su_evento_lo_que_la_regla_necesita(soporte):
    """The reply's event carries its ticket's number, subject, customer, the author's name and
    the text: the rule writes from them and reads nothing (here the reply row is deleted
    before the event is emitted again, and the notification is still right)."""
    from core.events import Listener
    from core.keys import EVENTS
    from plugins.tickets.events import RespuestaCreada

    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana, asunto="Cobro doble")
    vistos: list[RespuestaCreada] = []
    oyente = Listener(RespuestaCreada, vistos.append)
    soporte.app[EVENTS].subscribe(oyente)
    await responder(soporte, carla, ticket["id"], "Ya está devuelto")
    soporte.app[EVENTS].unsubscribe(oyente)
    (evento,) = vistos
    assert (evento.cliente_id, evento.numero, evento.asunto) == (
        ana.id, ticket["numero"], "Cobro doble",
    )  # fmt: skip
    assert (evento.estado, evento.autor_rol, evento.mensaje) == (
        "EN_PROGRESO", "AGENTE", "Ya está devuelto",
    )  # fmt: skip
    assert evento.autor_nombre == carla.nombre_visible and evento.agente_asignado_id is None
    # The same event once more for a reply that no longer exists: written from the event.
    from plugins.tickets.models import Respuesta

    await Respuesta.filter(id=evento.respuesta_id).delete()
    await soporte.app[EVENTS].emit(evento)
    ultimas = await Notificacion.filter(usuario_id=ana.id, tipo="respuesta_agente").order_by("id")
    assert len(ultimas) == 2
    assert ultimas[1].titulo == f"Nueva respuesta en {ticket['numero']}"
    assert ultimas[1].mensaje == f"{carla.nombre_visible}: Ya está devuelto"


async def test_un_evento_sin_los_campos_nuevos_se_completa_leyendo_la_respuesta(soporte):
    """An event without the new fields (another producer, older code) still notifies:
    the rule reads the reply and its ticket; a reply that is gone notifies nobody."""
    from core.keys import EVENTS
    from plugins.tickets.events import RespuestaCreada
    from plugins.tickets.models import Respuesta

    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket = await crear_ticket(soporte, ana, asunto="Cobro doble")
    await responder(soporte, carla, ticket["id"], "Primera")
    respuesta = await Respuesta.filter(ticket_id=ticket["id"]).order_by("-id").first()
    assert respuesta is not None
    viejo = RespuestaCreada(
        ticket_id=ticket["id"], respuesta_id=respuesta.id, autor_id=carla.id, canal="TICKET"
    )
    await soporte.app[EVENTS].emit(viejo)
    ultimas = await Notificacion.filter(usuario_id=ana.id, tipo="respuesta_agente").order_by("id")
    assert len(ultimas) == 2 and ultimas[1].mensaje == f"{carla.nombre_visible}: Primera"
    await respuesta.delete()
    await soporte.app[EVENTS].emit(viejo)
    assert await Notificacion.filter(usuario_id=ana.id, tipo="respuesta_agente").count() == 2
