"""How the time of an epoch grows: hidden width, depth, batch size, number of examples.

Usage::

    python benchmarks/scaling.py                   # all four sweeps, a table each
    python benchmarks/scaling.py --plot scaling.png --json scaling.json
    python benchmarks/scaling.py --sweeps width,batch --epochs 5

Each sweep changes one thing of a base network trained by ``Network.fit`` on Fashion-MNIST
(float32, plain SGD) and times an epoch: the points of a sweep take turns, one epoch each,
``--epochs`` rounds after an untimed warm-up, and each point's fastest epoch is kept:

* **width**: ``[784, w, w, 10]`` for ``w`` from 32 to 2048, batch 128. The products cost
  ``784 w + w^2 + 10 w`` multiply-adds per example, so the exponent should rise from about
  1 (the ``784 w`` term, and per-step overhead) towards 2 (``w^2``).
* **depth**: ``[784, 256 x d, 10]`` for ``d`` hidden layers of 256, batch 128: each layer
  adds the same work, so time is ``a + b d`` and the exponent tends to 1.
* **batch**: ``[784, 256, 128, 10]`` with mini-batches of 1 to 1024: the arithmetic of an
  epoch does not depend on the batch size, but every step pays a fixed Python and call
  overhead and small products run far below the BLAS's peak, so time falls roughly as
  ``1/batch`` (exponent near -1) until the products dominate (exponent near 0).
* **examples**: ``[784, 256, 128, 10]``, batch 128, on the first ``n`` training images:
  linear (exponent 1).

The table gives seconds per epoch, microseconds per example and the local exponent
``d log t / d log x`` between neighbouring points; the line under it is the least-squares
slope over the whole sweep. ``--plot`` draws the four curves on log-log axes (needs
matplotlib). Other processes on a shared machine add noise: run it on a quiet one and look at
the local exponents rather than single times.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from typing import Any

_THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, str(_THREADS))

import numpy as np  # noqa: E402

import nn  # noqa: E402

SWEEPS: dict[str, dict[str, Any]] = {
    "width": {
        "label": "hidden width w of [784, w, w, 10]",
        "values": [32, 64, 128, 256, 512, 1024, 2048],
    },
    "depth": {"label": "hidden layers d of [784, 256 x d, 10]", "values": [1, 2, 4, 8]},
    "batch": {"label": "mini-batch size", "values": [1, 4, 16, 64, 128, 256, 1024]},
    "examples": {"label": "training examples n", "values": [3750, 7500, 15000, 30000, 60000]},
}


def setting(sweep: str, x: int, n_default: int) -> tuple[list[int], int, int]:
    """(sizes, batch size, number of examples) of one point of a sweep."""
    if sweep == "width":
        return [784, x, x, 10], 128, n_default
    if sweep == "depth":
        return [784] + [256] * x + [10], 128, n_default
    if sweep == "batch":
        return [784, 256, 128, 10], x, n_default
    return [784, 256, 128, 10], 128, x


def pick_model(activation: str | None, loss: str | None) -> tuple[str, str]:
    """ReLU with softmax cross-entropy when nn has them, else the seed's sigmoid/squared error."""
    if activation and loss:
        return activation, loss
    try:
        nn.mlp([2, 2, 2], "relu", "softmax_cross_entropy")
        return activation or "relu", loss or "softmax_cross_entropy"
    except ValueError:
        return activation or "sigmoid", loss or "squared_error"


class Point:
    """One point of a sweep: a network and its data, trained one epoch at a time."""

    def __init__(
        self, sizes: list[int], batch: int, X: np.ndarray, y: np.ndarray, model: tuple[str, str]
    ) -> None:
        self.net = nn.mlp(sizes, *model, seed=0)
        self.batch, self.X, self.y = batch, X, y
        self.lr = 0.05 if model[0] != "sigmoid" else 1.0
        self.rng = np.random.default_rng(0)
        self.times: list[float] = []
        warm = min(len(X), max(2000, 4 * batch))
        self._fit(X[:warm], y[:warm])

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self.net.fit(
            X, y, epochs=1, batch_size=self.batch, lr=self.lr, seed=self.rng, verbose=False
        )

    def epoch(self) -> None:
        start = time.perf_counter()
        self._fit(self.X, self.y)
        self.times.append(time.perf_counter() - start)


def fit_exponent(xs: list[float], ts: list[float]) -> float:
    """Least-squares slope of log t against log x."""
    lx, lt = np.log(xs), np.log(ts)
    return float(np.polyfit(lx, lt, 1)[0])


