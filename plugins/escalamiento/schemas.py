"""Request and response models of the escalation endpoints (they also feed OpenAPI)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from core.api import PageQuery
from core.api.fields import Timestamp
from core.i18n import N_, gettext
from plugins.escalamiento.horario import (
    DIAS_LABORABLES,
    INTERVALOS_POR_DEFECTO,
    Horario,
    zona_valida,
)
from plugins.escalamiento.models import MAX_NIVELES, POLITICA_POR_DEFECTO, NivelAlerta
from plugins.escalamiento.politicas import esquema_parametros
from plugins.tickets.api import Categoria, Estado, Prioridad

if TYPE_CHECKING:
    from plugins.escalamiento.models import Alerta, Regla
    from plugins.escalamiento.politicas import PoliticaRegistrada
    from plugins.tickets.api import TicketVista


def _error(mensaje: str) -> PydanticCustomError:
    """A validation error whose message is shown as is (no "Value error, " prefix)."""
    return PydanticCustomError("valor_invalido", mensaje)


def _sin_bool(value: Any) -> Any:
    # JSON true is not a number, whatever Python thinks of bool ⊂ int.
    if isinstance(value, bool):
        raise _error(N_("Debe ser un número, no un booleano."))
    return value


Horas = Annotated[
    float,
    Field(gt=0, le=24 * 366, allow_inf_nan=False, description="Hours (> 0, fractions allowed)."),
    BeforeValidator(_sin_bool),
]
NumeroNiveles = Annotated[int, Field(ge=1, le=MAX_NIVELES), BeforeValidator(_sin_bool)]
Nombre = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
NombreNivel = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


def _destino(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**31:
        return value
    if value in ("AGENTE", "ADMIN"):
        return str(value)
    raise _error(
        gettext("{valor} no es un id de usuario ni uno de los roles AGENTE, ADMIN.").format(
            valor=repr(value)
        )
    )


Destino = Annotated[
    int | str,
    PlainValidator(_destino),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1}, {"enum": ["AGENTE", "ADMIN"]}]}),
]


class NivelIn(BaseModel):
    """One level of a rule: its number (1..n in order), a name, whom to notify."""

    model_config = ConfigDict(extra="forbid")

    nivel: NumeroNiveles
    nombre: NombreNivel = ""
    notificar: list[Destino] = Field(
        default_factory=list,
        max_length=50,
        description="User ids of active agents, or the roles AGENTE / ADMIN.",
    )

    @field_validator("notificar")
    @classmethod
    def _unicos(cls, value: list[int | str]) -> list[int | str]:
        if len(set(value)) != len(value):
            raise _error(N_("Destinatarios repetidos."))
        return value

    @model_validator(mode="after")
    def _nombre_por_defecto(self) -> NivelIn:
        if not self.nombre:
            self.nombre = f"Nivel {self.nivel}"
        return self


_LISTA_NIVELES: TypeAdapter[list[NivelIn]] = TypeAdapter(
    Annotated[list[NivelIn], Field(min_length=1, max_length=MAX_NIVELES)]
)
_NUMERO_NIVELES: TypeAdapter[int] = TypeAdapter(NumeroNiveles)


def _donde(loc: tuple[int | str, ...]) -> str:
    """``(0, "notificar", 2)`` → ``"nivel 1 → notificar[2]: "``."""
    texto = ""
    for i, parte in enumerate(loc):
        if isinstance(parte, int):
            texto += f"nivel {parte + 1}" if i == 0 else f"[{parte}]"
        else:
            texto += f" → {parte}" if texto else parte
    return f"{texto}: " if texto else ""


def _niveles(value: Any) -> int | list[NivelIn]:
    """An integer 1–5, or a list of 1–5 levels numbered 1..n (one clean error per problem)."""
    adaptador: TypeAdapter[Any] = _LISTA_NIVELES if isinstance(value, list) else _NUMERO_NIVELES
    try:
        niveles = adaptador.validate_python(value)
    except ValidationError as exc:
        # Validated here rather than as a union, so errors do not name union branches.
        mensajes = [f"{_donde(e['loc'])}{e['msg']}" for e in exc.errors(include_url=False)]
        raise _error("; ".join(mensajes)) from None
    if isinstance(niveles, list) and [n.nivel for n in niveles] != list(range(1, len(niveles) + 1)):
        raise _error(N_("Los niveles deben numerarse 1, 2, … en orden."))
    return niveles


_ESQUEMA_NIVEL = {
    "type": "object",
    "required": ["nivel"],
    "additionalProperties": False,
    "properties": {
        "nivel": {"type": "integer", "minimum": 1, "maximum": MAX_NIVELES},
        "nombre": {"type": "string", "maxLength": 100, "default": "Nivel <n>"},
        "notificar": {
            "type": "array",
            "maxItems": 50,
            "items": {"anyOf": [{"type": "integer", "minimum": 1}, {"enum": ["AGENTE", "ADMIN"]}]},
            "description": "User ids of active agents, or the roles AGENTE / ADMIN.",
        },
    },
}
Niveles = Annotated[
    Any,
    PlainValidator(_niveles),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_NIVELES},
                {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_NIVELES,
                    "items": _ESQUEMA_NIVEL,
                },
            ],
            "description": "1–5, or a list of levels [{nivel, nombre, notificar}] numbered 1..n.",
        }
    ),
]


class HorarioIn(BaseModel):
    """Business hours: the clock runs only on working days, inside these local intervals."""

    model_config = ConfigDict(extra="forbid")

    zona: str = Field(max_length=64, description="IANA time zone, e.g. Europe/Madrid.")
    dias: list[int] = Field(
        default_factory=lambda: list(DIAS_LABORABLES),
        description="Working days, 0 = Monday … 6 = Sunday (default Monday–Friday).",
    )
    intervalos: list[tuple[str, str]] = Field(
        default_factory=lambda: list(INTERVALOS_POR_DEFECTO),
        min_length=1,
        max_length=12,
        description='Local working intervals, e.g. [["09:00", "14:00"], ["15:00", "18:00"]] '
        '(start before end, no overlaps; "24:00" ends at midnight). Default 09:00–18:00.',
    )
    festivos: list[date] = Field(
        default_factory=list, max_length=1000, description="Holidays, YYYY-MM-DD (local dates)."
    )

    @field_validator("zona")
    @classmethod
    def _zona(cls, value: str) -> str:
        try:
            zona_valida(value)
        except ValueError as exc:
            raise _error(str(exc)) from exc
        return value

    @field_validator("dias")
    @classmethod
    def _dias(cls, value: list[int]) -> list[int]:
        if not value or any(d < 0 or d > 6 for d in value) or len(set(value)) != len(value):
            raise _error(N_("Uno o más días distintos, de 0 (lunes) a 6 (domingo)."))
        return sorted(value)

    @field_validator("intervalos")
    @classmethod
    def _intervalos(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        try:
            Horario.crear("UTC", DIAS_LABORABLES, value)
        except ValueError as exc:
            raise _error(str(exc)) from exc
        return value

    def a_dict(self) -> dict[str, Any]:
        """The stored (normalised) form."""
        return Horario.crear(self.zona, self.dias, self.intervalos, self.festivos).a_dict()


def _unicos(value: list[Any]) -> list[Any]:
    if len(set(value)) != len(value):
        raise _error(N_("Valores repetidos."))
    return value


Prioridades = Annotated[list[Prioridad], Field(min_length=1, max_length=3)]
Categorias = Annotated[list[Categoria], Field(max_length=4)]


class _ReglaCampos(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("prioridades_escalamiento", "categorias", check_fields=False)
    @classmethod
    def _sin_repetidos(cls, value: list[Any] | None) -> list[Any] | None:
        return _unicos(value) if value is not None else value

    def a_datos(self, solo_enviados: bool = False) -> dict[str, Any]:
        """The model's fields as the database stores them (``horario`` normalised)."""
        campos = self.model_fields_set if solo_enviados else set(type(self).model_fields)
        datos = self.model_dump(mode="json", include=campos - {"horario"})
        if "horario" in campos:
            horario = getattr(self, "horario", None)
            datos["horario"] = horario.a_dict() if horario is not None else None
        return datos


