// Dashboard panel: GET /api/soporte/tickets/recientes/ (an array of the 10 newest).
import { api } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { h, mensajeError, vaciar } from "/static/core/dom.js";
import { estado } from "./comun.js";

await sesion;
const caja = document.getElementById("tickets-recientes");
try {
  const tickets = await api("/api/soporte/tickets/recientes/");
  vaciar(caja);
  if (!tickets.length) caja.append(h("p", { class: "vacio", text: "No hay tickets todavía." }));
  for (const t of tickets) {
    caja.append(
      h(
        "div",
        { class: "ticket-item" },
        h("a", { href: `/agente/tickets/${t.id}/` }, `#${t.numero}`),
        h("span", { class: "asunto", text: t.asunto }),
        estado(t.estado),
      ),
    );
  }
} catch (error) {
  vaciar(caja).append(h("p", { class: "form-error", text: mensajeError(error) }));
}
