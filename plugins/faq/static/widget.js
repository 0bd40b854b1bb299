// The widget's FAQ view: a search box and the first answers.
import { h, retrasar } from "/static/core/dom.js";
import { resultadosEnVivo } from "./comun.js";
import { t } from "/static/core/i18n.js";

export function montar(contenedor, { usuario }) {
  const campo = h("input", { type: "search", id: "widget-faq-q", class: "faq-search", placeholder: t("Buscar en FAQs..."), autocomplete: "off" });
  const lista = h("div", { class: "faq-list", "aria-live": "polite" });
  const cargar = resultadosEnVivo(campo, lista, { usuario, prefijo: "widget-faq" });
  campo.addEventListener("input", retrasar(cargar, 250));
  contenedor.append(
    h("div", { class: "form-group" }, h("label", { for: "widget-faq-q" }, t("Buscar")), campo),
    lista,
  );
  cargar();
  campo.focus();
}
