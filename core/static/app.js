// Runs on every page of the portal and the console: session header, role guard, navigation,
// and the floating help widget. Page modules wait for `sesion` before reading the API:
//   import { sesion } from "/static/core/app.js";
//   const { usuario } = await sesion;

import { api, borrarToken, esAgente, tieneRol, usuarioActual } from "./api.js";
import { idioma } from "./i18n.js";

const cuerpo = document.body;

// A form without an action is submitted by its page's module, which may still be starting: it
// awaits the session before it listens. A submission before then (a quick click or Enter) would
// be the browser's own: a GET of this page with every field in the address, files lost and a
// password shown. Held instead, and submitted again once the module listens (it then prevents
// the default, as every one does). Bubbling, so the page's own listener runs first.
const REINTENTOS_ENVIO = 100; // every 100 ms: ten seconds for the page to start
const intentosEnvio = new WeakMap();
document.addEventListener("submit", (evento) => {
  const form = evento.target;
  if (evento.defaultPrevented || !(form instanceof HTMLFormElement) || form.hasAttribute("action")) {
    intentosEnvio.delete(form);
    return;
  }
  evento.preventDefault();
  const intentos = intentosEnvio.get(form) || 0;
  if (intentos >= REINTENTOS_ENVIO) {
    intentosEnvio.delete(form);
    return;
  }
  intentosEnvio.set(form, intentos + 1);
  const boton = evento.submitter && evento.submitter.form === form ? evento.submitter : undefined;
  setTimeout(() => { if (form.isConnected) form.requestSubmit(boton); }, 100);
});

function irA(ruta) {
  location.replace(ruta);
  // Never settles: the page is going away, its module must not go on.
  return new Promise(() => {});
}

function pintarSesion(usuario) {
  const nombre = document.getElementById("sesion-nombre");
  const entrar = document.getElementById("sesion-entrar");
  const salir = document.getElementById("sesion-salir");
  const consola = document.getElementById("sesion-consola");
  const portal = document.getElementById("sesion-portal");
  const perfil = document.getElementById("sesion-perfil");
  if (!nombre) return;
  nombre.textContent = usuario ? usuario.nombre || usuario.username : "";
  entrar.hidden = Boolean(usuario) || location.pathname === "/entrar/";
  salir.hidden = !usuario;
  if (perfil) perfil.hidden = !usuario || location.pathname === "/perfil/";
  consola.hidden = !(esAgente(usuario) && cuerpo.dataset.area !== "agente");
  portal.hidden = cuerpo.dataset.area !== "agente";
  salir.addEventListener("click", async () => {
    try {
      await api("/api/auth/logout/", { method: "POST" });
    } catch {
      // Logging out of a token that is already dead is still logging out.
    }
    borrarToken();
    location.assign("/entrar/");
  });
  for (const entrada of document.querySelectorAll(".navegacion [data-rol]")) {
    entrada.hidden = !tieneRol(usuario, entrada.dataset.rol);
  }
}

/** Keep the pages' language in the cookie the server renders them with (a year). */
function guardarCookieIdioma(valor) {
  const selector = document.getElementById("idioma-selector");
  const nombre = (selector && selector.dataset.cookie) || "soporte_idioma";
  document.cookie = `${nombre}=${encodeURIComponent(valor)}; path=/; max-age=31536000; SameSite=Lax`;
}

/**
 * The layout's language switch: the choice goes to the profile when logged in (the API's
 * messages and the mails follow it), and to a cookie either way (the pages are rendered
 * before the script knows who is logged in); then the page reloads in that language.
 */
function montarIdioma(usuario) {
  const selector = document.getElementById("idioma-selector");
  if (!selector) return;
  selector.addEventListener("change", async () => {
    const elegido = selector.value;
    guardarCookieIdioma(elegido);
    if (usuario) {
      try {
        await api("/api/auth/yo/", { method: "PATCH", body: { idioma: elegido } });
      } catch {
        // The cookie alone still switches the pages.
      }
    }
    location.reload();
  });
}

async function iniciar() {
  let usuario = null;
  try {
    usuario = await usuarioActual();
  } catch {
    usuario = null;
  }
  if (usuario && usuario.idioma && usuario.idioma !== idioma) {
    // The profile's language wins: render the page again in it.
    guardarCookieIdioma(usuario.idioma);
    location.reload();
    return new Promise(() => {});
  }
  montarIdioma(usuario);
  const aqui = location.pathname + location.search;
  if (cuerpo.dataset.login === "true" && !usuario) {
    return irA(`/entrar/?siguiente=${encodeURIComponent(aqui)}`);
  }
  if (cuerpo.dataset.area === "agente" && !esAgente(usuario)) {
    // The console is for agents: customers go back to the portal.
    return irA("/");
  }
  if (cuerpo.dataset.rol && !tieneRol(usuario, cuerpo.dataset.rol)) {
    return irA(cuerpo.dataset.area === "agente" ? "/agente/" : "/");
  }
  pintarSesion(usuario);
  if (document.getElementById("widget-soporte")) {
    const { montarWidget } = await import("./widget.js");
    montarWidget({ usuario });
  }
  cuerpo.classList.add("listo");
  return { usuario };
}

export const sesion = iniciar();

/** The enabled plugins of this app (from the page), for optional cross-plugin features. */
export function activo(plugin) {
  return (cuerpo.dataset.plugins || "").split(" ").includes(plugin);
}
