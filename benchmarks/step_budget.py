"""What one training step costs, piece by piece: inside real steps, and each piece alone.

Usage::

    python benchmarks/step_budget.py --config b

cProfile (``profile_fit.py``) charges each Python function, but cannot say what a NumPy call
would cost on its own. This script runs the pieces of ``Network.train_step`` by hand, for an
epoch of shuffled mini-batches, timing each one where it runs: the gather of the mini-batch,
every layer's forward and backward, the loss, the optimizer step, the accuracy count. Then it
times each piece again **hot**: the same call on the same arrays, repeated on its own. The
two columns differ where a piece pays for what ran before it, chiefly writing arrays that the
BLAS threads on the other cores have just read or written (``shared_writes.py`` isolates
that). The matrix products alone, as ``compare.py``'s bound runs them, are timed hot too.

The pieces inside real steps add up to a step of this hand-run loop (but for the clock
readings between them, a fraction of a microsecond each); one step of
``Network.fit`` (an epoch of it over its number of steps) is printed below them, so the
difference is fit's own bookkeeping. For a network with ReLU layers it also times
``np.maximum(z, 0)`` against :func:`nn.relu`'s row of zeros, the reason for that line.
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
from nn.core.labels import class_labels, count_correct  # noqa: E402


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


def in_steps(
    net: nn.Network, X: np.ndarray, T: np.ndarray, labels: np.ndarray, bs: int, lr: float
) -> tuple[dict[str, float], dict[str, Callable[[], object]], float]:
    """One epoch of train_step's pieces by hand; mean microseconds per step of each piece.

    Also returns, per piece, a function that repeats it on the last step's arrays (for the
    hot timings), and the mean microseconds of a whole hand-run step.
    """
    opt = nn.SGD(lr)
    order = np.random.default_rng(0).permutation(len(X))
    spent: dict[str, int] = {}
    last = len(net.layers) - 1
    steps, clock = 0, time.perf_counter_ns
    start_epoch = clock()
    for i in range(0, len(X), bs):
        t = clock()
        idx = order[i : i + bs]
        xb, tb = X[idx], T[idx]
        t, t0 = clock(), t
        spent["gather X[idx], T[idx]"] = spent.get("gather X[idx], T[idx]", 0) + t - t0
        h, inputs = xb, []
        for k, layer in enumerate(net.layers):
            inputs.append(h)
            h = layer.forward(h, training=True)
            t, t0 = clock(), t
            key = f"{k} {type(layer).__name__}.forward"
            spent[key] = spent.get(key, 0) + t - t0
        loss, g = nn.losses.value_and_gradient(net.loss, h, tb)
        t, t0 = clock(), t
        spent["loss.value_and_gradient"] = spent.get("loss.value_and_gradient", 0) + t - t0
        for k in range(last, -1, -1):
            layer = net.layers[k]
            g = layer.backward(g) if k else layer.backward(g, need_dx=False)
            t, t0 = clock(), t
            key = f"{k} {type(layer).__name__}.backward"
            spent[key] = spent.get(key, 0) + t - t0
        opt.step(net.parameters())
        t, t0 = clock(), t
        spent["SGD.step"] = spent.get("SGD.step", 0) + t - t0
        count_correct(h, labels, idx)
        t, t0 = clock(), t
        spent["count_correct"] = spent.get("count_correct", 0) + t - t0
        steps += 1
    step_us = (clock() - start_epoch) / steps / 1e3
    # the hot timings use a full mini-batch (the epoch's last one may be short): the first
    # batch again, run once more untimed so every layer's cache holds it
    idx = order[:bs]
    xb, tb = X[idx], T[idx]
    h, inputs = xb, []
    for layer in net.layers:
        inputs.append(h)
        h = layer.forward(h, training=True)
    _, g = nn.losses.value_and_gradient(net.loss, h, tb)
    deltas = [g] * len(net.layers)
    for k in range(last, -1, -1):
        deltas[k] = g
        g = net.layers[k].backward(g) if k else net.layers[k].backward(g, need_dx=False)
    hot: dict[str, Callable[[], object]] = {
        "gather X[idx], T[idx]": lambda: (X[idx], T[idx]),
        "loss.value_and_gradient": lambda: net.loss.value_and_gradient(h, tb),
        "SGD.step": lambda: nn.SGD(1e-12).step(net.parameters()),  # barely moves the weights
        "count_correct": lambda: count_correct(h, labels, idx),
    }
    for k, layer in enumerate(net.layers):
        x_in, dy = inputs[k], deltas[k]
        hot[f"{k} {type(layer).__name__}.forward"] = lambda L=layer, x=x_in: L.forward(
            x, training=True
        )
        if k:
            hot[f"{k} {type(layer).__name__}.backward"] = lambda L=layer, d=dy: L.backward(d)
        else:
            hot[f"{k} {type(layer).__name__}.backward"] = lambda L=layer, d=dy: L.backward(
                d, need_dx=False
            )
    return {key: ns / steps / 1e3 for key, ns in spent.items()}, hot, step_us


def products_hot(net: nn.Network, X: np.ndarray, bs: int) -> float:
    """Microseconds of a step's matrix products alone, as compare.py's bound runs them."""
    dense = [layer for layer in net.layers if isinstance(layer, nn.Dense)]
    x = np.ascontiguousarray(X[:bs])
    ins, z = [x], []
    for d in dense:
        z.append(np.empty((bs, d.n_out), np.float32))
        ins.append(np.matmul(ins[-1], d.W, out=z[-1]))
    dx = [np.empty((bs, d.n_in), np.float32) for d in dense]
    dW = [np.empty_like(d.W) for d in dense]

    def run() -> None:
        for k, d in enumerate(dense):
            np.matmul(ins[k], d.W, out=z[k])
        delta = z[-1]
        for k in range(len(dense) - 1, -1, -1):
            np.matmul(ins[k].T, delta, out=dW[k])
            if k:
                np.matmul(delta, dense[k].W.T, out=dx[k])
                delta = z[k - 1]  # same shape as dx[k]; keeps the values O(1)

    return median_us(run)


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

    Xf = np.asarray(X, dtype=np.float32)
    T = np.eye(cfg.sizes[-1], dtype=np.float32)[y]
    labels = class_labels(y, T)
    with np.errstate(over="ignore"):
        inside, hot_fns, hand_step = in_steps(net, Xf, T, labels, bs, cfg.lr)
        hot = {key: median_us(fn) for key, fn in hot_fns.items()}
    products = products_hot(net, Xf, bs)

    print(f"step_budget.py: {cfg.describe()}, microseconds per mini-batch step")
    print(f"  {'piece':<30}{'in steps':>10}{'hot':>9}{'in/hot':>8}")
    for key, us in inside.items():
        print(f"  {key:<30}{us:>10.1f}{hot[key]:>9.1f}{us / hot[key]:>8.2f}")
    total_in, total_hot = sum(inside.values()), sum(hot.values())
    print(f"  {'all pieces':<30}{total_in:>10.1f}{total_hot:>9.1f}{total_in / total_hot:>8.2f}")
    print(f"  {'a hand-run step':<30}{hand_step:>10.1f}")
    print(f"  {'one step of Network.fit':<30}{fit_step:>10.1f}")
    print(f"  {'the products alone (bound)':<30}{'':>10}{products:>9.1f}")
    print(f"  fit / products = {fit_step / products:.2f}")
    layer_inputs = _inputs(net, Xf[:bs])
    relu_inputs = [x for x, layer in zip(layer_inputs, net.layers) if isinstance(layer, nn.ReLU)]
    if relu_inputs:
        print("\n  nn.relu's choice: max(z, 0) against a row of zeros rather than the scalar 0")
        for z in relu_inputs:
            scalar = median_us(lambda z=z: np.maximum(z, 0))
            row = median_us(lambda z=z: nn.relu(z))
            print(f"  z {z.shape}: scalar 0 {scalar:.1f} us, row of zeros {row:.1f} us")
    return 0


def _inputs(net: nn.Network, x: np.ndarray) -> list[np.ndarray]:
    """The input of every layer for the batch ``x``."""
    out = []
    for layer in net.layers:
        out.append(x)
        x = layer.forward(x)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
