"""``/api/asyncapi.json``: valid for the official parser, and true to what the sockets send.

The document is validated by ``@asyncapi/parser`` (pinned in this folder's package-lock.json,
installed by ``scripts/guide-deps.sh``; run by ``validar.mjs``). Then real sockets — the chat's
and the notifications' — are driven through every frame type, and each frame read (and each one
sent) is validated against its message's payload schema in the document, with the document's
dialect (JSON Schema draft 7, which AsyncAPI Schema extends); every server frame the document
declares must have been seen, so a frame added to a socket without its model fails here.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jsonschema
import pytest
from aiohttp import WSMsgType, web

from core import hookimpl
from core.api import Routes
from core.api.sockets import Frame, Ping, Pong, SocketProtocol, frame
from core.auth.models import Rol

if TYPE_CHECKING:
    from core.testing import SoporteClient

AQUI = Path(__file__).parent
VALIDAR = AQUI / "validar.mjs"
PARSER = AQUI / "node_modules" / "@asyncapi" / "parser" / "package.json"

CHAT = "chat.chat_ticket"
NOTIFICACIONES = "notificaciones.socket"


def validar(documento: dict[str, Any], carpeta: Path) -> dict[str, Any]:
    """The official parser's verdict on ``documento`` (``validar.mjs``'s JSON output)."""
    node = shutil.which("node")
    assert node, "Node.js 20+ is required by tests/asyncapi (scripts/guide-deps.sh installs it)"
    assert PARSER.is_file(), "@asyncapi/parser is missing: run scripts/guide-deps.sh"
    ruta = carpeta / "asyncapi.json"
    ruta.write_text(json.dumps(documento))
    hecho = subprocess.run(
        [node, str(VALIDAR), str(ruta)], capture_output=True, text=True, timeout=120, check=False
    )
    assert hecho.returncode == 0, hecho.stderr
    resultado: dict[str, Any] = json.loads(hecho.stdout)
    return resultado


def problemas(resultado: dict[str, Any]) -> list[dict[str, Any]]:
    """Errors and warnings (the parser's "information" and "hints" are advice, e.g. that a
    newer AsyncAPI version exists)."""
    return [d for d in resultado["diagnosticos"] if d["severidad"] in ("error", "warning")]


class Documento:
    """The served document, and a check of frames against its messages."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def mensajes(self, canal: str, sentido: Literal["send", "receive"]) -> dict[str, Any]:
        """The messages of ``canal``'s operation in that direction, by frame name."""
        operacion = self.doc["operations"][f"{canal}.{sentido}"]
        assert operacion["channel"] == {"$ref": f"#/channels/{canal}"}
        mensajes = {}
        for ref in operacion["messages"]:
            clave = ref["$ref"].rsplit("/", 1)[1]
            mensaje = self.doc["channels"][canal]["messages"][clave]
            mensajes[mensaje["name"]] = mensaje
        return mensajes

    def esquema(self, mensaje: dict[str, Any]) -> dict[str, Any]:
        """The component schema a message's payload refers to."""
        nombre = mensaje["payload"]["$ref"].rsplit("/", 1)[1]
        esquema: dict[str, Any] = self.doc["components"]["schemas"][nombre]
        return esquema

    def comprobar(self, canal: str, sentido: Literal["send", "receive"], data: Any) -> str:
        """Validate one frame against its message in the document; its ``tipo``."""
        mensajes = self.mensajes(canal, sentido)
        assert isinstance(data, dict) and data.get("tipo") in mensajes, (canal, sentido, data)
        mensaje = mensajes[data["tipo"]]
        validador = jsonschema.Draft7Validator(
            {"allOf": [mensaje["payload"]], "components": self.doc["components"]},
            format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
        )
        errores = [e.message for e in validador.iter_errors(data)]
        assert errores == [], (canal, data, errores)
        if sentido == "send":
            # Exactly the documented fields: every one sent, none undocumented.
            propiedades = self.esquema(mensaje)["properties"]
            assert set(data) == set(propiedades), (data, sorted(propiedades))
            assert set(self.esquema(mensaje)["required"]) == set(propiedades)
        return str(data["tipo"])


