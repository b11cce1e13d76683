"""What fit's bookkeeping costs per step, next to the bare training loop.

The bare loop is the README's "training loop, written out": shuffle, forward, loss,
backward, SGD step, nothing else. ``fit`` adds the safeguards (a finite-loss check per
step, a weight check and snapshot every couple of seconds, Ctrl-C deferral), the running
accuracy and the history. Both run in one process, alternated, and the medians of the
repeats are reported, so machine noise hits both alike.

    python benchmarks/fit_overhead.py            # all three figures, 7 repeats
    python benchmarks/fit_overhead.py 3          # the same with 3 repeats
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import timeit

import numpy as np

import nn


def bare(net: nn.Network, X: np.ndarray, T: np.ndarray, epochs: int, bs: int, lr: float) -> None:
    opt = nn.SGD(lr)
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for i in range(0, len(X), bs):
            idx = order[i : i + bs]
            a = net.forward(X[idx], training=True)
            net.loss.value(a, T[idx])
            net.backward(net.loss.gradient(a, T[idx]))
            opt.step(net.parameters())


def case(
    name: str,
    sizes: list[int],
    X: np.ndarray,
    y: np.ndarray,
    epochs: int,
    bs: int,
    lr: float,
    repeats: int,
) -> None:
    n_out = sizes[-1]
    T = np.eye(n_out, dtype=np.float32)[y] if n_out > 1 else y.reshape(-1, 1).astype(np.float32)
    X = X.astype(np.float32)
    steps = epochs * -(-len(X) // bs)
    t_bare, t_fit = [], []
    for _ in range(repeats):
        net = nn.mlp(sizes, seed=0)
        t0 = time.perf_counter()
        bare(net, X, T, epochs, bs, lr)
        t_bare.append(time.perf_counter() - t0)
        net = nn.mlp(sizes, seed=0)
        t0 = time.perf_counter()
        net.fit(X, y, epochs=epochs, batch_size=bs, lr=lr, seed=0, verbose=False)
        t_fit.append(time.perf_counter() - t0)
    b, f = statistics.median(t_bare), statistics.median(t_fit)
    print(
        f"{name}: {steps} steps; bare loop {b / steps * 1e6:.1f} us/step, fit "
        f"{f / steps * 1e6:.1f} us/step, ratio fit/bare {f / b:.3f} (medians of {repeats})"
    )


def bookkeeping(repeats: int) -> None:
    """The per-step calls fit makes besides the arithmetic, timed alone (no BLAS noise)."""
    from nn.train.safeguards import TrainingRun

    X, T = np.zeros((100, 3), np.float32), np.zeros((100, 2), np.float32)
    net = nn.mlp([3, 2], seed=0)
    run = TrainingRun(
        net, nn.SGD(1.0), X, T, None, batch_size=10, seed=0, checkpoint=None, every=None,
        resume_from=None,
    )  # fmt: skip
    run._next_snapshot = 10**12  # time the common step, not the periodic weight check
    loss = 0.5

    def step() -> None:  # what the loop (nn.train.loop) does per step around the arithmetic
        if not math.isfinite(loss):
            raise RuntimeError
        run.updating = True
        run.step_done(loss, 10, 3)
        if run.stop_requested:
            raise KeyboardInterrupt

    number = 100_000
    best = min(timeit.repeat(step, number=number, repeat=repeats)) / number
    print(f"safeguard bookkeeping per step: {best * 1e6:.3f} us (best of {repeats})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "repeats",
        nargs="?",
        type=int,
        default=7,
        help="timed repeats of each figure, alternated; the medians are reported (default 7)",
    )
    repeats = parser.parse_args(argv).repeats
    if repeats < 1:
        parser.error(f"repeats must be at least 1, got {repeats}")
    bookkeeping(repeats)
    (X, y), _ = nn.datasets.digits()
    case("digits [784,30,10], batch 10, 1 epoch", [784, 30, 10], X, y, 1, 10, 3.0, repeats)
    Xx, yx = nn.datasets.xor()
    case("xor [2,3,1], batch 4, 2000 epochs of 1 step", [2, 3, 1], Xx, yx, 2000, 4, 3.0, repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
