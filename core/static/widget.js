// The floating help widget of the guide (section 6.2) on every portal page. Its options come
// from the enabled plugins' `_widget.html` fragments: buttons with data-vista (the view's name),
// data-modulo (an ES module exporting `montar(contenedor, {usuario, vista, volver})`, which may
// return a clean-up function), data-orden and, for views that need an account,
// data-sesion="true".
import { h, vaciar } from "./dom.js";
import { t } from "./i18n.js";

export function montarWidget({ usuario }) {
  const raiz = document.getElementById("widget-soporte");
  const toggle = document.getElementById("widget-toggle");
  const panel = document.getElementById("widget-panel");
  const menu = document.getElementById("widget-menu");
  const vista = document.getElementById("widget-vista");
  const volver = document.getElementById("widget-volver");
  let desmontar = null;

  // Plugins render their options in plugin order; the guide's order is by data-orden.
  const opciones = [...menu.querySelectorAll(".opcion-menu")];
  opciones.sort((a, b) => Number(a.dataset.orden || 100) - Number(b.dataset.orden || 100));
  menu.append(...opciones);

  function abrir(abierto) {
    panel.hidden = !abierto;
    raiz.classList.toggle("abierto", abierto);
    toggle.setAttribute("aria-expanded", String(abierto));
    toggle.setAttribute("aria-label", abierto ? t("Cerrar ayuda") : t("Abrir ayuda"));
    toggle.firstElementChild.textContent = abierto ? "✕" : "?";
    if (abierto) (menu.hidden ? vista : menu).querySelector("button, a, input, select, textarea")?.focus();
  }

  function mostrarMenu() {
    if (desmontar) desmontar();
    desmontar = null;
    vaciar(vista).hidden = true;
    menu.hidden = false;
    volver.hidden = true;
    raiz.dataset.vista = "menu";
    opciones[0]?.focus();
  }

  async function mostrarVista(opcion) {
    menu.hidden = true;
    volver.hidden = false;
    vaciar(vista).hidden = false;
    raiz.dataset.vista = opcion.dataset.vista;
    vista.append(h("h3", { class: "widget-vista-titulo", text: opcion.querySelector(".label").textContent }));
    const contenedor = h("div", { class: "widget-vista-cuerpo" });
    vista.append(contenedor);
    volver.focus();
    if (opcion.dataset.sesion === "true" && !usuario) {
      const aqui = encodeURIComponent(location.pathname + location.search);
      contenedor.append(
        h("p", { text: t("Inicia sesión para usar esta opción.") }),
        h("a", { class: "boton", href: `/entrar/?siguiente=${aqui}` }, t("Iniciar sesión")),
      );
      return;
    }
    try {
      const modulo = await import(opcion.dataset.modulo);
      const resultado = await modulo.montar(contenedor, { usuario, vista: opcion.dataset.vista, volver: mostrarMenu });
      desmontar = typeof resultado === "function" ? resultado : null;
    } catch (error) {
      console.error(error);
      contenedor.append(h("p", { class: "form-error", text: t("No se pudo cargar esta opción.") }));
    }
  }

  toggle.addEventListener("click", () => abrir(panel.hidden));
  volver.addEventListener("click", mostrarMenu);
  for (const opcion of opciones) opcion.addEventListener("click", () => mostrarVista(opcion));
  // On the document: the focused element may have left the widget (a view replaced it).
  document.addEventListener("keydown", (evento) => {
    if (evento.key === "Escape" && !panel.hidden) {
      abrir(false);
      toggle.focus();
    }
  });
  raiz.dataset.vista = "menu";
  raiz.classList.add("montado");
}
