// The guide's escalation monitor: GET /api/soporte/escalamiento/monitor/ every 30 s, alerts
// acknowledged with POST /api/soporte/escalamiento/alertas/{id}/leer/.
import { api } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, fecha, h, insignia, mensajeError, vaciar } from "/static/core/dom.js";

const INTERVALO_MS = 30000;
const NIVELES = { info: "Información", advertencia: "Advertencia", critica: "Crítica" };

await sesion;
const cajaAlertas = document.getElementById("alertas");
const cajaTickets = document.getElementById("tickets-escalados");
const actualizado = document.getElementById("monitor-actualizado");

async function leer(alerta) {
  try {
    await api(`/api/soporte/escalamiento/alertas/${alerta.id}/leer/`, { method: "POST" });
    avisar("Alerta marcada como leída.");
  } catch (error) {
    avisar(mensajeError(error), "error");
  }
  cargar();
}

function pintar(datos) {
  vaciar(cajaAlertas);
  // The monitor answers the pending alerts; an acknowledged one leaves the list.
  const alertas = datos.alertas.filter((a) => !a.leida);
  if (!alertas.length) cajaAlertas.append(h("p", { class: "vacio", text: "No hay alertas pendientes." }));
  for (const alerta of alertas) {
    cajaAlertas.append(
      h(
        "div",
        { class: `alerta ${alerta.nivel}${alerta.leida ? " leida" : ""}`, dataset: { id: alerta.id } },
        h(
          "div",
          {},
          h("strong", { text: `${NIVELES[alerta.nivel] || alerta.nivel}: ` }),
          h("span", { text: alerta.mensaje }),
          h("div", { class: "meta" },
            h("span", { text: fecha(alerta.timestamp) }),
            alerta.ticket_id ? h("a", { href: `/agente/tickets/${alerta.ticket_id}/` }, "Ver ticket") : null),
        ),
        alerta.leida
          ? h("span", { class: "ayuda", text: "Leída" })
          : h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => leer(alerta) } }, "Marcar como leída"),
      ),
    );
  }
  vaciar(cajaTickets);
  if (!datos.tickets_escalados.length) cajaTickets.append(h("p", { class: "vacio", text: "No hay tickets escalados." }));
  for (const t of datos.tickets_escalados) {
    cajaTickets.append(
      h(
        "div",
        { class: "ticket-escalado", dataset: { id: t.id } },
        h("a", { href: `/agente/tickets/${t.id}/` }, `#${t.numero}`),
        h("span", { class: "asunto", text: t.asunto }),
        h("span", { text: `Escalado hace: ${t.tiempo_escalamiento}` }),
        insignia("nivel", "nivel", `Nivel: ${t.nivel_escalamiento}`),
        insignia("prioridad", t.prioridad, t.prioridad),
      ),
    );
  }
}

async function cargar() {
  try {
    pintar(await api("/api/soporte/escalamiento/monitor/"));
    actualizado.textContent = `Actualizado a las ${new Date().toLocaleTimeString("es")}`;
  } catch (error) {
    vaciar(cajaAlertas).append(h("p", { class: "form-error", text: mensajeError(error) }));
  }
}

document.getElementById("monitor-actualizar").addEventListener("click", cargar);
cargar();
setInterval(cargar, INTERVALO_MS);
