"""The full-text search service every plugin uses (FAQ, tickets): one engine, two dialects.

A plugin keeps only its own index definition (which table, which columns, how rows are
written); this module holds what is the same for all of them:

* **Terms** (:func:`terminos`): the user's text reduced to normalised letter/digit words
  (lower case, no diacritics, Spanish function words dropped, a light plural stripper). Only
  letters and digits survive, so no query syntax of any engine can be injected, and the terms
  are always passed as bound parameters.
* **Queries**: :func:`consulta_fts5` (SQLite FTS5 ``MATCH`` text: every term quoted and matched
  as a prefix, all required, optionally confined to some columns) and :func:`consulta_tsquery`
  (PostgreSQL ``to_tsquery`` text: every term a prefix ``'t':*``) with :func:`configuracion_pg`
  choosing the text search configuration.
* **The PostgreSQL configuration** :data:`CONFIGURACION` (``unaccent`` + Spanish stemming),
  created idempotently by :func:`preparar_pg`. Its name is ``faq_es`` because the FAQ created it
  first and stored FAQ vectors (a generated column) name it; tickets use the same one.
* **Snippets** (:func:`fragmento`): a short HTML-safe excerpt of a text around the first word
  that matches, the matching words wrapped in ``<mark>`` (the text is escaped first).
* **Raw conditions on querysets** (:class:`CondicionSql`, :func:`sql_de`): a plugin's search
  needs SQL that tortoise cannot express (``MATCH``, ``@@``); these keep it composable with
  every other filter of a queryset, with values always bound.

SQLite and PostgreSQL differ in one documented way: FTS5 has no Spanish stemmer, so on SQLite
every term is matched as a prefix after :func:`terminos` strips plurals (``factura`` finds
``facturas``, ``descargar`` does not find ``descargue``); PostgreSQL stems with the Spanish
snowball dictionary on top of the same prefix matching.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pypika_tortoise.terms import Criterion, ValueWrapper
from tortoise.expressions import Q
from tortoise.query_utils import QueryModifier

from core.db import exclusive

if TYPE_CHECKING:
    from pypika_tortoise.context import SqlContext
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.expressions import ResolveContext
    from tortoise.queryset import QuerySet

__all__ = [
    "CONFIGURACION",
    "MAX_TERMINOS",
    "STOPWORDS",
    "CondicionSql",
    "coincide",
    "configuracion_pg",
    "consulta_fts5",
    "consulta_tsquery",
    "dialecto",
    "fragmento",
    "marcador",
    "normalizar",
    "preparar_pg",
    "sql_de",
    "terminos",
    "tokens_fts5",
]

log = logging.getLogger("soporte.search")

#: At most this many search terms are used (a pasted paragraph must not cost more).
MAX_TERMINOS = 12

#: The PostgreSQL text search configuration of every index (unaccent, then Spanish stemming).
CONFIGURACION = "faq_es"

# Spanish function words that carry no meaning in a question ("¿cómo cancelo mi reserva?").
# Every term must match (AND), so keeping them would hide texts that phrase things differently.
# Compared after accents are removed.
STOPWORDS = frozenset(
    """a al algo como con contra cual cuales cuando de del desde donde e el ella ellos en entre
    era es esa ese esta este esto estos fue ha hay la las le les lo los me mi mis muy nos o os
    para pero por porque que se sea si sin sobre son su sus te ti tu tus u un una unas unos y ya
    yo""".split()  # noqa: SIM905 - a word list reads better as text
)

_TOKEN = re.compile(r"[^\W_]+")


def normalizar(texto: str) -> str:
    """Lower case without diacritics (``Crédito Ñandú`` → ``credito nandu``)."""
    descompuesto = unicodedata.normalize("NFKD", texto.casefold())
    return "".join(c for c in descompuesto if not unicodedata.combining(c))


def _singular(token: str) -> str:
    """A light Spanish plural stripper, so ``reembolsos`` also finds ``reembolso``.

    Terms are matched as prefixes, so dropping a plural ending only ever widens a match
    (``reembolso*`` still matches ``reembolsos``). Only endings that are safe to drop are
    handled; PostgreSQL stems properly on top of this.
    """
    if len(token) < 5 or not token.endswith("s"):
        return token
    for plural, singular in (("ciones", "cion"), ("siones", "sion"), ("les", "l"), ("des", "d")):
        if token.endswith(plural) and len(token) - len(plural) >= 3:
            return token[: -len(plural)] + singular
    return token[:-1]


def terminos(q: str | None) -> list[str]:
    """The search terms of a user's query: normalised words, function words dropped.

    Only letters and digits survive, so no query syntax of any engine can be injected. If every
    word is a function word they are all kept (the user may be typing the first letters of a
    longer word). An empty list means "no text filter".
    """
    if not q:
        return []
    palabras = _TOKEN.findall(normalizar(q))
    utiles = [p for p in palabras if p not in STOPWORDS] or palabras
    vistos: list[str] = []
    for palabra in utiles:
        termino = _singular(palabra)
        if termino not in vistos:
            vistos.append(termino)
    return vistos[:MAX_TERMINOS]


def tokens_fts5(texto: str | None) -> set[str]:
    """The distinct tokens FTS5's ``unicode61 remove_diacritics 2`` tokenizer makes of
    ``texto``: runs of letters and digits, lower case, without diacritics.

    Unlike :func:`normalizar` (``casefold``, NFKD: the query side), this keeps what FTS5 keeps
    (``ß`` stays ``ß``, ligatures stay whole), so that a vocabulary built from it holds the
    index's own words (``tests/core/test_search.py`` compares it with ``fts5vocab``).
    """
    if not texto:
        return set()
    descompuesto = unicodedata.normalize("NFD", texto.lower())
    sin_marcas = "".join(c for c in descompuesto if not unicodedata.combining(c))
    return set(_TOKEN.findall(unicodedata.normalize("NFC", sin_marcas)))


def dialecto(conn: BaseDBAsyncClient) -> str:
    """``sqlite`` or ``postgres`` (a clear error for a database search does not support)."""
    nombre = str(conn.capabilities.dialect)
    if nombre not in ("sqlite", "postgres"):
        raise RuntimeError(f"full-text search supports SQLite and PostgreSQL, not {nombre!r}")
    return nombre


def marcador(conn: BaseDBAsyncClient, n: int) -> str:
    """The placeholder of the ``n``-th (1-based) bound parameter of a raw query on ``conn``.

    ``?`` on SQLite, ``$n`` for asyncpg, ``%s`` for psycopg.
    """
    if conn.capabilities.dialect == "sqlite":
        return "?"
    return "%s" if "psycopg" in type(conn).__module__ else f"${n}"


def _variantes(termino: str) -> list[str]:
    """A term and its Spanish plurals (``factura``, ``facturas``, ``facturaes``): the words of
    a text that :func:`terminos` reduces to it, for an exact (not prefix) FTS5 match."""
    return [termino, f"{termino}s", f"{termino}es"]


def consulta_fts5(
    terminos: Sequence[str],
    columnas: Sequence[str] = (),
    *,
    prefijo_solo_ultimo: bool = False,
    ultimo: Sequence[str] | None = None,
) -> str:
    """The FTS5 ``MATCH`` text: every term quoted, all of them required; confined to
    ``columnas`` when given (``{asunto descripcion} : ("factura"* AND …)``).

    Every term matches as a prefix, or, with ``prefijo_solo_ultimo``, only the last one (the
    word being typed) and the others exactly, with their plurals (``("factura" OR "facturas" OR
    "facturaes")``): a prefix query merges the postings of every word it covers, which for a
    common word at a million rows costs tens of milliseconds, while exact terms are seeks.

    ``ultimo``: the words of the index the last term is a prefix of (a vocabulary's answer),
    matched exactly (``("descargar" OR "descargarla")``) instead of ``"descargar"*``: FTS5
    builds a prefix's whole doclist before it can walk it (O(matches of the prefix) — ~10 ms
    at a million tickets), while an ``OR`` of exact terms is walked lazily and stops at the
    ``LIMIT``. An empty ``ultimo`` (no word has the prefix) matches the term exactly.

    The terms come from :func:`terminos` (letters and digits only), so the quotes cannot be
    broken out of; the result is still passed as a bound parameter.
    """
    partes = []
    for i, t in enumerate(terminos):
        if ultimo is not None and i == len(terminos) - 1:
            palabras = [p for p in ultimo if _TOKEN.fullmatch(p)] or [t]
            partes.append("(" + " OR ".join(f'"{p}"' for p in palabras) + ")")
        elif not prefijo_solo_ultimo or i == len(terminos) - 1:
            partes.append(f'"{t}"*')
        else:
            partes.append("(" + " OR ".join(f'"{v}"' for v in _variantes(t)) + ")")
    cuerpo = "(" + " AND ".join(partes) + ")"
    if columnas:
        return "{" + " ".join(columnas) + "} : " + cuerpo
    return cuerpo


def consulta_tsquery(terminos: Sequence[str], *, prefijo_solo_ultimo: bool = False) -> str:
    """The ``to_tsquery`` text: every term a prefix (``'factura':* & 'descarg':*``), or with
    ``prefijo_solo_ultimo`` only the last (the others are matched after stemming, which already
    covers their inflections: ``'factura' & 'descarg':*``)."""
    return " & ".join(
        f"'{t}':*" if not prefijo_solo_ultimo or i == len(terminos) - 1 else f"'{t}'"
        for i, t in enumerate(terminos)
    )


def configuracion_pg(terminos: Sequence[str]) -> str:
    """The configuration for ``to_tsquery``: :data:`CONFIGURACION`, or ``simple`` when every term
    is a function word (the Spanish configuration would drop them all and match nothing)."""
    return "simple" if all(t in STOPWORDS for t in terminos) else CONFIGURACION


def coincide(palabra: str, terminos: Sequence[str]) -> bool:
    """Whether a word of a text (any case and accents) is matched by one of ``terminos`` (as a
    prefix, as the engines match them)."""
    normal = normalizar(palabra)
    return any(normal.startswith(t) for t in terminos)


_PALABRA_O_NO = re.compile(r"[^\W_]+|[\W_]+")


def fragmento(texto: str, terminos: Sequence[str], palabras: int = 24) -> str | None:
    """An HTML-safe excerpt of ``texto`` around its first matching word, or ``None`` when no
    word of it matches.

    About ``palabras`` words are kept (the match a few words in, ``…`` where text was cut);
    every piece is escaped with :func:`html.escape` and each matching word is wrapped in
    ``<mark>…</mark>``, so the result can be inserted as HTML without further escaping.
    """
    if not terminos or not texto:
        return None
    piezas = _PALABRA_O_NO.findall(texto)
    es_palabra = [bool(_TOKEN.fullmatch(p)) for p in piezas]
    aciertos = [i for i, p in enumerate(piezas) if es_palabra[i] and coincide(p, terminos)]
    if not aciertos:
        return None
    indices_palabras = [i for i, ok in enumerate(es_palabra) if ok]
    posicion = indices_palabras.index(aciertos[0])
    desde_palabra = max(0, posicion - palabras // 4)
    hasta_palabra = min(len(indices_palabras), desde_palabra + palabras)
    desde = 0 if desde_palabra == 0 else indices_palabras[desde_palabra]
    hasta = (
        len(piezas) if hasta_palabra == len(indices_palabras) else indices_palabras[hasta_palabra]
    )
    salida = ["…"] if desde > 0 else []
    acertadas = set(aciertos)
    for i in range(desde, hasta):
        trozo = html.escape(piezas[i])
        salida.append(f"<mark>{trozo}</mark>" if i in acertadas else trozo)
    if hasta < len(piezas):
        salida.append("…")
    return "".join(salida).strip()


class _CriterioSql(Criterion):
    """A raw SQL condition whose ``{}`` markers become bound parameters of the query."""

    def __init__(self, plantilla: str, valores: Sequence[Any]) -> None:
        super().__init__()
        self.plantilla = plantilla
        self.valores = list(valores)

    def get_sql(self, ctx: SqlContext) -> str:
        """The condition's SQL, each value rendered by pypika (a parameter when parameterised)."""
        return self.plantilla.format(*(ValueWrapper(v).get_sql(ctx) for v in self.valores))


