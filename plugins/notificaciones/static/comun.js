// Shared pieces of the notification pages and the bell: the Spanish label of each `tipo`, the
// relative time ("hace 5 minutos") and one notification as a list item.
import { fecha, h } from "/static/core/dom.js";
import { idioma, t } from "/static/core/i18n.js";

/** Spanish labels of the notification types (the preferences page shows one row per type). */
export const TIPOS = {
  ticket_recibido: t("Hemos recibido tu ticket"),
  respuesta_agente: t("Un agente respondió a tu ticket"),
  estado_cambiado: t("Cambió el estado de tu ticket"),
  ticket_nuevo: t("Ticket nuevo"),
  respuesta_cliente: t("El cliente respondió a un ticket asignado a mí"),
  ticket_asignado: t("Me asignaron un ticket"),
  ticket_escalado: t("Un ticket escaló a mi nivel"),
  mencion: t("Alguien me mencionó (@usuario)"),
  caso_nuevo: t("Caso nuevo"),
  caso_actualizado: t("Cambió un caso tuyo"),
  envio_fallido: t("Un envío falló definitivamente"),
};

export function etiquetaTipo(tipo) {
  return TIPOS[tipo] || tipo;
}

const relativo = new Intl.RelativeTimeFormat(idioma, { numeric: "auto" });
const UNIDADES = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "hace 5 minutos", "ayer", "ahora" — the time of `iso` relative to `ahora` (ms). */
export function haceCuanto(iso, ahora = Date.now()) {
  if (!iso) return "";
  // Clocks differ a little between server and browser: a moment "in the future" is now.
  const segundos = Math.min(0, Math.round((new Date(iso).getTime() - ahora) / 1000));
  for (const [unidad, tamano] of UNIDADES) {
    if (-segundos >= tamano) return relativo.format(Math.round(segundos / tamano), unidad);
  }
  return relativo.format(0, "second");
}

/**
 * One notification as an <li>: a link to its `url` (a button when it has none) with the
 * title, the message and the relative time; unread ones are marked (class and hidden text).
 * `alAbrir(notificacion, evento)` runs on click (it marks it read, then navigates).
 */
export function elemento(n, { alAbrir } = {}) {
  const contenido = [
    n.leida ? null : h("span", { class: "sr-only", text: t("No leída: ") }),
    h("strong", { class: "notificacion-titulo", text: n.titulo }),
    h("span", { class: "notificacion-mensaje", text: n.mensaje }),
    h("time", { class: "notificacion-fecha", datetime: n.fecha_creacion, title: fecha(n.fecha_creacion), text: haceCuanto(n.fecha_creacion) }),
  ];
  const abrir = { click: (e) => alAbrir && alAbrir(n, e) };
  // Without a page to open, the item is a button that only marks it read.
  const accion = n.url
    ? h("a", { class: "notificacion-enlace", href: n.url, on: abrir }, contenido)
    : h("button", { type: "button", class: "notificacion-enlace", on: abrir }, contenido);
  return h(
    "li",
    { class: `notificacion${n.leida ? "" : " no-leida"}`, dataset: { id: n.id, tipo: n.tipo } },
    accion,
  );
}

/** Whether a click should be left to the browser (new tab, new window, download). */
export function clicModificado(evento) {
  return evento.button !== 0 || evento.metaKey || evento.ctrlKey || evento.shiftKey || evento.altKey;
}

/**
 * Open notification `n` from a click: mark it read with `marcar(n)` (unless it is read), then
 * go to its page. A modified click (new tab, window) lets the browser navigate and only
 * records the read; a failed mark never keeps the notification's page from opening.
 */
export async function abrirNotificacion(n, evento, marcar) {
  const modificado = clicModificado(evento);
  if (!modificado) evento.preventDefault();
  const peticion = n.leida ? Promise.resolve() : marcar(n);
  if (modificado) {
    peticion.catch(() => {});
    return;
  }
  try {
    await peticion;
  } catch {
    // Navigating matters more than the mark: the page of the notification still opens.
  }
  if (n.url) location.assign(n.url);
}
