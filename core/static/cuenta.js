// The account pages: forgotten password (/olvido/), the mailed links (/restablecer/?token=,
// /verificar/?token=) and the profile (/perfil/). The page's section names which one it is.
import { ApiError, api, borrarToken } from "./api.js";
import { $, avisar, mostrarError } from "./dom.js";
import { t } from "./i18n.js";
import { sesion } from "./app.js";

const seccion = document.querySelector("[data-cuenta]");

/** Show a confirmation in the page's live region (a `role="status"` paragraph). */
function confirmar(id, texto) {
  const caja = document.getElementById(id);
  caja.textContent = texto;
  caja.hidden = false;
}

/**
 * The token of a mailed link, then dropped from the address bar and the history: whoever
 * looks at this browser's history later must not find a usable link there.
 */
function tokenDelEnlace() {
  const valor = new URLSearchParams(location.search).get("token") || "";
  if (valor) history.replaceState(null, "", location.pathname);
  return valor;
}

/** Run `accion` for a submitted form, with its button disabled and its errors shown. */
function alEnviar(form, accion) {
  form.addEventListener("submit", async (evento) => {
    evento.preventDefault();
    mostrarError(form, null);
    const boton = form.querySelector("button[type=submit]");
    boton.disabled = true;
    try {
      await accion(Object.fromEntries(new FormData(form)));
    } catch (error) {
      mostrarError(form, error);
    } finally {
      boton.disabled = false;
    }
  });
}

function olvido() {
  const form = $("#form-olvido");
  alEnviar(form, async ({ email }) => {
    if (!email.trim()) throw t("Escribe el correo electrónico de tu cuenta.");
    const respuesta = await api("/api/auth/password/olvido/", {
      method: "POST",
      body: { email: email.trim() },
      publico: true,
    });
    form.hidden = true;
    confirmar("olvido-ok", `${respuesta.detail} Revisa tu bandeja de entrada (y la de correo no deseado).`);
  });
}

function restablecer() {
  const form = $("#form-restablecer");
  const token = tokenDelEnlace();
  if (!token) {
    mostrarError(form, t("Falta el código del enlace: ábrelo tal como llegó en el correo."));
    return;
  }
  alEnviar(form, async ({ password, repetir }) => {
    if (!password) throw t("Escribe la contraseña nueva.");
    if (password !== repetir) throw t("Las dos contraseñas no coinciden.");
    await api("/api/auth/password/restablecer/", {
      method: "POST",
      body: { token, password },
      publico: true,
    });
    // Every session of the account ended, this browser's too.
    borrarToken();
    form.hidden = true;
    confirmar("restablecer-ok", t("Tu contraseña se ha cambiado. Ya puedes iniciar sesión con ella."));
  });
}

async function verificar() {
  const form = $("#form-reenviar");
  const token = tokenDelEnlace();
  alEnviar(form, async ({ email }) => {
    if (!email.trim()) throw t("Escribe el correo electrónico de tu cuenta.");
    const respuesta = await api("/api/auth/email/reenviar/", {
      method: "POST",
      body: { email: email.trim() },
      publico: true,
    });
    form.hidden = true;
    confirmar("verificar-estado", respuesta.detail);
  });
  if (!token) {
    confirmar("verificar-estado", t("Falta el código del enlace: ábrelo tal como llegó en el correo."));
    form.hidden = false;
    return;
  }
  try {
    await api("/api/auth/email/verificar/", { method: "POST", body: { token }, publico: true });
    confirmar("verificar-estado", t("Tu correo electrónico ha quedado confirmado. ¡Gracias!"));
  } catch (error) {
    const texto = error instanceof ApiError && error.status === 400 ? error.message : null;
    confirmar("verificar-estado", texto || t("No se pudo comprobar el enlace; inténtalo de nuevo."));
    form.hidden = false;
  }
}

async function perfil() {
  const form = $("#form-perfil");
  const { usuario } = await sesion;
  let actual = usuario;
  form.elements.nombre.value = actual.nombre || "";
  form.elements.email.value = actual.email || "";
  form.elements.idioma.value = actual.idioma || "";
  alEnviar(form, async (campos) => {
    const cambios = {};
    const idiomaElegido = campos.idioma || null;
    if (idiomaElegido !== (actual.idioma || null)) cambios.idioma = idiomaElegido;
    if (campos.nombre.trim() !== (actual.nombre || "")) cambios.nombre = campos.nombre.trim();
    const email = campos.email.trim();
    if (email !== (actual.email || "")) cambios.email = email;
    if (campos.password) cambios.password = campos.password;
    if ((cambios.email !== undefined || cambios.password) && !campos.password_actual) {
      form.elements.password_actual.setAttribute("aria-invalid", "true");
      form.elements.password_actual.focus();
      throw t("Escribe tu contraseña actual para cambiar el correo o la contraseña.");
    }
    if (Object.keys(cambios).length === 0) {
      avisar(t("No hay cambios que guardar."));
      return;
    }
    if (campos.password_actual) cambios.password_actual = campos.password_actual;
    actual = await api("/api/auth/yo/", { method: "PATCH", body: cambios });
    form.elements.password.value = "";
    form.elements.password_actual.value = "";
    const nombre = document.getElementById("sesion-nombre");
    if (nombre) nombre.textContent = actual.nombre || actual.username;
    const partes = [t("Cambios guardados.")];
    if (cambios.password) partes.push(t("Tus otras sesiones se han cerrado."));
    if (cambios.email !== undefined && seccion.dataset.verificacion !== "off") {
      partes.push(t("Te enviamos un enlace a {email} para confirmarlo.", { email: actual.email }));
    }
    confirmar("perfil-ok", partes.join(" "));
    if (cambios.idioma !== undefined) {
      // The pages are rendered in the cookie's language: follow the new choice at once.
      const valor = cambios.idioma || "";
      document.cookie = `soporte_idioma=${valor}; path=/; max-age=${valor ? 31536000 : 0}; SameSite=Lax`;
      location.reload();
    }
  });
}

const paginas = { olvido, restablecer, verificar, perfil };
if (seccion) await paginas[seccion.dataset.cuenta]();
