// "Mis casos": GET /api/soporte/casos/ (a customer sees only their own), with filters.
import { api, consulta, turnos } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { h, mensajeError, paginacion, vaciar } from "/static/core/dom.js";
import { enLaUrl } from "/static/core/estado-url.js";
import { tarjeta } from "./comun.js";
import { t } from "/static/core/i18n.js";

await sesion;
const form = document.getElementById("filtros");
const lista = document.getElementById("lista-casos");
const paginas = document.getElementById("paginacion");
let pagina = 1;
const turno = turnos();
const url = enLaUrl(form, (n) => { pagina = n; cargar(); });
pagina = url.leer();

async function cargar() {
  try {
    const filtros = Object.fromEntries(new FormData(form));
    const vigente = turno();
    const datos = await api(`/api/soporte/casos/?${consulta({ page: pagina, size: 10, ...filtros })}`);
    if (!vigente()) return;
    vaciar(lista);
    if (!datos.results.length) lista.append(h("p", { class: "vacio", text: t("No tienes casos con estos filtros.") }));
    else lista.append(h("ul", { class: "lista" }, datos.results.map(tarjeta)));
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; url.guardar(pagina); cargar(); }));
  } catch (error) {
    vaciar(lista).append(h("p", { class: "form-error", text: mensajeError(error) }));
  }
}

form.addEventListener("change", () => { pagina = 1; url.guardar(pagina); cargar(); });
cargar();
