// The dashboard's trends: GET /api/soporte/dashboard/series/ for the period in the URL
// (?periodo=hoy|7d|30d|90d or ?desde=&hasta=), drawn with Chart.js (vendored, window.Chart):
// one chart per `grafico` group of series; the per-agent and per-team tables come from their own
// request (GET …/series/tablas/: the busiest rows and one summing the rest, "Ver todas" asks for
// every row), so the charts never wait for them. Every figure's definition is on hover and on
// keyboard focus (the "i" badges, drawn by CSS: no glyph a font may lack). The back button walks
// periods.
import { api, consulta } from "./api.js";
import { h, mensajeError, vaciar } from "./dom.js";
import { sesion } from "./app.js";
import { t } from "/static/core/i18n.js";

// Group → [title, chart type, stacked]; an unknown group is a line chart titled by its key.
const GRAFICOS = {
  volumen: [t("Tickets creados y resueltos"), "bar", false],
  tiempos: [t("Tiempos de primera respuesta y de resolución (h)"), "line", false],
  csat: [t("Satisfacción (CSAT, %)"), "line", false],
  sla: [t("SLA cumplido e incumplido"), "bar", true],
  backlog: [t("Backlog por estado"), "line", false],
  casos: [t("Casos creados"), "bar", false],
};
const COLORES = ["#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2"];
const graficos = new Map(); // group → Chart

const form = document.getElementById("periodo");
const propio = document.getElementById("periodo-propio");
const botonPropio = document.getElementById("periodo-propio-boton");
const caja = document.getElementById("graficos");
const tablas = document.getElementById("tablas");
const estado = document.getElementById("periodo-estado");

/** The period in the URL, as query parameters (default: the last 30 days). */
function periodoDeUrl() {
  const p = new URLSearchParams(location.search);
  if (p.get("desde") || p.get("hasta")) return { desde: p.get("desde") || "", hasta: p.get("hasta") || "" };
  return { periodo: p.get("periodo") || "30d" };
}

/** A focusable "i" badge whose title, label and tooltip are the figure's definition. */
function definicion(texto) {
  return h("span", {
    class: "definicion",
    tabindex: "0",
    role: "note",
    title: texto,
    "aria-label": texto,
    dataset: { definicion: texto },
  }, h("span", { class: "definicion-marca", "aria-hidden": "true", text: "i" }));
}

/** Shows or hides the custom period's dates (the "Personalizado" segment). */
function mostrarPropio(visible) {
  propio.hidden = !visible;
  botonPropio.setAttribute("aria-expanded", String(visible));
}

function marcarBotones(periodo) {
  for (const boton of form.querySelectorAll("[data-periodo]")) {
    boton.setAttribute("aria-pressed", String(boton.dataset.periodo === periodo.periodo));
  }
  const personalizado = !periodo.periodo;
  botonPropio.setAttribute("aria-pressed", String(personalizado));
  mostrarPropio(personalizado);
  form.elements.desde.value = periodo.desde || "";
  form.elements.hasta.value = periodo.hasta || "";
}

function grupos(series) {
  const porGrupo = new Map();
  for (const [clave, serie] of Object.entries(series)) {
    if (!serie) continue;
    if (!porGrupo.has(serie.grafico)) porGrupo.set(serie.grafico, []);
    porGrupo.get(serie.grafico).push([clave, serie]);
  }
  return porGrupo;
}

function pintarGraficos(datos) {
  const Chart = window.Chart;
  const vistos = new Set();
  for (const [grupo, lista] of grupos(datos.series)) {
    vistos.add(grupo);
    const [titulo, tipo, apilado] = GRAFICOS[grupo] || [grupo, "line", false];
    const datasets = lista.map(([clave, serie], i) => ({
      label: serie.titulo,
      data: serie.valores,
      borderColor: COLORES[i % COLORES.length],
      backgroundColor: COLORES[i % COLORES.length],
      spanGaps: true,
      clave,
    }));
    let grafico = graficos.get(grupo);
    if (!grafico) {
      const lienzo = h("canvas", { role: "img", "aria-label": titulo, dataset: { grafico: grupo } });
      const figura = h(
        "figure",
        { class: "grafico", dataset: { grupo } },
        h("figcaption", {}, h("span", { text: titulo }), " ",
          lista.map(([, serie]) => [h("span", { class: "leyenda", text: serie.titulo }), definicion(serie.definicion)])),
        h("div", { class: "lienzo" }, lienzo),
      );
      caja.append(figura);
      grafico = new Chart(lienzo, {
        type: tipo,
        data: { labels: datos.dias, datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: "index", intersect: false },
          scales: { x: { stacked: apilado }, y: { stacked: apilado, beginAtZero: true } },
        },
      });
      graficos.set(grupo, grafico);
    } else {
      grafico.data.labels = datos.dias;
      grafico.data.datasets = datasets;
      grafico.update();
    }
  }
  for (const [grupo, grafico] of graficos) {
    if (!vistos.has(grupo)) {
      grafico.canvas.closest("figure").remove();
      grafico.destroy();
      graficos.delete(grupo);
    }
  }
}

