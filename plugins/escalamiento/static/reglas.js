// The rule editor (ADMIN): rules of /api/soporte/escalamiento/reglas/ with everything the API
// takes — named levels and their recipients, business hours with holidays, and the policy with
// the form its JSON Schema describes (GET /api/soporte/escalamiento/politicas/: a third-party
// plugin's policies and parameters appear there too). Validation is the API's: its 400 names
// each bad field, and the message is shown next to that field.
import { api, consulta } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { personal } from "/static/core/personal.js";
import { accionYRecargar, avisar, h, insignia, mensajeError, vaciar } from "/static/core/dom.js";
import { etiqueta as etiquetaDe, t } from "/static/core/i18n.js";

await sesion;
const RUTA = "/api/soporte/escalamiento/reglas/";
const MAX_NIVELES = 5;
const COLUMNAS = 8;
const ROLES = [["AGENTE", t("Todos los agentes")], ["ADMIN", t("Todos los administradores")]];
const DIAS = [t("lun"), t("mar"), t("mié"), t("jue"), t("vie"), t("sáb"), t("dom")];
const INTERVALO_POR_DEFECTO = ["09:00", "18:00"];

const tabla = document.getElementById("reglas");
const editor = document.getElementById("regla-editor");
const form = document.getElementById("form-regla");
const selectorPolitica = document.getElementById("regla-politica");
const ayudaPolitica = document.getElementById("regla-politica-ayuda");
const listaNiveles = document.getElementById("regla-niveles");
const horarioActivo = document.getElementById("horario-activo");
const horarioCampos = document.getElementById("horario-campos");
const listaIntervalos = document.getElementById("horario-intervalos");
const listaFestivos = document.getElementById("horario-festivos");
const grupoParametros = document.getElementById("regla-parametros");
const camposParametros = document.getElementById("regla-parametros-campos");
let politicas = [];
let agentes = [];
let editando = null;

const marcados = (nombre) => [...form.querySelectorAll(`input[name="${nombre}"]:checked`)].map((c) => c.value);
const politica = (nombre) => politicas.find((p) => p.nombre === nombre);

function marcar(nombre, valores) {
  const texto = valores.map(String);
  for (const casilla of form.querySelectorAll(`input[name="${nombre}"]`)) casilla.checked = texto.includes(casilla.value);
}

function nombreDestino(destino) {
  const rol = ROLES.find(([valor]) => valor === destino);
  if (rol) return rol[1];
  const usuario = agentes.find((u) => u.id === destino);
  return usuario ? usuario.nombre || usuario.username : t("usuario #{id}", { id: destino });
}

/** The levels as a list, whichever form the rule keeps (3 → Nivel 1, Nivel 2, Nivel 3). */
function listaDeNiveles(valor) {
  if (Array.isArray(valor)) return valor;
  return Array.from({ length: valor }, (_, i) => ({ nivel: i + 1, nombre: t("Nivel {n}", { n: i + 1 }), notificar: [] }));
}

// --- rows of the editor: levels, intervals, holidays --------------------------------------

function botonQuitar(texto, quitar) {
  return h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: quitar } }, texto);
}

function renumerarNiveles() {
  [...listaNiveles.children].forEach((fila, i) => {
    const n = i + 1;
    fila.dataset.campo = `niveles_escalamiento.${i}`;
    fila.querySelector(".nivel-numero").textContent = t("Nivel {n}", { n });
    const nombre = fila.querySelector(".nivel-nombre");
    nombre.id = `nivel-${n}-nombre`;
    nombre.placeholder = t("Nivel {n}", { n });
    fila.querySelector(".nivel-nombre-etiqueta").htmlFor = nombre.id;
    fila.querySelector(".nivel-nombre-etiqueta").textContent = t("Nombre del nivel {n}", { n });
    const destinos = fila.querySelector(".nivel-destinos");
    destinos.id = `nivel-${n}-destinos`;
    fila.querySelector(".nivel-destinos-etiqueta").htmlFor = destinos.id;
    fila.querySelector(".nivel-destinos-etiqueta").textContent = t("Destinatarios del nivel {n}", { n });
    fila.querySelector(".nivel-quitar").setAttribute("aria-label", t("Quitar el nivel {n}", { n }));
  });
  document.getElementById("nivel-anadir").disabled = listaNiveles.children.length >= MAX_NIVELES;
}

