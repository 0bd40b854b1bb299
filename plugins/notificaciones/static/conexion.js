// The notifications socket of a page: ws(s)://HOST/ws/soporte/notificaciones/?token=…
// One per page (the bell opens it); it reconnects with exponential backoff and jitter, and
// stops for good on 4401 (the session ended: logged out or expired) or when closed on purpose.
import { token, urlSocket } from "/static/core/api.js";

const RUTA = "/ws/soporte/notificaciones/";
const ESPERA_MINIMA_MS = 1000;
const ESPERA_MAXIMA_MS = 30000;

/**
 * Open the socket. `alFrame(frame)` gets every JSON frame; `alConectar()` runs on each open;
 * `alTerminar(codigo)` when it stops for good. Answers `{cerrar()}`.
 */
export function conectar({ alFrame, alConectar = () => {}, alTerminar = () => {} }) {
  let socket = null;
  let intentos = 0;
  let parado = false;
  let pausado = false;
  let temporizador = null;

  function terminar(codigo) {
    parado = true;
    clearTimeout(temporizador);
    alTerminar(codigo);
  }

  function abrir() {
    temporizador = null;
    const actual = token();
    if (!actual) {
      terminar(4401);
      return;
    }
    const este = new WebSocket(urlSocket(RUTA, { token: actual }));
    socket = este;
    este.addEventListener("open", () => alConectar());
    este.addEventListener("message", (evento) => {
      let frame;
      try {
        frame = JSON.parse(evento.data);
      } catch {
        return;
      }
      // Only a socket that got as far as its replay counts as a success: a server that accepts
      // and closes at once must not be hammered.
      if (frame && frame.tipo === "sincronizado") intentos = 0;
      alFrame(frame);
    });
    este.addEventListener("close", (evento) => {
      if (socket === este) socket = null;
      if (parado || pausado) return;
      if (evento.code === 4401) {
        terminar(evento.code);
        return;
      }
      const tope = Math.min(ESPERA_MAXIMA_MS, ESPERA_MINIMA_MS * 2 ** intentos);
      intentos += 1;
      // Jitter: after a server restart every page must not come back in the same instant.
      temporizador = setTimeout(abrir, tope / 2 + Math.random() * (tope / 2));
    });
  }

  // Leaving the page closes the socket (so the page may enter the back/forward cache);
  // coming back from that cache opens it again.
  window.addEventListener("pagehide", () => {
    if (parado) return;
    pausado = true;
    clearTimeout(temporizador);
    temporizador = null;
    if (socket) {
      const viejo = socket;
      socket = null;
      viejo.close(1000);
    }
  });
  window.addEventListener("pageshow", (evento) => {
    if (!evento.persisted || parado || !pausado) return;
    pausado = false;
    abrir();
  });

  abrir();
  return {
    cerrar() {
      parado = true;
      clearTimeout(temporizador);
      if (socket) socket.close(1000);
    },
  };
}
