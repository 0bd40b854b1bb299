// The console's "Macros" page: the agent's visible macros; create, edit, (de)activate and
// delete those they may edit (the server decides: `editable`).
import { api, consulta, turnos } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { accionYRecargar, avisar, h, insignia, mensajeError, mostrarError, paginacion, retrasar, vaciar } from "/static/core/dom.js";
import { describirAcciones } from "/static/macros/comun.js";
import { etiquetas, t } from "/static/core/i18n.js";

await sesion;
const tabla = document.getElementById("macro-tabla");
const paginas = document.getElementById("paginacion");
const filtros = document.getElementById("macro-filtros");
const editor = document.getElementById("macro-editor");
const form = document.getElementById("form-macro");
const grupoEquipo = document.getElementById("macro-equipo-grupo");
const AMBITOS = etiquetas("ambito");
// Field changes this form does not edit (e.g. `agente_asignado` set through the API) are kept.
const EDITADAS = ["estado", "prioridad", "equipo", "etiquetas_agregar", "etiquetas_quitar"];
let pagina = 1;
let original = {};
let equipos = [];
const turno = turnos();

function nombresDe(texto) {
  return texto.split(",").map((n) => n.trim()).filter(Boolean);
}

function opcionesEquipo(select, vacio) {
  vaciar(select).append(h("option", { value: "" }, vacio));
  for (const equipo of equipos) select.append(h("option", { value: equipo.id }, equipo.nombre));
}

function mostrarEquipo() {
  grupoEquipo.hidden = form.elements.ambito.value !== "EQUIPO";
}

function abrirEditor(macro = null) {
  form.reset();
  mostrarError(form, null);
  original = macro ? { ...macro.acciones } : {};
  const acciones = original;
  form.elements.id.value = macro ? macro.id : "";
  form.elements.nombre.value = macro ? macro.nombre : "";
  form.elements.descripcion.value = macro ? macro.descripcion : "";
  form.elements.mensaje.value = macro ? macro.mensaje : "";
  form.elements.ambito.value = macro ? macro.ambito : "PERSONAL";
  form.elements.equipo.value = macro && macro.equipo ? macro.equipo : "";
  form.elements.interna.checked = macro ? macro.interna : false;
  form.elements.activa.checked = macro ? macro.activa : true;
  form.elements.estado.value = acciones.estado || "";
  form.elements.prioridad.value = acciones.prioridad || "";
  form.elements.accion_equipo.value = acciones.equipo === null ? "ninguno" : acciones.equipo ? String(acciones.equipo) : "";
  form.elements.etiquetas_agregar.value = (acciones.etiquetas_agregar || []).join(", ");
  form.elements.etiquetas_quitar.value = (acciones.etiquetas_quitar || []).join(", ");
  document.getElementById("macro-editor-titulo").textContent = macro ? t("Editar macro") : t("Nueva macro");
  mostrarEquipo();
  editor.hidden = false;
  form.elements.nombre.focus();
}

function accionesDelFormulario() {
  const acciones = Object.fromEntries(Object.entries(original).filter(([campo]) => !EDITADAS.includes(campo)));
  const e = form.elements;
  if (e.estado.value) acciones.estado = e.estado.value;
  if (e.prioridad.value) acciones.prioridad = e.prioridad.value;
  if (e.accion_equipo.value === "ninguno") acciones.equipo = null;
  else if (e.accion_equipo.value) acciones.equipo = Number(e.accion_equipo.value);
  const agregar = nombresDe(e.etiquetas_agregar.value);
  const quitar = nombresDe(e.etiquetas_quitar.value);
  if (agregar.length) acciones.etiquetas_agregar = agregar;
  if (quitar.length) acciones.etiquetas_quitar = quitar;
  return acciones;
}

/** A row action: its request, a notice, then the list again. */
const accion = (promesa, texto) => accionYRecargar(promesa, texto, cargar);

