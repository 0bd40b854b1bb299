"""``soporte demo``: realistic tickets with conversations, loaded once."""

from __future__ import annotations

import pytest

from core import keys
from core.auth import equipos
from core.auth.models import Equipo
from core.cli import ensure_demo_users
from plugins.tickets.service import Estado, Respuesta, Ticket, Valoracion

pytestmark = pytest.mark.plugins("tickets")


async def test_datos_de_demo(soporte):
    usuarios = await ensure_demo_users()
    host = soporte.app[keys.PLUGINS]
    await host.load_demo_data(usuarios)
    total = await Ticket.all().count()
    assert total >= 12
    assert {t.estado for t in await Ticket.all()} == set(Estado)
    assert len(set(await Ticket.all().values_list("categoria", flat=True))) == 4
    assert len(set(await Ticket.all().values_list("prioridad", flat=True))) == 3
    clientes = set(await Ticket.all().values_list("cliente_id", flat=True))
    assert clientes == {usuarios["cliente"].id, usuarios["cliente2"].id}
    assert await Respuesta.filter(autor_id=usuarios["agente"].id).count() >= 8
    assert await Valoracion.all().count() >= 3
    numeros = await Ticket.all().values_list("id", "numero")
    assert all(numero == f"TK-{i:06d}" for i, numero in numeros)
    # The waiting clock matches each conversation.
    for ticket in await Ticket.all().prefetch_related("respuestas__autor"):
        ultima = max(ticket.respuestas, key=lambda r: r.id, default=None)
        espera = ticket.estado in (Estado.ABIERTO, Estado.EN_PROGRESO) and (
            ultima is None or not ultima.autor.es_agente
        )
        assert (ticket.esperando_desde is not None) == espera, ticket.asunto
    # Two teams with the demo staff; the tickets of their categories are theirs.
    pagos, tecnico = await Equipo.get(nombre="Pagos"), await Equipo.get(nombre="Técnico")
    assert (pagos.categorias, tecnico.categorias) == (["PAGOS"], ["TECNICO", "RESERVAS"])
    staff = {usuarios["agente"].id, usuarios["admin"].id}
    assert set(await equipos.miembros(pagos.id)) == staff
    for ticket in await Ticket.all():
        esperado = {"PAGOS": pagos.id, "TECNICO": tecnico.id, "RESERVAS": tecnico.id}
        assert ticket.equipo_id == esperado.get(ticket.categoria), ticket.asunto
    # Idempotent.
    await host.load_demo_data(await ensure_demo_users())
    assert await Ticket.all().count() == total
    assert await Equipo.all().count() == 2


async def test_la_guia_funciona_con_la_demo(soporte):
    usuarios = await ensure_demo_users()
    await soporte.app[keys.PLUGINS].load_demo_data(usuarios)
    cliente = usuarios["cliente"]
    token = await soporte.post(
        "/api/auth/token/", json={"username": "cliente", "password": "cliente123"}
    )
    headers = {"Authorization": f"Bearer {(await token.json())['token']}"}
    r = await soporte.get("/api/soporte/mis-tickets/?page=1&size=10&estado=", headers=headers)
    pagina = await r.json()
    assert pagina["count"] == await Ticket.filter(cliente_id=cliente.id).count()
    con_respuestas = next(t for t in pagina["results"] if t["estado"] != "ABIERTO")
    r = await soporte.get(f"/api/soporte/tickets/{con_respuestas['id']}/", headers=headers)
    detalle = await r.json()
    assert detalle["respuestas"] and detalle["respuestas"][0]["autor"]["rol"] == "AGENTE"
    agente = await soporte.post(
        "/api/auth/token/", json={"username": "agente", "password": "agente123"}
    )
    headers = {"Authorization": f"Bearer {(await agente.json())['token']}"}
    stats = await (await soporte.get("/api/soporte/dashboard/stats/", headers=headers)).json()
    assert stats["tickets_abiertos"] > 0 and stats["tiempo_promedio_respuesta"] > 0
    assert 0 < stats["satisfaccion_promedio"] < 100
