"""Predicting a route's time on a network from its operation count and measured rates.

``nn bench backprop`` (:mod:`nn.bench.backprop`) skips a route whose predicted time is over
the budget. The prediction is the route's operation count on the new network times the
seconds per operation measured on the nearest smaller ones (:func:`predict_seconds`).
Operation counts rather than the number of weights ``W`` are used because the unmemoized
chain rule's cost depends on the depth, not on ``W`` alone; its count is exact
(:func:`nn.reference.chain_rule.recursion_calls`). A route with nothing measured yet is first
timed on a few small networks of the same depth (:func:`calibrate`, milliseconds), so even a
single large network gets a prediction before anything slow runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nn.bench.timing import random_batch, time_routes
from nn.models.mlp import mlp

if TYPE_CHECKING:
    from nn.bench.backprop import Route

__all__ = [
    "CALIBRATION_CAP",
    "CALIBRATION_ENOUGH",
    "calibrate",
    "calibration_networks",
    "predict_seconds",
]

#: Calibration stops once a measurement lasts this long (per-call costs no longer dominate,
#: so its seconds per operation hold for larger networks) ...
CALIBRATION_ENOUGH = 0.01
#: ... or once the next calibration network is predicted to take longer than this.
CALIBRATION_CAP = 0.05


def predict_seconds(history: Sequence[tuple[float, float]], cost: float) -> float | None:
    """Extrapolated seconds for a route at operation count ``cost``.

    Parameters
    ----------
    history : sequence of (cost, seconds)
        The route's measurements so far.
    cost : float
        Operation count of the network to predict.

    Returns
    -------
    float or None
        ``cost`` times the seconds per operation of the nearest measurements: the smallest
        ``seconds / cost`` among the (up to) three largest measured costs not above ``cost``
        (smallest, because load from other jobs only ever adds time). None with no
        measurement yet.

    Notes
    -----
    The growth is the operation count's: time proportional to it, which is where it tends
    as fixed per-call costs stop mattering (at small sizes time grows more slowly, so the
    prediction errs towards skipping). A slope fitted to the measured times instead would
    follow the noise: two nearby sizes timed during a burst of load can suggest growth
    like ``cost^10``.
    """
    if not history:
        return None
    points = sorted(history)
    below = [pt for pt in points if pt[0] <= cost] or points[:1]
    rate = min(seconds / c for c, seconds in below[-3:])
    return rate * cost


def calibration_networks(sizes: Sequence[int]) -> list[list[int]]:
    """Smaller networks of the same depth: every width capped at 1, 2, 4, ... below ``sizes``.

    Parameters
    ----------
    sizes : sequence of int
        ``nn.mlp`` sizes of the network to predict, inputs first.

    Returns
    -------
    list of list of int
        ``[min(s, cap) for s in sizes]`` for ``cap`` = 1, 2, 4, ..., smallest first, up to
        (not including) the first cap at which it equals ``sizes``; empty when every width
        of ``sizes`` is 1.
    """
    out, cap = [], 1
    while (smaller := [min(s, cap) for s in sizes]) != list(sizes):
        out.append(smaller)
        cap *= 2
    return out


def calibrate(
    route: Route,
    sizes: Sequence[int],
    *,
    batch: int,
    budget: float,
    history: dict[str, list[tuple[float, float]]],
    seed: int = 0,
) -> None:
    """Measure ``route`` on small networks until its time on ``sizes`` can be predicted.

    The first network (every width 1) always runs: microseconds. Each next one runs while its
    predicted time is under ``min(budget, CALIBRATION_CAP)``, until one lasts
    ``CALIBRATION_ENOUGH``. One tiny network alone would not do: there a NumPy route's time is
    all fixed per-call cost, and its seconds per operation, scaled to [784, 100, 10], would
    predict about a thousand times the real time.

    Parameters
    ----------
    route : Route
        The route to time (:data:`nn.bench.backprop.ROUTES`).
    sizes : sequence of int
        ``nn.mlp`` sizes of the network whose time is to be predicted; the calibration
        networks are :func:`calibration_networks` of it.
    batch : int
        Examples in the mini-batch whose gradient is timed.
    budget : float
        Largest predicted seconds per gradient the caller will run; no calibration network
        predicted over it (or over ``CALIBRATION_CAP``) is timed.
    history : dict of str -> list of (cost, seconds)
        Route name -> measurements so far. Updated in place: the fastest sample of each
        calibration network is appended to ``history[route.name]`` as (cost, seconds).
    seed : int
        Seeds the weights and the batch.

    Returns
    -------
    None
        The measurements go into ``history``.
    """
    points = history.setdefault(route.name, [])
    for small in calibration_networks(sizes):
        cost = route.cost(small, batch)
        predicted = predict_seconds(points, cost)
        if predicted is not None and predicted > min(budget, CALIBRATION_CAP):
            return
        network = mlp(small, dtype=np.float64, seed=seed)
        X, T = random_batch(small, batch, seed)
        samples, _ = time_routes(
            {route.name: route.make(network, X, T)}, repeats=2, min_sample=0.002
        )[route.name]
        points.append((cost, min(samples)))  # load from other jobs only ever adds time
        if min(samples) >= CALIBRATION_ENOUGH:
            return