class Grabadora:
    """Reads a socket's frames, validating each against the document, and remembers their
    ``tipo``; sends frames validated the same way."""

    def __init__(self, doc: Documento, canal: str) -> None:
        self.doc = doc
        self.canal = canal
        self.vistos: set[str] = set()
        self.enviados: set[str] = set()

    async def recibir(self, ws: Any, tipo: str, espera: float = 5.0) -> dict[str, Any]:
        """The next frame of ``tipo`` (every frame before it validated and recorded)."""
        async with asyncio.timeout(espera):
            while True:
                msg = await ws.receive()
                assert msg.type == WSMsgType.TEXT, (msg.type, msg.data)
                data: dict[str, Any] = json.loads(msg.data)
                self.vistos.add(self.doc.comprobar(self.canal, "send", data))
                if data["tipo"] == tipo:
                    return data

    async def enviar(self, ws: Any, data: dict[str, Any]) -> None:
        """Send a frame the document lists as one clients send."""
        self.enviados.add(self.doc.comprobar(self.canal, "receive", data))
        await ws.send_str(json.dumps(data))


async def cierre(ws: Any, grabadora: Grabadora, espera: float = 5.0) -> int:
    """The close code the server ends ``ws`` with (frames before it validated)."""
    async with asyncio.timeout(espera):
        while True:
            msg = await ws.receive()
            if msg.type == WSMsgType.TEXT:
                grabadora.vistos.add(grabadora.doc.comprobar(grabadora.canal, "send", msg.json()))
                continue
            assert msg.type == WSMsgType.CLOSE, msg
            return int(msg.data)


async def documento(soporte: SoporteClient) -> Documento:
    r = await soporte.get("/api/asyncapi.json")
    assert r.status == 200, await r.text()
    assert r.content_type == "application/json"
    return Documento(await r.json())


async def crear_ticket(soporte: SoporteClient, cliente: Any) -> int:
    r = await soporte.post(
        "/api/soporte/tickets/",
        headers=soporte.auth(cliente),
        json={"asunto": "Pago rechazado", "categoria": "PAGOS", "descripcion": "No puedo pagar"},
    )
    assert r.status == 201, await r.text()
    ticket_id: int = (await r.json())["id"]
    return ticket_id


async def responder(soporte: SoporteClient, agente: Any, ticket_id: int, texto: str) -> None:
    r = await soporte.post(
        f"/api/soporte/tickets/{ticket_id}/responder/",
        headers=soporte.auth(agente),
        json={"mensaje": texto},
    )
    assert r.status == 201, await r.text()


# --- the document ------------------------------------------------------------------------------


async def test_the_official_parser_accepts_the_document(soporte, tmp_path):
    doc = (await documento(soporte)).doc
    resultado = validar(doc, tmp_path)
    assert resultado["valido"], resultado["diagnosticos"]
    assert problemas(resultado) == []
    assert resultado["version"] == "3.0.0"
    canales = {c["id"]: c["direccion"] for c in resultado["canales"]}
    assert canales[CHAT] == "/ws/soporte/ticket/{id}/"
    assert canales[NOTIFICACIONES] == "/ws/soporte/notificaciones/"
    # The parser read every frame of both directions as a message.
    assert len(resultado["mensajes"]) == sum(len(c["messages"]) for c in doc["channels"].values())


async def test_the_document_has_the_query_parameters_close_codes_and_security(soporte):
    doc = (await documento(soporte)).doc
    chat = doc["channels"][CHAT]
    assert chat["parameters"] == {"id": {"description": "Path parameter `id` (an integer id)."}}
    query = chat["bindings"]["ws"]["query"]
    assert {"token", "desde", "historial", "viendo"} <= set(query["properties"])
    assert query["required"] == ["token"]
    assert query["properties"]["historial"]["maximum"] == 500
    assert {"4400", "4401", "4404", "4429", "1001", "1009"} <= set(chat["x-close-codes"])
    assert "| 4404 |" in chat["description"]
    avisos = doc["channels"][NOTIFICACIONES]
    assert "parameters" not in avisos
    assert {"4401", "4429", "1001", "1009"} <= set(avisos["x-close-codes"])
    assert "4404" not in avisos["x-close-codes"]
    # Descriptions are CommonMark (no reST literals), summaries whole first paragraphs.
    assert "``" not in json.dumps(doc)
    resumen = doc["channels"][NOTIFICACIONES]["messages"]["servidor.notificacion"]["summary"]
    assert resumen.endswith("never twice.") and "\n" not in resumen
    esquema = doc["components"]["securitySchemes"]["token"]
    assert esquema == {**esquema, "type": "httpApiKey", "in": "query", "name": "token"}
    host = f"{soporte.client.host}:{soporte.client.port}"
    assert [(s["protocol"], s["host"]) for s in doc["servers"].values()] == [
        ("ws", host),
        ("wss", host),
    ]
    # The servers follow the host the document was asked from.
    r = await soporte.get("/api/asyncapi.json", headers={"Host": "soporte.example:8443"})
    servidores = (await r.json())["servers"]
    assert {s["host"] for s in servidores.values()} == {"soporte.example:8443"}