class CondicionSql(Q):
    """A ``Q`` holding a raw SQL condition, for ``queryset.filter(CondicionSql(...))``.

    ``plantilla`` is trusted SQL written by the plugin (never user text) with one ``{}`` per
    value of ``valores``; the values are bound like any other filter's. ``{tabla}`` is not
    expanded: write the model's table name in the template (``"tickets_ticket"."id" IN …``).
    """

    __slots__ = ("plantilla", "valores")

    def __init__(self, plantilla: str, *valores: Any) -> None:
        super().__init__()
        self.plantilla = plantilla
        self.valores = valores

    def resolve(self, resolve_context: ResolveContext) -> QueryModifier:
        """The condition as the WHERE criterion tortoise combines with the other filters."""
        return QueryModifier(where_criterion=_CriterioSql(self.plantilla, self.valores))


def sql_de(queryset: QuerySet[Any], *campos: str) -> tuple[str, list[Any]]:
    """The SQL and bound parameters of ``queryset.values(*campos)`` (columns named after the
    fields), to embed as a sub-select of a search query (``FROM indice JOIN (<this>) AS t ON
    t.id = …``).

    The queryset must carry no ``order_by``/``limit`` of its own (the caller orders by rank).
    tortoise has no public call returning both; this uses the query it would execute.
    """
    valores = queryset.values(*campos)
    valores._choose_db_if_not_chosen()
    valores._make_query()
    sql, parametros = valores.query.get_parameterized_sql()
    return sql, list(parametros)


