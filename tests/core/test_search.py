"""core.search: the shared pieces of every full-text search (terms, query text, snippets, raw
conditions on querysets)."""

from __future__ import annotations

import pytest

from core import search
from core.auth.models import Usuario


def test_terminos_normalizados_sin_palabras_vacias():
    assert search.terminos("¿Cómo DESCARGO mis Facturas?") == ["descargo", "factura"]
    assert search.terminos("Transacción rechazada") == ["transaccion", "rechazada"]
    # Only letters and digits survive: no engine syntax (quotes, *, :, NEAR, parentheses).
    assert search.terminos('"a" OR b* : (NEAR) -- ;') == ["or", "b", "near"]
    assert search.terminos("de la") == ["de", "la"]  # all function words: kept (a prefix)
    assert search.terminos("  ") == [] and search.terminos(None) == []
    assert len(search.terminos(" ".join(f"w{i}" for i in range(50)))) == search.MAX_TERMINOS


def test_consultas():
    assert search.consulta_fts5(["factura", "descar"]) == '("factura"* AND "descar"*)'
    assert search.consulta_fts5(["x"], ("asunto", "notas")) == '{asunto notas} : ("x"*)'
    assert search.consulta_tsquery(["factura", "descar"]) == "'factura':* & 'descar':*"
    assert search.configuracion_pg(["factura"]) == search.CONFIGURACION
    assert search.configuracion_pg(["de"]) == "simple"


def test_fragmento_escapa_y_resalta():
    assert search.fragmento("<b>Factura</b> & más", ["factura"]) == (
        "&lt;b&gt;<mark>Factura</mark>&lt;/b&gt; &amp; más"
    )
    assert search.fragmento("La Transacción falló", ["transaccion", "fall"]) == (
        "La <mark>Transacción</mark> <mark>falló</mark>"
    )
    assert search.fragmento("nada que ver", ["factura"]) is None
    assert search.fragmento("", ["factura"]) is None


def test_fragmento_recorta_alrededor_del_acierto():
    texto = " ".join(f"palabra{i}" for i in range(100)) + " factura " + "fin " * 50
    trozo = search.fragmento(texto, ["factura"], palabras=12)
    assert trozo is not None
    assert trozo.startswith("…") and trozo.endswith("…")
    assert "<mark>factura</mark>" in trozo
    assert len(trozo.split()) <= 14


@pytest.mark.plugins("tickets")
async def test_condicion_sql_enlaza_sus_valores(soporte):
    """A raw condition's values are bound parameters: a quote in one cannot break the SQL."""
    await soporte.usuario("ana")
    await soporte.usuario("ohara", nombre="Scarlett O'Hara")
    qs = Usuario.filter(search.CondicionSql('"core_usuario"."nombre" = {}', "Scarlett O'Hara"))
    assert [u.username for u in await qs] == ["ohara"]
    sql, params = search.sql_de(qs, "id")
    assert "O'Hara" not in sql and params == ["Scarlett O'Hara"]
    # It combines with the queryset's other filters (AND).
    assert await qs.filter(username="ana").count() == 0