async def test_behind_a_tls_proxy_the_servers_are_its_host_wss_first(start_app):
    soporte = await start_app([], [], trusted_proxies=["127.0.0.1"])
    r = await soporte.get(
        "/api/asyncapi.json",
        headers={
            "X-Forwarded-For": "203.0.113.5",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "ayuda.example",
        },
    )
    servidores = (await r.json())["servers"]
    assert [(s["protocol"], s["host"]) for s in servidores.values()] == [
        ("wss", "ayuda.example"),
        ("ws", "ayuda.example"),
    ]


async def test_a_third_party_plugin_socket_is_documented_too(start_app, tmp_path):
    class Eco(Frame):
        """The text sent, back."""

        tipo: Literal["eco"] = "eco"
        texto: str

    class Grito(Frame):
        """Something to echo."""

        tipo: Literal["grito"]
        texto: str

    rutas = Routes(tag="eco")

    @rutas.websocket(
        r"/ws/eco/{sala:\d+}/",
        protocol=SocketProtocol(
            server_frames=(Eco, Pong),
            client_frames=(Grito, Ping),
            close_codes={4409: "la sala está llena"},
        ),
    )
    async def eco(request: web.Request, sala: int) -> web.WebSocketResponse:
        """Echo every ``grito``."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_json(frame(Eco(texto=Grito.model_validate_json(msg.data).texto)))
        return ws

    @rutas.websocket("/ws/eco/mudo/")
    async def mudo(request: web.Request) -> web.WebSocketResponse:
        """A socket that declares no frames."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        return ws

    class PluginEco:
        name = "eco"

        @hookimpl
        def register_routes(self, app: web.Application) -> Routes:
            return rutas

    soporte = await start_app([], [PluginEco()])
    doc = await documento(soporte)
    assert set(doc.doc["channels"]) == {"eco.eco", "eco.mudo"}
    canal = doc.doc["channels"]["eco.eco"]
    assert canal["address"] == "/ws/eco/{sala}/"
    assert set(canal["parameters"]) == {"sala"}
    assert canal["x-close-codes"]["4409"] == "la sala está llena"
    assert "4404" in canal["x-close-codes"] and "4401" in canal["x-close-codes"]
    assert set(doc.mensajes("eco.eco", "send")) == {"eco", "pong"}
    assert set(doc.mensajes("eco.eco", "receive")) == {"grito", "ping"}
    assert doc.doc["channels"]["eco.mudo"]["messages"] == {}
    assert not any(k.startswith("eco.mudo.") for k in doc.doc["operations"])
    resultado = validar(doc.doc, tmp_path)
    assert resultado["valido"] and problemas(resultado) == [], resultado["diagnosticos"]

    grabadora = Grabadora(doc, "eco.eco")
    ws = await soporte.client.ws_connect("/ws/eco/7/")
    await grabadora.enviar(ws, {"tipo": "grito", "texto": "hola"})
    assert await grabadora.recibir(ws, "eco") == {"tipo": "eco", "texto": "hola"}
    await ws.close()


