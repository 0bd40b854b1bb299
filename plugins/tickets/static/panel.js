// Dashboard panel: GET /api/soporte/tickets/recientes/ (an array of the 10 newest).
import { api } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { h, mensajeError, vaciar } from "/static/core/dom.js";
import { estado } from "./comun.js";
import { t } from "/static/core/i18n.js";

await sesion;
const caja = document.getElementById("tickets-recientes");
try {
  const tickets = await api("/api/soporte/tickets/recientes/");
  vaciar(caja);
  if (!tickets.length) caja.append(h("p", { class: "vacio", text: t("No hay tickets todavía.") }));
  for (const tk of tickets) {
    caja.append(
      h(
        "div",
        { class: "ticket-item" },
        h("a", { href: `/agente/tickets/${tk.id}/` }, `#${tk.numero}`),
        h("span", { class: "asunto", text: tk.asunto }),
        estado(tk.estado),
      ),
    );
  }
} catch (error) {
  vaciar(caja).append(h("p", { class: "form-error", text: mensajeError(error) }));
}
