// Portal home: the customer's newest tickets (GET /api/soporte/tickets/recientes/).
import { api } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { h } from "/static/core/dom.js";
import { tarjeta } from "./comun.js";
import { t } from "/static/core/i18n.js";

const { usuario } = await sesion;
if (usuario) {
  const tickets = await api("/api/soporte/tickets/recientes/").catch(() => []);
  const lista = document.getElementById("inicio-tickets-lista");
  if (tickets.length) {
    lista.append(h("ul", { class: "tickets-list" }, tickets.slice(0, 5).map((tk) => tarjeta(tk, `/tickets/${tk.id}/`))));
  } else {
    lista.append(h("p", { class: "vacio", text: t("Aún no has abierto ningún ticket.") }));
  }
  document.getElementById("inicio-tickets").hidden = false;
}
