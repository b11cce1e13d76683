"""Why a CNN's second core is hard to use from NumPy: split the mini-batch across two threads,
or two processes, and time it.

Usage::

    python benchmarks/split_batch.py                 # LeNet-5, batches of 64, 200 steps
    python benchmarks/split_batch.py --batch 256

Issue 15 asks for one epoch of LeNet-5 on two threads to be as fast as PyTorch's on two
threads. nn's matrix products can use a second BLAS thread, but LeNet's are small and most of
a step is elsewhere: im2col and col2im copies, pooling, ReLU, the loss; all on one core. The
obvious fix is data parallelism: each core computes the gradient of half of the mini-batch,
and the two halves' gradients, weighted by their sizes, add up to the batch's. This script
measures the forward and backward passes of LeNet-5 (no update: it is the same in every
row), every BLAS on one thread:

* **1 thread**: the whole mini-batch on one thread, as ``fit`` does;
* **2 threads**: half of it in this thread and half in a second one, gradients summed. NumPy
  lets other threads run while it computes (it releases Python's GIL), but every call starts
  and ends holding the GIL, and a step of 32 examples is mostly calls of a few microseconds:
  the two threads mostly take turns;
* **2 processes**: two processes, each doing half-batch steps on its own, with no
  communication at all. That is a bound for data parallelism with worker processes
  (gradients in shared memory, a message per step), which pays no GIL;
* **the grain of the GIL**: one elementwise multiply repeated in one thread and in two at
  once, for arrays of growing size: how long a NumPy call must last before two threads
  overlap.

Each row prints its wall-clock seconds and the speed-up over 1 thread. The figures of
docs/cnn.md come from this script.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

import nn
from nn.core.loss import value_and_gradient
from nn.models.cnn import LENET


def data(steps: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """``steps * batch`` Fashion-MNIST images as float32 (n, 1, 28, 28) and one-hot targets."""
    (X, y), _ = nn.datasets.fashion_mnist()
    X = np.ascontiguousarray(X[: steps * batch].reshape(-1, 1, 28, 28), dtype=np.float32)
    T = np.eye(10, dtype=np.float32)[y[: steps * batch]]
    return X, T


def gradients(net: nn.Network, x: np.ndarray, t: np.ndarray) -> None:
    """Forward, loss and backward: what a worker computes for its shard."""
    a = net.forward(x, training=True)
    _, da = value_and_gradient(net.loss, a, t)
    net.backward(da, need_dx=False)


def one_thread(X: np.ndarray, T: np.ndarray, batch: int) -> float:
    net = nn.cnn(LENET, seed=0)
    start = time.perf_counter()
    for i in range(0, len(X), batch):
        gradients(net, X[i : i + batch], T[i : i + batch])
    return time.perf_counter() - start


def two_threads(X: np.ndarray, T: np.ndarray, batch: int) -> float:
    net, other = nn.cnn(LENET, seed=0), nn.cnn(LENET, seed=0)
    half = batch // 2
    with ThreadPoolExecutor(1) as pool:
        start = time.perf_counter()
        for i in range(0, len(X), batch):
            x, t = X[i : i + batch], T[i : i + batch]
            job = pool.submit(gradients, other, x[half:], t[half:])
            gradients(net, x[:half], t[:half])
            job.result()
            for mine, theirs in zip(net.layers, other.layers):  # the batch's gradient
                for name, g in mine.grads.items():
                    g += theirs.grads[name]
        return time.perf_counter() - start


def _half_steps(X: np.ndarray, T: np.ndarray, batch: int, part: int) -> None:
    with threadpool_limits(1, user_api="blas"):
        net, half = nn.cnn(LENET, seed=0), batch // 2
        for i in range(0, len(X), batch):
            s = slice(i + part * half, i + (part + 1) * half)
            gradients(net, X[s], T[s])


def two_processes(X: np.ndarray, T: np.ndarray, batch: int) -> float:
    context = multiprocessing.get_context("fork")  # the children share X and T, unchanged
    procs = [context.Process(target=_half_steps, args=(X, T, batch, k)) for k in (0, 1)]
    start = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return time.perf_counter() - start


def grain() -> list[tuple[int, float, float]]:
    """(floats, microseconds per call, speed-up of two threads) for one elementwise multiply."""
    rows = []
    with ThreadPoolExecutor(1) as pool:
        for n in (1_000, 10_000, 100_000, 1_000_000):
            a = np.random.default_rng(0).random(n, dtype=np.float32)
            k = max(20, 20_000_000 // n)

            def work(a: np.ndarray = a, k: int = k) -> None:
                out = np.empty_like(a)
                for _ in range(k):
                    np.multiply(a, a, out=out)

            work()
            start = time.perf_counter()
            work()
            work()
            alone = time.perf_counter() - start
            start = time.perf_counter()
            job = pool.submit(work)
            work()
            job.result()
            rows.append((n, alone / (2 * k) * 1e6, alone / (time.perf_counter() - start)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many")
    args = parser.parse_args(argv)
    X, T = data(args.steps, args.batch)
    print(
        f"LeNet-5, {args.steps} forward and backward passes of batches of {args.batch}, "
        f"float32, BLAS on 1 thread; {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.2f}; best of {args.rounds}"
    )
    with threadpool_limits(1, user_api="blas"):
        for _ in range(5):  # warm-up: allocator, caches
            gradients(nn.cnn(LENET, seed=0), X[: args.batch], T[: args.batch])
        times = {"1 thread": [], "2 threads": [], "2 processes": []}
        for _ in range(args.rounds):  # interleaved, so that load from other jobs hits all
            times["1 thread"].append(one_thread(X, T, args.batch))
            times["2 threads"].append(two_threads(X, T, args.batch))
            times["2 processes"].append(two_processes(X, T, args.batch))
        base = min(times["1 thread"])
        for name, ts in times.items():
            print(f"  {name:<12} {min(ts):6.2f} s   speed-up {base / min(ts):.2f}x")
        print("the grain of the GIL: one np.multiply, in one thread and in two at once")
        for n, us, gain in grain():
            print(f"  {n:>9,} floats: {us:8.1f} us per call, two threads {gain:.2f}x")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
