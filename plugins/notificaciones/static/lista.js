// The notifications page: GET /api/soporte/notificaciones/?page=&no_leidas=true, mark one or all
// read, live through the bell's socket (the "soporte:notificaciones" window event).
import { api, consulta, turnos } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, h, mensajeError, paginacion, retrasar, vaciar } from "/static/core/dom.js";
import { abrirNotificacion, elemento } from "./comun.js";
import { t } from "/static/core/i18n.js";

await sesion;
const lista = document.getElementById("notificaciones");
const paginas = document.getElementById("paginacion");
const resumen = document.getElementById("notificaciones-resumen");
const filtro = document.getElementById("filtro-no-leidas");
const leerTodas = document.getElementById("pagina-leer-todas");
const turno = turnos();

// The filter and the page live in the address, so that reloading or going back keeps them.
const inicial = new URLSearchParams(location.search);
let pagina = Math.max(1, Number(inicial.get("page")) || 1);
filtro.checked = inicial.get("no_leidas") === "true";

function recordar() {
  const qs = consulta({ no_leidas: filtro.checked ? "true" : null, page: pagina > 1 ? pagina : null });
  history.replaceState(null, "", qs ? `?${qs}` : location.pathname);
}

async function marcar(n) {
  await api(`/api/soporte/notificaciones/${n.id}/leer/`, { method: "POST" });
  n.leida = true;
}

function abrir(n, evento) {
  return abrirNotificacion(n, evento, marcar);
}

function fila(n) {
  const li = elemento(n, { alAbrir: abrir });
  if (!n.leida) {
    li.append(
      h("button", {
        type: "button",
        class: "boton boton-secundario boton-pequeno",
        "aria-label": t("Marcar como leída: {titulo}", { titulo: n.titulo }),
        on: {
          click: async () => {
            try {
              await marcar(n);
              cargar();
            } catch (error) {
              avisar(mensajeError(error), "error");
            }
          },
        },
      }, t("Marcar como leída")),
    );
  }
  return li;
}

async function cargar() {
  lista.setAttribute("aria-busy", "true");
  try {
    const vigente = turno();
    const datos = await api(`/api/soporte/notificaciones/?${consulta({ page: pagina, size: 20, no_leidas: filtro.checked ? "true" : null })}`);
    if (!vigente()) return;
    if (!datos.results.length && pagina > 1 && datos.count > 0) {
      // The last page emptied (read ones left the unread filter): show the new last page.
      pagina = Math.max(1, Math.ceil(datos.count / 20));
      recordar();
      cargar();
      return;
    }
    vaciar(lista);
    if (!datos.results.length) {
      lista.append(h("li", { class: "vacio", text: filtro.checked ? t("No tienes notificaciones sin leer.") : t("No tienes notificaciones.") }));
    }
    for (const n of datos.results) lista.append(fila(n));
    const sinLeer = Number(datos.no_leidas) || 0;
    resumen.textContent = sinLeer === 1 ? t("1 sin leer") : t("{n} sin leer", { n: sinLeer });
    leerTodas.disabled = sinLeer === 0;
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; recordar(); cargar(); }));
  } catch (error) {
    vaciar(lista).append(h("li", { class: "form-error", text: mensajeError(error) }));
  } finally {
    lista.setAttribute("aria-busy", "false");
  }
}

filtro.addEventListener("change", () => { pagina = 1; recordar(); cargar(); });
document.getElementById("filtros-notificaciones").addEventListener("submit", (e) => e.preventDefault());
leerTodas.addEventListener("click", async () => {
  try {
    await api("/api/soporte/notificaciones/leer-todas/", { method: "POST" });
    avisar(t("Todas las notificaciones están leídas."));
    cargar();
  } catch (error) {
    avisar(mensajeError(error), "error");
  }
});

// Live: a new notification or one read elsewhere (another tab, the bell) repaints this page.
const refrescar = retrasar(cargar, 250);
window.addEventListener("soporte:notificaciones", (evento) => {
  if (evento.detail.tipo === "notificacion" || evento.detail.tipo === "leidas") refrescar();
});
cargar();
