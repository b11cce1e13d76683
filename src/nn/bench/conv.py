"""``nn bench conv``: one convolution's gradient three ways, on ladders of sizes.

The same forward and backward pass of :mod:`nn.functional.conv`, timed by three routes:

=================  =============================================  ==========================
route              code                                           what changes
=================  =============================================  ==========================
``python``         :mod:`nn.reference.conv`, lists and floats     (the baseline)
``numpy_loops``    ``conv_forward_naive`` / ``conv_backward_naive``  one NumPy call per pixel
``im2col``         ``conv_forward_im2col`` / ``conv_backward_im2col``  one matrix product
=================  =============================================  ==========================

Each ladder varies one thing from a base size: the image side, the channels (in and out
alike), the kernel side; the ``lenet`` ladder times the two convolutions of LeNet-5 on a
mini-batch of 64. A route whose predicted time (its seconds per multiply-add so far, times
the new size's multiply-adds) is over ``--budget`` is skipped and its prediction shown.
The tables give seconds per gradient, the speed-up of each step, and how each route's time
grows along each ladder (the slope of log time against log size).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from nn.bench.report import machine_info
from nn.bench.timing import time_routes
from nn.functional import conv as F
from nn.reference import conv as ref

__all__ = ["LADDERS", "ROUTES", "ConvCase", "add_arguments", "format_report", "measure", "run"]


@dataclass(frozen=True)
class ConvCase:
    """One convolution: a batch of ``N`` images ``C x H x H``, ``F`` filters ``k x k``."""

    N: int
    C: int
    H: int
    F: int
    k: int
    pad: int

    @property
    def multiply_adds(self) -> int:
        """Of the forward pass; the backward pass does twice as many."""
        return ref.multiply_adds(
            (self.N, self.C, self.H, self.H), (self.F, self.C, self.k, self.k), 1, self.pad
        )

    def name(self) -> str:
        return f"{self.N}x{self.C}x{self.H}x{self.H} * {self.F}x{self.C}x{self.k}x{self.k}"


def _same(N: int, C: int, H: int, F: int, k: int) -> ConvCase:
    return ConvCase(N, C, H, F, k, k // 2)


#: The ladders: what each varies, and its cases (the varied number first in each name).
LADDERS: dict[str, tuple[str, list[ConvCase]]] = {
    "image": ("image side H", [_same(4, 3, h, 8, 3) for h in (4, 8, 16, 32, 64)]),
    "channels": ("channels C = F", [_same(4, c, 12, c, 3) for c in (1, 2, 4, 8, 16, 32)]),
    "kernel": ("kernel side k", [_same(4, 4, 16, 4, k) for k in (1, 3, 5, 7, 9)]),
    "lenet": ("LeNet-5 layer", [ConvCase(64, 1, 28, 6, 5, 2), ConvCase(64, 6, 14, 16, 5, 0)]),
}
#: The number each ladder varies, read off a case.
VARIED: dict[str, Callable[[ConvCase], int]] = {
    "image": lambda c: c.H,
    "channels": lambda c: c.C,
    "kernel": lambda c: c.k,
    "lenet": lambda c: c.C,
}


def _python(x: np.ndarray, W: np.ndarray, b: np.ndarray, dout: np.ndarray, pad: int):
    xl, Wl, bl, dl = x.tolist(), W.tolist(), b.tolist(), dout.tolist()

    def call() -> object:
        ref.conv2d_forward(xl, Wl, bl, 1, pad)
        return ref.conv2d_backward(dl, xl, Wl, 1, pad)

    return call


def _numpy(forward: Callable, backward: Callable):
    def make(x: np.ndarray, W: np.ndarray, b: np.ndarray, dout: np.ndarray, pad: int):
        def call() -> object:
            _, cache = forward(x, W, b, 1, pad)
            return backward(dout, cache)

        return call

    return make


#: name -> (label, make(x, W, b, dout, pad) -> a call computing forward and backward)
ROUTES: dict[str, tuple[str, Callable]] = {
    "python": ("pure Python loops", _python),
    "numpy_loops": ("NumPy, a loop per pixel", _numpy(F.conv_forward_naive, F.conv_backward_naive)),
    "im2col": ("NumPy im2col, one product", _numpy(F.conv_forward_im2col, F.conv_backward_im2col)),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``nn bench conv``."""
    parser.add_argument("--ladder", action="append", choices=list(LADDERS),
                        help="ladder(s) to time (default: all)")  # fmt: skip
    parser.add_argument("--budget", type=float, default=5.0, metavar="SECONDS",
                        help="skip a route predicted to take longer (default 5)")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=5, help="samples per timing (median)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="FILE", help="write every measurement to FILE")
    parser.add_argument("--plot", metavar="FILE", help="draw seconds against multiply-adds")
    parser.add_argument("--from-json", metavar="FILE", help="report a saved run, no timing")


