// "Nuevo caso" of the portal.
import { sesion } from "/static/core/app.js";
import { avisar, mostrarError } from "/static/core/dom.js";
import { crearCaso } from "./comun.js";
import { t } from "/static/core/i18n.js";

await sesion;
const form = document.getElementById("form-caso");
form.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  mostrarError(form, null);
  if (!form.checkValidity()) {
    mostrarError(form, t("Completa el título y la descripción."));
    return;
  }
  try {
    const caso = await crearCaso(form);
    avisar(t("Caso {numero} creado.", { numero: caso.numero }));
    location.assign("/casos/");
  } catch (error) {
    mostrarError(form, error);
  }
});
