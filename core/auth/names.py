"""Names people choose (usernames, display names): normalised, and never a disguise.

- :func:`normalize_name`: NFKC (full-width and other compatibility forms become ordinary
  letters), stripped, inner whitespace collapsed — what is stored.
- :func:`skeleton`: the key under which two names look alike. The UTS #39 skeleton of the
  case-folded name, from the ``disarm`` library (Unicode's confusables data, never a table of
  our own), with TR39's digit classes (``0``≡``o``, ``1``≡``l``): Cyrillic ``аdmin`` and
  ``ADMIN`` share the key of ``admin``, ``s0porte`` that of ``soporte``. Stored in
  ``Usuario.username_skeleton`` (indexed) so that a sign-up is checked with one query.
- :func:`impersonates_staff`: whether a customer's name carries a staff marker (``soporte``,
  ``admin``…), compared on the skeleton with accents removed: ``Carla Ruiz (Soporte)``,
  ``Ѕоpоrtе`` and ``sóporte`` all do. Staff accounts (made by ``soporte createuser``) may.
"""

from __future__ import annotations

import re
import unicodedata

from disarm import skeleton_key

#: Words that make a customer look like staff (Spanish and English).
STAFF_MARKERS = (
    "soporte",
    "support",
    "admin",
    "administrador",
    "staff",
    "agente",
    "moderador",
    "moderator",
    "equipo",
    "helpdesk",
)
#: The column holding the skeleton is this long; a longer skeleton is cut (still a fine key).
SKELETON_MAX_LENGTH = 600

_SPACES = re.compile(r"\s+")
_WORD_BREAKS = re.compile(r"[^\w]+|_")


def normalize_name(value: str) -> str:
    """``value`` in NFKC, stripped, with every run of whitespace made one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip()


def skeleton(value: str) -> str:
    """The confusable skeleton of ``value``: equal for names that look alike."""
    # Case-folded first: usernames are told apart case-insensitively by people, and TR39's
    # skeleton alone keeps "ADMIN" (whose I looks like l) apart from "admin".
    return skeleton_key(value.casefold(), digit_policy="tr39")[:SKELETON_MAX_LENGTH]


def _without_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _marker_key(value: str) -> str:
    return skeleton(_without_accents(value))


_MARKER_KEYS = tuple(_marker_key(m) for m in STAFF_MARKERS)


def impersonates_staff(value: str) -> bool:
    """Whether a word of ``value`` contains a staff marker (on skeletons, without accents)."""
    words = _WORD_BREAKS.split(_marker_key(value))
    return any(marker in word for word in words for marker in _MARKER_KEYS)
