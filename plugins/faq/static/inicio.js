// The portal home's FAQ search: the first answers as the visitor types (anonymous or not);
// Enter opens the FAQ page with the query (the form's own GET /faq/?q=…).
import { sesion } from "/static/core/app.js";
import { retrasar } from "/static/core/dom.js";
import { resultadosEnVivo } from "./comun.js";

const { usuario } = await sesion;
const campo = document.getElementById("inicio-faq-q");
const lista = document.getElementById("inicio-faq-resultados");
const cargar = resultadosEnVivo(campo, lista, { usuario, prefijo: "inicio-faq" });
campo.addEventListener(
  "input",
  retrasar(() => {
    lista.hidden = !campo.value.trim();
    if (!lista.hidden) cargar();
  }, 250),
);
