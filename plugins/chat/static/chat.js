// The chat client of the contract's WebSocket protocol, after the guide's ChatSoporteWebSocket:
// ws(s)://HOST/ws/soporte/ticket/{id}/?token=TOKEN, frames `connection_status`, `mensaje`,
// `typing`, `presencia`, `error`. It reconnects with `?desde=<last id>` so that no message is
// shown twice, and gives up on 4401 (bad token) and 4404 (ticket not visible).
import { token, urlSocket } from "/static/core/api.js";
import { h, hora, vaciar } from "/static/core/dom.js";
import { t } from "/static/core/i18n.js";

const SIN_REINTENTO = new Set([1000, 4401, 4404]);

export class ChatSoporteWebSocket {
  constructor(ticketId, onMessage, { desde = null, onClose = () => {}, viendo = false } = {}) {
    this.viendo = viendo;
    this.ticketId = ticketId;
    this.onMessage = onMessage;
    this.onClose = onClose;
    this.ultimoId = desde;
    this.socket = null;
    this.reconnectAttempts = 0;
    this.maxReconnectAttempts = 5;
    this.reconnectDelay = 1000;
    this.cerradoAdrede = false;
  }

  connect() {
    const parametros = { token: token() || "" };
    if (this.ultimoId !== null) parametros.desde = this.ultimoId;
    if (this.viendo) parametros.viendo = "true"; // who is viewing (staff only, docs/api.md)
    this.socket = new WebSocket(urlSocket(`/ws/soporte/ticket/${this.ticketId}/`, parametros));
    this.socket.addEventListener("open", () => {
      this.reconnectAttempts = 0;
    });
    this.socket.addEventListener("message", (evento) => {
      let data;
      try {
        data = JSON.parse(evento.data);
      } catch {
        return;
      }
      if (data.tipo === "mensaje" && Number.isInteger(data.id)) {
        this.ultimoId = Math.max(this.ultimoId ?? 0, data.id);
      }
      this.onMessage(data);
    });
    this.socket.addEventListener("close", (evento) => {
      this.onClose(evento.code);
      if (this.cerradoAdrede || SIN_REINTENTO.has(evento.code)) return;
      if (this.reconnectAttempts < this.maxReconnectAttempts) {
        this.reconnectAttempts += 1;
        setTimeout(() => this.connect(), this.reconnectDelay * this.reconnectAttempts);
      }
    });
  }

  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  sendMessage(mensaje, tipo = "mensaje") {
    return this.send({ tipo, mensaje, timestamp: new Date().toISOString() });
  }

  sendTyping(escribiendo) {
    return this.send({ tipo: "typing", escribiendo });
  }

  disconnect() {
    this.cerradoAdrede = true;
    if (this.socket) this.socket.close(1000);
  }
}

/** The guide's message bubble (`autor` is a plain string in frames). */
export function burbujaMensaje(m, usuario) {
  const propia = usuario && m.autor_id === usuario.id;
  return h(
    "div",
    { class: `mensaje ${m.tipo}${propia ? " propia" : ""}${m.interna ? " nota-interna" : ""}`, dataset: { id: m.id } },
    h(
      "div",
      { class: "mensaje-header" },
      h("strong", { text: m.autor }),
      // Only staff sockets ever receive a note (issue 17): label it so it is not taken as public.
      m.interna ? h("span", { class: "etiqueta-nota", text: t("Nota interna") }) : null,
      h("span", { class: "timestamp", text: hora(m.timestamp) }),
    ),
    h("p", { text: m.contenido }),
  );
}

/**
 * Wire a chat panel (the markup of chat/_ticket.html, or one built by the widget) to a ticket.
 * `panel` holds .status, .chat-presencia, .typing-indicator, form.chat-input and .chat-error.
 * `alMensaje(frame)` receives every `mensaje` frame, `alFrame(frame)` every frame. Returns a
 * function that disconnects; its `enviar(frame)` sends a frame (false when not connected).
 */
