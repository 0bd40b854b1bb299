"""A policy's own parameters: listed as a JSON Schema, validated per rule (each bad field named
``parametros.<campo>``), stored with their defaults, given to the policy as ``regla.parametros``,
and reset when a rule changes policy."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from pydantic import BaseModel, Field

from core.plugins import PluginError
from plugins.escalamiento.api import PoliticaBase
from tests.plugins.escalamiento.ayudas import POLITICAS, REGLAS, Extra, Kit, regla_guia

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime

    from plugins.escalamiento.api import ReglaVista, TicketVista

pytestmark = pytest.mark.plugins("tickets", "escalamiento")


class Canal(StrEnum):
    """Where the on-call hears of it."""

    SMS = "sms"
    CORREO = "correo"


class ParametrosGuardia(BaseModel):
    """The parameters of the test policy ``guardia``."""

    minutos: int = Field(ge=1, le=600, title="Minutos hasta el nivel 1")
    canal: Canal = Canal.CORREO
    festivos_tambien: bool = False


class Guardia(PoliticaBase):
    """Level 1 after the rule's own ``minutos`` of waiting (a third party's, with parameters)."""

    name: ClassVar[str] = "guardia"
    description: ClassVar[str] = "Nivel 1 tras los minutos del parámetro."
    parameters: ClassVar[type[BaseModel] | None] = ParametrosGuardia
    vistos: ClassVar[list[dict[str, Any]]] = []

    def periodo(self, ticket: TicketVista) -> datetime | None:
        """The customer's wait."""
        return ticket.esperando_desde

    def nivel_objetivo(self, ticket: TicketVista, regla: ReglaVista, ahora: datetime) -> int:
        """1 once ``minutos`` have passed."""
        Guardia.vistos.append(dict(regla.parametros))
        assert ticket.esperando_desde is not None
        return int(ahora - ticket.esperando_desde >= timedelta(minutes=regla.parametros["minutos"]))


@pytest.fixture
async def kit(arrancar: Callable[..., Awaitable[Kit]]) -> Kit:
    """An app with the policy ``guardia`` of a third-party plugin."""
    Guardia.vistos.clear()
    return await arrancar(extra=[Extra([Guardia], name="guardias")])


async def _crear(kit: Kit, **cambios: Any) -> Any:
    return await kit.soporte.post(
        REGLAS, json=regla_guia(**cambios), headers=kit.soporte.auth(kit.admin)
    )


async def test_la_lista_de_politicas_da_el_esquema_de_sus_parametros(kit: Kit) -> None:
    r = await kit.soporte.get(POLITICAS, headers=kit.soporte.auth(kit.agente))
    por_nombre = {p["nombre"]: p for p in await r.json()}
    esquema = por_nombre["guardia"]["parametros"]
    assert esquema["type"] == "object"
    assert esquema["required"] == ["minutos"]
    assert esquema["additionalProperties"] is False
    assert esquema["properties"]["minutos"] == {
        "maximum": 600,
        "minimum": 1,
        "title": "Minutos hasta el nivel 1",
        "type": "integer",
    }
    assert esquema["properties"]["festivos_tambien"]["type"] == "boolean"
    assert por_nombre["tiempo_respuesta"]["parametros"]["properties"] == {}


async def test_la_regla_guarda_los_parametros_con_sus_valores_por_defecto(kit: Kit) -> None:
    r = await _crear(kit, politica="guardia", parametros={"minutos": 30})
    assert r.status == 201, await r.text()
    regla = await r.json()
    assert regla["parametros"] == {"minutos": 30, "canal": "correo", "festivos_tambien": False}
    r = await kit.soporte.get(f"{REGLAS}{regla['id']}/", headers=kit.soporte.auth(kit.admin))
    assert (await r.json())["parametros"] == regla["parametros"]

    # The policy reads them in its pass.
    ticket = await kit.ticket(esperando_hace=timedelta(minutes=31))
    assert [e.ticket_id for e in await kit.pasada()] == [ticket]
    assert Guardia.vistos[-1] == {"minutos": 30, "canal": "correo", "festivos_tambien": False}


