// The notifications bell of the header (notificaciones/_cabecera.html), on every page with a
// session. It opens the page's one notifications socket, keeps the unread count and the latest
// notifications, and re-dispatches every frame on `window` as
//   CustomEvent("soporte:notificaciones", {detail: frame})
// so that other pages' scripts (ticket detail, agents' queue, "Mis tickets") follow `ticket`
// frames without opening a second socket.
import { api } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { h, vaciar } from "/static/core/dom.js";
import { abrirNotificacion, elemento, haceCuanto } from "./comun.js";
import { conectar } from "./conexion.js";
import { t } from "/static/core/i18n.js";

/** How many notifications the dropdown lists (the page /notificaciones/ has them all). */
const EN_LISTA = 10;
/** The socket replays at most this many unread ones on connect. */
const REPLAY_MAXIMO = 50;
export const EVENTO = "soporte:notificaciones";

const raiz = document.getElementById("campana");
const boton = document.getElementById("campana-boton");
const contador = document.getElementById("campana-contador");
const panel = document.getElementById("campana-panel");
const lista = document.getElementById("campana-lista");
const vacia = document.getElementById("campana-vacia");
const leerTodas = document.getElementById("campana-leer-todas");

const { usuario } = await sesion;

const conocidas = new Map();
let noLeidas = 0;
let sincronizado = false;
let repetidas = new Set();
let listaCargada = false;
let reloj = null;
let conexiones = 0;

function ordenadas() {
  return [...conocidas.values()].sort(
    (a, b) => String(b.fecha_creacion).localeCompare(String(a.fecha_creacion)) || b.id - a.id,
  );
}

function pintarContador() {
  boton.setAttribute("aria-label", t("Notificaciones, {noLeidas} sin leer", { noLeidas }));
  contador.textContent = noLeidas > 99 ? "99+" : String(noLeidas);
  contador.hidden = noLeidas === 0;
  raiz.dataset.noLeidas = String(noLeidas);
  leerTodas.disabled = noLeidas === 0;
}

function pintarLista() {
  const enfocada = document.activeElement && lista.contains(document.activeElement)
    ? document.activeElement.closest("li")?.dataset.id
    : null;
  vaciar(lista);
  const primeras = ordenadas().slice(0, EN_LISTA);
  for (const n of primeras) lista.append(elemento(n, { alAbrir: abrirYMarcar }));
  vacia.hidden = primeras.length > 0;
  // Repainting must not throw the keyboard user out of the list.
  if (enfocada) lista.querySelector(`li[data-id="${enfocada}"] .notificacion-enlace`)?.focus();
}

function pintar() {
  pintarContador();
  pintarLista();
}

function marcarLeidas(ids) {
  for (const n of conocidas.values()) {
    if (ids === "todas" || ids.includes(n.id)) n.leida = true;
  }
}

function abrirYMarcar(n, evento) {
  return abrirNotificacion(n, evento, () =>
    api(`/api/soporte/notificaciones/${n.id}/leer/`, { method: "POST" }).then(() => {
      if (!n.leida) {
        n.leida = true;
        noLeidas = Math.max(0, noLeidas - 1);
        pintar();
      }
    }),
  );
}

// --- frames ----------------------------------------------------------------------------------
function alFrame(frame) {
  switch (frame.tipo) {
    case "notificacion": {
      const n = frame.notificacion;
      if (!n || !Number.isInteger(n.id)) break;
      const nueva = !conocidas.has(n.id);
      conocidas.set(n.id, { ...conocidas.get(n.id), ...n });
      if (!sincronizado) repetidas.add(n.id);
      else if (nueva && !n.leida) noLeidas += 1;
      pintar();
      break;
    }
    case "sincronizado":
      // After a reconnect: what was unread here and is not in the replay was read meanwhile
      // (unless the replay was cut at its maximum).
      if (repetidas.size < REPLAY_MAXIMO) {
        for (const n of conocidas.values()) if (!n.leida && !repetidas.has(n.id)) n.leida = true;
      }
      repetidas = new Set();
      sincronizado = true;
      noLeidas = Number(frame.no_leidas) || 0;
      pintar();
      break;
    case "leidas":
      marcarLeidas(frame.ids);
      noLeidas = Number(frame.no_leidas) || 0;
      pintar();
      break;
    default:
      break;
  }
  window.dispatchEvent(new CustomEvent(EVENTO, { detail: frame }));
}

