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

It uses only the layer protocol (``params``, ``grads``, ``forward``, ``backward``), so it
checks a layer you wrote yourself: put it in a :class:`~nn.Network` and call
:func:`check_gradients`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from nn.network import Network

__all__ = ["check_gradients", "GradCheckReport", "GradCheckRow"]

# order -> (offsets in units of eps, weights, denominator in units of eps)
_STENCILS = {
    2: ((1, -1), (1.0, -1.0), 2.0),
    4: ((2, 1, -1, -2), (-1.0, 8.0, -8.0, 1.0), 12.0),
}


@dataclass(frozen=True)
class GradCheckRow:
    """The result for one parameter tensor."""

    key: str  # "0.W": layer index and parameter name
    layer: str  # the layer's class name
    shape: tuple[int, ...]
    checked: int  # entries compared (all of them unless max_entries capped it)
    max_rel_error: float
    max_abs_error: float


@dataclass(frozen=True)
class GradCheckReport:
    """Per-tensor maximum errors of one gradient check; ``str(report)`` is a table."""

    rows: tuple[GradCheckRow, ...]
    eps: float
    order: int

    @property
    def max_rel_error(self) -> float:
        """The worst relative error over every checked entry."""
        return max((r.max_rel_error for r in self.rows), default=0.0)

    def passed(self, tol: float = 1e-6) -> bool:
        """True when every relative error is at most ``tol``."""
        return self.max_rel_error <= tol

    def __str__(self) -> str:
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
        worst = self.max_rel_error
        if worst <= 1e-6:
            verdict = "ok"
        elif worst <= 1e-3:  # CS231n: 1e-4 to 1e-2 "usually means" trouble unless kinks/tiny grads
            verdict = "suspicious: look at entries with tiny gradients (max abs err), try order=4"
        else:
            verdict = "MISMATCH: a gradient is wrong"
        lines.append(
            f"worst relative error {self.max_rel_error:.2e} "
            f"(order {self.order}, eps={self.eps:g}): {verdict}"
        )
        return "\n".join(lines)


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

    net.backward(net.loss.gradient(forward(), T))
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
                )
            )
    return GradCheckReport(rows=tuple(rows), eps=eps, order=order)
