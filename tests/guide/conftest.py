"""The guide-conformance suite's fixtures: the real server, started as an operator starts it.

``servidor_guia`` (one per session) runs ``soporte migrate``, ``soporte createuser`` (staff)
and ``soporte run`` in subprocesses on a temporary SQLite database (a fresh PostgreSQL schema
when the suite runs with ``SOPORTE_TEST_DATABASE_URL``) and a free loopback port; customers sign
up through ``POST /api/auth/registro/``. ``SOPORTE_CORS_ORIGINS`` names the origin of
``pagina_guia``: a second loopback server that serves the page on which the guide's React
components run (another port is another origin).

The guide hard-codes ``http://localhost:8000`` and ``ws://localhost:8000``. The suite never
binds port 8000 and never edits the guide's code: the Node harness wraps the global ``fetch`` and
``WebSocket`` it hands to the guide, and Chromium maps ``localhost:8000`` to the test port in its
own resolver (``--host-resolver-rules``), so CORS preflights and WebSocket handshakes are real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from core.testing import free_port, fresh_database
from tests.guide import pagina

if TYPE_CHECKING:
    from collections.abc import Iterator

RAIZ = Path(__file__).resolve().parents[2]
SOPORTE = RAIZ / ".venv" / "bin" / "soporte"
NODE_MODULES = Path(__file__).with_name("node_modules")

#: The accounts the suite logs in with: username → (role, display name, password). The Node
#: harness and the browser test each have their own customers, so that neither sees the other's
#: tickets, whichever runs first.
USUARIOS: dict[str, tuple[str, str, str]] = {
    "cliente": ("CLIENTE", "Lucía Fernández", "clave-cliente-1"),
    "cliente2": ("CLIENTE", "Martín Gómez", "clave-cliente-2"),
    "node-cliente": ("CLIENTE", "Lucía Fernández", "clave-cliente-3"),
    "node-cliente2": ("CLIENTE", "Martín Gómez", "clave-cliente-4"),
    "agente": ("AGENTE", "Carla Ruiz", "clave-agente-1"),
    "admin": ("ADMIN", "Diego Morales", "clave-admin-1"),
}
#: FAQs the admin publishes before the guide reads them (accents on purpose: `credito` must find
#: `crédito`).
FAQS: list[dict[str, str]] = [
    {
        "pregunta": "¿Puedo pagar mi reserva con tarjeta de crédito?",
        "respuesta": "Sí: aceptamos tarjetas de crédito y débito Visa y Mastercard.",
        "categoria": "Pagos",
    },
    {
        "pregunta": "¿Cómo pido el reembolso de una reserva cancelada?",
        "respuesta": "Desde Mis reservas, en «Cancelar»: el reembolso llega en 5 a 10 días.",
        "categoria": "Pagos",
    },
    {
        "pregunta": "¿Puedo cambiar la fecha de mi reserva?",
        "respuesta": "Sí, hasta 48 horas antes de la llegada y sin coste.",
        "categoria": "Reservas",
    },
]
#: Seconds between escalation passes in the test server (the monitor needs alerts quickly).
INTERVALO_ESCALAMIENTO = "0.3"
ARRANQUE_S = 30


@dataclass
class Respuesta:
    """An HTTP answer as the suite needs it."""

    status: int
    headers: dict[str, str]
    cuerpo: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.cuerpo)


@dataclass
class ServidorGuia:
    """The running ``soporte run`` process and what the guide needs to talk to it."""

    base: str
    origen_pagina: str
    carpeta: Path
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def puerto(self) -> int:
        """The port the server listens on."""
        return int(self.base.rsplit(":", 1)[1])

    def pedir(
        self,
        metodo: str,
        ruta: str,
        cuerpo: Any = None,
        *,
        como: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Respuesta:
        """One request to the server (``como``: the username whose token is sent)."""
        cabeceras = dict(headers or {})
        datos = None
        if cuerpo is not None:
            datos = json.dumps(cuerpo).encode()
            cabeceras["Content-Type"] = "application/json"
        if como is not None:
            cabeceras["Authorization"] = f"Bearer {self.tokens[como]}"
        url = ruta if ruta.startswith("http") else self.base + ruta
        req = urllib.request.Request(url, data=datos, method=metodo, headers=cabeceras)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return Respuesta(r.status, dict(r.headers.items()), r.read())
        except urllib.error.HTTPError as e:
            return Respuesta(e.code, dict(e.headers.items()), e.read())

    def registro(self) -> str:
        """The end of the server's log (for failure messages)."""
        log = self.carpeta / "servidor.log"
        return log.read_text(errors="replace")[-4000:] if log.exists() else ""


