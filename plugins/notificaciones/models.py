"""Notifications and per-user preferences (Tortoise app label ``notificaciones``)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from core.auth.models import Usuario


class Notificacion(Model):
    """One event told to one recipient: a row per recipient and event.

    ``en_app``: shown in the bell and the list (the recipient's preference). A row with
    ``en_app`` off exists only because an e-mail was sent for it — it is what the e-mail
    coalescing rule reads (:mod:`plugins.notificaciones.service`). ``correo``: an e-mail was
    queued for it.
    """

    id = fields.IntField(primary_key=True)
    usuario: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="notificaciones", on_delete=fields.CASCADE
    )
    tipo = fields.CharField(max_length=32)
    titulo = fields.CharField(max_length=200)
    mensaje = fields.TextField()
    # Null on rows written before it, and for texts given as plain strings: titulo and mensaje
    # are then shown as stored (plugins.notificaciones.textos renders the others).
    #: Title and message as message ids with their values, rendered in the reader's language.
    textos: fields.JSONField[Any] = fields.JSONField(null=True)
    #: A path of the portal or the console (``/tickets/12/``), never an absolute URL.
    url = fields.CharField(max_length=300, default="")
    #: The ticket it is about, if any (a plain id: a notification outlives nothing it names).
    ticket_id = fields.IntField(null=True)
    leida = fields.BooleanField(default=False)
    en_app = fields.BooleanField(default=True)
    correo = fields.BooleanField(default=False)
    fecha_creacion = fields.DatetimeField()

    class Meta:
        table = "notificaciones_notificacion"
        indexes = (
            # "My unread, newest first" (the bell, the socket's replay, the unread count).
            Index(fields=("usuario_id", "leida", "id"), name="notif_usuario_leida_id"),
            # "Mine, newest first" (the list without ?no_leidas).
            Index(fields=("usuario_id", "id"), name="notif_usuario_id"),
            # The e-mail coalescing rule: this ticket's unread mailed notifications of a user
            # since an instant (the rows not mailed, most of a burst, are never visited).
            Index(
                fields=("ticket_id", "usuario_id", "correo", "leida", "fecha_creacion"),
                name="notif_coalescer",
            ),
        )


class Preferencia(Model):
    """A user's choice for one ``tipo`` (only the choices that differ from the defaults of
    :data:`plugins.notificaciones.tipos.TIPOS` need a row, but any may have one)."""

    id = fields.IntField(primary_key=True)
    usuario: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="preferencias_notificacion", on_delete=fields.CASCADE
    )
    tipo = fields.CharField(max_length=32)
    app = fields.BooleanField()
    email = fields.BooleanField()

    class Meta:
        table = "notificaciones_preferencia"
        unique_together = (("usuario", "tipo"),)


__models__ = [Notificacion, Preferencia]
