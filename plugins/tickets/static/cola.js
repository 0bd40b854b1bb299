// The agents' queue: GET /api/soporte/tickets/ with every filter, inline state and assignment.
// Live: `ticket` frames of the notifications socket (the bell re-dispatches them on `window` as
// "soporte:notificaciones") re-fetch the current page with its filters, keeping the scroll and
// the focused control, and a new ticket is announced in #cola-anuncios ("Nuevo ticket TK-…").
import { api, consulta, turnos } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, cuenta, dia, h, insignia, mensajeError, opciones, paginacion, retrasar, vaciar } from "/static/core/dom.js";
import { ESTADOS, filtrosDe, prioridad } from "./comun.js";
import { celda as celdaEquipo, llenarFiltro as llenarEquipos } from "./equipos.js";
import { autocompletar, chips } from "/static/core/etiquetas.js";
import { celdaSeleccion } from "./lote.js";
import { descargarCsv } from "/static/core/exportar.js";
import { enLaUrl } from "/static/core/estado-url.js";
import { t } from "/static/core/i18n.js";

const { usuario } = await sesion;
const form = document.getElementById("filtros");
const cuerpo = document.getElementById("cola");
const paginas = document.getElementById("paginacion");
const anuncios = document.getElementById("cola-anuncios");
let pagina = 1;
const turno = turnos();
const url = enLaUrl(form, (n) => { pagina = n; cargar(); });

async function patch(ticket, cambios) {
  try {
    await api(`/api/soporte/tickets/${ticket.id}/`, { method: "PATCH", body: cambios });
    avisar(t("Ticket {numero} actualizado.", { numero: ticket.numero }));
  } catch (error) {
    avisar(mensajeError(error), "error");
  }
  cargar();
}

/** Where the keyboard is in the table (row and control), to put it back after a repaint. */
function focoEnTabla() {
  const activo = document.activeElement;
  const tr = activo && cuerpo.contains(activo) ? activo.closest("tr") : null;
  if (!tr) return null;
  return { id: tr.dataset.id, indice: [...tr.querySelectorAll("a, select, button")].indexOf(activo) };
}

function devolverFoco(foco) {
  if (!foco) return;
  const tr = cuerpo.querySelector(`tr[data-id="${foco.id}"]`);
  const control = tr && tr.querySelectorAll("a, select, button")[foco.indice];
  if (control) control.focus({ preventScroll: true });
}

function fila(tk) {
  const selectorEstado = h(
    "select",
    { "aria-label": t("Estado de {numero}", { numero: tk.numero }), on: { change: (e) => patch(tk, { estado: e.target.value }) } },
    opciones(Object.entries(ESTADOS), tk.estado),
  );
  const agente = tk.agente_asignado
    ? h("span", { text: tk.agente_asignado.nombre })
    : h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => patch(tk, { agente_asignado: usuario.id }) } }, t("Asignarme"));
  return h(
    "tr",
    { dataset: { id: tk.id } },
    celdaSeleccion(tk),
    h("td", {}, h("a", { href: `/agente/tickets/${tk.id}/` }, tk.numero)),
    h("td", {}, tk.asunto, chips(tk.etiquetas)),
    h("td", { text: tk.cliente.nombre }),
    h("td", {}, selectorEstado),
    h("td", {}, prioridad(tk.prioridad)),
    h("td", {}, agente),
    celdaEquipo(tk),
    h("td", {}, tk.nivel_escalamiento > 0 ? insignia("nivel", "nivel", String(tk.nivel_escalamiento)) : "0"),
    h("td", { text: dia(tk.fecha_creacion) }),
  );
}

/** The queue's filters as the API's query (the list and its CSV export share them). */
function filtrosDeLaCola() {
  const { asignacion, ...filtros } = filtrosDe(form);
  filtros.agente_asignado = asignacion === "mios" ? usuario.id : "";
  return filtros;
}

async function cargar({ vivo = false } = {}) {
  const filtros = filtrosDeLaCola();
  try {
    const vigente = turno();
    const datos = await api(`/api/soporte/tickets/?${consulta({ page: pagina, size: 20, ...filtros })}`);
    if (!vigente()) return;
    const desplazamiento = window.scrollY;
    const foco = focoEnTabla();
    vaciar(cuerpo);
    if (!datos.results.length) {
      cuerpo.append(h("tr", {}, h("td", { colspan: 10, class: "vacio", text: t("No hay tickets con estos filtros.") })));
    }
    for (const tk of datos.results) cuerpo.append(fila(tk));
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; url.guardar(pagina); cargar(); }));
    // lote.js: the filter of this page and how many tickets match it (as it reads: a search's
    // count may be capped, "más de 1.000").
    document.dispatchEvent(new CustomEvent("soporte:cola", { detail: { filtros, total: datos.count, texto: cuenta(datos), vivo } }));
    if (vivo) {
      window.scrollTo(window.scrollX, desplazamiento);
      devolverFoco(foco);
      anunciar(datos.results);
    }
  } catch (error) {
    vaciar(cuerpo).append(h("tr", {}, h("td", { colspan: 10, class: "form-error", text: mensajeError(error) })));
  }
}

// --- live ------------------------------------------------------------------------------------
const creados = new Set(); // ids of tickets created live, announced after the next load

async function anunciar(resultados) {
  if (!creados.size) return;
  const pendientes = [...creados];
  creados.clear();
  const numeros = [];
  for (const ticketId of pendientes) {
    const enPagina = resultados.find((tk) => tk.id === ticketId);
    if (enPagina) {
      cuerpo.querySelector(`tr[data-id="${ticketId}"]`)?.classList.add("fila-nueva");
      numeros.push(enPagina.numero);
      continue;
    }
    try {
      // Not on this page (filters, another page): the number still deserves the announcement.
      numeros.push((await api(`/api/soporte/tickets/${ticketId}/`)).numero);
    } catch {
      // Gone or not visible: nothing to announce.
    }
  }
  if (!numeros.length) return;
  // Emptied first, so that the same sentence twice is read twice.
  anuncios.textContent = "";
  anuncios.textContent = numeros.map((numero) => t("Nuevo ticket {numero}", { numero })).join(". ");
}

const enVivo = retrasar(() => cargar({ vivo: true }), 300);
window.addEventListener("soporte:notificaciones", (evento) => {
  const frame = evento.detail;
  if (frame.tipo !== "ticket") return;
  if (frame.evento === "ticket_creado") creados.add(Number(frame.ticket_id));
  enVivo();
});

const recargar = ({ reemplazar = false } = {}) => { pagina = 1; url.guardar(pagina, { reemplazar }); cargar(); };
form.addEventListener("change", () => recargar());
form.addEventListener("input", retrasar(() => recargar({ reemplazar: true }), 300));
form.addEventListener("submit", (evento) => { evento.preventDefault(); recargar(); });
const exportar = document.getElementById("exportar-csv");
exportar.addEventListener("click", () => descargarCsv("/api/soporte/tickets/exportar/", filtrosDeLaCola(), exportar));
autocompletar(form.elements.etiqueta);
// A bulk change (lote.js) done: show the tickets as they are now.
document.addEventListener("soporte:cola-recargar", () => cargar());
// The teams' options first, so that a team in the address can be chosen.
await llenarEquipos(form.elements.equipo);
pagina = url.leer();
cargar();
