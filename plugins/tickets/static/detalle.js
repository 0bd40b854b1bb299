// Ticket detail, for the customer (/tickets/{id}/) and for agents (/agente/tickets/{id}/):
// GET /api/soporte/tickets/{id}/ with its conversation, replies with files through
// /responder/, the customer's rating and closing, the agents' state/priority/assignment.
//
// Live chat is the `chat` plugin's fragment on this page. The two talk through DOM events, so
// that either works without the other:
//   "soporte:ticket"  (this page → chat)  detail {ticket, ultimaRespuesta}, after every load;
//   "soporte:mensaje" (chat → this page)  detail = a WebSocket `mensaje` frame to show.
// The `notificaciones` plugin's bell re-dispatches its socket's frames on `window`
// ("soporte:notificaciones"): a `ticket` frame of this ticket (state, priority, assignment, a
// new reply) re-fetches it, keeping what the user is typing or has changed but not saved.
import { api } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, fecha, h, insignia, mensajeError, mostrarError, retrasar, vaciar } from "/static/core/dom.js";
import { CATEGORIAS, PRIORIDADES, adjuntos, estado, prioridad, subirArchivos } from "./comun.js";
import { claseNota, etiquetaNota, esNota, marcarFormulario } from "./notas.js";
import * as colision from "./colision.js";
import { t } from "/static/core/i18n.js";

const { usuario } = await sesion;
const raiz = document.getElementById("ticket");
const id = Number(raiz.dataset.ticketId);
const area = document.body.dataset.area;
const conversacion = document.getElementById("conversacion");
const vacia = document.getElementById("conversacion-vacia");
// Every reply shown, by id → whether it came from the REST API (with its channel and files)
// rather than a socket frame (no files). The same reply often arrives both ways — the
// "Responder" form's answer and the chat socket's frame of it, in either order: the richer one
// wins, whichever came first.
const vistos = new Map();
let ticket = null;

function burbuja({ id: respuestaId, autor, autorId, rol, mensaje, cuando, canal, archivos, interna }) {
  const propia = usuario && autorId === usuario.id;
  const clases = ["respuesta", propia ? "propia" : "", rol && rol !== "CLIENTE" ? "agente" : "", claseNota(interna)];
  return h(
    "article",
    { class: clases.join(" ").trim(), dataset: { id: respuestaId } },
    h(
      "div",
      { class: "respuesta-header" },
      h("strong", {}, autor, canal === "CHAT" ? h("span", { class: "canal", text: "chat" }) : null, etiquetaNota(interna)),
      h("span", { class: "fecha", text: fecha(cuando) }),
    ),
    h("p", { text: mensaje }),
    adjuntos(archivos),
  );
}

function agregar(datos, { completa = false } = {}) {
  const previa = vistos.get(datos.id);
  if (previa !== undefined && (previa || !completa)) return;
  vistos.set(datos.id, completa);
  const existente = [...conversacion.children].find((el) => Number(el.dataset.id) === datos.id);
  if (existente) {
    existente.replaceWith(burbuja(datos));
    return;
  }
  const alFinal = conversacion.scrollHeight - conversacion.scrollTop - conversacion.clientHeight < 40;
  // Keep the conversation in id order even if a live frame overtakes a reload.
  const siguiente = [...conversacion.children].find((el) => Number(el.dataset.id) > datos.id);
  conversacion.insertBefore(burbuja(datos), siguiente || null);
  vacia.hidden = true;
  if (alFinal || (usuario && datos.autorId === usuario.id)) conversacion.scrollTop = conversacion.scrollHeight;
}

function agregarRespuesta(r) {
  agregar({
    id: r.id,
    autor: r.autor.nombre,
    autorId: r.autor.id,
    rol: r.autor.rol,
    mensaje: r.mensaje,
    cuando: r.fecha_creacion,
    canal: r.canal,
    archivos: r.archivos_adjuntos,
    interna: r.interna,
  }, { completa: true });
}

function dato(etiqueta, valor) {
  return [h("dt", { text: etiqueta }), h("dd", {}, valor)];
}

