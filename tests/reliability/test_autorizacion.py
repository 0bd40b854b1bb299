"""Authorization matrix, generated from the route table: every route × every caller × every kind
of object, each with the exact status docs/api.md ("Roles and visibility", "Errors") implies.

Callers: anonymous, customer A, customer B, an agent, an admin. Objects: for a route whose path
names an object, the object is **A's** (for A their own, for B a foreign one; agents and admins
see everything) or an **unknown id**; routes without one are called as they are. Foreign and
unknown ids are 404 for customers (existence never leaks: B gets the same answer for A's object
as for an id that does not exist), role guards are 403, anonymous callers 401 except on public
routes. Every call sends a valid body, so the status reflects authorization, not validation; a
fresh object is made for every call, so no call sees another's side effects.

The table is the specification: a route of the app (all installed plugins) without an entry
fails ``test_every_route_has_an_entry_and_every_entry_a_route``, and so does an entry whose
route is gone. The sockets are in the table too: their "statuses" are the WebSocket outcome —
``101`` joined (the first frame received), or the close code (4401, 4404).
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from core import keys
from core.api.routing import INTEGRATION, SESSION_ONLY
from core.auth.claves import known_scopes, new_secret
from core.auth.claves_models import ClaveApi
from core.auth.models import Equipo, Rol
from core.outbox_models import Envio, EstadoEnvio
from core.tags_models import Etiqueta
from core.testing import TEST_PASSWORD, token_of
from plugins.casos.models import Caso
from plugins.correo.models import EstadoMensaje
from plugins.correo.models import Mensaje as MensajeCorreo
from plugins.escalamiento.models import Alerta, NivelAlerta
from plugins.notificaciones.models import Notificacion
from plugins.tickets.models import Respuesta, Ticket
from plugins.webhooks.models import Entrega as EntregaWebhook
from plugins.webhooks.models import EstadoEntrega

if TYPE_CHECKING:
    from core.auth.models import Usuario
    from core.testing import SoporteClient

#: The callers, in the order of every row of the table.
ROLES = ("anonimo", "cliente_a", "cliente_b", "agente", "admin")
#: An id no object has (and within every id column).
DESCONOCIDO = 1_999_999_999

Estados = tuple[int, int, int, int, int]

TICKET = {"asunto": "No carga la reserva", "categoria": "TECNICO", "descripcion": "Error 500"}
CASO = {
    "tipo_caso": "RECLAMO",
    "urgencia": "ALTA",
    "titulo": "Cobro duplicado",
    "descripcion": "Me cobraron dos veces",
}
FAQ = {"pregunta": "¿Cómo pago?", "respuesta": "Con tarjeta.", "categoria": "PAGOS"}
#: A PERSONAL macro (whoever creates it owns it).
MACRO = {"nombre": "Saludo", "mensaje": "Hola {{ cliente.nombre | default('cliente') }}"}
#: A subscription to a name that does not resolve here: the SSRF guard lets it be saved (the
#: check at delivery is the one that holds), and nothing is ever delivered to it.
WEBHOOK = {"url": "https://receptor.example.test/hook", "eventos": ["ticket_creado"]}
REGLA = {
    "tiempo_respuesta_maximo": 4,
    "prioridades_escalamiento": ["ALTA"],
    "niveles_escalamiento": 2,
    "notificaciones_automaticas": False,
}


@dataclass(frozen=True)
class Fila:
    """One route's expectations: statuses per caller (in :data:`ROLES` order) on A's object
    (``objeto``) and on an unknown id (``desconocido``; only for routes that name an object).

    ``tipo``: the kind of object the path names (``None``: none). ``cuerpo``: a valid body —
    a dict (JSON), ``"archivo"`` (a multipart upload) or ``"registro"`` (a new username per
    call) or ``"correo"`` (a raw ``message/rfc822`` message) or ``"usuario"``/``"equipo"`` (a
    new user or team, with a fresh name per call) or ``"ticket_de_la_macro"`` (``{ticket_id}``
    of the ticket made with the last ``macro`` object).
    """

    objeto: Estados
    desconocido: Estados | None = None
    tipo: str | None = None
    cuerpo: Any = None


# Shorthands for the usual rows.
PUBLICA = (200,) * 5
TOKEN_200 = (401, 200, 200, 200, 200)
TOKEN_201 = (401, 201, 201, 201, 201)
AGENTE_200 = (401, 403, 403, 200, 200)
ADMIN = (401, 403, 403, 403)  # + the admin's own status
#: An unknown id: anonymous 401, then 404 for whoever passes the guard, 403 for who does not.
NO_EXISTE_TOKEN = (401, 404, 404, 404, 404)
NO_EXISTE_AGENTE = (401, 403, 403, 404, 404)
NO_EXISTE_ADMIN = (401, 403, 403, 403, 404)

MATRIZ: dict[tuple[str, str], Fila] = {
    # --- core ------------------------------------------------------------------------------
    ("GET", "/healthz"): Fila(PUBLICA),
    ("GET", "/readyz"): Fila(PUBLICA),
    ("GET", "/api/openapi.json"): Fila(PUBLICA),
    ("GET", "/api/docs/"): Fila(PUBLICA),
    ("GET", "/api/asyncapi.json"): Fila(PUBLICA),
    # A download link is a capability: it works from a plain <a href> without a token, for
    # whoever holds it; a forged or unknown one is a 403 for everybody.
    ("GET", "/api/descargas/{token}/"): Fila(PUBLICA, (403,) * 5, tipo="descarga"),
    ("GET", "/api/soporte/dashboard/stats/"): Fila(AGENTE_200),
    ("GET", "/api/soporte/dashboard/series/"): Fila(AGENTE_200),
    ("GET", "/api/soporte/dashboard/series/tablas/"): Fila(AGENTE_200),
    ("POST", "/api/auth/token/"): Fila(
        PUBLICA, cuerpo={"username": "cliente_a", "password": TEST_PASSWORD}
    ),
    ("POST", "/api/auth/registro/"): Fila((201,) * 5, cuerpo="registro"),
    ("GET", "/api/auth/yo/"): Fila(TOKEN_200),
    ("POST", "/api/auth/logout/"): Fila((401, 204, 204, 204, 204)),
    ("PATCH", "/api/auth/yo/"): Fila(TOKEN_200, cuerpo={"nombre": "Nombre Nuevo"}),
    # Account links: public, and the same answer whoever asks (an unknown address: 202; a
    # token no link carries: 400).
    ("POST", "/api/auth/password/olvido/"): Fila((202,) * 5, cuerpo={"email": "x@example.test"}),
    ("POST", "/api/auth/password/restablecer/"): Fila(
        (400,) * 5, cuerpo={"token": "desconocido", "password": "clave-larga-nueva"}
    ),
    ("POST", "/api/auth/email/verificar/"): Fila((400,) * 5, cuerpo={"token": "desconocido"}),
    ("POST", "/api/auth/email/reenviar/"): Fila((202,) * 5, cuerpo={"email": "x@example.test"}),
    # The outbox: addresses and mail text of everybody, so admins only.
    ("GET", "/api/soporte/envios/"): Fila((*ADMIN, 200)),
    ("GET", "/api/soporte/envios/{id}/"): Fila((*ADMIN, 200), NO_EXISTE_ADMIN, tipo="envio"),
    ("POST", "/api/soporte/envios/{id}/reintentar/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="envio"
    ),
    # --- tickets ---------------------------------------------------------------------------
    ("POST", "/api/soporte/tickets/"): Fila(TOKEN_201, cuerpo=TICKET),
    ("GET", "/api/soporte/mis-tickets/"): Fila(TOKEN_200),
    ("GET", "/api/soporte/tickets/"): Fila(AGENTE_200),
    # CSV exports are the agents' lists; their signed link is a capability like a download
    # link (minted by an agent, a 403 for everybody when forged).
    ("GET", "/api/soporte/tickets/exportar/"): Fila(AGENTE_200),
    ("POST", "/api/soporte/tickets/exportar/enlace/"): Fila(AGENTE_200),
    ("GET", "/api/soporte/tickets/exportar/enlace/{token}/"): Fila(
        PUBLICA, (403,) * 5, tipo="exportacion_tickets"
    ),
    ("GET", "/api/soporte/tickets/recientes/"): Fila(TOKEN_200),
    ("GET", "/api/soporte/tickets/{id}/"): Fila(
        (401, 200, 404, 200, 200), NO_EXISTE_TOKEN, tipo="ticket"
    ),
    # The owner may only close: changing the priority is the agents' (a 403 for the owner).
    ("PATCH", "/api/soporte/tickets/{id}/"): Fila(
        (401, 403, 404, 200, 200), NO_EXISTE_TOKEN, tipo="ticket", cuerpo={"prioridad": "ALTA"}
    ),
    # The history: the owner (their public timeline) and agents; B as for an unknown id.
    ("GET", "/api/soporte/tickets/{id}/historial/"): Fila(
        (401, 200, 404, 200, 200), NO_EXISTE_TOKEN, tipo="ticket"
    ),
    ("POST", "/api/soporte/tickets/{id}/responder/"): Fila(
        (401, 201, 404, 201, 201), NO_EXISTE_TOKEN, tipo="ticket", cuerpo={"mensaje": "Hola"}
    ),
    # Only the customer rates (agents: 403); the ticket is RESUELTO so that the owner may.
    # Bulk changes: agents only (an unknown or foreign id is that ticket's 404 in the answer).
    ("POST", "/api/soporte/tickets/lote/"): Fila(
        AGENTE_200, cuerpo={"ids": [1], "acciones": {"prioridad": "BAJA"}}
    ),
    ("POST", "/api/soporte/tickets/{id}/valorar/"): Fila(
        (401, 200, 404, 403, 403), NO_EXISTE_TOKEN, tipo="ticket_resuelto", cuerpo={"puntuacion": 5}
    ),
    ("POST", "/api/soporte/adjuntos/"): Fila(TOKEN_201, cuerpo="archivo"),
    # --- chat: 101 = joined; close codes otherwise ----------------------------------------
    ("GET", "/ws/soporte/ticket/{id}/"): Fila(
        (4401, 101, 4404, 101, 101), (4401, 4404, 4404, 4404, 4404), tipo="ticket"
    ),
    # --- users and teams: agents search users; admins administer them -------------------
    ("GET", "/api/soporte/usuarios/"): Fila(AGENTE_200),
    ("POST", "/api/soporte/usuarios/"): Fila((*ADMIN, 201), cuerpo="usuario"),
    ("GET", "/api/soporte/usuarios/{id}/"): Fila((*ADMIN, 200), NO_EXISTE_ADMIN, tipo="usuario"),
    ("PATCH", "/api/soporte/usuarios/{id}/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="usuario", cuerpo={"nombre": "Otro Nombre"}
    ),
    ("GET", "/api/soporte/equipos/"): Fila(AGENTE_200),
    ("POST", "/api/soporte/equipos/"): Fila((*ADMIN, 201), cuerpo="equipo"),
    ("GET", "/api/soporte/equipos/{id}/"): Fila(AGENTE_200, NO_EXISTE_AGENTE, tipo="equipo"),
    ("PATCH", "/api/soporte/equipos/{id}/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="equipo", cuerpo={"descripcion": "Otra"}
    ),
    ("DELETE", "/api/soporte/equipos/{id}/"): Fila((*ADMIN, 204), NO_EXISTE_ADMIN, tipo="equipo"),
    # Tags: agents read the vocabulary, admins curate it; customers never see tags.
    ("GET", "/api/soporte/etiquetas/"): Fila(AGENTE_200),
    ("POST", "/api/soporte/etiquetas/"): Fila((*ADMIN, 201), cuerpo={"nombre": "Nueva"}),
    ("PATCH", "/api/soporte/etiquetas/{id}/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="etiqueta", cuerpo={"color": "#123456"}
    ),
    ("DELETE", "/api/soporte/etiquetas/{id}/"): Fila(
        (*ADMIN, 204), NO_EXISTE_ADMIN, tipo="etiqueta"
    ),
    # Merging into the tag every world has (ETIQUETA_DESTINO): a fresh origin per call.
    ("POST", "/api/soporte/etiquetas/{id}/fusionar/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="etiqueta", cuerpo={"en": 1_000_000}
    ),
    # --- casos -----------------------------------------------------------------------------
    ("POST", "/api/soporte/casos/"): Fila(TOKEN_201, cuerpo=CASO),
    ("GET", "/api/soporte/casos/"): Fila(TOKEN_200),
    ("GET", "/api/soporte/casos/exportar/"): Fila(AGENTE_200),
    ("POST", "/api/soporte/casos/exportar/enlace/"): Fila(AGENTE_200),
    ("GET", "/api/soporte/casos/exportar/enlace/{token}/"): Fila(
        PUBLICA, (403,) * 5, tipo="exportacion_casos"
    ),
    ("GET", "/api/soporte/casos/urgentes/"): Fila(AGENTE_200),
    ("GET", "/api/soporte/casos/{id}/"): Fila(
        (401, 200, 404, 200, 200), NO_EXISTE_TOKEN, tipo="caso"
    ),
    ("GET", "/api/soporte/casos/{id}/historial/"): Fila(
        (401, 200, 404, 200, 200), NO_EXISTE_TOKEN, tipo="caso"
    ),
    # Visibility first (B: 404), then the role (A, the owner: 403).
    ("PATCH", "/api/soporte/casos/{id}/"): Fila(
        (401, 403, 404, 200, 200), NO_EXISTE_TOKEN, tipo="caso", cuerpo={"urgencia": "CRITICA"}
    ),
    # The case's customer and staff answer it; another customer: 404.
    ("POST", "/api/soporte/casos/{id}/responder/"): Fila(
        (401, 201, 404, 201, 201), NO_EXISTE_TOKEN, tipo="caso", cuerpo={"mensaje": "Hola"}
    ),
    # --- faq -------------------------------------------------------------------------------
    ("GET", "/api/soporte/faqs/"): Fila(PUBLICA),
    ("GET", "/api/soporte/faqs/categorias/"): Fila(PUBLICA),
    ("GET", "/api/soporte/faqs/{id}/"): Fila(PUBLICA, (404,) * 5, tipo="faq"),
    ("POST", "/api/soporte/faqs/{id}/valorar/"): Fila(
        TOKEN_200, NO_EXISTE_TOKEN, tipo="faq", cuerpo={"es_util": True}
    ),
    ("POST", "/api/soporte/faqs/"): Fila((*ADMIN, 201), cuerpo=FAQ),
    ("PATCH", "/api/soporte/faqs/{id}/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="faq", cuerpo={"activa": False}
    ),
    ("DELETE", "/api/soporte/faqs/{id}/"): Fila((*ADMIN, 204), NO_EXISTE_ADMIN, tipo="faq"),
    # --- macros: agents only (customers 403); the object is a GLOBAL macro (every agent sees
    # it, only admins edit it); preview and apply name a fresh ticket of A's in the body.
    ("GET", "/api/soporte/macros/"): Fila(AGENTE_200),
    ("POST", "/api/soporte/macros/"): Fila((401, 403, 403, 201, 201), cuerpo=MACRO),
    ("GET", "/api/soporte/macros/{id}/"): Fila(AGENTE_200, NO_EXISTE_AGENTE, tipo="macro"),
    ("PATCH", "/api/soporte/macros/{id}/"): Fila(
        (401, 403, 403, 403, 200), NO_EXISTE_AGENTE, tipo="macro", cuerpo={"activa": True}
    ),
    ("DELETE", "/api/soporte/macros/{id}/"): Fila(
        (401, 403, 403, 403, 204), NO_EXISTE_AGENTE, tipo="macro"
    ),
    ("POST", "/api/soporte/macros/{id}/vista-previa/"): Fila(
        AGENTE_200, NO_EXISTE_AGENTE, tipo="macro", cuerpo="ticket_de_la_macro"
    ),
    ("POST", "/api/soporte/macros/{id}/aplicar/"): Fila(
        AGENTE_200, NO_EXISTE_AGENTE, tipo="macro", cuerpo="ticket_de_la_macro"
    ),
    # --- escalamiento ----------------------------------------------------------------------
    ("POST", "/api/soporte/escalamiento/reglas/"): Fila((*ADMIN, 201), cuerpo=REGLA),
    ("GET", "/api/soporte/escalamiento/reglas/"): Fila((*ADMIN, 200)),
    ("GET", "/api/soporte/escalamiento/reglas/{id}/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="regla"
    ),
    ("PATCH", "/api/soporte/escalamiento/reglas/{id}/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="regla", cuerpo={"activa": False}
    ),
    ("DELETE", "/api/soporte/escalamiento/reglas/{id}/"): Fila(
        (*ADMIN, 204), NO_EXISTE_ADMIN, tipo="regla"
    ),
    ("GET", "/api/soporte/escalamiento/monitor/"): Fila(AGENTE_200),
    ("POST", "/api/soporte/escalamiento/alertas/{id}/leer/"): Fila(
        AGENTE_200, NO_EXISTE_AGENTE, tipo="alerta"
    ),
    ("GET", "/api/soporte/escalamiento/politicas/"): Fila(AGENTE_200),
    # --- asignacion: per-agent settings are the admins'; the policy list, every agent's ----
    ("GET", "/api/soporte/asignacion/agentes/{id}/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="agente"
    ),
    ("PATCH", "/api/soporte/asignacion/agentes/{id}/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="agente", cuerpo={"capacidad": 3}
    ),
    ("GET", "/api/soporte/asignacion/politicas/"): Fila(AGENTE_200),
    # --- notificaciones: a notification is its recipient's alone (agents included: 404) ---
    ("GET", "/api/soporte/notificaciones/"): Fila(TOKEN_200),
    ("POST", "/api/soporte/notificaciones/{id}/leer/"): Fila(
        (401, 204, 404, 404, 404), NO_EXISTE_TOKEN, tipo="notificacion"
    ),
    ("POST", "/api/soporte/notificaciones/leer-todas/"): Fila((401, 204, 204, 204, 204)),
    ("GET", "/api/soporte/notificaciones/preferencias/"): Fila(TOKEN_200),
    ("PATCH", "/api/soporte/notificaciones/preferencias/"): Fila(
        TOKEN_200, cuerpo={"preferencias": {}}
    ),
    ("GET", "/api/soporte/notificaciones/plantillas/{tipo}/vista-previa/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="plantilla"
    ),
    # 101 = joined (the replay's ``sincronizado`` received); every user has their own stream.
    ("GET", "/ws/soporte/notificaciones/"): Fila((4401, 101, 101, 101, 101)),
    # --- correo: the raw endpoint takes its integration token only (every user's: 401);
    # received messages carry other people's mail, so admins only.
    ("POST", "/api/soporte/correo/entrante/"): Fila((401,) * 5, cuerpo="correo"),
    ("GET", "/api/soporte/correo/mensajes/"): Fila((*ADMIN, 200)),
    ("GET", "/api/soporte/correo/mensajes/{id}/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="mensaje_correo"
    ),
    ("POST", "/api/soporte/correo/mensajes/{id}/reprocesar/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="mensaje_correo"
    ),
    # --- API keys: admins only (and never a key: see test_matrix_with_api_keys) ----------
    ("GET", "/api/auth/claves/"): Fila((*ADMIN, 200)),
    ("POST", "/api/auth/claves/"): Fila(
        (*ADMIN, 201), cuerpo={"nombre": "CRM", "alcances": ["tickets:read"]}
    ),
    ("GET", "/api/auth/claves/{id}/"): Fila((*ADMIN, 200), NO_EXISTE_ADMIN, tipo="clave"),
    ("PATCH", "/api/auth/claves/{id}/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="clave", cuerpo={"nombre": "Otro nombre"}
    ),
    ("DELETE", "/api/auth/claves/{id}/"): Fila((*ADMIN, 204), NO_EXISTE_ADMIN, tipo="clave"),
    ("POST", "/api/auth/claves/{id}/revocar/"): Fila((*ADMIN, 200), NO_EXISTE_ADMIN, tipo="clave"),
    # --- webhooks: URLs and signing secrets of integrations, so admins only ---------------
    ("POST", "/api/soporte/webhooks/"): Fila((*ADMIN, 201), cuerpo=WEBHOOK),
    ("GET", "/api/soporte/webhooks/"): Fila((*ADMIN, 200)),
    ("GET", "/api/soporte/webhooks/eventos/"): Fila((*ADMIN, 200)),
    ("GET", "/api/soporte/webhooks/{id}/"): Fila((*ADMIN, 200), NO_EXISTE_ADMIN, tipo="webhook"),
    ("PATCH", "/api/soporte/webhooks/{id}/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="webhook", cuerpo={"descripcion": "CRM"}
    ),
    ("DELETE", "/api/soporte/webhooks/{id}/"): Fila((*ADMIN, 204), NO_EXISTE_ADMIN, tipo="webhook"),
    ("POST", "/api/soporte/webhooks/{id}/rotar-secreto/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="webhook"
    ),
    ("GET", "/api/soporte/webhooks/{id}/entregas/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="webhook"
    ),
    ("POST", "/api/soporte/webhooks/entregas/{id}/reenviar/"): Fila(
        (*ADMIN, 200), NO_EXISTE_ADMIN, tipo="entrega_webhook"
    ),
}

_PARAM = re.compile(r"\{\w+\}")


def rutas_de_la_app(app: Any) -> set[tuple[str, str]]:
    """``(method, openapi_path)`` of every endpoint of ``app``."""
    return {(e.method, e.openapi_path) for _, e in app[keys.ENDPOINTS]}


async def test_every_route_has_an_entry_and_every_entry_a_route(soporte: SoporteClient) -> None:
    """The matrix covers the route table exactly (all installed plugins enabled)."""
    rutas = rutas_de_la_app(soporte.app)
    assert sorted(rutas - set(MATRIZ)) == [], "routes without an entry in MATRIZ"
    assert sorted(set(MATRIZ) - rutas) == [], "entries of MATRIZ without a route"


@dataclass
class Mundo:
    """The callers of one test and a factory of fresh objects owned by customer A."""

    soporte: SoporteClient
    usuarios: dict[str, Usuario | None]
    contador: itertools.count[int] = field(default_factory=itertools.count)
    #: The ticket made with the last ``macro`` object (the body of preview and apply).
    ticket_de_la_macro: int = DESCONOCIDO

    async def api(self, metodo: str, ruta: str, usuario: Usuario | None, **kw: Any) -> Any:
        """Call the API as ``usuario`` (no ``Authorization`` header for ``None``)."""
        headers = {"Authorization": f"Bearer {token_of(usuario)}"} if usuario else {}
        headers.update(kw.pop("headers", {}))
        return await self.soporte.request(metodo, ruta, headers=headers, **kw)

    async def crear(self, metodo: str, ruta: str, usuario: Usuario | None, **kw: Any) -> Any:
        """A setup call that must succeed; its JSON."""
        r = await self.api(metodo, ruta, usuario, **kw)
        assert r.status in (200, 201), (ruta, r.status, await r.text())
        return await r.json()

    async def objeto(self, tipo: str) -> str:
        """A fresh object of ``tipo`` (A's, where objects have owners); the path value."""
        a, agente, admin = (self.usuarios[n] for n in ("cliente_a", "agente", "admin"))
        if tipo in ("ticket", "ticket_resuelto"):
            ticket = await self.crear("POST", "/api/soporte/tickets/", a, json=TICKET)
            if tipo == "ticket_resuelto":
                ruta = f"/api/soporte/tickets/{ticket['id']}/"
                await self.crear("PATCH", ruta, agente, json={"estado": "RESUELTO"})
            return str(ticket["id"])
        if tipo == "caso":
            return str((await self.crear("POST", "/api/soporte/casos/", a, json=CASO))["id"])
        if tipo == "faq":
            return str((await self.crear("POST", "/api/soporte/faqs/", admin, json=FAQ))["id"])
        if tipo == "macro":
            # A GLOBAL macro, and the fresh ticket of A's its preview or application names.
            ticket = await self.crear("POST", "/api/soporte/tickets/", a, json=TICKET)
            self.ticket_de_la_macro = int(ticket["id"])
            cuerpo = {**MACRO, "ambito": "GLOBAL", "nombre": f"Global {next(self.contador)}"}
            return str((await self.crear("POST", "/api/soporte/macros/", admin, json=cuerpo))["id"])
        if tipo == "regla":
            ruta = "/api/soporte/escalamiento/reglas/"
            return str((await self.crear("POST", ruta, admin, json=REGLA))["id"])
        if tipo == "alerta":
            ticket = await self.crear("POST", "/api/soporte/tickets/", a, json=TICKET)
            alerta = await Alerta.create(
                nivel=NivelAlerta.ADVERTENCIA,
                mensaje="Ticket sin respuesta",
                timestamp=datetime.now(UTC),
                ticket_id=ticket["id"],
            )
            return str(alerta.id)
        if tipo == "envio":
            # A dead letter (so that the worker leaves it alone and an admin may retry it).
            envio = await Envio.create(
                canal="mail",
                destino="cliente_a@example.test",
                payload={"to": ["cliente_a@example.test"], "subject": "Hola", "text": "Texto"},
                estado=EstadoEnvio.FALLIDO,
                proximo_intento=datetime.now(UTC),
                ultimo_error="550 5.1.1 no existe",
            )
            return str(envio.id)
        if tipo in ("webhook", "entrega_webhook"):
            ruta = "/api/soporte/webhooks/"
            webhook = await self.crear("POST", ruta, admin, json=WEBHOOK)
            if tipo == "webhook":
                return str(webhook["id"])
            # A dead delivery (the worker leaves it alone; an admin may send it again).
            entrega = await EntregaWebhook.create(
                suscripcion_id=webhook["id"],
                clave=uuid.uuid4().hex,
                tipo="ticket_creado",
                cuerpo="{}",
                estado=EstadoEntrega.FALLIDA,
            )
            return str(entrega.id)
        if tipo == "usuario":
            nuevo = await self.soporte.usuario(f"otro{next(self.contador)}")
            return str(nuevo.id)
        if tipo == "equipo":
            equipo = await Equipo.create(nombre=f"Equipo {next(self.contador)}")
            return str(equipo.id)
        if tipo == "etiqueta":
            n = next(self.contador)
            return str((await Etiqueta.create(nombre=f"Etiqueta {n}", clave=f"etiqueta {n}")).id)
        if tipo == "plantilla":
            return "respuesta_agente"
        if tipo == "agente":
            assert agente is not None
            return str(agente.id)
        if tipo == "mensaje_correo":
            # A quarantined message (the processor leaves it alone; an admin may reprocess).
            mensaje = await MensajeCorreo.create(
                message_id=f"<m{next(self.contador)}@cliente.test>",
                origen="SMTP",
                crudo=b"Subject: sin remitente\r\n\r\nnada\r\n",
                estado=EstadoMensaje.CUARENTENA,
                motivo="sin remitente (From)",
            )
            return str(mensaje.id)
        if tipo == "notificacion":
            assert a is not None
            nota = await Notificacion.create(
                usuario_id=a.id,
                tipo="respuesta_agente",
                titulo="Nueva respuesta",
                mensaje="Hola",
                fecha_creacion=datetime.now(UTC),
            )
            return str(nota.id)
        if tipo == "clave":
            assert admin is not None
            return str((await nueva_clave(self.soporte, admin, ["tickets:read"]))[0].id)
        if tipo in ("exportacion_tickets", "exportacion_casos"):
            recurso = tipo.removeprefix("exportacion_")
            ruta = f"/api/soporte/{recurso}/exportar/enlace/"
            enlace = await self.crear("POST", ruta, agente)
            return str(enlace["url"]).rstrip("/").rsplit("/", 1)[1]
        if tipo == "descarga":
            [adjunto] = await self.crear("POST", "/api/soporte/adjuntos/", a, data=archivo())
            return str(adjunto["url"]).rstrip("/").rsplit("/", 1)[1]
        raise AssertionError(f"unknown object type {tipo!r}")

    def cuerpo(self, fila: Fila) -> dict[str, Any]:
        """The request arguments of a valid body for ``fila``."""
        if fila.cuerpo is None:
            return {}
        if fila.cuerpo == "archivo":
            return {"data": archivo()}
        if fila.cuerpo == "correo":
            crudo = b"From: ana@cliente.test\r\nSubject: hola\r\n\r\nHola\r\n"
            return {"data": crudo, "headers": {"Content-Type": "message/rfc822"}}
        if fila.cuerpo == "usuario":
            nuevo = f"creado{next(self.contador)}"
            return {"json": {"username": nuevo, "password": "una-clave-larga-9", "rol": "AGENTE"}}
        if fila.cuerpo == "equipo":
            return {"json": {"nombre": f"Nuevo {next(self.contador)}", "categorias": ["PAGOS"]}}
        if fila.cuerpo == "ticket_de_la_macro":
            return {"json": {"ticket_id": self.ticket_de_la_macro}}
        if fila.cuerpo == "registro":
            nuevo = f"nuevo{next(self.contador)}"
            return {"json": {"username": nuevo, "password": "una-clave-larga", "email": ""}}
        return {"json": fila.cuerpo}


def archivo() -> aiohttp.FormData:
    """A one-file multipart body."""
    fd = aiohttp.FormData()
    fd.add_field(
        "archivo_0", b"%PDF-1.4 prueba", filename="factura.pdf", content_type="application/pdf"
    )
    return fd


@pytest.fixture
async def mundo(soporte: SoporteClient) -> Mundo:
    """Customers A and B, an agent and an admin (and the anonymous caller)."""
    usuarios: dict[str, Usuario | None] = {
        "anonimo": None,
        "cliente_a": await soporte.usuario("cliente_a"),
        "cliente_b": await soporte.usuario("cliente_b"),
        "agente": await soporte.usuario("agente", Rol.AGENTE),
        "admin": await soporte.usuario("admin", Rol.ADMIN),
    }
    # The target of the merge route's body (a fixed id, far above the ones tests create).
    await Etiqueta.create(id=1_000_000, nombre="Destino", clave="destino")
    return Mundo(soporte, usuarios)


async def estado_ws(mundo: Mundo, ruta: str, usuario: Usuario | None) -> tuple[int, str]:
    """The chat socket's outcome: ``101`` once ``connection_status`` arrives, or the close
    code; and the close message, for the no-leak comparison."""
    ws = await mundo.soporte.ws(ruta, usuario, historial="0")
    try:
        msg = await ws.receive(timeout=5)
        # The chat's first frame, or the notification socket's (replay, then ``sincronizado``).
        unido = ("connection_status", "notificacion", "sincronizado")
        if msg.type == WSMsgType.TEXT and msg.json().get("tipo") in unido:
            return 101, ""
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED), msg
        return int(ws.close_code or 0), str(msg.extra or "")
    finally:
        await ws.close()


