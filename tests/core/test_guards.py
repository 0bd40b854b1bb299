"""The set form of the visibility rule (``audience``) says what ``can_see`` and
``reply_visible`` say, for every role, owner and note flag."""

from __future__ import annotations

import itertools

from core.auth.guards import audience, can_see, reply_visible
from core.auth.models import Rol, Usuario


def test_audience_admits_exactly_the_users_the_in_memory_rules_admit() -> None:
    checked = 0
    for rol, propietario, interna in itertools.product(Rol, (None, 7, 8), (False, True)):
        usuario = Usuario(id=7, username="u", rol=rol)
        a = audience(propietario, interna=interna)
        by_set = usuario.rol in a.roles or (a.owner_id is not None and a.owner_id == usuario.id)
        assert by_set == (can_see(usuario, propietario) and reply_visible(usuario, interna)), (
            rol,
            propietario,
            interna,
        )
        checked += 1
    assert checked == len(Rol) * 3 * 2
    # A customer who owns the ticket is in the audience of a reply, never of a note.
    assert audience(7).owner_id == 7
    assert audience(7, interna=True).owner_id is None
