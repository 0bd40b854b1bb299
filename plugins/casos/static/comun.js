// Labels and pieces shared by the case pages.
import { api } from "/static/core/api.js";
import { dia, h, insignia } from "/static/core/dom.js";
import { etiquetas, t } from "/static/core/i18n.js";

// The labels come from the server's one table (core/labels.py, plugins/casos/etiquetas.py).
export const TIPOS = etiquetas("tipo");
export const URGENCIAS = etiquetas("urgencia");
export const ESTADOS = etiquetas("estado_caso");
export const IMPACTOS = etiquetas("impacto");

export const urgencia = (valor) => insignia("urgencia", valor, URGENCIAS[valor]);
export const estado = (valor) => insignia("estado", valor, ESTADOS[valor]);

/** A case card for the customer's list (under the page's h1: its title is an h2). */
export function tarjeta(caso) {
  return h(
    "li",
    { class: "caso-card", dataset: { id: caso.id } },
    h("div", { class: "ticket-header" }, h("h2", {}, h("a", { href: `/casos/${caso.id}/`, text: `#${caso.numero} - ${caso.titulo}` })), h("span", { class: "acciones" }, urgencia(caso.urgencia), estado(caso.estado))),
    h(
      "div",
      { class: "ticket-meta" },
      h("span", { text: t("Tipo: {valor}", { valor: TIPOS[caso.tipo_caso] || caso.tipo_caso }) }),
      h("span", { text: t("Impacto: {valor}", { valor: IMPACTOS[caso.impacto_estimado] || caso.impacto_estimado }) }),
      h("span", { text: t("Creado: {valor}", { valor: dia(caso.fecha_creacion) }) }),
      caso.reservas_relacionadas.length ? h("span", { text: t("Reservas: {reservas}", { reservas: caso.reservas_relacionadas.map((r) => `#${r}`).join(", ") }) }) : null,
    ),
    h("p", { class: "ticket-descripcion texto-largo", text: caso.descripcion }),
  );
}

/** POST /api/soporte/casos/ from the case form (the guide's crearCasoSoporte). */
export function crearCaso(form) {
  const datos = new FormData(form);
  const reservas = String(datos.get("reservas_relacionadas") || "")
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map(Number);
  const cuerpo = {
    tipo_caso: datos.get("tipo_caso"),
    urgencia: datos.get("urgencia"),
    titulo: String(datos.get("titulo") || "").trim(),
    descripcion: String(datos.get("descripcion") || "").trim(),
    reservas_relacionadas: reservas,
    impacto_estimado: datos.get("impacto_estimado") || "INDIVIDUAL",
  };
  const cliente = String(datos.get("cliente_afectado") || "").trim();
  if (cliente) cuerpo.cliente_afectado = Number(cliente);
  return api("/api/soporte/casos/", { method: "POST", body: cuerpo });
}
