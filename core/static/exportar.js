// CSV exports from the console (core/api/csv_export.py): a download cannot send the bearer
// token, and fetching the file into a Blob would hold a whole export in the page's memory, so
// the page asks for a short-lived signed link (POST …/exportar/enlace/ with the list's filters)
// and lets the browser download from it, streaming to disk.
import { api, consulta } from "/static/core/api.js";
import { avisar, mensajeError } from "/static/core/dom.js";
import { t } from "./i18n.js";

/**
 * Download the export at `ruta` (e.g. "/api/soporte/tickets/exportar/") with `parametros`
 * (the list's current filters; paging is left out); `boton` is disabled meanwhile.
 */
export async function descargarCsv(ruta, parametros, boton) {
  const { page, size, ...filtros } = parametros;
  boton.disabled = true;
  try {
    const { url } = await api(`${ruta}enlace/?${consulta(filtros)}`, { method: "POST" });
    const enlace = document.createElement("a");
    enlace.href = url;
    enlace.download = "";
    enlace.hidden = true;
    document.body.append(enlace);
    enlace.click();
    enlace.remove();
    avisar(t("Exportación iniciada: el archivo CSV se está descargando."));
  } catch (error) {
    avisar(mensajeError(error), "error");
  } finally {
    boton.disabled = false;
  }
}