class ReglaIn(_ReglaCampos):
    """``POST /api/soporte/escalamiento/reglas/``: the guide's four fields, plus optional ones."""

    tiempo_respuesta_maximo: Horas
    prioridades_escalamiento: Prioridades
    niveles_escalamiento: Niveles
    notificaciones_automaticas: bool
    nombre: Nombre = ""
    categorias: Categorias = Field(
        default_factory=list, description="Only these categories (empty: every category)."
    )
    politica: str = Field(
        POLITICA_POR_DEFECTO,
        description="A registered escalation policy (GET /api/soporte/escalamiento/politicas/).",
    )
    activa: bool = True
    horario: HorarioIn | None = Field(
        None, description="Business hours; absent or null: the clock always runs."
    )
    parametros: dict[str, Any] = Field(
        default_factory=dict,
        description="Values of the policy's own parameters, checked against its JSON Schema "
        "(`parametros` of GET /api/soporte/escalamiento/politicas/); absent fields take their "
        "defaults.",
    )


class ReglaPatch(_ReglaCampos):
    """``PATCH …/reglas/{id}/``: the fields to change (same rules as creation; absent stay)."""

    # The None defaults only mark a field the client did not send; a null that was sent fails
    # the field's type. ``X | None`` would accept it and make the OpenAPI document advertise it.
    # (Niveles is Annotated[Any, …]: None needs no ignore there.)
    tiempo_respuesta_maximo: Horas = None  # type: ignore[assignment]  # absent, never null
    prioridades_escalamiento: Prioridades = None  # type: ignore[assignment]  # absent, never null
    niveles_escalamiento: Niveles = None
    notificaciones_automaticas: bool = None  # type: ignore[assignment]  # absent, never null
    nombre: Nombre = None  # type: ignore[assignment]  # absent, never null
    categorias: Categorias = None  # type: ignore[assignment]  # absent, never null
    politica: str = None  # type: ignore[assignment]  # absent, never null
    activa: bool = None  # type: ignore[assignment]  # absent, never null
    horario: HorarioIn | None = Field(None, description="null removes the business hours.")
    parametros: dict[str, Any] = Field(
        None,  # type: ignore[arg-type]  # absent, never null
        description="The policy's parameters, all of them (defaults fill the absent ones); "
        "changing `politica` without them resets them to the new policy's defaults.",
    )


