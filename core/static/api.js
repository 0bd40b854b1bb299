import { t } from "./i18n.js";
// The JSON API client of the pages: the same calls any frontend makes, with the token the
// login page keeps in localStorage under "authToken" (as the frontend guide does).

export const TOKEN_KEY = "authToken";

export function token() {
  return localStorage.getItem(TOKEN_KEY);
}

export function guardarToken(valor) {
  localStorage.setItem(TOKEN_KEY, valor);
}

export function borrarToken() {
  localStorage.removeItem(TOKEN_KEY);
}

/** An answer that is not 2xx: status plus the problem+json document, when there is one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || t("Error {status}", { status }));
    this.status = status;
    this.problem = problem || {};
  }

  /** Field errors of a 400: {campo: ["mensaje", ...]}. */
  get errores() {
    return this.problem.errors || {};
  }
}

/**
 * Call the API. `body` is sent as JSON, `form` (a FormData) as multipart; `publico` sends no
 * token (login, registration). Answers with the parsed JSON (null for 204); throws ApiError.
 */
export async function api(ruta, { method = "GET", body, form, publico = false, signal } = {}) {
  const headers = { Accept: "application/json" };
  const actual = token();
  if (actual && !publico) headers.Authorization = `Bearer ${actual}`;
  let carga;
  if (form !== undefined) {
    carga = form;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    carga = JSON.stringify(body);
  }
  const respuesta = await fetch(ruta, { method, headers, body: carga, signal });
  if (respuesta.status === 401 && actual && !publico) {
    // The token died (expired or logged out elsewhere): forget it, like a fresh visitor.
    borrarToken();
  }
  if (!respuesta.ok) {
    let problem = null;
    try {
      problem = await respuesta.json();
    } catch {
      problem = null;
    }
    throw new ApiError(respuesta.status, problem);
  }
  if (respuesta.status === 204) return null;
  return respuesta.json();
}

/** A query string from an object; empty values are sent as "" (the API reads them as "no filter"). */
export function consulta(parametros) {
  const qs = new URLSearchParams();
  for (const [clave, valor] of Object.entries(parametros)) {
    if (valor === undefined || valor === null) continue;
    qs.set(clave, String(valor));
  }
  return qs.toString();
}

let usuarioPromesa = null;

/** The logged-in user ({id, username, nombre, email, rol}) or null, asked once per page. */
export function usuarioActual() {
  if (usuarioPromesa === null) {
    usuarioPromesa = token()
      ? api("/api/auth/yo/").catch((error) => {
          if (error instanceof ApiError && error.status === 401) return null;
          throw error;
        })
      : Promise.resolve(null);
  }
  return usuarioPromesa;
}

const RANGO = { CLIENTE: 0, AGENTE: 1, ADMIN: 2 };

/** Whether `usuario` has at least role `rol` (ADMIN is also an agent). */
export function tieneRol(usuario, rol) {
  if (!rol) return true;
  if (!usuario) return false;
  return (RANGO[usuario.rol] ?? -1) >= (RANGO[rol] ?? 99);
}

export function esAgente(usuario) {
  return tieneRol(usuario, "AGENTE");
}

/** ws:// or wss:// URL of this origin for a socket path, with query parameters. */
export function urlSocket(ruta, parametros = {}) {
  const protocolo = location.protocol === "https:" ? "wss:" : "ws:";
  const qs = consulta(parametros);
  return `${protocolo}//${location.host}${ruta}${qs ? `?${qs}` : ""}`;
}

/**
 * Turns for a loader that may be called again before its answer arrives (filters typed fast):
 *   const turno = turnos();  …  const vigente = turno(); const datos = await api(…);
 *   if (!vigente()) return;  // a newer call owns the page now
 */
export function turnos() {
  let ultimo = 0;
  return () => {
    const este = ++ultimo;
    return () => este === ultimo;
  };
}
