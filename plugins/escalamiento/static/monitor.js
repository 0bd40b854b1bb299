// The guide's escalation monitor: GET /api/soporte/escalamiento/monitor/ every 30 s, alerts
// acknowledged with POST /api/soporte/escalamiento/alertas/{id}/leer/.
import { api } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, fecha, h, insignia, mensajeError, vaciar } from "/static/core/dom.js";
import { etiquetas, localeFechas, t } from "/static/core/i18n.js";

const INTERVALO_MS = 30000;
const NIVELES = etiquetas("nivel");

await sesion;
const cajaAlertas = document.getElementById("alertas");
const cajaTickets = document.getElementById("tickets-escalados");
const actualizado = document.getElementById("monitor-actualizado");

async function leer(alerta) {
  try {
    await api(`/api/soporte/escalamiento/alertas/${alerta.id}/leer/`, { method: "POST" });
    avisar(t("Alerta marcada como leída."));
  } catch (error) {
    avisar(mensajeError(error), "error");
  }
  cargar();
}

function pintar(datos) {
  vaciar(cajaAlertas);
  // The monitor answers the pending alerts; an acknowledged one leaves the list.
  const alertas = datos.alertas.filter((a) => !a.leida);
  if (!alertas.length) cajaAlertas.append(h("p", { class: "vacio", text: t("No hay alertas pendientes.") }));
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
            alerta.ticket_id ? h("a", { href: `/agente/tickets/${alerta.ticket_id}/` }, t("Ver ticket")) : null),
        ),
        alerta.leida
          ? h("span", { class: "ayuda", text: t("Leída") })
          : h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => leer(alerta) } }, t("Marcar como leída")),
      ),
    );
  }
  vaciar(cajaTickets);
  if (!datos.tickets_escalados.length) cajaTickets.append(h("p", { class: "vacio", text: t("No hay tickets escalados.") }));
  for (const tk of datos.tickets_escalados) {
    cajaTickets.append(
      h(
        "div",
        { class: "ticket-escalado", dataset: { id: tk.id } },
        h("a", { href: `/agente/tickets/${tk.id}/` }, `#${tk.numero}`),
        h("span", { class: "asunto", text: tk.asunto }),
        h("span", { text: t("Escalado hace: {tiempo_escalamiento}", { tiempo_escalamiento: tk.tiempo_escalamiento }) }),
        insignia("nivel", "nivel", t("Nivel: {nivel_escalamiento}", { nivel_escalamiento: tk.nivel_escalamiento })),
        insignia("prioridad", tk.prioridad, tk.prioridad),
      ),
    );
  }
}

async function cargar() {
  try {
    pintar(await api("/api/soporte/escalamiento/monitor/"));
    actualizado.textContent = t("Actualizado a las {valor}", { valor: new Date().toLocaleTimeString(localeFechas) });
  } catch (error) {
    vaciar(cajaAlertas).append(h("p", { class: "form-error", text: mensajeError(error) }));
  }
}

document.getElementById("monitor-actualizar").addEventListener("click", cargar);
cargar();
setInterval(cargar, INTERVALO_MS);
