// Tags in the agents' console (tickets and cases share them): chips, the colour of each tag,
// autocompletion from GET /api/soporte/etiquetas/?q= and a small editor (chips with a remove
// button, an input with a datalist, "Añadir"). The pages decide what saving means (a PATCH).
import { api, consulta } from "/static/core/api.js";
import { h, retrasar, vaciar } from "/static/core/dom.js";
import { t } from "./i18n.js";

let cacheColores = null;
let secuencia = 0;

/** The comparison key of a tag name, as the server computes it (core.tags.clave). */
export function clave(nombre) {
  return String(nombre)
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .split(/\s+/)
    .filter(Boolean)
    .join(" ")
    .toLowerCase();
}

/** key → colour of every tag with one (a few pages of 100, asked once per page). */
export function colores() {
  if (cacheColores === null) {
    cacheColores = (async () => {
      const mapa = new Map();
      try {
        for (let page = 1; page <= 10; page += 1) {
          const datos = await api(`/api/soporte/etiquetas/?${consulta({ page, size: 100 })}`);
          for (const e of datos.results) if (e.color) mapa.set(clave(e.nombre), e.color);
          if (!datos.next) break;
        }
      } catch {
        // Without the list the chips take the default colour.
      }
      return mapa;
    })();
  }
  return cacheColores;
}

/** Black or white text, whichever reads better on `color` (#rrggbb). */
function tinta(color) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  return r * 0.299 + g * 0.587 + b * 0.114 > 150 ? "#1f2328" : "#ffffff";
}

/** One chip; `quitar`: a handler that adds a remove button. */
export function chip(nombre, mapa = null, quitar = null) {
  const color = mapa && mapa.get(clave(nombre));
  const el = h(
    "span",
    { class: "chip", dataset: { etiqueta: nombre } },
    nombre,
    quitar
      ? h("button", { type: "button", class: "chip-quitar", "aria-label": t("Quitar la etiqueta {nombre}", { nombre }), on: { click: quitar } }, "×")
      : null,
  );
  if (color) {
    // Through the CSSOM: the pages' Content-Security-Policy refuses style attributes.
    el.style.backgroundColor = color;
    el.style.color = tinta(color);
  }
  return el;
}

/** A row of chips for a list of names (none: null), coloured once the colours arrive. */
export function chips(nombres) {
  if (!nombres || !nombres.length) return null;
  const fila = h("span", { class: "chips" }, nombres.map((n) => chip(n)));
  colores().then((mapa) => vaciar(fila).append(...nombres.map((n) => chip(n, mapa))));
  return fila;
}

/** Attach autocompletion to `input`: a datalist filled from ?q= as the agent types. */
export function autocompletar(input) {
  secuencia += 1;
  const lista = h("datalist", { id: `etiquetas-sugeridas-${secuencia}` });
  input.after(lista);
  input.setAttribute("list", lista.id);
  input.setAttribute("autocomplete", "off");
  let ultima = null;
  const sugerir = retrasar(async () => {
    const q = input.value.trim();
    if (q === ultima) return;
    ultima = q;
    try {
      const datos = await api(`/api/soporte/etiquetas/?${consulta({ q, size: 20 })}`);
      vaciar(lista).append(...datos.results.map((e) => h("option", { value: e.nombre })));
    } catch {
      // No suggestions: the agent can still type any name.
    }
  }, 200);
  input.addEventListener("input", sugerir);
  input.addEventListener("focus", sugerir);
  return lista;
}

/**
 * An editor of a set of tags inside `contenedor`: chips with a remove button, an input with
 * autocompletion and "Añadir". `guardar(nombres)` saves the whole new set (it may throw: the
 * editor then shows the set as it was). Returns `pintar(nombres)`, to show a new set.
 */
export function editor(contenedor, guardar) {
  let actuales = [];
  const filaChips = h("div", { class: "chips" });
  const input = h("input", { type: "text", maxlength: 50, placeholder: t("Nueva etiqueta"), "aria-label": t("Añadir etiqueta") });
  const boton = h("button", { type: "submit", class: "boton boton-secundario boton-pequeno" }, t("Añadir"));
  const form = h("form", { class: "etiquetas-editor", novalidate: true }, input, boton);
  vaciar(contenedor).append(filaChips, form);
  autocompletar(input);

  async function pintar(nombres) {
    actuales = [...nombres];
    const mapa = await colores();
    vaciar(filaChips).append(
      ...(actuales.length
        ? actuales.map((n) => chip(n, mapa, () => cambiar(actuales.filter((x) => clave(x) !== clave(n)))))
        : [h("span", { class: "ayuda", text: t("Sin etiquetas.") })]),
    );
  }

  async function cambiar(nombres) {
    boton.disabled = true;
    try {
      await guardar(nombres);
    } finally {
      boton.disabled = false;
    }
  }

  form.addEventListener("submit", async (evento) => {
    evento.preventDefault();
    const nombre = input.value.trim();
    if (!nombre) return;
    if (actuales.some((x) => clave(x) === clave(nombre))) {
      input.value = "";
      return;
    }
    await cambiar([...actuales, nombre]);
    input.value = "";
  });
  return pintar;
}
