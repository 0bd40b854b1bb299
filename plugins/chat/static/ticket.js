// The chat fragment of the ticket pages. The tickets page owns the conversation: it tells this
// module which reply it showed last ("soporte:ticket"), and shows what arrives live
// ("soporte:mensaje"). Connecting with ?desde=<last id> means nothing is shown twice. Every
// frame is re-dispatched as "soporte:chat", and "soporte:typing" sends a typing frame.
import { sesion } from "/static/core/app.js";
import { conectarPanel } from "./chat.js";
import { t } from "/static/core/i18n.js";

const { usuario } = await sesion;
const raiz = document.getElementById("ticket");
const panel = document.getElementById("chat-ticket");
let conexion = null;

function alCargar(ticket, ultimaRespuesta) {
  if (!conexion) {
    conexion = conectarPanel(panel, {
      ticketId: Number(raiz.dataset.ticketId),
      usuario,
      desde: ultimaRespuesta,
      viendo: true, // the server sends who is viewing to staff sockets only
      alMensaje: (frame) => document.dispatchEvent(new CustomEvent("soporte:mensaje", { detail: frame })),
      // Every frame (who is viewing, who is typing) for the page's other modules.
      alFrame: (frame) => document.dispatchEvent(new CustomEvent("soporte:chat", { detail: frame })),
    });
  }
  conexion.bloquear(ticket.estado === "CERRADO", t("El ticket está cerrado."));
}

document.addEventListener("soporte:ticket", (evento) => alCargar(evento.detail.ticket, evento.detail.ultimaRespuesta));
// The page's reply form is being written: {escribiendo, interna} as a `typing` frame.
document.addEventListener("soporte:typing", (evento) => conexion && conexion.enviar({ tipo: "typing", ...evento.detail }));
if (raiz.dataset.ultimaRespuesta !== undefined) {
  // The ticket loaded before this module did.
  alCargar({ estado: raiz.dataset.estado }, Number(raiz.dataset.ultimaRespuesta));
}
window.addEventListener("pagehide", () => conexion && conexion());
