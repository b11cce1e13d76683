"""What writing the weights costs right after the BLAS threads have read them.

Usage::

    python benchmarks/shared_writes.py            # shapes of configuration (b)'s first layer
    python benchmarks/shared_writes.py --config c

An SGD step ends by writing every weight (``W -= lr * dW``), and the forward and backward
products have just read those weights on every core the BLAS uses. Writing a cache line that
another core holds means taking it away from that core first, and on some machines (the
2-vCPU virtual machines these benchmarks ran on, some of the time) that makes the write
several times slower than the same write to lines only this core has touched. NumPy's
elementwise work runs on one core, so the cost cannot be shared out; the matrix-products
bound of ``compare.py`` never writes a weight, so it never pays it.

For the largest weight matrix of the configuration, the script times (median of many) the
update ``W -= lr * dW`` and a bare write pass ``W *= 1``, each right after

* nothing (the lines are this core's alone),
* ``x @ W`` as the forward pass computes it,
* ``x @ W`` and ``x.T @ delta`` as a training step computes them,

in two child processes: one with the BLAS on one thread, one with it on every core.

``W -= lr * dW`` is the update as ``nn.SGD`` writes it (a temporary for ``lr * dW``, then the
subtraction); after ``x.T @ delta`` it also reads ``dW``, which the BLAS threads have just
written. ``W *= 1`` writes ``W`` and touches nothing else: it isolates the cost of writing
lines the other cores have read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(n_in: int, n_out: int, batch: int, reps: int) -> dict[str, dict[str, float]]:
    """Microseconds of each write after each kind of preceding work, in this process."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, n_in), dtype=np.float32)
    delta = rng.standard_normal((batch, n_out), dtype=np.float32)
    W = (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32)
    dW = np.empty_like(W)
    z = np.empty((batch, n_out), np.float32)
    lr = np.float32(1e-9)  # the weights barely move: every repetition sees the same values
    before = {
        "nothing": lambda: None,
        "x @ W": lambda: np.matmul(x, W, out=z),
        "x @ W, x.T @ delta": lambda: (np.matmul(x, W, out=z), np.matmul(x.T, delta, out=dW)),
    }
    writes = {
        "W -= lr * dW": lambda: np.subtract(W, lr * dW, out=W),
        "W *= 1": lambda: np.multiply(W, 1, out=W),
    }
    np.matmul(x.T, delta, out=dW)
    out: dict[str, dict[str, float]] = {}
    for wname, write in writes.items():
        out[wname] = {}
        for bname, pre in before.items():
            times = []
            for _ in range(reps):
                pre()
                start = time.perf_counter_ns()
                write()
                times.append(time.perf_counter_ns() - start)
            out[wname][bname] = statistics.median(times) / 1e3
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="b", choices=["a", "b", "c"])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # BLAS threads, internal
    args = parser.parse_args(argv)
    sys.path.insert(0, HERE)
    from configs import CONFIGS

    cfg = CONFIGS[args.config]
    pairs = list(zip(cfg.sizes[:-1], cfg.sizes[1:]))
    n_in, n_out = max(pairs, key=lambda p: p[0] * p[1])
    if args.child is not None:
        print(json.dumps(measure(n_in, n_out, cfg.batch_size, args.reps)))
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    results = {}
    for threads in sorted({1, cores or 1}):
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        cmd = [sys.executable, os.path.abspath(__file__), "--config", args.config]
        cmd += ["--reps", str(args.reps), "--child", str(threads)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        results[threads] = json.loads(proc.stdout)
    print(
        f"shared_writes.py: W of shape ({n_in}, {n_out}) float32 "
        f"({n_in * n_out * 4 / 1e6:.2f} MB), batch {cfg.batch_size}, microseconds (median)"
    )
    for threads, res in results.items():
        print(f"\nBLAS on {threads} thread{'s' if threads > 1 else ''}")
        befores = list(next(iter(res.values())))
        print(f"  {'write':<14}" + "".join(f"{'after ' + b:>26}" for b in befores))
        for wname, row in res.items():
            print(f"  {wname:<14}" + "".join(f"{row[b]:>26.1f}" for b in befores))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
