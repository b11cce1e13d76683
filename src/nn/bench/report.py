"""``nn bench backprop``: its options, its run, its plot and its JSON file.

The measuring is in :mod:`nn.bench.backprop`; this module runs it from the command line and
prints the tables of :mod:`nn.bench.tables` from the measurements (as the dicts stored in the
JSON file, so ``--from-json`` can redraw the tables and the plot of an earlier run without
measuring again).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time

import numpy as np

from nn.bench.backprop import (
    LABELS,
    LADDERS,
    ROUTES,
    compare_batches,
    measure_ladder,
    network_name,
)
from nn.bench.tables import exponent_rows, format_report

# LABELS and network_name, from nn.bench.backprop (the plot's too), and exponent_rows and
# format_report, from nn.bench.tables, are re-exported here.
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``nn bench backprop`` (also used by ``benchmarks/backprop.py``)."""
    parser.add_argument(
        "--ladder",
        action="append",
        choices=list(LADDERS),
        help="ladder(s) of networks to time (default: all: width, depth, seed)",
    )
    parser.add_argument(
        "--route",
        action="append",
        choices=[route.name for route in ROUTES],
        help="time only this route (repeatable; default: all: the five from finite "
        "differences to the NumPy mini-batch, and the scalar and tensor autograd engines)",
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
    for route in args.route or []:
        parts.append(f"--route {route}")
    for key, value in DEFAULTS.items():
        if getattr(args, key) != value:
            parts.append(f"--{key.replace('_', '-')} {shlex.quote(str(getattr(args, key)))}")
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
    routes = [route for route in ROUTES if not args.route or route.name in args.route]
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
            routes=routes,
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
