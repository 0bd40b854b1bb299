// Internal notes on the ticket detail (issue 17): the agents' "Nota interna" toggle of the reply
// form, and how a note is marked in the conversation. The server decides who sees a note (a
// customer's page never receives one); this module only shows what the agent's page gets.
import { h } from "/static/core/dom.js";
import { t } from "/static/core/i18n.js";

const toggle = document.getElementById("respuesta-interna");

/** Whether the reply being written is an internal note (only agents have the toggle). */
export function esNota() {
  return Boolean(toggle && toggle.checked);
}

/** Add `interna` to the reply's FormData when the toggle is on (absent otherwise, as the guide). */
export function marcarFormulario(form) {
  if (esNota()) form.append("interna", "true");
}

/** The extra CSS class of a message, and its "Nota interna" label (null for public replies). */
export function claseNota(interna) {
  return interna ? "nota-interna" : "";
}

export function etiquetaNota(interna) {
  return interna ? h("span", { class: "etiqueta-nota", text: t("Nota interna") }) : null;
}

// While the toggle is on, the form says it writes a note (button and placeholder).
if (toggle) {
  const form = toggle.form;
  const boton = form.querySelector("button[type=submit]");
  const texto = form.elements.mensaje;
  const original = { boton: boton.textContent, texto: texto.placeholder };
  const pintar = () => {
    form.classList.toggle("escribiendo-nota", toggle.checked);
    boton.textContent = toggle.checked ? t("Guardar nota interna") : original.boton;
    texto.placeholder = toggle.checked ? t("Nota para el equipo (el cliente no la verá)...") : original.texto;
  };
  toggle.addEventListener("change", pintar);
  form.addEventListener("reset", () => setTimeout(pintar));
  pintar();
}
