"""Finite differences of the loss, entry by entry: the default reference of the gradient check.

For a parameter ``w`` the centered difference ``(C(w + eps) - C(w - eps)) / (2 eps)`` has
error of order ``eps^2`` (``order=2``), against ``eps`` for the one-sided difference. The
default ``order=4`` adds two more points,
``(-C(w + 2 eps) + 8 C(w + eps) - 8 C(w - eps) + C(w - 2 eps)) / (12 eps)``, whose error is of
order ``eps^4``: with ``eps = 1e-3`` it is about 1e-12 and round-off about ``1e-16 / eps``,
so relative errors of 1e-9 become visible where the two-point difference stalls near 1e-7.
The check runs on a float64 copy of the network whatever its own dtype, since in float32
round-off alone (about ``1e-7 / eps``) would swamp the comparison. As in CS231n, the relative error
``|analytic - numeric| / max(|analytic| + |numeric|, 1e-8)`` of about 1e-7 or less means
the gradient is right; 1e-2 or more means a bug.

A relative error over the tolerance is not proof of a bug: where the gradient is tiny (a
saturated sigmoid passes back almost nothing) the finite difference's own round-off can be as
large as the gradient, and a kink (ReLU at 0) between ``w - 2 eps`` and ``w + 2 eps`` makes it
wrong by the size of the gradient. Neither can be predicted well from the loss alone (round-off
happens in whatever quantities the loss is computed from), so each such entry is measured
again with the steps ``eps / 3`` and ``eps / 10``. The entry is a *mismatch* only when
backprop is off by more than ``DISAGREEMENT_MARGIN`` times what the two least noisy of them,
at ``eps`` and ``eps / 3``, disagree by there (the one at ``eps / 10`` has 10 times the
round-off of the one at ``eps``, so comparing with it would hide bugs the one at ``eps`` can
see), and by more than a floor, the round-off ``float64 eps * |C| * sum|weights| /
(denominator * eps)`` of a loss computed at its own scale (so that finite differences which
are all exactly 0 cannot condemn a 1e-20 gradient; it comes out about 10 times the round-off
actually seen). Otherwise it is *unresolved*: the finite differences cannot tell there, and
:meth:`GradCheckReport.verdict` says whether a kink (the step ``eps`` is the odd one out, in a
network with ReLUs), truncation (the same, without kinks) or round-off (the smaller steps
scatter most) is the likely reason. A wrong derivative errs by about the size of the gradient
and is caught wherever the finite differences agree with themselves.

Each re-measured entry costs ``2 * order`` forward passes, against the ``order * entries``
already spent on the first pass, so the default cap, ``max(RECHECK_LIMIT, RECHECK_FRACTION *
entries)`` entries, adds at most about 10% to a large check (a ReLU kink at one hidden unit
touches that unit's whole column of weights, hundreds of entries in a [784, 30, 10] network).

A gradient or finite difference that is inf or NaN is a mismatch whatever its size (no
comparison with NaN is ever true, so it would otherwise pass).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nn.check.backprop_pass import Replay, quiet
from nn.check.report import RECHECK_STEPS, GradCheckRow

if TYPE_CHECKING:
    from nn.core.layer import Layer
    from nn.core.network import Network

__all__ = [
    "STENCILS",
    "BatchLoss",
    "Measured",
    "Stencil",
    "measure_again",
    "measure_every_tensor",
    "measure_tensor",
]


class Stencil(NamedTuple):
    """A finite difference: ``sum(weights[i] * C(w + offsets[i] * eps)) / (denominator * eps)``."""

    offsets: tuple[int, ...]  # in units of eps
    weights: tuple[float, ...]
    denominator: float  # in units of eps

    def round_off(self, scale: float, eps: float) -> float:
        """Round-off of one finite difference of quantities of size ``scale`` in float64."""
        eps_64 = np.finfo(np.float64).eps
        return float(eps_64 * scale * sum(abs(w) for w in self.weights) / (self.denominator * eps))


#: The stencil of each order.
STENCILS = {
    2: Stencil(offsets=(1, -1), weights=(1.0, -1.0), denominator=2.0),
    4: Stencil(offsets=(2, 1, -1, -2), weights=(-1.0, 8.0, -8.0, 1.0), denominator=12.0),
}


@dataclass
class BatchLoss:
    """The network's loss on one batch as a function of its weights, and its slopes."""

    net: Network
    X: np.ndarray  # (batch, n_in)
    T: np.ndarray  # (batch, n_out)
    replay: Replay
    stencil: Stencil

    def value(self) -> float:
        self.replay.rewind()
        return self.net.loss.value(self.net.forward(self.X, training=True), self.T)

    def slope(self, flat: np.ndarray, j: int, step: float) -> float:
        """The finite difference along entry ``j`` of ``flat``, a view of a parameter."""
        old = flat[j]
        total = 0.0
        with quiet():
            for k, w in zip(self.stencil.offsets, self.stencil.weights):
                flat[j] = old + k * step
                total += w * self.value()
        flat[j] = old
        return total / (self.stencil.denominator * step)


