// FAQ management (ADMIN): every FAQ, active or not; create, edit, (de)activate, delete.
import { api, consulta, turnos } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { accionYRecargar, avisar, h, insignia, mensajeError, mostrarError, paginacion, retrasar, vaciar } from "/static/core/dom.js";
import { t } from "/static/core/i18n.js";

await sesion;
const tabla = document.getElementById("faq-tabla");
const paginas = document.getElementById("paginacion");
const filtros = document.getElementById("faq-filtros");
const editor = document.getElementById("faq-editor");
const form = document.getElementById("form-faq");
let pagina = 1;
const turno = turnos();

function abrirEditor(faq = null) {
  form.reset();
  mostrarError(form, null);
  form.elements.id.value = faq ? faq.id : "";
  if (faq) {
    form.elements.pregunta.value = faq.pregunta;
    form.elements.respuesta.value = faq.respuesta;
    form.elements.categoria.value = faq.categoria;
    form.elements.activa.checked = faq.activa;
    // The API does not return `orden`: leave it untouched unless the admin types one.
    form.elements.orden.value = "";
  }
  form.elements.orden.placeholder = faq ? "(sin cambios)" : "0";
  document.getElementById("faq-editor-titulo").textContent = faq ? t("Editar pregunta") : t("Nueva pregunta");
  editor.hidden = false;
  form.elements.pregunta.focus();
}

/** A row action: its request, a notice, then the list again. */
const accion = (promesa, texto) => accionYRecargar(promesa, texto, cargar);

function fila(faq) {
  return h(
    "tr",
    { dataset: { id: faq.id } },
    h("td", { text: faq.pregunta }),
    h("td", { text: faq.categoria }),
    h("td", {}, insignia("estado", faq.activa ? "resuelto" : "cerrado", faq.activa ? t("Activa") : t("Inactiva"))),
    h("td", { text: `${faq.valoraciones_positivas} ✓ / ${faq.valoraciones_negativas} ✗` }),
    h(
      "td",
      {},
      h(
        "div",
        { class: "acciones" },
        h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => abrirEditor(faq) } }, t("Editar")),
        h("button", {
          type: "button",
          class: "boton boton-secundario boton-pequeno",
          on: { click: () => accion(api(`/api/soporte/faqs/${faq.id}/`, { method: "PATCH", body: { activa: !faq.activa } }), t("FAQ actualizada.")) },
        }, faq.activa ? t("Desactivar") : t("Activar")),
        h("button", {
          type: "button",
          class: "boton boton-peligro boton-pequeno",
          on: {
            click: () => {
              if (window.confirm(t("¿Eliminar «{pregunta}»?", { pregunta: faq.pregunta }))) {
                accion(api(`/api/soporte/faqs/${faq.id}/`, { method: "DELETE" }), t("FAQ eliminada."));
              }
            },
          },
        }, t("Eliminar")),
      ),
    ),
  );
}

async function cargar() {
  try {
    const vigente = turno();
    const datos = await api(`/api/soporte/faqs/?${consulta({ q: filtros.elements.q.value.trim(), page: pagina, size: 20 })}`);
    if (!vigente()) return;
    vaciar(tabla);
    if (!datos.results.length) tabla.append(h("tr", {}, h("td", { colspan: 5, class: "vacio", text: t("No hay preguntas.") })));
    for (const faq of datos.results) tabla.append(fila(faq));
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; cargar(); }));
  } catch (error) {
    vaciar(tabla).append(h("tr", {}, h("td", { colspan: 5, class: "form-error", text: mensajeError(error) })));
  }
}

async function cargarCategorias() {
  const lista = document.getElementById("faq-categorias-existentes");
  try {
    for (const c of await api("/api/soporte/faqs/categorias/", { publico: true })) lista.append(h("option", { value: c.categoria }));
  } catch {
    // Suggestions only.
  }
}

form.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  mostrarError(form, null);
  const id = form.elements.id.value;
  const cuerpo = {
    pregunta: form.elements.pregunta.value.trim(),
    respuesta: form.elements.respuesta.value.trim(),
    categoria: form.elements.categoria.value.trim(),
    activa: form.elements.activa.checked,
  };
  if (form.elements.orden.value !== "") cuerpo.orden = Number(form.elements.orden.value);
  try {
    await api(id ? `/api/soporte/faqs/${id}/` : "/api/soporte/faqs/", { method: id ? "PATCH" : "POST", body: cuerpo });
    avisar(id ? t("FAQ actualizada.") : t("FAQ creada."));
    editor.hidden = true;
    cargar();
  } catch (error) {
    mostrarError(form, error);
  }
});
document.getElementById("faq-nueva").addEventListener("click", () => abrirEditor());
document.getElementById("faq-cancelar").addEventListener("click", () => { editor.hidden = true; });
filtros.addEventListener("input", retrasar(() => { pagina = 1; cargar(); }, 250));
filtros.addEventListener("submit", (evento) => { evento.preventDefault(); pagina = 1; cargar(); });
cargarCategorias();
cargar();
