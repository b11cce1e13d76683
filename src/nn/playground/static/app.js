// nn playground: the page's state, its controls and its conversation with the server.
// The server trains (nn itself); this page only draws what it is sent and says what changed.
"use strict";

const OPTIONS = {
  lr: ["0.00001", "0.0001", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1.0", "3.0", "10.0"],
  activation: [["tanh", "Tanh"], ["sigmoid", "Sigmoid"], ["relu", "ReLU"], ["leaky_relu", "Leaky ReLU"], ["identity", "Linear"]],
  init: [["normal", "N(0, 1) (the seed's)"], ["scaled_normal", "N(0, 1/n_in)"], ["glorot_uniform", "Glorot uniform"],
    ["glorot_normal", "Glorot normal"], ["he_uniform", "He uniform"], ["he_normal", "He normal"]],
  loss: [["squared_error", "Squared error"], ["cross_entropy", "Cross-entropy"]],
  reg: [["none", "None"], ["l1", "L1"], ["l2", "L2"]],
  reg_rate: ["0.0", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1.0", "3.0", "10.0"],
  problem: [["classification", "Classification"], ["regression", "Regression"]],
  speed: [["1", "1 step/s"], ["10", "10 steps/s"], ["100", "100 steps/s"], ["1000", "1000 steps/s"], ["max", "as fast as it goes"]],
  preset: [["", "choose one\u2026"], ["seed", "the seed's: sigmoid, N(0,1), squared error"],
    ["fast", "a fast one: tanh, Glorot, cross-entropy"], ["relu", "ReLU, He, cross-entropy"]],
};
const PRESETS = {
  seed: { activation: "sigmoid", init: "normal", loss: "squared_error" },
  fast: { activation: "tanh", init: "glorot_uniform", loss: "cross_entropy" },
  relu: { activation: "relu", init: "he_normal", loss: "cross_entropy" },
};
const MAX_FPS = 60;      // the page draws at most this often; the server adds steps per update
const MAX_HISTORY = 800; // points kept per curve (thinned by half when full)

const $ = (id) => document.getElementById(id);
const state = {
  settings: {}, id: null, source: null, setup: null, frame: null, pending: null,
  drawn: 0, drawCount: 0, lastDraw: 0, scheduled: false, run: 0, hover: null, layout: null,
  history: { train: [], test: [], speed: [] }, thumbs: null, frames: 0,
};
window.nnPlayground = state; // for the browser tests, and for the curious

// ------------------------------------------------------------------ talking to the server
async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

function showError(message, offerDefaults = false) {
  $("error-text").textContent = message;
  $("error-defaults").hidden = !offerDefaults;
  $("error").hidden = false;
}
$("error-close").onclick = () => { $("error").hidden = true; };

async function start() {
  const query = Object.fromEntries(new URLSearchParams(location.search));
  fillControls();
  api("/api/thumbnails").then((t) => { state.thumbs = t; drawDatasets(); }).catch(() => {});
  try {
    const { id } = await api("/api/session", { settings: query });
    state.id = id;
  } catch (err) {
    showError(`This page's settings cannot be used: ${err.message}.`, true);
    document.body.classList.add("failed");
    return;
  }
  const source = new EventSource(`/api/session/${state.id}/stream`);
  state.source = source;
  source.addEventListener("setup", (e) => onSetup(JSON.parse(e.data)));
  source.addEventListener("frame", (e) => { state.pending = JSON.parse(e.data); state.frames++; schedule(); });
  source.addEventListener("fault", (e) => { showError(JSON.parse(e.data).error); source.close(); });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED || state.id) {
      source.close();
      showError("The connection to the server is gone (was it stopped?). Reload the page to start again.");
    }
  };
}

// A closing tab says so (keepalive: the request outlives the page); if it cannot, the server
// still notices the stream's connection closing.
window.addEventListener("pagehide", () => {
  if (!state.id) return;
  fetch(`/api/session/${state.id}/close`, {
    method: "POST", keepalive: true, headers: { "Content-Type": "application/json" }, body: "{}",
  }).catch(() => {});
});

async function control(action) {
  try {
    const s = await api(`/api/session/${state.id}/control`, { action });
    setPlaying(s.playing);
  } catch (err) { showError(err.message); }
}

async function change(values) {
  if (!state.id) return;
  try {
    const { rebuilt } = await api(`/api/session/${state.id}/settings`, { settings: values });
    Object.assign(state.settings, values);
    if (!rebuilt) updateUrl();
    $("error").hidden = true;
  } catch (err) {
    showError(err.message);
    syncControls(); // back to what the server has
  }
}

