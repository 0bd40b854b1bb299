// The rule editor (ADMIN): rules of /api/soporte/escalamiento/reglas/, policies listed from
// GET /api/soporte/escalamiento/politicas/ (a third-party plugin's policies appear there too).
import { api, consulta } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, h, insignia, mensajeError, mostrarError, vaciar } from "/static/core/dom.js";
import { t } from "/static/core/i18n.js";

await sesion;
const tabla = document.getElementById("reglas");
const editor = document.getElementById("regla-editor");
const form = document.getElementById("form-regla");
const selectorPolitica = document.getElementById("regla-politica");
const ayudaPolitica = document.getElementById("regla-politica-ayuda");
let politicas = [];
let editando = null;

const niveles = (valor) => (Array.isArray(valor) ? valor.length : valor);
const marcados = (nombre) => [...form.querySelectorAll(`input[name="${nombre}"]:checked`)].map((c) => c.value);

function marcar(nombre, valores) {
  for (const casilla of form.querySelectorAll(`input[name="${nombre}"]`)) casilla.checked = valores.includes(casilla.value);
}

function describirPolitica() {
  const p = politicas.find((x) => x.nombre === selectorPolitica.value);
  ayudaPolitica.textContent = p ? `${p.descripcion} (plugin ${p.plugin})` : "";
}

async function cargarPoliticas() {
  politicas = await api("/api/soporte/escalamiento/politicas/");
  vaciar(selectorPolitica);
  const lista = vaciar(document.getElementById("politicas"));
  for (const p of politicas) {
    selectorPolitica.append(h("option", { value: p.nombre }, p.nombre));
    lista.append(h("li", { class: "caso-item" }, h("strong", { text: p.nombre }), h("span", { class: "titulo", text: p.descripcion }), h("span", { class: "ayuda", text: `plugin: ${p.plugin}` })));
  }
  elegirPoliticaPorDefecto();
  describirPolitica();
}

// The contract's default policy, when the server offers it.
function elegirPoliticaPorDefecto() {
  if (politicas.some((p) => p.nombre === "tiempo_respuesta")) selectorPolitica.value = "tiempo_respuesta";
}

function abrir(regla = null) {
  editando = regla;
  form.reset();
  mostrarError(form, null);
  document.getElementById("regla-editor-titulo").textContent = regla ? t("Editar regla {nombre}", { nombre: regla.nombre || `#${regla.id}` }) : t("Nueva regla");
  if (regla) {
    form.elements.nombre.value = regla.nombre;
    form.elements.tiempo_respuesta_maximo.value = regla.tiempo_respuesta_maximo;
    form.elements.niveles_escalamiento.value = niveles(regla.niveles_escalamiento);
    marcar("prioridades_escalamiento", regla.prioridades_escalamiento);
    marcar("categorias", regla.categorias);
    selectorPolitica.value = regla.politica;
    form.elements.notificaciones_automaticas.checked = regla.notificaciones_automaticas;
    form.elements.activa.checked = regla.activa;
  } else {
    elegirPoliticaPorDefecto();
  }
  describirPolitica();
  editor.hidden = false;
  form.elements.nombre.focus();
}

async function accion(promesa, texto) {
  try {
    await promesa;
    avisar(texto);
  } catch (error) {
    avisar(mensajeError(error), "error");
  }
  cargar();
}

function fila(regla) {
  return h(
    "tr",
    { dataset: { id: regla.id } },
    h("td", { text: regla.nombre || t("Regla #{id}", { id: regla.id }) }),
    h("td", { text: `${regla.tiempo_respuesta_maximo} h` }),
    h("td", { text: regla.prioridades_escalamiento.join(", ") }),
    h("td", { text: String(niveles(regla.niveles_escalamiento)) }),
    h("td", { text: regla.politica }),
    h("td", {}, insignia("estado", regla.activa ? "resuelto" : "cerrado", regla.activa ? t("Activa") : t("Inactiva"))),
    h("td", {}, h("div", { class: "acciones" },
      h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => abrir(regla) } }, t("Editar")),
      h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => accion(api(`/api/soporte/escalamiento/reglas/${regla.id}/`, { method: "PATCH", body: { activa: !regla.activa } }), t("Regla actualizada.")) } }, regla.activa ? t("Desactivar") : t("Activar")),
      h("button", { type: "button", class: "boton boton-peligro boton-pequeno", on: { click: () => window.confirm(t("¿Eliminar la regla?")) && accion(api(`/api/soporte/escalamiento/reglas/${regla.id}/`, { method: "DELETE" }), t("Regla eliminada.")) } }, t("Eliminar")))),
  );
}

async function cargar() {
  try {
    const datos = await api(`/api/soporte/escalamiento/reglas/?${consulta({ page: 1, size: 100 })}`);
    vaciar(tabla);
    if (!datos.results.length) tabla.append(h("tr", {}, h("td", { colspan: 7, class: "vacio", text: t("No hay reglas: ningún ticket escalará.") })));
    for (const regla of datos.results) tabla.append(fila(regla));
  } catch (error) {
    vaciar(tabla).append(h("tr", {}, h("td", { colspan: 7, class: "form-error", text: mensajeError(error) })));
  }
}

form.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  mostrarError(form, null);
  const cuerpo = {
    nombre: form.elements.nombre.value.trim(),
    tiempo_respuesta_maximo: Number(form.elements.tiempo_respuesta_maximo.value),
    prioridades_escalamiento: marcados("prioridades_escalamiento"),
    categorias: marcados("categorias"),
    notificaciones_automaticas: form.elements.notificaciones_automaticas.checked,
    politica: selectorPolitica.value,
    activa: form.elements.activa.checked,
  };
  const nivelesNuevos = Number(form.elements.niveles_escalamiento.value);
  // A rule with named levels keeps them unless the admin changes how many there are.
  if (!editando || nivelesNuevos !== niveles(editando.niveles_escalamiento)) cuerpo.niveles_escalamiento = nivelesNuevos;
  try {
    await api(editando ? `/api/soporte/escalamiento/reglas/${editando.id}/` : "/api/soporte/escalamiento/reglas/", {
      method: editando ? "PATCH" : "POST",
      body: cuerpo,
    });
    avisar(editando ? t("Regla actualizada.") : t("Regla creada."));
    editor.hidden = true;
    cargar();
  } catch (error) {
    mostrarError(form, error);
  }
});
selectorPolitica.addEventListener("change", describirPolitica);
document.getElementById("regla-nueva").addEventListener("click", () => abrir());
document.getElementById("regla-cancelar").addEventListener("click", () => { editor.hidden = true; });
cargarPoliticas().catch((error) => avisar(mensajeError(error), "error"));
cargar();
