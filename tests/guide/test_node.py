"""The guide's client code — its fetch functions, its ``ChatSoporteWebSocket`` class and its
components' loaders — evaluated unchanged in Node 20 against the real server.

``arnes.js`` runs every scenario once (one Node process, about two seconds) and prints what the
guide's code got back; each test here checks one part of it against what the guide's components
read: a field they render, a status they check, a frame they wait for.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.guide import guia

if TYPE_CHECKING:
    from tests.guide.conftest import ServidorGuia

ARNES = Path(__file__).with_name("arnes.js")
#: Escalation limit of the guide's rule, in hours: level 1 after 1.8 s, level 2 after 3.6 s.
HORAS_ESCALAMIENTO = 0.0005

#: What the guide's ListaTickets (and DashboardSoporte's recent list) read from each ticket.
CAMPOS_LISTA = ("id", "numero", "asunto", "estado", "categoria", "prioridad", "fecha_creacion")
CAMPOS_LISTA_TEXTO = (*CAMPOS_LISTA, "descripcion")
#: What the guide's FAQ component reads from each FAQ.
CAMPOS_FAQ = ("id", "pregunta", "respuesta", "categoria", "valoraciones_positivas")
NUMERO = re.compile(r"^TK-\d+$")


def _fecha(valor: Any) -> datetime:
    """An ISO 8601 timestamp with its UTC offset (``new Date()`` reads it as the same instant)."""
    assert isinstance(valor, str), valor
    fecha = datetime.fromisoformat(valor)
    assert fecha.utcoffset() is not None, f"timestamp without offset: {valor}"
    return fecha


def _ticket_como_lo_lee_la_lista(ticket: dict[str, Any]) -> None:
    for campo in CAMPOS_LISTA_TEXTO:
        assert campo in ticket, f"ListaTickets reads ticket.{campo}: missing in {ticket}"
    assert isinstance(ticket["id"], int)
    assert NUMERO.match(ticket["numero"]), ticket["numero"]
    for campo in ("asunto", "estado", "categoria", "prioridad", "descripcion"):
        assert isinstance(ticket[campo], str), (campo, ticket[campo])
    assert ticket["estado"] in {"ABIERTO", "EN_PROGRESO", "RESUELTO", "CERRADO"}
    _fecha(ticket["fecha_creacion"])


def _error_de_la_guia(resultado: dict[str, Any], status: int, texto: str) -> None:
    """The guide's ``if (!response.ok) throw new Error(`Error ${status}: ${statusText}`)``."""
    assert not resultado["ok"], f"the guide's call should have thrown: {resultado}"
    assert resultado["error"] == f"Error {status}: {texto}", resultado