function filaNivel(nivel = { nombre: "", notificar: [] }) {
  const elegidos = (nivel.notificar || []).map(String);
  const opcionesDestino = [
    h("optgroup", { label: t("Roles") }, ROLES.map(([valor, etiqueta]) => h("option", { value: valor, selected: elegidos.includes(valor) }, etiqueta))),
    h("optgroup", { label: t("Agentes y administradores") }, agentes.map((u) => h("option", { value: String(u.id), selected: elegidos.includes(String(u.id)) }, `${u.nombre || u.username} (${u.username})`))),
  ];
  const fila = h(
    "li",
    { class: "fila-editor" },
    h("strong", { class: "nivel-numero" }),
    h("div", { class: "form-group" }, h("label", { class: "nivel-nombre-etiqueta" }), h("input", { class: "nivel-nombre", maxlength: 100, value: nivel.nombre || "" })),
    h("div", { class: "form-group" }, h("label", { class: "nivel-destinos-etiqueta" }), h("select", { class: "nivel-destinos", multiple: true }, opcionesDestino)),
    botonQuitar(t("Quitar"), () => {
      if (listaNiveles.children.length > 1) fila.remove();
      renumerarNiveles();
    }),
  );
  fila.querySelector("button").classList.add("nivel-quitar");
  return fila;
}

function ponerNiveles(niveles) {
  vaciar(listaNiveles);
  for (const nivel of niveles) listaNiveles.append(filaNivel(nivel));
  renumerarNiveles();
}

function leerNiveles() {
  return [...listaNiveles.children].map((fila, i) => {
    const nivel = { nivel: i + 1, notificar: [...fila.querySelector(".nivel-destinos").selectedOptions].map((o) => (/^\d+$/.test(o.value) ? Number(o.value) : o.value)) };
    const nombre = fila.querySelector(".nivel-nombre").value.trim();
    if (nombre) nivel.nombre = nombre;
    return nivel;
  });
}

/** Number the rows of `lista`: each input gets its label with n, its button `quitar` with n ({n}). */
function renumerar(lista, { etiquetas, quitar }) {
  [...lista.children].forEach((fila, i) => {
    fila.dataset.campo = `${lista.dataset.base}.${i}`;
    fila.querySelectorAll("input").forEach((input, j) => input.setAttribute("aria-label", etiquetas[j].replace("{n}", String(i + 1))));
    fila.querySelector("button").setAttribute("aria-label", quitar.replace("{n}", String(i + 1)));
  });
}

function filaIntervalo([inicio, fin] = INTERVALO_POR_DEFECTO) {
  const fila = h(
    "li",
    { class: "fila-editor" },
    h("input", { class: "intervalo-inicio", inputmode: "numeric", placeholder: "09:00", size: 6, value: inicio }),
    h("span", { "aria-hidden": "true", text: "–" }),
    h("input", { class: "intervalo-fin", inputmode: "numeric", placeholder: "18:00", size: 6, value: fin }),
    botonQuitar(t("Quitar"), () => {
      fila.remove();
      renumerar(listaIntervalos, ETIQUETAS_INTERVALO);
    }),
  );
  return fila;
}
// The labels keep their {n} placeholder: renumerar fills it in for each row.
const ETIQUETAS_INTERVALO = { etiquetas: [t("Inicio de la franja {n}"), t("Fin de la franja {n}")], quitar: t("Quitar la franja nº {n}") };
const ETIQUETAS_FESTIVO = { etiquetas: [t("Festivo {n}")], quitar: t("Quitar el festivo nº {n}") };

function filaFestivo(fecha = "") {
  const fila = h(
    "li",
    { class: "fila-editor" },
    h("input", { type: "date", class: "festivo", value: fecha }),
    botonQuitar(t("Quitar"), () => {
      fila.remove();
      renumerar(listaFestivos, ETIQUETAS_FESTIVO);
    }),
  );
  return fila;
}

function ponerHorario(horario) {
  horarioActivo.checked = Boolean(horario);
  horarioCampos.hidden = !horario;
  form.elements["horario.zona"].value = horario ? horario.zona : Intl.DateTimeFormat().resolvedOptions().timeZone || "Europe/Madrid";
  marcar("horario.dias", horario ? horario.dias : [0, 1, 2, 3, 4]);
  vaciar(listaIntervalos).append(...(horario ? horario.intervalos : [INTERVALO_POR_DEFECTO]).map(filaIntervalo));
  vaciar(listaFestivos).append(...(horario ? horario.festivos : []).map(filaFestivo));
  renumerar(listaIntervalos, ETIQUETAS_INTERVALO);
  renumerar(listaFestivos, ETIQUETAS_FESTIVO);
}

