import { turnos } from "/static/core/api.js";
// The FAQ page: full-text search, categories (with totals), expandable answers and votes.
import { sesion } from "/static/core/app.js";
import { h, mensajeError, paginacion, retrasar, vaciar } from "/static/core/dom.js";
import { enLaUrl } from "/static/core/estado-url.js";
import { buscar, categorias, item } from "./comun.js";
import { t } from "/static/core/i18n.js";

const form = document.getElementById("faq-filtros");
const selector = document.getElementById("faq-categoria");
const chips = document.getElementById("faq-chips");
const lista = document.getElementById("faq-lista");
const paginas = document.getElementById("paginacion");
let pagina = 1;
const turno = turnos();
const url = enLaUrl(form, (n) => { pagina = n; marcarChips(); cargar(); });

function marcarChips() {
  for (const chip of chips.querySelectorAll("button")) chip.setAttribute("aria-pressed", String(chip.dataset.valor === selector.value));
}

function elegirCategoria(valor) {
  selector.value = valor;
  marcarChips();
  recargar();
}

async function cargarCategorias() {
  try {
    const cats = await categorias();
    const chip = (valor, texto) =>
      h("li", {}, h("button", { type: "button", class: "chip", "aria-pressed": String(valor === ""), dataset: { valor }, on: { click: () => elegirCategoria(valor) } }, texto));
    chips.append(chip("", t("Todas")));
    for (const c of cats) {
      selector.append(h("option", { value: c.categoria }, c.categoria));
      chips.append(chip(c.categoria, `${c.categoria} (${c.total})`));
    }
  } catch {
    chips.hidden = true;
  }
}

async function cargar() {
  lista.setAttribute("aria-busy", "true");
  try {
    const vigente = turno();
    const { usuario } = await sesion;
    const datos = await buscar({ categoria: selector.value, q: form.elements.q.value.trim(), page: pagina });
    if (!vigente()) return;
    vaciar(lista);
    if (!datos.results.length) lista.append(h("p", { class: "vacio", text: t("No encontramos preguntas con esa búsqueda.") }));
    for (const faq of datos.results) lista.append(item(faq, { usuario, nivel: "h2" }));
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; url.guardar(pagina); cargar(); }));
  } catch (error) {
    vaciar(lista).append(h("p", { class: "form-error", text: mensajeError(error) }));
  } finally {
    lista.setAttribute("aria-busy", "false");
  }
}

function recargar({ reemplazar = false } = {}) {
  pagina = 1;
  url.guardar(pagina, { reemplazar });
  cargar();
}

selector.addEventListener("change", () => elegirCategoria(selector.value));
form.elements.q.addEventListener("input", retrasar(() => recargar({ reemplazar: true }), 250));
form.addEventListener("submit", (evento) => { evento.preventDefault(); recargar(); });
// Listening before anything is awaited: what the user types while the page starts counts.
await sesion;
// The categories' options first, so that ?categoria=… from the address can be chosen.
await cargarCategorias();
pagina = url.leer();
marcarChips();
cargar();
