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

/** One FAQ: a heading (`nivel`: h3 under the widget's h2, h2 on the FAQ page) holding a button
 * that expands its answer, with the counts and the vote buttons. */
export function item(faq, { usuario, prefijo = "faq", nivel = "h3" }) {
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
  // The heading holds the button, not the other way round: a button's content is
  // presentational, so a heading inside it is no heading for assistive technology.
  const boton = h(
    "button",
    { type: "button", class: "faq-pregunta", "aria-expanded": "false", "aria-controls": idRespuesta },
    h("span", { class: "faq-pregunta-texto", text: faq.pregunta }),
    flecha,
  );
  boton.addEventListener("click", () => {
    const abierto = respuesta.hidden;
    respuesta.hidden = !abierto;
    boton.setAttribute("aria-expanded", String(abierto));
    flecha.classList.toggle("expanded", abierto);
  });
  return h("div", { class: "faq-item", dataset: { id: faq.id } }, h(nivel, { class: "faq-titulo" }, boton), respuesta);
}

/**
 * A search-as-you-type box's results: the first `size` FAQs matching `campo` in `lista`, with a
 * link to the FAQ page when there are more. Answers late for an older query are dropped.
 * Shared by the widget's FAQ view and the portal's home.
 */
export function resultadosEnVivo(campo, lista, { usuario, prefijo, size = 5 }) {
  let pedido = 0;
  return async function cargar() {
    const este = ++pedido;
    const q = campo.value.trim();
    try {
      const datos = await buscar({ q, size });
      if (este !== pedido) return; // an older answer arriving late must not win
      lista.replaceChildren();
      if (!datos.results.length) lista.append(h("p", { class: "vacio", text: t("Sin resultados. Prueba otras palabras o crea un ticket.") }));
      for (const faq of datos.results) lista.append(item(faq, { usuario, prefijo }));
      if (datos.count > datos.results.length) {
        lista.append(h("p", {}, h("a", { href: `/faq/?${consulta({ q })}` }, t("Ver las {count} respuestas →", { count: datos.count }))));
      }
    } catch (error) {
      lista.replaceChildren(h("p", { class: "form-error", text: mensajeError(error) }));
    }
  };
}
