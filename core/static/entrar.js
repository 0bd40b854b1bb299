// The login page: POST /api/auth/token/, keep the token in localStorage, go where asked.
import { ApiError, api, esAgente, guardarToken } from "./api.js";
import { mostrarError } from "./dom.js";
import { sesion } from "./app.js";

function destino(usuario) {
  const pedido = new URLSearchParams(location.search).get("siguiente") || "";
  // Only paths of this site: "//evil.example" or "https://…" would leave it.
  if (pedido.startsWith("/") && !pedido.startsWith("//") && !pedido.startsWith("/entrar/")) {
    return pedido;
  }
  return esAgente(usuario) ? "/agente/" : "/";
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
    mostrarError(form, "Escribe tu usuario y tu contraseña.");
    return;
  }
  boton.disabled = true;
  try {
    await entrar(username, password);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      mostrarError(form, "Usuario o contraseña incorrectos.");
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
