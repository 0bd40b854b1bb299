// The pages' texts in the page's language. The layout puts the translations of every text the
// scripts mark with t() (and every enum's labels) in <meta name="soporte-i18n" content="{…}">,
// built from the same gettext catalog as the templates (core/i18n.py).
// Spanish is the source: a Spanish text is its own key, so it needs no entry.

const datos = (() => {
  const nodo = typeof document !== "undefined" ? document.querySelector('meta[name="soporte-i18n"]') : null;
  try {
    return nodo ? JSON.parse(nodo.content) : {};
  } catch {
    return {};
  }
})();

/** The page's language: "es" or "en". */
export const idioma = datos.idioma || "es";

/** The BCP 47 tag dates and numbers are formatted with. */
export const localeFechas = idioma === "en" ? "en-GB" : "es";

/**
 * `texto` (Spanish) in the page's language, with `{nombre}` placeholders filled from `valores`:
 * t("Ticket #{numero}", { numero: 12 }).
 */
export function t(texto, valores) {
  const traducido = (datos.textos && datos.textos[texto]) || texto;
  if (!valores) return traducido;
  return traducido.replace(/\{(\w+)\}/g, (todo, nombre) =>
    Object.prototype.hasOwnProperty.call(valores, nombre) ? String(valores[nombre]) : todo,
  );
}

/** The label of an enum value ("estado", "CERRADO" → "Cerrado" / "Closed"), or the value. */
export function etiqueta(tipo, valor) {
  const tabla = datos.etiquetas && datos.etiquetas[tipo];
  if (tabla && tabla[valor] !== undefined) return tabla[valor];
  for (const otra of Object.values(datos.etiquetas || {})) {
    if (otra[valor] !== undefined) return otra[valor];
  }
  return valor;
}

/** Every value of an enum and its label, {valor: etiqueta}, in the server's order. */
export function etiquetas(tipo) {
  return { ...((datos.etiquetas && datos.etiquetas[tipo]) || {}) };
}
