// nn playground: drawing on canvas (no library). Everything here is a pure function of what
// it is given; the page's state lives in app.js.
"use strict";

const Draw = (() => {
  const ORANGE = [245, 147, 34];
  const WHITE = [232, 234, 235];
  const BLUE = [8, 119, 189];
  const NAN_GREY = [160, 160, 160];
  const LAYER_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
  const FEATURE_LABELS = {
    x1: "X\u2081", x2: "X\u2082", x1sq: "X\u2081\u00B2", x2sq: "X\u2082\u00B2",
    x1x2: "X\u2081X\u2082", sinx1: "sin(X\u2081)", sinx2: "sin(X\u2082)",
  };
  const FEATURE_NAMES = Object.keys(FEATURE_LABELS);

  // t in [-1, 1] -> orange (-1), white (0), blue (+1), as in the TensorFlow Playground.
  function colour(t) {
    t = Math.max(-1, Math.min(1, t));
    const [a, b] = t < 0 ? [WHITE, ORANGE] : [WHITE, BLUE];
    const u = Math.abs(t);
    return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * u));
  }
  function css(rgb) { return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`; }

  // A picture's bytes: 0..254 for -1..+1, 255 for NaN (see nn/playground/frame.py).
  function lut(discretize) {
    const table = new Uint8ClampedArray(256 * 4);
    for (let q = 0; q < 256; q++) {
      let t = q / 127 - 1;
      if (discretize) t = t < 0 ? -1 : 1;
      const rgb = q === 255 ? NAN_GREY : colour(t);
      table.set([rgb[0], rgb[1], rgb[2], 255], q * 4);
    }
    return table;
  }
  const LUTS = [lut(false), lut(true)];

  function decode(b64) {
    const text = atob(b64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  const scratch = document.createElement("canvas");
  // A square picture of any side (the output's 50x50, a neuron's 25x25) drawn at (x, y, w, h).
  function picture(ctx, bytes, x, y, w, h, discretize) {
    const side = Math.round(Math.sqrt(bytes.length));
    scratch.width = side; scratch.height = side;
    const sctx = scratch.getContext("2d");
    const image = sctx.createImageData(side, side);
    const table = LUTS[discretize ? 1 : 0];
    for (let i = 0; i < bytes.length; i++) {
      const q = bytes[i] * 4;
      image.data[i * 4] = table[q];
      image.data[i * 4 + 1] = table[q + 1];
      image.data[i * 4 + 2] = table[q + 2];
      image.data[i * 4 + 3] = 255;
    }
    sctx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = !discretize;
    ctx.drawImage(scratch, x, y, w, h);
  }

  // points: [[x1, x2, y], ...] in data coordinates; the canvas shows [-domain, domain]^2.
  function points(ctx, rows, domain, problem, test, size) {
    const s = size / (2 * domain);
    for (const [x1, x2, y] of rows) {
      const t = problem === "classification" ? (y > 0.5 ? 1 : -1) : y;
      ctx.beginPath();
      ctx.arc((x1 + domain) * s, (domain - x2) * s, test ? 3.2 : 2.8, 0, 2 * Math.PI);
      ctx.fillStyle = css(colour(t));
      ctx.fill();
      ctx.lineWidth = test ? 1.2 : 0.8;
      ctx.strokeStyle = test ? "#000" : "#fff";
      ctx.stroke();
    }
  }

  function axes(ctx, w, h, domain) {
    ctx.fillStyle = "rgba(0,0,0,.55)";
    ctx.font = "10px sans-serif";
    ctx.fillText(String(-domain), 2, h - 3);
    ctx.fillText(String(domain), w - 12, h - 3);
  }

  // A line chart: series [{values: [...], colour}], x evenly spaced; log scale if asked.
  function chart(ctx, series, { log = false, floor = 1e-8, yMax = null } = {}) {
    const { width: w, height: h } = ctx.canvas;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#fafafa"; ctx.fillRect(0, 0, w, h);
    const f = (v) => (log ? Math.log10(Math.max(v, floor)) : v);
    let lo = Infinity, hi = -Infinity, n = 0;
    for (const s of series) {
      for (const v of s.values) if (v !== null && isFinite(v)) { lo = Math.min(lo, f(v)); hi = Math.max(hi, f(v)); }
      n = Math.max(n, s.values.length);
    }
    if (!isFinite(lo) || n < 2) return;
    if (!log) { lo = Math.min(0, lo); if (yMax !== null) hi = Math.min(hi, yMax); }
    if (hi - lo < 1e-12) hi = lo + 1;
    const pad = 4;
    for (const s of series) {
      ctx.beginPath();
      let started = false;
      s.values.forEach((v, i) => {
        if (v === null || !isFinite(v)) { started = false; return; }
        const x = pad + (i / (n - 1)) * (w - 2 * pad);
        const y = h - pad - ((Math.min(f(v), hi) - lo) / (hi - lo)) * (h - 2 * pad);
        if (started) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        started = true;
      });
      ctx.strokeStyle = s.colour; ctx.lineWidth = 1.5; ctx.stroke();
    }
    if (log) {
      ctx.fillStyle = "#888"; ctx.font = "10px sans-serif";
      ctx.fillText(`1e${Math.round(hi)}`, w - 34, 11);
      ctx.fillText(`1e${Math.round(lo)}`, w - 34, h - 4);
    }
  }

  // Horizontal bars of ||dC/db|| per layer on a log scale from 1e-6 to 10.
  function speedBars(ctx, values, names) {
    const { width: w, height: h } = ctx.canvas;
    ctx.clearRect(0, 0, w, h);
    const left = 110, lo = -6, hi = 1, row = Math.min(24, (h - 16) / Math.max(1, values.length));
    const span = w - left - 60;
    ctx.font = "11px sans-serif";
    values.forEach((v, i) => {
      const y = 2 + i * row;
      ctx.fillStyle = "#555";
      ctx.fillText(names[i], 2, y + row * 0.6);
      const frac = v === null ? 0 : (Math.log10(Math.max(v, 1e-12)) - lo) / (hi - lo);
      ctx.fillStyle = LAYER_COLOURS[i % LAYER_COLOURS.length];
      ctx.fillRect(left, y + 3, Math.max(1, Math.min(1, frac) * span), row - 8);
      ctx.fillStyle = "#333";
      ctx.fillText(v === null ? "nan" : v.toExponential(2), w - 56, y + row * 0.6);
    });
    const y = 2 + values.length * row + 10;
    ctx.fillStyle = "#999";
    for (let e = lo; e <= hi; e++) {
      const x = left + ((e - lo) / (hi - lo)) * span;
      ctx.fillRect(x, y - 9, 1, 3);
      if ((e - lo) % 2 === 0) ctx.fillText(`1e${e}`, x - 8, y + 2);
    }
  }

  // Per layer: the share of saturated pairs and the share of dead units, where they apply.
  function unitBars(ctx, saturated, dead, names) {
    const { width: w, height: h } = ctx.canvas;
    ctx.clearRect(0, 0, w, h);
    const left = 110, row = Math.min(24, (h - 16) / Math.max(1, names.length));
    ctx.font = "11px sans-serif";
    names.forEach((name, i) => {
      const y = 16 + i * row;
      ctx.fillStyle = "#555";
      ctx.fillText(name, 2, y + row * 0.6);
      const bars = [[saturated[i], "#e67e22"], [dead[i], "#7f8c8d"]].filter(([v]) => v !== null && v !== undefined);
      if (!bars.length) { ctx.fillStyle = "#aaa"; ctx.fillText("linear: neither", left, y + row * 0.6); }
      bars.forEach(([v, c], k) => {
        const yy = y + 3 + k * ((row - 6) / bars.length);
        ctx.fillStyle = c;
        ctx.fillRect(left, yy, Math.max(1, v * (w - left - 50)), (row - 8) / bars.length);
        ctx.fillStyle = "#333";
        ctx.fillText(`${(100 * v).toFixed(1)}%`, w - 46, y + row * 0.6);
      });
    });
    ctx.fillStyle = "#e67e22"; ctx.fillRect(left, 2, 8, 8);
    ctx.fillStyle = "#555"; ctx.fillText("saturated (sigmoid, tanh)", left + 11, 10);
    ctx.fillStyle = "#7f8c8d"; ctx.fillRect(left + 150, 2, 8, 8);
    ctx.fillStyle = "#555"; ctx.fillText("dead (ReLU)", left + 161, 10);
  }

  // Where every node of the network goes: columns of features, hidden layers, the output.
  function layout(setup, width) {
    const hidden = setup.layers.slice(1, -1);
    const columns = [FEATURE_NAMES.length, ...hidden, 1];
    const left = 80, right = width - 40, size = 32, gap = 46;
    const xs = columns.map((_, i) => left + (i * (right - left)) / Math.max(1, columns.length - 1));
    const nodes = columns.map((n, c) => Array.from({ length: n }, (_, j) => ({
      x: xs[c] - size / 2, y: 8 + (c === columns.length - 1 ? 1.5 : j) * gap, size,
    })));
    return { xs, nodes, size };
  }

  function network(ctx, setup, frame, { hover = null, discretize = false } = {}) {
    const { width: w, height: h } = ctx.canvas;
    ctx.clearRect(0, 0, w, h);
    const L = layout(setup, w);
    const active = FEATURE_NAMES.map((f) => setup.features.indexOf(f));
    const inputNodes = FEATURE_NAMES.map((f, j) => (active[j] >= 0 ? L.nodes[0][j] : null))
      .filter((n) => n !== null);
    const sources = [inputNodes, ...L.nodes.slice(1, -1)];
    if (frame) {
      frame.weights.forEach((W, l) => {
        const targets = L.nodes[l + 1];
        W.forEach((row, a) => row.forEach((wt, b) => {
          const s = sources[l][a], t = targets[b];
          if (!s || !t || wt === null) return;
          ctx.beginPath();
          ctx.moveTo(s.x + s.size, s.y + s.size / 2);
          ctx.lineTo(t.x, t.y + t.size / 2);
          ctx.strokeStyle = css(colour(wt));
          ctx.lineWidth = 0.5 + 3 * Math.min(Math.abs(wt), 2.5);
          ctx.stroke();
        }));
      });
    }
    ctx.font = "12px sans-serif";
    FEATURE_NAMES.forEach((f, j) => {
      const node = L.nodes[0][j];
      ctx.globalAlpha = active[j] >= 0 ? 1 : 0.3;
      if (active[j] >= 0) {
        picture(ctx, decode(setup.feature_pictures[active[j]]), node.x, node.y, node.size, node.size, discretize);
      } else {
        ctx.fillStyle = "#ddd"; ctx.fillRect(node.x, node.y, node.size, node.size);
      }
      ctx.fillStyle = "#333";
      ctx.fillText(FEATURE_LABELS[f], 4, node.y + node.size / 2 + 4);
      ctx.globalAlpha = 1;
    });
    L.nodes.slice(1).forEach((column, c) => column.forEach((node, j) => {
      const pic = frame && frame.neurons[c] && frame.neurons[c][j];
      if (pic) picture(ctx, decode(pic), node.x, node.y, node.size, node.size, discretize);
      else { ctx.fillStyle = "#eee"; ctx.fillRect(node.x, node.y, node.size, node.size); }
    }));
    L.nodes.forEach((column, c) => column.forEach((node, j) => {
      const on = hover && hover.column === c && hover.index === j;
      ctx.strokeStyle = on ? "#000" : "#999";
      ctx.lineWidth = on ? 2 : 1;
      ctx.strokeRect(node.x, node.y, node.size, node.size);
    }));
    return L;
  }

  // The node under (x, y) of the network canvas: {column, index} or null.
  function nodeAt(L, x, y) {
    for (let c = 0; c < L.nodes.length; c++) {
      for (let j = 0; j < L.nodes[c].length; j++) {
        const n = L.nodes[c][j];
        if (x >= n.x && x <= n.x + n.size && y >= n.y && y <= n.y + n.size) return { column: c, index: j };
      }
    }
    return null;
  }

  return {
    FEATURE_NAMES, FEATURE_LABELS, LAYER_COLOURS, colour, css, decode, picture, points, axes,
    chart, speedBars, unitBars, layout, network, nodeAt,
  };
})();
