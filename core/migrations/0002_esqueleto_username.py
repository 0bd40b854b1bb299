from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


async def llenar_esqueletos(apps, schema_editor) -> None:
    """Give every existing user the skeleton of their username (new users get it on creation).

    Raw SQL through the migration's own connection: the model class may have moved on since.
    """
    from core.auth.names import skeleton
    from core.db import placeholders

    conn = schema_editor.client
    filas = await conn.execute_query_dict('SELECT "id", "username" FROM "core_usuario"')
    valor, id_ = placeholders(conn, 2)
    for fila in filas:
        await conn.execute_query(
            f'UPDATE "core_usuario" SET "username_skeleton" = {valor} WHERE "id" = {id_}',
            [skeleton(fila["username"]), fila["id"]],
        )


async def vaciar_esqueletos(apps, schema_editor) -> None:
    """Nothing to undo: removing the column (the reverse of AddField) removes the data."""


class Migration(migrations.Migration):
    dependencies = [("core", "0001_inicial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Usuario",
            name="username_skeleton",
            field=fields.CharField(
                default="",
                db_default="",
                db_index=True,
                description="Confusable skeleton of the username (a new look-alike is refused).",
                max_length=600,
            ),
        ),
        # AddField does not create the index of a db_index field: the one generate_schemas makes.
        ops.RunSQL(
            'CREATE INDEX "idx_core_usuari_usernam_6c9bf7" ON "core_usuario" ("username_skeleton")',
            'DROP INDEX "idx_core_usuari_usernam_6c9bf7"',
        ),
        ops.RunPython(llenar_esqueletos, vaciar_esqueletos),
    ]