function updateUrl() {
  const query = new URLSearchParams(state.settings).toString();
  history.replaceState(null, "", `?${query}`);
  $("open-copy").href = `?${query}`;
}

// ------------------------------------------------------------------ events from the stream
function onSetup(setup) {
  state.setup = setup;
  state.settings = { ...setup.settings };
  updateUrl();
  syncControls();
  drawDatasets();
  layerControls();
  $("code").hidden = true; $("copy-python").hidden = true;
  $("findings").innerHTML = "";
}

function schedule() {
  if (state.scheduled) return;
  state.scheduled = true;
  requestAnimationFrame(drawPending);
}

// Draw the newest frame at most MAX_FPS times a second; older ones are simply dropped, and
// the acknowledgement lets the server send the next (covering more steps if we are slow).
function drawPending(time) {
  state.scheduled = false;
  if (!state.pending || !state.setup) return;
  if (time - state.lastDraw < 1000 / MAX_FPS - 2) { schedule(); return; }
  const frame = state.pending;
  state.pending = null;
  state.lastDraw = time;
  record(frame);
  state.frame = frame;
  drawAll();
  state.drawn = frame.frame;
  state.drawCount++;
  fetch(`/api/session/${state.id}/drawn`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ frame: frame.frame }),
  }).catch(() => {});
}

function record(frame) {
  const h = state.history;
  if (frame.run !== state.run) { h.train = []; h.test = []; h.speed = []; state.run = frame.run; }
  if (frame.step === 0 && h.train.length) return;
  h.train.push(frame.train_loss); h.test.push(frame.test_loss); h.speed.push(frame.speed);
  if (h.train.length > MAX_HISTORY) {
    for (const k of ["train", "test", "speed"]) h[k] = h[k].filter((_, i) => i % 2 === 0);
  }
}

// ------------------------------------------------------------------ drawing
function fmt(v) { return v === null || v === undefined ? "NaN" : v.toFixed(3); }

function drawAll() {
  const f = state.frame, s = state.setup, discretize = $("discretize").checked;
  $("epoch").textContent = Math.floor(f.epoch).toLocaleString();
  $("step-count").textContent = f.step.toLocaleString();
  $("per-update").textContent = f.playing ? `${f.steps_per_update} steps per update` : "paused";
  $("train-loss").textContent = fmt(f.train_loss);
  $("test-loss").textContent = fmt(f.test_loss);
  setPlaying(f.playing);
  $("diverged").hidden = !f.diverged;
  $("diverged").textContent = f.diverged || "";
  state.layout = Draw.network($("network").getContext("2d"), s, f, { hover: state.hover, discretize });
  drawOutput();
  Draw.chart($("loss-chart").getContext("2d"), [
    { values: state.history.test, colour: "#000" }, { values: state.history.train, colour: "#999" },
  ]);
  const names = s.layer_names.map((n, i) => `layer ${i + 1} (${n.split(" ")[0]})`);
  Draw.speedBars($("speed-bars").getContext("2d"), f.speed, names);
  Draw.chart($("speed-chart").getContext("2d"), f.speed.map((_, l) => ({
    values: state.history.speed.map((row) => row[l]), colour: Draw.LAYER_COLOURS[l % Draw.LAYER_COLOURS.length],
  })), { log: true });
  Draw.unitBars($("units").getContext("2d"), f.saturated, f.dead, names);
  $("speed-verdict").textContent = speedVerdict(f.speed);
}

// The seed's first question in one sentence: how the first layer's speed compares to the last.
function speedVerdict(speed) {
  const first = speed[0], last = speed[speed.length - 1];
  if (speed.length < 2 || !first || !last) return "";
  const r = first / last;
  if (r < 0.5) return `The first hidden layer learns ${(1 / r).toPrecision(2)} times slower than the output layer.`;
  if (r > 2) return `The first hidden layer learns ${r.toPrecision(2)} times faster than the output layer.`;
  return "The first hidden layer learns about as fast as the output layer.";
}

function drawOutput() {
  const s = state.setup, f = state.frame, canvas = $("output"), ctx = canvas.getContext("2d");
  const discretize = $("discretize").checked, size = canvas.width;
  let pic = f ? f.output : null, caption = "the network's output";
  const hv = state.hover;
  if (hv && hv.column === 0) {
    const k = s.features.indexOf(Draw.FEATURE_NAMES[hv.index]);
    pic = k >= 0 ? s.feature_pictures[k] : pic;
    caption = `input feature ${Draw.FEATURE_LABELS[Draw.FEATURE_NAMES[hv.index]]}`;
  } else if (hv && f && f.neurons[hv.column - 1]) {
    pic = f.neurons[hv.column - 1][hv.index];
    caption = hv.column - 1 < f.neurons.length - 1 ? `layer ${hv.column}, neuron ${hv.index + 1}` : "the output unit";
  }
  ctx.clearRect(0, 0, size, size);
  if (pic) Draw.picture(ctx, Draw.decode(pic), 0, 0, size, size, discretize);
  Draw.points(ctx, s.train, s.domain, s.problem, false, size);
  if ($("show_test").checked) Draw.points(ctx, s.test, s.domain, s.problem, true, size);
  Draw.axes(ctx, size, size, s.domain);
  $("output-caption").textContent = caption;
}

