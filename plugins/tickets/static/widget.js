// The widget's ticket views (guide 6.2): "Crear Ticket" (a quick form) and "Mis Tickets".
import { api, consulta } from "/static/core/api.js";
import { h, mensajeError, mostrarError, opciones } from "/static/core/dom.js";
import { CATEGORIAS, POR_DEFECTO, PRIORIDADES, crearTicket, estado } from "./comun.js";
import { t } from "/static/core/i18n.js";

function formularioRapido(contenedor) {
  const form = h(
    "form",
    { class: "formulario", novalidate: true },
    h("div", { class: "form-group" }, h("label", { for: "widget-asunto" }, t("Asunto")), h("input", { id: "widget-asunto", name: "asunto", maxlength: 200, required: true })),
    h("div", { class: "form-group" }, h("label", { for: "widget-categoria" }, t("Categoría")), h("select", { id: "widget-categoria", name: "categoria" }, opciones(Object.entries(CATEGORIAS), POR_DEFECTO.categoria))),
    h("div", { class: "form-group" }, h("label", { for: "widget-prioridad" }, t("Prioridad")), h("select", { id: "widget-prioridad", name: "prioridad" }, opciones(Object.entries(PRIORIDADES), POR_DEFECTO.prioridad))),
    h("div", { class: "form-group" }, h("label", { for: "widget-descripcion" }, t("Descripción")), h("textarea", { id: "widget-descripcion", name: "descripcion", rows: 3, required: true })),
    h("div", { class: "form-group" }, h("label", { for: "widget-archivos" }, t("Archivos adjuntos")), h("input", { id: "widget-archivos", name: "archivos", type: "file", multiple: true })),
    h("p", { class: "form-error", role: "alert", hidden: true }),
    h("button", { type: "submit", class: "boton" }, t("Crear ticket")),
  );
  form.addEventListener("submit", async (evento) => {
    evento.preventDefault();
    mostrarError(form, null);
    if (!form.checkValidity()) {
      mostrarError(form, t("Completa el asunto y la descripción."));
      return;
    }
    try {
      const ticket = await crearTicket(form);
      form.replaceWith(
        h("div", { class: "formulario" },
          h("p", { text: t("Ticket #{numero} creado. Te responderemos pronto.", { numero: ticket.numero }) }),
          h("a", { class: "boton", href: `/tickets/${ticket.id}/` }, t("Ver el ticket"))),
      );
    } catch (error) {
      mostrarError(form, mensajeError(error));
    }
  });
  contenedor.append(form);
}

async function misTickets(contenedor) {
  const caja = h("div", { "aria-live": "polite" }, h("p", { class: "cargando", text: t("Cargando tickets...") }));
  contenedor.append(caja);
  try {
    const datos = await api(`/api/soporte/mis-tickets/?${consulta({ page: 1, size: 5 })}`);
    caja.replaceChildren();
    if (!datos.results.length) caja.append(h("p", { class: "vacio", text: t("Aún no tienes tickets.") }));
    for (const tk of datos.results) {
      caja.append(
        h("div", { class: "ticket-item" },
          h("a", { class: "asunto", href: `/tickets/${tk.id}/` }, `#${tk.numero} - ${tk.asunto}`),
          estado(tk.estado)),
      );
    }
    caja.append(h("p", {}, h("a", { href: "/tickets/" }, t("Ver todos mis tickets →"))));
  } catch (error) {
    caja.replaceChildren(h("p", { class: "form-error", text: mensajeError(error) }));
  }
}

export function montar(contenedor, { vista }) {
  if (vista === "mis-tickets") return misTickets(contenedor);
  return formularioRapido(contenedor);
}
