// Bulk changes in the agents' queue: a checkbox per row (cola.js asks `celdaSeleccion`), one for
// the page, "seleccionar todos los que coinciden" (the queue's filter, as the API's `filtro`),
// and an action bar (estado, prioridad, equipo, asignar, añadir etiqueta) that calls
// POST /api/soporte/tickets/lote/, shows a per-ticket summary and has the queue reload.
//
// cola.js announces every load ("soporte:cola" with its filter and count) and listens for
// "soporte:cola-recargar"; this module knows nothing else of it.
import { api } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, h, mensajeError, opciones, vaciar } from "/static/core/dom.js";
import { autocompletar } from "/static/core/etiquetas.js";
import { personal } from "/static/core/personal.js";
import { ESTADOS, PRIORIDADES } from "./comun.js";
import { equipos } from "./equipos.js";
import { t } from "/static/core/i18n.js";

const barra = document.getElementById("barra-lote");
const resultado = document.getElementById("lote-resultado");
const casillaPagina = document.getElementById("lote-pagina");
const cuerpo = document.getElementById("cola");
// The bar's controls, built by `montar` at the first selection.
let cuenta = null;
let todos = null;
let todosTexto = null;

/** Ids selected by hand, kept across reloads of the page (live changes, other pages). */
const seleccion = new Set();
/** The queue's current filter and its count (from cola.js). */
let actual = { filtros: {}, total: 0, texto: "0" };

/** Build the bar (once): the count, "all that match", the actions, "Aplicar". */
function montar() {
  if (todos) return;
  const select = (nombre, etiqueta, primera, pares) =>
    h("select", { name: nombre, "aria-label": etiqueta }, h("option", { value: "" }, primera), opciones(pares));
  cuenta = h("strong", { id: "lote-cuenta" });
  todos = h("input", { type: "checkbox", id: "lote-todos", on: { change: () => pintarBarra() } });
  todosTexto = h("span", { id: "lote-todos-texto" });
  const etiqueta = h("input", { name: "etiqueta", maxlength: 50, placeholder: t("Añadir etiqueta"), "aria-label": t("Añadir etiqueta a los seleccionados") });
  barra.append(
    cuenta,
    h("label", { class: "casilla" }, todos, " ", todosTexto),
    select("estado", t("Cambiar estado de los seleccionados"), t("Estado…"), Object.entries(ESTADOS)),
    select("prioridad", t("Cambiar prioridad de los seleccionados"), t("Prioridad…"), Object.entries(PRIORIDADES)),
    select("equipo", t("Mover los seleccionados a un equipo"), t("Equipo…"), []),
    select("agente_asignado", t("Asignar los seleccionados"), t("Asignar…"), [["yo", t("A mí")]]),
    etiqueta,
    h("button", { type: "submit", class: "boton boton-pequeno", id: "lote-aplicar" }, t("Aplicar")),
    h("button", { type: "button", class: "boton boton-secundario boton-pequeno", id: "lote-limpiar", on: { click: limpiar } }, t("Quitar selección")),
  );
  autocompletar(etiqueta);
  llenarSelectores();
}

/** Whether the keyboard focus is in the bar (or on a control of it that was just disabled). */
function focoEnBarra() {
  return barra.contains(document.activeElement);
}

/** The bar hid with the focus in it: the focus goes to the page's checkbox, where a selection
 * starts again, instead of falling to the page's body with the hidden control. */
function devolverFoco(teniaFoco) {
  if (teniaFoco && barra.hidden) casillaPagina?.focus();
}

function limpiar() {
  const teniaFoco = focoEnBarra();
  seleccion.clear();
  todos.checked = false;
  for (const c of cuerpo.querySelectorAll("input.lote-casilla")) c.checked = false;
  resultado.hidden = true;
  pintarBarra();
  devolverFoco(teniaFoco);
}

function pintarBarra() {
  if (!barra) return;
  if (!todos) {
    if (!seleccion.size) return;
    montar();
  }
  const n = todos.checked ? actual.total : seleccion.size;
  barra.hidden = n === 0 && !todos.checked;
  cuenta.textContent = todos.checked
    ? t("{total} tickets que coinciden con el filtro", { total: actual.texto })
    : n === 1 ? t("1 seleccionado") : t("{n} seleccionados", { n });
  todosTexto.textContent = t("Seleccionar todos los que coinciden ({total})", { total: actual.texto });
  const casillas = cuerpo ? [...cuerpo.querySelectorAll("input.lote-casilla")] : [];
  for (const c of casillas) c.disabled = todos.checked;
  if (casillaPagina) {
    casillaPagina.checked = casillas.length > 0 && casillas.every((c) => c.checked);
    casillaPagina.disabled = todos.checked;
  }
}