function drawDatasets() {
  const box = $("datasets");
  if (!state.thumbs) return;
  box.innerHTML = "";
  const problem = state.settings.problem || "classification";
  for (const [name, t] of Object.entries(state.thumbs)) {
    if (t.problem !== problem) continue;
    const b = document.createElement("button");
    b.id = `dataset-${name}`;
    b.title = t.label;
    b.className = state.settings.dataset === name ? "selected" : "";
    const c = document.createElement("canvas");
    c.width = 64; c.height = 64;
    const ctx = c.getContext("2d");
    ctx.fillStyle = "#f4f4f4"; ctx.fillRect(0, 0, 64, 64);
    for (const [x1, x2, y] of t.points) {
      const v = problem === "classification" ? (y > 0.5 ? 1 : -1) : y;
      ctx.fillStyle = Draw.css(Draw.colour(v));
      ctx.fillRect((x1 + 6) * 64 / 12 - 1.5, (6 - x2) * 64 / 12 - 1.5, 3, 3);
    }
    b.append(c, t.label);
    b.onclick = () => change({ dataset: name });
    box.append(b);
  }
}

// ------------------------------------------------------------------ controls
function fillControls() {
  for (const [id, options] of Object.entries(OPTIONS)) {
    const select = $(id);
    for (const o of options) {
      const [value, label] = Array.isArray(o) ? o : [o, String(Number(o))];
      select.add(new Option(label, value));
    }
  }
  for (const id of ["lr", "activation", "init", "loss", "reg", "reg_rate", "speed"]) {
    $(id).onchange = () => change({ [id]: $(id).value });
  }
  $("problem").onchange = () => {
    const problem = $("problem").value;
    const dataset = problem === "regression" ? "plane" : "circle";
    change(problem === "regression" ? { problem, dataset, loss: "squared_error" } : { problem, dataset });
  };
  $("preset").onchange = () => {
    const p = PRESETS[$("preset").value];
    if (!p) return;
    const values = { ...p };
    if (state.settings.problem === "regression") values.loss = "squared_error";
    change(values);
    $("preset").value = "";
  };
  for (const id of ["ratio", "noise", "batch"]) {
    $(id).oninput = () => { $(`${id}-value`).textContent = $(id).value; };
    $(id).onchange = () => change({ [id]: $(id).value });
  }
  for (const id of ["show_test", "discretize"]) {
    $(id).onchange = () => { change({ [id]: $(id).checked ? "1" : "0" }); if (state.frame) drawAll(); };
  }
  $("play").onclick = () => control($("play").classList.contains("playing") ? "pause" : "play");
  $("step").onclick = () => control("step");
  $("reset").onclick = () => control("reset");
  $("regenerate").onclick = () => change({ seed: String((Number(state.settings.seed) + 1) % 2147483647) });
  $("add-layer").onclick = () => changeLayers((h) => (h.length < 6 ? [...h, 2] : h));
  $("remove-layer").onclick = () => changeLayers((h) => h.slice(0, -1));
  $("doctor").onclick = askDoctor;
  $("show-python").onclick = showPython;
  $("copy-python").onclick = copyPython;
  const canvas = $("network");
  canvas.onmousemove = (e) => hoverAt(e);
  canvas.onmouseleave = () => { state.hover = null; $("tooltip").hidden = true; if (state.frame) drawAll(); };
  canvas.onclick = (e) => {
    const node = state.layout && Draw.nodeAt(state.layout, e.offsetX, e.offsetY);
    if (!node || node.column !== 0) return;
    const name = Draw.FEATURE_NAMES[node.index];
    const now = state.setup.features;
    const next = now.includes(name) ? now.filter((f) => f !== name) : [...now, name];
    change({ features: next.join(",") });
  };
}

function hidden() {
  const h = state.settings.hidden || "";
  return h ? h.split(",").map(Number) : [];
}
function changeLayers(edit) { change({ hidden: edit(hidden()).join(",") }); }