def con_politicas(modelo: type[_ReglaCampos], politicas: Sequence[str]) -> type[_ReglaCampos]:
    """``modelo`` whose ``politica`` must be one of ``politicas`` (the app's registered names).

    Built per application, so an unknown policy is listed with every other bad field in one
    400, and OpenAPI shows the names as an enum.
    """
    nombres = list(politicas)

    def comprobar(cls: type[BaseModel], value: str | None) -> str | None:
        if value is not None and value not in nombres:
            raise _error(
                gettext("Política desconocida: {nombre}; registradas: {registradas}.").format(
                    nombre=repr(value), registradas=", ".join(nombres) or gettext("ninguna")
                )
            )
        return value

    # create_model's annotation says Callable, but what it takes (and pydantic's docs pass) is
    # field_validator's decorated object, a descriptor proxy that is not callable.
    validators: dict[str, Any] = {
        "_politica_registrada": field_validator("politica")(classmethod(comprobar))
    }
    campo = modelo.model_fields["politica"]
    default = campo.default
    anotacion = Annotated[str, WithJsonSchema({"type": "string", "enum": nombres})]
    return create_model(
        modelo.__name__,
        __base__=modelo,
        __validators__=validators,
        __module__=modelo.__module__,
        politica=(anotacion, Field(default, description=campo.description)),
    )


class ReglaQuery(PageQuery):
    """Filters of the rule list (empty values: no filter)."""

    activa: bool | None = None
    politica: str | None = Field(None, max_length=100)


class NivelOut(BaseModel):
    """A level of a rule."""

    nivel: int
    nombre: str
    notificar: list[int | str]


class HorarioOut(BaseModel):
    """A rule's business hours, normalised."""

    zona: str
    dias: list[int]
    intervalos: list[list[str]]
    festivos: list[str]


