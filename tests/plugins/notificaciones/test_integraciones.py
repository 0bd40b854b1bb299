"""The other sources: escalamiento's levels, casos' cases, the outbox's dead letters — and
the app without the optional plugins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import keys
from core.auth.models import Rol
from core.outbox import EnvioFallido
from plugins.notificaciones.models import Notificacion
from plugins.tickets.models import Ticket
from tests.plugins.notificaciones.ayudas import crear_caso, crear_ticket, tipos


@pytest.mark.plugins("tickets", "escalamiento", "notificaciones")
async def test_el_escalamiento_avisa_a_los_destinatarios_de_su_nivel(soporte):
    from plugins.escalamiento.api import REGISTRO, escalar

    ana = await soporte.usuario("ana")
    guardia = await soporte.usuario("guardia", Rol.AGENTE)
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    r = await soporte.post(
        "/api/soporte/escalamiento/reglas/",
        json={
            "tiempo_respuesta_maximo": 1,
            "prioridades_escalamiento": ["ALTA", "MEDIA"],
            "niveles_escalamiento": [
                {"nivel": 1, "nombre": "Guardia", "notificar": [guardia.id]},
                {"nivel": 2, "nombre": "Supervisión", "notificar": [jefa.id]},
            ],
            "notificaciones_automaticas": True,
        },
        headers=soporte.auth(jefa),
    )
    assert r.status == 201, await r.text()
    ticket = await crear_ticket(soporte, ana, prioridad="ALTA")
    await Ticket.filter(id=ticket["id"]).update(
        esperando_desde=datetime.now(UTC) - timedelta(hours=2, minutes=5)
    )
    assert len(await escalar(soporte.app[keys.EVENTS], soporte.app[REGISTRO])) == 2
    escalados = await Notificacion.filter(tipo="ticket_escalado").order_by("id")
    assert [(n.usuario_id, n.titulo) for n in escalados] == [
        (guardia.id, f"{ticket['numero']} escalado a nivel 1"),
        (jefa.id, f"{ticket['numero']} escalado a nivel 2"),
    ]
    assert await tipos(soporte, ana) == []


@pytest.mark.plugins("tickets", "escalamiento", "notificaciones")
async def test_sin_notificaciones_automaticas_el_escalamiento_no_avisa(soporte):
    from plugins.escalamiento.api import REGISTRO, escalar

    ana = await soporte.usuario("ana")
    guardia = await soporte.usuario("guardia", Rol.AGENTE)
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    r = await soporte.post(
        "/api/soporte/escalamiento/reglas/",
        json={
            "tiempo_respuesta_maximo": 1,
            "prioridades_escalamiento": ["ALTA"],
            "niveles_escalamiento": [{"nivel": 1, "notificar": [guardia.id]}],
            "notificaciones_automaticas": False,
        },
        headers=soporte.auth(jefa),
    )
    assert r.status == 201, await r.text()
    ticket = await crear_ticket(soporte, ana, prioridad="ALTA")
    await Ticket.filter(id=ticket["id"]).update(
        esperando_desde=datetime.now(UTC) - timedelta(hours=1, minutes=5)
    )
    assert len(await escalar(soporte.app[keys.EVENTS], soporte.app[REGISTRO])) == 1
    assert await Notificacion.filter(tipo="ticket_escalado").count() == 0


@pytest.mark.plugins("tickets", "casos", "notificaciones")
async def test_los_casos_avisan_a_los_agentes_y_a_su_cliente(soporte):
    ana = await soporte.usuario("ana")
    beto = await soporte.usuario("beto")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    dani = await soporte.usuario("dani", Rol.AGENTE)
    caso = await crear_caso(soporte, ana)
    assert await tipos(soporte, carla) == [("caso_nuevo", None)]
    assert await tipos(soporte, dani) == [("caso_nuevo", None)]
    assert await tipos(soporte, beto) == []
    r = await soporte.patch(
        f"/api/soporte/casos/{caso['id']}/",
        json={"estado": "EN_INVESTIGACION"},
        headers=soporte.auth(carla),
    )
    assert r.status == 200, await r.text()
    assert await tipos(soporte, ana) == [("caso_actualizado", None)]
    assert await tipos(soporte, beto) == []
    # The agent who made the change, or created a case, is not told about it.
    r = await soporte.post(
        "/api/soporte/casos/",
        json={
            "tipo_caso": "INCIDENTE",
            "urgencia": "CRITICA",
            "titulo": "Caída",
            "descripcion": "Pagos caídos",
        },
        headers=soporte.auth(carla),
    )
    assert r.status == 201
    assert await tipos(soporte, carla) == [("caso_nuevo", None)]
    assert [t for t, _ in await tipos(soporte, dani)] == ["caso_nuevo", "caso_nuevo"]


@pytest.mark.plugins("tickets", "notificaciones")
async def test_un_envio_fallido_avisa_solo_a_los_administradores(soporte):
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    carla = await soporte.usuario("carla", Rol.AGENTE)
    await soporte.app[keys.EVENTS].emit(
        EnvioFallido(envio_id=7, canal="mail", destino="ana@example.test", error="550 no existe")
    )
    (nota,) = await Notificacion.filter(usuario_id=jefa.id)
    assert nota.tipo == "envio_fallido" and nota.en_app and not nota.correo
    assert "ana@example.test" in nota.mensaje and "550" in nota.mensaje
    assert await Notificacion.filter(usuario_id=carla.id).count() == 0


@pytest.mark.plugins("tickets", "notificaciones")
async def test_preferencias_por_rol_con_sus_valores_por_defecto(soporte):
    ana = await soporte.usuario("ana")
    jefa = await soporte.usuario("jefa", Rol.ADMIN)
    r = await soporte.get("/api/soporte/notificaciones/preferencias/", headers=soporte.auth(ana))
    assert (await r.json())["preferencias"] == {
        "ticket_recibido": {"app": False, "email": True},
        "respuesta_agente": {"app": True, "email": True},
        "estado_cambiado": {"app": True, "email": True},
    }
    r = await soporte.get("/api/soporte/notificaciones/preferencias/", headers=soporte.auth(jefa))
    assert (await r.json())["preferencias"] == {
        "ticket_nuevo": {"app": True, "email": False},
        "respuesta_cliente": {"app": True, "email": True},
        "ticket_asignado": {"app": True, "email": True},
        "mencion": {"app": True, "email": True},
        "envio_fallido": {"app": True, "email": False},
    }
    for cuerpo in (
        {"preferencias": {"ticket_nuevo": {"app": False}}},  # not a customer's type
        {"preferencias": {"no_existe": {"app": False}}},
        {"preferencias": {"respuesta_agente": {"app": "quizá"}}},
        {"preferencias": {"respuesta_agente": {"sms": True}}},
    ):
        r = await soporte.patch(
            "/api/soporte/notificaciones/preferencias/", json=cuerpo, headers=soporte.auth(ana)
        )
        assert r.status == 400, cuerpo
        assert r.content_type == "application/problem+json"
    r = await soporte.patch(
        "/api/soporte/notificaciones/preferencias/",
        json={"preferencias": {"envio_fallido": {"email": True}}},
        headers=soporte.auth(jefa),
    )
    assert r.status == 400
    assert "aplicación" in str((await r.json())["errors"])


@pytest.mark.plugins("tickets", "notificaciones")
async def test_paginacion_y_filtro_no_leidas(soporte):
    from plugins.notificaciones.service import ahora

    ana = await soporte.usuario("ana")
    await Notificacion.bulk_create(
        [
            Notificacion(
                usuario_id=ana.id,
                tipo="respuesta_agente",
                titulo=f"n{i}",
                mensaje="m",
                url="/",
                leida=i % 2 == 0,
                fecha_creacion=ahora(),
            )
            for i in range(25)
        ]
    )
    r = await soporte.get(
        "/api/soporte/notificaciones/", params={"size": 10}, headers=soporte.auth(ana)
    )
    pagina = await r.json()
    assert pagina["count"] == 25 and pagina["no_leidas"] == 12
    assert [n["titulo"] for n in pagina["results"]] == [f"n{i}" for i in range(24, 14, -1)]
    assert "page=2" in pagina["next"] and pagina["previous"] is None
    r = await soporte.get(
        "/api/soporte/notificaciones/",
        params={"no_leidas": "true", "page": 2, "size": 10},
        headers=soporte.auth(ana),
    )
    pagina = await r.json()
    assert pagina["count"] == 12 and pagina["no_leidas"] == 12
    assert [n["titulo"] for n in pagina["results"]] == ["n3", "n1"]
    assert all(not n["leida"] for n in pagina["results"])


@pytest.mark.plugins("tickets")
async def test_sin_el_plugin_nada_cambia(soporte):
    ana = await soporte.usuario("ana")
    await crear_ticket(soporte, ana)
    r = await soporte.get("/api/soporte/notificaciones/", headers=soporte.auth(ana))
    assert r.status == 404
