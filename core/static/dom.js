import { etiqueta as etiquetaDe, localeFechas, t } from "./i18n.js";

// Small DOM helpers. Every piece of data reaches the page through textContent or attributes set
// one by one, never parsed as HTML, so text from users can never become markup.

/**
 * Create an element. `attrs`: `class`, `text`, `dataset` (object), `on` ({evento: handler}),
 * booleans (true sets the attribute, false omits it), anything else via setAttribute.
 * Children: nodes, strings (as text), arrays, or null/undefined/false (skipped).
 */
export function h(tag, attrs = {}, ...hijos) {
  const el = document.createElement(tag);
  for (const [clave, valor] of Object.entries(attrs || {})) {
    if (valor === undefined || valor === null || valor === false) continue;
    if (clave === "class") el.className = valor;
    else if (clave === "text") el.textContent = String(valor);
    else if (clave === "dataset") Object.assign(el.dataset, valor);
    else if (clave === "on") {
      for (const [evento, manejador] of Object.entries(valor)) el.addEventListener(evento, manejador);
    } else if (clave === "value") el.value = valor;
    else if (valor === true) el.setAttribute(clave, "");
    else el.setAttribute(clave, String(valor));
  }
  agregar(el, hijos);
  return el;
}

function agregar(el, hijos) {
  for (const hijo of hijos) {
    if (hijo === undefined || hijo === null || hijo === false) continue;
    if (Array.isArray(hijo)) agregar(el, hijo);
    else if (hijo instanceof Node) el.append(hijo);
    else el.append(document.createTextNode(String(hijo)));
  }
}

export function vaciar(el) {
  el.replaceChildren();
  return el;
}

export function $(selector, raiz = document) {
  return raiz.querySelector(selector);
}

export function fecha(iso) {
  return iso ? new Date(iso).toLocaleString(localeFechas) : "";
}

export function dia(iso) {
  return iso ? new Date(iso).toLocaleDateString(localeFechas) : "";
}

export function hora(iso) {
  return iso ? new Date(iso).toLocaleTimeString(localeFechas) : "";
}

/**
 * A sentence for an API error in the page's language: the detail plus the field errors. The
 * server writes them in the request's language, each naming its field by its label, so the
 * field's JSON name is not repeated.
 */
export function mensajeError(error) {
  if (!error || !error.status) return t("No se pudo conectar con el servidor.");
  const partes = [];
  if (error.status === 429) partes.push(t("Demasiadas solicitudes: espera un momento y vuelve a intentarlo."));
  else if (error.status === 413) partes.push(t("El archivo es demasiado grande."));
  else if (error.problem && error.problem.detail) partes.push(error.problem.detail);
  else partes.push(t("Error {status}.", { status: error.status }));
  for (const mensajes of Object.values(error.errores || {})) {
    partes.push([].concat(mensajes).join(" "));
  }
  return partes.join(" ");
}

/** Show an error inside a form: in its .form-error element, and on the fields it names. */
export function mostrarError(form, error) {
  for (const campo of form.querySelectorAll("[aria-invalid]")) campo.removeAttribute("aria-invalid");
  const caja = form.querySelector(".form-error");
  if (error === null) {
    if (caja) {
      caja.hidden = true;
      caja.textContent = "";
    }
    return;
  }
  for (const campo of Object.keys(error.errores || {})) {
    const input = form.elements.namedItem(campo);
    if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
  }
  const texto = typeof error === "string" ? error : mensajeError(error);
  if (caja) {
    caja.textContent = texto;
    caja.hidden = false;
  } else {
    avisar(texto, "error");
  }
}

/** A short notice in the page's live region (#avisos). */
export function avisar(texto, tipo = "ok") {
  const zona = document.getElementById("avisos");
  if (!zona) return;
  const aviso = h("p", { class: `aviso aviso-${tipo}`, text: texto });
  zona.append(aviso);
  setTimeout(() => aviso.remove(), 5000);
}

/** <option>s for a select from [[valor, etiqueta], ...]. */
export function opciones(pares, seleccionado = "") {
  return pares.map(([valor, etiqueta]) =>
    h("option", { value: valor, selected: valor === seleccionado }, etiqueta),
  );
}

/** Debounce: run `fn` once `ms` after the last call. */
export function retrasar(fn, ms) {
  let temporizador = null;
  return (...args) => {
    clearTimeout(temporizador);
    temporizador = setTimeout(() => fn(...args), ms);
  };
}

/**
 * A badge like the guide's `<span className="estado abierto">ABIERTO</span>`, showing the
 * value's label (the enum of kind `clase`: estado, prioridad, urgencia…) rather than the value.
 */
export function insignia(clase, valor, etiqueta) {
  return h("span", { class: `insignia ${clase} ${String(valor).toLowerCase()}`, text: etiqueta || etiquetaDe(clase, valor) });
}

/** How a page's count reads: "1.234", or "más de 1.000" when the search capped it
 * (`count_exacto: false`: there are more matches than it counted). */
export function cuenta(datos) {
  const total = datos.count || 0;
  if (datos.count_exacto !== false) return String(total);
  // Grouped as the page's language writes it ("1.000", "1,000"); "always": Spanish
  // otherwise leaves 4-digit numbers ungrouped.
  return t("más de {total}", { total: new Intl.NumberFormat(localeFechas, { useGrouping: "always" }).format(total) });
}

/** Pagination controls for a DRF-style page {count, count_exacto?, next, previous}. */
export function paginacion(datos, pagina, ir) {
  const total = cuenta(datos);
  return h(
    "nav",
    { class: "paginacion", "aria-label": t("Paginación") },
    h("button", { type: "button", class: "boton boton-secundario", disabled: !datos.previous, on: { click: () => ir(pagina - 1) } }, t("← Anterior")),
    h("span", { text: t("Página {pagina} · {total} en total", { pagina, total }) }),
    h("button", { type: "button", class: "boton boton-secundario", disabled: !datos.next, on: { click: () => ir(pagina + 1) } }, t("Siguiente →")),
  );
}

/** An admin page's row action (activate, delete…): await its request, say how it went in a
 * notice, then reload the page's list with `recargar` — whatever the outcome, since the list
 * may no longer be what it showed. */
export async function accionYRecargar(promesa, texto, recargar) {
  try {
    await promesa;
    avisar(texto);
  } catch (error) {
    avisar(mensajeError(error), "error");
  }
  recargar();
}
