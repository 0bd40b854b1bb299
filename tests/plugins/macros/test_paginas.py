"""The macro picker is a fragment of the agents' ticket page only; the Macros page exists for
agents; without the plugin tickets' page renders as before."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from core.testing import SoporteClient


@pytest.mark.plugins("tickets", "macros")
async def test_the_picker_is_in_the_agents_reply_form_only(soporte: SoporteClient) -> None:
    agente = await (await soporte.get("/agente/tickets/1/")).text()
    formulario = agente[agente.index('id="form-responder"') :]
    assert 'id="macros-selector"' in formulario.split("</form>")[0]
    assert "/static/macros/selector.js" in agente
    cliente = await (await soporte.get("/tickets/1/")).text()
    assert "macros-selector" not in cliente
    gestion = await soporte.get("/agente/macros/")
    assert gestion.status == 200
    assert "/static/macros/gestion.js" in await gestion.text()
    assert (await soporte.get("/static/macros/selector.js")).status == 200


@pytest.mark.plugins("tickets")
async def test_without_the_plugin_the_reply_form_has_no_picker(soporte: SoporteClient) -> None:
    agente = await soporte.get("/agente/tickets/1/")
    assert agente.status == 200
    texto = await agente.text()
    assert 'id="form-responder"' in texto
    assert "macros-selector" not in texto
    assert (await soporte.get("/agente/macros/")).status == 404
