"""Helpers of the core's tests that are not fixtures."""

from __future__ import annotations

import sqlite3
import textwrap
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


def instalar_distribucion(
    raiz: Path,
    dist: str,
    version: str,
    plugins: dict[str, str],
    modulos: dict[str, str],
) -> Path:
    """Lay out an installed third-party distribution under ``raiz`` (put ``raiz`` on sys.path).

    ``plugins`` maps entry-point names in ``soporte.plugins`` to module paths; ``modulos`` maps
    module names to their source. This is exactly what ``pip install`` leaves behind, so the
    plugin host finds it the way it finds any third-party plugin.
    """
    raiz.mkdir(parents=True, exist_ok=True)
    for nombre, fuente in modulos.items():
        (raiz / f"{nombre}.py").write_text(textwrap.dedent(fuente))
    info = raiz / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    eps = "".join(f"{name} = {module}\n" for name, module in plugins.items())
    (info / "entry_points.txt").write_text(f"[soporte.plugins]\n{eps}")
    return raiz


def esquema(db_file: Path, ignorar: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Tables, columns and index column sets of a SQLite file, comparable across databases.

    Columns: ``(name, type, notnull, pk)``; indexes: sorted ``(columns, unique)`` pairs per
    table. SQLite's and tortoise's internal tables (the migration recorder) are left out.
    """
    con = sqlite3.connect(db_file)
    try:
        tablas = sorted(
            row[0]
            for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith("sqlite_") and row[0] not in ignorar
        )
        result: dict[str, Any] = {}
        for tabla in tablas:
            columnas = sorted(
                (r[1], r[2].upper(), r[3], r[5])
                for r in con.execute(f'PRAGMA table_info("{tabla}")')
            )
            indices = sorted(
                (
                    tuple(c[2] for c in con.execute(f'PRAGMA index_info("{idx[1]}")')),
                    bool(idx[2]),
                )
                for idx in con.execute(f'PRAGMA index_list("{tabla}")')
            )
            result[tabla] = {"columnas": columnas, "indices": indices}
        return result
    finally:
        con.close()


def diferencias(obtenido: dict[str, Any], esperado: dict[str, Any]) -> list[str]:
    """What differs between two :func:`esquema` results, one readable line per difference."""
    found: list[str] = []
    for tabla in sorted(set(obtenido) | set(esperado)):
        if tabla not in obtenido:
            found.append(f"{tabla}: missing")
            continue
        if tabla not in esperado:
            found.append(f"{tabla}: unexpected table")
            continue
        for parte in ("columnas", "indices"):
            a, b = set(obtenido[tabla][parte]), set(esperado[tabla][parte])
            found += [f"{tabla}: {parte} missing {x}" for x in sorted(b - a)]
            found += [f"{tabla}: {parte} unexpected {x}" for x in sorted(a - b)]
    return found
