"""core.search: the shared pieces of every full-text search (terms, query text, snippets, raw
conditions on querysets)."""

from __future__ import annotations

import sqlite3

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


def test_consulta_con_el_ultimo_termino_expandido():
    assert (
        search.consulta_fts5(
            ["factura", "descar"], prefijo_solo_ultimo=True, ultimo=["descargar", "descargarla"]
        )
        == '(("factura" OR "facturas" OR "facturaes") AND ("descargar" OR "descargarla"))'
    )
    # No word has the prefix: the term itself, exactly (it matches nothing either).
    assert search.consulta_fts5(["zzz"], ultimo=[]) == '(("zzz"))'
    # A vocabulary word that is not a plain token is never quoted into the query.
    assert search.consulta_fts5(["a"], ultimo=['a" OR x', "ab"]) == '(("ab"))'


def test_tokens_fts5_son_los_del_tokenizador():
    texto = (
        "Transacción RECHAZADA: ñandú, pingüino e\u0301clair, Straße, ﬁn, TK-000123, "
        "año_2026, l'hôtel, Ærø, İstanbul, 3½ días, ¿qué? café❤️ x²"
    )
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'unicode61 remove_diacritics 2')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, row)")
    conn.execute("INSERT INTO t (x) VALUES (?)", [texto])
    assert search.tokens_fts5(texto) == {fila[0] for fila in conn.execute("SELECT term FROM v")}
    assert search.tokens_fts5("") == set() and search.tokens_fts5(None) == set()


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