@dataclass
class Measured:
    """What is measured for one parameter tensor, one entry per checked entry of it."""

    key: str  # "0.W": layer index and parameter name
    layer: str  # the layer's class name
    shape: tuple[int, ...]
    flat: np.ndarray  # a view of the parameter: nudging flat[j] nudges it
    entries: np.ndarray  # (checked,) indices into flat
    numeric: np.ndarray  # (checked,) finite differences at eps
    abs_errors: np.ndarray  # (checked,)
    rel_errors: np.ndarray  # (checked,)
    nonfinite_grads: int  # entries of the whole gradient tensor that are inf or NaN
    # filled in by measure_again: |fd(eps) - fd(eps/3)| (NaN where not re-measured), and
    # whether the step eps is the odd one out
    spreads: np.ndarray = field(init=False)
    large_step_off: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.spreads = np.full(self.checked, np.nan)
        self.large_step_off = np.zeros(self.checked, bool)

    @property
    def checked(self) -> int:
        return len(self.entries)

    def row(self) -> GradCheckRow:
        return GradCheckRow(
            key=self.key,
            layer=self.layer,
            shape=self.shape,
            checked=self.checked,
            max_rel_error=float(self.rel_errors.max(initial=0.0)),  # NaN if any is
            max_abs_error=float(self.abs_errors.max(initial=0.0)),
            rel_errors=self.rel_errors,
            abs_errors=self.abs_errors,
            spreads=self.spreads,
            large_step_off=self.large_step_off,
            nonfinite_grads=self.nonfinite_grads,
            nonfinite_fds=int(np.count_nonzero(~np.isfinite(self.numeric))),
        )


def measure_every_tensor(
    loss: BatchLoss, eps: float, max_entries: int | None, rng: np.random.Generator
) -> list[Measured]:
    """Finite differences at ``eps`` of every parameter tensor, against backprop's grads."""
    measured = []
    for i, layer in enumerate(loss.net.layers):
        for name, param in layer.params.items():
            entries = np.arange(param.size)
            if max_entries is not None and param.size > max_entries:
                entries = rng.choice(param.size, size=max_entries, replace=False)
            measured.append(measure_tensor(loss, f"{i}.{name}", layer, name, entries, eps))
    return measured


def measure_tensor(
    loss: BatchLoss, key: str, layer: Layer, name: str, entries: np.ndarray, eps: float
) -> Measured:
    """The finite differences of one tensor at ``entries``, and backprop's errors there."""
    param = layer.params[name]
    flat = param.reshape(-1)  # a view: nudging flat[j] nudges the parameter
    numeric = np.array([loss.slope(flat, j, eps) for j in entries], dtype=np.float64)
    grad = layer.grads[name]
    analytic = grad.reshape(-1)[entries]
    with quiet():  # inf - inf: NaN, flagged as not finite by the report
        abs_errors = np.abs(analytic - numeric)
        rel_errors = abs_errors / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
    return Measured(
        key=key,
        layer=type(layer).__name__,
        shape=tuple(param.shape),
        flat=flat,
        entries=entries,
        numeric=numeric,
        abs_errors=abs_errors,
        rel_errors=rel_errors,
        nonfinite_grads=int(np.count_nonzero(~np.isfinite(grad))),
    )


class _Entry(NamedTuple):
    """One checked entry: the ``n``-th of those measured in ``tensor``."""

    tensor: Measured
    n: int


def measure_again(
    loss: BatchLoss,
    tensors: list[Measured],
    *,
    eps: float,
    tol: float,
    round_off: float,
    limit: int,
) -> None:
    """Measure the entries over ``tol`` that could still be shown wrong at eps/3 and eps/10.

    At most ``limit`` of them, the largest absolute errors first (NaN errors fail both
    comparisons: they are mismatches already). Fills in ``spreads`` and ``large_step_off``.
    """
    over = [
        _Entry(t, n)
        for t in tensors
        for n in np.flatnonzero((t.rel_errors > tol) & (t.abs_errors > round_off))
    ]
    # a stable sort: equal errors keep the order of the tensors and of their entries
    over.sort(key=lambda entry: -float(entry.tensor.abs_errors[entry.n]))
    for entry in over[:limit]:
        t, n = entry.tensor, entry.n
        third, tenth = (loss.slope(t.flat, t.entries[n], eps * f) for f in RECHECK_STEPS)
        t.spreads[n] = abs(t.numeric[n] - third)
        t.large_step_off[n] = abs(t.numeric[n] - third) > abs(third - tenth)