function botones(macro) {
  if (!macro.editable) return h("span", { class: "ayuda", text: t("Solo lectura") });
  const ruta = `/api/soporte/macros/${macro.id}/`;
  return h(
    "div",
    { class: "acciones" },
    h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => abrirEditor(macro) } }, t("Editar")),
    h("button", {
      type: "button",
      class: "boton boton-secundario boton-pequeno",
      on: { click: () => accion(api(ruta, { method: "PATCH", body: { activa: !macro.activa } }), t("Macro actualizada.")) },
    }, macro.activa ? t("Desactivar") : t("Activar")),
    h("button", {
      type: "button",
      class: "boton boton-peligro boton-pequeno",
      on: {
        click: () => {
          if (window.confirm(t("¿Eliminar la macro «{nombre}»?", { nombre: macro.nombre }))) accion(api(ruta, { method: "DELETE" }), t("Macro eliminada."));
        },
      },
    }, t("Eliminar")),
  );
}

function fila(macro) {
  const equipo = equipos.find((e) => e.id === macro.equipo);
  const ambito = macro.ambito === "EQUIPO" && equipo ? t("Equipo {nombre}", { nombre: equipo.nombre }) : AMBITOS[macro.ambito];
  return h(
    "tr",
    { dataset: { id: macro.id } },
    h("td", {}, h("strong", { text: macro.nombre }), macro.descripcion ? h("div", { class: "ayuda", text: macro.descripcion }) : null),
    h("td", { text: ambito }),
    h("td", { text: [macro.interna ? t("Nota interna") : "", describirAcciones(macro.acciones)].filter(Boolean).join(" · ") || "—" }),
    h("td", {}, insignia("estado", macro.activa ? "resuelto" : "cerrado", macro.activa ? t("Activa") : t("Inactiva"))),
    h("td", { text: macro.usos }),
    h("td", {}, botones(macro)),
  );
}

async function cargar() {
  try {
    const vigente = turno();
    const parametros = { q: filtros.elements.q.value.trim(), ambito: filtros.elements.ambito.value, page: pagina, size: 20 };
    const datos = await api(`/api/soporte/macros/?${consulta(parametros)}`);
    if (!vigente()) return;
    vaciar(tabla);
    if (!datos.results.length) tabla.append(h("tr", {}, h("td", { colspan: 6, class: "vacio", text: t("No hay macros.") })));
    for (const macro of datos.results) tabla.append(fila(macro));
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; cargar(); }));
  } catch (error) {
    vaciar(tabla).append(h("tr", {}, h("td", { colspan: 6, class: "form-error", text: mensajeError(error) })));
  }
}

async function cargarEquipos() {
  try {
    const datos = await api(`/api/soporte/equipos/?${consulta({ size: 100 })}`);
    equipos = (datos.results || datos).filter((e) => e.activo !== false);
  } catch {
    equipos = [];
  }
  opcionesEquipo(form.elements.equipo, t("Elegir un equipo…"));
  opcionesEquipo(form.elements.accion_equipo, t("Sin cambios"));
  form.elements.accion_equipo.append(h("option", { value: "ninguno" }, t("Quitar el equipo")));
}

form.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  mostrarError(form, null);
  const id = form.elements.id.value;
  const e = form.elements;
  const cuerpo = {
    nombre: e.nombre.value.trim(),
    descripcion: e.descripcion.value.trim(),
    mensaje: e.mensaje.value,
    ambito: e.ambito.value,
    interna: e.interna.checked,
    activa: e.activa.checked,
    acciones: accionesDelFormulario(),
  };
  if (cuerpo.ambito === "EQUIPO") cuerpo.equipo = e.equipo.value ? Number(e.equipo.value) : null;
  try {
    await api(id ? `/api/soporte/macros/${id}/` : "/api/soporte/macros/", { method: id ? "PATCH" : "POST", body: cuerpo });
    avisar(id ? t("Macro actualizada.") : t("Macro creada."));
    editor.hidden = true;
    cargar();
  } catch (error) {
    mostrarError(form, error);
  }
});
form.elements.ambito.addEventListener("change", mostrarEquipo);
document.getElementById("macro-nueva").addEventListener("click", () => abrirEditor());
document.getElementById("macro-cancelar").addEventListener("click", () => { editor.hidden = true; });
filtros.addEventListener("input", retrasar(() => { pagina = 1; cargar(); }, 250));
filtros.addEventListener("submit", (evento) => { evento.preventDefault(); pagina = 1; cargar(); });
await cargarEquipos();
cargar();