function leerHorario() {
  if (!horarioActivo.checked) return null;
  return {
    zona: form.elements["horario.zona"].value.trim(),
    dias: marcados("horario.dias").map(Number),
    intervalos: [...listaIntervalos.children].map((fila) => [fila.querySelector(".intervalo-inicio").value.trim(), fila.querySelector(".intervalo-fin").value.trim()]),
    // An empty date row is left out rather than sent as "" (the browser already refuses bad dates).
    festivos: [...listaFestivos.querySelectorAll(".festivo")].map((input) => input.value).filter(Boolean),
  };
}

// --- the policy and the form of its parameters -------------------------------------------

/** The JSON Schema type of a property (`anyOf: [{type: X}, {type: "null"}]` → X). */
function tipoDe(esquema) {
  if (esquema.type) return esquema.type;
  const alternativa = (esquema.anyOf || []).find((s) => s.type && s.type !== "null");
  return alternativa ? alternativa.type : "string";
}

function campoParametro(clave, esquema, requeridos, valor) {
  const id = `param-${clave}`;
  const tipo = tipoDe(esquema);
  const actual = valor !== undefined ? valor : esquema.default;
  const atributos = { id, name: `parametros.${clave}`, dataset: { clave, tipo }, required: requeridos.includes(clave) };
  const ayuda = esquema.description ? h("p", { class: "ayuda", id: `${id}-ayuda`, text: esquema.description }) : null;
  if (ayuda) atributos["aria-describedby"] = ayuda.id;
  const etiqueta = esquema.title || clave;
  let control;
  if (tipo === "boolean") {
    control = h("input", { ...atributos, type: "checkbox", checked: Boolean(actual) });
    return h("div", { class: "form-group", dataset: { campo: `parametros.${clave}` } }, h("label", { class: "casilla" }, control, ` ${etiqueta}`), ayuda);
  }
  if (esquema.enum) {
    control = h("select", atributos, esquema.enum.map((v) => h("option", { value: String(v), selected: v === actual }, String(v))));
  } else if (tipo === "number" || tipo === "integer") {
    const minimo = esquema.minimum ?? esquema.exclusiveMinimum;
    const maximo = esquema.maximum ?? esquema.exclusiveMaximum;
    control = h("input", { ...atributos, type: "number", step: tipo === "integer" ? 1 : "any", min: minimo, max: maximo, value: actual ?? "" });
  } else if (tipo === "string") {
    control = h("input", { ...atributos, maxlength: esquema.maxLength, value: actual ?? "" });
  } else {
    // Arrays and objects: typed as JSON (the API's 400 says what does not fit).
    control = h("input", { ...atributos, value: actual === undefined ? "" : JSON.stringify(actual) });
  }
  return h("div", { class: "form-group", dataset: { campo: `parametros.${clave}` } }, h("label", { for: id, text: etiqueta }), control, ayuda);
}

function ponerParametros(valores = {}) {
  const p = politica(selectorPolitica.value);
  const esquema = (p && p.parametros) || {};
  const propiedades = Object.entries(esquema.properties || {});
  vaciar(camposParametros);
  for (const [clave, sub] of propiedades) camposParametros.append(campoParametro(clave, sub, esquema.required || [], valores[clave]));
  grupoParametros.hidden = propiedades.length === 0;
  ayudaPolitica.textContent = p ? t("{descripcion} (plugin {plugin})", { descripcion: p.descripcion, plugin: p.plugin }) : "";
}

function leerParametros() {
  const valores = {};
  for (const control of camposParametros.querySelectorAll("[data-clave]")) {
    const { clave, tipo } = control.dataset;
    if (tipo === "boolean") valores[clave] = control.checked;
    else if (control.value === "") continue; // absent: the policy's default applies
    else if (control.tagName === "SELECT") valores[clave] = control.value;
    else if (tipo === "number" || tipo === "integer") valores[clave] = Number(control.value);
    else if (tipo === "string") valores[clave] = control.value;
    else {
      try {
        valores[clave] = JSON.parse(control.value);
      } catch {
        valores[clave] = control.value;
      }
    }
  }
  return valores;
}

async function cargarPoliticas() {
  politicas = await api("/api/soporte/escalamiento/politicas/");
  vaciar(selectorPolitica);
  const lista = vaciar(document.getElementById("politicas"));
  for (const p of politicas) {
    selectorPolitica.append(h("option", { value: p.nombre }, p.nombre));
    const parametros = Object.keys((p.parametros && p.parametros.properties) || {});
    lista.append(h("li", { class: "caso-item" }, h("strong", { text: p.nombre }), h("span", { class: "titulo", text: p.descripcion }), h("span", { class: "ayuda", text: parametros.length ? t("plugin: {plugin} · parámetros: {parametros}", { plugin: p.plugin, parametros: parametros.join(", ") }) : t("plugin: {plugin}", { plugin: p.plugin }) })));
  }
  elegirPoliticaPorDefecto();
  ponerParametros();
}

