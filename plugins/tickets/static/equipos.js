// Teams in the agent console: the queue's team filter and column, and the ticket detail's team
// block (move the ticket to a team, assign it to a member). Kept apart from cola.js and
// detalle.js, which only call into it.
import { api, consulta } from "/static/core/api.js";
import { avisar, h, mensajeError, mostrarError, vaciar } from "/static/core/dom.js";
import { t } from "/static/core/i18n.js";

let cache = null;

/** Every team (a few pages of 100 at most), asked once per page. */
export function equipos() {
  if (cache === null) {
    cache = (async () => {
      const filas = [];
      for (let page = 1; page <= 10; page += 1) {
        const datos = await api(`/api/soporte/equipos/?${consulta({ page, size: 100 })}`);
        filas.push(...datos.results);
        if (!datos.next) break;
      }
      return filas;
    })();
  }
  return cache;
}

/** Fill the queue's team filter (a <select name="equipo">) with the teams. */
export async function llenarFiltro(select) {
  try {
    for (const e of await equipos()) select.append(h("option", { value: e.id, text: e.activo ? e.nombre : `${e.nombre} (inactivo)` }));
  } catch {
    // Without the list the filter offers "Todos" only.
  }
}

/** The queue's team cell of a ticket. */
export function celda(ticket) {
  return h("td", { text: ticket.equipo ? ticket.equipo.nombre : "—" });
}

// --- the ticket detail -------------------------------------------------------------------------

async function personal() {
  const filas = [];
  for (const rol of ["AGENTE", "ADMIN"]) {
    const datos = await api(`/api/soporte/usuarios/?${consulta({ rol, activo: "true", size: 100 })}`);
    filas.push(...datos.results);
  }
  return filas.sort((a, b) => (a.nombre || a.username).localeCompare(b.nombre || b.username));
}

/**
 * The detail's team block: `form` holds a team <select name="equipo"> and an assignee
 * <select name="agente">. It repaints on every "soporte:ticket" event of detalle.js and asks
 * detalle.js to reload ("soporte:recargar") after a change.
 */
export async function bloqueDetalle(form) {
  let ticket = null;
  let listo = false;
  // Listening before the lists arrive: detalle.js may announce the ticket first.
  document.addEventListener("soporte:ticket", (evento) => {
    ticket = evento.detail.ticket;
    if (listo) pintar();
  });
  const [lista, gente] = await Promise.all([equipos(), personal()]);
  listo = true;
  const selectEquipo = form.elements.equipo;
  const selectAgente = form.elements.agente;
  for (const e of lista.filter((x) => x.activo)) selectEquipo.append(h("option", { value: e.id, text: e.nombre }));

  function pintar() {
    if (!ticket) return;
    selectEquipo.value = ticket.equipo ? String(ticket.equipo.id) : "";
    // On a ticket with a team only its members may be assigned (the API says 400 otherwise).
    const equipo = ticket.equipo && lista.find((e) => e.id === ticket.equipo.id);
    const candidatos = equipo ? gente.filter((u) => equipo.miembros.includes(u.id)) : gente;
    vaciar(selectAgente).append(h("option", { value: "", text: t("Sin asignar") }));
    for (const u of candidatos) selectAgente.append(h("option", { value: u.id, text: u.nombre || u.username }));
    selectAgente.value = ticket.agente_asignado ? String(ticket.agente_asignado.id) : "";
  }

  form.addEventListener("submit", async (evento) => {
    evento.preventDefault();
    mostrarError(form, null);
    if (!ticket) return;
    const cambios = {};
    const equipo = selectEquipo.value ? Number(selectEquipo.value) : null;
    const agente = selectAgente.value ? Number(selectAgente.value) : null;
    if (equipo !== (ticket.equipo ? ticket.equipo.id : null)) cambios.equipo = equipo;
    if (agente !== (ticket.agente_asignado ? ticket.agente_asignado.id : null)) cambios.agente_asignado = agente;
    if (!Object.keys(cambios).length) return;
    try {
      await api(`/api/soporte/tickets/${ticket.id}/`, { method: "PATCH", body: cambios });
      avisar(t("Ticket actualizado."));
      document.dispatchEvent(new CustomEvent("soporte:recargar"));
    } catch (error) {
      mostrarError(form, error);
    }
  });
  // A new team narrows the assignee list at once, before saving.
  selectEquipo.addEventListener("change", () => {
    if (!ticket) return;
    const elegido = selectEquipo.value ? lista.find((e) => e.id === Number(selectEquipo.value)) : null;
    const previo = selectAgente.value;
    const candidatos = elegido ? gente.filter((u) => elegido.miembros.includes(u.id)) : gente;
    vaciar(selectAgente).append(h("option", { value: "", text: t("Sin asignar") }));
    for (const u of candidatos) selectAgente.append(h("option", { value: u.id, text: u.nombre || u.username }));
    selectAgente.value = candidatos.some((u) => String(u.id) === previo) ? previo : "";
  });
  pintar();
}

const formulario = document.getElementById("form-equipo-ticket");
if (formulario) {
  bloqueDetalle(formulario).catch((error) => avisar(mensajeError(error), "error"));
}
