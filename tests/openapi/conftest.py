"""tests/openapi's fixtures: the real server, its OpenAPI document, and a client generated from it.

``servidor`` (one per session) runs ``soporte migrate`` and ``soporte run`` in subprocesses with
every installed plugin, on a temporary SQLite database (a fresh PostgreSQL schema under
``SOPORTE_TEST_DATABASE_URL``) and a free loopback port; staff accounts come from
``soporte createuser``, the customer signs up through the API. ``cliente_generado`` runs
``openapi-python-client`` (pinned in pyproject.toml) on the served document into a temporary
folder and imports the package it writes.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from core.testing import free_port, fresh_database

if TYPE_CHECKING:
    from collections.abc import Iterator

AQUI = Path(__file__).resolve().parent
BIN = AQUI.parents[1] / ".venv" / "bin"
#: Staff accounts (``soporte createuser``): username → (role, password).
PERSONAL = {"admin": ("ADMIN", "clave-admin-openapi"), "agente": ("AGENTE", "clave-agente-openapi")}
CLIENTE = ("cliente", "clave-cliente-openapi")
ARRANQUE_S = 30


@dataclass
class Servidor:
    """The running ``soporte run`` process."""

    base: str
    carpeta: Path
    env: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)

    def pedir(self, metodo: str, ruta: str, cuerpo: Any = None) -> tuple[int, Any]:
        """One JSON request (no token): ``(status, body)``."""
        datos = json.dumps(cuerpo).encode() if cuerpo is not None else None
        req = urllib.request.Request(
            self.base + ruta,
            data=datos,
            method=metodo,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def soporte(self, *args: str) -> str:
        """Run ``soporte ARGS`` against the server's database; its output."""
        hecho = subprocess.run(
            [str(BIN / "soporte"), *args],
            env=self.env,
            cwd=self.carpeta,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert hecho.returncode == 0, f"soporte {' '.join(args)}:\n{hecho.stdout}{hecho.stderr}"
        return hecho.stdout

    def registro(self) -> str:
        """The end of the server's log (for failure messages)."""
        log = self.carpeta / "servidor.log"
        return log.read_text(errors="replace")[-4000:] if log.exists() else ""


@pytest.fixture(scope="session")
def servidor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servidor]:
    """``soporte run`` with every installed plugin, migrated, with an admin, an agent and a
    customer."""
    carpeta = tmp_path_factory.mktemp("openapi")
    with fresh_database(carpeta, "openapi") as base_de_datos:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")}
        env.update(
            SOPORTE_DATABASE_URL=base_de_datos,
            SOPORTE_MEDIA_DIR=str(carpeta / "media"),
            SOPORTE_SECRET_KEY="clave-de-la-suite-openapi",
            SOPORTE_ESCALAMIENTO_INTERVAL="0.3",
            SOPORTE_LOG_LEVEL="WARNING",
            # Sign-ups get a verification link (read back from the outbox by the scenario).
            SOPORTE_EMAIL_VERIFICATION="optional",
            # The scenario's webhook receiver listens on a loopback port (the SSRF guard).
            SOPORTE_WEBHOOKS_PERMITIR_PRIVADAS="true",
        )
        puerto = free_port()
        servidor = Servidor(f"http://127.0.0.1:{puerto}", carpeta, env)
        servidor.soporte("migrate")
        log = (carpeta / "servidor.log").open("w")
        proceso = subprocess.Popen(
            [str(BIN / "soporte"), "run", "--host", "127.0.0.1", "--port", str(puerto)],
            env=env,
            cwd=carpeta,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            for usuario, (rol, clave) in PERSONAL.items():
                servidor.soporte(
                    *("createuser", "--username", usuario, "--password", clave, "--rol", rol),
                    *("--nombre", usuario.capitalize(), "--email", f"{usuario}@openapi.test"),
                )
            limite = time.monotonic() + ARRANQUE_S
            while True:
                assert proceso.poll() is None, f"soporte run exited:\n{servidor.registro()}"
                try:
                    if servidor.pedir("GET", "/readyz")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < limite, f"not ready:\n{servidor.registro()}"
                time.sleep(0.05)
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


@pytest.fixture(scope="session")
def documento(servidor: Servidor) -> dict[str, Any]:
    """``GET /api/openapi.json`` of the running server (every installed plugin)."""
    status, doc = servidor.pedir("GET", "/api/openapi.json")
    assert status == 200
    assert isinstance(doc, dict)
    return doc


def _importar_unset(paquete: Path) -> None:
    """Work around a defect of openapi-python-client 0.28–0.29's templates, not of the document:
    an operation with two request media types (JSON or multipart) is annotated
    ``body: A | B | Unset`` (``endpoint_macros.py.jinja`` sets ``body_required`` inside a loop,
    where Jinja drops it) without importing ``Unset``. The import is all this adds."""
    for modulo in (paquete / "api").glob("*/*.py"):
        texto = modulo.read_text()
        if re.search(r"\bUnset\b", texto) and not re.search(r"import[^\n]*\bUnset\b", texto):
            modulo.write_text("from ...types import Unset\n" + texto)


@dataclass
class Generado:
    """The package ``openapi-python-client`` wrote, imported, and what it said."""

    paquete: ModuleType
    carpeta: Path
    salida: str


@pytest.fixture(scope="session")
def cliente_generado(
    documento: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generado]:
    """A Python client generated from the served document, importable as ``cliente_soporte``."""
    carpeta = tmp_path_factory.mktemp("cliente")
    spec = carpeta / "openapi.json"
    spec.write_text(json.dumps(documento))
    destino = carpeta / "cliente_soporte"
    # The generator formats its output with ruff, which it finds on PATH (the venv's).
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    hecho = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            *("generate", "--path", str(spec), "--output-path", str(destino)),
            *("--meta", "none", "--config", str(AQUI / "generador.yaml")),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    salida = hecho.stdout + hecho.stderr
    assert hecho.returncode == 0, salida
    _importar_unset(destino)
    sys.path.insert(0, str(carpeta))
    try:
        yield Generado(importlib.import_module("cliente_soporte"), destino, salida)
    finally:
        sys.path.remove(str(carpeta))
        for nombre in [m for m in sys.modules if m.split(".")[0] == "cliente_soporte"]:
            del sys.modules[nombre]