async def test_the_docs_page_lists_the_channels_and_their_frames(soporte):
    r = await soporte.get("/api/docs/")
    assert r.status == 200
    html = await r.text()
    assert 'href="/api/asyncapi.json"' in html
    assert "<code>/ws/soporte/ticket/{id}/</code>" in html
    assert "<code>/ws/soporte/notificaciones/</code>" in html
    for tipo in ("connection_status", "viendo", "sincronizado", "leidas", "ping"):
        assert f"<code>{tipo}</code>" in html, tipo
    assert "<code>desde</code>" in html and "<code>4429</code>" in html
    # Fields with their types, from the payload schemas.
    assert "<code>no_leidas</code>: integer" in html


# --- the live sockets ---------------------------------------------------------------------------


async def test_every_chat_frame_a_live_socket_sends_matches_the_document(soporte):
    doc = await documento(soporte)
    grabadora = Grabadora(doc, CHAT)
    lucia = await soporte.usuario("lucia", nombre="Lucía Fernández")
    carla = await soporte.usuario("carla", Rol.AGENTE, nombre="Carla Ruiz")
    ticket_id = await crear_ticket(soporte, lucia)
    await responder(soporte, carla, ticket_id, "Hola Lucía")  # replayed on opening
    ruta = f"/ws/soporte/ticket/{ticket_id}/"

    cliente = await soporte.ws(ruta, lucia)
    estado = await grabadora.recibir(cliente, "connection_status")
    assert estado["usuario"]["id"] == lucia.id
    assert (await grabadora.recibir(cliente, "mensaje"))["contenido"] == "Hola Lucía"
    agente = await soporte.ws(ruta, carla, viendo="true", historial="5")
    await grabadora.recibir(agente, "connection_status")
    await grabadora.recibir(agente, "mensaje")  # the replay
    viendo = await grabadora.recibir(agente, "viendo")
    assert {u["id"] for u in viendo["usuarios"]} == {lucia.id, carla.id}
    assert (await grabadora.recibir(cliente, "presencia"))["conectado"] is True

    await grabadora.enviar(cliente, {"tipo": "typing", "escribiendo": True, "interna": False})
    assert (await grabadora.recibir(agente, "typing"))["autor_id"] == lucia.id
    await grabadora.enviar(
        cliente,
        {"tipo": "mensaje", "mensaje": "Gracias", "timestamp": "2026-11-26T10:00:00.000Z"},
    )
    for ws in (cliente, agente):
        vivo = await grabadora.recibir(ws, "mensaje")
        assert vivo["contenido"] == "Gracias" and vivo["canal"] == "CHAT"
        assert vivo["timestamp"].endswith("+00:00")  # the wire format the guide reads
    await grabadora.enviar(agente, {"tipo": "mensaje", "mensaje": "Nota", "interna": True})
    assert (await grabadora.recibir(agente, "mensaje"))["interna"] is True
    await grabadora.enviar(cliente, {"tipo": "ping"})
    assert await grabadora.recibir(cliente, "pong") == {"tipo": "pong"}

    # Error frames: bad JSON, an unknown tipo, an empty message, a customer's note.
    await cliente.send_str("{no es json")
    codigos = [(await grabadora.recibir(cliente, "error"))["codigo"]]
    await cliente.send_str(json.dumps({"tipo": "baile"}))
    codigos.append((await grabadora.recibir(cliente, "error"))["codigo"])
    await grabadora.enviar(cliente, {"tipo": "mensaje", "mensaje": "   "})
    codigos.append((await grabadora.recibir(cliente, "error"))["codigo"])
    await grabadora.enviar(cliente, {"tipo": "mensaje", "mensaje": "x", "interna": True})
    codigos.append((await grabadora.recibir(cliente, "error"))["codigo"])
    assert codigos == ["json_invalido", "tipo_desconocido", "mensaje_vacio", "prohibido"]

    await cliente.close()  # Lucía's last socket: Carla hears she left
    assert (await grabadora.recibir(agente, "presencia"))["conectado"] is False
    await agente.close()

    # Bad parameters: an error frame, then the documented close code.
    malo = await soporte.ws(ruta, lucia, desde="-1")
    assert (await grabadora.recibir(malo, "error"))["codigo"] == "parametros"
    codigos_cierre = [await cierre(malo, grabadora)]
    codigos_cierre.append(await cierre(await soporte.ws(ruta, None, token="x"), grabadora))
    ajeno = await soporte.usuario("martin")
    codigos_cierre.append(await cierre(await soporte.ws(ruta, ajeno), grabadora))
    assert codigos_cierre == [4400, 4401, 4404]
    assert {str(c) for c in codigos_cierre} <= set(doc.doc["channels"][CHAT]["x-close-codes"])

    # Every frame type the document declares was read from the live socket, and validated.
    assert grabadora.vistos == set(doc.mensajes(CHAT, "send"))
    assert grabadora.enviados == set(doc.mensajes(CHAT, "receive"))