def local_exponents(xs: list[float], ts: list[float]) -> list[float | None]:
    """``d log t / d log x`` between each point and the one before it."""
    out: list[float | None] = [None]
    for (x0, t0), (x1, t1) in zip(zip(xs, ts), zip(xs[1:], ts[1:])):
        out.append(math.log(t1 / t0) / math.log(x1 / x0))
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    (X_all, y_all), _ = nn.datasets.fashion_mnist()
    model = pick_model(args.activation, args.loss)
    results: dict[str, Any] = {"model": list(model), "epochs": args.epochs, "sweeps": {}}
    for name in args.sweeps:
        spec = SWEEPS[name]
        points, rows = [], []
        for x in spec["values"]:
            sizes, batch, n = setting(name, x, args.n)
            points.append(Point(sizes, batch, X_all[:n], y_all[:n], model))
            rows.append({"x": x, "sizes": sizes, "batch": batch, "n": n})
        # round robin over the points, so a burst of load from another process lands on
        # neighbouring points alike instead of bending the curve; the best epoch of each
        for _ in range(args.epochs):
            for p in points:
                p.epoch()
        xs = [r["x"] for r in rows]
        ts = [min(p.times) for p in points]
        for row, t in zip(rows, ts):
            row["seconds"] = t
            print(f"  {name} {row['x']}: {t:.3f} s", file=sys.stderr, flush=True)
        for row, k in zip(rows, local_exponents(xs, ts)):
            row["local_exponent"] = k
        results["sweeps"][name] = {
            "label": spec["label"],
            "rows": rows,
            "exponent": fit_exponent(xs, ts),
        }
    return results


def format_table(results: dict[str, Any]) -> str:
    act, loss = results["model"]
    lines = [
        f"scaling.py: seconds per epoch of Network.fit ({act}/{loss}, plain SGD), "
        f"best of {results['epochs']} epochs, {_THREADS} BLAS threads"
    ]
    for name, sweep in results["sweeps"].items():
        lines.append("")
        lines.append(f"{name}: {sweep['label']}")
        lines.append(
            f"  {'x':>6} {'sizes':<22} {'batch':>5} {'n':>6} {'s/epoch':>9} "
            f"{'us/example':>10} {'local exp':>9}"
        )
        for r in sweep["rows"]:
            k = r["local_exponent"]
            sizes = compact(r["sizes"])
            lines.append(
                f"  {r['x']:>6} {sizes:<22} {r['batch']:>5} {r['n']:>6} {r['seconds']:>9.3f} "
                f"{r['seconds'] / r['n'] * 1e6:>10.2f} {'' if k is None else f'{k:9.2f}':>9}"
            )
        lines.append(f"  fitted exponent (least squares, log-log): {sweep['exponent']:.2f}")
    return "\n".join(lines)


def compact(sizes: list[int]) -> str:
    """``[784, 256, 256, 256, 10]`` as ``[784, 256x3, 10]``."""
    parts: list[str] = []
    i = 0
    while i < len(sizes):
        j = i
        while j + 1 < len(sizes) and sizes[j + 1] == sizes[i]:
            j += 1
        parts.append(str(sizes[i]) if j == i else f"{sizes[i]}x{j - i + 1}")
        i = j + 1
    return "[" + ", ".join(parts) + "]"


def plot(results: dict[str, Any], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweeps = results["sweeps"]
    cols = 2 if len(sweeps) > 1 else 1
    rows = (len(sweeps) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False)
    for ax, (name, sweep) in zip(axes.flat, sweeps.items()):
        xs = [r["x"] for r in sweep["rows"]]
        ts = [r["seconds"] for r in sweep["rows"]]
        ax.loglog(xs, ts, "o-")
        ax.set_xticks(xs, [str(x) for x in xs], minor=False)
        ax.minorticks_off()
        ax.set_xlabel(sweep["label"])
        ax.set_ylabel("seconds per epoch")
        ax.set_title(f"{name}: fitted exponent {sweep['exponent']:.2f}")
        ax.grid(True, which="major", alpha=0.3)
    for ax in list(axes.flat)[len(sweeps) :]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot written to {path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sweeps", default="width,depth,batch,examples")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per point")
    parser.add_argument("--n", type=int, default=10000, help="examples for the other sweeps")
    parser.add_argument("--activation", help="default relu (sigmoid if nn lacks it)")
    parser.add_argument("--loss", help="default softmax_cross_entropy (or squared_error)")
    parser.add_argument("--plot", nargs="?", const="scaling.png", help="write a PNG here")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    args.sweeps = [s for s in args.sweeps.split(",") if s]
    for s in args.sweeps:
        if s not in SWEEPS:
            parser.error(f"unknown sweep {s!r}; choose from {', '.join(SWEEPS)}")
    results = run(args)
    print(format_table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if args.plot:
        plot(results, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
