"""Per-weight gradients by finite differences: nudge one weight, recompute the loss.

The most direct way to get ``dC/dw``, and the one Nielsen's ch. 2 sets against backprop:

    dC/dw ~ (C(w + eps) - C(w - eps)) / (2 eps)            (order 2, the default)

or, with two more evaluations and error ``O(eps^4)`` instead of ``O(eps^2)`` (as in
:mod:`nn.check.gradcheck`),

    dC/dw ~ (-C(w + 2 eps) + 8 C(w + eps) - 8 C(w - eps) + C(w - 2 eps)) / (12 eps).

Operation count: every one of the ``W`` weights and biases needs ``order`` full forward
passes over the batch, each about ``W`` multiply-adds per example, so about
``order * W^2`` per example (:func:`multiply_adds`): a network ten times bigger takes a
hundred times longer.
"""

from __future__ import annotations

from collections.abc import Sequence

from nn.reference.plain import Params, check_batch, loss, parameter_vectors, zeros_like

__all__ = ["STENCILS", "finite_difference_gradients", "multiply_adds"]

#: order -> (offsets in units of eps, their weights, denominator in units of eps); the same
#: stencils as ``nn.check.gradcheck``, repeated here because that module works on NumPy arrays.
STENCILS = {
    2: ((1, -1), (1.0, -1.0), 2.0),
    4: ((2, 1, -1, -2), (-1.0, 8.0, -8.0, 1.0), 12.0),
}


def finite_difference_gradients(
    params: Params,
    X: Sequence[Sequence[float]],
    Y: Sequence[Sequence[float]],
    *,
    eps: float | None = None,
    order: int = 2,
) -> Params:
    """Each weight's and bias's gradient from the loss recomputed around it.

    Parameters
    ----------
    params : Params
        Nudged in place one float at a time, and each put back exactly as it was.
    X : sequence of n sequences of n_in floats
    Y : sequence of n sequences of n_out floats
    eps : float, optional
        The nudge: 1e-5 for ``order=2``, 1e-3 for ``order=4`` by default (near the best
        trade-off between truncation error and round-off in float64).
    order : {2, 4}

    Returns
    -------
    Params
        The estimated ``dC/dW``, ``dC/db`` of the batch loss, shaped like ``params``.
    """
    if order not in STENCILS:
        raise ValueError(f"order must be 2 or 4, got {order!r}")
    if eps is None:
        eps = 1e-5 if order == 2 else 1e-3
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    check_batch(params, X, Y)
    offsets, weights, scale = STENCILS[order]
    grads = zeros_like(params)
    for vec, gvec in zip(parameter_vectors(params), parameter_vectors(grads)):
        for i, old in enumerate(vec):
            total = 0.0
            for k, c in zip(offsets, weights):
                vec[i] = old + k * eps
                total += c * loss(params, X, Y)  # the whole forward pass, again
            vec[i] = old
            gvec[i] = total / (scale * eps)
    return grads


def multiply_adds(sizes: Sequence[int], batch: int, order: int = 2) -> int:
    """About ``order * W * (W_weights * batch)``: ``order`` forward passes per parameter."""
    weights = sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    n_params = weights + sum(sizes[1:])
    return order * n_params * weights * batch
