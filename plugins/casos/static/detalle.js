// Case page, for the customer (/casos/{id}/) and for agents (/agente/casos/{id}/):
// GET /api/soporte/casos/{id}/ (conversation — notes only for staff —, links, the states it
// may move to), replies with files through /responder/ ("Nota interna" for agents), and for
// agents the state buttons (legal moves only), urgency, assignment and links through PATCH.
// The history timeline comes from /api/soporte/casos/{id}/historial/ (the history plugin's).
import { adjuntos } from "/static/core/adjuntos.js";
import { api, tieneRol } from "/static/core/api.js";
import { sesion } from "/static/core/app.js";
import { avisar, fecha, h, insignia, mensajeError, mostrarError, vaciar } from "/static/core/dom.js";
import { editor as editorEtiquetas } from "/static/core/etiquetas.js";
import { montarBuscador } from "./buscar-usuario.js";
import { ESTADOS, IMPACTOS, TIPOS, URGENCIAS, estado, urgencia } from "./comun.js";
import { t } from "/static/core/i18n.js";

const { usuario } = await sesion;
const raiz = document.getElementById("caso");
const id = Number(raiz.dataset.casoId);
const agente = document.body.dataset.area === "agente";
const $ = (i) => document.getElementById(i);
const ruta = `/api/soporte/casos/${id}/`;
let caso = null;

const CAMPOS = {
  estado: t("Estado"),
  urgencia: t("Urgencia"),
  agente_asignado: t("Agente asignado"),
  equipo: t("Equipo"),
  tickets_relacionados: t("Tickets relacionados"),
  reservas_relacionadas: t("Reservas relacionadas"),
  etiquetas: t("Etiquetas"),
};
/** The label of a state-move button. */
const PASOS = { ABIERTO: t("Reabrir"), EN_INVESTIGACION: t("Investigar"), RESUELTO: t("Marcar resuelto"), CERRADO: t("Cerrar caso") };

function burbuja(r) {
  const clases = ["respuesta", usuario && r.autor.id === usuario.id ? "propia" : "", r.autor.rol !== "CLIENTE" ? "agente" : "", r.interna ? "interna" : ""];
  return h(
    "article",
    { class: clases.join(" ").replace(/\s+/g, " ").trim(), dataset: { id: r.id } },
    h(
      "div",
      { class: "respuesta-header" },
      h("strong", {}, r.autor.nombre, r.interna ? h("span", { class: "insignia nota", text: t("Nota interna") }) : null),
      h("span", { class: "fecha", text: fecha(r.fecha_creacion) }),
    ),
    h("p", { class: "texto-largo", text: r.mensaje }),
    adjuntos(r.archivos_adjuntos),
  );
}

function dato(etiqueta, valor) {
  return [h("dt", { text: etiqueta }), h("dd", {}, valor)];
}

function pintar(c) {
  $("caso-titulo").textContent = `#${c.numero} - ${c.titulo}`;
  document.title = `${c.numero} · ${document.title.split(" · ").pop()}`;
  vaciar($("caso-insignias")).append(estado(c.estado), urgencia(c.urgencia));
  $("caso-descripcion").textContent = c.descripcion;
  vaciar($("caso-datos")).append(
    ...dato(t("Tipo"), TIPOS[c.tipo_caso] || c.tipo_caso),
    ...dato(t("Impacto"), IMPACTOS[c.impacto_estimado] || c.impacto_estimado),
    ...dato(t("Cliente afectado"), c.cliente_afectado ? c.cliente_afectado.nombre : "—"),
    ...dato(t("Creado por"), c.creado_por.nombre),
    ...dato(t("Agente asignado"), c.agente_asignado ? c.agente_asignado.nombre : t("Sin asignar")),
    ...dato(t("Equipo"), c.equipo ? c.equipo.nombre : t("Sin equipo")),
    ...dato(t("Fecha de creación"), fecha(c.fecha_creacion)),
    ...dato(t("Última actualización"), fecha(c.fecha_actualizacion)),
  );
  const conversacion = vaciar($("caso-conversacion"));
  conversacion.append(...c.respuestas.map(burbuja));
  $("caso-conversacion-vacia").hidden = c.respuestas.length > 0;
  conversacion.scrollTop = conversacion.scrollHeight;

  const base = agente ? "/agente/tickets/" : "/tickets/";
  vaciar($("caso-tickets")).append(
    ...(c.tickets_relacionados.length
      ? c.tickets_relacionados.map((tk) =>
          h("li", {}, tk.numero ? h("a", { href: `${base}${tk.id}/`, text: `${tk.numero} - ${tk.asunto}` }) : t("Ticket {id}", { id: tk.id }), tk.estado ? " " : null, tk.estado ? insignia("estado", tk.estado, tk.estado) : null),
        )
      : [h("li", { class: "vacio", text: t("Ninguno") })]),
  );
  vaciar($("caso-reservas")).append(
    ...(c.reservas_relacionadas.length ? c.reservas_relacionadas.map((r) => h("li", { text: `#${r}` })) : [h("li", { class: "vacio", text: t("Ninguna") })]),
  );
  $("caso-bloque-responder").hidden = c.estado === "CERRADO";
  if (agente) pintarGestion(c);
  raiz.dataset.estado = c.estado;
  $("caso-cuerpo").hidden = false;
}

