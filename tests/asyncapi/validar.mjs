// Validates an AsyncAPI document with the official parser (@asyncapi/parser, pinned in
// package-lock.json). Usage: node validar.mjs DOCUMENT.json
// Prints one JSON object: {"valido": bool, "diagnosticos": [{severidad, codigo, mensaje, ruta}],
// "canales": [...], "mensajes": [...]} — what the parsed document holds, so the Python test can
// check the parser read the channels and messages it expects (not only that it did not fail).
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const texto = readFileSync(process.argv[2], "utf8");
const parser = new Parser();
const { document, diagnostics } = await parser.parse(texto);
const severidades = ["error", "warning", "information", "hint"];
const salida = {
  valido: document !== undefined && !diagnostics.some((d) => d.severity === 0),
  diagnosticos: diagnostics.map((d) => ({
    severidad: severidades[d.severity] ?? String(d.severity),
    codigo: String(d.code),
    mensaje: d.message,
    ruta: d.path.join("/"),
  })),
  canales: [],
  mensajes: [],
};
if (document !== undefined) {
  salida.version = document.version();
  for (const canal of document.channels()) {
    salida.canales.push({ id: canal.id(), direccion: canal.address() });
  }
  for (const mensaje of document.messages()) {
    salida.mensajes.push(mensaje.id());
  }
}
console.log(JSON.stringify(salida));