function layerControls() {
  const box = $("layer-controls");
  box.innerHTML = "";
  const h = hidden();
  $("layer-count").textContent = h.length;
  const L = Draw.layout(state.setup, $("network").width);
  h.forEach((n, i) => {
    const div = document.createElement("div");
    div.className = "layer";
    div.style.left = `${L.xs[i + 1]}px`;
    const plus = document.createElement("button"), minus = document.createElement("button");
    plus.textContent = "+"; minus.textContent = "\u2212";
    plus.id = `add-neuron-${i + 1}`; minus.id = `remove-neuron-${i + 1}`;
    plus.onclick = () => changeLayers((hh) => hh.map((v, k) => (k === i ? Math.min(8, v + 1) : v)));
    minus.onclick = () => changeLayers((hh) => hh.map((v, k) => (k === i ? Math.max(1, v - 1) : v)));
    div.append(plus, " ", minus, document.createElement("br"), `${n} neuron${n > 1 ? "s" : ""}`);
    box.append(div);
  });
}

function syncControls() {
  const s = state.settings;
  for (const id of ["activation", "init", "loss", "reg", "problem", "speed"]) $(id).value = s[id];
  for (const id of ["lr", "reg_rate"]) {
    const select = $(id);
    const match = [...select.options].find((o) => Number(o.value) === Number(s[id]));
    if (match) select.value = match.value;
    else { select.add(new Option(String(Number(s[id])), s[id])); select.value = s[id]; }
  }
  for (const id of ["ratio", "noise", "batch"]) { $(id).value = s[id]; $(`${id}-value`).textContent = s[id]; }
  $("show_test").checked = s.show_test === "1";
  $("discretize").checked = s.discretize === "1";
}

function setPlaying(playing) {
  const b = $("play");
  b.classList.toggle("playing", playing);
  b.setAttribute("aria-label", playing ? "Pause" : "Play");
}

function hoverAt(e) {
  const node = state.layout && Draw.nodeAt(state.layout, e.offsetX, e.offsetY);
  const same = (a, b) => (a && b ? a.column === b.column && a.index === b.index : a === b);
  const tip = $("tooltip");
  if (!node) { tip.hidden = true; } else {
    let text = Draw.FEATURE_LABELS[Draw.FEATURE_NAMES[node.index]];
    if (node.column > 0 && state.frame) {
      const b = state.frame.biases[node.column - 1][node.index];
      text = `${node.column === state.frame.biases.length ? "output" : `layer ${node.column}, neuron ${node.index + 1}`}\nbias ${b === null ? "NaN" : b.toFixed(3)}`;
    }
    tip.textContent = text;
    tip.style.left = `${e.offsetX + 14}px`;
    tip.style.top = `${e.offsetY + 50}px`;
    tip.hidden = false;
  }
  if (!same(node, state.hover)) { state.hover = node; if (state.frame) drawAll(); }
}

// ------------------------------------------------------------------ the doctor and the code
async function askDoctor() {
  const button = $("doctor"), box = $("findings");
  button.disabled = true;
  box.textContent = "The doctor is running a few hundred probe steps\u2026";
  try {
    const r = await api(`/api/session/${state.id}/doctor`, {});
    box.innerHTML = "";
    const head = document.createElement("p");
    head.className = "small";
    head.textContent = `For the network at step ${r.step}:`;
    box.append(head);
    if (r.ok) box.append(finding("ok", "No problems found.", "", ""));
    for (const f of r.findings) box.append(finding("", f.meaning, f.evidence, f.suggestion));
  } catch (err) {
    box.textContent = "";
    showError(err.message);
  } finally { button.disabled = false; }
}

function finding(kind, meaning, evidence, suggestion) {
  const div = document.createElement("div");
  div.className = `finding ${kind}`;
  for (const [cls, text] of [["meaning", meaning], ["evidence", evidence && `Evidence: ${evidence}`],
    ["suggestion", suggestion && `Try: ${suggestion}`]]) {
    if (!text) continue;
    const d = document.createElement("div");
    d.className = cls; d.textContent = text;
    div.append(d);
  }
  return div;
}

async function showPython() {
  const epochs = Math.max(1, Math.ceil(state.frame ? state.frame.epoch : 1));
  const query = new URLSearchParams({ ...state.settings, epochs }).toString();
  const response = await fetch(`/api/code?${query}`);
  const text = await response.text();
  if (!response.ok) { showError(JSON.parse(text).error); return; }
  $("code").textContent = text;
  $("code").hidden = false;
  $("copy-python").hidden = false;
}

function copyPython() {
  const range = document.createRange();
  range.selectNodeContents($("code"));
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  if (navigator.clipboard) navigator.clipboard.writeText($("code").textContent).catch(() => document.execCommand("copy"));
  else document.execCommand("copy");
}

start();