class _Pagina(BaseHTTPRequestHandler):
    """Serves the generated page and the three npm files it loads; nothing else."""

    html: bytes = b""
    ARCHIVOS: ClassVar[dict[str, str]] = {
        "/node_modules/react/umd/react.development.js": "react/umd/react.development.js",
        "/node_modules/react-dom/umd/react-dom.development.js": (
            "react-dom/umd/react-dom.development.js"
        ),
        "/node_modules/@babel/standalone/babel.min.js": "@babel/standalone/babel.min.js",
    }

    def do_GET(self) -> None:
        ruta = self.path.split("?", 1)[0]
        if ruta == "/":
            cuerpo, tipo = self.html, "text/html; charset=utf-8"
        elif ruta in self.ARCHIVOS:
            cuerpo = (NODE_MODULES / self.ARCHIVOS[ruta]).read_bytes()
            tipo = "text/javascript; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", tipo)
        self.send_header("Content-Length", str(len(cuerpo)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        self.wfile.write(cuerpo)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the suite's output is pytest's."""


@pytest.fixture(scope="session")
def pagina_guia() -> Iterator[str]:
    """The origin (``http://127.0.0.1:PORT``) serving the guide's components on one page."""
    faltan = [f for f in _Pagina.ARCHIVOS.values() if not (NODE_MODULES / f).is_file()]
    assert not faltan, f"npm packages missing ({faltan}): run scripts/guide-deps.sh"
    manejador = type("Pagina", (_Pagina,), {"html": pagina.html().encode()})
    servidor = ThreadingHTTPServer(("127.0.0.1", 0), manejador)
    hilo = threading.Thread(target=servidor.serve_forever, daemon=True)
    hilo.start()
    try:
        yield f"http://127.0.0.1:{servidor.server_address[1]}"
    finally:
        servidor.shutdown()
        servidor.server_close()


def _entorno(carpeta: Path, origen: str, base_de_datos: str) -> dict[str, str]:
    """The process environment: the caller's, minus every ``SOPORTE_*`` setting, plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")}
    env.update(
        SOPORTE_DATABASE_URL=base_de_datos,
        SOPORTE_MEDIA_DIR=str(carpeta / "media"),
        SOPORTE_SECRET_KEY="clave-de-la-suite-de-la-guia",
        SOPORTE_CORS_ORIGINS=origen,
        SOPORTE_ESCALAMIENTO_INTERVAL=INTERVALO_ESCALAMIENTO,
        SOPORTE_LOG_LEVEL="WARNING",
    )
    return env


def _comando(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(SOPORTE), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _terminar(proceso: subprocess.Popen[str], que: str) -> None:
    salida, _ = proceso.communicate(timeout=60)
    assert proceso.returncode == 0, f"`soporte {que}` failed:\n{salida}"


@pytest.fixture(scope="session")
def servidor_guia(
    tmp_path_factory: pytest.TempPathFactory, pagina_guia: str
) -> Iterator[ServidorGuia]:
    """``soporte run`` on a migrated temporary database, with the suite's users logged in."""
    carpeta = tmp_path_factory.mktemp("guia")
    with fresh_database(carpeta, "guia") as base_de_datos:
        yield from _servidor(carpeta, _entorno(carpeta, pagina_guia, base_de_datos), pagina_guia)


def _servidor(carpeta: Path, env: dict[str, str], pagina_guia: str) -> Iterator[ServidorGuia]:
    _terminar(_comando(["migrate"], env, carpeta), "migrate")
    puerto = free_port()
    log = (carpeta / "servidor.log").open("w")
    proceso = subprocess.Popen(
        [str(SOPORTE), "run", "--host", "127.0.0.1", "--port", str(puerto)],
        env=env,
        cwd=carpeta,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    servidor = ServidorGuia(f"http://127.0.0.1:{puerto}", pagina_guia, carpeta)
    try:
        # Staff accounts come from the CLI (a second of start-up each: side by side, while the
        # server starts); customers sign up through the API, as the frontend's users do.
        altas = [
            (
                u,
                _comando(
                    [
                        *("createuser", "--username", u, "--password", clave, "--rol", rol),
                        *("--nombre", nombre, "--email", f"{u}@guia.test"),
                    ],
                    env,
                    carpeta,
                ),
            )
            for u, (rol, nombre, clave) in USUARIOS.items()
            if rol != "CLIENTE"
        ]
        limite = time.monotonic() + ARRANQUE_S
        while True:
            assert proceso.poll() is None, f"soporte run exited:\n{servidor.registro()}"
            try:
                if servidor.pedir("GET", "/readyz").status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < limite, f"soporte run not ready:\n{servidor.registro()}"
            time.sleep(0.05)
        for u, (rol, nombre, clave) in USUARIOS.items():
            if rol == "CLIENTE":
                datos = {"username": u, "password": clave, "nombre": nombre}
                r = servidor.pedir(
                    "POST", "/api/auth/registro/", datos | {"email": f"{u}@guia.test"}
                )
                assert r.status == 201, r.cuerpo
        for u, alta in altas:
            _terminar(alta, f"createuser {u}")
        for u, (_, _, clave) in USUARIOS.items():
            r = servidor.pedir("POST", "/api/auth/token/", {"username": u, "password": clave})
            assert r.status == 200, r.cuerpo
            servidor.tokens[u] = r.json()["token"]
            servidor.ids[u] = r.json()["usuario"]["id"]
        for faq in FAQS:
            r = servidor.pedir("POST", "/api/soporte/faqs/", faq, como="admin")
            assert r.status == 201, r.cuerpo
        yield servidor
    finally:
        proceso.terminate()
        try:
            proceso.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proceso.kill()
            proceso.wait()
        log.close()
        shutil.rmtree(carpeta / "media", ignore_errors=True)
