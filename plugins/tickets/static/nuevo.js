// "Nuevo ticket": files go first to POST /api/soporte/adjuntos/, then the ticket is created.
import { sesion } from "/static/core/app.js";
import { mostrarError } from "/static/core/dom.js";
import { crearTicket, elegirPorDefecto } from "./comun.js";
import { t } from "/static/core/i18n.js";

const form = document.getElementById("form-ticket");
elegirPorDefecto(form); // before anything is awaited: the user may already be choosing
await sesion;
form.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  mostrarError(form, null);
  if (!form.checkValidity()) {
    mostrarError(form, t("Completa el asunto y la descripción."));
    form.reportValidity();
    return;
  }
  const boton = form.querySelector("button[type=submit]");
  boton.disabled = true;
  boton.textContent = t("Creando...");
  try {
    const ticket = await crearTicket(form);
    location.assign(`/tickets/${ticket.id}/`);
  } catch (error) {
    mostrarError(form, error);
    boton.disabled = false;
    boton.textContent = t("Crear ticket");
  }
});
