// The Node harness of the guide-conformance suite (run by tests/guide/test_node.py):
//
//   node --experimental-websocket arnes.js entrada.json
//
// entrada.json holds the guide's own code, cut out of the guide by tests/guide/guia.py, the
// test server's base URL and a token per user. Each "session" is a fresh V8 context — one
// browser tab — with an in-memory localStorage holding that user's token, in which the guide's
// code is evaluated UNCHANGED. The only thing the harness changes is the world around it: the
// global fetch and WebSocket it hands to the guide send `localhost:8000` (hard-coded by the
// guide) to the test server's port, and record every URL asked for.
//
// The scenarios call the guide's functions as its components do and print one JSON document
// of observations on stdout; the Python test asserts on it. The guide's console output is
// captured per session, so stdout carries nothing else.
'use strict';

const fs = require('node:fs');
const vm = require('node:vm');
const util = require('node:util');

const entrada = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { piezas, cargadores, estadoCaso, base, tokens, ticketAjeno } = entrada;
const ORIGEN_GUIA = 'http://localhost:8000';
const ORIGEN_GUIA_WS = 'ws://localhost:8000';
const baseWs = base.replace(/^http/, 'ws');

if (typeof WebSocket !== 'function') {
  throw new Error('no global WebSocket: run node with --experimental-websocket');
}

// --- the world around the guide's code ---------------------------------------------------------

const pedidos = []; // {metodo, url} of every fetch the guide made, as it wrote them
const sockets = []; // {url, socket, cierres: [codes]} of every WebSocket the guide opened

function redirigir(url) {
  url = String(url);
  if (url.startsWith(ORIGEN_GUIA + '/')) return base + url.slice(ORIGEN_GUIA.length);
  if (url.startsWith(ORIGEN_GUIA_WS + '/')) return baseWs + url.slice(ORIGEN_GUIA_WS.length);
  throw new Error(`the guide asked for an unexpected URL: ${url}`);
}

function fetchDeLaGuia(url, init = {}) {
  pedidos.push({ metodo: init.method || 'GET', url: String(url) });
  return fetch(redirigir(url), init);
}

class WebSocketDeLaGuia extends WebSocket {
  constructor(url, protocolos) {
    super(redirigir(url), protocolos);
    const registro = { url: String(url), cierres: [] };
    this.addEventListener('close', (e) => registro.cierres.push(e.code));
    sockets.push(registro);
  }
}

function nuevoLocalStorage() {
  const datos = new Map();
  return {
    getItem: (k) => (datos.has(String(k)) ? datos.get(String(k)) : null),
    setItem: (k, v) => void datos.set(String(k), String(v)),
    removeItem: (k) => void datos.delete(String(k)),
    clear: () => datos.clear(),
  };
}

const codigoGuia = [
  piezas.token,
  piezas.headers,
  piezas.crearTicket,
  piezas.nuevoTicket,
  piezas.obtenerMisTickets,
  piezas.obtenerDetalleTicket,
  piezas.responderTicket,
  piezas.ChatSoporteWebSocket,
  piezas.obtenerFAQs,
  piezas.valorarFAQ,
  piezas.crearCasoSoporte,
  piezas.configurarEscalamiento,
].join('\n\n');
const NOMBRES = [
  'crearTicket', 'nuevoTicket', 'obtenerMisTickets', 'obtenerDetalleTicket', 'responderTicket',
  'ChatSoporteWebSocket', 'obtenerFAQs', 'valorarFAQ', 'crearCasoSoporte',
  'configurarEscalamiento', 'headers',
];

// One tab of one user: the guide's code evaluated with that user's token in localStorage.
function sesion(usuario) {
  const localStorage = nuevoLocalStorage();
  if (usuario !== null) localStorage.setItem('authToken', tokens[usuario] ?? usuario);
  const consola = { log: [], error: [], warn: [] };
  const escribir = (lista) => (...args) => lista.push(args.map((a) => (
    typeof a === 'string' ? a : util.inspect(a, { depth: 1 }))).join(' '));
  const global = {
    localStorage,
    fetch: fetchDeLaGuia,
    WebSocket: WebSocketDeLaGuia,
    URLSearchParams, FormData, Blob, File, setTimeout, clearTimeout, setInterval, clearInterval,
    console: { log: escribir(consola.log), error: escribir(consola.error), warn: escribir(consola.warn) },
  };
  vm.createContext(global);
  vm.runInContext(codigoGuia, global, { filename: 'guia_frontend.md' });
  const guia = vm.runInContext(`({${NOMBRES.join(', ')}})`, global);
  return { guia, global, consola, localStorage };
}

