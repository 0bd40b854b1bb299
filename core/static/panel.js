// The agent dashboard: the numbers of GET /api/soporte/dashboard/stats/ (each contributed by a
// plugin; a disabled plugin's numbers are absent), plus the panels plugins add to the page.
import { api } from "./api.js";
import { h, mensajeError, vaciar } from "./dom.js";
import { sesion } from "./app.js";
import { t } from "./i18n.js";

// The guide's four numbers first, with its labels and units; any other key after them.
const CONOCIDAS = [
  ["tickets_abiertos", t("Tickets Abiertos"), ""],
  ["tiempo_promedio_respuesta", t("Tiempo Promedio Respuesta"), "h"],
  ["satisfaccion_promedio", t("Satisfacción"), "%"],
  ["casos_criticos", t("Casos Críticos"), ""],
];

function etiqueta(clave) {
  const texto = clave.replaceAll("_", " ");
  return texto.charAt(0).toUpperCase() + texto.slice(1);
}

export function pintarEstadisticas(caja, stats) {
  vaciar(caja);
  const vistas = new Set();
  const tarjeta = (clave, titulo, unidad) =>
    h(
      "div",
      { class: "stat-card", dataset: { clave } },
      h("h2", { text: titulo }),
      h("div", { class: "stat-number", text: `${stats[clave]}${unidad}` }),
    );
  for (const [clave, titulo, unidad] of CONOCIDAS) {
    if (clave in stats) {
      caja.append(tarjeta(clave, titulo, unidad));
      vistas.add(clave);
    }
  }
  for (const clave of Object.keys(stats)) {
    if (!vistas.has(clave) && typeof stats[clave] === "number") {
      caja.append(tarjeta(clave, etiqueta(clave), ""));
    }
  }
  if (!caja.children.length) caja.append(h("p", { text: t("No hay estadísticas disponibles.") }));
}

await sesion;
const caja = document.getElementById("stats");
try {
  pintarEstadisticas(caja, await api("/api/soporte/dashboard/stats/"));
} catch (error) {
  vaciar(caja).append(h("p", { class: "form-error", text: mensajeError(error) }));
}
caja.setAttribute("aria-busy", "false");
