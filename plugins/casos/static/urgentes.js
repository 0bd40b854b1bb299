// The guide's urgent-case list: GET /api/soporte/casos/urgentes/ (an array).
import { api } from "/static/core/api.js";
import { h, mensajeError, vaciar } from "/static/core/dom.js";
import { urgencia } from "./comun.js";
import { t } from "/static/core/i18n.js";

export async function pintarUrgentes(caja) {
  try {
    const casos = await api("/api/soporte/casos/urgentes/");
    vaciar(caja);
    if (!casos.length) caja.append(h("p", { class: "vacio", text: t("No hay casos urgentes abiertos.") }));
    for (const caso of casos) {
      caja.append(
        h("div", { class: "caso-item", dataset: { id: caso.id } },
          h("a", { class: "titulo", href: `/agente/casos/${caso.id}/`, text: `#${caso.numero} ${caso.titulo}` }),
          urgencia(caso.urgencia)),
      );
    }
  } catch (error) {
    vaciar(caja).append(h("p", { class: "form-error", text: mensajeError(error) }));
  }
}
