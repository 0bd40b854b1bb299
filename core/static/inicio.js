// The portal's home: greet the visitor by name.
import { sesion } from "./app.js";

const { usuario } = await sesion;
if (usuario) {
  document.getElementById("inicio-saludo").textContent =
    `Hola, ${usuario.nombre || usuario.username}. Consulta las preguntas frecuentes o sigue tus tickets.`;
}
