"""The password policy: what a new password must not be.

One public function, :func:`check_password`, for every place a password is chosen: sign-up
(``POST /api/auth/registro/``), ``soporte createuser`` and, later, password changes. It refuses
a password that is

- shorter than the configured minimum (``SOPORTE_PASSWORD_MIN_LENGTH``, never below 8);
- in a list of 20,000 common passwords (Django's, shipped in ``data/`` with its BSD licence);
- made only of digits;
- too similar to the username, the display name or the local part of the e-mail address
  (the test Django's ``UserAttributeSimilarityValidator`` applies, with the same 0.7 ratio).

Messages are Spanish and go on the ``password`` field, as the guide's sign-up form shows them.
"""

from __future__ import annotations

import gzip
import re
from difflib import SequenceMatcher
from functools import cache
from importlib.resources import files

from core.api.errors import BadRequest
from core.i18n import N_
from core.i18n import gettext as _

#: The floor of ``SOPORTE_PASSWORD_MIN_LENGTH`` (NIST SP 800-63B's minimum for chosen secrets).
MIN_LENGTH_FLOOR = 8
#: Above this ratio of :class:`difflib.SequenceMatcher` a password is "too similar" (Django's).
MAX_SIMILARITY = 0.7

_PARTS = re.compile(r"\W+")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (read once, on first use)."""
    data = files("core.auth").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(line.strip() for line in gzip.decompress(data).decode().splitlines())


def _too_similar(password: str, value: str) -> bool:
    """Whether ``password`` is too close to ``value`` or to one of its words."""
    value = value.casefold()
    if not value:
        return False
    password = password.casefold()
    for part in {value, *_PARTS.split(value)}:
        if len(part) < 3:
            continue  # "a", "de": too short to say anything about a password
        matcher = SequenceMatcher(a=password, b=part)
        # quick_ratio() is an upper bound of ratio(): the exact ratio only when it may matter.
        if matcher.quick_ratio() >= MAX_SIMILARITY and matcher.ratio() >= MAX_SIMILARITY:
            return True
    return False


def password_problems(
    password: str,
    *,
    username: str = "",
    nombre: str = "",
    email: str = "",
    min_length: int = MIN_LENGTH_FLOOR,
) -> list[str]:
    """Every rule ``password`` breaks, as messages in the current language (empty:
    acceptable)."""
    problems: list[str] = []
    minimum = max(min_length, MIN_LENGTH_FLOOR)
    if len(password) < minimum:
        problems.append(_("La contraseña debe tener al menos {n} caracteres.").format(n=minimum))
    if password.isdigit():
        problems.append(N_("La contraseña no puede estar formada solo por números."))
    if password.casefold().strip() in common_passwords():
        problems.append(N_("La contraseña es demasiado común."))
    local_part = email.partition("@")[0]
    for sentence, value in (
        (N_("La contraseña se parece demasiado al nombre de usuario."), username),
        (N_("La contraseña se parece demasiado al nombre."), nombre),
        (N_("La contraseña se parece demasiado al correo electrónico."), local_part),
    ):
        if _too_similar(password, value):
            problems.append(_(sentence))
            break  # one such message is enough: the fix is the same
    return problems


def check_password(
    password: str,
    *,
    username: str = "",
    nombre: str = "",
    email: str = "",
    min_length: int = MIN_LENGTH_FLOOR,
) -> None:
    """Refuse ``password`` with a 400 whose ``errors.password`` lists every broken rule."""
    problems = password_problems(
        password, username=username, nombre=nombre, email=email, min_length=min_length
    )
    if problems:
        raise BadRequest("Datos inválidos.", errors={"password": problems})
