// The widget's "Chat en Vivo": choose one of your open tickets and chat with support.
import { api, consulta } from "/static/core/api.js";
import { h, mensajeError } from "/static/core/dom.js";
import { burbujaMensaje, conectarPanel, panelCompleto } from "./chat.js";
import { t } from "/static/core/i18n.js";

export async function montar(contenedor, { usuario }) {
  let desconectar = null;
  const zona = h("div");
  const selector = h("select", { id: "widget-chat-ticket" });
  contenedor.append(
    h("div", { class: "form-group" }, h("label", { for: "widget-chat-ticket" }, t("Ticket")), selector),
    zona,
  );

  function abrir(ticketId) {
    if (desconectar) desconectar();
    const { panel, lista } = panelCompleto();
    zona.replaceChildren(panel);
    desconectar = conectarPanel(panel, {
      ticketId,
      usuario,
      alMensaje: (frame) => {
        if (lista.querySelector(`[data-id="${frame.id}"]`)) return;
        lista.append(burbujaMensaje(frame, usuario));
        lista.scrollTop = lista.scrollHeight;
      },
    });
  }

  try {
    const datos = await api(`/api/soporte/mis-tickets/?${consulta({ page: 1, size: 20 })}`);
    const abiertos = datos.results.filter((tk) => tk.estado !== "CERRADO");
    if (!abiertos.length) {
      contenedor.replaceChildren(
        h("p", { text: t("Para chatear con soporte necesitas un ticket abierto.") }),
        h("a", { class: "boton", href: "/tickets/nuevo/" }, t("Crear un ticket")),
      );
      return null;
    }
    for (const tk of abiertos) selector.append(h("option", { value: tk.id }, `#${tk.numero} - ${tk.asunto}`));
    selector.addEventListener("change", () => abrir(Number(selector.value)));
    abrir(abiertos[0].id);
  } catch (error) {
    contenedor.replaceChildren(h("p", { class: "form-error", text: mensajeError(error) }));
  }
  return () => desconectar && desconectar();
}