async def llamar(mundo: Mundo, metodo: str, ruta: str, fila: Fila, rol: str) -> tuple[int, str]:
    """One call as ``rol``; its status and the problem's ``detail`` (for errors)."""
    usuario = mundo.usuarios[rol]
    if ruta.startswith("/ws/"):
        return await estado_ws(mundo, ruta, usuario)
    r = await mundo.api(metodo, ruta, usuario, **mundo.cuerpo(fila))
    detalle = ""
    if r.status >= 400:
        assert r.content_type == "application/problem+json", (ruta, rol, r.status)
        detalle = (await r.json())["detail"]
        if r.status == 401:
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
    return r.status, detalle


@pytest.mark.parametrize(("metodo", "ruta"), sorted(MATRIZ), ids=lambda v: str(v))
async def test_matrix(mundo: Mundo, metodo: str, ruta: str) -> None:
    """Every caller on A's object (or the plain route) and on an unknown id: the exact status;
    customer B's answer on A's object is the very answer for an id that does not exist."""
    fila = MATRIZ[(metodo, ruta)]
    esperado: dict[str, int] = {}
    obtenido: dict[str, int] = {}
    ajeno: tuple[int, str] | None = None
    for rol, estado in zip(ROLES, fila.objeto, strict=True):
        concreta = ruta
        if fila.tipo is not None:
            concreta = _PARAM.sub(await mundo.objeto(fila.tipo), ruta, count=1)
        resultado = await llamar(mundo, metodo, concreta, fila, rol)
        esperado[f"{rol} objeto"], obtenido[f"{rol} objeto"] = estado, resultado[0]
        if rol == "cliente_b":
            ajeno = resultado
    if fila.desconocido is not None:
        concreta = _PARAM.sub(str(DESCONOCIDO), ruta, count=1)
        for rol, estado in zip(ROLES, fila.desconocido, strict=True):
            resultado = await llamar(mundo, metodo, concreta, fila, rol)
            esperado[f"{rol} desconocido"], obtenido[f"{rol} desconocido"] = estado, resultado[0]
            if rol == "cliente_b" and ajeno is not None and ajeno[0] in (404, 4404):
                assert ajeno == resultado, "B learns that A's object exists"
    assert obtenido == esperado


