// The ticket's change history on its detail page: GET /api/soporte/tickets/{id}/historial/, a
// timeline of who changed what, when and from which channel ("Estado: Abierto → En progreso").
// Agents get every entry, the customer the public timeline (the API decides).
//
// It listens to the detail page's "soporte:ticket" event (after every load of the ticket), so
// a change made on this page, by the chat or by anybody else that reloads the ticket reloads
// the timeline too; detail.js knows nothing of it.
import { api } from "/static/core/api.js";
import { fecha, h, mensajeError, retrasar, vaciar } from "/static/core/dom.js";
import { CATEGORIAS, ESTADOS, PRIORIDADES } from "./comun.js";
import { etiquetas, t } from "/static/core/i18n.js";

const raiz = document.getElementById("ticket");
const lista = document.getElementById("historial");
const vacio = document.getElementById("historial-vacio");
const id = Number(raiz.dataset.ticketId);

const CAMPOS = {
  estado: t("Estado"),
  prioridad: t("Prioridad"),
  categoria: t("Categoría"),
  agente_asignado: t("Agente asignado"),
  equipo: t("Equipo"),
  nivel_escalamiento: t("Nivel de escalamiento"),
  etiquetas: t("Etiquetas"),
};
const VALORES = { estado: ESTADOS, prioridad: PRIORIDADES, categoria: CATEGORIAS };
const CANALES = etiquetas("canal");
const VACIOS = { agente_asignado: t("Sin asignar"), equipo: t("Sin equipo"), etiquetas: t("Sin etiquetas") };

/** A value as people read it: its label, a person's or team's name, "Sin asignar" for none. */
function valor(campo, v, nombre) {
  if (v === null || v === undefined) return VACIOS[campo] || "—";
  // A list (the tags): its names, or the field's "none".
  if (Array.isArray(v)) return v.length ? v.join(", ") : VACIOS[campo] || "—";
  if (nombre) return nombre;
  return (VALORES[campo] && VALORES[campo][v]) || String(v);
}

function entrada(c) {
  const texto =
    c.campo === "creado"
      ? t("Ticket creado")
      : `${CAMPOS[c.campo] || c.campo}: ${valor(c.campo, c.anterior, c.anterior_nombre)} → ${valor(c.campo, c.nuevo, c.nuevo_nombre)}`;
  return h(
    "li",
    { class: "historial-entrada", dataset: { id: c.id, campo: c.campo } },
    h("span", { class: "historial-cambio", text: texto }),
    h(
      "span",
      { class: "historial-meta fecha" },
      `${c.autor ? c.autor.nombre : t("Sistema")} · ${(CANALES[c.canal] || c.canal).toLowerCase()} · ${fecha(c.fecha)}`,
    ),
  );
}

let ultimo = null;

async function cargar(version = null) {
  if (version !== null && version === ultimo) return;
  ultimo = version;
  try {
    // The newest 100 entries are plenty for a page; the API pages further for integrations.
    const pagina = await api(`/api/soporte/tickets/${id}/historial/?size=100`);
    vaciar(lista).append(...pagina.results.map(entrada));
    vacio.hidden = pagina.results.length > 0;
  } catch (error) {
    vaciar(lista);
    vacio.hidden = false;
    vacio.textContent = mensajeError(error);
  }
}

const recargar = retrasar(cargar, 200);
// Every load of the ticket (a PATCH, a reply, a live change): reload when it changed.
document.addEventListener("soporte:ticket", (evento) => recargar(evento.detail.ticket.fecha_actualizacion));
await cargar();
