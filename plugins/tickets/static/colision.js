import { t } from "/static/core/i18n.js";
// Collision on the ticket detail page (issue 17): "Carla está viendo", "Carla está
// respondiendo…", typing frames while the user writes a reply, and the stale-reply 409 with its
// "Enviar de todos modos".
//
// It talks to the chat fragment by DOM events, so the page works without chat (then only the
// 409 part does anything):
//   "soporte:chat"   (chat → here)  detail = every socket frame (`viendo`, `typing`, `mensaje`)
//   "soporte:typing" (here → chat)  detail = {escribiendo, interna}, sent as a `typing` frame
// detalle.js calls `alResponder` while building a reply and `desactualizada` on its error.

//: Typing shown for this long after an author's last `typing` frame (a closed tab sends no
//: "stopped"); the server's docs/api.md says the same.
const ESCRIBIENDO_MS = 6000;
//: While the user keeps typing, "still typing" is re-sent at most this often (the server drops
//: typing past 30 per 10 s).
const REENVIO_MS = 3000;
//: "Stopped typing" after this long without a keystroke.
const PAUSA_MS = 2000;

let usuario = null;
let forzar = false;
const escribiendo = new Map(); // autor_id → {nombre, interna, reloj}
let viendo = [];

function nombres(lista) {
  if (lista.length <= 1) return lista.join("");
  return `${lista.slice(0, -1).join(", ")} y ${lista[lista.length - 1]}`;
}

function pintar() {
  const caja = document.getElementById("colision");
  if (!caja) return;
  const otros = viendo.filter((u) => !usuario || u.id !== usuario.id).map((u) => u.nombre);
  const textoViendo = document.getElementById("colision-viendo");
  textoViendo.textContent = otros.length ? `${nombres(otros)} ${otros.length > 1 ? "están" : "está"} viendo este ticket` : "";
  textoViendo.hidden = !otros.length;
  const respondiendo = [...escribiendo.values()].filter((e) => !e.interna).map((e) => e.nombre);
  const notas = [...escribiendo.values()].filter((e) => e.interna).map((e) => e.nombre);
  const partes = [];
  if (respondiendo.length) partes.push(`${nombres(respondiendo)} ${respondiendo.length > 1 ? "están" : "está"} respondiendo…`);
  if (notas.length) partes.push(`${nombres(notas)} ${notas.length > 1 ? "están" : "está"} escribiendo una nota interna…`);
  const textoEscribiendo = document.getElementById("colision-escribiendo");
  textoEscribiendo.textContent = partes.join(" ");
  textoEscribiendo.hidden = !partes.length;
}

function dejarDeEscribir(autorId) {
  const actual = escribiendo.get(autorId);
  if (actual) clearTimeout(actual.reloj);
  escribiendo.delete(autorId);
}

function alFrame(frame) {
  if (frame.tipo === "viendo") {
    viendo = frame.usuarios || [];
  } else if (frame.tipo === "typing") {
    if (usuario && frame.autor_id === usuario.id) return; // another tab of mine
    dejarDeEscribir(frame.autor_id);
    if (frame.escribiendo) {
      const reloj = setTimeout(() => { escribiendo.delete(frame.autor_id); pintar(); }, ESCRIBIENDO_MS);
      escribiendo.set(frame.autor_id, { nombre: frame.autor, interna: Boolean(frame.interna), reloj });
    }
  } else if (frame.tipo === "mensaje") {
    dejarDeEscribir(frame.autor_id); // sent: no longer writing
  } else {
    return;
  }
  pintar();
}

/** Send `typing` frames while `campo` is being written: at once, then at most every few
 * seconds, and "stopped" after a pause or when the form is sent. */
function vigilarEscritura(form, campo) {
  let ultimoEnvio = 0;
  let pausa = null;
  const interna = () => Boolean(form.elements.interna && form.elements.interna.checked);
  const avisar = (valor) => document.dispatchEvent(new CustomEvent("soporte:typing", { detail: { escribiendo: valor, interna: interna() } }));
  const parar = () => {
    clearTimeout(pausa);
    if (ultimoEnvio) avisar(false);
    ultimoEnvio = 0;
  };
  campo.addEventListener("input", () => {
    if (!campo.value.trim()) {
      parar();
      return;
    }
    if (Date.now() - ultimoEnvio > REENVIO_MS) {
      avisar(true);
      ultimoEnvio = Date.now();
    }
    clearTimeout(pausa);
    pausa = setTimeout(parar, PAUSA_MS);
  });
  form.addEventListener("submit", parar);
}

/** Start: `yo` is the signed-in user; the reply form is `#form-responder`. */
export function iniciar(yo) {
  usuario = yo;
  document.addEventListener("soporte:chat", (evento) => alFrame(evento.detail));
  const form = document.getElementById("form-responder");
  if (form) vigilarEscritura(form, form.elements.mensaje);
  const boton = document.getElementById("colision-forzar");
  if (boton) {
    boton.addEventListener("click", () => {
      forzar = true;
      document.getElementById("colision-confirmar").hidden = true;
      form.requestSubmit();
    });
  }
}

/** Add the stale-reply fields to a reply being sent: the newest reply the page shows, and
 * `forzar` once the user confirmed. */
export function alResponder(datos, ultimaRespuestaId) {
  datos.append("ultima_respuesta_id", String(ultimaRespuestaId));
  if (forzar) datos.append("forzar", "true");
  forzar = false;
  document.getElementById("colision-confirmar").hidden = true;
}

/** Whether `error` is the stale-reply 409. If so, once `recargar()` has shown the newer
 * replies, the newest is highlighted and quoted, and "Enviar de todos modos" offered. */
export async function desactualizada(error, recargar) {
  const id = error && error.status === 409 && error.problem && error.problem.ultima_respuesta_id;
  if (!id) return false;
  await recargar();
  const burbuja = document.querySelector(`#conversacion [data-id="${id}"]`);
  const confirmar = document.getElementById("colision-confirmar");
  const autor = burbuja ? burbuja.querySelector(".respuesta-header strong")?.firstChild?.textContent : "";
  const texto = burbuja ? burbuja.querySelector("p")?.textContent : "";
  confirmar.querySelector(".colision-detalle").textContent = burbuja
    ? t("Mientras escribías, {autor} respondió: «{texto}». Revisa tu respuesta o envíala de todos modos.", { autor, texto })
    : t("Hay una respuesta más reciente en el ticket. Revisa tu respuesta o envíala de todos modos.");
  confirmar.hidden = false;
  if (burbuja) {
    burbuja.classList.add("nueva");
    burbuja.scrollIntoView({ block: "nearest" });
  }
  return true;
}
