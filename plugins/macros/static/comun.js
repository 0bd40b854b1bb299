// What the macro pages share: how a macro's field changes read in Spanish.

const NOMBRES = {
  estado: "estado",
  prioridad: "prioridad",
  equipo: "equipo",
  agente_asignado: "agente asignado",
  etiquetas_agregar: "añadir etiquetas",
  etiquetas_quitar: "quitar etiquetas",
};

/** "estado → RESUELTO · añadir etiquetas: Factura" ("" when it changes nothing). */
export function describirAcciones(acciones) {
  return Object.entries(acciones || {})
    .map(([campo, valor]) => {
      const nombre = NOMBRES[campo] || campo;
      if (Array.isArray(valor)) return `${nombre}: ${valor.join(", ")}`;
      return `${nombre} → ${valor === null ? "ninguno" : valor}`;
    })
    .join(" · ");
}
