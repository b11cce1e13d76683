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

A relative error means nothing where the gradient itself is tiny (a saturated sigmoid passes
back almost nothing): there the finite difference's own round-off, about the loss's float64
machine epsilon divided by ``eps``, can be as large as the gradient. So an entry fails only
when its relative error is over the tolerance *and* its absolute error is over
``ROUND_OFF_MARGIN`` times that round-off (``GradCheckReport.atol``), as in ``numpy.isclose``.
A wrong derivative errs by about the size of the gradient and is still caught wherever the
gradient is large enough for finite differences to see.

It uses only the layer protocol (``params``, ``grads``, ``forward``, ``backward``), so it
checks a layer you wrote yourself: put it in a :class:`~nn.Network` and call
:func:`check_gradients`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from nn.network import Network

__all__ = ["ROUND_OFF_MARGIN", "GradCheckReport", "GradCheckRow", "check_gradients"]

# order -> (offsets in units of eps, weights, denominator in units of eps)
_STENCILS = {
    2: ((1, -1), (1.0, -1.0), 2.0),
    4: ((2, 1, -1, -2), (-1.0, 8.0, -8.0, 1.0), 12.0),
}

#: Absolute errors up to this many times the estimated round-off pass whatever their relative
#: error. The estimate is within a factor of 3 of the largest error measured on correct
#: networks (the seed's [784, 30, 10] trained or not, small random ones, orders 2 and 4).
ROUND_OFF_MARGIN = 100.0


@dataclass(frozen=True)
class GradCheckRow:
    """The result for one parameter tensor."""

    key: str  # "0.W": layer index and parameter name
    layer: str  # the layer's class name
    shape: tuple[int, ...]
    checked: int  # entries compared (all of them unless max_entries capped it)
    max_rel_error: float
    max_abs_error: float
    # per checked entry, for verdicts at any tolerance: (checked,) each
    rel_errors: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False, compare=False)
    abs_errors: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False, compare=False)


