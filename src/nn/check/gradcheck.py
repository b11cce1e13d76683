"""Gradient checking: backprop's gradients against centered finite differences.

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
comparison with NaN is ever true, so it would otherwise pass). A loss that is not finite at
the given weights, or a weight of inf or NaN, leaves nothing to compare:
:func:`check_gradients` refuses them.

It uses only the layer protocol (``params``, ``grads``, ``forward``, ``backward``), so it
checks a layer you wrote yourself: put it in a :class:`~nn.Network` and call
:func:`check_gradients`.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nn.check.report import (
    DISAGREEMENT_MARGIN,
    RECHECK_FRACTION,
    RECHECK_LIMIT,
    RECHECK_STEPS,
    GradCheckReport,
    GradCheckRow,
)
from nn.core.network import Network

if TYPE_CHECKING:
    from nn.core.layer import Layer

__all__ = [
    "DISAGREEMENT_MARGIN",
    "RECHECK_FRACTION",
    "RECHECK_LIMIT",
    "GradCheckReport",
    "GradCheckRow",
    "check_gradients",
]


class _Stencil(NamedTuple):
    """A finite difference: ``sum(weights[i] * C(w + offsets[i] * eps)) / (denominator * eps)``."""

    offsets: tuple[int, ...]  # in units of eps
    weights: tuple[float, ...]
    denominator: float  # in units of eps

    def round_off(self, scale: float, eps: float) -> float:
        """Round-off of one finite difference of quantities of size ``scale`` in float64."""
        eps_64 = np.finfo(np.float64).eps
        return float(eps_64 * scale * sum(abs(w) for w in self.weights) / (self.denominator * eps))


_STENCILS = {
    2: _Stencil(offsets=(1, -1), weights=(1.0, -1.0), denominator=2.0),
    4: _Stencil(offsets=(2, 1, -1, -2), weights=(-1.0, 8.0, -8.0, 1.0), denominator=12.0),
}


def check_gradients(
    network: Network,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    eps: float | None = None,
    order: int = 4,
    max_entries: int | None = None,
    seed: int | np.random.Generator | None = 0,
    tol: float = 1e-6,
    recheck: int | None = None,
) -> GradCheckReport:
    """Compare ``network.gradients`` with centered finite differences, tensor by tensor.

    Parameters
    ----------
    network : Network
        Left untouched: the check runs on a float64 copy.
    X : ndarray of shape (batch, n_in)
    Y : ndarray of shape (batch, n_out) or (batch,) class labels
    eps : float, optional
        The nudge given to each parameter: 1e-3 for ``order=4`` and 1e-5 for ``order=2`` by
        default (each near the best trade-off between truncation and round-off error).
    order : {4, 2}
        Accuracy order of the finite difference: 2 is the textbook centered difference.
    max_entries : int, optional
        Check at most this many randomly chosen entries per tensor (every entry by default;
        each costs ``order`` forward passes).
    seed : int or Generator, optional
        Chooses the entries when ``max_entries`` caps them.
    tol : float, default 1e-6
        Entries whose relative error is over this are measured again with the steps
        ``eps / 3`` and ``eps / 10`` (see the module docstring).
    recheck : int, optional
        Measure again at most this many entries, those with the largest absolute errors
        (each costs ``2 * order`` forward passes). By default
        ``max(RECHECK_LIMIT, ceil(RECHECK_FRACTION * entries checked))``: at most about
        ``2 * RECHECK_FRACTION`` = 10% more forward passes than the first pass took.

    Returns
    -------
    GradCheckReport
        One row per parameter tensor with its errors per entry.

    Raises
    ------
    ValueError
        If a parameter, or the network's loss on ``X``, ``Y``, is inf or NaN: there is no
        slope to compare.
    """
    eps = _checked_settings(order, eps, tol, recheck)
    net = network.copy(dtype=np.float64)
    X = net.checked_inputs(X)
    T = net.checked_targets(Y, len(X))
    _refuse_not_finite(net)
    loss = _Loss(net, X, T, _Replay(net.layers), _STENCILS[order])
    round_off = _STENCILS[order].round_off(_backprop(loss), eps)
    tensors = _measure_every_tensor(loss, eps, max_entries, np.random.default_rng(seed))
    if recheck is None:
        checked = sum(t.checked for t in tensors)
        recheck = max(RECHECK_LIMIT, math.ceil(RECHECK_FRACTION * checked))
    _measure_again(loss, tensors, eps=eps, tol=tol, round_off=round_off, limit=recheck)
    return GradCheckReport(
        rows=tuple(t.row() for t in tensors),
        eps=eps,
        order=order,
        round_off=round_off,
        tol=tol,
        recheck=recheck,
        kinks=_layers_with(net, "has_kink"),
        saturating=_layers_with(net, "saturation_range"),
        dying=_layers_with(net, "can_die"),
        dropout=_layers_with(net, "is_random"),
    )


def _checked_settings(order: int, eps: float | None, tol: float, recheck: int | None) -> float:
    """Raise on a setting the check cannot run with; return ``eps``, its default filled in."""
    if order not in _STENCILS:
        raise ValueError(f"order must be 2 or 4, got {order!r}")
    if eps is None:
        eps = 1e-3 if order == 4 else 1e-5
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    if not tol >= 0:
        raise ValueError(f"tol must be 0 or more, got {tol!r}")
    if recheck is not None and (not isinstance(recheck, int) or recheck < 1):
        raise ValueError(f"recheck must be a positive integer or None, got {recheck!r}")
    return eps


def _refuse_not_finite(net: Network, loss: float | None = None) -> None:
    """Raise if a parameter, or the loss, is inf or NaN: then there is no slope to measure."""
    bad = [
        f"{i}.{name} ({int(np.count_nonzero(~np.isfinite(p)))} of {p.size} entries)"
        for i, layer in enumerate(net.layers)
        for name, p in layer.params.items()
        if not np.isfinite(p).all()
    ]
    if bad:
        raise ValueError(
            f"check_gradients: parameters not finite: {', '.join(bad)}: the check cannot run "
            "(a nudge of eps leaves inf where it was); give them finite values"
        )
    if loss is not None and not np.isfinite(loss):
        raise ValueError(
            f"check_gradients: the network's loss at these weights is {loss}: the check cannot "
            "run (finite differences of a non-finite loss mean nothing); look for overflow in "
            "the forward pass on this batch, or outputs the loss cannot take"
        )


def _quiet() -> np.errstate:
    """Overflow and NaN are reported as entries that are not finite, not as warnings."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


