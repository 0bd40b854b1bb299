// FAQ pieces shared by the FAQ page and the widget: the guide's FAQ item, with votes.
import { api, consulta } from "/static/core/api.js";
import { avisar, h, mensajeError } from "/static/core/dom.js";
import { t } from "/static/core/i18n.js";

/** GET /api/soporte/faqs/ as the guide calls it (categoria, q, activas=true), paginated. */
export function buscar({ categoria = "", q = "", page = 1, size = 10 } = {}) {
  return api(`/api/soporte/faqs/?${consulta({ categoria, q, activas: "true", page, size })}`, { publico: true });
}

export function categorias() {
  return api("/api/soporte/faqs/categorias/", { publico: true });
}

function contadores(faq) {
  return t("Útil: {valoraciones_positivas} ✓ / {valoraciones_negativas} ✗", { valoraciones_positivas: faq.valoraciones_positivas, valoraciones_negativas: faq.valoraciones_negativas });
}

/** One FAQ: a button that expands its answer, with the counts and the vote buttons. */
export function item(faq, { usuario, prefijo = "faq" }) {
  const idRespuesta = `${prefijo}-respuesta-${faq.id}`;
  const cuenta = h("span", { class: "faq-cuenta", text: contadores(faq) });
  const votar = async (esUtil) => {
    try {
      const nueva = await api(`/api/soporte/faqs/${faq.id}/valorar/`, { method: "POST", body: { es_util: esUtil } });
      cuenta.textContent = contadores(nueva);
      avisar(t("¡Gracias por tu opinión!"));
    } catch (error) {
      avisar(mensajeError(error), "error");
    }
  };
  const votos = usuario
    ? h(
        "span",
        { class: "acciones faq-votos" },
        h("span", { text: t("¿Te resultó útil?") }),
        h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => votar(true) } }, "Sí"),
        h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => votar(false) } }, "No"),
      )
    : h("a", { href: `/entrar/?siguiente=${encodeURIComponent(location.pathname)}` }, t("Inicia sesión para valorar"));
  const respuesta = h(
    "div",
    { class: "faq-respuesta", id: idRespuesta, hidden: true },
    h("p", { text: faq.respuesta }),
    h("div", { class: "faq-meta" }, h("span", { text: t("Categoría: {categoria}", { categoria: faq.categoria }) }), cuenta, votos),
  );
  const flecha = h("span", { class: "faq-toggle", "aria-hidden": "true", text: "▼" });
  const boton = h(
    "button",
    { type: "button", class: "faq-pregunta", "aria-expanded": "false", "aria-controls": idRespuesta },
    h("h3", { text: faq.pregunta }),
    flecha,
  );
  boton.addEventListener("click", () => {
    const abierto = respuesta.hidden;
    respuesta.hidden = !abierto;
    boton.setAttribute("aria-expanded", String(abierto));
    flecha.classList.toggle("expanded", abierto);
  });
  return h("div", { class: "faq-item", dataset: { id: faq.id } }, boton, respuesta);
}