def _predict(history: list[tuple[int, float]], cost: int) -> float | None:
    """Seconds for ``cost`` multiply-adds at the best rate measured on the nearest smaller."""
    below = [(c, s) for c, s in history if c <= cost] or history
    if not below:
        return None
    return cost * min(s / c for c, s in sorted(below)[-3:])


def measure_case(
    case: ConvCase, *, budget: float, repeats: int, dtype: np.dtype, seed: int,
    history: dict[str, list[tuple[int, float]]],
) -> list[dict]:  # fmt: skip
    """Time every route on one case (skipping those predicted over ``budget``)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case.N, case.C, case.H, case.H)).astype(dtype)
    W = rng.standard_normal((case.F, case.C, case.k, case.k)).astype(dtype)
    b = rng.standard_normal(case.F).astype(dtype)
    Ho = case.H + 2 * case.pad - case.k + 1
    dout = rng.standard_normal((case.N, case.F, Ho, Ho)).astype(dtype)
    cost = case.multiply_adds
    calls, rows = {}, {}
    for name, (_, make) in ROUTES.items():
        predicted = _predict(history.setdefault(name, []), cost)
        rows[name] = {"route": name, "case": asdict(case), "multiply_adds": cost,
                      "seconds": None, "predicted_seconds": predicted, "samples": []}  # fmt: skip
        if predicted is not None and predicted > budget:
            continue
        calls[name] = make(x, W, b, dout, case.pad)
    for name, (samples, _) in time_routes(calls, repeats=repeats).items():
        rows[name]["samples"] = samples
        rows[name]["seconds"] = float(np.median(samples))
        history[name].append((cost, rows[name]["seconds"]))
    return list(rows.values())


def measure(args: argparse.Namespace) -> dict:
    """Time the ladders the options ask for; the dict is what ``--json`` writes."""
    if args.repeats < 1 or not args.budget > 0:
        raise ValueError("--repeats must be at least 1 and --budget positive")
    info = machine_info()
    start = time.perf_counter()
    history: dict[str, list[tuple[int, float]]] = {}
    rows = []
    for ladder in args.ladder or list(LADDERS):
        print(f"timing the {ladder} ladder ...", file=sys.stderr)
        settings = dict(budget=args.budget, repeats=args.repeats, dtype=np.dtype(args.dtype),
                        seed=args.seed, history=history)  # fmt: skip
        for case in LADDERS[ladder][1]:
            rows += [{"ladder": ladder, **row} for row in measure_case(case, **settings)]
    info["load_average_end"] = round(os.getloadavg()[0], 2)
    info["seconds_total"] = round(time.perf_counter() - start, 1)
    command = "nn bench conv" + "".join(f" --ladder {name}" for name in args.ladder or [])
    return {"command": command, "machine": info, "dtype": args.dtype, "measurements": rows}


def _seconds(t: float | None) -> str:
    if t is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale or unit == "µs":
            return f"{t / scale:.3g} {unit}"
    raise AssertionError("unreachable")


def growth(rows: list[dict], ladder: str, route: str) -> float | None:
    """Slope of log seconds against log of the ladder's varied number (None: < 2 points)."""
    points = [(VARIED[ladder](ConvCase(**r["case"])), r["seconds"]) for r in rows
              if r["ladder"] == ladder and r["route"] == route and r["seconds"]]  # fmt: skip
    if len({p for p, _ in points}) < 2:
        return None
    x, y = np.log([p for p, _ in points]), np.log([s for _, s in points])
    return float(np.polyfit(x, y, 1)[0])


