"""The guide itself: the vendored copy is the seed, byte for byte, and every piece of code the
suite runs is still in it — found by parsing, so a changed guide fails here, loudly."""

from __future__ import annotations

import re

import pytest

from tests.guide import guia, pagina


def test_la_copia_es_identica_a_la_guia_del_proyecto() -> None:
    """``tests/guide/guia_frontend.md`` is ``shared/seeds/000_720d4b9d000c58a4.txt`` (beside the
    clone, as in CI) byte for byte; without ``shared/``, the copy is the guide."""
    copia = guia.GUIA.read_bytes()
    assert copia.startswith(b"# API del Sistema de Soporte - Gu\xc3\xada Frontend\n")
    if guia.SEMILLA.exists():
        assert copia == guia.SEMILLA.read_bytes(), (
            f"{guia.GUIA} differs from {guia.SEMILLA}: copy the guide again and re-run the suite"
        )
    assert len(guia.bloques()) == 15


def test_cada_pieza_que_la_suite_ejecuta_esta_en_la_guia() -> None:
    """Every declaration the harness and the page need is found exactly once, whole."""
    piezas = guia.piezas_node()
    assert list(piezas) == list(guia.PIEZAS_NODE)
    assert piezas["token"] == "const token = localStorage.getItem('authToken');"
    assert piezas["headers"].startswith("const headers = {") and piezas["headers"].endswith("};")
    for nombre in guia.PIEZAS_NODE[2:]:
        pieza = piezas[nombre]
        if nombre == "ChatSoporteWebSocket":
            assert pieza.startswith("class ChatSoporteWebSocket {") and pieza.endswith("}")
            for metodo in ("connect()", "sendMessage(mensaje, tipo = 'mensaje')", "disconnect()"):
                assert metodo in pieza
        else:
            assert pieza.startswith(f"const {nombre} = ") and pieza.endswith("};"), nombre
        assert not re.search(r"<[A-Za-z/>]", pieza), f"{nombre} must be plain JavaScript, no JSX"
        assert pieza in guia.texto(), "verbatim"
    for nombre, pieza in guia.cargadores().items():
        assert pieza.startswith(f"const {nombre} = async () => {{") and pieza.endswith("};")
        assert pieza in guia.texto()
    for nombre in guia.COMPONENTES:
        assert guia.declaracion(nombre) in guia.texto()
    assert "tipo: 'CONSULTA'" in guia.estado_inicial_caso()


def test_el_navegador_recibe_los_bloques_con_un_solo_cambio_mecanico() -> None:
    """The page's scripts are the guide's blocks; only ``export const`` lines lose ``export``."""
    originales = [b.codigo for b in guia.bloques()]
    del_navegador = guia.bloques_para_navegador()
    assert len(del_navegador) == len(originales)
    cambiados = [(o, n) for o, n in zip(originales, del_navegador, strict=True) if o != n]
    assert len(cambiados) == 1
    original, nuevo = cambiados[0]
    assert original.replace("export const ", "const ") == nuevo
    html = pagina.html()
    for bloque in del_navegador:
        assert f'<script type="text/babel" data-presets="react">\n{bloque}</script>' in html


@pytest.mark.parametrize(
    ("cambio", "mensaje"),
    [
        (("const crearTicket = ", "const crearTicketNuevo = "), "crearTicket"),
        (("class ChatSoporteWebSocket {", "class ChatWs {"), "ChatSoporteWebSocket"),
        (("const cargarDashboard = ", "const cargar = "), "cargarDashboard"),
        (("export const useSoporte", "const useSoporte"), "export const"),
        (("activas: 'true'\n    });", "activas: 'true'\n    ));"), "unbalanced"),
    ],
)
def test_una_guia_cambiada_falla_en_voz_alta(cambio: tuple[str, str], mensaje: str) -> None:
    """A renamed, missing or broken piece raises :class:`GuiaCambiada`, never tests less."""
    texto = guia.texto()
    assert cambio[0] in texto
    cambiado = texto.replace(cambio[0], cambio[1], 1)
    codigo = guia.codigo(cambiado)
    with pytest.raises(guia.GuiaCambiada, match=mensaje):
        guia.piezas_node(codigo)
        guia.cargadores(codigo)
        guia.bloques_para_navegador(cambiado)
