// Attachments on every page that shows them (tickets, cases): an image with a thumbnail shows
// it, and the thumbnail opens the full image (`vista`, shown inline); any other file is a
// download link. All three links are the API's signed, expiring ones.
import { h } from "/static/core/dom.js";
import { t } from "/static/core/i18n.js";

function enlace(archivo) {
  if (!archivo.miniatura || !archivo.vista) {
    return h("a", { href: archivo.url, target: "_blank", rel: "noopener noreferrer", download: archivo.nombre }, archivo.nombre);
  }
  return h(
    "a",
    { href: archivo.vista, target: "_blank", rel: "noopener noreferrer", class: "miniatura", title: t("Abrir {nombre}", { nombre: archivo.nombre }) },
    h("img", { src: archivo.miniatura, alt: t("Vista previa de {nombre}", { nombre: archivo.nombre }), loading: "lazy", decoding: "async" }),
    h("span", { class: "miniatura-nombre", text: archivo.nombre }),
  );
}

/** The links of a list of `adjunto` ({nombre, url, miniatura, vista}), or null when empty. */
export function adjuntos(lista) {
  if (!lista || !lista.length) return null;
  return h("div", { class: "adjuntos" }, lista.map(enlace));
}
