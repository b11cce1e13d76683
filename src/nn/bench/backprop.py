"""Timing the routes to a gradient: the measurements behind ``nn bench backprop``.

One gradient of a mini-batch is timed for every route on the networks of a *ladder*,
smallest first. Five routes, slowest first, split backprop's speed into its causes (see
:mod:`nn.reference`); two more, the scalar and the tensor autograd engines
(:mod:`nn.autograd`), measure what generality costs: each runs the same algorithm as a
hand-written route (pure-Python backprop, the NumPy mini-batch) but derives the backward
pass from the forward formulas, one graph node per operation.

Timing follows ``timeit``: ``time.perf_counter`` around enough calls to make each sample
last a few milliseconds, garbage collection off, several samples, the median kept. On one
network the routes are sampled in turn (round robin), so a burst of load from other jobs on
the machine slows them alike and the ratios between them, which are what matter, survive it.

A route is not run when its predicted time exceeds the budget: its operation count on the
network times the seconds per operation measured on smaller ones, calibrated on a few small
networks of the same depth when nothing is measured yet (:mod:`nn.bench.predict`).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from nn.autograd import engine_gradients, scalar_gradients
from nn.bench.predict import (
    CALIBRATION_CAP,
    CALIBRATION_ENOUGH,
    calibrate,
    calibration_networks,
    predict_seconds,
)
from nn.bench.timing import random_batch, sample_count, time_routes
from nn.core.network import Network
from nn.models.mlp import mlp
from nn.reference import backprop, chain_rule, finite_differences
from nn.reference.convert import from_network
from nn.reference.numpy_routes import matrix_gradients, per_example_gradients

# The CALIBRATION_* names, calibrate, calibration_networks and predict_seconds live in
# nn.bench.predict, time_routes in nn.bench.timing; they are re-exported here,
# where callers and tests have used them.
__all__ = [
    "CALIBRATION_CAP",
    "CALIBRATION_ENOUGH",
    "CHAIN",
    "ENGINES",
    "LABELS",
    "LADDERS",
    "ROUTES",
    "SEED_SIZES",
    "Comparison",
    "Measurement",
    "Route",
    "calibrate",
    "calibration_networks",
    "compare_batches",
    "fit_exponent",
    "measure_ladder",
    "network_name",
    "predict_seconds",
    "time_routes",
]

#: The network of the seed's ``nn.py`` and of Nielsen's ch. 1.
SEED_SIZES = (784, 30, 10)

#: Default ladders. "width": four sigmoid layers of n units on n inputs, n growing by about
#: sqrt(2) a rung, for the growth with W at a fixed depth. "depth": layers of 4 units, one
#: more each rung, for the chain rule's explosion with depth. "seed": the seed's network.
LADDERS: dict[str, list[tuple[int, ...]]] = {
    "width": [
        (n,) * 5 for n in (2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, 90, 128, 181, 256, 362, 512)
    ],
    "depth": [(4,) * (d + 1) for d in range(1, 11)],
    "seed": [SEED_SIZES],
}


@dataclass(frozen=True)
class Route:
    """One way to compute the gradient.

    ``make(network, X, T)`` prepares the inputs the route works on (outside the timing) and
    returns a call with no arguments that computes one gradient; ``cost(sizes, batch)``
    counts its operations, for predicting its time on a network not yet measured.
    ``against`` names the hand-written route an engine is compared with (None for the
    five routes of the chain, each compared with the one before it).
    """

    name: str  # key in the JSON file
    label: str  # column header in the tables
    make: Callable[[Network, np.ndarray, np.ndarray], Callable[[], object]]
    cost: Callable[[Sequence[int], int], float]
    against: str | None = None


def _pure(fn: Callable) -> Callable[[Network, np.ndarray, np.ndarray], Callable[[], object]]:
    def make(network: Network, X: np.ndarray, T: np.ndarray) -> Callable[[], object]:
        params, X_list, T_list = from_network(network), X.tolist(), T.tolist()
        return lambda: fn(params, X_list, T_list)

    return make


def _on_network(fn: Callable) -> Callable[[Network, np.ndarray, np.ndarray], Callable[[], object]]:
    def make(network: Network, X: np.ndarray, T: np.ndarray) -> Callable[[], object]:
        return lambda: fn(network, X, T)

    return make


#: The routes: the chain, slowest first, each one's speed-up reported over the route before
#: it; then the engines, each reported against the hand-written route it names.
ROUTES: tuple[Route, ...] = (
    Route(
        "finite_differences",
        "finite differences",
        _pure(finite_differences.finite_difference_gradients),
        finite_differences.multiply_adds,
    ),
    Route(
        "chain_rule",
        "chain rule, unmemoized",
        _pure(chain_rule.chain_rule_gradients),
        chain_rule.recursion_calls,
    ),
    Route(
        "backprop_python",
        "backprop, pure Python",
        _pure(backprop.backprop_gradients),
        backprop.multiply_adds,
    ),
    Route(
        "per_example_numpy",
        "per-example loop, NumPy",
        _on_network(per_example_gradients),
        backprop.multiply_adds,
    ),
    Route(
        "matrix_numpy",
        "mini-batch matrix, NumPy",
        _on_network(matrix_gradients),
        backprop.multiply_adds,
    ),
    # one Value per number and per operation: the graph of pure-Python backprop's arithmetic
    Route(
        "scalar_engine",
        "scalar engine, pure Python",
        _on_network(scalar_gradients),
        backprop.multiply_adds,
        against="backprop_python",
    ),
    # one Tensor per layer operation; it computes dC/dX too, which the matrix route skips
    Route(
        "tensor_engine",
        "tensor engine, NumPy",
        _on_network(engine_gradients),
        backprop.multiply_adds,
        against="matrix_numpy",
    ),
)
#: The five routes from finite differences to the NumPy mini-batch, and the two engines.
CHAIN = tuple(route for route in ROUTES if route.against is None)
ENGINES = tuple(route for route in ROUTES if route.against is not None)
#: Route name -> its column header (in the tables) and legend entry (in the plot).
LABELS = {route.name: route.label for route in ROUTES}


@dataclass
class Measurement:
    """Seconds per gradient of one route on one network (``seconds`` None when skipped)."""

    ladder: str
    route: str
    sizes: list[int]
    weights: int  # W: weights and biases
    batch: int
    seconds: float | None  # median over the samples
    samples: list[float] = field(default_factory=list)  # seconds per gradient, each sample
    calls_per_sample: int = 0
    predicted_seconds: float | None = None  # what the extrapolation expected
    skipped: str | None = None  # why it was not run

    def to_dict(self) -> dict:
        return asdict(self)


def n_weights(sizes: Sequence[int]) -> int:
    """Weights and biases of ``mlp(sizes)``: ``W`` in the tables."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def network_name(sizes: Sequence[int]) -> str:
    """``[784, 30, 10]``, or ``[16] x 5`` for five equal sizes."""
    if len(sizes) > 4 and len(set(sizes)) == 1:
        return f"[{sizes[0]}] x {len(sizes)}"
    return "[" + ", ".join(map(str, sizes)) + "]"