def test_the_table_names_only_known_callers_and_statuses() -> None:
    """Guard against typos in the table itself."""
    # 202: a mailed link was asked for; 400: a public route given a token no link carries.
    validos = {101, 200, 201, 202, 204, 400, 401, 403, 404, 4401, 4404}
    for clave, fila in MATRIZ.items():
        assert len(fila.objeto) == len(ROLES), clave
        assert set(fila.objeto) <= validos, clave
        assert (fila.desconocido is None) == (fila.tipo is None) == ("{" not in clave[1]), clave
        if fila.desconocido is not None:
            assert len(fila.desconocido) == len(ROLES) and set(fila.desconocido) <= validos, clave


async def test_foreign_ids_inside_bodies_are_refused(mundo: Mundo) -> None:
    """Objects named in a body follow the same rule as those in a path: B cannot attach A's
    upload (to a new ticket or to a reply), a customer cannot open a case about someone
    else, and a ticket cannot be assigned to a customer. Each is a 400 and changes nothing."""
    a, b, agente = (mundo.usuarios[n] for n in ("cliente_a", "cliente_b", "agente"))
    assert a is not None and b is not None
    [adjunto] = await mundo.crear("POST", "/api/soporte/adjuntos/", a, data=archivo())
    propio = await mundo.crear("POST", "/api/soporte/tickets/", b, json=TICKET)
    intentos = [
        (b, "POST", "/api/soporte/tickets/", {**TICKET, "archivos_adjuntos": [adjunto["id"]]}),
        (
            b,
            "POST",
            f"/api/soporte/tickets/{propio['id']}/responder/",
            {"mensaje": "mío", "archivos_adjuntos": [adjunto["id"]]},
        ),
        (b, "POST", "/api/soporte/casos/", {**CASO, "cliente_afectado": a.id}),
        (agente, "PATCH", f"/api/soporte/tickets/{propio['id']}/", {"agente_asignado": a.id}),
    ]
    for usuario, metodo, ruta, cuerpo in intentos:
        antes = {n: await m.all().count() for n, m in MODELOS.items()}
        r = await mundo.api(metodo, ruta, usuario, json=cuerpo)
        assert r.status == 400, (ruta, r.status, await r.text())
        assert {n: await m.all().count() for n, m in MODELOS.items()} == antes, ruta
    # A's upload is still A's, unattached, and usable by A.
    r = await mundo.api(
        "POST", "/api/soporte/tickets/", a, json={**TICKET, "archivos_adjuntos": [adjunto["id"]]}
    )
    assert r.status == 201
    assert [x["id"] for x in (await r.json())["archivos_adjuntos"]] == [adjunto["id"]]
    detalle = await mundo.crear("GET", f"/api/soporte/tickets/{propio['id']}/", b)
    assert detalle["agente_asignado"] is None and detalle["archivos_adjuntos"] == []


