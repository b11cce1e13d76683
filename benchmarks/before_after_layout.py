"""Training speed of two installs of nn, interleaved in one run (issue 12: the layout move).

Each round times one epoch of configs (a), (b) and (c) of ``benchmarks/configs.py`` on the
embedded digits (8,000 examples) in a fresh process of each Python in turn, so both see the
same machine; the report gives medians per install and the median of the per-round ratios.

    python benchmarks/before_after_layout.py --before /path/to/old/venv/bin/python \\
        --after /path/to/new/venv/bin/python --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

# One epoch of one config, timed inside the child (start-up and data loading excluded).
CHILD = """
import sys, time
import numpy as np
import nn
sys.path.insert(0, {bench!r})
from configs import CONFIGS
cfg = CONFIGS[{name!r}]
(X, y), _ = nn.datasets.digits()
net = nn.mlp(list(cfg.sizes), cfg.activation, cfg.loss, seed=0)
net.fit(X[:500], y[:500], epochs=1, batch_size=cfg.batch_size, lr=cfg.lr, seed=0, verbose=False)
start = time.perf_counter()
net.fit(X, y, epochs=1, batch_size=cfg.batch_size, lr=cfg.lr, seed=1, verbose=False)
print(time.perf_counter() - start)
"""


def time_epoch(python: str, name: str) -> float:
    """Seconds for one training epoch of config ``name`` under ``python``."""
    bench = str(__import__("pathlib").Path(__file__).resolve().parent)
    code = CHILD.format(bench=bench, name=name)
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="python of the old install")
    parser.add_argument("--after", default=sys.executable, help="python of the new install")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--configs", default="a,b,c")
    args = parser.parse_args(argv)
    print(f"{'config':6} {'before s':>9} {'after s':>9} {'after/before':>13}")
    for name in args.configs.split(","):
        before, after, ratios = [], [], []
        for _ in range(args.rounds):
            b = time_epoch(args.before, name)
            a = time_epoch(args.after, name)
            before.append(b)
            after.append(a)
            ratios.append(a / b)
        print(
            f"({name})    {statistics.median(before):9.3f} {statistics.median(after):9.3f} "
            f"{statistics.median(ratios):13.3f}   ratios {' '.join(f'{r:.2f}' for r in ratios)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
