// The agents' cases: urgent list, every case with filters, inline state and urgency changes.
import { api, consulta, turnos } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, dia, h, mensajeError, mostrarError, opciones, paginacion, vaciar } from "/static/core/dom.js";
import { autocompletar, chips } from "/static/core/etiquetas.js";
import { montarBuscador } from "./buscar-usuario.js";
import { ESTADOS, IMPACTOS, TIPOS, URGENCIAS, crearCaso } from "./comun.js";
import { pintarUrgentes } from "./urgentes.js";
import { descargarCsv } from "/static/core/exportar.js";
import { enLaUrl } from "/static/core/estado-url.js";
import { t } from "/static/core/i18n.js";

await sesion;
const filtros = document.getElementById("filtros");
const tabla = document.getElementById("tabla-casos");
const paginas = document.getElementById("paginacion");
const urgentes = document.getElementById("casos-urgentes");
let pagina = 1;
const turno = turnos();
const url = enLaUrl(filtros, (n) => { pagina = n; cargar(); });
pagina = url.leer();

async function cambiar(caso, cambios) {
  try {
    await api(`/api/soporte/casos/${caso.id}/`, { method: "PATCH", body: cambios });
    avisar(t("Caso {numero} actualizado.", { numero: caso.numero }));
  } catch (error) {
    avisar(mensajeError(error), "error");
  }
  recargarTodo();
}

function fila(caso) {
  const selector = (pares, valor, campo, etiqueta) =>
    h("select", { "aria-label": `${etiqueta} de ${caso.numero}`, on: { change: (e) => cambiar(caso, { [campo]: e.target.value }) } }, opciones(Object.entries(pares), valor));
  return h(
    "tr",
    { dataset: { id: caso.id } },
    h("td", {}, h("a", { href: `/agente/casos/${caso.id}/`, text: caso.numero })),
    h("td", {}, h("a", { href: `/agente/casos/${caso.id}/` }, h("strong", { text: caso.titulo })), chips(caso.etiquetas), h("div", { class: "ayuda", text: caso.descripcion.slice(0, 160) })),
    h("td", { text: TIPOS[caso.tipo_caso] || caso.tipo_caso }),
    h("td", {}, selector(URGENCIAS, caso.urgencia, "urgencia", t("Urgencia"))),
    h("td", {}, selector(ESTADOS, caso.estado, "estado", t("Estado"))),
    h("td", { text: caso.cliente_afectado ? caso.cliente_afectado.nombre : "—" }),
    h("td", { text: IMPACTOS[caso.impacto_estimado] || caso.impacto_estimado }),
    h("td", { text: dia(caso.fecha_creacion) }),
  );
}

/** The list's filters as the API's query (the list and its CSV export share them). */
function filtrosDeLaLista() {
  return Object.fromEntries(new FormData(filtros));
}

async function cargar() {
  try {
    const vigente = turno();
    const datos = await api(`/api/soporte/casos/?${consulta({ page: pagina, size: 20, ...filtrosDeLaLista() })}`);
    if (!vigente()) return;
    vaciar(tabla);
    if (!datos.results.length) tabla.append(h("tr", {}, h("td", { colspan: 8, class: "vacio", text: t("No hay casos con estos filtros.") })));
    for (const caso of datos.results) tabla.append(fila(caso));
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; url.guardar(pagina); cargar(); }));
  } catch (error) {
    vaciar(tabla).append(h("tr", {}, h("td", { colspan: 8, class: "form-error", text: mensajeError(error) })));
  }
}

function recargarTodo() {
  pintarUrgentes(urgentes);
  cargar();
}

const form = document.getElementById("form-caso");
const buscador = montarBuscador(form.querySelector(".buscar-usuario"));
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
    form.reset();
    buscador.limpiar();
    // The new case's own page: where it is answered, assigned and moved along.
    location.assign(`/agente/casos/${caso.id}/`);
  } catch (error) {
    mostrarError(form, error);
  }
});
filtros.addEventListener("change", () => { pagina = 1; url.guardar(pagina); cargar(); });
if (filtros.elements.etiqueta) autocompletar(filtros.elements.etiqueta);
filtros.addEventListener("submit", (evento) => { evento.preventDefault(); pagina = 1; url.guardar(pagina); cargar(); });
const exportar = document.getElementById("exportar-csv");
exportar.addEventListener("click", () => descargarCsv("/api/soporte/casos/exportar/", filtrosDeLaLista(), exportar));
recargarTodo();
