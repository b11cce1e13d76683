"""nn under load: every configuration idle, then beside a competing CPU-bound process.

Usage::

    python benchmarks/load.py                       # (a), (b), (c), all 60,000 images
    python benchmarks/load.py --quick               # 10,000 images, (a) and (b): a check
    python benchmarks/load.py --json load.json

A learner's laptop always runs something else (a browser, an editor). With NumPy's default
of one BLAS thread per core, that made an epoch of (b) take 38 s instead of 0.3 s on 2
cores (issue 14): the BLAS threads wait for each other at every product. This script
measures what the thread policy of ``nn.train.threads`` does about it.

For each configuration of ``configs.py`` it runs ``compare.py``'s contenders, interleaved
epoch by epoch, twice: first on the machine as it is ("idle"; the load average is recorded,
since other processes may run), then with ``--competitors`` CPU-bound processes started by
this script and stopped after the configuration (``conditions.Competitor``: ``python -c
"while True: pass"``, no network, no files). The contenders:

* **nn**: ``Network.fit`` as a user calls it, ``threads="auto"`` (what it chose is printed);
* **nn-1**: one BLAS thread;
* **nn-N**: the BLAS's default N threads (one per core), as ``fit`` ran before the policy;
* **pytorch**: eager PyTorch with its default threads, from the same weights.

Each has ``--time-limit`` seconds per configuration and phase; one that runs out is reported
as over its limit. The two claims checked, on every configuration: nn's median epoch under
load is within 1.5 times its idle one, and PyTorch/nn under load is above 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import compare  # noqa: E402
from conditions import Competitor, conditions, describe, load_average  # noqa: E402
from configs import CONFIGS  # noqa: E402

from nn.train.threads import blas_threads  # noqa: E402

LOAD_LIMIT = 1.5  # nn's epoch under load at most this many times its idle epoch


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every configuration idle, then loaded; the figures and the conditions of each."""
    data = compare.load_data(args.n)
    try:
        import torch  # noqa: F401  (loaded first, so the conditions name it)
    except ImportError:
        pass
    results: dict[str, Any] = {"conditions": conditions(), "configs": []}
    for name in args.names:
        cfg = CONFIGS[name]
        phases = {}
        for phase in ("idle", "loaded"):
            start = load_average()
            if phase == "idle":
                res = compare.run_config(cfg, data, args)
            else:
                with Competitor(args.competitors):
                    res = compare.run_config(cfg, data, args)
            res["load_average"] = {"start": start, "end": load_average()}
            phases[phase] = res
            print(f"({name}) {phase} done", file=sys.stderr, flush=True)
        results["configs"].append({"config": name, "describe": cfg.describe(), **phases})
    results["load_end"] = load_average()
    return results


def claims(entry: dict[str, Any]) -> dict[str, float | None]:
    """nn loaded / idle, and PyTorch / nn under load, for one configuration."""
    idle, loaded = (entry[p]["rows"] for p in ("idle", "loaded"))
    nn_idle = idle.get("nn", {}).get("seconds_per_epoch")
    nn_loaded = loaded.get("nn", {}).get("seconds_per_epoch")
    torch_loaded = loaded.get("pytorch", {}).get("seconds_per_epoch")
    out: dict[str, float | None] = {"nn loaded/idle": None, "pytorch/nn loaded": None}
    if nn_idle and nn_loaded:
        out["nn loaded/idle"] = nn_loaded / nn_idle
    if nn_loaded and torch_loaded:
        out["pytorch/nn loaded"] = torch_loaded / nn_loaded
    elif nn_loaded and "over_time_limit" in loaded.get("pytorch", {}):
        out["pytorch/nn loaded"] = float("inf")  # PyTorch did not finish within its limit
    return out


