"""The page on which Chromium runs the guide's React components, unchanged.

React 18 and Babel standalone come from ``tests/guide/node_modules`` (npm, pinned in
``package-lock.json``). A classic script defines what the guide takes for granted without
showing it (its React imports and a ``debounce`` helper); then every ```javascript block of the
guide follows, in order, as its own ``<script type="text/babel">`` — verbatim, but for the one
mechanical rewrite of :func:`tests.guide.guia.bloques_para_navegador` (``export const`` →
``const``). Last, the suite's own script mounts the components, chosen by ``?vista=``.
"""

from __future__ import annotations

from tests.guide import guia

#: What the guide's components use without declaring (a bundler's imports, a utility library).
PRELUDIO = """\
const { useState, useEffect, useRef, useCallback, createContext, useContext } = React;
const debounce = (fn, espera) => {
  let temporizador;
  return (...args) => {
    clearTimeout(temporizador);
    temporizador = setTimeout(() => fn(...args), espera);
  };
};
"""

#: The suite's mounting code (not the guide's): ``?vista=cliente|agente&ticket=ID``.
MONTAJE = """\
const parametros = new URLSearchParams(location.search);
const ticketDePrueba = Number(parametros.get('ticket'));
window.casosCreados = [];
window.respuestasEnviadas = 0;

const VistaCliente = () => (
  <SoporteProvider>
    <section id="lista"><ListaTickets /></section>
    <section id="detalle">
      <DetalleTicket ticketId={ticketDePrueba} />
      <ResponderTicket
        ticketId={ticketDePrueba}
        onRespuestaEnviada={() => { window.respuestasEnviadas += 1; }}
      />
    </section>
    <section id="chat"><ChatTicket ticketId={ticketDePrueba} /></section>
    <section id="faq"><FAQ /></section>
    <section id="caso">
      <FormularioCaso onCasoCreado={(caso) => window.casosCreados.push(caso)} />
    </section>
    <section id="widget"><WidgetSoporte /></section>
  </SoporteProvider>
);

const VistaAgente = () => (
  <SoporteProvider>
    <section id="dashboard"><DashboardSoporte /></section>
    <section id="monitor"><MonitorEscalamiento /></section>
    <section id="chat"><ChatTicket ticketId={ticketDePrueba} /></section>
  </SoporteProvider>
);

ReactDOM.createRoot(document.getElementById('raiz')).render(
  parametros.get('vista') === 'agente' ? <VistaAgente /> : <VistaCliente />
);
window.montado = true;
"""


def _script(codigo: str, tipo: str = "") -> str:
    # Inside <script> nothing is decoded or escaped: only a closing tag could end it early.
    if "</script" in codigo.lower():
        raise guia.GuiaCambiada("a code block contains '</script'")
    atributos = f' type="{tipo}" data-presets="react"' if tipo else ""
    return f"<script{atributos}>\n{codigo}</script>\n"


def html(texto: str | None = None) -> str:
    """The whole page for the guide ``texto`` (default: the vendored copy)."""
    guion = "".join(_script(b, "text/babel") for b in guia.bloques_para_navegador(texto))
    return (
        '<!doctype html>\n<html lang="es">\n<head>\n<meta charset="utf-8">\n'
        "<title>Guía frontend de soporte</title>\n"
        # No favicon request: the console must stay free of errors, 404s included.
        '<link rel="icon" href="data:,">\n'
        '<script src="/node_modules/react/umd/react.development.js"></script>\n'
        '<script src="/node_modules/react-dom/umd/react-dom.development.js"></script>\n'
        '<script src="/node_modules/@babel/standalone/babel.min.js"></script>\n'
        + _script(PRELUDIO)
        + '</head>\n<body>\n<div id="raiz"></div>\n'
        + guion
        + _script(MONTAJE, "text/babel")
        + "</body>\n</html>\n"
    )
