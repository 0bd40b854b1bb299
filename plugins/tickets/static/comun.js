// Shared pieces of the ticket pages: labels, a ticket card, attachments, creating a ticket.
import { api } from "/static/core/api.js";
import { dia, h, insignia } from "/static/core/dom.js";

export const ESTADOS = { ABIERTO: "Abierto", EN_PROGRESO: "En progreso", RESUELTO: "Resuelto", CERRADO: "Cerrado" };
export const CATEGORIAS = { TECNICO: "Técnico", RESERVAS: "Reservas", PAGOS: "Pagos", GENERAL: "General" };
export const PRIORIDADES = { ALTA: "Alta", MEDIA: "Media", BAJA: "Baja" };

export const estado = (valor) => insignia("estado", valor, ESTADOS[valor]);
export const prioridad = (valor) => insignia("prioridad", valor, PRIORIDADES[valor]);

// Attachments (thumbnails for images, download links for the rest): shared with the cases.
export { adjuntos } from "/static/core/adjuntos.js";

/** The guide's ticket card (lists): number, subject, state, category, priority, date. */
export function tarjeta(ticket, href) {
  return h(
    "li",
    { class: "ticket-card", dataset: { id: ticket.id } },
    h(
      "div",
      { class: "ticket-header" },
      h("h3", {}, h("a", { href }, `#${ticket.numero} - ${ticket.asunto}`)),
      estado(ticket.estado),
    ),
    h(
      "div",
      { class: "ticket-meta" },
      h("span", { text: `Categoría: ${CATEGORIAS[ticket.categoria] || ticket.categoria}` }),
      h("span", { text: `Prioridad: ${PRIORIDADES[ticket.prioridad] || ticket.prioridad}` }),
      h("span", { text: `Creado: ${dia(ticket.fecha_creacion)}` }),
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
      prioridad: datos.get("prioridad") || "MEDIA",
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