class _Replay:
    """The generators of the random layers (``is_random``, e.g. dropout), rewound at will.

    Such a layer must draw the same numbers in every evaluation, or the finite differences
    would compare different functions: each generator is set back to the state saved here
    before every forward pass (of the copy only).
    """

    def __init__(self, layers: list[Layer]) -> None:
        self.generators = [layer.rng for layer in layers if getattr(layer, "is_random", False)]
        self.states = [copy.deepcopy(g.bit_generator.state) for g in self.generators]

    def rewind(self) -> None:
        for generator, state in zip(self.generators, self.states):
            generator.bit_generator.state = state


@dataclass
class _Loss:
    """The network's loss on one batch as a function of its weights, and its slopes."""

    net: Network
    X: np.ndarray  # (batch, n_in)
    T: np.ndarray  # (batch, n_out)
    replay: _Replay
    stencil: _Stencil

    def value(self) -> float:
        self.replay.rewind()
        return self.net.loss.value(self.net.forward(self.X, training=True), self.T)

    def slope(self, flat: np.ndarray, j: int, step: float) -> float:
        """The finite difference along entry ``j`` of ``flat``, a view of a parameter."""
        old = flat[j]
        total = 0.0
        with _quiet():
            for k, w in zip(self.stencil.offsets, self.stencil.weights):
                flat[j] = old + k * step
                total += w * self.value()
        flat[j] = old
        return total / (self.stencil.denominator * step)


def _backprop(loss: _Loss) -> float:
    """Backprop as ``Network.backward`` does, filling every layer's ``grads``; returns the
    scale of the round-off floor, ``|C| + sum |x . dC/dx|`` over every layer's output ``x``.

    A loss computed from ``x`` rounded to float64 is off by about ``eps_64 * |x . dC/dx|``:
    the floor is at the scale of the O(1) quantities, not of the loss (-log(a) rounds a near 1
    at 1e-16 even when the loss is 1e-8). Terms a broken backward made inf or NaN are left
    out (those entries are mismatches anyway).
    """
    net = loss.net
    loss.replay.rewind()  # the same draws as every later forward pass
    outputs = [loss.X]
    with _quiet():
        for layer in net.layers:
            outputs.append(layer.forward(outputs[-1], training=True))
        outputs = outputs[1:]
        value = net.loss.value(outputs[-1], loss.T)
        _refuse_not_finite(net, value)
        d = net.loss.gradient(outputs[-1], loss.T)
        scale = abs(value)
        for layer, x in zip(reversed(net.layers), reversed(outputs)):
            terms = np.abs(x * d)
            scale += float(terms[np.isfinite(terms)].sum())
            d = layer.backward(d)
    return scale


@dataclass
class _Measured:
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
    # filled in by _measure_again: |fd(eps) - fd(eps/3)| (NaN where not re-measured), and
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


def _measure_every_tensor(
    loss: _Loss, eps: float, max_entries: int | None, rng: np.random.Generator
) -> list[_Measured]:
    """Finite differences at ``eps`` of every parameter tensor, against backprop's grads."""
    measured = []
    for i, layer in enumerate(loss.net.layers):
        for name, param in layer.params.items():
            entries = np.arange(param.size)
            if max_entries is not None and param.size > max_entries:
                entries = rng.choice(param.size, size=max_entries, replace=False)
            measured.append(_measure_tensor(loss, f"{i}.{name}", layer, name, entries, eps))
    return measured


def _measure_tensor(
    loss: _Loss, key: str, layer: Layer, name: str, entries: np.ndarray, eps: float
) -> _Measured:
    """The finite differences of one tensor at ``entries``, and backprop's errors there."""
    param = layer.params[name]
    flat = param.reshape(-1)  # a view: nudging flat[j] nudges the parameter
    numeric = np.array([loss.slope(flat, j, eps) for j in entries], dtype=np.float64)
    grad = layer.grads[name]
    analytic = grad.reshape(-1)[entries]
    with _quiet():  # inf - inf: NaN, flagged as not finite by the report
        abs_errors = np.abs(analytic - numeric)
        rel_errors = abs_errors / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
    return _Measured(
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

    tensor: _Measured
    n: int


def _measure_again(
    loss: _Loss, tensors: list[_Measured], *, eps: float, tol: float, round_off: float, limit: int
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


def _layers_with(net: Network, trait: str) -> tuple[str, ...]:
    """Class names of the layers with ``trait``: asked of the layers, never read off names."""
    return tuple(dict.fromkeys(type(ly).__name__ for ly in net.layers if getattr(ly, trait, None)))