async def preparar_pg(conn: BaseDBAsyncClient) -> bool:
    """Create ``unaccent`` (if allowed) and the :data:`CONFIGURACION` text search configuration;
    ``True`` when the configuration folds accents.

    Idempotent and safe with several processes starting at once (one transaction under an
    advisory lock). Without permission to create ``unaccent`` the configuration is plain Spanish
    stemming (accent-sensitive), and the caller should say so in its log.
    """
    async with exclusive(conn, "soporte_busqueda_config") as tx:
        await tx.execute_script(_PG_CONFIGURACION)
        filas = await tx.execute_query_dict(
            "SELECT EXISTS (SELECT 1 FROM pg_ts_config_map m "
            "JOIN pg_ts_config c ON c.oid = m.mapcfg "
            "JOIN pg_namespace n ON n.oid = c.cfgnamespace "
            "JOIN pg_ts_dict d ON d.oid = m.mapdict "
            f"WHERE c.cfgname = '{CONFIGURACION}' AND n.nspname = current_schema() "
            "AND d.dictname = 'unaccent') AS ok"
        )
    ok = bool(filas[0]["ok"])
    if not ok:
        log.warning(
            "PostgreSQL extension 'unaccent' unavailable (install postgresql-contrib, or "
            "CREATE EXTENSION unaccent as a superuser, then restart): full-text search is "
            "accent-sensitive until then"
        )
    return ok