def format_report(result: dict) -> str:
    """The tables: seconds per route and case with the speed-ups, then the growth."""
    rows = result["measurements"]
    lines = [f"Seconds per gradient (forward + backward) of one convolution, {result['dtype']}; "
             "(~x): predicted, skipped over the budget", ""]  # fmt: skip
    head = ["ladder", "case", "multiply-adds", *ROUTES, "python -> loops", "loops -> im2col",
            "python -> im2col"]  # fmt: skip
    table = [head]
    by_case: dict[tuple, dict[str, dict]] = {}
    for r in rows:
        by_case.setdefault((r["ladder"], ConvCase(**r["case"])), {})[r["route"]] = r
    for (ladder, case), routes in by_case.items():
        t = {n: routes[n]["seconds"] or routes[n]["predicted_seconds"] for n in ROUTES}
        shown = [_seconds(routes[n]["seconds"]) if routes[n]["seconds"]
                 else f"(~{_seconds(routes[n]['predicted_seconds'])})" for n in ROUTES]  # fmt: skip
        ratios = [_ratio(t[a], t[b]) for a, b in STEPS]
        table.append([ladder, case.name(), f"{case.multiply_adds:,}", *shown, *ratios])
    lines += _markdown(table)
    lines += ["", "Growth: time ~ size^slope along each ladder", ""]
    growth_rows = [["ladder (varied)", *ROUTES]]
    for ladder in dict.fromkeys(r["ladder"] for r in rows):
        if ladder == "lenet":
            continue
        slopes = [growth(rows, ladder, name) for name in ROUTES]
        growth_rows.append([f"{ladder} ({LADDERS[ladder][0]})",
                            *("-" if s is None else f"{s:.2f}" for s in slopes)])  # fmt: skip
    lines += _markdown(growth_rows)
    m = result["machine"]
    load = f"{m['load_average_start']} -> {m.get('load_average_end')}"
    lines += ["", f"{m['cpu']}, {m['cores']} cores, NumPy {m['numpy']}, load average {load}; "
              f"{result['command']}"]  # fmt: skip
    return "\n".join(lines)


#: The speed-up columns: each step from a slower route to a faster one.
STEPS = (("python", "numpy_loops"), ("numpy_loops", "im2col"), ("python", "im2col"))


def _ratio(slow: float | None, fast: float | None) -> str:
    if not slow or not fast:
        return "-"
    r = slow / fast
    return f"{r:.2g}x" if r < 10 else f"{r:,.0f}x"


def _markdown(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    fmt = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return [fmt(rows[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(fmt, rows[1:])]


def plot(result: dict, path: str) -> None:
    """Seconds per gradient along each ladder, one panel per ladder, one line per route."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["measurements"]
    ladders = [name for name in dict.fromkeys(r["ladder"] for r in rows) if name != "lenet"]
    fig, axes = plt.subplots(1, max(len(ladders), 1), figsize=(4.2 * max(len(ladders), 1), 3.8),
                             squeeze=False, sharey=True)  # fmt: skip
    for ax, ladder in zip(axes[0], ladders):
        mine = [r for r in rows if r["ladder"] == ladder and r["seconds"]]
        for name, (label, _) in ROUTES.items():
            pts = sorted((VARIED[ladder](ConvCase(**r["case"])), r["seconds"])
                         for r in mine if r["route"] == name)  # fmt: skip
            if pts:
                slope = growth(rows, ladder, name)
                ax.loglog(*zip(*pts), "o-", label=f"{label} (slope {slope:.1f})")
        sizes = sorted({VARIED[ladder](ConvCase(**r["case"])) for r in mine})
        ax.set_xticks(sizes, [str(v) for v in sizes])
        ax.minorticks_off()
        ax.set_xlabel(LADDERS[ladder][0])
        ax.set_title(f"{ladder} ladder", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("seconds per gradient (forward + backward)")
    fig.suptitle("One convolution's gradient three ways: the same arithmetic, different machines")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    """``nn bench conv``: measure (or read ``--from-json``), print, and write what was asked."""
    if args.from_json:
        with open(args.from_json) as f:
            result = json.load(f)
    else:
        result = measure(args)
    print(format_report(result))
    if args.json and not args.from_json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    if args.plot:
        plot(result, args.plot)
    return 0


def speedup_at(result: dict, case: ConvCase, slow: str, fast: str) -> float | None:
    """``slow``'s seconds (measured or predicted) over ``fast``'s on one case."""
    t = {r["route"]: r["seconds"] or r["predicted_seconds"] for r in result["measurements"]
         if ConvCase(**r["case"]) == case}  # fmt: skip
    return t[slow] / t[fast] if t.get(slow) and t.get(fast) else None


if __name__ == "__main__":  # python -m nn.bench.conv: the same as nn bench conv
    _parser = argparse.ArgumentParser(prog="nn bench conv", description=__doc__.split("\n")[0])
    add_arguments(_parser)
    sys.exit(run(_parser.parse_args()))
