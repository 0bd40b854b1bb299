// Shared pieces of the ticket pages: labels, a ticket card, attachments, creating a ticket.
import { api } from "/static/core/api.js";
import { dia, h, insignia } from "/static/core/dom.js";
import { etiquetas, t } from "/static/core/i18n.js";

// The labels come from the server's one table (core/labels.py, plugins/tickets/etiquetas.py).
export const ESTADOS = etiquetas("estado");
export const CATEGORIAS = etiquetas("categoria");
export const PRIORIDADES = etiquetas("prioridad");
/** What a new ticket starts with, in the "Nuevo ticket" page and in the widget alike. */
export const POR_DEFECTO = { categoria: "GENERAL", prioridad: "MEDIA" };

/** Preselect POR_DEFECTO in a ticket form's selects (also what form.reset() goes back to). */
export function elegirPorDefecto(form) {
  for (const [campo, valor] of Object.entries(POR_DEFECTO)) {
    const select = form.elements[campo];
    if (!select) continue;
    for (const opcion of select.options) opcion.defaultSelected = opcion.value === valor;
    select.value = valor;
  }
}

export const estado = (valor) => insignia("estado", valor, ESTADOS[valor]);
export const prioridad = (valor) => insignia("prioridad", valor, PRIORIDADES[valor]);

// Attachments (thumbnails for images, download links for the rest): shared with the cases.
export { adjuntos } from "/static/core/adjuntos.js";

/** The guide's ticket card (lists): number, subject, state, category, priority, date. Its
 * title is an h3 (under a section's h2, as on the home page); `nivel` "h2" for a list right
 * under the page's h1, so that no heading level is skipped. */
export function tarjeta(ticket, href, { nivel = "h3" } = {}) {
  return h(
    "li",
    { class: "ticket-card", dataset: { id: ticket.id } },
    h(
      "div",
      { class: "ticket-header" },
      h(nivel, {}, h("a", { href }, `#${ticket.numero} - ${ticket.asunto}`)),
      estado(ticket.estado),
    ),
    h(
      "div",
      { class: "ticket-meta" },
      h("span", { text: t("Categoría: {valor}", { valor: CATEGORIAS[ticket.categoria] || ticket.categoria }) }),
      h("span", { text: t("Prioridad: {valor}", { valor: PRIORIDADES[ticket.prioridad] || ticket.prioridad }) }),
      h("span", { text: t("Creado: {valor}", { valor: dia(ticket.fecha_creacion) }) }),
    ),
    h("p", { class: "ticket-descripcion", text: recortar(ticket.descripcion, 240) }),
  );
}

export function recortar(texto, largo) {
  return texto.length > largo ? `${texto.slice(0, largo - 1)}…` : texto;
}

/** Upload files through POST /api/soporte/adjuntos/; answers their ids. */
export async function subirArchivos(archivos) {
  if (!archivos.length) return [];
  const form = new FormData();
  archivos.forEach((archivo, i) => form.append(`archivo_${i}`, archivo));
  const subidos = await api("/api/soporte/adjuntos/", { method: "POST", form });
  return subidos.map((adjunto) => adjunto.id);
}

/** Create a ticket from the ticket form (as the guide's crearTicket, with uploaded files). */
export async function crearTicket(form) {
  const datos = new FormData(form);
  const archivos = form.elements.archivos ? [...form.elements.archivos.files] : [];
  const reserva = String(datos.get("reserva_relacionada") || "").trim();
  const ids = await subirArchivos(archivos);
  return api("/api/soporte/tickets/", {
    method: "POST",
    body: {
      asunto: String(datos.get("asunto") || "").trim(),
      categoria: datos.get("categoria"),
      prioridad: datos.get("prioridad") || POR_DEFECTO.prioridad,
      descripcion: String(datos.get("descripcion") || "").trim(),
      archivos_adjuntos: ids,
      reserva_relacionada: reserva ? Number(reserva) : null,
    },
  });
}

/** The values of a filter form as query parameters (empty ones are sent: "no filter"). */
export function filtrosDe(form) {
  return Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v).trim()]));
}