# Idempotent DDL for PostgreSQL; no user input, no bound parameters. Every object is looked up
# before it is created, so a start-up against a ready database takes no lock of note.
_PG_CONFIGURACION = f"""
DO $cfg$
DECLARE
    esquema_unaccent text;
BEGIN
    -- In ``public`` when it exists: the extension is per database, and a schema that is
    -- dropped later (one per test) must not take it away from the others.
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN
                CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
            ELSE
                CREATE EXTENSION IF NOT EXISTS unaccent;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'soporte search: cannot create extension unaccent: %', SQLERRM;
        END;
    END IF;
    SELECT n.nspname INTO esquema_unaccent
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'unaccent';
    IF NOT EXISTS (
        SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
         WHERE c.cfgname = '{CONFIGURACION}' AND n.nspname = current_schema()
    ) THEN
        CREATE TEXT SEARCH CONFIGURATION {CONFIGURACION} (COPY = pg_catalog.spanish);
    END IF;
    IF esquema_unaccent IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_ts_config_map m
          JOIN pg_ts_config c ON c.oid = m.mapcfg
          JOIN pg_namespace n ON n.oid = c.cfgnamespace
          JOIN pg_ts_dict d ON d.oid = m.mapdict
         WHERE c.cfgname = '{CONFIGURACION}' AND n.nspname = current_schema()
           AND d.dictname = 'unaccent'
    ) THEN
        EXECUTE format(
            'ALTER TEXT SEARCH CONFIGURATION {CONFIGURACION} '
            'ALTER MAPPING FOR hword, hword_part, word WITH %I.unaccent, spanish_stem',
            esquema_unaccent);
    END IF;
END
$cfg$;
"""