def fit_exponent(x: Sequence[float], y: Sequence[float]) -> float:
    """Slope ``p`` of the least-squares line through ``(log x, log y)``: ``y ~ x^p``.

    Raises
    ------
    ValueError
        With fewer than two distinct ``x``.
    """
    lx, ly = np.log(np.asarray(x, dtype=float)), np.log(np.asarray(y, dtype=float))
    if len(lx) < 2 or np.ptp(lx) == 0:
        raise ValueError("fitting an exponent needs at least two different sizes")
    return float(np.polyfit(lx, ly, 1)[0])


def measure_ladder(
    ladder: str,
    networks: Sequence[Sequence[int]],
    *,
    routes: Sequence[Route] = ROUTES,
    batch: int = 10,
    budget: float = 1.0,
    repeats: int = 7,
    seed: int = 0,
    history: dict[str, list[tuple[float, float]]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Measurement]:
    """Time every route on every network of a ladder, skipping those predicted over budget.

    Parameters
    ----------
    ladder : str
        Name recorded with each measurement.
    networks : sequence of sizes
        ``nn.mlp`` sizes, measured in this order (smallest first, so predictions have data).
    routes : sequence of Route
    batch : int
        Examples in the mini-batch whose gradient is timed.
    budget : float
        Largest predicted seconds per gradient a route may take.
    repeats : int
        Samples per measurement; the median is reported.
    seed : int
        Seeds the weights and the batch.
    history : dict, optional
        Route name -> measured (cost, seconds), shared between ladders and updated here.
    progress : callable, optional
        Called with a line of text after each network, and before timing a route expected to
        take more than a second in all.

    Returns
    -------
    list of Measurement
    """
    history = {} if history is None else history
    out = []
    for sizes in networks:
        sizes = [int(s) for s in sizes]
        network = mlp(sizes, dtype=np.float64, seed=seed)
        X, T = random_batch(sizes, batch, seed)
        calls, rows = {}, {}
        for route in routes:
            if not history.get(route.name):
                calibrate(route, sizes, batch=batch, budget=budget, history=history, seed=seed)
            cost = route.cost(sizes, batch)
            predicted = predict_seconds(history.get(route.name, []), cost)
            row = Measurement(ladder, route.name, sizes, n_weights(sizes), batch, None)
            row.predicted_seconds = predicted
            if predicted is not None and predicted > budget:
                row.skipped = f"predicted {predicted:.3g} s > budget {budget:g} s"
            else:
                calls[route.name] = route.make(network, X, T)
                n = sample_count(predicted, repeats)
                if progress is not None and predicted is not None and predicted * n > 1.0:
                    progress(
                        f"  {ladder} {sizes}: {route.label}, about {predicted:.3g} s a "
                        f"gradient x {n} sample{'s' * (n > 1)} ..."
                    )
            rows[route.name] = row
            out.append(row)
        for name, (samples, number) in time_routes(calls, repeats=repeats).items():
            row = rows[name]
            row.samples, row.calls_per_sample = samples, number
            row.seconds = statistics.median(samples)
            cost = next(r.cost for r in routes if r.name == name)(sizes, batch)
            history.setdefault(name, []).append((cost, row.seconds))
        if progress is not None:
            done = ", ".join(f"{rows[n].route} {rows[n].seconds:.3g} s" for n in calls)
            skipped = [r for r in rows.values() if r.skipped]
            if skipped:
                done += "; skipped " + ", ".join(
                    f"{r.route} (~{r.predicted_seconds:.3g} s)" for r in skipped
                )
            progress(f"  {ladder} {sizes}: {done}")
    return out


@dataclass
class Comparison:
    """Per-example loop against the matrix mini-batch on one network and batch size."""

    sizes: list[int]
    batch: int
    per_example_seconds: float
    matrix_seconds: float
    per_example_samples: list[float]
    matrix_samples: list[float]

    @property
    def speedup(self) -> float:
        return self.per_example_seconds / self.matrix_seconds

    def to_dict(self) -> dict:
        return {**asdict(self), "speedup": self.speedup}


def compare_batches(
    batches: Sequence[int],
    *,
    sizes: Sequence[int] = SEED_SIZES,
    repeats: int = 15,
    seed: int = 0,
) -> list[Comparison]:
    """Nielsen's "about a factor of two": the two NumPy routes on ``sizes``, per batch size."""
    out = []
    for batch in batches:
        network = mlp(list(sizes), dtype=np.float64, seed=seed)
        X, T = random_batch(sizes, batch, seed)
        timed = time_routes(
            {
                "loop": lambda net=network, X=X, T=T: per_example_gradients(net, X, T),
                "matrix": lambda net=network, X=X, T=T: matrix_gradients(net, X, T),
            },
            repeats=repeats,
        )
        (loop, _), (matrix, _) = timed["loop"], timed["matrix"]
        out.append(
            Comparison(
                list(sizes),
                batch,
                statistics.median(loop),
                statistics.median(matrix),
                loop,
                matrix,
            )
        )
    return out