function pintarGestion(c) {
  const pasos = vaciar($("caso-transiciones"));
  for (const destino of c.transiciones) {
    pasos.append(
      h("button", { type: "button", class: "boton boton-secundario boton-pequeno", dataset: { estado: destino }, on: { click: () => cambiar({ estado: destino }) } }, PASOS[destino] || ESTADOS[destino]),
    );
  }
  if (!c.transiciones.length) pasos.append(h("p", { class: "ayuda", text: t("El caso está cerrado: no admite más cambios.") }));
  $("caso-urgencia-sel").value = c.urgencia;
  $("caso-urgencia-sel").disabled = c.estado === "CERRADO";
  $("caso-asignado").textContent = c.agente_asignado ? t("Asignado a {nombre}", { nombre: c.agente_asignado.nombre }) : t("Sin asignar");
  $("caso-asignarme").hidden = Boolean(c.agente_asignado && c.agente_asignado.id === usuario.id);
  $("caso-desasignar").hidden = !c.agente_asignado;
  const equipos = $("caso-equipo");
  if (c.equipo && ![...equipos.options].some((o) => o.value === String(c.equipo.id))) {
    equipos.append(h("option", { value: String(c.equipo.id) }, c.equipo.nombre));
  }
  equipos.value = c.equipo ? String(c.equipo.id) : "";
  const enlaces = $("caso-form-enlaces");
  enlaces.elements.tickets_relacionados.value = c.tickets_relacionados.map((tk) => tk.numero || tk.id).join(", ");
  enlaces.elements.reservas_relacionadas.value = c.reservas_relacionadas.join(", ");
  if (pintarEtiquetas) pintarEtiquetas(c.etiquetas || []);
}

async function cargarHistorial() {
  const lista = vaciar($("caso-historial"));
  let cambios = [];
  try {
    const datos = await api(`${ruta}historial/`);
    cambios = Array.isArray(datos) ? datos : datos.results || [];
  } catch {
    cambios = [];
  }
  const valor = (v, nombre) => nombre || (v === null || v === undefined || (Array.isArray(v) && !v.length) ? "—" : Array.isArray(v) ? v.join(", ") : ESTADOS[v] || URGENCIAS[v] || String(v));
  for (const c of cambios) {
    const autor = c.autor ? c.autor.nombre : t("Sistema");
    const texto = c.campo === "creado" ? ": abrió el caso" : `: ${CAMPOS[c.campo] || c.campo} ${valor(c.anterior, c.anterior_nombre)} → ${valor(c.nuevo, c.nuevo_nombre)}`;
    lista.append(h("li", {}, h("span", { class: "fecha", text: fecha(c.fecha) }), " ", h("strong", { text: autor }), texto));
  }
  $("caso-historial-vacio").hidden = cambios.length > 0;
}

async function cargar() {
  try {
    caso = await api(ruta);
  } catch (error) {
    const caja = $("caso-error");
    caja.textContent = error.status === 404 ? t("Este caso no existe o no tienes acceso a él.") : mensajeError(error);
    caja.hidden = false;
    $("caso-titulo").textContent = t("Caso no disponible");
    return;
  }
  pintar(caso);
  cargarHistorial();
}