MODELOS = {"Ticket": Ticket, "Respuesta": Respuesta, "Caso": Caso}


# --- internal notes: the same route with ``interna: true``, and what a customer reads -----------

#: ``POST …/responder/`` with ``interna: true``: agents only; the owner's is a 403 (visibility
#: first: B, on A's ticket, gets the very 404 of an unknown id).
NOTA_INTERNA = Fila(
    (401, 403, 404, 201, 201),
    NO_EXISTE_TOKEN,
    tipo="ticket",
    cuerpo={"mensaje": "Nota para el equipo", "interna": True},
)


async def test_internal_notes_by_every_caller(mundo: Mundo) -> None:
    """The ``interna: true`` row of ``/responder/``, JSON as the matrix sends it; a refused
    note stores nothing."""
    ruta = "/api/soporte/tickets/{id}/responder/"
    obtenido: dict[str, int] = {}
    ajeno: tuple[int, str] | None = None
    for rol in ROLES:
        concreta = _PARAM.sub(await mundo.objeto("ticket"), ruta, count=1)
        antes = await Respuesta.all().count()
        resultado = await llamar(mundo, "POST", concreta, NOTA_INTERNA, rol)
        obtenido[f"{rol} objeto"] = resultado[0]
        if resultado[0] != 201:
            assert await Respuesta.all().count() == antes, rol
        if rol == "cliente_b":
            ajeno = resultado
    concreta = _PARAM.sub(str(DESCONOCIDO), ruta, count=1)
    for rol in ROLES:
        resultado = await llamar(mundo, "POST", concreta, NOTA_INTERNA, rol)
        obtenido[f"{rol} desconocido"] = resultado[0]
        if rol == "cliente_b":
            assert ajeno == resultado, "B learns that A's ticket exists"
    assert NOTA_INTERNA.desconocido is not None
    assert obtenido == {
        **{f"{r} objeto": e for r, e in zip(ROLES, NOTA_INTERNA.objeto, strict=True)},
        **{f"{r} desconocido": e for r, e in zip(ROLES, NOTA_INTERNA.desconocido, strict=True)},
    }


