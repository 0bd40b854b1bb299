// Notification preferences: GET|PATCH /api/soporte/notificaciones/preferencias/ →
// {"preferencias": {tipo: {"app": bool, "email": bool}}}; one row per type, two checkboxes.
import { api } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, h, mostrarError, vaciar } from "/static/core/dom.js";
import { TIPOS, etiquetaTipo } from "./comun.js";
import { t } from "/static/core/i18n.js";

await sesion;
const form = document.getElementById("form-preferencias");
const cuerpo = document.getElementById("preferencias");
const guardar = form.querySelector("button[type=submit]");
const CANALES = [
  ["app", "col-app"],
  ["email", "col-email"],
];
let actuales = {};

function orden(a, b) {
  const claves = Object.keys(TIPOS);
  const ia = claves.indexOf(a);
  const ib = claves.indexOf(b);
  return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib) || a.localeCompare(b);
}

function pintar(preferencias) {
  actuales = preferencias;
  vaciar(cuerpo);
  const tipos = Object.keys(preferencias).sort(orden);
  if (!tipos.length) {
    cuerpo.append(h("tr", {}, h("td", { colspan: 3, class: "vacio", text: t("No hay notificaciones que configurar.") })));
  }
  for (const tipo of tipos) {
    const idFila = `pref-${tipo}`;
    cuerpo.append(
      h(
        "tr",
        { dataset: { tipo } },
        h("th", { scope: "row", id: idFila, text: etiquetaTipo(tipo) }),
        CANALES.map(([canal, columna]) =>
          h(
            "td",
            {},
            // A type without this channel (e.g. in-app only) has no checkbox for it.
            typeof preferencias[tipo][canal] === "boolean"
              ? h("input", {
                  type: "checkbox",
                  name: `${tipo}.${canal}`,
                  "aria-labelledby": `${idFila} ${columna}`,
                  checked: preferencias[tipo][canal],
                })
              : h("span", { class: "ayuda", text: "—", "aria-label": t("No disponible") }),
          ),
        ),
      ),
    );
  }
  guardar.disabled = !tipos.length;
}

async function cargar() {
  try {
    const datos = await api("/api/soporte/notificaciones/preferencias/");
    pintar(datos.preferencias || {});
  } catch (error) {
    vaciar(cuerpo);
    mostrarError(form, error);
  }
}

form.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  mostrarError(form, null);
  const preferencias = {};
  for (const [tipo, canales] of Object.entries(actuales)) {
    preferencias[tipo] = {};
    for (const [canal] of CANALES) {
      const casilla = form.elements.namedItem(`${tipo}.${canal}`);
      if (casilla) preferencias[tipo][canal] = casilla.checked;
      else if (canal in canales) preferencias[tipo][canal] = canales[canal];
    }
  }
  guardar.disabled = true;
  try {
    const datos = await api("/api/soporte/notificaciones/preferencias/", { method: "PATCH", body: { preferencias } });
    if (datos && datos.preferencias) pintar(datos.preferencias);
    avisar(t("Preferencias guardadas."));
  } catch (error) {
    mostrarError(form, error);
  } finally {
    guardar.disabled = false;
  }
});

cargar();
