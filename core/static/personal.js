// Shared by the teams and users admin pages: every agent and admin, and every team, for the
// pickers (a few pages of 100 each; a console serves teams of tens, not thousands).
import { api, consulta } from "/static/core/api.js";

async function todas(ruta, filtros = {}) {
  const filas = [];
  for (let page = 1; page <= 20; page += 1) {
    const datos = await api(`${ruta}?${consulta({ ...filtros, page, size: 100 })}`);
    filas.push(...datos.results);
    if (!datos.next) break;
  }
  return filas;
}

/** Active agents and admins, by username. */
export async function personal() {
  const [agentes, admins] = await Promise.all([
    todas("/api/soporte/usuarios/", { rol: "AGENTE", activo: "true" }),
    todas("/api/soporte/usuarios/", { rol: "ADMIN", activo: "true" }),
  ]);
  return [...agentes, ...admins].sort((a, b) => a.username.localeCompare(b.username));
}

/** Every team, by name. */
export function equipos() {
  return todas("/api/soporte/equipos/");
}

/** The selected option values of a <select multiple>, as numbers. */
export function seleccionados(select) {
  return [...select.selectedOptions].map((o) => Number(o.value));
}