async def test_a_customer_never_reads_a_note_of_their_ticket(mundo: Mundo) -> None:
    """A's detail (REST) and A's chat replay of a ticket with notes by an agent and an admin
    contain the public replies only; staff read the notes, marked ``interna``."""
    a, agente, admin = (mundo.usuarios[n] for n in ("cliente_a", "agente", "admin"))
    ticket = await mundo.objeto("ticket")
    ruta = f"/api/soporte/tickets/{ticket}/responder/"
    await mundo.crear("POST", ruta, agente, json={"mensaje": "Pública"})
    for quien in (agente, admin):
        await mundo.crear("POST", ruta, quien, json={"mensaje": "SECRETO", "interna": True})
    r = await mundo.api("GET", f"/api/soporte/tickets/{ticket}/", a)
    assert r.status == 200 and "SECRETO" not in await r.text()
    assert [x["mensaje"] for x in (await r.json())["respuestas"]] == ["Pública"]
    for quien in (agente, admin):
        detalle = await mundo.crear("GET", f"/api/soporte/tickets/{ticket}/", quien)
        assert [(x["mensaje"], x["interna"]) for x in detalle["respuestas"]] == [
            ("Pública", False),
            ("SECRETO", True),
            ("SECRETO", True),
        ]
    ws = await mundo.soporte.ws(f"/ws/soporte/ticket/{ticket}/", a, historial="50")
    try:
        contenidos = []
        await ws.send_json({"tipo": "ping"})
        while (frame := await mundo.soporte.recibir(ws))["tipo"] != "pong":
            if frame["tipo"] == "mensaje":
                contenidos.append(frame["contenido"])
        assert contenidos == ["Pública"]
    finally:
        await ws.close()


