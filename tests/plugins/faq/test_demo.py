"""Demo data: about 30 realistic FAQs in five categories, loaded idempotently, searchable."""

from __future__ import annotations

import pytest

from core import keys
from core.cli import ensure_demo_users
from plugins.faq.models import FAQ, VotoFAQ
from tests.plugins.faq.ayudas import URL, buscar_ids

pytestmark = pytest.mark.plugins("faq")


async def test_demo_is_idempotent_and_searchable(soporte):
    host = soporte.app[keys.PLUGINS]
    for _ in range(2):
        await host.load_demo_data(await ensure_demo_users())
    assert await FAQ.all().count() == 30
    r = await soporte.get(f"{URL}categorias/")
    categorias = await r.json()
    assert [c["categoria"] for c in categorias] == [
        "Cancelaciones",
        "Check-in",
        "Cuenta",
        "Pagos",
        "Reservas",
    ]
    assert sum(c["total"] for c in categorias) == 30
    # Counts agree with the stored votes.
    for faq in await FAQ.all():
        votos = await VotoFAQ.filter(faq_id=faq.id).values_list("es_util", flat=True)
        assert faq.valoraciones_positivas == sum(1 for v in votos if v)
        assert faq.valoraciones_negativas == sum(1 for v in votos if not v)
    assert await VotoFAQ.all().count() > 0
    # The guide's search box on realistic data.
    reembolso = await buscar_ids(soporte, "reembolsos")
    primera = await FAQ.get(id=reembolso[0])
    assert "reembolso" in primera.pregunta.lower()
    assert await buscar_ids(soporte, "credito")
    assert await buscar_ids(soporte, "contraseña equipaje") == []
    (olvido,) = await buscar_ids(soporte, "olvidado contraseña")
    assert (await FAQ.get(id=olvido)).categoria == "Cuenta"
