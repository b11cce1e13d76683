"""Timing routes fairly on a shared machine, and the batches they are timed on.

:func:`time_routes` samples several calls in turn (so load from other jobs lands on all of
them alike) with the garbage collector off, as :mod:`timeit` does; callers report medians.
Both :mod:`nn.bench.backprop` and :mod:`nn.bench.predict` time with it.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["SLOW_CALL", "sample_count", "random_batch", "time_routes"]


def random_batch(sizes: Sequence[int], batch: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs in [0, 1) like pixels, and one-hot targets: ``(batch, n_in)``, ``(batch, n_out)``."""
    rng = np.random.default_rng(seed)
    X = rng.random((batch, sizes[0]))
    T = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=batch)]
    return X, T


#: A call slower than this (seconds) is sampled at most 3 times, its first run counting as one.
SLOW_CALL = 0.1


def sample_count(seconds_per_call: float | None, repeats: int) -> int:
    """Samples :func:`time_routes` takes of a call lasting ``seconds_per_call`` (None: unknown).

    ``repeats``, or at most 3 for a call slower than ``SLOW_CALL``. The one rule both for
    taking the samples and for announcing, before timing, how many will be taken.
    """
    if seconds_per_call is None or seconds_per_call < SLOW_CALL:
        return repeats
    return min(repeats, 3)


def time_routes(
    calls: dict[str, Callable[[], object]], *, repeats: int, min_sample: float = 0.005
) -> dict[str, tuple[list[float], int]]:
    """Median-ready timings of several calls, sampled in turn.

    Parameters
    ----------
    calls : dict of name -> call with no arguments
    repeats : int
        Samples per call; calls slower than 0.1 s get at most 3, their first run counting
        as one.
    min_sample : float
        Seconds a sample should last at least: fast calls are repeated within a sample.

    Returns
    -------
    dict of name -> (seconds per call in each sample, calls per sample)
    """
    plan, first_times = {}, {}
    for name, fn in calls.items():
        start = time.perf_counter()
        fn()  # warm-up, and a first estimate of the time per call
        first = first_times[name] = time.perf_counter() - start
        number = max(1, math.ceil(min_sample / max(first, 1e-9)))
        plan[name] = (fn, number, sample_count(first, repeats))
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for name, (_, number, _) in plan.items():
        if number == 1 and first_times[name] >= SLOW_CALL:
            # A pure-Python call this slow has nothing to warm up: its first run is a sample.
            samples[name].append(first_times[name])
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as timeit does: a collection would land on whichever route is running
    try:
        for _ in range(max((n for _, _, n in plan.values()), default=0)):
            for name, (fn, number, n_samples) in plan.items():
                if len(samples[name]) >= n_samples:
                    continue
                start = time.perf_counter()
                for _ in range(number):
                    fn()
                samples[name].append((time.perf_counter() - start) / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: (samples[name], plan[name][1]) for name in calls}