#: Variants of the case routes by body (the table above has one row per route): an internal
#: note is staff-only, assignment and links are the agents'.
VARIANTES_CASOS: dict[str, tuple[str, str, Fila]] = {
    "nota interna": (
        "POST",
        "/api/soporte/casos/{id}/responder/",
        Fila(
            (401, 403, 404, 201, 201),
            NO_EXISTE_TOKEN,
            tipo="caso",
            cuerpo={"mensaje": "Nota", "interna": True},
        ),
    ),
    "asignación y enlaces": (
        "PATCH",
        "/api/soporte/casos/{id}/",
        Fila(
            (401, 403, 404, 200, 200),
            NO_EXISTE_TOKEN,
            tipo="caso",
            cuerpo={"agente_asignado": None, "equipo": None, "tickets_relacionados": []},
        ),
    ),
}


@pytest.mark.parametrize("variante", sorted(VARIANTES_CASOS))
async def test_case_variants(mundo: Mundo, variante: str) -> None:
    """The case routes with the bodies that need more than a token, each caller on A's case and
    on an unknown id (B's answer on A's case is the unknown id's)."""
    metodo, ruta, fila = VARIANTES_CASOS[variante]
    for objeto, estados in ((True, fila.objeto), (False, fila.desconocido)):
        assert estados is not None
        obtenido = []
        for rol in ROLES:
            valor = await mundo.objeto("caso") if objeto else str(DESCONOCIDO)
            obtenido.append(
                await llamar(mundo, metodo, _PARAM.sub(valor, ruta, count=1), fila, rol)
            )
        assert tuple(status for status, _ in obtenido) == estados, (variante, objeto)