async function cambiar(cambios, form = null) {
  try {
    await api(ruta, { method: "PATCH", body: cambios });
    avisar(t("Caso actualizado."));
    await cargar();
    return true;
  } catch (error) {
    if (form) mostrarError(form, error);
    else avisar(mensajeError(error), "error");
    return false;
  }
}

// --- reply (multipart: mensaje, interna, files) ---------------------------------------------
const responder = $("caso-form-responder");
responder.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  mostrarError(responder, null);
  const mensaje = responder.elements.mensaje.value.trim();
  if (!mensaje) {
    mostrarError(responder, t("Escribe un mensaje."));
    return;
  }
  const boton = responder.querySelector("button[type=submit]");
  boton.disabled = true;
  try {
    const form = new FormData();
    form.append("mensaje", mensaje);
    if (responder.elements.interna && responder.elements.interna.checked) form.append("interna", "true");
    [...responder.elements.archivos.files].forEach((f, i) => form.append(`archivo_${i}`, f));
    const nueva = await api(`${ruta}responder/`, { method: "POST", form });
    avisar(nueva.interna ? t("Nota interna guardada.") : t("Mensaje enviado."));
    responder.reset();
    await cargar();
  } catch (error) {
    mostrarError(responder, error);
  } finally {
    boton.disabled = false;
  }
});

// --- agents: urgency, assignment, links, tags ------------------------------------------------
// The tags editor: each change is a PATCH of the whole set (a CERRADO case refuses it: 409).
const pintarEtiquetas = agente && $("caso-etiquetas")
  ? editorEtiquetas($("caso-etiquetas"), async (nombres) => {
      if (!(await cambiar({ etiquetas: nombres })) && caso) pintarEtiquetas(caso.etiquetas || []);
    })
  : null;
if (agente) {
  $("caso-urgencia-sel").addEventListener("change", (e) => cambiar({ urgencia: e.target.value }));
  $("caso-asignarme").addEventListener("click", () => cambiar({ agente_asignado: usuario.id }));
  $("caso-desasignar").addEventListener("click", () => cambiar({ agente_asignado: null }));
  const asignar = $("caso-form-asignar");
  const buscador = montarBuscador(asignar.querySelector(".buscar-usuario"));
  asignar.addEventListener("submit", async (evento) => {
    evento.preventDefault();
    mostrarError(asignar, null);
    const cambios = {};
    const elegido = asignar.elements.agente_asignado.value;
    if (elegido) cambios.agente_asignado = Number(elegido);
    const equipo = asignar.elements.equipo.value;
    const actual = caso && caso.equipo ? String(caso.equipo.id) : "";
    if (equipo !== actual) cambios.equipo = equipo ? Number(equipo) : null;
    if (!Object.keys(cambios).length) {
      mostrarError(asignar, t("Elige un agente o un equipo."));
      return;
    }
    if (await cambiar(cambios, asignar)) buscador.limpiar();
  });
  const enlaces = $("caso-form-enlaces");
  enlaces.addEventListener("submit", (evento) => {
    evento.preventDefault();
    mostrarError(enlaces, null);
    const numeros = (texto) =>
      String(texto || "")
        .split(/[\s,;]+/)
        .filter(Boolean)
        .map((p) => Number(p.replace(/^TK-0*/i, "")));
    const tickets = numeros(enlaces.elements.tickets_relacionados.value);
    const reservas = numeros(enlaces.elements.reservas_relacionadas.value);
    if ([...tickets, ...reservas].some((n) => !Number.isInteger(n) || n < 1)) {
      mostrarError(enlaces, t("Escribe números separados por comas."));
      return;
    }
    cambiar({ tickets_relacionados: tickets, reservas_relacionadas: reservas }, enlaces);
  });
  // Teams are listed to admins (the teams API is theirs); an agent sees the current one.
  if (tieneRol(usuario, "ADMIN")) {
    api("/api/soporte/equipos/?size=100")
      .then((datos) => {
        const select = $("caso-equipo");
        for (const e of Array.isArray(datos) ? datos : datos.results || []) {
          if (![...select.options].some((o) => o.value === String(e.id))) select.append(h("option", { value: String(e.id) }, e.nombre));
        }
        if (caso) select.value = caso.equipo ? String(caso.equipo.id) : "";
      })
      .catch(() => {});
  }
}

cargar();
