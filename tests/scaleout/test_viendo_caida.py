"""A crashed process's viewers disappear: two real ``soporte run`` processes on one database and
one Redis; a customer views a ticket through B, an agent through A sees her; B is SIGKILLed —
no goodbye of any kind — and within a few announcement periods A tells the agent she is gone.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import TYPE_CHECKING, Any

import aiohttp

from tests.reliability.servidor import Servidor

if TYPE_CHECKING:
    from pathlib import Path

    from tests.scaleout.ayudas import RedisPrivado

#: Announcements every 0.3 s: a silent process is forgotten after 0.9 s, told within 1.2 s.
PERIODO = 0.3


def _crear_ticket(url: str, token: str) -> int:
    cuerpo = json.dumps({"asunto": "Pago", "categoria": "PAGOS", "descripcion": "No puedo pagar"})
    peticion = urllib.request.Request(
        f"{url}/api/soporte/tickets/",
        data=cuerpo.encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(peticion, timeout=10) as r:
        return int(json.load(r)["id"])


async def _viendo(ws: Any, esperados: set[str], espera: float) -> float:
    """Wait for the ``viendo`` frame naming exactly ``esperados`` (by role); when it came."""
    async with asyncio.timeout(espera):
        while True:
            frame = await ws.receive_json()
            if frame["tipo"] == "viendo" and {u["rol"] for u in frame["usuarios"]} == esperados:
                return time.monotonic()


async def test_sigkill_de_un_proceso_borra_a_sus_espectadores(
    redis_privado: RedisPrivado, tmp_path: Path
) -> None:
    base = f"sqlite://{tmp_path / 'compartida.db'}"
    extra = {
        "SOPORTE_REDIS_URL": redis_privado.url,
        "SOPORTE_CHAT_VIEWERS_ANNOUNCE_SECONDS": str(PERIODO),
        "SOPORTE_PLUGINS": "tickets,chat",
    }
    a = Servidor(tmp_path / "a", base, extra=extra)
    b = Servidor(tmp_path / "b", base, extra=extra)
    a.preparar({"lucia": "CLIENTE", "carla": "AGENTE"})
    b.directorio.mkdir(parents=True, exist_ok=True)
    a.arrancar()
    b.arrancar()
    try:
        cliente, agente = a.token("lucia"), a.token("carla")
        ticket = _crear_ticket(a.url, cliente)
        ruta = f"/ws/soporte/ticket/{ticket}/"
        async with aiohttp.ClientSession() as http:
            ws_agente = await http.ws_connect(
                f"{a.url}{ruta}", params={"token": agente, "viendo": "true", "historial": "0"}
            )
            await _viendo(ws_agente, {"AGENTE"}, 10)
            ws_cliente = await http.ws_connect(
                f"{b.url}{ruta}", params={"token": cliente, "historial": "0"}
            )
            await _viendo(ws_agente, {"AGENTE", "CLIENTE"}, 10)  # B told A
            b.matar()
            muerto = time.monotonic()
            visto = await _viendo(ws_agente, {"AGENTE"}, 10)
            # Forgotten after three silent periods, told at the next expiry round: well under
            # the 10 s wait, and never before B could have missed one announcement.
            assert PERIODO <= visto - muerto <= 5 * PERIODO + 2, visto - muerto
            await ws_cliente.close()
            await ws_agente.close()
    finally:
        b.parar()
        a.parar()
    assert a.errores_del_servidor() == []
