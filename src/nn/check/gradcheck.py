"""Gradient checking: backprop's gradients against a reference that shares no derivation.

:func:`check_gradients` runs backprop on a float64 copy of the network
(:mod:`nn.check.backprop_pass`) and compares every gradient with one of two references:

* ``"finite_differences"`` (the default): centered differences of the loss, order 4 or 2,
  each entry over the tolerance measured again at ``eps / 3`` and ``eps / 10`` before it is
  called wrong (:mod:`nn.check.finite_differences` says why and how). It needs only the layer
  protocol (``params``, ``grads``, ``forward``, ``backward``), so it checks a layer you wrote
  yourself: put it in a :class:`~nn.Network` and call :func:`check_gradients`.
* ``"autograd"``: the tensor engine of :mod:`nn.autograd`, which derives every gradient from
  the layers' forward formulas alone. Exact to rounding, so any difference over ``1e-10`` of
  a tensor's largest entry is a bug, and the verdict names the layer whose backward first
  parts from it (:mod:`nn.check.autograd_reference`). It knows the layers and losses of
  ``nn`` (those with a rule in :mod:`nn.autograd.rules`), and compares the input's gradient
  too.

The check runs in float64 whatever the network's own dtype, since in float32 round-off alone
would swamp the comparison. A loss that is not finite at the given weights, or a weight of inf
or NaN, leaves nothing to compare: :func:`check_gradients` refuses them.
"""

from __future__ import annotations

import math

import numpy as np

from nn.check.autograd_reference import compare_with_engine
from nn.check.backprop_pass import Replay, backprop_pass, refuse_not_finite
from nn.check.finite_differences import (
    STENCILS,
    BatchLoss,
    measure_again,
    measure_every_tensor,
)
from nn.check.report import (
    AUTOGRAD_TOL,
    DISAGREEMENT_MARGIN,
    FINITE_DIFFERENCES_TOL,
    RECHECK_FRACTION,
    RECHECK_LIMIT,
    REFERENCES,
    GradCheckReport,
    GradCheckRow,
)
from nn.core.network import Network

__all__ = [
    "AUTOGRAD_TOL",
    "DISAGREEMENT_MARGIN",
    "RECHECK_FRACTION",
    "RECHECK_LIMIT",
    "REFERENCES",
    "GradCheckReport",
    "GradCheckRow",
    "check_gradients",
]


def check_gradients(
    network: Network,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    eps: float | None = None,
    order: int = 4,
    max_entries: int | None = None,
    seed: int | np.random.Generator | None = 0,
    tol: float | None = None,
    recheck: int | None = None,
    reference: str = "finite_differences",
) -> GradCheckReport:
    """Compare ``network.gradients`` with a reference, tensor by tensor.

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
    tol : float, optional
        Against finite differences (default 1e-6): entries whose relative error is over
        this are measured again with the steps ``eps / 3`` and ``eps / 10`` (see
        :mod:`nn.check.finite_differences`). Against the engine (default ``AUTOGRAD_TOL``,
        1e-10): the largest error, relative to the tensor's largest entry, that is not a
        mismatch.
    recheck : int, optional
        Measure again at most this many entries, those with the largest absolute errors
        (each costs ``2 * order`` forward passes). By default
        ``max(RECHECK_LIMIT, ceil(RECHECK_FRACTION * entries checked))``: at most about
        ``2 * RECHECK_FRACTION`` = 10% more forward passes than the first pass took.
    reference : {"finite_differences", "autograd"}
        What backprop is compared with. ``eps``, ``max_entries`` and ``recheck`` set the
        finite differences; the engine compares every entry, the input's gradient
        ``"X"`` included, and ignores ``order``.

    Returns
    -------
    GradCheckReport
        One row per parameter tensor (and, against the engine, one for ``"X"``) with its
        errors per entry; its ``reference`` says which was used.

    Raises
    ------
    ValueError
        If a parameter, or the network's loss on ``X``, ``Y``, is inf or NaN: there is no
        slope to compare; against the engine, for a layer or loss it has no rule for.
    """
    _checked_reference(reference, eps, max_entries, recheck)
    if tol is None:
        tol = AUTOGRAD_TOL if reference == "autograd" else FINITE_DIFFERENCES_TOL
    eps = _checked_settings(order, eps, tol, recheck)
    net = network.copy(dtype=np.float64)
    X = net.checked_inputs(X)
    T = net.checked_targets(Y, len(X))
    refuse_not_finite(net)
    traits = {
        "kinks": _layers_with(net, "has_kink"),
        "saturating": _layers_with(net, "saturation_range"),
        "dying": _layers_with(net, "can_die"),
        "dropout": _layers_with(net, "is_random"),
    }
    if reference == "autograd":
        bp = backprop_pass(net, X, T, Replay(net.layers))
        rows, departure = compare_with_engine(net, X, T, bp, tol)
        return GradCheckReport(
            rows=tuple(rows),
            eps=0.0,
            order=0,
            tol=tol,
            recheck=None,
            **traits,
            reference=reference,
            departure=departure,
        )
    loss = BatchLoss(net, X, T, Replay(net.layers), STENCILS[order])
    round_off = STENCILS[order].round_off(backprop_pass(net, X, T, loss.replay).scale, eps)
    tensors = measure_every_tensor(loss, eps, max_entries, np.random.default_rng(seed))
    if recheck is None:
        checked = sum(t.checked for t in tensors)
        recheck = max(RECHECK_LIMIT, math.ceil(RECHECK_FRACTION * checked))
    measure_again(loss, tensors, eps=eps, tol=tol, round_off=round_off, limit=recheck)
    return GradCheckReport(
        rows=tuple(t.row() for t in tensors),
        eps=eps,
        order=order,
        round_off=round_off,
        tol=tol,
        recheck=recheck,
        **traits,
    )


def _checked_reference(
    reference: str, eps: float | None, max_entries: int | None, recheck: int | None
) -> None:
    """Raise on an unknown reference, or settings of finite differences given to the engine."""
    if reference not in REFERENCES:
        raise ValueError(
            f"reference must be one of {', '.join(map(repr, REFERENCES))}, got {reference!r}"
        )
    settings = {"eps": eps, "max_entries": max_entries, "recheck": recheck}
    given = [f"{k} (--{k.replace('_', '-')})" for k, value in settings.items() if value is not None]
    if reference == "autograd" and given:
        raise ValueError(
            f"{', '.join(given)}: settings of the finite differences, while reference='autograd' "
            "(--reference autograd) compares every entry with the engine and measures nothing: "
            "leave them out, or use reference='finite_differences'"
        )


def _checked_settings(order: int, eps: float | None, tol: float, recheck: int | None) -> float:
    """Raise on a setting the check cannot run with; return ``eps``, its default filled in."""
    if order not in STENCILS:
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


def _layers_with(net: Network, trait: str) -> tuple[str, ...]:
    """Class names of the layers with ``trait``: asked of the layers, never read off names."""
    return tuple(dict.fromkeys(type(ly).__name__ for ly in net.layers if getattr(ly, trait, None)))
