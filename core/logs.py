"""Logging for ``soporte run`` and the other commands: one line per record, always.

Client text reaches log messages (a ticket's subject in an escalation line, a request path in
an error line). A CR or LF in it would start a line of its own that reads like the server's,
and an ANSI escape could rewrite the operator's terminal; :class:`EscapingFormatter` escapes
every C0 and C1 control character of the rendered message (``\\n`` → ``\\\\n``, ``\\x1b`` →
``\\\\x1b``). Tracebacks, appended after the message, keep their lines.
"""

from __future__ import annotations

import logging
import re

#: C0 controls (tab included: it can align a forged line), DEL and C1 controls.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def escape_controls(text: str) -> str:
    """``text`` with every control character written as an escape sequence."""
    return _CONTROLS.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


class EscapingFormatter(logging.Formatter):
    """A formatter whose message part never holds a control character."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # logging's name
        """The record's line, its message escaped (the record itself is left as it was, for
        any other handler)."""
        original = record.message
        record.message = escape_controls(original)
        try:
            return super().formatMessage(record)
        finally:
            record.message = original


def configure_logging(level: str) -> None:
    """Log to stderr at ``level`` through :class:`EscapingFormatter` (what every ``soporte``
    command does first)."""
    logging.basicConfig(level=level.upper(), format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(EscapingFormatter(FORMAT))