async def test_every_notification_frame_a_live_socket_sends_matches_the_document(soporte):
    doc = await documento(soporte)
    grabadora = Grabadora(doc, NOTIFICACIONES)
    ana = await soporte.usuario("ana")
    carla = await soporte.usuario("carla", Rol.AGENTE)
    ticket_id = await crear_ticket(soporte, ana)
    await responder(soporte, carla, ticket_id, "Primera")  # unread: replayed on opening

    ws = await soporte.ws("/ws/soporte/notificaciones/", ana)
    repuesta = await grabadora.recibir(ws, "notificacion")
    assert repuesta["notificacion"]["ticket_id"] == ticket_id
    assert repuesta["notificacion"]["fecha_creacion"].endswith("+00:00")
    assert (await grabadora.recibir(ws, "sincronizado"))["no_leidas"] == 1

    await responder(soporte, carla, ticket_id, "Segunda")
    await grabadora.recibir(ws, "notificacion")
    cambio = await grabadora.recibir(ws, "ticket")
    assert cambio["ticket_id"] == ticket_id and cambio["evento"] == "respuesta_creada"
    r = await soporte.post(
        "/api/soporte/notificaciones/leer-todas/", headers=soporte.auth(ana), json={}
    )
    assert r.status == 204
    assert await grabadora.recibir(ws, "leidas") == {
        "tipo": "leidas",
        "ids": "todas",
        "no_leidas": 0,
    }
    await grabadora.enviar(ws, {"tipo": "ping"})
    assert await grabadora.recibir(ws, "pong") == {"tipo": "pong"}
    await ws.send_str(json.dumps({"tipo": "suscribir"}))
    assert (await grabadora.recibir(ws, "error"))["codigo"] == "tipo_desconocido"
    await ws.send_str("{}")  # no tipo: no ping
    assert (await grabadora.recibir(ws, "error"))["codigo"] == "tipo_desconocido"
    await ws.close()

    sin_token = await soporte.ws("/ws/soporte/notificaciones/", None, token="x")
    assert await cierre(sin_token, grabadora) == 4401
    assert "4401" in doc.doc["channels"][NOTIFICACIONES]["x-close-codes"]

    assert grabadora.vistos == set(doc.mensajes(NOTIFICACIONES, "send"))
    assert grabadora.enviados == set(doc.mensajes(NOTIFICACIONES, "receive"))


async def test_every_message_has_an_example_that_its_schema_accepts(soporte):
    doc = await documento(soporte)
    for canal in (CHAT, NOTIFICACIONES):
        for sentido in ("send", "receive"):
            for nombre, mensaje in doc.mensajes(canal, sentido).items():
                assert mensaje.get("examples"), (canal, nombre)
                for ejemplo in mensaje["examples"]:
                    assert doc.comprobar(canal, sentido, ejemplo["payload"]) == nombre


@pytest.mark.plugins("tickets", "chat")
async def test_a_frame_outside_the_document_is_caught(soporte):
    """The check itself: a frame with a field the document does not list, or a wrong type,
    fails (so the live tests above would catch a socket drifting from its models)."""
    doc = await documento(soporte)
    bueno = {"tipo": "presencia", "usuario": {"id": 1, "nombre": "A", "rol": "CLIENTE"}}
    doc.comprobar(CHAT, "send", {**bueno, "conectado": True})
    with pytest.raises(AssertionError):
        doc.comprobar(CHAT, "send", {**bueno, "conectado": True, "extra": 1})
    with pytest.raises(AssertionError):
        doc.comprobar(CHAT, "send", {**bueno, "conectado": "si"})
    with pytest.raises(AssertionError):
        doc.comprobar(CHAT, "send", {**bueno, "usuario": {**bueno["usuario"], "rol": "JEFE"}})