// The contract's default policy, when the server offers it.
function elegirPoliticaPorDefecto() {
  if (politicas.some((p) => p.nombre === "tiempo_respuesta")) selectorPolitica.value = "tiempo_respuesta";
}

// --- errors by the field -------------------------------------------------------------------

function limpiarErrores() {
  for (const campo of form.querySelectorAll("[aria-invalid]")) campo.removeAttribute("aria-invalid");
  for (const p of form.querySelectorAll(".error-campo")) p.remove();
  const caja = form.querySelector(".form-error");
  caja.hidden = true;
  caja.textContent = "";
}

/** The element that holds field `clave` ("horario.festivos.0" falls back to "horario.festivos"). */
function contenedor(clave) {
  const partes = clave.split(".");
  while (partes.length) {
    const el = form.querySelector(`[data-campo="${CSS.escape(partes.join("."))}"]`);
    if (el) return el;
    partes.pop();
  }
  return null;
}

let errores = 0;

/** Each message of a 400 next to its field (aria-invalid + aria-describedby); the rest above. */
function mostrarErrores(error) {
  limpiarErrores();
  const sueltos = {};
  for (const [clave, mensajes] of Object.entries(error.errores || {})) {
    const el = contenedor(clave);
    if (!el) {
      sueltos[clave] = mensajes;
      continue;
    }
    errores += 1;
    const parrafo = h("p", { class: "error-campo", id: `error-campo-${errores}`, dataset: { campo: clave }, text: [].concat(mensajes).join(" ") });
    el.append(parrafo);
    for (const control of el.querySelectorAll("input, select")) {
      if (control.type === "checkbox" && el.tagName !== "FIELDSET") continue;
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), parrafo.id].filter(Boolean).join(" "));
    }
  }
  const caja = form.querySelector(".form-error");
  caja.textContent = mensajeError({ ...error, errores: sueltos });
  caja.hidden = false;
  const primero = form.querySelector("[aria-invalid='true']");
  if (primero) primero.focus();
}

// --- the form --------------------------------------------------------------------------------

function abrir(regla = null) {
  editando = regla;
  form.reset();
  limpiarErrores();
  document.getElementById("regla-editor-titulo").textContent = regla ? t("Editar regla {nombre}", { nombre: regla.nombre || `#${regla.id}` }) : t("Nueva regla");
  if (regla) {
    form.elements.nombre.value = regla.nombre;
    form.elements.tiempo_respuesta_maximo.value = regla.tiempo_respuesta_maximo;
    marcar("prioridades_escalamiento", regla.prioridades_escalamiento);
    marcar("categorias", regla.categorias);
    selectorPolitica.value = regla.politica;
    form.elements.notificaciones_automaticas.checked = regla.notificaciones_automaticas;
    form.elements.activa.checked = regla.activa;
  } else {
    elegirPoliticaPorDefecto();
  }
  ponerNiveles(listaDeNiveles(regla ? regla.niveles_escalamiento : 3));
  ponerHorario(regla ? regla.horario : null);
  ponerParametros(regla && regla.politica === selectorPolitica.value ? regla.parametros : {});
  editor.hidden = false;
  form.elements.nombre.focus();
}

function cuerpo() {
  return {
    nombre: form.elements.nombre.value.trim(),
    tiempo_respuesta_maximo: Number(form.elements.tiempo_respuesta_maximo.value),
    prioridades_escalamiento: marcados("prioridades_escalamiento"),
    categorias: marcados("categorias"),
    niveles_escalamiento: leerNiveles(),
    horario: leerHorario(),
    politica: selectorPolitica.value,
    parametros: leerParametros(),
    notificaciones_automaticas: form.elements.notificaciones_automaticas.checked,
    activa: form.elements.activa.checked,
  };
}

// --- the table -------------------------------------------------------------------------------

function textoHorario(horario) {
  if (!horario) return t("Siempre (sin horario)");
  const dias = horario.dias.map((d) => DIAS[d]).join(", ");
  const franjas = horario.intervalos.map(([a, b]) => `${a}–${b}`).join(", ");
  return [horario.zona, dias, franjas, horario.festivos.length ? t("festivos: {fechas}", { fechas: horario.festivos.join(", ") }) : t("sin festivos")];
}

