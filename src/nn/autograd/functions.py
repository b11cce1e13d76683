"""Softmax and the losses of :mod:`nn.losses`, made of the tensor engine's operations.

None of these has a derivative of its own: each is a composition of the operations of
:mod:`nn.autograd.tensor`, so the engine differentiates it from their rules alone. That is
the point of a third opinion. The library's hand-derived gradients (``SoftmaxCrossEntropy``'s
``(softmax(z) - y) / n``, ``Softmax``'s Jacobian-vector product) are checked against what the
chain rule gives for the plain formulas below, with no derivation shared between the two.

Every loss is the mean over the batch that :mod:`nn.losses` states; ``y`` is a constant
(targets are data, never differentiated), ``a`` a Tensor of shape (batch, n_out).
"""

from __future__ import annotations

import numpy as np

from nn.autograd.tensor import Tensor

__all__ = [
    "categorical_cross_entropy",
    "cross_entropy",
    "log_softmax",
    "softmax",
    "softmax_cross_entropy",
    "squared_error",
]

_F64 = np.finfo(np.float64)


def log_softmax(z: Tensor, axis: int = -1) -> Tensor:
    """``z - log(sum(exp(z)))`` along ``axis``, with the maximum subtracted first.

    Parameters
    ----------
    z : Tensor of shape (batch, k)
        Logits.

    Returns
    -------
    Tensor of shape (batch, k)
        The maximum goes through :meth:`Tensor.max` like any operation; the result does not
        depend on it, and the gradients that reach it along its two paths cancel.
    """
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()


def softmax(z: Tensor, axis: int = -1) -> Tensor:
    """``exp(z_j) / sum_k exp(z_k)`` along ``axis``; z and the result are (batch, k)."""
    e = (z - z.max(axis=axis, keepdims=True)).exp()
    return e / e.sum(axis=axis, keepdims=True)


def squared_error(a: Tensor, y: np.ndarray) -> Tensor:
    """``C = (1/n) sum_x 1/2 ||a - y||^2``: SquaredError, as a 0-d Tensor."""
    diff = a - y
    return (diff * diff).sum() * (0.5 / a.shape[0])


def cross_entropy(a: Tensor, y: np.ndarray) -> Tensor:
    """``C = -(1/n) sum [y ln a + (1 - y) ln(1 - a)]``: CrossEntropy.

    ``a`` is clipped into ``[epsneg, 1 - epsneg]`` as the library clips it. Where it is
    clipped the engine's gradient is 0 (the derivative of the clipped function), the library's
    the formula at the bound; a sigmoid below multiplies either by ``sigma'(z) = 0`` there.
    """
    p = a.clip(_F64.epsneg, 1.0 - _F64.epsneg)
    return -(y * p.log() + (1.0 - y) * (1.0 - p).log()).sum() / a.shape[0]


def categorical_cross_entropy(a: Tensor, y: np.ndarray) -> Tensor:
    """``C = -(1/n) sum y ln a``: CategoricalCrossEntropy, ``a`` clipped below at ``tiny``."""
    return -(y * a.clip(_F64.tiny, None).log()).sum() / a.shape[0]


def softmax_cross_entropy(z: Tensor, y: np.ndarray) -> Tensor:
    """``C = -(1/n) sum y log_softmax(z)``: SoftmaxCrossEntropy, from the logits ``z``."""
    return -(y * log_softmax(z)).sum() / z.shape[0]
