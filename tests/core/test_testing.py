"""The test kit's ini option ``soporte_autouse``: on by default, off when a project says so."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

_PROBE = """
from tortoise.backends.base.executor import EXECUTOR_CACHE

def test_a():
    EXECUTOR_CACHE["probe"] = 1

def test_b():
    print("CACHE", "probe" in EXECUTOR_CACHE)
"""


@pytest.mark.parametrize(("ini", "kept"), [("", False), ("soporte_autouse = false", True)])
def test_the_autouse_fixture_follows_the_ini_option(
    pytester: pytest.Pytester, ini: str, kept: bool
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(_PROBE)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"*CACHE {kept}*"])


async def test_the_smtp_sink_receives_real_smtp() -> None:
    """The kit's SMTP sink is a real server: a client speaking SMTP gets its message kept."""
    import smtplib
    from email.message import EmailMessage

    from core.testing import SmtpSink

    with SmtpSink() as sink:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@example.test", "b@example.test", "Prueba"
        msg.set_content("hola")
        sink.reply_next("451 4.3.0 luego")
        with smtplib.SMTP(sink.host, sink.port) as client:
            with pytest.raises(smtplib.SMTPDataError):
                client.send_message(msg)
            client.send_message(msg)
        [recibido] = await sink.wait_for(1)
    assert recibido.rcpt_tos == ("b@example.test",)
    assert recibido.message["Subject"] == "Prueba"
    assert recibido.message.get_content().strip() == "hola"