@pytest.fixture(scope="module")
def resultados(servidor_guia: ServidorGuia, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One run of the harness over every scenario: what the guide's code observed."""
    node = shutil.which("node")
    assert node, "Node.js 20+ is required by tests/guide (apt-get install nodejs)"
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    assert int(version.lstrip("v").split(".")[0]) >= 20, f"Node 20+ needed, found {version}"
    entrada = tmp_path_factory.mktemp("arnes") / "entrada.json"
    entrada.write_text(
        json.dumps(
            {
                "piezas": guia.piezas_node(),
                "cargadores": guia.cargadores(),
                "estadoCaso": guia.estado_inicial_caso(),
                "base": servidor_guia.base,
                # The harness's customers are its own (the browser test has others).
                "tokens": {
                    "cliente": servidor_guia.tokens["node-cliente"],
                    "cliente2": servidor_guia.tokens["node-cliente2"],
                    "agente": servidor_guia.tokens["agente"],
                    "admin": servidor_guia.tokens["admin"],
                },
                "ticketAjeno": 987654,
                "horasEscalamiento": HORAS_ESCALAMIENTO,
            }
        )
    )
    proceso = subprocess.run(
        [node, "--experimental-websocket", "--no-warnings", str(ARNES), str(entrada)],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proceso.returncode == 0, (
        f"harness failed:\n{proceso.stderr}\n--- server log ---\n{servidor_guia.registro()}"
    )
    datos = json.loads(proceso.stdout)
    fallidos = {k: v["fallo"] for k, v in datos.items() if isinstance(v, dict) and "fallo" in v}
    datos["_fallidos"] = fallidos
    return datos


def _escenario(resultados: Any, nombre: str) -> Any:
    fallo = resultados["_fallidos"].get(nombre)
    assert fallo is None, f"scenario {nombre!r} threw in the guide's code:\n{fallo}"
    return resultados[nombre]


def test_crear_ticket_con_el_ejemplo_de_la_guia(resultados: Any) -> None:
    """``crearTicket(nuevoTicket)`` with the guide's own example gives a numbered ticket."""
    r = _escenario(resultados, "crear")
    ejemplo, ticket = r["ejemplo"], r["ticket"]
    _ticket_como_lo_lee_la_lista(ticket)
    assert ticket["asunto"] == ejemplo["asunto"]
    assert (ticket["categoria"], ticket["prioridad"]) == ("PAGOS", "ALTA")
    assert ticket["descripcion"] == ejemplo["descripcion"]
    assert ticket["estado"] == "ABIERTO"
    # DetalleTicket shows `#${ticket.reserva_relacionada.id}`.
    assert ticket["reserva_relacionada"] == {"id": 123}
    assert ticket["archivos_adjuntos"] == []
    assert r["subida"] == 201
    assert [a["nombre"] for a in r["conArchivo"]["archivos_adjuntos"]] == ["error.png"]
    sin_reserva = r["sinReserva"]
    assert sin_reserva["reserva_relacionada"] is None
    numeros = {t["numero"] for t in (ticket, sin_reserva, r["espera"], r["conArchivo"])}
    assert len(numeros) == 4


def test_mis_tickets_con_cada_combinacion_de_filtros_de_la_guia(resultados: Any) -> None:
    """Every filter set ListaTickets can send (empty strings included) answers a page whose
    items carry what the list renders, and the filters filter."""
    r = _escenario(resultados, "lista")
    ids = resultados["ids"]
    propios = {ids["t1"], ids["t2"], ids["t4"]}
    for caso in r["respuestas"]:
        filtros, resultado = caso["filtros"], caso["resultado"]
        assert resultado["ok"], f"obtenerMisTickets({filtros}) threw: {resultado['error']}"
        data = resultado["valor"]
        assert {"count", "next", "previous", "results"} <= data.keys(), data
        for ticket in data["results"]:
            _ticket_como_lo_lee_la_lista(ticket)
            assert ticket["id"] in propios, "a customer's list shows only their tickets"
            if filtros.get("estado"):
                assert ticket["estado"] == filtros["estado"], (filtros, ticket)
            if filtros.get("categoria"):
                assert ticket["categoria"] == filtros["categoria"], (filtros, ticket)
            if filtros.get("fechaDesde") or filtros.get("fechaHasta"):
                assert ticket["fecha_creacion"].startswith(r["hoy"]) or filtros.get("fechaDesde")

    por_filtros = {
        json.dumps(c["filtros"], sort_keys=True): c["resultado"]["valor"] for c in r["respuestas"]
    }

    def ids_de(**filtros: Any) -> list[int]:
        return [t["id"] for t in por_filtros[json.dumps(filtros, sort_keys=True)]["results"]]

    # Newest first; an empty filter is no filter.
    assert ids_de() == [ids["t4"], ids["t2"], ids["t1"]]
    assert ids_de(estado="") == ids_de(categoria="") == ids_de(estado="", categoria="") == ids_de()
    # t1 got an agent's reply (EN_PROGRESO); t2 and t4 did not.
    assert ids_de(estado="EN_PROGRESO") == [ids["t1"]]
    assert ids_de(estado="ABIERTO") == [ids["t4"], ids["t2"]]
    assert ids_de(estado="CERRADO") == ids_de(estado="RESUELTO") == []
    assert ids_de(categoria="PAGOS") == [ids["t1"]]
    assert ids_de(categoria="TECNICO") == [ids["t2"]]
    assert ids_de(categoria="RESERVAS") == [ids["t4"]]
    assert ids_de(estado="ABIERTO", categoria="PAGOS") == []
    assert ids_de(estado="EN_PROGRESO", categoria="PAGOS") == [ids["t1"]]
    assert ids_de(fechaDesde=r["hoy"], fechaHasta=r["hoy"]) == ids_de()
    assert ids_de(fechaDesde="2000-01-01", fechaHasta="2000-01-31") == []
    # Pages: size 1 splits the tickets; a page past the end is empty with the true count.
    assert ids_de(page=1, size=1) == [ids["t4"]]
    assert ids_de(page=2, size=1) == [ids["t2"]]
    pasada = por_filtros[json.dumps({"page": 50}, sort_keys=True)]
    assert (pasada["results"], pasada["count"]) == ([], 3)
    assert por_filtros[json.dumps({"page": 1, "size": 1}, sort_keys=True)]["next"].startswith(
        "http"
    )

    # The component's own loader: `setTickets(data.results)`, loading back to false.
    assert [t["id"] for t in r["cargador"]["tickets"]] == ids_de()
    assert r["cargador"]["loading"] is False
    # Another customer sees none of them.
    assert r["otroCliente"]["ok"]
    assert all(t["id"] not in propios for t in r["otroCliente"]["valor"]["results"])


def test_detalle_trae_todo_lo_que_lee_detalle_ticket(resultados: Any) -> None:
    """DetalleTicket reads numero, estado and prioridad (lower-cased), the dates, the booking,
    the attachments' url/nombre and each reply's autor.nombre, mensaje and fecha_creacion."""
    r = _escenario(resultados, "detalle")
    t = r["ticket"]
    _ticket_como_lo_lee_la_lista(t)
    assert t["prioridad"] in {"ALTA", "MEDIA", "BAJA"}
    assert t["estado"] == "EN_PROGRESO"
    assert r["fechasValidas"]
    assert _fecha(t["fecha_actualizacion"]) >= _fecha(t["fecha_creacion"])
    assert t["reserva_relacionada"]["id"] == 123
    assert isinstance(t["archivos_adjuntos"], list)
    mensajes = [x["mensaje"] for x in t["respuestas"]]
    assert mensajes == ["hola", "Adjunto el comprobante del pago", "Recibido, lo revisamos."]
    for respuesta in t["respuestas"]:
        assert {"id", "autor", "mensaje", "fecha_creacion"} <= respuesta.keys()
        assert isinstance(respuesta["autor"]["nombre"], str) and respuesta["autor"]["nombre"]
        for archivo in respuesta.get("archivos_adjuntos") or []:
            assert archivo["url"].startswith("http") and archivo["nombre"]
    assert len({x["id"] for x in t["respuestas"]}) == 3, "React keys: reply ids are unique"
    autores = [x["autor"]["nombre"] for x in t["respuestas"]]
    assert autores == ["Carla Ruiz", "Lucía Fernández", "Carla Ruiz"]
    adjuntos = [[a["nombre"] for a in x["archivos_adjuntos"]] for x in t["respuestas"]]
    assert adjuntos[0] == []
    assert adjuntos[1] == ["comprobante.pdf", "captura de pantalla.png"]
    assert len(adjuntos[2]) == 1, "a bare Blob is a file too"
    # The component's loader: setTicket(ticketData); setRespuestas(ticketData.respuestas || []).
    assert r["cargador"]["ticket"]["id"] == t["id"]
    assert [x["id"] for x in r["cargador"]["respuestas"]] == [x["id"] for x in t["respuestas"]]
    # Someone else's ticket and an unknown one: the guide throws `Error 404: Not Found`.
    _error_de_la_guia(r["ajeno"], 404, "Not Found")
    _error_de_la_guia(r["inexistente"], 404, "Not Found")


def test_los_adjuntos_se_abren_con_un_enlace_sin_authorization(resultados: Any) -> None:
    """The guide opens attachments with a plain ``<a href>``: no token, and a download."""
    r = _escenario(resultados, "detalle")
    assert len(r["descargas"]) == 3
    for d in r["descargas"]:
        assert d["status"] == 200, d
        assert d["disposicion"] and d["disposicion"].startswith("attachment"), d
        assert d["nosniff"] == "nosniff", d
        assert d["bytes"] > 0, d
    pdf = next(d for d in r["descargas"] if d["nombre"] == "comprobante.pdf")
    assert pdf["bytes"] == len("%PDF-1.4\n% comprobante\n")


def test_responder_ticket_con_archivos_como_formdata(resultados: Any) -> None:
    """``responderTicket(id, mensaje, [File, File])`` and with a bare Blob: 201 and the reply."""
    r = _escenario(resultados, "chat")
    for clave in ("respuesta", "conBlob"):
        assert r[clave]["ok"], f"responderTicket threw: {r[clave]}"
    respuesta = r["respuesta"]["valor"]
    assert respuesta["mensaje"] == "Adjunto el comprobante del pago"
    assert respuesta["autor"]["nombre"] == "Lucía Fernández"
    assert [a["nombre"] for a in respuesta["archivos_adjuntos"]] == [
        "comprobante.pdf",
        "captura de pantalla.png",
    ]
    _fecha(respuesta["fecha_creacion"])
    assert len(r["conBlob"]["valor"]["archivos_adjuntos"]) == 1


def test_chat_websocket_de_la_guia(resultados: Any) -> None:
    """Two ``ChatSoporteWebSocket``s (customer, agent): ``connection_status`` first with
    ``conectado: true``; a message reaches both as ``mensaje`` with ``autor`` a string; a REST
    reply reaches both; ``disconnect()`` closes with 1000 and the class does not reconnect."""
    r = _escenario(resultados, "chat")
    assert r["conectados"] and r["abierto"]
    for quien in ("cliente", "agente"):
        primero = r["primeros"][quien]
        assert primero["tipo"] == "connection_status" and primero["conectado"] is True, primero
        hola = r["hola"][quien]
        assert hola, f"the {quien}'s socket never got 'hola'"
        assert hola["autor"] == "Carla Ruiz" and hola["contenido"] == "hola"
        _fecha(hola["timestamp"])
        rest = r["porRest"][quien]
        assert rest, f"the REST reply never reached the {quien}'s socket"
        assert rest["autor"] == "Lucía Fernández"
    assert r["timestampsValidos"]
    assert all(isinstance(a, str) and a for a in r["autores"]), r["autores"]
    assert set(r["tiposRecibidos"]) <= {"connection_status", "mensaje", "typing", "presencia"}
    assert r["cierres"] == [[1000], [1000]], r["cierres"]
    assert r["socketsNuevosTrasDesconectar"] == 0, "disconnect() must not make the class reconnect"
    assert r["cierreTokenMalo"] == [4401] and r["mensajesTokenMalo"] == []
    assert r["consolaErrores"] == []


def test_faq_con_categoria_y_busqueda_con_y_sin_acentos(resultados: Any) -> None:
    """``obtenerFAQs`` (no token, as the guide calls it) with the FAQ component's arguments."""
    r = _escenario(resultados, "faq")
    todas = r["todas"]
    assert todas["count"] == 3 and len(todas["results"]) == 3
    for faq in todas["results"]:
        for campo in (*CAMPOS_FAQ, "valoraciones_negativas"):
            assert campo in faq, f"the FAQ component reads faq.{campo}"
        assert isinstance(faq["valoraciones_positivas"], int)
    c = r["consultas"]
    for nombre, consulta in c.items():
        assert consulta["resultado"]["ok"], (nombre, consulta)
    assert {f["categoria"] for f in c["categoria"]["resultado"]["valor"]["results"]} == {
        c["categoria"]["categoria"]
    }
    credito = "¿Puedo pagar mi reserva con tarjeta de crédito?"
    for nombre in ("sinAcento", "conAcento", "mayusculas"):
        preguntas = [f["pregunta"] for f in c[nombre]["resultado"]["valor"]["results"]]
        assert preguntas and preguntas[0] == credito, (nombre, preguntas)
    ambos = c["ambos"]["resultado"]["valor"]["results"]
    assert [f["pregunta"] for f in ambos] == ["¿Cómo pido el reembolso de una reserva cancelada?"]
    assert c["nada"]["resultado"]["valor"]["results"] == []
    # The component: setFaqs(data.results || data); categories from data.results.
    assert len(r["cargador"]["faqs"]) == 3
    assert sorted(r["cargador"]["categorias"]) == ["Pagos", "Reservas"]
    assert r["consolaErrores"] == []


def test_valorar_faq_cuenta_un_voto_por_usuario(resultados: Any) -> None:
    """``valorarFAQ(id, esUtil)`` answers the fresh counts; voting again never double-counts."""
    votos = _escenario(resultados, "faq")["votos"]
    for voto in votos[:4]:
        assert voto["ok"], voto
    cuentas = [
        (v["valor"]["valoraciones_positivas"], v["valor"]["valoraciones_negativas"])
        for v in votos[:4]
    ]
    assert cuentas == [(1, 0), (1, 0), (1, 1), (2, 0)]
    _error_de_la_guia(votos[4], 401, "Unauthorized")


def test_crear_caso_con_el_estado_del_formulario(resultados: Any) -> None:
    """``crearCasoSoporte`` with FormularioCaso's state: ``tipo``, ``impacto``, no ``clienteId``."""
    r = _escenario(resultados, "casos")
    assert r["inicial"] == {
        "tipo": "CONSULTA",
        "urgencia": "MEDIA",
        "titulo": "",
        "descripcion": "",
        "impacto": "INDIVIDUAL",
    }
    assert r["cliente"]["ok"], r["cliente"]
    caso = r["cliente"]["valor"]
    assert caso["tipo_caso"] == "CONSULTA" and caso["urgencia"] == "MEDIA"
    assert caso["titulo"] == r["datos"]["titulo"]
    assert caso["impacto_estimado"] == "INDIVIDUAL"
    assert caso["reservas_relacionadas"] == []
    assert caso["estado"] == "ABIERTO"
    assert r["agente"]["ok"], r["agente"]
    assert r["agente"]["valor"]["urgencia"] == "CRITICA"
    assert r["agente"]["valor"]["impacto_estimado"] == "MASIVO"


def test_configurar_escalamiento_como_admin(resultados: Any) -> None:
    """``configurarEscalamiento`` with the guide's four fields: 201 for an admin, 403 else."""
    r = _escenario(resultados, "escalamiento")
    assert r["admin"]["ok"], r["admin"]
    regla = r["admin"]["valor"]
    assert isinstance(regla["id"], int)
    assert regla["tiempo_respuesta_maximo"] == HORAS_ESCALAMIENTO
    assert regla["prioridades_escalamiento"] == ["ALTA"]
    assert regla["notificaciones_automaticas"] is True
    _error_de_la_guia(r["agente"], 403, "Forbidden")
    assert r["porNiveles"]["ok"], r["porNiveles"]
    niveles = r["porNiveles"]["valor"]["niveles_escalamiento"]
    assert [(n["nivel"], n["nombre"]) for n in niveles] == [(1, "Supervisor"), (2, "Gerencia")]


def test_dashboard_de_soporte_como_agente_y_admin(resultados: Any) -> None:
    """DashboardSoporte's three fetches: the four numbers, and two arrays it maps over."""
    r = _escenario(resultados, "dashboard")
    for estado in (r["estado"], r["estadoAdmin"]):
        _dashboard(estado)
    assert r["consolaErrores"] == []


def _dashboard(estado: dict[str, Any]) -> None:
    stats = estado["estadisticas"]
    for campo in (
        "tickets_abiertos",
        "tiempo_promedio_respuesta",
        "satisfaccion_promedio",
        "casos_criticos",
    ):
        valor = stats[campo]
        assert isinstance(valor, int | float) and not isinstance(valor, bool), (campo, valor)
    assert stats["tickets_abiertos"] >= 3
    assert stats["casos_criticos"] >= 1
    assert isinstance(estado["ticketsRecientes"], list) and estado["ticketsRecientes"]
    for ticket in estado["ticketsRecientes"]:
        for campo in ("id", "numero", "asunto", "estado"):
            assert campo in ticket
    assert isinstance(estado["casosUrgentes"], list) and estado["casosUrgentes"]
    for caso in estado["casosUrgentes"]:
        assert {"id", "titulo", "urgencia"} <= caso.keys()
        assert caso["urgencia"] in {"CRITICA", "ALTA"}


def test_monitor_de_escalamiento(resultados: Any) -> None:
    """MonitorEscalamiento: ``tickets_escalados`` and ``alertas`` arrays, with the fields it
    renders and an alert ``nivel`` usable as its CSS class."""
    r = _escenario(resultados, "monitor")
    assert r["alcanzado"], f"the ALTA ticket was not escalated twice in time: {r['estado']}"
    escalados = r["estado"]["ticketsEscalados"]
    for ticket in escalados:
        assert {
            "id",
            "numero",
            "asunto",
            "tiempo_escalamiento",
            "nivel_escalamiento",
        } <= ticket.keys()
        assert isinstance(ticket["tiempo_escalamiento"], str) and ticket["tiempo_escalamiento"]
    alertas = r["estado"]["alertas"]
    assert alertas
    for alerta in alertas:
        assert {"id", "nivel", "mensaje", "timestamp"} <= alerta.keys()
        assert alerta["nivel"] in {"info", "advertencia", "critica"}
        _fecha(alerta["timestamp"])
    assert len({a["id"] for a in alertas}) == len(alertas)
    niveles = {a["nivel"] for a in alertas if a.get("ticket_id") == r["t3"]}
    assert niveles == {"advertencia", "critica"}


def test_errores_que_la_guia_comprueba(resultados: Any) -> None:
    """``response.ok`` false → the guide throws ``Error 401: Unauthorized`` (a bad token, or
    none: ``Bearer null``)."""
    r = _escenario(resultados, "errores")
    assert r["headersSinToken"]["Authorization"] == "Bearer null"
    for clave in ("crearMalo", "listaMalo", "crearSinToken", "responderSinToken", "casoSinToken"):
        _error_de_la_guia(r[clave], 401, "Unauthorized")


def test_los_tokens_caben_sin_escapar_en_la_url_del_websocket(
    servidor_guia: ServidorGuia,
) -> None:
    """The guide writes ``?token=${token}`` into the WebSocket URL without encoding it."""
    for usuario, token in servidor_guia.tokens.items():
        assert re.fullmatch(r"[A-Za-z0-9_.~-]+", token), (usuario, token)


def test_la_guia_solo_pidio_urls_de_localhost_8000(resultados: Any) -> None:
    """Every request the guide made went where it says, with the paths of the contract."""
    pedidos = resultados["pedidos"]
    assert pedidos
    rutas = set()
    for p in pedidos:
        assert p["url"].startswith("http://localhost:8000/api/soporte/"), p
        rutas.add((p["metodo"], re.sub(r"/\d+/", "/{id}/", p["url"].split("?")[0])))
    base = "http://localhost:8000/api/soporte"
    assert rutas == {
        ("POST", f"{base}/tickets/"),
        ("GET", f"{base}/mis-tickets/"),
        ("GET", f"{base}/tickets/{{id}}/"),
        ("POST", f"{base}/tickets/{{id}}/responder/"),
        ("GET", f"{base}/faqs/"),
        ("POST", f"{base}/faqs/{{id}}/valorar/"),
        ("POST", f"{base}/casos/"),
        ("POST", f"{base}/escalamiento/reglas/"),
        ("GET", f"{base}/dashboard/stats/"),
        ("GET", f"{base}/tickets/recientes/"),
        ("GET", f"{base}/casos/urgentes/"),
        ("GET", f"{base}/escalamiento/monitor/"),
    }
