// A user picker: an accessible combobox (WAI-ARIA 1.2 "combobox with listbox popup") over
// GET /api/soporte/usuarios/?q=&rol= (agents only), so nobody types a numeric user id.
//
// Markup it expects (see templates/casos/parciales/buscar_usuario.html):
//   <div class="buscar-usuario" data-rol="CLIENTE|AGENTE|">
//     <label for="X">…</label>
//     <input id="X" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="X-lista">
//     <ul id="X-lista" role="listbox" hidden></ul>
//     <input type="hidden" name="…">            ← the chosen user's id ("" = nobody)
//   </div>
// Arrow keys move through the options, Enter chooses, Escape closes; typing again clears the
// choice. The element fires "soporte:usuario" ({detail: usuario | null}) when the choice changes.
import { api, consulta, turnos } from "/static/core/api.js";
import { h, retrasar, vaciar } from "/static/core/dom.js";
import { t } from "/static/core/i18n.js";

/** What an option says: name, then username and e-mail to tell namesakes apart. */
function etiqueta(u) {
  const extra = [u.username, u.email].filter(Boolean).join(" · ");
  return extra ? `${u.nombre || u.username} (${extra})` : u.nombre || u.username;
}

/** Wire the picker inside `caja`; answers {limpiar()} to reset it from outside. */
export function montarBuscador(caja) {
  const entrada = caja.querySelector("[role=combobox]");
  const lista = caja.querySelector("[role=listbox]");
  const oculto = caja.querySelector("input[type=hidden]");
  const rol = caja.dataset.rol || "";
  const turno = turnos();
  let resultados = [];
  let activo = -1;

  function abrir(abierto) {
    lista.hidden = !abierto;
    entrada.setAttribute("aria-expanded", String(abierto));
    if (!abierto) {
      activo = -1;
      entrada.removeAttribute("aria-activedescendant");
    }
  }

  function marcar(indice) {
    activo = indice;
    [...lista.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === indice)));
    const li = lista.children[indice];
    if (li && li.id) {
      entrada.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    }
  }

  function elegir(usuario) {
    oculto.value = usuario ? String(usuario.id) : "";
    entrada.value = usuario ? usuario.nombre || usuario.username : "";
    abrir(false);
    caja.dispatchEvent(new CustomEvent("soporte:usuario", { detail: usuario }));
  }

  const buscar = retrasar(async () => {
    const q = entrada.value.trim();
    if (q.length < 2) {
      abrir(false);
      return;
    }
    const vigente = turno();
    let pagina;
    try {
      pagina = await api(`/api/soporte/usuarios/?${consulta({ q, rol, size: 10 })}`);
    } catch {
      pagina = { results: [] };
    }
    if (!vigente()) return;
    resultados = (pagina.results || []).filter((u) => u.activo !== false);
    vaciar(lista);
    if (!resultados.length) {
      lista.append(h("li", { class: "vacio", role: "option", "aria-disabled": "true", text: t("Sin resultados") }));
    }
    resultados.forEach((u, i) => {
      lista.append(
        h("li", {
          id: `${lista.id}-${u.id}`,
          role: "option",
          "aria-selected": "false",
          dataset: { id: u.id },
          text: etiqueta(u),
          // mousedown, not click: it runs before the input's blur closes the list.
          on: { mousedown: (e) => { e.preventDefault(); elegir(resultados[i]); } },
        }),
      );
    });
    abrir(true);
  }, 250);

  entrada.addEventListener("input", () => {
    if (oculto.value) {
      oculto.value = "";
      caja.dispatchEvent(new CustomEvent("soporte:usuario", { detail: null }));
    }
    buscar();
  });
  entrada.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && resultados.length) {
      e.preventDefault();
      if (lista.hidden) abrir(true);
      marcar(Math.min(activo + 1, resultados.length - 1));
    } else if (e.key === "ArrowUp" && resultados.length) {
      e.preventDefault();
      marcar(Math.max(activo - 1, 0));
    } else if (e.key === "Enter" && !lista.hidden && activo >= 0) {
      e.preventDefault();
      elegir(resultados[activo]);
    } else if (e.key === "Escape") {
      abrir(false);
    }
  });
  entrada.addEventListener("blur", () => abrir(false));

  return { limpiar: () => elegir(null), elegir };
}