// A component's loader (`const cargarX = async () => {...}`), run in a session with the
// component's state setters replaced by recorders (functional updates applied) and its props
// and state given as `entorno`.
function cargador(s, nombre, entorno) {
  const estado = {};
  const setters = {};
  for (const set of new Set(cargadores[nombre].match(/\bset[A-Z]\w*/g))) {
    if (set === 'setTimeout' || set === 'setInterval') continue;
    const clave = set[3].toLowerCase() + set.slice(4);
    setters[set] = (v) => { estado[clave] = typeof v === 'function' ? v(estado[clave]) : v; };
  }
  const todo = { ...entorno, ...setters };
  const parametros = Object.keys(todo);
  const fabrica = vm.runInContext(
    `(function (${parametros.join(', ')}) {\n${cargadores[nombre]}\nreturn ${nombre};\n})`,
    s.global, { filename: `guia_frontend.md#${nombre}` });
  const funcion = fabrica(...parametros.map((k) => todo[k]));
  return async () => { await funcion(); return estado; };
}

const esperar = (ms) => new Promise((r) => setTimeout(r, ms));

async function hasta(condicion, ms = 5000, paso = 20) {
  const limite = Date.now() + ms;
  while (Date.now() < limite) {
    const valor = await condicion();
    if (valor) return valor;
    await esperar(paso);
  }
  return false;
}

const fechaValida = (t) => typeof t === 'string' && !Number.isNaN(new Date(t).getTime());

async function capturar(f) {
  try {
    return { ok: true, valor: await f() };
  } catch (e) {
    return { ok: false, error: String(e && e.message), nombre: e && e.name };
  }
}

// --- the scenarios -------------------------------------------------------------------------------

const resultados = {};

async function escenario(nombre, f) {
  try {
    resultados[nombre] = await f();
  } catch (e) {
    resultados[nombre] = { fallo: String((e && e.stack) || e) };
  }
}