function celda(valor, unidad) {
  if (valor === null || valor === undefined) return "—";
  return unidad ? `${valor} ${unidad}` : String(valor);
}

function pintarTablas(datos, verTodas) {
  vaciar(tablas);
  for (const [clave, tabla] of Object.entries(datos.tablas)) {
    if (!tabla) continue;
    const cabecera = h("tr", {}, h("th", { scope: "col", text: t("Nombre") }),
      tabla.columnas.map((c) => h("th", { scope: "col" }, c.titulo, " ", definicion(c.definicion))));
    const filas = tabla.filas.length
      ? tabla.filas.map((f) => h("tr", {}, h("th", { scope: "row", text: f.nombre }),
          tabla.columnas.map((c) => h("td", { text: celda(f[c.clave], c.unidad) }))))
      : [h("tr", {}, h("td", { colspan: String(tabla.columnas.length + 1), text: t("Sin datos en el periodo.") }))];
    const todas = tabla.otras_filas
      ? h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: verTodas },
          text: t("Ver todas las filas ({n} más)", { n: tabla.otras_filas }) })
      : null;
    tablas.append(
      h("div", { class: "tabla-dashboard", dataset: { tabla: clave } },
        h("h3", {}, tabla.titulo, " ", definicion(tabla.definicion)),
        h("div", { class: "tabla-scroll", tabindex: "0", role: "region", "aria-label": tabla.titulo },
          h("table", {}, h("thead", {}, cabecera), h("tbody", {}, filas))),
        todas),
    );
  }
}

let pedido = 0;
async function cargarTablas(periodo, mio, filas) {
  tablas.setAttribute("aria-busy", "true");
  try {
    const datos = await api(`/api/soporte/dashboard/series/tablas/?${consulta({ ...periodo, filas })}`);
    if (mio !== pedido) return; // a newer period was asked for meanwhile
    pintarTablas(datos, () => cargarTablas(periodo, mio, 0));
  } catch (error) {
    if (mio === pedido) vaciar(tablas).append(h("p", { class: "form-error", text: mensajeError(error) }));
  } finally {
    if (mio === pedido) tablas.setAttribute("aria-busy", "false");
  }
}

async function cargar(periodo) {
  const mio = ++pedido;
  marcarBotones(periodo);
  caja.setAttribute("aria-busy", "true");
  estado.textContent = t("Cargando…");
  const lasTablas = cargarTablas(periodo, mio, undefined); // in parallel with the charts
  try {
    const datos = await api(`/api/soporte/dashboard/series/?${consulta(periodo)}`);
    if (mio !== pedido) return; // a newer period was asked for meanwhile
    const [primero, ultimo] = [datos.dias[0], datos.dias[datos.dias.length - 1]];
    const zona = datos.zona;
    estado.textContent = primero === ultimo ? t("Día {primero} ({zona})", { primero, zona }) : t("Del {primero} al {ultimo} ({zona})", { primero, ultimo, zona });
    pintarGraficos(datos);
  } catch (error) {
    if (mio === pedido) estado.textContent = mensajeError(error);
  } finally {
    if (mio === pedido) caja.setAttribute("aria-busy", "false");
  }
  await lasTablas;
}

function ir(periodo) {
  history.pushState(null, "", `${location.pathname}?${consulta(periodo)}`);
  cargar(periodo);
}

form.addEventListener("click", (evento) => {
  const boton = evento.target.closest("[data-periodo]");
  if (boton) ir({ periodo: boton.dataset.periodo });
});
botonPropio.addEventListener("click", () => {
  const visible = propio.hidden;
  mostrarPropio(visible);
  if (visible) form.elements.desde.focus();
});
form.addEventListener("submit", (evento) => {
  evento.preventDefault();
  ir({ desde: form.elements.desde.value, hasta: form.elements.hasta.value });
});
window.addEventListener("popstate", () => cargar(periodoDeUrl()));

await sesion;
cargar(periodoDeUrl());