/** The queue row's first cell: a checkbox selecting the ticket. */
export function celdaSeleccion(ticket) {
  const casilla = h("input", {
    type: "checkbox",
    class: "lote-casilla",
    "aria-label": t("Seleccionar {numero}", { numero: ticket.numero }),
    checked: seleccion.has(ticket.id),
    dataset: { id: ticket.id },
    on: {
      change: (e) => {
        if (e.target.checked) seleccion.add(ticket.id);
        else seleccion.delete(ticket.id);
        pintarBarra();
      },
    },
  });
  return h("td", {}, casilla);
}

/** The actions the bar's controls ask for (only those set). */
async function acciones() {
  const form = barra;
  const cambios = {};
  if (form.elements.estado.value) cambios.estado = form.elements.estado.value;
  if (form.elements.prioridad.value) cambios.prioridad = form.elements.prioridad.value;
  if (form.elements.equipo.value) cambios.equipo = Number(form.elements.equipo.value);
  const agente = form.elements.agente_asignado.value;
  if (agente) cambios.agente_asignado = agente === "yo" ? (await sesion).usuario.id : Number(agente);
  const etiqueta = form.elements.etiqueta.value.trim();
  if (etiqueta) cambios.etiquetas_agregar = [etiqueta];
  return cambios;
}

/** The per-ticket summary: how many changed, and every failure with its reason. */
function resumir(datos) {
  const fallos = datos.resultados.filter((r) => r.estado !== 200);
  const numeros = new Map([...cuerpo.querySelectorAll("tr[data-id]")].map((tr) => [Number(tr.dataset.id), tr.querySelector("a")?.textContent]));
  const partes = [
    h("p", { text: `${datos.correctos} de ${datos.total} tickets actualizados.` }),
    datos.truncado
      ? h("p", { class: "ayuda", text: t("El filtro coincide con {coincidentes} tickets: se procesaron los primeros {total}. Vuelva a aplicar para seguir.", { coincidentes: datos.coincidentes, total: datos.total }) })
      : null,
    fallos.length
      ? h("ul", {}, fallos.map((r) => h("li", { text: `${numeros.get(r.id) || `#${r.id}`}: ${r.error || `error ${r.estado}`}` })))
      : null,
  ];
  vaciar(resultado).append(...partes.filter(Boolean));
  resultado.hidden = false;
}

async function aplicar(evento) {
  evento.preventDefault();
  const teniaFoco = focoEnBarra();
  const cambios = await acciones();
  if (!Object.keys(cambios).length) {
    avisar(t("Elija al menos una acción."), "error");
    return;
  }
  const cuerpoPeticion = todos.checked
    ? { filtro: Object.fromEntries(Object.entries(actual.filtros).filter(([, v]) => v !== "" && v !== null && v !== undefined)), acciones: cambios }
    : { ids: [...seleccion], acciones: cambios };
  const boton = document.getElementById("lote-aplicar");
  boton.disabled = true;
  try {
    const datos = await api("/api/soporte/tickets/lote/", { method: "POST", body: cuerpoPeticion });
    resumir(datos);
    avisar(`${datos.correctos} de ${datos.total} tickets actualizados.`, datos.correctos === datos.total ? "ok" : "error");
    seleccion.clear();
    todos.checked = false;
    barra.reset();
  } catch (error) {
    avisar(mensajeError(error), "error");
  } finally {
    boton.disabled = false;
  }
  pintarBarra();
  devolverFoco(teniaFoco);
  document.dispatchEvent(new CustomEvent("soporte:cola-recargar"));
}

async function llenarSelectores() {
  try {
    for (const e of (await equipos()).filter((x) => x.activo)) barra.elements.equipo.append(h("option", { value: e.id, text: e.nombre }));
  } catch {
    // Without the list: no team action.
  }
  try {
    for (const u of await personal()) barra.elements.agente_asignado.append(h("option", { value: u.id, text: u.nombre || u.username }));
  } catch {
    // Only "A mí".
  }
}

if (barra) {
  document.addEventListener("soporte:cola", (evento) => {
    const { filtros, total, texto, vivo } = evento.detail;
    // A new filter (not a live refresh) starts a new selection of "all that match".
    if (todos && !vivo && JSON.stringify(filtros) !== JSON.stringify(actual.filtros)) todos.checked = false;
    actual = { filtros, total, texto };
    pintarBarra();
  });
  casillaPagina?.addEventListener("change", () => {
    for (const c of cuerpo.querySelectorAll("input.lote-casilla")) {
      c.checked = casillaPagina.checked;
      const ticketId = Number(c.dataset.id);
      if (c.checked) seleccion.add(ticketId);
      else seleccion.delete(ticketId);
    }
    pintarBarra();
  });
  barra.addEventListener("submit", aplicar);
}