async function main() {
  const cliente = sesion('cliente');
  const cliente2 = sesion('cliente2');
  const agente = sesion('agente');
  const admin = sesion('admin');
  const ids = {};

  await escenario('crear', async () => {
    // The guide's own example, as `crearTicket(nuevoTicket)` at the end of its block 1.1.
    const ticket = await cliente.guia.crearTicket(cliente.guia.nuevoTicket);
    ids.t1 = ticket.id;
    const sinReserva = await cliente.guia.crearTicket({
      asunto: 'La app no carga el calendario', categoria: 'TECNICO', prioridad: 'BAJA',
      descripcion: 'Se queda en blanco al abrir el calendario de reservas.',
    });
    ids.t2 = sinReserva.id;
    // cliente2's ticket waits for an agent: the escalation rule below must catch it.
    const espera = await cliente2.guia.crearTicket({
      asunto: 'Cobro duplicado', categoria: 'PAGOS', prioridad: 'ALTA',
      descripcion: 'Me cobraron dos veces la misma reserva.',
    });
    ids.t3 = espera.id;
    // `archivos_adjuntos: datosTicket.archivos || []`: ids of files uploaded beforehand through
    // POST /adjuntos/ (the contract's answer; the guide does not show the upload itself).
    const subida = new FormData();
    subida.append('archivo', new File(['foto del error'], 'error.png', { type: 'image/png' }));
    const respuestaSubida = await fetch(`${base}/api/soporte/adjuntos/`, {
      method: 'POST', headers: { Authorization: `Bearer ${tokens.cliente}` }, body: subida,
    });
    const subidos = await respuestaSubida.json();
    const conArchivo = await cliente.guia.crearTicket({
      asunto: 'Error al reservar', categoria: 'RESERVAS', prioridad: 'MEDIA',
      descripcion: 'Adjunto una captura.', archivos: subidos.map((a) => a.id),
    });
    ids.t4 = conArchivo.id;
    return {
      ejemplo: cliente.guia.nuevoTicket, ticket, sinReserva, espera, subida: respuestaSubida.status,
      conArchivo,
    };
  });

  await escenario('escalamiento', async () => {
    const reglas = {
      tiempoMaximo: entrada.horasEscalamiento, prioridades: ['ALTA'], niveles: 2,
      notificaciones: true,
    };
    // The other form the contract allows for the guide's "niveles de escalamiento" (a long
    // limit: this rule must not escalate anything during the run).
    const porNiveles = {
      tiempoMaximo: 48, prioridades: ['ALTA', 'MEDIA', 'BAJA'], notificaciones: false,
      niveles: [
        { nivel: 1, nombre: 'Supervisor', notificar: ['AGENTE'] },
        { nivel: 2, nombre: 'Gerencia', notificar: ['ADMIN'] },
      ],
    };
    return {
      porNiveles: await capturar(() => admin.guia.configurarEscalamiento(porNiveles)),
      admin: await capturar(() => admin.guia.configurarEscalamiento(reglas)),
      agente: await capturar(() => agente.guia.configurarEscalamiento(reglas)),
    };
  });

  await escenario('chat', async () => {
    const recibidos = { cliente: [], agente: [] };
    const chatCliente = new cliente.guia.ChatSoporteWebSocket(ids.t1, (d) => recibidos.cliente.push(d));
    const chatAgente = new agente.guia.ChatSoporteWebSocket(ids.t1, (d) => recibidos.agente.push(d));
    chatCliente.connect();
    chatAgente.connect();
    const conectados = await hasta(() => ['cliente', 'agente'].every(
      (q) => recibidos[q].some((d) => d.tipo === 'connection_status')), 5000);
    const abierto = await hasta(() => chatAgente.socket.readyState === WebSocket.OPEN, 2000);
    const primeros = { cliente: recibidos.cliente[0], agente: recibidos.agente[0] };

    chatAgente.sendMessage('hola');
    const hola = (q) => recibidos[q].find((d) => d.tipo === 'mensaje' && d.contenido === 'hola');
    await hasta(() => hola('cliente') && hola('agente'), 5000);

    // A REST reply with files (File objects, as an <input type="file"> gives them) reaches
    // both sockets too.
    const archivos = [
      new File(['%PDF-1.4\n% comprobante\n'], 'comprobante.pdf', { type: 'application/pdf' }),
      new File(['captura'], 'captura de pantalla.png', { type: 'image/png' }),
    ];
    const respuesta = await capturar(() => cliente.guia.responderTicket(
      ids.t1, 'Adjunto el comprobante del pago', archivos));
    const porRest = (q) => recibidos[q].find(
      (d) => d.tipo === 'mensaje' && d.contenido === 'Adjunto el comprobante del pago');
    await hasta(() => porRest('cliente') && porRest('agente'), 5000);
    // A bare Blob, as the guide's own comment `archivos = [new Blob([...])]` allows.
    const conBlob = await capturar(() => agente.guia.responderTicket(
      ids.t1, 'Recibido, lo revisamos.', [new Blob(['registro de pagos'], { type: 'text/plain' })]));

    const antes = sockets.length;
    chatCliente.disconnect();
    chatAgente.disconnect();
    await hasta(() => chatCliente.socket.readyState === WebSocket.CLOSED
      && chatAgente.socket.readyState === WebSocket.CLOSED, 3000);
    await esperar(400); // the guide's first reconnect would fire after 0 ms
    const cierres = sockets.filter((s) => s.url.includes(`/ticket/${ids.t1}/`)).map((s) => s.cierres);
    const reconexiones = sockets.length - antes;

    // A bad token: the socket is closed with 4401 (the guide then retries, as written).
    const malo = sesion('token-que-no-existe');
    const recibidosMalo = [];
    const chatMalo = new malo.guia.ChatSoporteWebSocket(ids.t1, (d) => recibidosMalo.push(d));
    chatMalo.connect();
    const primerSocket = sockets[sockets.length - 1];
    await hasta(() => primerSocket.cierres.length > 0, 3000);
    chatMalo.maxReconnectAttempts = 0; // stop the guide's retries (a property it reads)

    return {
      conectados: Boolean(conectados), abierto: Boolean(abierto), primeros,
      hola: { cliente: hola('cliente'), agente: hola('agente') },
      porRest: { cliente: porRest('cliente'), agente: porRest('agente') },
      respuesta, conBlob,
      socketsNuevosTrasDesconectar: reconexiones,
      cierres,
      cierreTokenMalo: primerSocket.cierres,
      mensajesTokenMalo: recibidosMalo,
      timestampsValidos: [...recibidos.cliente, ...recibidos.agente]
        .filter((d) => d.tipo === 'mensaje').every((d) => fechaValida(d.timestamp)),
      tiposRecibidos: [...new Set([...recibidos.cliente, ...recibidos.agente].map((d) => d.tipo))],
      autores: [...recibidos.cliente, ...recibidos.agente]
        .filter((d) => d.tipo === 'mensaje').map((d) => d.autor),
      consolaErrores: [...cliente.consola.error, ...agente.consola.error].filter(
        (e) => e.startsWith('Error en WebSocket') || e.startsWith('Error al responder')),
    };
  });

  await escenario('detalle', async () => {
    const ticket = await cliente.guia.obtenerDetalleTicket(ids.t1);
    const adjuntos = [
      ...ticket.archivos_adjuntos,
      ...ticket.respuestas.flatMap((r) => r.archivos_adjuntos || []),
    ];
    // The guide opens each with a plain <a href>: no Authorization header.
    const descargas = [];
    for (const a of adjuntos) {
      const r = await fetch(a.url);
      descargas.push({
        nombre: a.nombre, status: r.status,
        disposicion: r.headers.get('content-disposition'),
        nosniff: r.headers.get('x-content-type-options'),
        bytes: (await r.arrayBuffer()).byteLength,
      });
    }
    const loader = await cargador(cliente, 'cargarTicket', { ticketId: ids.t1 })();
    return {
      ticket, descargas,
      fechasValidas: [ticket.fecha_creacion, ticket.fecha_actualizacion,
        ...ticket.respuestas.map((r) => r.fecha_creacion)].every(fechaValida),
      cargador: loader,
      ajeno: await capturar(() => cliente2.guia.obtenerDetalleTicket(ids.t1)),
      inexistente: await capturar(() => cliente.guia.obtenerDetalleTicket(ticketAjeno)),
    };
  });

  await escenario('lista', async () => {
    const hoy = new Date().toISOString().slice(0, 10);
    const combinaciones = [
      {}, { estado: '' }, { categoria: '' }, { estado: '', categoria: '' },
      { estado: 'ABIERTO' }, { estado: 'EN_PROGRESO' }, { estado: 'RESUELTO' }, { estado: 'CERRADO' },
      { categoria: 'TECNICO' }, { categoria: 'RESERVAS' }, { categoria: 'PAGOS' }, { categoria: 'GENERAL' },
      { estado: 'EN_PROGRESO', categoria: 'PAGOS' }, { estado: 'ABIERTO', categoria: 'PAGOS' },
      { fechaDesde: hoy }, { fechaHasta: hoy }, { fechaDesde: hoy, fechaHasta: hoy },
      { fechaDesde: '2000-01-01', fechaHasta: '2000-01-31' },
      { page: 1, size: 1 }, { page: 2, size: 1 }, { page: 50 },
      { estado: 'ABIERTO', categoria: 'TECNICO', fechaDesde: hoy, fechaHasta: hoy, page: 1, size: 10 },
    ];
    const respuestas = [];
    for (const filtros of combinaciones) {
      respuestas.push({ filtros, resultado: await capturar(() => cliente.guia.obtenerMisTickets(filtros)) });
    }
    const loader = await cargador(cliente, 'cargarTickets', { filtros: {} })();
    return {
      hoy, respuestas, cargador: loader,
      otroCliente: await capturar(() => cliente2.guia.obtenerMisTickets({})),
    };
  });

  await escenario('faq', async () => {
    const todas = await cliente.guia.obtenerFAQs('', '');
    const categoria = todas.results[0] && todas.results[0].categoria;
    const consultas = {};
    for (const [nombre, cat, q] of [
      ['categoria', categoria, ''], ['sinAcento', '', 'credito'], ['conAcento', '', 'crédito'],
      ['mayusculas', '', 'CRÉDITO'], ['ambos', categoria, 'reembolso'], ['nada', '', 'zzzxqj'],
    ]) {
      consultas[nombre] = { categoria: cat, q, resultado: await capturar(() => cliente.guia.obtenerFAQs(cat, q)) };
    }
    const anonimo = sesion(null);
    const loader = await cargador(anonimo, 'cargarFAQs', { categoriaSeleccionada: '', busqueda: '' })();
    const faqId = todas.results[0].id;
    const votos = [
      await capturar(() => cliente.guia.valorarFAQ(faqId, true)),
      await capturar(() => cliente.guia.valorarFAQ(faqId, true)),
      await capturar(() => cliente2.guia.valorarFAQ(faqId, false)),
      await capturar(() => cliente2.guia.valorarFAQ(faqId, true)),
      await capturar(() => anonimo.guia.valorarFAQ(faqId, true)),
    ];
    return {
      todas, consultas, cargador: loader, votos,
      anonimo: await capturar(() => anonimo.guia.obtenerFAQs('', '')),
      consolaErrores: anonimo.consola.error.filter((e) => !e.startsWith('Error al valorar FAQ')),
    };
  });

  await escenario('casos', async () => {
    // FormularioCaso's initial state, evaluated from the guide, filled in as a user would.
    const inicial = vm.runInContext(
      `(function (useState) {\n${estadoCaso}\nreturn caso;\n})`, cliente.global)((v) => [v, () => {}]);
    const datos = { ...inicial, titulo: 'El check-in no reconoce mi reserva', descripcion: 'En recepción no aparece.' };
    const critico = { ...inicial, tipo: 'INCIDENTE', urgencia: 'CRITICA', titulo: 'Pasarela de pago caída', descripcion: 'Ningún pago entra desde las 10:00.', impacto: 'MASIVO' };
    return {
      inicial, datos,
      cliente: await capturar(() => cliente.guia.crearCasoSoporte(datos)),
      agente: await capturar(() => agente.guia.crearCasoSoporte(critico)),
    };
  });

  await escenario('dashboard', async () => {
    const estado = await cargador(agente, 'cargarDashboard', {})();
    const estadoAdmin = await cargador(admin, 'cargarDashboard', {})();
    return {
      estado, estadoAdmin,
      consolaErrores: [...agente.consola.error, ...admin.consola.error].filter((e) => e.includes('dashboard')),
    };
  });

  await escenario('monitor', async () => {
    const cargar = cargador(agente, 'cargarEscalamiento', {});
    let estado = {};
    const alcanzado = await hasta(async () => {
      estado = await cargar();
      return (estado.ticketsEscalados || []).some((t) => t.id === ids.t3 && t.nivel_escalamiento >= 2);
    }, 15000, 200);
    return { alcanzado: Boolean(alcanzado), estado, t3: ids.t3 };
  });

  await escenario('errores', async () => {
    const malo = sesion('token-que-no-existe');
    const sinToken = sesion(null);
    return {
      headersSinToken: sinToken.guia.headers,
      crearMalo: await capturar(() => malo.guia.crearTicket(malo.guia.nuevoTicket)),
      listaMalo: await capturar(() => malo.guia.obtenerMisTickets({})),
      crearSinToken: await capturar(() => sinToken.guia.crearTicket(sinToken.guia.nuevoTicket)),
      responderSinToken: await capturar(() => sinToken.guia.responderTicket(ids.t1, 'hola')),
      casoSinToken: await capturar(() => sinToken.guia.crearCasoSoporte({ tipo: 'CONSULTA', urgencia: 'MEDIA', titulo: 'x', descripcion: 'y' })),
      consolaErrores: [...malo.consola.error, ...sinToken.consola.error],
    };
  });

  resultados.ids = ids;
  resultados.pedidos = pedidos;
  // Exit only once the output is flushed: to a pipe, write() is asynchronous, and exiting
  // right after it cut the JSON at 64 KiB. Exit all the same: the guide's timers (reconnects)
  // must not keep the process alive.
  process.stdout.write(JSON.stringify(resultados) + '\n', () => process.exit(0));
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + '\n');
  process.exit(1);
});
