// "Mis tickets": GET /api/soporte/mis-tickets/ with the guide's filters, paginated. Live: a
// `ticket` frame of the notifications socket ("soporte:notificaciones" on `window`, from the
// bell) about one of my tickets re-fetches the current page, filters kept.
import { api, consulta, esAgente, turnos } from "/static/core/api.js";
import { h, mensajeError, paginacion, retrasar, vaciar } from "/static/core/dom.js";
import { sesion } from "/static/core/app.js";
import { enLaUrl } from "/static/core/estado-url.js";
import { filtrosDe, tarjeta } from "./comun.js";
import { t } from "/static/core/i18n.js";

const { usuario } = await sesion;
const form = document.getElementById("filtros");
const lista = document.getElementById("lista-tickets");
const paginas = document.getElementById("paginacion");
let pagina = 1;
const turno = turnos();
const url = enLaUrl(form, (n) => { pagina = n; cargar(); });
pagina = url.leer();

async function cargar() {
  lista.setAttribute("aria-busy", "true");
  try {
    const vigente = turno();
    const datos = await api(`/api/soporte/mis-tickets/?${consulta({ page: pagina, size: 10, ...filtrosDe(form) })}`);
    if (!vigente()) return;
    vaciar(lista);
    if (!datos.results.length) {
      lista.append(h("p", { class: "vacio", text: t("No tienes tickets con estos filtros.") }));
    } else {
      lista.append(h("ul", { class: "tickets-list" }, datos.results.map((tk) => tarjeta(tk, `/tickets/${tk.id}/`, { nivel: "h2" }))));
    }
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; url.guardar(pagina); cargar(); }));
  } catch (error) {
    vaciar(lista).append(h("p", { class: "form-error", text: mensajeError(error) }));
  } finally {
    lista.setAttribute("aria-busy", "false");
  }
}

const enVivo = retrasar(cargar, 300);
window.addEventListener("soporte:notificaciones", (evento) => {
  const frame = evento.detail;
  if (frame.tipo !== "ticket") return;
  const listado = lista.querySelector(`.ticket-card[data-id="${Number(frame.ticket_id)}"]`);
  // A customer hears only about their own tickets (any may now match the filters); agents
  // hear about every ticket, so only the listed ones concern this page.
  if (!esAgente(usuario) || listado) enVivo();
});

const recargar = ({ reemplazar = false } = {}) => { pagina = 1; url.guardar(pagina, { reemplazar }); cargar(); };
form.addEventListener("change", () => recargar());
form.addEventListener("input", retrasar(() => recargar({ reemplazar: true }), 300));
form.addEventListener("submit", (evento) => { evento.preventDefault(); recargar(); });
cargar();
