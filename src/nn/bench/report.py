"""``nn bench backprop``: its options, its tables, its plot and its JSON file.

The measuring is in :mod:`nn.bench.backprop`; this module runs it from the command line and
turns the measurements (as the dicts stored in the JSON file, so ``--from-json`` can redraw
the tables and the plot of an earlier run without measuring again) into text.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence

import numpy as np

from nn.bench.backprop import (
    LABELS,
    LADDERS,
    ROUTES,
    compare_batches,
    fit_exponent,
    measure_ladder,
    network_name,
)

# LABELS and network_name, from nn.bench.backprop (the plot's too), are re-exported here.
__all__ = [
    "LABELS",
    "add_arguments",
    "exponent_rows",
    "format_report",
    "machine_info",
    "measure",
    "network_name",
    "run",
]

DEFAULTS = {"batch": 10, "budget": 5.0, "repeats": 7, "compare_batches": "10,100", "seed": 0}
#: Environment variables that set the number of BLAS threads (read when NumPy loads).
THREAD_VARIABLES = ("MKL_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
#: The step from each route to the next: the speed-up table's columns.
STEPS = ("FD -> chain rule", "-> memoized", "-> NumPy", "-> mini-batch")
#: Samples of one timing spreading more than this (max / min) get a mark in the tables.
NOISY = 2.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``nn bench backprop`` (also used by ``benchmarks/backprop.py``)."""
    parser.add_argument(
        "--ladder",
        action="append",
        choices=list(LADDERS),
        help="ladder(s) of networks to time (default: all: width, depth, seed)",
    )
    parser.add_argument(
        "--sizes",
        action="append",
        metavar="SIZES",
        help="time this network instead of the ladders, e.g. 784,30,10 (repeatable)",
    )
    parser.add_argument("--batch", type=int, default=DEFAULTS["batch"], help="mini-batch size")
    parser.add_argument(
        "--budget",
        type=float,
        default=DEFAULTS["budget"],
        metavar="SECONDS",
        help="skip a route whose predicted seconds per gradient exceed this (default 5)",
    )
    parser.add_argument(
        "--repeats", type=int, default=DEFAULTS["repeats"], help="samples per timing (median)"
    )
    parser.add_argument(
        "--compare-batches",
        default=DEFAULTS["compare_batches"],
        metavar="LIST",
        help="batch sizes for per-example loop vs mini-batch on [784, 30, 10] ('' for none)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    parser.add_argument("--plot", metavar="FILE", help="write a log-log plot of time against W")
    parser.add_argument("--json", metavar="FILE", help="write every measurement to FILE")
    parser.add_argument(
        "--from-json", metavar="FILE", help="report (and plot) a saved run instead of measuring"
    )


def _int_list(text: str, what: str) -> list[int]:
    try:
        values = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        raise ValueError(f"{what} must be integers separated by commas, got {text!r}") from None
    if any(v < 1 for v in values):
        raise ValueError(f"{what} must be positive, got {text!r}")
    return values


def machine_info() -> dict:
    """What the timings depend on: CPU, cores, Python, NumPy, and how busy the machine was."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    threads = {k: v for k, v in os.environ.items() if k in THREAD_VARIABLES}
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "thread_settings": threads,
        "load_average_start": _load(),
    }


def _load() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def _command(args: argparse.Namespace) -> str:
    threads = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k in THREAD_VARIABLES]
    parts = [*threads, "nn bench backprop"]
    for ladder in args.ladder or []:
        parts.append(f"--ladder {ladder}")
    for sizes in args.sizes or []:
        parts.append(f"--sizes {sizes}")
    for key, value in DEFAULTS.items():
        if getattr(args, key) != value:
            parts.append(f"--{key.replace('_', '-')} {getattr(args, key)!r}".replace("'", ""))
    for key in ("plot", "json"):
        if getattr(args, key):
            parts.append(f"--{key} {getattr(args, key)}")
    return " ".join(parts)


def measure(args: argparse.Namespace) -> dict:
    """Run the measurements the options ask for; the dict is what ``--json`` writes."""
    for name in ("batch", "repeats"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be at least 1, got {getattr(args, name)}")
    if not args.budget > 0:
        raise ValueError(f"--budget must be a positive number of seconds, got {args.budget}")
    if args.sizes:
        ladders = {"custom": [_int_list(s, "--sizes") for s in args.sizes]}
        if any(len(s) < 2 for s in ladders["custom"]):
            raise ValueError("--sizes needs an input and an output size, e.g. 784,30,10")
    else:
        ladders = {name: LADDERS[name] for name in (args.ladder or LADDERS)}
    compare = _int_list(args.compare_batches, "--compare-batches")
    info = machine_info()
    if not info["thread_settings"]:
        print(
            "note: NumPy may use several BLAS threads; with other jobs on the machine a matrix "
            "product can then stall. OPENBLAS_NUM_THREADS=1 nn bench backprop gives steadier "
            "timings, each route on one core.",
            file=sys.stderr,
        )
    start = time.perf_counter()
    history: dict = {}
    rows = []
    for name, networks in ladders.items():
        print(f"timing the {name} ladder ...", file=sys.stderr)
        rows += measure_ladder(
            name,
            sorted(networks, key=lambda s: (len(s), sum(s))),
            batch=args.batch,
            budget=args.budget,
            repeats=args.repeats,
            seed=args.seed,
            history=history,
            progress=lambda line: print(line, file=sys.stderr),
        )
    comparisons = compare_batches(compare, repeats=3 * args.repeats, seed=args.seed)
    info["load_average_end"] = _load()
    info["seconds_total"] = round(time.perf_counter() - start, 1)
    return {
        "command": _command(args),
        "machine": info,
        "settings": {k: getattr(args, k) for k in DEFAULTS},
        "measurements": [row.to_dict() for row in rows],
        "comparisons": [c.to_dict() for c in comparisons],
    }


def _seconds(t: float | None) -> str:
    if t is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale or unit == "µs":
            value = t / scale
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:,.0f} {unit}"
    raise AssertionError("unreachable")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table, its columns padded so it reads in a terminal too."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return [line(header), "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|"] + [
        line(r) for r in rows
    ]


def _networks(rows: Sequence[dict], ladder: str) -> list[tuple[list[int], dict[str, dict]]]:
    out: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        if row["ladder"] == ladder:
            out.setdefault(tuple(row["sizes"]), {})[row["route"]] = row
    return [(list(sizes), by_route) for sizes, by_route in out.items()]


def exponent_rows(rows: Sequence[dict]) -> list[dict]:
    """Per route: growth exponent with W on the width ladder, time factor per added layer."""
    out = []
    for route in ROUTES:
        width = [r for r in rows if r["route"] == route.name and r["ladder"] == "width"]
        width = [r for r in width if r["seconds"] is not None]
        depth = [r for r in rows if r["route"] == route.name and r["ladder"] == "depth"]
        depth = [r for r in depth if r["seconds"] is not None]
        entry: dict = {"route": route.name, "exponent": None, "exponent_top": None}
        if len({r["weights"] for r in width}) >= 2:
            entry["exponent"] = fit_exponent(
                [r["weights"] for r in width], [r["seconds"] for r in width]
            )
            top = sorted(width, key=lambda r: r["weights"])[-4:]
            entry["exponent_top"] = fit_exponent(
                [r["weights"] for r in top], [r["seconds"] for r in top]
            )
            entry["weights_range"] = [
                min(r["weights"] for r in width),
                max(r["weights"] for r in width),
            ]
        if len({r["weights"] for r in depth}) >= 2:
            weights = [r["weights"] for r in depth]
            entry["exponent_depth"] = fit_exponent(weights, [r["seconds"] for r in depth])
            # time ~ c * f^depth: least squares of log t against the number of layers
            layers = np.array([len(r["sizes"]) - 1 for r in depth], dtype=float)
            slope = np.polyfit(layers, np.log([r["seconds"] for r in depth]), 1)[0]
            entry["per_layer"] = float(np.exp(slope))
            entry["layers_range"] = [int(layers.min()), int(layers.max())]
        out.append(entry)
    return out


def format_report(result: dict) -> str:
    """Tables of seconds per gradient, speed-ups, fitted growth and the batch comparison."""
    rows = result["measurements"]
    lines = _header(result)
    for ladder in dict.fromkeys(r["ladder"] for r in rows):
        nets = _networks(rows, ladder)
        lines += _seconds_table(ladder, nets)
        lines += _speedup_table(ladder, nets)
    lines += _growth_table(rows)
    lines += _comparison_table(result["comparisons"])
    lines += _noise_note(result)
    return "\n".join(lines)


def _header(result: dict) -> list[str]:
    """Where and how the run was made, and what the tables' cells mean."""
    m, s = result["machine"], result["settings"]
    threads = ", ".join(f"{k}={v}" for k, v in m["thread_settings"].items()) or "NumPy's default"
    return [
        f"`{result['command']}` on {m['cpu']} ({m['cores']} cores), Python {m['python']}, "
        f"NumPy {m['numpy']}, BLAS threads: {threads}; "
        f"load average {m['load_average_start']} at the start and "
        f"{m['load_average_end']} at the end (other jobs share this machine: compare ratios "
        f"within one run); {m['seconds_total']} s in all.",
        "",
        f"Seconds per gradient of a mini-batch of {s['batch']} (median of up to {s['repeats']} "
        f'samples; "skip (~t)": predicted t is over the {s["budget"]:g} s budget, not run).',
    ]


def _seconds_table(ladder: str, nets: list[tuple[list[int], dict[str, dict]]]) -> list[str]:
    """One row per network of the ladder: W and each route's seconds per gradient."""
    body = []
    for sizes, by in nets:
        cells = [network_name(sizes), f"{by[ROUTES[0].name]['weights']:,}"]
        for route in ROUTES:
            row = by.get(route.name)
            if row is None:
                cells.append("")
            elif row["seconds"] is None:
                cells.append(f"skip (~{_seconds(row['predicted_seconds'])})")
            else:
                cells.append(_seconds(row["seconds"]) + ("*" if _noisy(row["samples"]) else ""))
        body.append(cells)
    header = ["network", "W", *(LABELS[r.name] for r in ROUTES)]
    return ["", f"**{ladder}** ladder, seconds per gradient:", "", *_table(header, body)]


def _speedup_table(ladder: str, nets: list[tuple[list[int], dict[str, dict]]]) -> list[str]:
    """One row per network of the ladder: each route's speed-up over the route before it."""
    body = []
    for sizes, by in nets:
        t = [by[r.name]["seconds"] if r.name in by else None for r in ROUTES]
        ratios = [t[i] / t[i + 1] if t[i] and t[i + 1] else None for i in range(len(t) - 1)]
        total = t[0] / t[-1] if t[0] and t[-1] else None
        cells = [f"{x:,.3g}x" if x is not None and x < 1000 else "-" for x in ratios]
        cells = [f"{x:,.0f}x" if x is not None and x >= 1000 else c for x, c in zip(ratios, cells)]
        body.append([network_name(sizes), *cells, f"{total:,.0f}x" if total else "-"])
    title = "how many times faster each route is than the one before it (FD: finite differences)"
    header = ["network", *STEPS, "FD -> mini-batch"]
    return ["", f"**{ladder}** ladder, speed-up: {title}:", "", *_table(header, body)]


def _growth_table(rows: Sequence[dict]) -> list[str]:
    """Per route, the fitted exponents of :func:`exponent_rows` ([] if none was fitted)."""
    exps = exponent_rows(rows)
    if not any(e["exponent"] is not None or "per_layer" in e for e in exps):
        return []
    body = []
    for e in exps:
        p = "-" if e["exponent"] is None else f"{e['exponent']:.2f}"
        top = "-" if e["exponent_top"] is None else f"{e['exponent_top']:.2f}"
        span = "{:,} .. {:,}".format(*e["weights_range"]) if "weights_range" in e else "-"
        per = f"{e['per_layer']:.2f}x" if "per_layer" in e else "-"
        deep = f"{e['exponent_depth']:.2f}" if "exponent_depth" in e else "-"
        body.append([LABELS[e["route"]], p, top, span, deep, per])
    header = ["route", "p", "p, largest 4", "W measured", "p, depth", "x per layer"]
    return [
        "",
        "Growth: p in time ~ W^p, fitted by least squares on log t against log W over the "
        "width ladder (all of it, and its largest 4 measured networks) and over the depth "
        "ladder; and the factor by which each added layer multiplies the time (depth ladder):",
        "",
        *_table(header, body),
    ]


def _comparison_table(comparisons: Sequence[dict]) -> list[str]:
    """Per batch size, per-example loop against mini-batch matrices ([] if none)."""
    if not comparisons:
        return []
    body = [
        [
            c["batch"],
            _seconds(c["per_example_seconds"]) + ("*" if _noisy(c["per_example_samples"]) else ""),
            _seconds(c["matrix_seconds"]) + ("*" if _noisy(c["matrix_samples"]) else ""),
            f"{c['speedup']:.2f}x",
        ]
        for c in comparisons
    ]
    return [
        "",
        f"Per-example loop against mini-batch matrices, NumPy, on "
        f"{network_name(comparisons[0]['sizes'])} (median of the samples, taken in turn):",
        "",
        *_table(["batch", "per-example loop", "mini-batch matrix", "speed-up"], body),
    ]


def _noise_note(result: dict) -> list[str]:
    """What the mark on a noisy timing means, if any timing got one."""
    timings = [r["samples"] for r in result["measurements"] if r["seconds"] is not None]
    timings += [
        c[k] for c in result["comparisons"] for k in ("per_example_samples", "matrix_samples")
    ]
    if not any(_noisy(samples) for samples in timings):
        return []
    return [
        "",
        f"*: its samples spread over more than {NOISY:g}x (slowest / fastest): other jobs were "
        "competing for the CPU; treat it with care, or run again.",
    ]


def _noisy(samples: Sequence[float]) -> bool:
    return len(samples) >= 3 and max(samples) > NOISY * min(samples)


def run(args: argparse.Namespace) -> int:
    """``nn bench backprop``: measure (or load), print the report, write the plot and JSON."""
    if args.from_json:
        with open(args.from_json) as f:
            result = json.load(f)
    else:
        result = measure(args)
    print(format_report(result))
    if args.json and not args.from_json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
        print(f"\nmeasurements written to {args.json}")
    if args.plot:
        from nn.bench.plot import plot  # matplotlib, imported only when asked for

        plot(result, args.plot)
        print(f"plot written to {args.plot}")
    return 0