@dataclass(frozen=True)
class GradCheckReport:
    """Per-tensor maximum errors of one gradient check; ``str(report)`` is a table."""

    rows: tuple[GradCheckRow, ...]
    eps: float
    order: int
    round_off: float = 0.0  # estimated round-off of one finite difference here (see module)

    @property
    def atol(self) -> float:
        """Absolute error that passes whatever the relative error: round-off with a margin."""
        return ROUND_OFF_MARGIN * self.round_off

    @property
    def max_rel_error(self) -> float:
        """The worst relative error over every checked entry, tiny gradients included."""
        return max((r.max_rel_error for r in self.rows), default=0.0)

    @property
    def max_abs_error(self) -> float:
        """The worst absolute error over every checked entry."""
        return max((r.max_abs_error for r in self.rows), default=0.0)

    def failures(self, tol: float = 1e-6) -> np.ndarray:
        """Relative errors of the entries that fail: over ``tol`` and over :attr:`atol`."""
        parts = [r.rel_errors[self.failures_in(r, tol)] for r in self.rows]
        return np.concatenate([np.zeros(0), *parts])

    def passed(self, tol: float = 1e-6) -> bool:
        """True when every entry's relative error is at most ``tol`` or its absolute error
        is within the finite differences' own round-off (:attr:`atol`)."""
        return self.failures(tol).size == 0

    def verdict(self, tol: float = 1e-6) -> str:
        """One line: ok, suspicious or MISMATCH, with the evidence and what to try."""
        head = (
            f"worst relative error {self.max_rel_error:.2e} (order {self.order}, eps={self.eps:g})"
        )
        failing = self.failures(tol)
        if failing.size and failing.max() > 1e-3:
            return f"{head}: MISMATCH: a gradient is wrong"
        if failing.size:
            # CS231n: 1e-4 to 1e-2 "usually means" trouble, unless kinks or tiny gradients
            keys = [r.key for r in self.rows if np.any(self.failures_in(r, tol))]
            tries = []  # never what this check already used
            if self.order == 2:
                tries.append("try order=4 (--order 4)")
            elif self.eps > 1e-3:
                tries.append("try a smaller eps (truncation error grows as eps^4)")
            tries.append(f"check the backward of {', '.join(keys)}")
            tries.append("a kink (ReLU at 0, a max) within eps of an input can also do this")
            return (
                f"{head}: suspicious: {_entries(failing.size)} over {tol:g} with absolute "
                f"errors over {self.atol:.1e}; " + "; ".join(tries)
            )
        tiny = sum(int(np.sum(r.rel_errors > tol)) for r in self.rows)
        if not tiny:
            return f"{head}: ok"
        return (
            f"{head}: ok ({_entries(tiny)} over {tol:g} on gradients near zero, e.g. of "
            f"saturated units, with absolute errors at most {self.max_abs_error:.2e}: within "
            f"{ROUND_OFF_MARGIN:g}x the finite differences' own round-off, {self.round_off:.1e})"
        )

    def failures_in(self, row: GradCheckRow, tol: float = 1e-6) -> np.ndarray:
        """Mask of ``row``'s entries that fail: relative error over ``tol``, absolute over atol."""
        return (row.rel_errors > tol) & (row.abs_errors > self.atol)

    def to_text(self, tol: float = 1e-6) -> str:
        """The table, one row per tensor, and the :meth:`verdict` at ``tol``."""
        lines = [
            f"{'parameter':<10} {'layer':<10} {'shape':<12} {'checked':>8} "
            f"{'max rel err':>12} {'max abs err':>12}"
        ]
        for r in self.rows:
            shape = "x".join(map(str, r.shape))
            lines.append(
                f"{r.key:<10} {r.layer:<10} {shape:<12} {r.checked:>8} "
                f"{r.max_rel_error:>12.2e} {r.max_abs_error:>12.2e}"
            )
        lines.append(self.verdict(tol))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def check_gradients(
    network: Network,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    eps: float | None = None,
    order: int = 4,
    max_entries: int | None = None,
    seed: int | np.random.Generator | None = 0,
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
        each costs two forward passes).
    seed : int or Generator, optional
        Chooses the entries when ``max_entries`` caps them.

    Returns
    -------
    GradCheckReport
        One row per parameter tensor with its maximum relative and absolute error.
    """
    if order not in _STENCILS:
        raise ValueError(f"order must be 2 or 4, got {order!r}")
    if eps is None:
        eps = 1e-3 if order == 4 else 1e-5
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    offsets, weights, scale = _STENCILS[order]
    net = network.copy(dtype=np.float64)
    X = net._inputs(X)
    T = net._targets(Y, len(X))
    # A layer that draws random numbers while training (dropout) must draw the same ones in
    # every evaluation, or the differences would compare different functions: replay each
    # such generator from one saved state before every forward pass (on the copy only).
    replay = [
        (layer.rng, copy.deepcopy(layer.rng.bit_generator.state))
        for layer in net.layers
        if isinstance(getattr(layer, "rng", None), np.random.Generator)
    ]

    def forward() -> np.ndarray:
        for gen, state in replay:
            gen.bit_generator.state = state
        return net.forward(X, training=True)

    out = forward()
    net.backward(net.loss.gradient(out, T))
    # A finite difference's round-off: each loss value is off by about machine epsilon times
    # the loss, and the stencil adds sum|weights| of them over scale * eps.
    round_off = float(
        np.finfo(np.float64).eps
        * abs(net.loss.value(out, T))
        * sum(abs(w) for w in weights)
        / (scale * eps)
    )
    rng = np.random.default_rng(seed)

    def loss() -> float:
        return net.loss.value(forward(), T)

    rows = []
    for i, layer in enumerate(net.layers):
        for name, param in layer.params.items():
            analytic = layer.grads[name].copy()
            flat = param.reshape(-1)  # a view: nudging flat[j] nudges the parameter
            idx = np.arange(flat.size)
            if max_entries is not None and flat.size > max_entries:
                idx = rng.choice(flat.size, size=max_entries, replace=False)
            numeric = np.empty(len(idx))
            for n, j in enumerate(idx):
                old = flat[j]
                total = 0.0
                for k, w in zip(offsets, weights):
                    flat[j] = old + k * eps
                    total += w * loss()
                flat[j] = old
                numeric[n] = total / (scale * eps)
            a = analytic.reshape(-1)[idx]
            abs_err = np.abs(a - numeric)
            rel_err = abs_err / np.maximum(np.abs(a) + np.abs(numeric), 1e-8)
            rows.append(
                GradCheckRow(
                    key=f"{i}.{name}",
                    layer=type(layer).__name__,
                    shape=tuple(param.shape),
                    checked=len(idx),
                    max_rel_error=float(rel_err.max(initial=0.0)),
                    max_abs_error=float(abs_err.max(initial=0.0)),
                    rel_errors=rel_err,
                    abs_errors=abs_err,
                )
            )
    return GradCheckReport(rows=tuple(rows), eps=eps, order=order, round_off=round_off)


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"
