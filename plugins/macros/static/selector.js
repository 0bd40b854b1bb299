// The macro picker of the agent's reply box (fragment "respuesta" of the ticket page):
// search the agent's visible active macros by name, preview the chosen one in the textarea
// (rendered by the server for this ticket), or apply it with its field changes at once.
import { api, consulta } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, h, mensajeError, retrasar, vaciar } from "/static/core/dom.js";
import { describirAcciones } from "/static/macros/comun.js";
import { t } from "/static/core/i18n.js";

await sesion;
const ticketId = Number(document.getElementById("ticket").dataset.ticketId);
const buscar = document.getElementById("macro-buscar");
const elegida = document.getElementById("macro-elegida");
const resumen = document.getElementById("macro-resumen");
const aplicar = document.getElementById("macro-aplicar");
const mensaje = document.getElementById("respuesta-mensaje");
const interna = document.getElementById("respuesta-interna");
let consultaActual = 0;

function mostrarResumen(texto, error = false) {
  resumen.textContent = texto;
  resumen.classList.toggle("form-error", error);
  resumen.hidden = !texto;
}

async function cargarMacros() {
  const numero = ++consultaActual;
  try {
    const q = buscar.value.trim();
    const datos = await api(`/api/soporte/macros/?${consulta({ q, activa: "true", size: 100 })}`);
    if (numero !== consultaActual) return; // a newer search answered first
    const previa = elegida.value;
    vaciar(elegida).append(h("option", { value: "" }, datos.count ? t("Elegir una macro…") : t("Ninguna macro coincide")));
    for (const macro of datos.results) {
      const etiqueta = macro.ambito === "PERSONAL" ? macro.nombre : `${macro.nombre} (${macro.ambito.toLowerCase()})`;
      elegida.append(h("option", { value: macro.id, selected: String(macro.id) === previa }, etiqueta));
    }
    aplicar.disabled = !elegida.value;
  } catch (error) {
    mostrarResumen(mensajeError(error), true);
  }
}

async function previsualizar() {
  aplicar.disabled = !elegida.value;
  if (!elegida.value) {
    mostrarResumen("");
    return;
  }
  try {
    const vista = await api(`/api/soporte/macros/${elegida.value}/vista-previa/`, {
      method: "POST",
      body: { ticket_id: ticketId },
    });
    mensaje.value = vista.mensaje;
    if (interna) interna.checked = vista.interna;
    const cambios = describirAcciones(vista.acciones);
    const tipo = vista.interna ? t("Nota interna") : t("Respuesta");
    mostrarResumen(cambios ? `${tipo}. Al aplicar: ${cambios}.` : `${tipo}, sin cambios de campos.`);
  } catch (error) {
    mostrarResumen(mensajeError(error), true);
  }
}

aplicar.addEventListener("click", async () => {
  if (!elegida.value) return;
  aplicar.disabled = true;
  try {
    await api(`/api/soporte/macros/${elegida.value}/aplicar/`, { method: "POST", body: { ticket_id: ticketId } });
    avisar(t("Macro aplicada."));
    mensaje.value = "";
    if (interna) interna.checked = false;
    elegida.value = "";
    mostrarResumen("");
    document.dispatchEvent(new CustomEvent("soporte:recargar"));
  } catch (error) {
    mostrarResumen(mensajeError(error), true);
  } finally {
    aplicar.disabled = !elegida.value;
  }
});
elegida.addEventListener("change", previsualizar);
buscar.addEventListener("input", retrasar(cargarMacros, 250));
buscar.addEventListener("keydown", (evento) => {
  // Enter in the search box must not send the reply form.
  if (evento.key === "Enter") {
    evento.preventDefault();
    cargarMacros();
  }
});
cargarMacros();