function pintar(tk, anterior = null) {
  document.getElementById("ticket-titulo").textContent = `#${tk.numero} - ${tk.asunto}`;
  document.title = `${tk.numero} · ${document.title.split(" · ").pop()}`;
  vaciar(document.getElementById("ticket-insignias")).append(
    estado(tk.estado),
    prioridad(tk.prioridad),
    // append() writes null as the text "null": a badge only when there is a level.
    ...(tk.nivel_escalamiento > 0 ? [insignia("nivel", "nivel", t("Nivel {nivel_escalamiento}", { nivel_escalamiento: tk.nivel_escalamiento }))] : []),
  );
  document.getElementById("ticket-descripcion").textContent = tk.descripcion;
  const archivos = adjuntos(tk.archivos_adjuntos);
  document.getElementById("ticket-archivos").hidden = !archivos;
  vaciar(document.getElementById("ticket-adjuntos")).append(...(archivos ? archivos.childNodes : []));
  vaciar(document.getElementById("ticket-datos")).append(
    ...dato(t("Categoría"), CATEGORIAS[tk.categoria] || tk.categoria),
    ...dato(t("Prioridad"), PRIORIDADES[tk.prioridad] || tk.prioridad),
    ...dato(t("Fecha de creación"), fecha(tk.fecha_creacion)),
    ...dato(t("Última actualización"), fecha(tk.fecha_actualizacion)),
    ...(tk.reserva_relacionada ? dato(t("Reserva relacionada"), `#${tk.reserva_relacionada.id}`) : []),
    ...(area === "agente" ? dato(t("Cliente"), tk.cliente.nombre) : []),
    ...dato(t("Agente asignado"), tk.agente_asignado ? tk.agente_asignado.nombre : t("Sin asignar")),
    ...(area === "agente" ? dato(t("Equipo"), tk.equipo ? tk.equipo.nombre : t("Sin equipo")) : []),
    ...(tk.valoracion ? dato(t("Valoración"), `${tk.valoracion.puntuacion} de 5`) : []),
  );
  for (const r of tk.respuestas || []) agregarRespuesta(r);
  vacia.hidden = vistos.size > 0;
  const cerrado = tk.estado === "CERRADO";
  document.getElementById("bloque-responder").hidden = cerrado;
  if (area === "agente") pintarGestion(tk, anterior);
  else pintarCliente(tk, anterior);
  document.getElementById("ticket-cuerpo").hidden = false;
}

function pintarGestion(tk, anterior) {
  const form = document.getElementById("form-gestion");
  for (const campo of ["estado", "prioridad", "categoria"]) {
    // A live reload keeps a choice the agent made and has not saved yet.
    const elegido = anterior && form.elements[campo].value !== anterior[campo];
    if (!elegido) form.elements[campo].value = tk[campo];
  }
  document.getElementById("gestion-agente").textContent = tk.agente_asignado
    ? t("Asignado a {nombre}", { nombre: tk.agente_asignado.nombre })
    : t("Sin asignar");
  document.getElementById("gestion-asignarme").hidden = Boolean(tk.agente_asignado && tk.agente_asignado.id === usuario.id);
  document.getElementById("gestion-desasignar").hidden = !tk.agente_asignado;
}

function pintarCliente(tk, anterior) {
  const valorable = tk.estado === "RESUELTO" || tk.estado === "CERRADO";
  document.getElementById("bloque-valorar").hidden = !valorable;
  const actual = document.getElementById("valoracion-actual");
  actual.hidden = !tk.valoracion;
  // A live reload must not undo the stars the customer is choosing.
  const otraValoracion = !anterior || anterior.valoracion?.puntuacion !== tk.valoracion?.puntuacion;
  if (tk.valoracion && otraValoracion) {
    actual.textContent = t("Tu valoración: {puntuacion} de 5. Puedes cambiarla.", { puntuacion: tk.valoracion.puntuacion });
    const radio = document.querySelector(`#form-valorar input[value="${tk.valoracion.puntuacion}"]`);
    if (radio) radio.checked = true;
  }
  document.getElementById("bloque-cerrar").hidden = tk.estado === "CERRADO";
}

async function cargar() {
  const anterior = ticket;
  try {
    ticket = await api(`/api/soporte/tickets/${id}/`);
  } catch (error) {
    const caja = document.getElementById("ticket-error");
    caja.textContent = error.status === 404 ? t("Este ticket no existe o no tienes acceso a él.") : mensajeError(error);
    caja.hidden = false;
    document.getElementById("ticket-titulo").textContent = t("Ticket no disponible");
    return;
  }
  pintar(ticket, anterior);
  const ultimaRespuesta = Math.max(0, ...vistos.keys());
  raiz.dataset.ultimaRespuesta = String(ultimaRespuesta);
  raiz.dataset.estado = ticket.estado;
  document.dispatchEvent(new CustomEvent("soporte:ticket", { detail: { ticket, ultimaRespuesta } }));
}

