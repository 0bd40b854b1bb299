// The login page: POST /api/auth/token/, keep the token in localStorage, go where asked.
import { ApiError, api, esAgente, guardarToken } from "./api.js";
import { mostrarError } from "./dom.js";
import { sesion } from "./app.js";
import { t } from "./i18n.js";

// Where to go after logging in: `?siguiente=` only when, once parsed as a URL against this page,
// it is a page of this origin (not the login page itself); else the role's home. Deciding on the
// parsed URL, not the string, is what refuses "/%5Chost", "/\\host", "//host", "/\t/host" and
// "javascript:", which a browser may read as another origin or a script.
function destinoSeguro(pedido, origen = location.origin) {
  let url;
  try {
    url = new URL(pedido, origen);
  } catch {
    return null;
  }
  if (url.origin !== origen || url.pathname.startsWith("/entrar/")) return null;
  return url.pathname + url.search + url.hash;
}

function destino(usuario) {
  const pedido = new URLSearchParams(location.search).get("siguiente") || "";
  return (pedido && destinoSeguro(pedido)) || (esAgente(usuario) ? "/agente/" : "/");
}

async function entrar(username, password) {
  const datos = await api("/api/auth/token/", {
    method: "POST",
    body: { username, password },
    publico: true,
  });
  guardarToken(datos.token);
  location.assign(destino(datos.usuario));
}

const { usuario } = await sesion;
if (usuario) location.replace(destino(usuario));

const form = document.getElementById("form-entrar");
form.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  const boton = form.querySelector("button[type=submit]");
  mostrarError(form, null);
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  if (!username || !password) {
    mostrarError(form, t("Escribe tu usuario y tu contraseña."));
    return;
  }
  boton.disabled = true;
  try {
    await entrar(username, password);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      mostrarError(form, t("Usuario o contraseña incorrectos."));
    } else {
      mostrarError(form, error);
    }
    boton.disabled = false;
  }
});

const registro = document.getElementById("form-registro");
if (registro) {
  registro.addEventListener("submit", async (evento) => {
    evento.preventDefault();
    mostrarError(registro, null);
    const campos = Object.fromEntries(new FormData(registro));
    const boton = registro.querySelector("button[type=submit]");
    boton.disabled = true;
    try {
      await api("/api/auth/registro/", { method: "POST", body: campos, publico: true });
      await entrar(campos.username, campos.password);
    } catch (error) {
      mostrarError(registro, error);
      boton.disabled = false;
    }
  });
}
