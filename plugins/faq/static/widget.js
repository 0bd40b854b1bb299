// The widget's FAQ view: a search box and the first answers.
import { h, mensajeError, retrasar } from "/static/core/dom.js";
import { buscar, item } from "./comun.js";
import { t } from "/static/core/i18n.js";

export function montar(contenedor, { usuario }) {
  const campo = h("input", { type: "search", id: "widget-faq-q", class: "faq-search", placeholder: t("Buscar en FAQs..."), autocomplete: "off" });
  const lista = h("div", { class: "faq-list", "aria-live": "polite" });
  let pedido = 0;
  async function cargar() {
    const este = ++pedido;
    try {
      const datos = await buscar({ q: campo.value.trim(), size: 5 });
      if (este !== pedido) return; // an older answer arriving late must not win
      lista.replaceChildren();
      if (!datos.results.length) lista.append(h("p", { class: "vacio", text: t("Sin resultados. Prueba otras palabras o crea un ticket.") }));
      for (const faq of datos.results) lista.append(item(faq, { usuario, prefijo: "widget-faq" }));
      if (datos.count > datos.results.length) {
        lista.append(h("p", {}, h("a", { href: `/faq/?q=${encodeURIComponent(campo.value.trim())}` }, t("Ver las {count} respuestas →", { count: datos.count }))));
      }
    } catch (error) {
      lista.replaceChildren(h("p", { class: "form-error", text: mensajeError(error) }));
    }
  }
  campo.addEventListener("input", retrasar(cargar, 250));
  contenedor.append(
    h("div", { class: "form-group" }, h("label", { for: "widget-faq-q" }, t("Buscar")), campo),
    lista,
  );
  cargar();
  campo.focus();
}
