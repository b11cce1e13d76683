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
from functools import partial

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

__all__ = [
    "DISAGREEMENT_MARGIN",
    "RECHECK_FRACTION",
    "RECHECK_LIMIT",
    "GradCheckReport",
    "GradCheckRow",
    "check_gradients",
]

# order -> (offsets in units of eps, weights, denominator in units of eps)
_STENCILS = {
    2: ((1, -1), (1.0, -1.0), 2.0),
    4: ((2, 1, -1, -2), (-1.0, 8.0, -8.0, 1.0), 12.0),
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
    offsets, weights, scale = _STENCILS[order]
    net = network.copy(dtype=np.float64)
    X = net.checked_inputs(X)
    T = net.checked_targets(Y, len(X))
    _refuse_not_finite(net)
    # A layer that draws random numbers while training (dropout) must draw the same ones in
    # every evaluation, or the differences would compare different functions: replay each
    # such generator from one saved state before every forward pass (on the copy only).
    replay = [
        (layer.rng, copy.deepcopy(layer.rng.bit_generator.state))
        for layer in net.layers
        if getattr(layer, "is_random", False)
    ]

    def forward() -> np.ndarray:
        for gen, state in replay:
            gen.bit_generator.state = state
        return net.forward(X, training=True)

    # Backprop as Network.backward does, keeping each layer's output x and dC/dx on the way.
    # Overflow and NaN are reported below as entries that are not finite, not as warnings.
    quiet = partial(np.errstate, over="ignore", invalid="ignore", divide="ignore")
    for gen, state in replay:
        gen.bit_generator.state = state
    outputs = [X]
    with quiet():
        for layer in net.layers:
            outputs.append(layer.forward(outputs[-1], training=True))
        outputs = outputs[1:]
        loss = net.loss.value(outputs[-1], T)
        _refuse_not_finite(net, loss)
        d = net.loss.gradient(outputs[-1], T)
        # The floor: a loss computed from x rounded to float64 (relative error machine
        # epsilon) is off by about eps_64 * |x . dC/dx| per quantity, summed over every
        # layer's output and the loss itself; the stencil adds sum|weights| of those over
        # scale * eps. It is at the scale of the O(1) quantities, not of the loss: -log(a)
        # rounds a near 1 at 1e-16 even when the loss is 1e-8. Terms a broken backward made
        # inf or NaN are left out (those entries are mismatches anyway).
        sizes = abs(loss)
        for layer, x in zip(reversed(net.layers), reversed(outputs)):
            terms = np.abs(x * d)
            sizes += float(terms[np.isfinite(terms)].sum())
            d = layer.backward(d)
    round_off = float(
        np.finfo(np.float64).eps * sizes * sum(abs(w) for w in weights) / (scale * eps)
    )
    rng = np.random.default_rng(seed)

    def numeric(flat: np.ndarray, j: int, step: float) -> float:
        old = flat[j]
        total = 0.0
        with quiet():
            for k, w in zip(offsets, weights):
                flat[j] = old + k * step
                total += w * net.loss.value(forward(), T)
        flat[j] = old
        return total / (scale * step)

    tensors = []  # (key, layer, param, flat view, indices, numeric, abs, rel, non-finite grads)
    for i, layer in enumerate(net.layers):
        for name, param in layer.params.items():
            flat = param.reshape(-1)  # a view: nudging flat[j] nudges the parameter
            idx = np.arange(flat.size)
            if max_entries is not None and flat.size > max_entries:
                idx = rng.choice(flat.size, size=max_entries, replace=False)
            fd = np.array([numeric(flat, j, eps) for j in idx], dtype=np.float64)
            grad = layer.grads[name]
            a = grad.reshape(-1)[idx]
            with quiet():  # inf - inf: NaN, flagged as not finite by the report
                abs_err = np.abs(a - fd)
                rel_err = abs_err / np.maximum(np.abs(a) + np.abs(fd), 1e-8)
            bad = int(np.count_nonzero(~np.isfinite(grad)))
            tensors.append(
                (f"{i}.{name}", type(layer).__name__, param, flat, idx, fd, abs_err, rel_err, bad)
            )

    # Measure again the entries over tol that could still be shown wrong, largest first
    # (NaN errors fail both comparisons: they are mismatches already).
    if recheck is None:
        checked = sum(len(t[4]) for t in tensors)
        recheck = max(RECHECK_LIMIT, math.ceil(RECHECK_FRACTION * checked))
    candidates = sorted(
        (
            (-float(t[6][n]), ti, n)
            for ti, t in enumerate(tensors)
            for n in np.flatnonzero((t[7] > tol) & (t[6] > round_off))
        ),
    )[:recheck]
    spreads = [np.full(len(t[4]), np.nan) for t in tensors]
    large = [np.zeros(len(t[4]), bool) for t in tensors]
    for _, ti, n in candidates:
        flat, idx, fd = tensors[ti][3:6]
        fds = [fd[n], *(numeric(flat, idx[n], eps * f) for f in RECHECK_STEPS)]
        spreads[ti][n] = abs(fds[0] - fds[1])
        large[ti][n] = abs(fds[0] - fds[1]) > abs(fds[1] - fds[2])

    rows = tuple(
        GradCheckRow(
            key=key,
            layer=layer_name,
            shape=tuple(param.shape),
            checked=len(idx),
            max_rel_error=float(rel_err.max(initial=0.0)),  # NaN if any is
            max_abs_error=float(abs_err.max(initial=0.0)),
            rel_errors=rel_err,
            abs_errors=abs_err,
            spreads=spread,
            large_step_off=lg,
            nonfinite_grads=bad,
            nonfinite_fds=int(np.count_nonzero(~np.isfinite(fd))),
        )
        for (key, layer_name, param, _, idx, fd, abs_err, rel_err, bad), spread, lg in zip(
            tensors, spreads, large
        )
    )

    def names(trait: str) -> tuple[str, ...]:  # asked of the layers, never read off class names
        return tuple(
            dict.fromkeys(type(ly).__name__ for ly in net.layers if getattr(ly, trait, None))
        )

    return GradCheckReport(
        rows=rows,
        eps=eps,
        order=order,
        round_off=round_off,
        tol=tol,
        recheck=recheck,
        kinks=names("has_kink"),
        saturating=names("saturation_range"),
        dying=names("can_die"),
        dropout=names("is_random"),
    )


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
