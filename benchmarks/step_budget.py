"""What one training step costs, piece by piece, at the shapes of a configuration.

Usage::

    python benchmarks/step_budget.py --config b

cProfile (``profile_fit.py``) charges each Python function, but a ``Dense.forward`` holds both
a matrix product and a bias addition. This script times the pieces of one mini-batch step
on their own, with the network's real arrays: the matrix products (what ``compare.py``'s
bound runs), the bias additions and column sums, the activations, the loss, the optimizer
step and the gathering of the shuffled mini-batch, each the median of several repeats, and
sets them against one step of ``Network.fit`` (an epoch's time over its number of steps).
What the pieces do not add up to is the Python around them and the bookkeeping of ``fit``.
For a network with ReLU layers it also times ``np.maximum(z, 0)`` against :func:`nn.relu`'s
row of zeros, the reason for that line.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

_THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, str(_THREADS))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from configs import CONFIGS  # noqa: E402

import nn  # noqa: E402


def median_us(fn: Callable[[], object], reps: int = 7, number: int = 0) -> float:
    """Median over ``reps`` of the mean time of ``number`` calls, in microseconds."""
    if number == 0:
        start = time.perf_counter()
        fn()
        number = max(3, int(0.02 / max(time.perf_counter() - start, 1e-7)))
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="b")
    args = parser.parse_args(argv)
    cfg = CONFIGS[args.config]
    (X, y), _ = nn.datasets.fashion_mnist()
    net = nn.mlp(cfg.sizes, cfg.activation, cfg.loss, seed=0)
    bs = cfg.batch_size
    steps = -(-len(X) // bs)
    kw = dict(batch_size=bs, lr=cfg.lr, verbose=False)
    net.fit(X[:2000], y[:2000], epochs=1, seed=0, **kw)
    start = time.perf_counter()
    net.fit(X, y, epochs=1, seed=1, **kw)
    fit_step = (time.perf_counter() - start) / steps * 1e6

    T = np.eye(cfg.sizes[-1], dtype=np.float32)[y]
    idx = np.random.default_rng(0).permutation(len(X))[:bs]
    xb, tb = X[idx], T[idx]
    a = net.forward(xb, training=True)
    d = net.loss.gradient(a, tb)
    net.backward(d)  # every layer's cache and grads now hold this batch's
    rows: list[tuple[str, str, float]] = [
        ("gather", "X[idx], T[idx]", median_us(lambda: (X[idx], T[idx])))
    ]
    inputs, deltas = [], []
    h = xb
    for layer in net.layers:
        inputs.append(h)
        h = layer.forward(h, training=True)
    g = net.loss.gradient(h, tb)
    for layer in reversed(net.layers):
        deltas.insert(0, g)
        g = layer.backward(g)
    for k, layer in enumerate(net.layers):
        x_in, dy = inputs[k], deltas[k]
        name = f"{k} {type(layer).__name__}"
        if isinstance(layer, nn.Dense):
            W, b = layer.W, layer.b
            z = x_in @ W
            rows.append(("products", f"{name}: x @ W", median_us(lambda x_in=x_in, W=W: x_in @ W)))
            rows.append(
                (
                    "products",
                    f"{name}: x.T @ dy (BP4)",
                    median_us(lambda x_in=x_in, dy=dy, dW=layer.dW: np.matmul(x_in.T, dy, out=dW)),
                )
            )
            if k > 0:
                rows.append(
                    ("products", f"{name}: dy @ W.T (BP2)", median_us(lambda dy=dy, W=W: dy @ W.T))
                )
            rows.append(
                ("elementwise", f"{name}: z += b", median_us(lambda z=z, b=b: np.add(z, b, out=z)))
            )
            rows.append(
                (
                    "elementwise",
                    f"{name}: dy.sum(0) (BP3)",
                    median_us(lambda dy=dy, layer=layer: dy.sum(axis=0, out=layer.db)),
                )
            )
        else:
            rows.append(
                (
                    "elementwise",
                    f"{name}: forward",
                    median_us(lambda layer=layer, x_in=x_in: layer.forward(x_in, training=True)),
                )
            )
            rows.append(
                (
                    "elementwise",
                    f"{name}: backward",
                    median_us(lambda layer=layer, dy=dy: layer.backward(dy)),
                )
            )
    rows.append(
        (
            "loss",
            "loss.value_and_gradient",
            median_us(lambda: net.loss.value_and_gradient(h, tb)),
        )
    )
    opt = nn.SGD(1e-12)  # a step too small to change the weights noticeably
    rows.append(("update", "SGD.step", median_us(lambda: opt.step(net.parameters()))))

    print(f"step_budget.py: {cfg.describe()}, microseconds per mini-batch step")
    print(f"  {'piece':<34}{'us':>9}{'% of fit':>10}")
    totals: dict[str, float] = {}
    for kind, label, us in rows:
        totals[kind] = totals.get(kind, 0.0) + us
        print(f"  {label:<34}{us:>9.1f}{us / fit_step * 100:>9.1f}%")
    print()
    for kind, us in totals.items():
        print(f"  {'all ' + kind:<34}{us:>9.1f}{us / fit_step * 100:>9.1f}%")
    rest = fit_step - sum(totals.values())
    print(f"  {'the rest (Python, fit bookkeeping)':<34}{rest:>9.1f}{rest / fit_step * 100:>9.1f}%")
    print(f"  {'one step of Network.fit':<34}{fit_step:>9.1f}{100:>9.1f}%")
    print(f"  fit / products = {fit_step / totals['products']:.2f}")
    relu_inputs = [x for x, layer in zip(inputs, net.layers) if isinstance(layer, nn.ReLU)]
    if relu_inputs:
        print("\n  nn.relu's choice: max(z, 0) against a row of zeros rather than the scalar 0")
        for z in relu_inputs:
            scalar = median_us(lambda z=z: np.maximum(z, 0))
            row = median_us(lambda z=z: nn.relu(z))
            print(f"  z {z.shape}: scalar 0 {scalar:.1f} us, row of zeros {row:.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
