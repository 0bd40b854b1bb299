// Tags (ADMIN): list with usage counts, create, rename, recolour, merge, delete
// (/api/soporte/etiquetas/). Agents create tags by using them; this page curates them.
import { api, consulta, turnos } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, h, mensajeError, mostrarError, paginacion, retrasar, vaciar } from "/static/core/dom.js";
import { chip, clave } from "/static/core/etiquetas.js";
import { t } from "./i18n.js";

await sesion;
const tabla = document.getElementById("etiquetas-tabla");
const paginas = document.getElementById("paginacion");
const editor = document.getElementById("etiqueta-editor");
const form = document.getElementById("form-etiqueta");
const buscar = document.getElementById("filtros-etiquetas");
let pagina = 1;
const turno = turnos();

function abrirEditor(etiqueta = null) {
  form.reset();
  mostrarError(form, null);
  form.elements.id.value = etiqueta ? etiqueta.id : "";
  form.elements.nombre.value = etiqueta ? etiqueta.nombre : "";
  form.elements.sin_color.checked = !(etiqueta && etiqueta.color);
  if (etiqueta && etiqueta.color) form.elements.color.value = etiqueta.color;
  document.getElementById("etiqueta-editor-titulo").textContent = etiqueta ? t("Editar etiqueta") : t("Nueva etiqueta");
  editor.hidden = false;
  form.elements.nombre.focus();
}

function fila(e) {
  const muestra = h("span", { class: "muestra-color", "aria-hidden": "true" });
  if (e.color) muestra.style.backgroundColor = e.color; // CSSOM: the CSP refuses style attributes
  return h(
    "tr",
    { dataset: { id: e.id } },
    h("td", {}, chip(e.nombre, new Map(e.color ? [[clave(e.nombre), e.color]] : []))),
    h("td", {}, e.color ? [muestra, " ", e.color] : "—"),
    h("td", { text: String(e.tickets) }),
    h("td", { text: String(e.casos) }),
    h(
      "td",
      {},
      h(
        "div",
        { class: "acciones" },
        h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => abrirEditor(e) } }, t("Editar")),
        h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => fusionar(e) } }, t("Fusionar…")),
        h("button", {
          type: "button",
          class: "boton boton-peligro boton-pequeno",
          on: {
            click: async () => {
              const usos = e.tickets + e.casos;
              if (!window.confirm(t("¿Eliminar la etiqueta «{nombre}»? Se quitará de {usos} ticket(s) y caso(s).", { nombre: e.nombre, usos }))) return;
              try {
                await api(`/api/soporte/etiquetas/${e.id}/`, { method: "DELETE" });
                avisar(t("Etiqueta eliminada."));
              } catch (error) {
                avisar(mensajeError(error), "error");
              }
              cargar();
            },
          },
        }, t("Eliminar")),
      ),
    ),
  );
}

/** Merge `e` into a tag the admin names (by key: "facturacion" finds "Facturación"). */
async function fusionar(e) {
  const nombre = window.prompt(`¿En qué etiqueta se fusiona «${e.nombre}»? Escribe su nombre:`);
  if (!nombre || !nombre.trim()) return;
  try {
    const datos = await api(`/api/soporte/etiquetas/?${consulta({ q: nombre.trim(), size: 100 })}`);
    const destino = datos.results.find((x) => clave(x.nombre) === clave(nombre));
    if (!destino) {
      avisar(t("No existe la etiqueta «{valor}».", { valor: nombre.trim() }), "error");
      return;
    }
    if (!window.confirm(t("Los tickets y casos con «{nombre}» pasarán a «{nombre2}» y «{nombre}» se eliminará. ¿Continuar?", { nombre: e.nombre, nombre2: destino.nombre }))) return;
    await api(`/api/soporte/etiquetas/${e.id}/fusionar/`, { method: "POST", body: { en: destino.id } });
    avisar(`«${e.nombre}» fusionada en «${destino.nombre}».`);
  } catch (error) {
    avisar(mensajeError(error), "error");
  }
  cargar();
}

async function cargar() {
  try {
    const vigente = turno();
    const q = buscar.elements.q.value.trim();
    const datos = await api(`/api/soporte/etiquetas/?${consulta({ page: pagina, size: 50, q })}`);
    if (!vigente()) return;
    vaciar(tabla);
    if (!datos.results.length) tabla.append(h("tr", {}, h("td", { colspan: 5, class: "vacio", text: t("No hay etiquetas.") })));
    for (const e of datos.results) tabla.append(fila(e));
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; cargar(); }));
  } catch (error) {
    vaciar(tabla).append(h("tr", {}, h("td", { colspan: 5, class: "form-error", text: mensajeError(error) })));
  }
}

form.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  mostrarError(form, null);
  const id = form.elements.id.value;
  const cuerpo = {
    nombre: form.elements.nombre.value.trim(),
    color: form.elements.sin_color.checked ? "" : form.elements.color.value,
  };
  if (!cuerpo.nombre) {
    mostrarError(form, t("Escribe un nombre."));
    return;
  }
  try {
    await api(id ? `/api/soporte/etiquetas/${id}/` : "/api/soporte/etiquetas/", { method: id ? "PATCH" : "POST", body: cuerpo });
    avisar(id ? t("Etiqueta actualizada.") : t("Etiqueta creada."));
    editor.hidden = true;
    cargar();
  } catch (error) {
    mostrarError(form, error);
  }
});
// Picking a colour means "with colour".
form.elements.color.addEventListener("input", () => { form.elements.sin_color.checked = false; });
document.getElementById("etiqueta-nueva").addEventListener("click", () => abrirEditor());
document.getElementById("etiqueta-cancelar").addEventListener("click", () => { editor.hidden = true; });
const recargar = () => { pagina = 1; cargar(); };
buscar.addEventListener("input", retrasar(recargar, 300));
buscar.addEventListener("submit", (evento) => { evento.preventDefault(); recargar(); });
cargar();