// --- the dropdown ----------------------------------------------------------------------------
async function cargarLista() {
  // The replay holds only unread ones: the dropdown also lists the latest read ones.
  try {
    const datos = await api(`/api/soporte/notificaciones/?page=1&size=${EN_LISTA}`);
    for (const n of datos.results || []) conocidas.set(n.id, { ...conocidas.get(n.id), ...n });
    if (Number.isInteger(datos.no_leidas)) noLeidas = datos.no_leidas;
    listaCargada = true;
    pintar();
  } catch {
    // The socket's replay is still shown.
  }
}

function abierto() {
  return !panel.hidden;
}

function abrir(valor, { enfocarBoton = false } = {}) {
  panel.hidden = !valor;
  boton.setAttribute("aria-expanded", String(valor));
  raiz.classList.toggle("abierta", valor);
  clearInterval(reloj);
  reloj = null;
  if (valor) {
    pintarLista();
    if (!listaCargada) cargarLista();
    // Keep "hace 1 minuto" true while the dropdown stays open.
    reloj = setInterval(() => {
      for (const tk of lista.querySelectorAll("time")) tk.textContent = haceCuanto(tk.getAttribute("datetime"));
    }, 30000);
  } else if (enfocarBoton) {
    boton.focus();
  }
}

/** What the arrow keys move through: the notifications first, then the other controls. */
function enlaces() {
  const items = [...lista.querySelectorAll(".notificacion-enlace")];
  const otros = [...panel.querySelectorAll("a, button:not([disabled])")].filter((el) => !items.includes(el));
  return [...items, ...otros];
}

function mover(paso) {
  const todos = enlaces();
  if (!todos.length) return;
  const i = todos.indexOf(document.activeElement);
  const siguiente = i === -1 ? (paso > 0 ? 0 : todos.length - 1) : (i + paso + todos.length) % todos.length;
  todos[siguiente].focus();
}

boton.addEventListener("click", () => abrir(!abierto()));
raiz.addEventListener("keydown", (evento) => {
  if (evento.key === "Escape" && abierto()) {
    evento.preventDefault();
    evento.stopPropagation();
    abrir(false, { enfocarBoton: true });
  } else if ((evento.key === "ArrowDown" || evento.key === "ArrowUp") && abierto()) {
    evento.preventDefault();
    mover(evento.key === "ArrowDown" ? 1 : -1);
  } else if (evento.key === "ArrowDown" && evento.target === boton) {
    evento.preventDefault();
    abrir(true);
    mover(1);
  }
});
// Focus or a click leaving the bell closes it (focus stays where the user put it).
raiz.addEventListener("focusout", (evento) => {
  if (abierto() && evento.relatedTarget && !raiz.contains(evento.relatedTarget)) abrir(false);
});
document.addEventListener("click", (evento) => {
  if (abierto() && !raiz.contains(evento.target)) abrir(false);
});
leerTodas.addEventListener("click", async () => {
  try {
    await api("/api/soporte/notificaciones/leer-todas/", { method: "POST" });
    marcarLeidas("todas");
    noLeidas = 0;
    pintar();
  } catch {
    // The count stays as it is; the socket corrects it on the next frame.
  }
});

if (usuario) {
  raiz.hidden = false;
  pintar();
  conectar({
    alFrame,
    alConectar: () => {
      sincronizado = false;
      repetidas = new Set();
      // A reconnect may have missed read ones: the dropdown asks again.
      if (conexiones++ > 0) {
        listaCargada = false;
        if (abierto()) cargarLista();
      }
    },
    alTerminar: () => {
      // The session is over (logged out here or elsewhere): no bell without one.
      abrir(false);
      raiz.hidden = true;
    },
  });
}
