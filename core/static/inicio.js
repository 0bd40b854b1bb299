// The portal's home: greet the visitor by name.
import { sesion } from "./app.js";
import { t } from "./i18n.js";

const { usuario } = await sesion;
if (usuario) {
  document.getElementById("inicio-saludo").textContent =
    t("Hola, {valor}. Consulta las preguntas frecuentes o sigue tus tickets.", { valor: usuario.nombre || usuario.username });
}
