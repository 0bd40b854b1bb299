"""The ``soporte`` command. Most cases run in-process through click's CliRunner; the console
script itself runs as a subprocess where what matters is the installed entry point (``--help``,
plugin commands of a third-party package, ``run``)."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from core.cli import DEMO_USERS, Env, cli
from core.i18n import ENVIRONMENT_VARIABLES
from core.keyring import derive_key
from core.plugins import installed_entry_points
from core.settings import Settings
from tests.core.ayudas import instalar_distribucion

if TYPE_CHECKING:
    from collections.abc import Mapping

SOPORTE = Path(sys.executable).parent / "soporte"


def entorno(db: Path, **extra: str) -> dict[str, str | None]:
    """Environment overrides: this test's database, no stray ``SOPORTE_*`` variable, and no
    language (the commands speak the default one, whatever the shell running the tests)."""
    env: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith("SOPORTE_") or k in ENVIRONMENT_VARIABLES
    }
    env["SOPORTE_DATABASE_URL"] = f"sqlite:///{db}"
    env.update(extra)
    return env


def invocar(args: list[str], env: Mapping[str, str | None]) -> Result:
    """Run ``soporte args`` in-process."""
    return CliRunner().invoke(cli, args, obj=Env(), env=dict(env))


def una_linea(result: Result | subprocess.CompletedProcess[str]) -> str:
    """The single line a failing command printed (no traceback)."""
    text = result.output if isinstance(result, Result) else result.stdout + result.stderr
    assert "Traceback" not in text, text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert lines[0].startswith("Error: "), text
    return lines[0]


def entorno_de_consola(**env: str) -> dict[str, str]:
    """The environment without its ``SOPORTE_*`` and language variables, plus ``env``."""
    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SOPORTE_") and k not in ENVIRONMENT_VARIABLES
    }
    full.update(env)
    return full


def consola(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script."""
    return subprocess.run(
        [str(SOPORTE), *args],
        cwd=cwd,
        env=entorno_de_consola(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database file path in an empty working directory (no soporte.toml around)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "datos" / "x.db"


def filas(db: Path, tabla: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(f'SELECT COUNT(*) FROM "{tabla}"').fetchone()[0]
    finally:
        con.close()


def todas_las_filas(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        tablas = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    finally:
        con.close()
    return {t: filas(db, t) for t in tablas if not t.startswith("sqlite_")}


def test_help_lists_the_commands(tmp_path: Path) -> None:
    p = consola(["--help"], tmp_path, SOPORTE_PLUGINS="none")
    assert p.returncode == 0, p.stderr
    for command in ("run", "migrate", "createuser", "demo", "plugins"):
        assert f"  {command} " in p.stdout, command


def test_migrate_applies_once(db: Path) -> None:
    env = entorno(db, SOPORTE_PLUGINS="none")
    r = invocar(["migrate"], env)
    assert r.exit_code == 0, r.output
    assert "aplicada core.0001_inicial" in r.output
    assert r.output.rstrip().endswith("base de datos al día (core)")
    assert filas(db, "core_usuario") == 0
    r = invocar(["migrate"], env)
    assert r.exit_code == 0 and "aplicada" not in r.output


def test_createuser_then_a_duplicate_fails_in_one_line(db: Path) -> None:
    env = entorno(db, SOPORTE_PLUGINS="none")
    assert invocar(["migrate"], env).exit_code == 0
    args = [
        "createuser",
        "--username",
        "ana",
        "--password",
        "clave-larga",
        "--rol",
        "AGENTE",
        "--nombre",
        "Ana",
        "--email",
        "ana@x.test",
    ]
    r = invocar(args, env)
    assert r.exit_code == 0, r.output
    assert r.output == "usuario creado: ana (AGENTE, id 1)\n"
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT rol, nombre, email, password_hash FROM core_usuario").fetchone()
    finally:
        con.close()
    assert row[:3] == ("AGENTE", "Ana", "ana@x.test") and row[3].startswith("$argon2")
    r = invocar(args, env)
    assert r.exit_code != 0
    assert "ya existe" in una_linea(r)
    assert filas(db, "core_usuario") == 1


def test_createuser_without_password_asks_for_it_hidden_and_twice(db: Path) -> None:
    """Not in the shell history: prompted for (getpass, no echo), confirmed."""
    from argon2 import PasswordHasher

    env = entorno(db, SOPORTE_PLUGINS="none")
    assert invocar(["migrate"], env).exit_code == 0
    args = ["createuser", "--username", "ana", "--rol", "ADMIN"]
    r = CliRunner().invoke(cli, args, obj=Env(), env=dict(env), input="clave-larga\notra-cosa\n")
    assert r.exit_code != 0 and filas(db, "core_usuario") == 0  # the two did not match
    assert "clave-larga" not in r.output
    entrada = "clave-larga\nclave-larga\n"
    r = CliRunner().invoke(cli, args, obj=Env(), env=dict(env), input=entrada)
    assert r.exit_code == 0, r.output
    assert "Nueva contraseña" in r.output and "Repita la contraseña" in r.output
    assert "clave-larga" not in r.output  # hidden: never echoed
    assert r.output.rstrip().endswith("usuario creado: ana (ADMIN, id 1)")
    con = sqlite3.connect(db)
    try:
        (hash_,) = con.execute("SELECT password_hash FROM core_usuario").fetchone()
    finally:
        con.close()
    assert PasswordHasher().verify(hash_, "clave-larga")


def test_createuser_refuses_a_short_password(db: Path) -> None:
    env = entorno(db, SOPORTE_PLUGINS="none")
    assert invocar(["migrate"], env).exit_code == 0
    r = invocar(["createuser", "--username", "ana", "--password", "corta"], env)
    assert r.exit_code != 0 and "8" in una_linea(r)


def test_createuser_applies_the_password_policy_and_lets_staff_say_soporte(db: Path) -> None:
    env = entorno(db, SOPORTE_PLUGINS="none")
    assert invocar(["migrate"], env).exit_code == 0
    r = invocar(["createuser", "--username", "ana", "--password", "password"], env)
    assert r.exit_code != 0 and "password: La contraseña es demasiado común." in una_linea(r)
    cliente = ["createuser", "--username", "carla", "--password", "una-clave-larga"]
    r = invocar([*cliente, "--nombre", "Carla Ruiz (Soporte)"], env)
    assert r.exit_code != 0 and una_linea(r).startswith("Error: nombre: ")
    r = invocar([*cliente, "--nombre", "Carla Ruiz (Soporte)", "--rol", "AGENTE"], env)
    assert r.exit_code == 0, r.output
    r = invocar(["createuser", "--username", "c\u0430rla", "--password", "otra-clave-larga"], env)
    assert r.exit_code != 0 and "se confunde" in una_linea(r)  # Cyrillic а: carla exists


def test_derived_key_prints_the_key_of_a_purpose(db: Path) -> None:
    env = entorno(db, SOPORTE_PLUGINS="none", SOPORTE_SECRET_KEY="fija")
    r = invocar(["derived-key", "webhooks"], env)
    assert r.exit_code == 0 and r.output == derive_key("fija", "webhooks") + "\n"
    assert derive_key("fija", "webhooks") not in (derive_key("fija", "download-links"), "fija")
    r = invocar(["derived-key", "No Vale"], env)
    assert r.exit_code != 0 and "not a key purpose" in una_linea(r)


def test_commands_on_a_database_never_migrated_fail_in_one_line(db: Path) -> None:
    env = entorno(db, SOPORTE_PLUGINS="none")
    r = invocar(["createuser", "--username", "ana", "--password", "clave-larga"], env)
    assert r.exit_code != 0
    assert "soporte migrate" in una_linea(r)
    r = invocar(["demo"], env)
    assert r.exit_code != 0 and "soporte migrate" in una_linea(r)


def test_demo_is_idempotent_and_prints_the_logins(db: Path) -> None:
    env = entorno(db, SOPORTE_PLUGINS="none")
    assert invocar(["migrate"], env).exit_code == 0
    r = invocar(["demo"], env)
    assert r.exit_code == 0, r.output
    for username, (password, rol, _) in DEMO_USERS.items():
        assert f"usuario: {username}" in r.output and f"contraseña: {password}" in r.output
        assert rol.value in r.output
    counts = todas_las_filas(db)
    assert counts["core_usuario"] == 4
    r = invocar(["demo"], env)
    assert r.exit_code == 0, r.output
    assert todas_las_filas(db) == counts


def test_demo_with_every_installed_plugin_is_idempotent(db: Path) -> None:
    env = entorno(db)  # SOPORTE_PLUGINS unset: all installed
    r = invocar(["migrate"], env)
    assert r.exit_code == 0, r.output
    r = invocar(["demo"], env)
    assert r.exit_code == 0, r.output
    counts = todas_las_filas(db)
    r = invocar(["demo"], env)
    assert r.exit_code == 0, r.output
    assert todas_las_filas(db) == counts


def test_plugins_lists_installed_and_enabled_with_versions(db: Path) -> None:
    installed = sorted(installed_entry_points())
    r = invocar(["plugins"], entorno(db, SOPORTE_PLUGINS="none"))
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert [line.split()[1] for line in lines] == installed
    assert all(line.startswith("disabled ") for line in lines)
    r = invocar(["plugins"], entorno(db, SOPORTE_PLUGINS="tickets,chat"))
    assert r.exit_code == 0, r.output
    by_name = {line.split()[1]: line for line in r.output.splitlines()}
    assert by_name["tickets"].startswith("enabled  tickets 0.1.0 [soporte]")
    assert by_name["chat"].startswith("enabled  chat 0.1.0 [soporte]")
    assert by_name["chat"].endswith("requires tickets")
    assert by_name["faq"].startswith("disabled faq 0.1.0")


def test_plugins_with_chat_but_not_tickets_names_tickets(tmp_path: Path) -> None:
    p = consola(["plugins"], tmp_path, SOPORTE_PLUGINS="chat")
    assert p.returncode != 0
    line = una_linea(p)
    assert "'tickets'" in line and "'chat'" in line


def test_an_unknown_plugin_or_a_bad_setting_fails_in_one_line(db: Path) -> None:
    r = invocar(["plugins"], entorno(db, SOPORTE_PLUGINS="nada"))
    assert r.exit_code != 0 and "nada" in una_linea(r)
    r = invocar(["migrate"], entorno(db, SOPORTE_PLUGINS="none", SOPORTE_MAX_FILES="0"))
    assert r.exit_code != 0 and "SOPORTE_MAX_FILES" in una_linea(r)


def test_run_with_several_workers_needs_a_database_server_and_redis(db: Path) -> None:
    r = invocar(["run", "--workers", "2"], entorno(db, SOPORTE_PLUGINS="none"))
    assert r.exit_code != 0
    assert "--workers > 1 necesita un servidor de base de datos" in una_linea(r)
    sin_redis = entorno(
        db, SOPORTE_PLUGINS="none", SOPORTE_DATABASE_URL="postgres://nadie@127.0.0.1:1/x"
    )
    r = invocar(["run", "--workers", "2"], sin_redis)
    assert r.exit_code != 0
    assert "--workers > 1 necesita SOPORTE_REDIS_URL" in una_linea(r)


def _puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def servir(
    cwd: Path, host: str, port: int, stderr: int = subprocess.PIPE, **env: str
) -> subprocess.Popen[str]:
    """``soporte run`` in the background, with ``env`` over the environment's non-soporte
    variables; its output readable as text."""
    return subprocess.Popen(
        [str(SOPORTE), "run", "--host", host, "--port", str(port)],
        cwd=cwd,
        env=entorno_de_consola(**env),
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def leer_hasta(proc: subprocess.Popen[str], marca: str, espera: float = 60) -> list[str]:
    """The lines ``soporte run`` prints up to the first that contains ``marca``."""
    lineas: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + espera
    while time.monotonic() < deadline:
        linea = proc.stdout.readline()
        assert linea, "soporte run ended:\n" + "".join(lineas)
        lineas.append(linea)
        if marca in linea:
            break
    return lineas


def test_run_serves_until_interrupted(tmp_path: Path) -> None:
    port = _puerto_libre()
    base = f"sqlite:///{tmp_path}/x.db"
    proc = servir(tmp_path, "127.0.0.1", port, SOPORTE_PLUGINS="none", SOPORTE_DATABASE_URL=base)
    try:
        body = None
        deadline = time.monotonic() + 20
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    body = r.read()
            except OSError:
                time.sleep(0.1)
        assert body == b'{"status":"ok"}'
        # The secret key is generated beside the database at first start.
        assert (tmp_path / ".secret_key").exists()
    finally:
        proc.send_signal(2)  # SIGINT, as Ctrl-C
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_run_prints_the_addresses_and_demo_logins_after_the_start_up_warnings(
    tmp_path: Path,
) -> None:
    """``make run``'s last lines: portal, console and API docs, then the demo logins — after
    the first escalation pass has warned about the demo's overdue tickets, not buried by it."""
    port = _puerto_libre()
    env = {
        "SOPORTE_PLUGINS": "tickets,escalamiento",
        "SOPORTE_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "SOPORTE_MEDIA_DIR": str(tmp_path / "media"),
    }
    for paso in (["migrate"], ["demo"]):
        p = consola(paso, tmp_path, **env)
        assert p.returncode == 0, p.stderr
    proc = servir(tmp_path, "0.0.0.0", port, stderr=subprocess.STDOUT, **env)
    try:
        lineas = leer_hasta(proc, "usuario: admin")
    finally:
        proc.send_signal(2)
        proc.communicate(timeout=20)
    salida = "".join(lineas)
    base = f"http://localhost:{port}"
    for esperado in (f"{base}/\n", f"{base}/agente/\n", f"{base}/api/docs/\n"):
        assert esperado in salida, salida
    avisos = [i for i, linea in enumerate(lineas) if "escalado a nivel" in linea]
    assert avisos, salida  # the demo's overdue tickets escalate at start-up
    portal = next(i for i, linea in enumerate(lineas) if "Portal de clientes" in linea)
    assert max(avisos) < portal, salida
    logins = [linea.split()[2] for linea in lineas[portal:] if "usuario:" in linea]
    assert logins == list(DEMO_USERS), salida


def test_run_shows_no_demo_login_that_does_not_work(db: Path) -> None:
    """A demo account whose password was changed is not advertised."""
    from core.cli import _demo_login_lines

    env = entorno(db, SOPORTE_PLUGINS="none")
    assert invocar(["migrate"], env).exit_code == 0
    assert invocar(["demo"], env).exit_code == 0
    r = CliRunner().invoke(
        cli,
        ["changepassword", "admin", "--password-stdin"],
        obj=Env(),
        env=env,
        input="otra-clave-9\n",
    )
    assert r.exit_code == 0, r.output
    with pytest.MonkeyPatch.context() as mp:
        for clave, valor in env.items():
            if valor is None:
                mp.delenv(clave, raising=False)
            else:
                mp.setenv(clave, valor)
        lineas = _demo_login_lines(Env())
    assert [linea.split()[2] for linea in lineas[1:]] == ["cliente", "cliente2", "agente"]


def test_run_on_a_taken_port_fails_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        env = {"SOPORTE_PLUGINS": "none", "SOPORTE_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
        # Migrated first: on an unmigrated database the outbox worker may warn about its
        # missing table before the bind fails, and this test is about the bind's one line.
        assert consola(["migrate"], tmp_path, **env).returncode == 0
        p = consola(["run", "--host", "127.0.0.1", "--port", str(port)], tmp_path, **env)
    assert p.returncode != 0 and "address already in use" in una_linea(p)


def test_hook_register_commands_from_a_third_party_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pip-installed plugin adds a ``soporte`` sub-command and feeds ``soporte demo``."""
    site = instalar_distribucion(
        tmp_path / "site",
        "soporte-extra",
        "3.1.4",
        {"extra": "soporte_extra_plugin"},
        {
            "soporte_extra_plugin": """
                import click

                from core import hookimpl

                name = "extra"

                @hookimpl
                def register_commands(cli):
                    @cli.command()
                    @click.argument("quien")
                    def saludar(quien):
                        \"\"\"Say hello.\"\"\"
                        click.echo(f"hola, {quien}")

                @hookimpl
                def load_demo_data(usuarios):
                    click.echo("demo extra: " + ",".join(sorted(usuarios)))
                """
        },
    )
    env = {
        "PYTHONPATH": str(site),
        "SOPORTE_PLUGINS": "extra",
        "SOPORTE_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    # The console script adds the plugin's command before parsing.
    p = consola(["saludar", "mundo"], tmp_path, **env)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hola, mundo\n"
    p = consola(["saludar", "mundo"], tmp_path, **{**env, "SOPORTE_PLUGINS": "none"})
    assert p.returncode != 0 and "No such command 'saludar'" in p.stderr
    # The same package, in-process: listed with its distribution's version, and its demo data.
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.chdir(tmp_path)
    cli_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    r = invocar(["plugins"], entorno(tmp_path / "x.db", **cli_env))
    assert "enabled  extra 3.1.4 [soporte-extra]" in r.output
    assert invocar(["migrate"], entorno(tmp_path / "x.db", **cli_env)).exit_code == 0
    r = invocar(["demo"], entorno(tmp_path / "x.db", **cli_env))
    assert r.exit_code == 0, r.output
    assert "demo extra: admin,agente,cliente,cliente2" in r.output
    sys.modules.pop("soporte_extra_plugin", None)


# --- soporte config ------------------------------------------------------------------------

CONFIG_TOML = """\
log_level = "WARNING"

[plugins]
enabled = ["tickets", "escalamiento", "vip"]

[plugins.vip]
clientes = ["ana", "luis"]
"""


def config_lines(result: Result) -> dict[tuple[str, str], str]:
    """``(section, setting) → "value  (source)"`` from the output of ``soporte config``."""
    assert result.exit_code == 0, result.output
    rows: dict[tuple[str, str], str] = {}
    section = ""
    for line in result.output.splitlines():
        if not line.startswith("  "):
            section = line.rstrip(":")
            continue
        name, rest = line.strip().split(None, 1)
        rows[section, name] = rest
    return rows


def test_config_shows_every_setting_with_its_source_and_masks_secrets(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defaults, variables (new and old names), soporte.toml keys and tables, masked secrets."""
    (db.parent.parent / "soporte.toml").write_text(CONFIG_TOML)
    env = entorno(
        db,
        SOPORTE_DATABASE_URL="postgres://soporte:hunter2@db.example.com/soporte",
        SOPORTE_SECRET_KEY="clave-muy-secreta",
        SOPORTE_MAX_ARCHIVOS="3",  # the old name of max_files
        SOPORTE_ESCALAMIENTO_INTERVALO="15",  # the old name of interval
        SOPORTE_ESCALAMIENTO_WEBHOOK_SECRET="firma-secreta",
    )
    with pytest.warns(DeprecationWarning):
        rows = config_lines(invocar(["config"], env))
    core = {name: rest for (section, name), rest in rows.items() if section == "core"}
    assert "plugin_settings" not in core  # code only: nothing for an operator to read
    assert core["database_url"] == (
        "postgres://soporte:********@db.example.com/soporte  (env SOPORTE_DATABASE_URL)"
    )
    assert core["secret_key"] == "********  (env SOPORTE_SECRET_KEY)"
    # The variable actually set is named, not the new one it stands for.
    assert core["max_files"] == "3  (env SOPORTE_MAX_ARCHIVOS (deprecated))"
    assert core["log_level"] == "WARNING  (soporte.toml)"
    assert core["plugins"] == "tickets, escalamiento, vip  (soporte.toml)"
    assert core["link_ttl_seconds"] == "3600  (default)"
    assert rows["plugin escalamiento", "interval"] == (
        "15.0  (env SOPORTE_ESCALAMIENTO_INTERVALO (deprecated))"
    )
    assert rows["plugin escalamiento", "webhook_secret"] == (
        "********  (env SOPORTE_ESCALAMIENTO_WEBHOOK_SECRET)"
    )
    assert rows["plugin escalamiento", "webhook_url"] == "unset  (default)"
    assert rows["plugin vip", "clientes"] == "ana, luis  ([plugins.vip] clientes in soporte.toml)"
    output = "\n".join(rows.values())
    assert "hunter2" not in output and "secreta" not in output
    assert rows["plugin tickets", "lote_maximo"] == "5000  (default)"
    # Only the enabled plugins' settings are shown (escalamiento requires tickets).
    assert {section for section, _ in rows} == {
        "core",
        "plugin escalamiento",
        "plugin tickets",
        "plugin vip",
    }


def test_config_names_code_as_the_source_of_values_given_in_code(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings built in code (embedding): their values, core and plugins', say ``code``."""
    for name, value in entorno(db).items():  # built here, outside the runner's environment
        if value is None:
            monkeypatch.delenv(name)
    settings = Settings(
        plugins=["tickets", "escalamiento"],
        max_upload_mb=2,
        plugin_settings={"escalamiento": {"webhook_url": "https://hooks.example.com/x"}},
    )
    result = CliRunner().invoke(cli, ["config"], obj=Env(settings), env=entorno(db))
    rows = config_lines(result)
    assert rows["core", "max_upload_mb"] == "2.0  (code)"
    assert rows["core", "plugins"] == "tickets, escalamiento  (code)"
    assert rows["plugin escalamiento", "webhook_url"] == "https://hooks.example.com/x  (code)"
    assert rows["plugin escalamiento", "interval"] == "60.0  (default)"


def test_a_bad_value_under_an_old_name_is_reported_under_that_name(db: Path) -> None:
    """The one-line error names the variable or key actually used, not the new name."""
    with pytest.warns(DeprecationWarning):
        r = invocar(["config"], entorno(db, SOPORTE_PLUGINS="none", SOPORTE_MAX_ARCHIVOS="0"))
    assert r.exit_code != 0
    assert una_linea(r) == (
        "Error: ajuste inválido SOPORTE_MAX_ARCHIVOS (deprecated): "
        "Input should be greater than or equal to 1"
    )
    (db.parent.parent / "soporte.toml").write_text("max_archivos = 0\n")
    with pytest.warns(DeprecationWarning):
        r = invocar(["config"], entorno(db, SOPORTE_PLUGINS="none"))
    assert r.exit_code != 0
    assert una_linea(r).startswith(
        "Error: ajuste inválido max_files (max_archivos in soporte.toml (deprecated)): "
    )


def test_mail_test_sends_one_mail_through_the_configured_server(tmp_path: Path) -> None:
    from core.testing import SmtpSink

    with SmtpSink() as sink:
        env = entorno(tmp_path / "x.db", SOPORTE_SMTP_URL=sink.url)
        result = invocar(["mail", "test", "ana@example.test"], env)
        assert result.exit_code == 0, result.output
        [recibido] = sink.wait_for_sync(1)
        assert recibido.rcpt_tos == ("ana@example.test",)
        assert recibido.message["Message-ID"] in result.output
        # The server refuses it: a one-line error naming the server's answer, non-zero exit.
        sink.reply_next("550 5.7.1 No se admite")
        result = invocar(["mail", "test", "ana@example.test"], env)
    assert result.exit_code == 1
    assert "550 5.7.1 No se admite" in una_linea(result)


def test_mail_test_without_a_server_writes_to_the_log(tmp_path: Path) -> None:
    result = invocar(["mail", "test", "ana@example.test"], entorno(tmp_path / "x.db"))
    assert result.exit_code == 0, result.output
    assert "se escribió en el log" in result.output


def test_mail_test_when_nothing_listens_fails_in_one_line(tmp_path: Path) -> None:
    from core.testing import free_port

    url = f"smtp://127.0.0.1:{free_port()}"
    result = invocar(
        ["mail", "test", "a@example.test"], entorno(tmp_path / "x.db", SOPORTE_SMTP_URL=url)
    )
    assert result.exit_code == 1
    assert una_linea(result).startswith("Error: correo no enviado:")


# --- the command's language: the environment's, as gettext reads it; Spanish by default ------


@pytest.mark.parametrize(
    ("variables", "idioma"),
    [
        ({}, "es"),
        ({"LANG": "C.UTF-8"}, "es"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "es"),  # not a language of the app: the default
        ({"LC_MESSAGES": "en_GB", "LANG": "es_ES.UTF-8"}, "en"),
        ({"LC_ALL": "es_ES.UTF-8", "LC_MESSAGES": "en_GB", "LANG": "en_US.UTF-8"}, "es"),
        ({"LANGUAGE": "fr:en", "LANG": "es_ES.UTF-8"}, "en"),  # the first known of a list
        ({"LANGUAGE": "fr", "LANG": "en_US.UTF-8"}, "en"),  # naming nothing known: the next
        ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, "es"),  # C decides, as gettext reads it
    ],
)
def test_the_language_of_a_command_is_the_environments(
    variables: dict[str, str], idioma: str
) -> None:
    from core.i18n import environment_locale

    assert environment_locale(variables) == idioma


def test_migrate_createuser_and_demo_speak_english_in_an_english_environment(db: Path) -> None:
    env = entorno(db, SOPORTE_PLUGINS="none", LANG="en_US.UTF-8")
    r = invocar(["migrate"], env)
    assert r.exit_code == 0, r.output
    assert "applied core.0001_inicial" in r.output
    assert r.output.rstrip().endswith("database up to date (core)")

    args = ["createuser", "--username", "ana", "--rol", "ADMIN"]
    r = CliRunner().invoke(cli, args, obj=Env(), env=dict(env), input="clave-larga\nclave-larga\n")
    assert r.exit_code == 0, r.output
    assert "New password" in r.output and "Repeat the password" in r.output
    assert r.output.rstrip().endswith("user created: ana (ADMIN, id 1)")
    # The sign-up rules' refusals, in one English line.
    r = invocar(["createuser", "--username", "bea", "--password", "password"], env)
    assert r.exit_code != 0
    assert una_linea(r) == "Error: password: The password is too common."

    r = invocar(["demo"], env)
    assert r.exit_code == 0, r.output
    assert "demo data loaded. Demo logins:" in r.output
    for username, (password, _, _) in DEMO_USERS.items():
        assert f"user: {username}" in r.output and f"password: {password}" in r.output
    # The same commands, the default language again: nothing leaked from the English run.
    r = invocar(["migrate"], entorno(db, SOPORTE_PLUGINS="none"))
    assert r.output.rstrip().endswith("base de datos al día (core)")


def test_errors_of_a_command_in_the_environments_language(db: Path) -> None:
    env = entorno(db, SOPORTE_PLUGINS="none", LC_ALL="en_GB.UTF-8")
    r = invocar(["createuser", "--username", "ana", "--password", "clave-larga"], env)
    assert r.exit_code != 0
    assert una_linea(r).startswith("Error: database error: ")
    assert una_linea(r).endswith("(has `soporte migrate` been run?)")
    r = invocar(["run", "--workers", "2"], env)
    assert "--workers > 1 needs a database server" in una_linea(r)
    r = invocar(["changepassword", "nadie", "--password-stdin"], {**env, "LC_ALL": "es_ES"})
    assert r.exit_code != 0 and "la contraseña necesita al menos 8" in una_linea(r)


def test_run_prints_its_addresses_in_english_in_an_english_shell(tmp_path: Path) -> None:
    port = _puerto_libre()
    env = {
        "SOPORTE_PLUGINS": "none",
        "SOPORTE_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "LANG": "en_US.UTF-8",
    }
    p = consola(["migrate"], tmp_path, **env)
    assert p.returncode == 0 and "database up to date" in p.stdout, p.stdout + p.stderr
    proc = servir(tmp_path, "127.0.0.1", port, stderr=subprocess.STDOUT, **env)
    try:
        lineas = leer_hasta(proc, "API documentation")
        # The server itself answers in the request's language, not the shell's.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            assert r.headers["Content-Language"] == "es"
    finally:
        proc.send_signal(2)
        proc.communicate(timeout=20)
    salida = "".join(lineas)
    base = f"http://127.0.0.1:{port}"
    assert f"soporte is serving on {base}/ (Ctrl+C to stop)" in salida, salida
    assert f"  Customer portal:          {base}/\n" in salida, salida
    assert f"  Agent console:            {base}/agente/\n" in salida, salida
    assert f"  API documentation:        {base}/api/docs/\n" in salida, salida