export function conectarPanel(panel, { ticketId, usuario, desde = null, alMensaje, alFrame = () => {}, viendo = false }) {
  const estado = panel.querySelector(".status");
  const presencia = panel.querySelector(".chat-presencia");
  const escribiendo = panel.querySelector(".typing-indicator");
  const form = panel.querySelector("form.chat-input");
  const campo = form.querySelector("input");
  const boton = form.querySelector("button");
  const error = panel.querySelector(".chat-error");
  const participantes = new Map();
  const escribiendoAhora = new Map();
  let conectado = false;
  let bloqueado = false;
  let tecleando = false;
  let pausa = null;

  function pintarEstado() {
    estado.textContent = conectado ? t("Conectado") : t("Desconectado");
    estado.className = `status ${conectado ? "conectado" : "desconectado"}`;
    campo.disabled = !conectado || bloqueado;
    boton.disabled = !conectado || bloqueado || !campo.value.trim();
    panel.dataset.conectado = String(conectado);
  }

  function pintarPresencia() {
    const otros = [...participantes.values()].filter((p) => !usuario || p.id !== usuario.id).map((p) => p.nombre);
    presencia.textContent = otros.length ? t("En línea: {valor}", { valor: otros.join(", ") }) : t("Nadie más está conectado ahora.");
  }

  function pintarEscribiendo() {
    const nombres = [...escribiendoAhora.keys()];
    escribiendo.textContent = nombres.length ? `${nombres.join(", ")} está escribiendo...` : "";
  }

  function mostrarError(texto) {
    error.textContent = texto;
    error.hidden = false;
    setTimeout(() => { error.hidden = true; }, 6000);
  }

  const chat = new ChatSoporteWebSocket(
    ticketId,
    (data) => {
      alFrame(data);
      switch (data.tipo) {
        case "connection_status":
          conectado = Boolean(data.conectado);
          participantes.clear();
          for (const p of data.participantes || []) participantes.set(p.id, p);
          pintarEstado();
          pintarPresencia();
          break;
        case "mensaje":
          escribiendoAhora.delete(data.autor);
          pintarEscribiendo();
          alMensaje(data);
          break;
        case "typing":
          clearTimeout(escribiendoAhora.get(data.autor));
          if (data.escribiendo) {
            // A lost "stopped typing" frame must not leave the indicator on forever.
            escribiendoAhora.set(data.autor, setTimeout(() => { escribiendoAhora.delete(data.autor); pintarEscribiendo(); }, 6000));
          } else {
            escribiendoAhora.delete(data.autor);
          }
          pintarEscribiendo();
          break;
        case "presencia":
          if (data.usuario && typeof data.usuario === "object") {
            if (data.conectado) participantes.set(data.usuario.id, data.usuario);
            else participantes.delete(data.usuario.id);
          }
          pintarPresencia();
          break;
        case "error":
          mostrarError(data.detalle || t("No se pudo enviar el mensaje."));
          break;
        default:
          break;
      }
    },
    {
      desde,
      viendo,
      onClose: (codigo) => {
        conectado = false;
        pintarEstado();
        if (codigo === 4401) mostrarError(t("Tu sesión ha caducado: vuelve a iniciar sesión."));
        if (codigo === 4404) mostrarError(t("No tienes acceso al chat de este ticket."));
      },
    },
  );

  function dejarDeTeclear() {
    if (tecleando) chat.sendTyping(false);
    tecleando = false;
  }

  campo.addEventListener("input", () => {
    boton.disabled = !conectado || bloqueado || !campo.value.trim();
    if (!tecleando && campo.value) {
      tecleando = chat.sendTyping(true);
    }
    clearTimeout(pausa);
    pausa = setTimeout(dejarDeTeclear, 1000);
  });
  form.addEventListener("submit", (evento) => {
    evento.preventDefault();
    const texto = campo.value.trim();
    if (!texto || !conectado) return;
    clearTimeout(pausa);
    dejarDeTeclear();
    if (chat.sendMessage(texto)) {
      campo.value = "";
      pintarEstado();
    }
  });

  pintarEstado();
  chat.connect();
  const desconectar = () => chat.disconnect();
  desconectar.enviar = (frame) => chat.send(frame);
  desconectar.bloquear = (valor, motivo = "") => {
    bloqueado = valor;
    campo.placeholder = valor ? motivo : t("Escribe tu mensaje...");
    pintarEstado();
  };
  return desconectar;
}

/** A complete chat panel with its own message list (the widget's view). */
export function panelCompleto() {
  const idCampo = `chat-campo-${Math.random().toString(36).slice(2, 8)}`;
  const lista = h("div", { class: "chat-mensajes", "aria-live": "polite" });
  const panel = h(
    "div",
    { class: "chat-ticket" },
    h("div", { class: "chat-header" }, h("h4", { text: t("Chat en Tiempo Real") }), h("span", { class: "status desconectado", role: "status", text: t("Desconectado") })),
    h("p", { class: "chat-presencia" }),
    lista,
    h("div", { class: "typing-indicator", "aria-live": "polite" }),
    h(
      "form",
      { class: "chat-input" },
      h("label", { class: "sr-only", for: idCampo }, t("Mensaje de chat")),
      h("input", { id: idCampo, placeholder: t("Escribe tu mensaje..."), maxlength: 5000, autocomplete: "off", disabled: true }),
      h("button", { type: "submit", class: "boton", disabled: true }, t("Enviar")),
    ),
    h("p", { class: "form-error chat-error", role: "alert", hidden: true }),
  );
  return { panel, lista, vaciar: () => vaciar(lista) };
}