# --- API keys: every route of the table, called with a key ------------------------------------


async def nueva_clave(
    soporte: SoporteClient, admin: Usuario, alcances: list[str], **campos: Any
) -> tuple[ClaveApi, str]:
    """A key of ``admin`` with ``alcances`` (as the admin route stores one) and its secret."""
    raw, prefijo, key_hash = new_secret(soporte.app[keys.KEYRING])
    clave = await ClaveApi.create(
        nombre="Integración",
        prefijo=prefijo,
        key_hash=key_hash,
        alcances=alcances,
        creada_por_id=admin.id,
        **campos,
    )
    return clave, raw


async def llamar_con_clave(
    mundo: Mundo, metodo: str, ruta: str, fila: Fila, secreto: str
) -> tuple[int, str]:
    """One call with the API key ``secreto``: its status (a socket's outcome) and detail."""
    if ruta.startswith("/ws/"):
        ws = await mundo.soporte.client.ws_connect(
            ruta, params={"token": secreto, "historial": "0"}
        )
        try:
            msg = await ws.receive(timeout=5)
            if msg.type == WSMsgType.TEXT:
                return 101, ""
            return int(ws.close_code or 0), ""
        finally:
            await ws.close()
    kw = mundo.cuerpo(fila)
    headers = {"Authorization": f"Bearer {secreto}", **kw.pop("headers", {})}
    r = await mundo.soporte.request(metodo, ruta, headers=headers, **kw)
    detalle = ""
    if r.status >= 400:
        assert r.content_type == "application/problem+json", (ruta, r.status)
        detalle = (await r.json())["detail"]
    return r.status, detalle


