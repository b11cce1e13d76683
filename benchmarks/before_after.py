"""Time ``Network.fit`` of two versions of nn, alternating, to measure what a change bought.

Usage::

    git worktree add /tmp/nn-before <commit>          # or: git archive <commit> src | tar -x
    python benchmarks/before_after.py --before /tmp/nn-before/src --after src

Each round starts one process per version (``PYTHONPATH`` set to that version's ``src``),
alternating before/after, so both see the same state of a shared machine; each process
trains one configuration of ``configs.py`` for ``--epochs`` timed epochs after a short
warm-up and reports their median. The table gives the median over the rounds and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

CHILD = """
import sys, time, statistics
sys.path.insert(0, {here!r})
import numpy as np, nn
from configs import CONFIGS
cfg = CONFIGS[{config!r}]
(X, y), _ = nn.datasets.fashion_mnist()
net = nn.mlp(cfg.sizes, cfg.activation, cfg.loss, seed=0)
rng = np.random.default_rng(0)
kw = dict(epochs=1, batch_size=cfg.batch_size, lr=cfg.lr, seed=rng, verbose=False)
net.fit(X[:2000], y[:2000], **kw)
times = []
for _ in range({epochs}):
    start = time.perf_counter()
    net.fit(X, y, **kw)
    times.append(time.perf_counter() - start)
print(statistics.median(times))
"""


def one(src: str, config: str, epochs: int) -> float:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(src))
    code = CHILD.format(here=HERE, config=config, epochs=epochs)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return float(out.stdout.decode().strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, help="the old version's src directory")
    parser.add_argument("--after", required=True, help="the new version's src directory")
    parser.add_argument("--configs", default="a,b,c")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'config':<8}{'before s/epoch':>16}{'after s/epoch':>15}{'after/before':>14}")
    for config in args.configs.split(","):
        before, after = [], []
        for _ in range(args.rounds):
            before.append(one(args.before, config, args.epochs))
            after.append(one(args.after, config, args.epochs))
        b, a = statistics.median(before), statistics.median(after)
        print(f"({config})    {b:>16.3f}{a:>15.3f}{a / b:>14.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
