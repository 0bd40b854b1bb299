// A list page's filters, search and page number kept in the address bar, so that a reload, a
// shared link or the back button shows the same list:
//
//   const url = enLaUrl(form, (pagina) => { … show that page with the form's filters … });
//   let pagina = url.leer();               // the form filled from ?…, and the page asked for
//   url.guardar(pagina);                   // after a change: a new history entry
//   url.guardar(pagina, { reemplazar: true }); // while typing: the same entry, updated
//
// Only the fields of `form` that differ from their defaults and `page` (above 1) go into the
// query string (a field absent from it is back at its default); the back and forward buttons
// fill the form again and call `mostrar(pagina)`.
//
// `leer()` runs once the page is ready, which can be a while after the form is on screen (the
// page awaits the session first). A field the user has already changed by then keeps what they
// typed or chose, and the address is brought in line with it: the address is only the starting
// point, what the user did meanwhile wins.

/** Whether the user changed `campo` from what the page's HTML put in it. */
function cambiado(campo) {
  if (["hidden", "submit", "button", "reset"].includes(campo.type)) return false;
  if (campo.type === "checkbox" || campo.type === "radio") return campo.checked !== campo.defaultChecked;
  return campo.value !== inicial(campo);
}

/**
 * Fill `form` from the address bar; answers the page number it asks for (1 by default). With
 * `conservar`, fields the user already changed are left alone (see `leer`).
 */
function rellenar(form, qs, { conservar = false } = {}) {
  for (const campo of form.elements) {
    if (!campo.name || campo.type === "submit" || campo.type === "button") continue;
    if (conservar && cambiado(campo)) continue;
    if (campo.type === "checkbox" || campo.type === "radio") {
      campo.checked = qs.getAll(campo.name).includes(campo.value);
    } else if (campo.tagName === "SELECT") {
      const valor = qs.get(campo.name) ?? "";
      // A value no option has (a stale link) falls back to the select's own default.
      const opciones = [...campo.options];
      const elegida = opciones.find((o) => o.value === valor) || opciones.find((o) => o.defaultSelected) || opciones[0];
      campo.value = elegida ? elegida.value : "";
    } else {
      campo.value = qs.get(campo.name) ?? campo.defaultValue;
    }
  }
  const pagina = Number.parseInt(qs.get("page") || "1", 10);
  return Number.isInteger(pagina) && pagina > 0 ? pagina : 1;
}

/** What a field holds before anyone touches it (a select's preselected option, or its first). */
function inicial(campo) {
  if (campo.tagName !== "SELECT") return campo.defaultValue ?? "";
  const opciones = [...campo.options];
  const elegida = opciones.find((o) => o.defaultSelected) || opciones[0];
  return elegida ? elegida.value : "";
}

/** The address of `form`'s current filters at `pagina`: only what differs from the defaults. */
function direccion(form, pagina) {
  const qs = new URLSearchParams();
  for (const campo of form.elements) {
    if (!campo.name || campo.disabled || campo.type === "submit" || campo.type === "button") continue;
    if (campo.type === "checkbox" || campo.type === "radio") {
      if (campo.checked) qs.append(campo.name, campo.value);
      continue;
    }
    const texto = String(campo.value).trim();
    if (texto && texto !== inicial(campo)) qs.append(campo.name, texto);
  }
  if (pagina > 1) qs.set("page", String(pagina));
  const query = qs.toString();
  return `${location.pathname}${query ? `?${query}` : ""}`;
}

/**
 * Keep `form`'s filters and the page number in the address bar. `mostrar(pagina)` is called
 * when the back or forward button brings another address (the form already filled from it).
 */
export function enLaUrl(form, mostrar) {
  window.addEventListener("popstate", () => mostrar(rellenar(form, new URLSearchParams(location.search))));
  return {
    /** The form filled from the address (keeping what the user changed); the page to show. */
    leer() {
      const tocado = [...form.elements].some((campo) => campo.name && cambiado(campo));
      const pagina = rellenar(form, new URLSearchParams(location.search), { conservar: true });
      if (!tocado) return pagina;
      // New filters start at their first page, and the address says what the list shows.
      this.guardar(1, { reemplazar: true });
      return 1;
    },
    guardar(pagina, { reemplazar = false } = {}) {
      const nueva = direccion(form, pagina);
      if (nueva === location.pathname + location.search) return;
      if (reemplazar) history.replaceState(history.state, "", nueva);
      else history.pushState(null, "", nueva);
    },
  };
}
