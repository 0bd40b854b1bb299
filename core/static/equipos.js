// Teams (ADMIN): list, create, edit members and categories, (de)activate, delete.
import { api, consulta, turnos } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { accionYRecargar, avisar, h, insignia, mensajeError, mostrarError, paginacion, vaciar } from "/static/core/dom.js";
import { personal, seleccionados } from "/static/core/personal.js";
import { t } from "./i18n.js";

await sesion;
const tabla = document.getElementById("equipos-tabla");
const paginas = document.getElementById("paginacion");
const editor = document.getElementById("equipo-editor");
const form = document.getElementById("form-equipo");
const selector = form.elements.miembros;
let pagina = 1;
let nombres = new Map();
const turno = turnos();

async function cargarPersonal() {
  const gente = await personal();
  nombres = new Map(gente.map((u) => [u.id, u.nombre || u.username]));
  vaciar(selector);
  for (const u of gente) selector.append(h("option", { value: u.id, text: `${u.nombre || u.username} (${u.username}, ${u.rol})` }));
}

function abrirEditor(equipo = null) {
  form.reset();
  mostrarError(form, null);
  form.elements.id.value = equipo ? equipo.id : "";
  if (equipo) {
    form.elements.nombre.value = equipo.nombre;
    form.elements.descripcion.value = equipo.descripcion;
    form.elements.categorias.value = equipo.categorias.join(", ");
    form.elements.activo.checked = equipo.activo;
  }
  const miembros = new Set(equipo ? equipo.miembros : []);
  for (const opcion of selector.options) opcion.selected = miembros.has(Number(opcion.value));
  document.getElementById("equipo-editor-titulo").textContent = equipo ? t("Editar equipo") : t("Nuevo equipo");
  editor.hidden = false;
  form.elements.nombre.focus();
}

/** A row action: its request, a notice, then the list again. */
const accion = (promesa, texto) => accionYRecargar(promesa, texto, cargar);

function fila(equipo) {
  const miembros = equipo.miembros.map((id) => nombres.get(id) || `#${id}`).join(", ");
  return h(
    "tr",
    { dataset: { id: equipo.id } },
    h("td", { text: equipo.nombre }),
    h("td", { text: equipo.categorias.join(", ") || "—" }),
    h("td", { text: miembros || "—" }),
    h("td", {}, insignia("estado", equipo.activo ? "resuelto" : "cerrado", equipo.activo ? t("Activo") : t("Inactivo"))),
    h(
      "td",
      {},
      h(
        "div",
        { class: "acciones" },
        h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => abrirEditor(equipo) } }, t("Editar")),
        h("button", {
          type: "button",
          class: "boton boton-secundario boton-pequeno",
          on: { click: () => accion(api(`/api/soporte/equipos/${equipo.id}/`, { method: "PATCH", body: { activo: !equipo.activo } }), t("Equipo actualizado.")) },
        }, equipo.activo ? t("Desactivar") : t("Activar")),
        h("button", {
          type: "button",
          class: "boton boton-peligro boton-pequeno",
          on: {
            click: () => {
              if (window.confirm(t("¿Eliminar el equipo «{nombre}»? Sus tickets quedarán sin equipo.", { nombre: equipo.nombre }))) {
                accion(api(`/api/soporte/equipos/${equipo.id}/`, { method: "DELETE" }), t("Equipo eliminado."));
              }
            },
          },
        }, t("Eliminar")),
      ),
    ),
  );
}

async function cargar() {
  try {
    const vigente = turno();
    const datos = await api(`/api/soporte/equipos/?${consulta({ page: pagina, size: 20 })}`);
    if (!vigente()) return;
    vaciar(tabla);
    if (!datos.results.length) tabla.append(h("tr", {}, h("td", { colspan: 5, class: "vacio", text: t("No hay equipos.") })));
    for (const equipo of datos.results) tabla.append(fila(equipo));
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; cargar(); }));
  } catch (error) {
    vaciar(tabla).append(h("tr", {}, h("td", { colspan: 5, class: "form-error", text: mensajeError(error) })));
  }
}

form.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  mostrarError(form, null);
  const id = form.elements.id.value;
  const cuerpo = {
    nombre: form.elements.nombre.value.trim(),
    descripcion: form.elements.descripcion.value.trim(),
    categorias: form.elements.categorias.value.split(",").map((c) => c.trim()).filter(Boolean),
    miembros: seleccionados(selector),
    activo: form.elements.activo.checked,
  };
  try {
    await api(id ? `/api/soporte/equipos/${id}/` : "/api/soporte/equipos/", { method: id ? "PATCH" : "POST", body: cuerpo });
    avisar(id ? t("Equipo actualizado.") : t("Equipo creado."));
    editor.hidden = true;
    cargar();
  } catch (error) {
    mostrarError(form, error);
  }
});
document.getElementById("equipo-nuevo").addEventListener("click", () => abrirEditor());
document.getElementById("equipo-cancelar").addEventListener("click", () => { editor.hidden = true; });
try {
  await cargarPersonal();
} catch (error) {
  avisar(mensajeError(error), "error");
}
cargar();
