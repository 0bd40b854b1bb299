"""``core.db.ejecutar_juntas``, ``core.db.transaccion``, ``UnitOfWork.diferir``: fewer hand-offs,
the same rows.

On SQLite every statement through tortoise is one hand-off to aiosqlite's thread and back,
and that hand-off is what a statement of the write path costs. ``ejecutar_juntas`` runs
several statements in one; a unit of work's ``BEGIN`` is one (tortoise's is two). Counted by
wrapping aiosqlite's own ``Connection._execute`` (every hand-off goes through it) with a
counter that calls it unchanged. On PostgreSQL the statements run one after another: the
rows and the errors are the same, which is what these tests check there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import aiosqlite
import pytest
from tortoise.connection import connections
from tortoise.exceptions import IntegrityError

from core import keys
from core.auth.models import Usuario
from core.db import ejecutar_juntas, placeholders
from core.events import Event, Listener, UnitOfWork


def _sqlite() -> bool:
    return connections.get("default").capabilities.dialect == "sqlite"


@contextlib.contextmanager
def contar_entregas(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many functions were handed to aiosqlite's thread inside the block (``[n]``)."""
    cuenta = [0]
    original = aiosqlite.Connection._execute

    async def contando(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        cuenta[0] += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", contando)
    try:
        yield cuenta
    finally:
        monkeypatch.setattr(aiosqlite.Connection, "_execute", original)


async def test_varias_sentencias_en_una_entrega_con_sus_filas(soporte, monkeypatch):
    conn = connections.get("default")
    a, b = placeholders(conn, 2)
    with contar_entregas(monkeypatch) as entregas:
        filas = await ejecutar_juntas(
            conn,
            [
                (f"SELECT {a} + 1", [41]),
                ('SELECT COUNT(*) FROM "core_usuario" WHERE id < 0', []),
                (f"SELECT {a} * 2 UNION ALL SELECT {b}", [3, 7]),
            ],
        )
    assert filas == [[(42,)], [(0,)], [(6,), (7,)]]
    if _sqlite():
        assert entregas[0] == 1


async def test_un_error_de_integridad_es_el_de_tortoise_y_deshace_la_unidad(soporte):
    usuario = await soporte.usuario("ana")
    conn = connections.get("default")
    (marca,) = placeholders(conn, 1)
    with pytest.raises(IntegrityError):
        async with UnitOfWork(soporte.app[keys.EVENTS]) as uow:
            await ejecutar_juntas(
                uow.connection,
                [
                    (f'UPDATE "core_usuario" SET nombre = {marca} WHERE id = {usuario.id}', ["X"]),
                    # The same username again: the unique key refuses it.
                    (
                        'INSERT INTO "core_usuario" (username, username_skeleton, password_hash, '
                        "nombre, email, rol, activo, fecha_creacion) SELECT username, "
                        "username_skeleton, password_hash, nombre, email, rol, activo, "
                        f'fecha_creacion FROM "core_usuario" WHERE id = {usuario.id}',
                        [],
                    ),
                ],
            )
    # The first statement's change went with the transaction.
    assert (await Usuario.get(id=usuario.id)).nombre != "X"


async def test_una_unidad_de_trabajo_empieza_en_una_entrega(soporte, monkeypatch):
    """``BEGIN`` and ``COMMIT`` of an empty unit of work: two hand-offs on SQLite (tortoise's
    own transaction makes three: a ``commit()`` before its ``BEGIN``)."""
    usuario = await soporte.usuario("ana")
    with contar_entregas(monkeypatch) as entregas:
        async with UnitOfWork(soporte.app[keys.EVENTS]) as uow:
            await Usuario.filter(id=usuario.id).using_db(uow.connection).update(nombre="Ana B")
    assert (await Usuario.get(id=usuario.id)).nombre == "Ana B"
    if _sqlite():
        assert entregas[0] == 3  # BEGIN, the UPDATE, COMMIT


def _renombrar(usuario: Usuario, nombre: str) -> tuple[str, list[object]]:
    (marca,) = placeholders(connections.get("default"), 1)
    return (f'UPDATE "core_usuario" SET nombre = {marca} WHERE id = {usuario.id}', [nombre])


async def test_una_escritura_diferida_llega_con_el_commit_en_la_misma_entrega(soporte, monkeypatch):
    usuario = await soporte.usuario("ana")
    with contar_entregas(monkeypatch) as entregas:
        async with UnitOfWork(soporte.app[keys.EVENTS]) as uow:
            uow.diferir(_renombrar(usuario, "Ana Diferida"))
            # Not run yet: the transaction's own connection still reads the old name.
            [(nombre,)] = (
                await ejecutar_juntas(
                    uow.connection,
                    [(f'SELECT nombre FROM "core_usuario" WHERE id = {usuario.id}', [])],
                )
            )[0]
            assert nombre != "Ana Diferida"
    assert (await Usuario.get(id=usuario.id)).nombre == "Ana Diferida"
    if _sqlite():
        assert entregas[0] == 3  # BEGIN, the SELECT, the UPDATE with the COMMIT


async def test_una_escritura_diferida_se_pierde_con_la_unidad_que_se_deshace(soporte):
    usuario = await soporte.usuario("ana")
    with pytest.raises(RuntimeError):
        async with UnitOfWork(soporte.app[keys.EVENTS]) as uow:
            uow.diferir(_renombrar(usuario, "Nunca"))
            raise RuntimeError("vetoed")
    assert (await Usuario.get(id=usuario.id)).nombre != "Nunca"


async def test_una_escritura_diferida_que_falla_deshace_la_unidad_y_sus_eventos(soporte):
    usuario = await soporte.usuario("ana")
    publicados: list[object] = []

    class Hecho(Event):
        name = "hecho_de_prueba"

    bus = soporte.app[keys.EVENTS]
    escucha = Listener(Hecho, publicados.append)
    bus.subscribe(escucha)
    try:
        with pytest.raises(IntegrityError):
            async with UnitOfWork(bus) as uow:
                await (
                    Usuario.filter(id=usuario.id)
                    .using_db(uow.connection)
                    .update(nombre="Antes del fallo")
                )
                await uow.emit(Hecho())
                uow.diferir(
                    # NOT NULL column set to NULL: the database refuses it at the commit.
                    (f'UPDATE "core_usuario" SET username = NULL WHERE id = {usuario.id}', [])
                )
    finally:
        bus.unsubscribe(escucha)
    assert (await Usuario.get(id=usuario.id)).nombre != "Antes del fallo"
    assert publicados == []
    # The connection is usable again (the transaction ended, its lock released).
    await Usuario.filter(id=usuario.id).update(nombre="Después")
    assert (await Usuario.get(id=usuario.id)).nombre == "Después"


async def test_las_filas_de_un_returning_vuelven_tambien(soporte):
    """An ``INSERT … RETURNING`` gives its rows on every database (tortoise's asyncpg
    ``execute_query`` drops them for an INSERT)."""
    usuario = await soporte.usuario("ana")
    conn = connections.get("default")
    a, b = placeholders(conn, 2)
    [[(nombre,)]] = await ejecutar_juntas(
        conn,
        [
            (
                f'UPDATE "core_usuario" SET nombre = {a} WHERE id = {b} RETURNING nombre',
                ["Ana R", usuario.id],
            )
        ],
    )
    assert nombre == "Ana R"
