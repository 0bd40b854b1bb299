// Users (ADMIN): search, create, edit role, name, e-mail and teams, (de)activate.
import { api, consulta, turnos, usuarioActual } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { accionYRecargar, avisar, h, insignia, mensajeError, mostrarError, paginacion, retrasar, vaciar } from "/static/core/dom.js";
import { equipos, seleccionados } from "/static/core/personal.js";
import { etiquetas, t } from "./i18n.js";

await sesion;
const yo = await usuarioActual();
const tabla = document.getElementById("usuarios-tabla");
const paginas = document.getElementById("paginacion");
const filtros = document.getElementById("usuarios-filtros");
const editor = document.getElementById("usuario-editor");
const form = document.getElementById("form-usuario");
const selector = form.elements.equipos;
const ROLES = etiquetas("rol");
let pagina = 1;
let nombresEquipo = new Map();
const turno = turnos();

async function cargarEquipos() {
  const lista = await equipos();
  nombresEquipo = new Map(lista.map((e) => [e.id, e.nombre]));
  vaciar(selector);
  for (const e of lista) selector.append(h("option", { value: e.id, text: e.activo ? e.nombre : `${e.nombre} (inactivo)` }));
}

function abrirEditor(usuario = null) {
  form.reset();
  mostrarError(form, null);
  form.elements.id.value = usuario ? usuario.id : "";
  for (const campo of form.querySelectorAll(".solo-nuevo")) campo.hidden = Boolean(usuario);
  if (usuario) {
    form.elements.nombre.value = usuario.nombre;
    form.elements.email.value = usuario.email;
    form.elements.rol.value = usuario.rol;
  }
  const suyos = new Set(usuario ? usuario.equipos : []);
  for (const opcion of selector.options) opcion.selected = suyos.has(Number(opcion.value));
  document.getElementById("usuario-editor-titulo").textContent = usuario ? t("Editar {username}", { username: usuario.username }) : t("Nuevo usuario");
  editor.hidden = false;
  (usuario ? form.elements.nombre : form.elements.username).focus();
}

/** A row action: its request, a notice, then the list again. */
const accion = (promesa, texto) => accionYRecargar(promesa, texto, cargar);

function fila(usuario) {
  const propio = yo && yo.id === usuario.id;
  const suyos = usuario.equipos.map((id) => nombresEquipo.get(id) || `#${id}`).join(", ");
  return h(
    "tr",
    { dataset: { id: usuario.id } },
    h("td", { text: usuario.username }),
    h("td", { text: usuario.nombre }),
    h("td", { text: usuario.email }),
    h("td", { text: ROLES[usuario.rol] || usuario.rol }),
    h("td", { text: suyos || "—" }),
    h("td", {}, insignia("estado", usuario.activo ? "resuelto" : "cerrado", usuario.activo ? t("Activo") : t("Inactivo"))),
    h(
      "td",
      {},
      h(
        "div",
        { class: "acciones" },
        h("button", { type: "button", class: "boton boton-secundario boton-pequeno", on: { click: () => abrirEditor(usuario) } }, t("Editar")),
        // Nobody deactivates themself: the API refuses it (409) so that an admin always remains.
        propio
          ? null
          : h("button", {
              type: "button",
              class: usuario.activo ? "boton boton-peligro boton-pequeno" : "boton boton-secundario boton-pequeno",
              on: {
                click: () => {
                  if (!usuario.activo || window.confirm(t("¿Desactivar a {username}? Se cerrarán todas sus sesiones.", { username: usuario.username }))) {
                    accion(
                      api(`/api/soporte/usuarios/${usuario.id}/`, { method: "PATCH", body: { activo: !usuario.activo } }),
                      usuario.activo ? t("Usuario desactivado.") : t("Usuario activado."),
                    );
                  }
                },
              },
            }, usuario.activo ? t("Desactivar") : t("Activar")),
      ),
    ),
  );
}

async function cargar() {
  try {
    const vigente = turno();
    const parametros = {
      q: filtros.elements.q.value.trim(),
      rol: filtros.elements.rol.value,
      activo: filtros.elements.activo.value,
      page: pagina,
      size: 20,
    };
    const datos = await api(`/api/soporte/usuarios/?${consulta(parametros)}`);
    if (!vigente()) return;
    vaciar(tabla);
    if (!datos.results.length) tabla.append(h("tr", {}, h("td", { colspan: 7, class: "vacio", text: t("No hay usuarios.") })));
    for (const usuario of datos.results) tabla.append(fila(usuario));
    vaciar(paginas).append(paginacion(datos, pagina, (n) => { pagina = n; cargar(); }));
  } catch (error) {
    vaciar(tabla).append(h("tr", {}, h("td", { colspan: 7, class: "form-error", text: mensajeError(error) })));
  }
}

form.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  mostrarError(form, null);
  const id = form.elements.id.value;
  const cuerpo = {
    nombre: form.elements.nombre.value.trim(),
    email: form.elements.email.value.trim(),
    rol: form.elements.rol.value,
    equipos: form.elements.rol.value === "CLIENTE" ? [] : seleccionados(selector),
  };
  if (!id) {
    cuerpo.username = form.elements.username.value.trim();
    if (form.elements.password.value) cuerpo.password = form.elements.password.value;
  }
  try {
    await api(id ? `/api/soporte/usuarios/${id}/` : "/api/soporte/usuarios/", { method: id ? "PATCH" : "POST", body: cuerpo });
    avisar(id ? t("Usuario actualizado.") : t("Usuario creado."));
    editor.hidden = true;
    cargar();
  } catch (error) {
    mostrarError(form, error);
  }
});
document.getElementById("usuario-nuevo").addEventListener("click", () => abrirEditor());
document.getElementById("usuario-cancelar").addEventListener("click", () => { editor.hidden = true; });
filtros.addEventListener("input", retrasar(() => { pagina = 1; cargar(); }, 250));
filtros.addEventListener("submit", (evento) => { evento.preventDefault(); pagina = 1; cargar(); });
try {
  await cargarEquipos();
} catch (error) {
  avisar(mensajeError(error), "error");
}
cargar();