function celdaLista(lineas) {
  return h("td", {}, h("ul", {}, [].concat(lineas).map((linea) => h("li", { text: linea }))));
}

function fila(regla) {
  const ninguno = t("sin destinatarios");
  const niveles = listaDeNiveles(regla.niveles_escalamiento).map((n) => t("{nivel}: {destinatarios}", { nivel: n.nombre, destinatarios: n.notificar.length ? n.notificar.map(nombreDestino).join(", ") : ninguno }));
  const parametros = Object.entries(regla.parametros || {}).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
  return h(
    "tr",
    { dataset: { id: regla.id } },
    h("td", { text: regla.nombre || t("Regla #{id}", { id: regla.id }) }),
    h("td", { text: `${regla.tiempo_respuesta_maximo} h` }),
    h("td", { text: regla.prioridades_escalamiento.map((p) => etiquetaDe("prioridad", p)).join(", ") }),
    celdaLista(niveles),
    celdaLista(textoHorario(regla.horario)),
    celdaLista([regla.politica, ...parametros]),
    h("td", {}, insignia("estado", regla.activa ? "resuelto" : "cerrado", regla.activa ? t("Activa") : t("Inactiva"))),
    h("td", {}, h("div", { class: "acciones" },
      h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => abrir(regla) } }, t("Editar")),
      h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => accion(api(`${RUTA}${regla.id}/`, { method: "PATCH", body: { activa: !regla.activa } }), t("Regla actualizada.")) } }, regla.activa ? t("Desactivar") : t("Activar")),
      h("button", { type: "button", class: "boton boton-peligro boton-pequeno", on: { click: () => window.confirm(t("¿Eliminar la regla?")) && accion(api(`${RUTA}${regla.id}/`, { method: "DELETE" }), t("Regla eliminada.")) } }, t("Eliminar")))),
  );
}

/** A row action: its request, a notice, then the list again. */
const accion = (promesa, texto) => accionYRecargar(promesa, texto, cargar);

async function cargar() {
  try {
    const datos = await api(`${RUTA}?${consulta({ page: 1, size: 100 })}`);
    vaciar(tabla);
    if (!datos.results.length) tabla.append(h("tr", {}, h("td", { colspan: COLUMNAS, class: "vacio", text: t("No hay reglas: ningún ticket escalará.") })));
    for (const regla of datos.results) tabla.append(fila(regla));
  } catch (error) {
    vaciar(tabla).append(h("tr", {}, h("td", { colspan: COLUMNAS, class: "form-error", text: mensajeError(error) })));
  }
}

form.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  limpiarErrores();
  try {
    await api(editando ? `${RUTA}${editando.id}/` : RUTA, { method: editando ? "PATCH" : "POST", body: cuerpo() });
    avisar(editando ? t("Regla actualizada.") : t("Regla creada."));
    editor.hidden = true;
    cargar();
  } catch (error) {
    mostrarErrores(error);
  }
});
selectorPolitica.addEventListener("change", () => ponerParametros());
horarioActivo.addEventListener("change", () => { horarioCampos.hidden = !horarioActivo.checked; });
document.getElementById("nivel-anadir").addEventListener("click", () => {
  if (listaNiveles.children.length < MAX_NIVELES) listaNiveles.append(filaNivel());
  renumerarNiveles();
});
document.getElementById("intervalo-anadir").addEventListener("click", () => {
  listaIntervalos.append(filaIntervalo(["", ""]));
  renumerar(listaIntervalos, ETIQUETAS_INTERVALO);
});
document.getElementById("festivo-anadir").addEventListener("click", () => {
  listaFestivos.append(filaFestivo());
  renumerar(listaFestivos, ETIQUETAS_FESTIVO);
  listaFestivos.lastElementChild.querySelector("input").focus();
});
document.getElementById("regla-cancelar").addEventListener("click", () => { editor.hidden = true; });
if (typeof Intl.supportedValuesOf === "function") {
  document.getElementById("zonas-horarias").append(...Intl.supportedValuesOf("timeZone").map((z) => h("option", { value: z })));
}
listaIntervalos.dataset.base = "horario.intervalos";
listaFestivos.dataset.base = "horario.festivos";
// The recipients' names for the pickers and the table; the editor waits for them and the policies.
agentes = await personal().catch(() => []);
// Only now can a new rule be opened (the button is disabled until then): its levels list these
// recipients.
const nueva = document.getElementById("regla-nueva");
nueva.addEventListener("click", () => abrir());
nueva.disabled = false;
cargarPoliticas().catch((error) => avisar(mensajeError(error), "error"));
cargar();