class ReglaOut(BaseModel):
    """An escalation rule. ``niveles_escalamiento`` keeps the form it was given (int or list)."""

    id: int
    nombre: str
    tiempo_respuesta_maximo: float
    prioridades_escalamiento: list[str]
    niveles_escalamiento: int | list[NivelOut]
    notificaciones_automaticas: bool
    categorias: list[str]
    politica: str
    activa: bool
    horario: HorarioOut | None
    parametros: dict[str, Any] = Field(description="The policy's parameters (empty: none).")
    fecha_creacion: Timestamp
    fecha_actualizacion: Timestamp

    @classmethod
    def de(cls, regla: Regla) -> ReglaOut:
        """Build from the model."""
        return cls(
            id=regla.id,
            nombre=regla.nombre,
            tiempo_respuesta_maximo=regla.tiempo_respuesta_maximo,
            prioridades_escalamiento=list(regla.prioridades_escalamiento),
            niveles_escalamiento=regla.niveles_escalamiento,
            notificaciones_automaticas=regla.notificaciones_automaticas,
            categorias=list(regla.categorias or []),
            politica=regla.politica,
            activa=regla.activa,
            horario=regla.horario,
            parametros=dict(regla.parametros or {}),
            fecha_creacion=regla.fecha_creacion,
            fecha_actualizacion=regla.fecha_actualizacion,
        )


class TicketEscaladoOut(BaseModel):
    """An escalated open ticket, as the monitor lists it."""

    id: int
    numero: str
    asunto: str
    prioridad: Prioridad
    estado: Estado
    nivel_escalamiento: int
    tiempo_escalamiento: str = Field(
        description='Time since the latest escalation, e.g. "2 h 15 min", "45 min", "3 d 4 h".'
    )
    fecha_escalamiento: Timestamp | None


class AlertaOut(BaseModel):
    """An alert; ``nivel`` is the CSS class the guide uses."""

    id: int
    nivel: NivelAlerta
    mensaje: str
    timestamp: Timestamp
    ticket_id: int | None
    leida: bool

    @classmethod
    def de(cls, alerta: Alerta) -> AlertaOut:
        """Build from the model."""
        return cls(
            id=alerta.id,
            nivel=alerta.nivel,
            mensaje=alerta.mensaje,
            timestamp=alerta.timestamp,
            ticket_id=alerta.ticket_id,
            leida=alerta.leida,
        )


class MonitorOut(BaseModel):
    """What ``MonitorEscalamiento`` reads every 30 s."""

    tickets_escalados: list[TicketEscaladoOut]
    alertas: list[AlertaOut]


class PoliticaOut(BaseModel):
    """A registered escalation policy, the plugin that registered it and its parameters."""

    nombre: str
    descripcion: str
    plugin: str
    parametros: dict[str, Any] = Field(
        description="JSON Schema (an object) of the policy's per-rule parameters, the values a "
        "rule's `parametros` takes; `properties` is empty for a policy without parameters."
    )

    @classmethod
    def de(cls, registrada: PoliticaRegistrada) -> PoliticaOut:
        """Build from the registry."""
        return cls(
            nombre=registrada.nombre,
            # A msgid of ours (N_) or a plugin's own domain's: gettext looks in both.
            descripcion=gettext(registrada.description) if registrada.description else "",
            plugin=registrada.plugin,
            parametros=esquema_parametros(registrada),
        )


def ticket_escalado(
    ticket: TicketVista, fecha: datetime | None, ahora: datetime
) -> TicketEscaladoOut:
    """A monitor row for ``ticket`` whose latest escalation was at ``fecha``."""
    from plugins.escalamiento.service import formato_duracion

    return TicketEscaladoOut(
        id=ticket.id,
        numero=ticket.numero,
        asunto=ticket.asunto,
        prioridad=ticket.prioridad,
        estado=ticket.estado,
        nivel_escalamiento=ticket.nivel_escalamiento,
        tiempo_escalamiento=formato_duracion(ahora - fecha) if fecha else "",
        fecha_escalamiento=fecha,
    )


class EstadisticasEscalamiento(BaseModel):
    """The escalation key of ``GET /api/soporte/dashboard/stats/``."""

    tickets_escalados: int = Field(
        description="Open tickets with `nivel_escalamiento` above 0.", examples=[3]
    )