async function cambiar(cambios, form = null) {
  try {
    await api(`/api/soporte/tickets/${id}/`, { method: "PATCH", body: cambios });
    avisar(t("Ticket actualizado."));
    await cargar();
    return true;
  } catch (error) {
    if (form) mostrarError(form, error.status === 409 ? `${mensajeError(error)} (cambio de estado no permitido)` : error);
    else avisar(mensajeError(error), "error");
    return false;
  }
}

// --- live messages from the chat plugin ----------------------------------------------------
const refrescar = retrasar(cargar, 400);
// Other modules of the page (equipos.js) changed the ticket: show it.
document.addEventListener("soporte:recargar", () => cargar());
document.addEventListener("soporte:mensaje", (evento) => {
  const m = evento.detail;
  agregar({ id: m.id, autor: m.autor, autorId: m.autor_id, rol: m.rol, mensaje: m.contenido, cuando: m.timestamp, canal: m.canal || "CHAT", interna: m.interna });
  // A message may move the state (an agent's first answer, a customer reopening): refresh.
  refrescar();
});

// --- live changes from the notifications socket (state, priority, assignment, replies) -------
// The reply itself may also come through the chat socket: `vistos` shows each reply once.
window.addEventListener("soporte:notificaciones", (evento) => {
  const frame = evento.detail;
  if (frame.tipo === "ticket" && Number(frame.ticket_id) === id) refrescar();
});

// --- reply with files ------------------------------------------------------------------------
const responder = document.getElementById("form-responder");
responder.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  mostrarError(responder, null);
  const mensaje = responder.elements.mensaje.value.trim();
  if (!mensaje) {
    mostrarError(responder, t("Escribe un mensaje."));
    return;
  }
  const boton = responder.querySelector("button[type=submit]");
  boton.disabled = true;
  boton.textContent = t("Enviando...");
  try {
    // As the guide: multipart with `mensaje` and files archivo_0, archivo_1, …
    const form = new FormData();
    form.append("mensaje", mensaje);
    marcarFormulario(form); // `interna` when the agent writes a note
    colision.alResponder(form, Math.max(0, ...vistos.keys())); // a newer reply meanwhile: 409
    [...responder.elements.archivos.files].forEach((f, i) => form.append(`archivo_${i}`, f));
    const respuesta = await api(`/api/soporte/tickets/${id}/responder/`, { method: "POST", form });
    agregarRespuesta(respuesta);
    responder.reset();
    await cargar();
  } catch (error) {
    if (!(await colision.desactualizada(error, cargar))) mostrarError(responder, error);
  } finally {
    boton.disabled = false;
    boton.textContent = esNota() ? t("Guardar nota interna") : t("Enviar Respuesta");
  }
});

// --- agents: state, priority, category, assignment -------------------------------------------
if (area === "agente") {
  const gestion = document.getElementById("form-gestion");
  gestion.addEventListener("submit", async (evento) => {
    evento.preventDefault();
    mostrarError(gestion, null);
    const cambios = {};
    for (const campo of ["estado", "prioridad", "categoria"]) {
      if (gestion.elements[campo].value !== ticket[campo]) cambios[campo] = gestion.elements[campo].value;
    }
    if (Object.keys(cambios).length) await cambiar(cambios, gestion);
  });
  document.getElementById("gestion-asignarme").addEventListener("click", () => cambiar({ agente_asignado: usuario.id }));
  document.getElementById("gestion-desasignar").addEventListener("click", () => cambiar({ agente_asignado: null }));
} else {
  // --- customers: rating and closing ---------------------------------------------------------
  const valorar = document.getElementById("form-valorar");
  valorar.addEventListener("submit", async (evento) => {
    evento.preventDefault();
    mostrarError(valorar, null);
    const puntuacion = Number(new FormData(valorar).get("puntuacion"));
    if (!puntuacion) {
      mostrarError(valorar, t("Elige una puntuación de 1 a 5."));
      return;
    }
    try {
      await api(`/api/soporte/tickets/${id}/valorar/`, {
        method: "POST",
        body: { puntuacion, comentario: valorar.elements.comentario.value.trim() },
      });
      avisar(t("¡Gracias por tu valoración!"));
      await cargar();
    } catch (error) {
      mostrarError(valorar, error);
    }
  });
  document.getElementById("cerrar-ticket").addEventListener("click", async () => {
    if (window.confirm(t("¿Cerrar el ticket? No podrás enviar más mensajes."))) await cambiar({ estado: "CERRADO" });
  });
}

colision.iniciar(usuario);
await cargar();
conversacion.scrollTop = conversacion.scrollHeight;