async def test_cada_parametro_malo_es_un_400_en_su_campo(kit: Kit) -> None:
    r = await _crear(kit, politica="guardia", parametros={"minutos": 0, "canal": "fax", "x": 1})
    assert r.status == 400
    errores = (await r.json())["errors"]
    assert set(errores) == {"parametros.minutos", "parametros.canal", "parametros.x"}
    assert errores["parametros.x"] == ["Campo no permitido."]
    r = await _crear(kit, politica="guardia")
    assert r.status == 400
    assert (await r.json())["errors"] == {
        "parametros.minutos": ["Es obligatorio indicar el campo «minutos»."]
    }
    # A policy without parameters takes none.
    r = await _crear(kit, parametros={"minutos": 5})
    assert r.status == 400
    assert (await r.json())["errors"] == {"parametros.minutos": ["Campo no permitido."]}


async def test_los_errores_de_parametros_en_ingles(kit: Kit) -> None:
    """An English request gets the parameters' messages in English: ours and pydantic's."""
    cabeceras = {**kit.soporte.auth(kit.admin), "Accept-Language": "en"}
    r = await kit.soporte.post(
        REGLAS,
        json=regla_guia(politica="guardia", parametros={"minutos": 0, "x": 1}),
        headers=cabeceras,
    )
    assert r.status == 400
    cuerpo = await r.json()
    assert cuerpo["detail"] == "Invalid data."
    assert cuerpo["errors"]["parametros.x"] == ["Field not allowed."]
    assert cuerpo["errors"]["parametros.minutos"][0].startswith("The field “minutos”")
    r = await kit.soporte.post(REGLAS, json=regla_guia(politica="guardia"), headers=cabeceras)
    assert (await r.json())["errors"] == {
        "parametros.minutos": ["The field “minutos” is required."]
    }


async def test_patch_valida_contra_la_politica_de_la_regla(kit: Kit) -> None:
    regla = await kit.regla(politica="guardia", parametros={"minutos": 30, "canal": "sms"})
    url = f"{REGLAS}{regla['id']}/"
    auth = kit.soporte.auth(kit.admin)
    # Other fields leave the parameters alone.
    r = await kit.soporte.patch(url, json={"nombre": "Guardia"}, headers=auth)
    assert (await r.json())["parametros"]["canal"] == "sms"
    r = await kit.soporte.patch(url, json={"parametros": {"minutos": 601}}, headers=auth)
    assert r.status == 400
    assert set((await r.json())["errors"]) == {"parametros.minutos"}
    r = await kit.soporte.patch(url, json={"parametros": {"minutos": 45}}, headers=auth)
    assert r.status == 200
    # Sent parameters are the whole set: what is left out takes its default.
    assert (await r.json())["parametros"] == {
        "minutos": 45,
        "canal": "correo",
        "festivos_tambien": False,
    }
    # Another policy: the old parameters do not carry over.
    r = await kit.soporte.patch(url, json={"politica": "tiempo_respuesta"}, headers=auth)
    assert r.status == 200
    assert (await r.json())["parametros"] == {}
    r = await kit.soporte.patch(url, json={"politica": "guardia"}, headers=auth)
    assert r.status == 400
    assert set((await r.json())["errors"]) == {"parametros.minutos"}


async def test_parameters_que_no_es_un_modelo_para_el_arranque(
    arrancar: Callable[..., Awaitable[Kit]],
) -> None:
    class Rota(Guardia):
        name: ClassVar[str] = "rota"
        parameters: ClassVar[Any] = ("minutos", int)  # the mistake under test: not a model

    with pytest.raises(PluginError, match=r"'rota' of plugin 'rotas'.*pydantic model"):
        await arrancar(extra=[Extra([Rota], name="rotas")])
