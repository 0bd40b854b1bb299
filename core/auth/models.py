"""Users and API tokens (Tortoise app label ``core``)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Rol(StrEnum):
    """The three roles of the contract. ``ADMIN`` is an agent who also configures."""

    CLIENTE = "CLIENTE"
    AGENTE = "AGENTE"
    ADMIN = "ADMIN"


class Usuario(Model):
    """A person who logs in: a customer, an agent or an admin."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=150, unique=True)
    # core.auth.names.skeleton(username), filled by crear_usuario and by migration 0002.
    username_skeleton = fields.CharField(
        max_length=600,
        default="",
        db_default="",  # so that the column can be added to a table that has rows
        # (no ";" in the description: tortoise splits SQLite statements on it)
        db_index=True,
        description="Confusable skeleton of the username (a new look-alike is refused).",
    )
    password_hash = fields.CharField(max_length=255)
    nombre = fields.CharField(max_length=200, default="")
    email = fields.CharField(max_length=254, default="")
    rol = fields.CharEnumField(Rol, max_length=10, default=Rol.CLIENTE, db_index=True)
    activo = fields.BooleanField(default=True)
    # Whether the owner of ``email`` confirmed it (core.auth.cuentas). True for accounts that
    # never had to: staff, users from before verification existed, sign-ups with it off.
    email_verificado = fields.BooleanField(default=True, db_default=True)
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    # The language of the user's pages, API messages and mails (core.i18n.LOCALES); None
    # follows the browser's Accept-Language.
    idioma = fields.CharField(
        max_length=5, null=True, description="es or en, or null to follow the browser."
    )

    class Meta:
        table = "core_usuario"

    @property
    def es_agente(self) -> bool:
        """Agents and admins see every customer's objects."""
        return self.rol in (Rol.AGENTE, Rol.ADMIN)

    @property
    def nombre_visible(self) -> str:
        """The name shown to others: ``nombre``, or the username when it is blank."""
        return self.nombre or self.username

    def __str__(self) -> str:
        return f"{self.username} ({self.rol})"


class Token(Model):
    """An API token. Only the SHA-256 of the random secret is stored."""

    id = fields.IntField(primary_key=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    usuario: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="tokens", on_delete=fields.CASCADE
    )
    creado = fields.DatetimeField(auto_now_add=True)
    expira = fields.DatetimeField(db_index=True)

    class Meta:
        table = "core_token"


class PropositoToken(StrEnum):
    """What a single-use account token is for."""

    RESTABLECER = "RESTABLECER"  # choose a new password (forgotten one)
    VERIFICAR = "VERIFICAR"  # confirm an e-mail address


class TokenCuenta(Model):
    """A single-use token mailed to a user: a password reset or an e-mail verification.

    Only a keyed hash of the random secret is stored (HMAC with the purpose's derived key), so
    neither a copy of the table nor a row written into it yields a usable link.
    """

    id = fields.IntField(primary_key=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    proposito = fields.CharEnumField(PropositoToken, max_length=12)
    usuario: fields.ForeignKeyRelation[Usuario] = fields.ForeignKeyField(
        "core.Usuario", related_name="tokens_cuenta", on_delete=fields.CASCADE
    )
    # The address a verification token confirms (a later change of e-mail voids it).
    email = fields.CharField(max_length=254, default="")
    creado = fields.DatetimeField(auto_now_add=True)
    expira = fields.DatetimeField(db_index=True)

    class Meta:
        table = "core_token_cuenta"


class Equipo(Model):
    """A team of agents: who answers which categories (issue 17).

    Teams live in core, beside users and roles, because the one visibility module
    (:mod:`core.auth.guards`) needs them and both tickets and cases carry a team.
    """

    id = fields.IntField(primary_key=True)
    nombre = fields.CharField(max_length=100, unique=True)
    descripcion = fields.TextField(default="")
    #: Ticket categories (``Categoria`` values of the tickets plugin) the team serves: a new
    #: ticket of one of them is routed to this team. Strings, so core knows no feature's enum.
    categorias: fields.JSONField[list[str]] = fields.JSONField(default=list)
    activo = fields.BooleanField(default=True)
    fecha_creacion = fields.DatetimeField(auto_now_add=True)
    miembros: fields.ManyToManyRelation[Usuario] = fields.ManyToManyField(
        "core.Usuario", related_name="equipos", through="core_equipo_miembro"
    )

    class Meta:
        table = "core_equipo"

    def __str__(self) -> str:
        return self.nombre


__models__ = [Usuario, Token, TokenCuenta, Equipo]
