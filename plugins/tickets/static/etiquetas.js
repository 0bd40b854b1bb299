// The ticket detail's tags block (agents): the ticket's tags as chips, removable, and an input
// with autocompletion to add one; each change is a PATCH of the whole set (`etiquetas`).
// It repaints on every "soporte:ticket" event of detalle.js and asks it to reload
// ("soporte:recargar") after a change, as equipos.js does.
import { api } from "/static/core/api.js";
import { avisar, mensajeError } from "/static/core/dom.js";
import { editor } from "/static/core/etiquetas.js";
import { t } from "/static/core/i18n.js";

const bloque = document.getElementById("ticket-etiquetas");
if (bloque) {
  let ticket = null;
  const pintar = editor(bloque, async (nombres) => {
    if (!ticket) return;
    try {
      await api(`/api/soporte/tickets/${ticket.id}/`, { method: "PATCH", body: { etiquetas: nombres } });
      avisar(t("Etiquetas actualizadas."));
      document.dispatchEvent(new CustomEvent("soporte:recargar"));
    } catch (error) {
      avisar(mensajeError(error), "error");
      pintar(ticket.etiquetas);
    }
  });
  document.addEventListener("soporte:ticket", (evento) => {
    ticket = evento.detail.ticket;
    pintar(ticket.etiquetas || []);
  });
}
