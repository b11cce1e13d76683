"""The autograd engine as the gradient check's reference: exact to rounding, entry by entry.

``check_gradients(..., reference="autograd")`` compares backprop's gradients with those of
the tensor engine (:func:`nn.autograd.engine_run`), which derives them from the layers'
forward formulas alone (:mod:`nn.autograd.rules`) and shares no derivation with their
hand-written ``backward`` methods. Both are exact up to rounding, so they agree to about
1e-15 of each tensor's largest entry; nothing is measured again and there is no round-off
floor to reason about. An entry is a *mismatch* when the two differ by more than ``tol``
(default ``AUTOGRAD_TOL``, 1e-10) times the largest entry of its tensor (in either route),
or when either is inf or NaN.

The error is relative to the tensor's largest entry rather than to the entry itself because
rounding happens in sums (over the batch for ``dW`` and ``db``, over the units for ``dx``),
at the size of their terms: an entry that cancels to 1e-12 out of terms of size 1 carries
rounding of 1e-16 either way, and a relative error of 1e-4 on it would say nothing.

Besides every parameter the input's gradient ``"X"`` is compared (``Network.backward`` with
``need_dx=True``), and the gradient handed to each layer's ``backward``: walking down from
the loss, the first place where the two routes part is named (the loss's gradient, or the
backward of layer ``i``), which is where to look for the bug.

The engine is imported here, inside the function: ``import nn`` does not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nn.check.backprop_pass import BackpropPass, quiet
from nn.check.report import GradCheckRow

if TYPE_CHECKING:
    from nn.autograd.bridge import EngineRun
    from nn.core.network import Network

__all__ = ["INPUT_LAYER", "compare_with_engine", "errors_against", "parted"]

#: The ``layer`` column of the input's row.
INPUT_LAYER = "input"


def compare_with_engine(
    net: Network, X: np.ndarray, T: np.ndarray, bp: BackpropPass, tol: float
) -> tuple[list[GradCheckRow], str]:
    """Backprop's gradients, left in ``net`` by ``bp``, against the tensor engine's.

    Parameters
    ----------
    net : Network
        The check's float64 copy, right after :func:`~nn.check.backprop_pass.backprop_pass`
        (its random layers hold the masks that pass drew; the engine replays them).
    X : ndarray of shape (batch, n_in)
    T : ndarray of shape (batch, n_out)
    bp : BackpropPass
    tol : float
        Largest error, relative to the tensor's largest entry, that is not a mismatch.

    Returns
    -------
    rows : list of GradCheckRow
        One per parameter tensor, in ``net.parameters()`` order, then one for ``"X"``.
    departure : str
        Where the two routes first part, walking down from the loss ("" if nowhere).

    Raises
    ------
    ValueError
        For a layer or loss the engine has no rule for (its ``NoRuleError``, explained).
    """
    from nn.autograd import NoRuleError, engine_run  # the engine loads on first use only

    try:
        run = engine_run(net, X, T)
    except NoRuleError as err:
        raise ValueError(
            f"check_gradients(reference='autograd'): {err} Or check this network against "
            "finite differences, which need only the layer protocol: "
            "reference='finite_differences' (nn gradcheck --reference finite_differences)."
        ) from None
    run.loss.backward()
    rows = []
    for i, layer in enumerate(net.layers):
        for name in layer.params:
            key = f"{i}.{name}"
            rows.append(_row(key, type(layer).__name__, layer.grads[name], run.params[key].grad))
    rows.append(_row("X", INPUT_LAYER, bp.dX, run.inputs.grad))
    return rows, _departure(net, bp, run, tol)


def errors_against(hand: np.ndarray, engine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Absolute errors, and the same relative to the largest finite entry of either array.

    Returns
    -------
    abs_errors, rel_errors : ndarray of the shape of ``hand`` each
        NaN where either is NaN, or both are the same inf.
    """
    with quiet():
        abs_errors = np.abs(hand - engine)
        sizes = np.abs(np.concatenate([np.ravel(hand), np.ravel(engine)]))
    scale = float(sizes[np.isfinite(sizes)].max(initial=0.0))
    # the smallest normal float64: 0 / it is 0 where both routes give exactly 0 everywhere
    return abs_errors, abs_errors / max(scale, np.finfo(np.float64).tiny)


def parted(hand: np.ndarray, engine: np.ndarray, tol: float) -> bool:
    """Whether the two routes differ by more than ``tol`` of the largest entry, or not finite."""
    _, rel = errors_against(hand, engine)
    return bool(np.any(~np.isfinite(rel)) or np.any(rel > tol))


def _row(key: str, layer: str, hand: np.ndarray, engine: np.ndarray) -> GradCheckRow:
    abs_errors, rel_errors = (e.reshape(-1) for e in errors_against(hand, engine))
    return GradCheckRow(
        key=key,
        layer=layer,
        shape=tuple(hand.shape),
        checked=hand.size,
        max_rel_error=float(rel_errors.max(initial=0.0)),  # NaN if any is
        max_abs_error=float(abs_errors.max(initial=0.0)),
        rel_errors=rel_errors,
        abs_errors=abs_errors,
        nonfinite_grads=int(np.count_nonzero(~np.isfinite(hand))),
        nonfinite_fds=int(np.count_nonzero(~np.isfinite(engine))),  # the engine's, here
    )


def _departure(net: Network, bp: BackpropPass, run: EngineRun, tol: float) -> str:
    """The first place, walking down from the loss, where backprop and the engine part.

    Above layer ``i`` they agree, so if the gradient layer ``i``'s backward handed down, or
    its parameters' gradients, differ from the engine's, that backward is where they part.
    """
    outputs = run.layer_outputs
    if parted(bp.douts[-1], outputs[-1].grad, tol):
        return f"the gradient of the loss {type(net.loss).__name__}"
    for i in reversed(range(len(net.layers))):
        layer = net.layers[i]
        below = (bp.douts[i - 1], outputs[i - 1].grad) if i else (bp.dX, run.inputs.grad)
        own = [(layer.grads[name], run.params[f"{i}.{name}"].grad) for name in layer.params]
        if any(parted(hand, engine, tol) for hand, engine in [below, *own]):
            return f"the backward of layer {i} ({type(layer).__name__})"
    return ""
