// Dashboard panel: the urgent cases.
import { sesion } from "/static/core/app.js";
import { pintarUrgentes } from "./urgentes.js";

await sesion;
pintarUrgentes(document.getElementById("panel-casos-urgentes"));