def format_results(results: dict[str, Any], args: argparse.Namespace) -> str:
    n = f"{args.n:,}" if args.n else "all 60,000"
    lines = [
        f"load.py: Fashion-MNIST ({n} training images), {args.epochs} timed epochs per "
        f"contender (median), limit {args.time_limit:g} s per contender and phase; loaded = "
        f"{args.competitors} competing CPU-bound process(es)",
        describe(results["conditions"]),
    ]
    for entry in results["configs"]:
        lines += ["", entry["describe"]]
        for phase in ("idle", "loaded"):
            la = entry[phase]["load_average"]
            lines.append(f"  {phase} (load average {la['start']} -> {la['end']})")
        lines.append(f"  {'':8} {'idle s/epoch':>13} {'loaded s/epoch':>15} {'loaded/idle':>12}")
        for name in entry["idle"]["rows"]:
            rows = [entry[p]["rows"].get(name, {}) for p in ("idle", "loaded")]
            idle, loaded = (r.get("seconds_per_epoch") for r in rows)
            ratio = f"{loaded / idle:12.2f}" if idle and loaded else f"{'':>12}"
            lines.append(f"  {name:8} {_seconds(rows[0]):>13} {_seconds(rows[1]):>15} {ratio}")
        for phase in ("idle", "loaded"):
            threads = entry[phase]["rows"].get("nn", {}).get("threads")
            if threads:
                lines.append(f"  nn {phase}: {threads}")
        for phase in ("idle", "loaded"):
            for name, r in entry[phase]["rows"].items():
                if "over_time_limit" in r:
                    lines.append(f"  {name} {phase}: {r['over_time_limit']}")
        c = claims(entry)
        entry["claims"] = c
        ok_load = c["nn loaded/idle"] is not None and c["nn loaded/idle"] <= LOAD_LIMIT
        ok_torch = c["pytorch/nn loaded"] is not None and c["pytorch/nn loaded"] > 1
        lines.append(
            f"  nn loaded/idle = {_ratio(c['nn loaded/idle'])} (at most {LOAD_LIMIT}: "
            f"{'yes' if ok_load else 'NO'}); PyTorch/nn under load = "
            f"{_ratio(c['pytorch/nn loaded'])} (above 1: {'yes' if ok_torch else 'NO'})"
        )
    lines.append(f"\nload average at the end {results['load_end']}")
    return "\n".join(lines)


def _seconds(r: dict[str, Any]) -> str:
    if r.get("seconds_per_epoch") is not None:
        return f"{r['seconds_per_epoch']:.3f}"
    return "over limit" if "over_time_limit" in r else "-"


def _ratio(x: float | None) -> str:
    if x is None:
        return "n/a"
    return "inf (PyTorch over its limit)" if x == float("inf") else f"{x:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="a,b,c", help="comma-separated, from a, b, c")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per contender")
    parser.add_argument("--n", type=int, default=None, help="training examples (default all)")
    parser.add_argument(
        "--contenders",
        default=None,
        help="comma-separated, as compare.py's (default: nn,nn-1,nn-N,pytorch with N the "
        "BLAS's default thread count)",
    )
    parser.add_argument(
        "--competitors", type=int, default=1, help="competing CPU-bound processes (default 1)"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=30.0,
        help="seconds per contender, configuration and phase (default 30)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a check, not figures: --n 10000 --configs a,b"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.n = args.n or 10_000
        args.configs = "a,b" if args.configs == "a,b,c" else args.configs
    n = blas_threads()
    names = args.contenders or f"nn,nn-1,{f'nn-{n},' if n > 1 else ''}pytorch"
    args.contenders = [c for c in names.split(",") if c]
    args.names = [c for c in args.configs.split(",") if c]
    for c in args.names:
        if c not in CONFIGS:
            parser.error(f"unknown configuration {c!r}; choose from {', '.join(CONFIGS)}")
    args.yardstick_threads, args.predict_reps = 1, 0  # as compare.py's options
    results = run(args)
    print(format_results(results, args))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
