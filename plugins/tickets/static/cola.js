// The agents' queue: GET /api/soporte/tickets/ with every filter, inline state and assignment.
import { api, consulta, turnos } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, dia, h, insignia, mensajeError, opciones, paginacion, retrasar, vaciar } from "/static/core/dom.js";
import { ESTADOS, filtrosDe, prioridad } from "./comun.js";

const { usuario } = await sesion;
const form = document.getElementById("filtros");
const cuerpo = document.getElementById("cola");
const paginas = document.getElementById("paginacion");
let pagina = 1;
const turno = turnos();

async function patch(ticket, cambios) {
  try {
    await api(`/api/soporte/tickets/${ticket.id}/`, { method: "PATCH", body: cambios });
    avisar(`Ticket ${ticket.numero} actualizado.`);
  } catch (error) {
    avisar(mensajeError(error), "error");
  }
  cargar();
}

function fila(t) {
  const selectorEstado = h(
    "select",
    { "aria-label": `Estado de ${t.numero}`, on: { change: (e) => patch(t, { estado: e.target.value }) } },
    opciones(Object.entries(ESTADOS), t.estado),
  );
  const agente = t.agente_asignado
    ? h("span", { text: t.agente_asignado.nombre })
    : h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => patch(t, { agente_asignado: usuario.id }) } }, "Asignarme");
  return h(
    "tr",
    { dataset: { id: t.id } },
    h("td", {}, h("a", { href: `/agente/tickets/${t.id}/` }, t.numero)),
    h("td", { text: t.asunto }),
    h("td", { text: t.cliente.nombre }),
    h("td", {}, selectorEstado),
    h("td", {}, prioridad(t.prioridad)),
    h("td", {}, agente),
    h("td", {}, t.nivel_escalamiento > 0 ? insignia("nivel", "nivel", String(t.nivel_escalamiento)) : "0"),
    h("td", { text: dia(t.fecha_creacion) }),
  );
}

async function cargar() {
  const { asignacion, ...filtros } = filtrosDe(form);
  filtros.agente_asignado = asignacion === "mios" ? usuario.id : "";
  try {
    const vigente = turno();
    const datos = await api(`/api/soporte/tickets/?${consulta({ page: pagina, size: 20, ...filtros })}`);
    if (!vigente()) return;
    vaciar(cuerpo);
    if (!datos.results.length) {
      cuerpo.append(h("tr", {}, h("td", { colspan: 8, class: "vacio", text: "No hay tickets con estos filtros." })));
    }
    for (const t of datos.results) cuerpo.append(fila(t));
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; cargar(); }));
  } catch (error) {
    vaciar(cuerpo).append(h("tr", {}, h("td", { colspan: 8, class: "form-error", text: mensajeError(error) })));
  }
}

const recargar = () => { pagina = 1; cargar(); };
form.addEventListener("change", recargar);
form.addEventListener("input", retrasar(recargar, 300));
form.addEventListener("submit", (evento) => { evento.preventDefault(); recargar(); });
cargar();