@pytest.mark.parametrize(("metodo", "ruta"), sorted(MATRIZ), ids=lambda v: str(v))
async def test_matrix_with_api_keys(mundo: Mundo, metodo: str, ruta: str) -> None:
    """Every route with a key of the admin: holding exactly the route's declared scope, it gets
    what the admin gets (on A's object and on an unknown id); holding another area's scope, or
    only ``read`` on a write route, a 403 naming the scope; revoked or expired, a 401. Routes
    for the login only (:data:`SESSION_ONLY`) refuse every key (403); sockets take login
    tokens only (4401); the integration endpoint takes a key of its own scope only (any other
    key: 401)."""
    admin = mundo.usuarios["admin"]
    assert admin is not None
    [endpoint] = [
        e
        for _, e in mundo.soporte.app[keys.ENDPOINTS]
        if (e.method, e.openapi_path) == (metodo, ruta)
    ]
    fila = MATRIZ[(metodo, ruta)]
    area, _, accion = endpoint.scope.partition(":")
    todos = sorted(known_scopes(e.scope for _, e in mundo.soporte.app[keys.ENDPOINTS]))
    if endpoint.websocket:
        con_alcance = otra = muerta = 4401
    elif endpoint.auth == INTEGRATION:
        # Its own credential, or a key holding exactly its scope (correo:entrante).
        con_alcance, otra, muerta = endpoint.status, 401, 401
    elif endpoint.scope == SESSION_ONLY:
        con_alcance, otra, muerta = 403, 403, 401
    else:
        con_alcance, otra, muerta = fila.objeto[ROLES.index("admin")], 403, 401
    _, exacta = await nueva_clave(
        mundo.soporte, admin, todos if endpoint.scope == SESSION_ONLY else [endpoint.scope]
    )
    ajena = ["faq:write"] if area != "faq" else ["tickets:write"]
    if accion == "write":
        ajena.append(f"{area}:read")  # a read key cannot write
    _, sin_alcance = await nueva_clave(mundo.soporte, admin, ajena)
    revocada, con_revocada = await nueva_clave(mundo.soporte, admin, [endpoint.scope])
    await ClaveApi.filter(id=revocada.id).update(revocada=True)
    _, caducada = await nueva_clave(
        mundo.soporte, admin, [endpoint.scope], expira=datetime.now(UTC) - timedelta(seconds=1)
    )

    async def en(objeto: bool, secreto: str) -> tuple[int, str]:
        concreta = ruta
        if fila.tipo is not None:
            valor = await mundo.objeto(fila.tipo) if objeto else str(DESCONOCIDO)
            concreta = _PARAM.sub(valor, ruta, count=1)
        return await llamar_con_clave(mundo, metodo, concreta, fila, secreto)

    obtenido = {
        "alcance exacto": (await en(True, exacta))[0],
        "otro alcance": (await en(True, sin_alcance))[0],
        "revocada": (await en(True, con_revocada))[0],
        "caducada": (await en(True, caducada))[0],
    }
    esperado = {
        "alcance exacto": con_alcance,
        "otro alcance": otra,
        "revocada": muerta,
        "caducada": muerta,
    }
    if fila.desconocido is not None and con_alcance not in (403, 401, 4401):
        obtenido["desconocido"] = (await en(False, exacta))[0]
        esperado["desconocido"] = fila.desconocido[ROLES.index("admin")]
    assert obtenido == esperado, endpoint.scope
    if otra == 403 and endpoint.scope != SESSION_ONLY:
        assert endpoint.scope in (await en(True, sin_alcance))[1]
