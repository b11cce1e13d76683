"""Where the time of ``Network.fit`` goes: cProfile over one epoch on Fashion-MNIST.

Usage::

    python benchmarks/profile_fit.py --config a            # the seed's [784, 30, 10] network
    python benchmarks/profile_fit.py --config b --top 20
    python benchmarks/profile_fit.py --config c --activation sigmoid --loss squared_error

It prints the wall time of the profiled epoch, the time spent inside BLAS matrix products
(``numpy.matmul`` and the ``@`` operator both show up as ``{built-in method ...matmul}``
or inside the calling Python function) and the functions with the most time of their own
("tottime"). cProfile adds a fixed cost per Python call, so the profiled epoch is slower
than an unprofiled one; the *shares* are what to read. docs/performance.md quotes its output.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))


from configs import CONFIGS  # noqa: E402

import nn  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="a")
    parser.add_argument("--activation", help="override the configuration's activation")
    parser.add_argument("--loss", help="override the configuration's loss")
    parser.add_argument("--n", type=int, default=60000, help="training examples (default all)")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    args = parser.parse_args(argv)

    cfg = CONFIGS[args.config]
    activation = args.activation or cfg.activation
    loss = args.loss or cfg.loss
    (X, y), _ = nn.datasets.fashion_mnist()
    X, y = X[: args.n], y[: args.n]
    net = nn.mlp(cfg.sizes, activation, loss, seed=0)
    net.fit(X[:1000], y[:1000], epochs=1, batch_size=cfg.batch_size, lr=cfg.lr, verbose=False)

    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    net.fit(X, y, epochs=1, batch_size=cfg.batch_size, lr=cfg.lr, seed=0, verbose=False)
    prof.disable()
    wall = time.perf_counter() - start
    print(
        f"config {args.config}: {cfg.sizes} {activation} {loss} batch {cfg.batch_size}, "
        f"{len(X)} examples, profiled epoch {wall:.2f} s"
    )
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
