"""Timing backpropagation through time three ways: the measurements behind ``nn bench recurrent``.

One forward and backward pass of a recurrent layer over a batch of sequences, by

* **python**: :mod:`nn.reference.recurrent`, pure Python, one example, step and unit at a time;
* **numpy steps**: :mod:`nn.functional.recurrent`, the readable NumPy version, one call of the
  step functions per time step (products of ``(batch, n)`` rows, a dict of gradients per step);
* **numpy fused**: the layer itself (:mod:`nn.functional.recurrent_fast`): every input step
  in one product, the weight gradients in one product after the loop, buffers reused,

on two ladders: growing sequence length ``T`` at a fixed width, and growing width ``H`` at a
fixed length. All three do the same arithmetic, about ``T * batch * (n_in + H) * G * H``
multiply-adds each way (``G`` gates): the pure-Python route pays the interpreter for each of
them, the step route pays NumPy's call overhead a few dozen times per step, the fused route
a handful of times. Timing is :func:`nn.bench.timing.time_routes`' (round robin, medians). The
pure-Python route is skipped where the previous rung predicts it would take longer than the
budget.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import numpy as np

from nn.bench.timing import time_routes
from nn.functional import recurrent as steps
from nn.layers.recurrent import GRU, LSTM, RNN
from nn.reference import recurrent as slow

__all__ = ["LADDERS", "ROUTES", "add_arguments", "format_table", "measure", "run"]

LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
BATCH, N_IN = 8, 8
#: (T, H) rungs: "length" grows T at H = 16, "width" grows H at T = 16.
LADDERS: dict[str, list[tuple[int, int]]] = {
    "length": [(T, 16) for T in (4, 8, 16, 32, 64, 128)],
    "width": [(16, H) for H in (4, 8, 16, 32, 64, 128)],
}
ROUTES = ("python", "numpy steps", "numpy fused")


def multiply_adds(cell: str, T: int, H: int) -> int:
    """Multiply-adds of one forward pass: ``T * batch * (n_in + H) * G * H``."""
    return T * BATCH * (N_IN + H) * LAYERS[cell].n_gates * H


def _routes(cell: str, T: int, H: int, seed: int) -> dict[str, Callable[[], object]]:
    """The three calls, on the same float64 layer, batch and upstream gradient."""
    rng = np.random.default_rng(seed)
    layer = LAYERS[cell](N_IN, H, rng=rng, dtype=np.float64)
    x = rng.standard_normal((BATCH, T, N_IN))
    G = rng.standard_normal((BATCH, T, H))
    zeros = tuple(np.zeros((BATCH, H)) for _ in range(layer.n_states))
    p = layer.params
    pl, xl, Gl = {k: v.tolist() for k, v in p.items()}, x.tolist(), G.tolist()
    start = [tuple([0.0] * H for _ in range(layer.n_states)) for _ in range(BATCH)]

    def python() -> object:
        _, _, caches = slow.forward(cell, xl, start, pl)
        return slow.backward(cell, Gl, caches, pl)

    def numpy_steps() -> object:
        _, _, caches = steps.sequence_forward(cell, x, zeros, p)
        return steps.sequence_backward(cell, G, caches)

    def numpy_fused() -> object:
        layer.forward(x)
        return layer.backward(G)

    return {"python": python, "numpy steps": numpy_steps, "numpy fused": numpy_fused}


def measure(
    cell: str, ladder: list[tuple[int, int]], *, budget: float, repeats: int, seed: int = 0
) -> list[dict]:
    """Median seconds of each route on every rung; the pure-Python route while it fits."""
    rows: list[dict] = []
    per_op: float | None = None  # seconds per multiply-add of the pure-Python route so far
    for T, H in ladder:
        calls = _routes(cell, T, H, seed)
        ops = multiply_adds(cell, T, H)
        if per_op is not None and per_op * ops > budget:
            del calls["python"]
        timed = time_routes(calls, repeats=repeats)
        seconds = {name: statistics.median(s) for name, (s, _) in timed.items()}
        if "python" in seconds:
            per_op = seconds["python"] / ops
        rows.append({"T": T, "H": H, "multiply_adds": ops, "seconds": seconds})
    return rows


def format_table(cell: str, rows: list[dict]) -> str:
    """Seconds per forward + backward pass, and the speed-up of each route over the one before."""
    lines = [
        f"{cell.upper()}, batch {BATCH}, n_in {N_IN}: seconds per forward + backward pass",
        "| T | H | python | numpy steps | numpy fused | steps / python | fused / steps |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s = r["seconds"]
        py = f"{s['python']:.3g}" if "python" in s else "(skipped)"
        up = f"{s['python'] / s['numpy steps']:.0f}x" if "python" in s else ""
        lines.append(
            f"| {r['T']} | {r['H']} | {py} | {s['numpy steps']:.3g} | {s['numpy fused']:.3g} "
            f"| {up} | {s['numpy steps'] / s['numpy fused']:.1f}x |"
        )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``nn bench recurrent``."""
    parser.add_argument("--cell", choices=list(LAYERS), default="lstm")
    parser.add_argument("--ladder", choices=list(LADDERS), nargs="+", default=list(LADDERS))
    parser.add_argument(
        "--budget", type=float, default=2.0, help="longest pure-Python call, seconds (default 2)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="samples per route (default 5)")
    parser.add_argument("--json", metavar="FILE", help="also write the timings as JSON")


def run(args: argparse.Namespace) -> int:
    """Measure the ladders and print their tables (``nn bench recurrent``)."""
    start = time.perf_counter()
    results = {}
    for name in args.ladder:
        rows = measure(args.cell, LADDERS[name], budget=args.budget, repeats=args.repeats)
        results[name] = rows
        print(f"\nladder {name!r}")
        print(format_table(args.cell, rows))
    print(f"\n{time.perf_counter() - start:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"cell": args.cell, "batch": BATCH, "n_in": N_IN, "ladders": results}, f)
    return 0
