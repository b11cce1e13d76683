"""Activation functions and their derivatives, as plain functions of NumPy arrays.

The plain functions come first, so a reader sees the mathematics on its own:

* ``sigmoid(z) = 1 / (1 + exp(-z))``
* ``sigmoid_prime(z) = sigmoid(z) * (1 - sigmoid(z))``, the derivative taken at the
  *pre-activation* ``z`` (the convention of Nielsen's book and of this package).
* ``sigmoid_prime_from_output(a) = a * (1 - a)``, the same number computed from the
  *output* ``a = sigmoid(z)``. Its name says so, because mixing the two up is the most
  common bug in hand-written backprop.

The same pattern for the others: ``tanh``/``tanh_prime``, ``relu``/``relu_prime``,
``leaky_relu``/``leaky_relu_prime``, ``identity``/``identity_prime``. ``softmax`` is not
elementwise (each output depends on the whole row), so its backward pass is a
Jacobian-vector product rather than a Hadamard product with a derivative: see
:class:`Softmax`.

The layers that wrap them are in :mod:`nn.layers.activations`.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "identity",
    "identity_prime",
    "leaky_relu",
    "leaky_relu_prime",
    "log_softmax",
    "relu",
    "relu_prime",
    "sigmoid",
    "sigmoid_prime",
    "sigmoid_prime_from_output",
    "softmax",
    "tanh",
    "tanh_prime",
    "tanh_prime_from_output",
]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, computed without overflow.

    Parameters
    ----------
    z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the same shape and dtype as ``z``
        ``1 / (1 + exp(-z))``, every value in [0, 1].

    Notes
    -----
    The textbook formula overflows in ``exp(-z)`` for ``z < -709`` in float64 (``z < -88``
    in float32) and NumPy warns. Writing ``e = exp(-|z|)``, which is never above 1, gives
    ``1 / (1 + e)`` for ``z >= 0`` and ``e / (1 + e)`` for ``z < 0``: the same values, no
    overflow, and full relative precision for large negative ``z``.
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of :func:`sigmoid` at the pre-activation ``z``.

    Parameters
    ----------
    z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the same shape as ``z``
        ``sigmoid(z) * (1 - sigmoid(z))`` (SG1); never above 1/4, reached at ``z = 0`` (SG2),
        which is why deltas shrink as they travel back through sigmoid layers (VG1, VG2), and
        below ``exp(-|z|)`` (LS2), which is why saturated units learn slowly. The labels are
        the equations of docs/backprop.md.

    Notes
    -----
    Computed as ``e / (1 + e)^2`` with ``e = exp(-|z|)``, the same number as
    ``s (1 - s)`` (sigma' is even in ``z``), because ``1 - s`` rounds to 0 for ``z`` above
    about 37 in float64 and loses relative precision well before that.
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return e / ((1.0 + e) * (1.0 + e))


def sigmoid_prime_from_output(a: np.ndarray) -> np.ndarray:
    """Derivative of :func:`sigmoid` expressed through its output ``a = sigmoid(z)``.

    Parameters
    ----------
    a : ndarray of any shape
        Outputs of the sigmoid, in [0, 1].

    Returns
    -------
    ndarray of the same shape as ``a``
        ``a * (1 - a)``, equal to ``sigmoid_prime(z)``.
    """
    return a * (1.0 - a)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, ``(e^z - e^-z) / (e^z + e^-z)``, in (-1, 1).

    NumPy's ``tanh`` saturates to exactly +-1 without overflow, so it is used as it is.
    ``tanh(z) = 2 sigmoid(2z) - 1``: a sigmoid stretched to be zero-centred (Nielsen ch. 3).
    """
    return np.tanh(z)


def tanh_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of :func:`tanh` at ``z``: ``1 - tanh(z)^2``, at most 1 (at ``z = 0``)."""
    t = np.tanh(z)
    return 1.0 - t * t


def tanh_prime_from_output(a: np.ndarray) -> np.ndarray:
    """Derivative of :func:`tanh` through its output ``a = tanh(z)``: ``1 - a^2``."""
    return 1.0 - a * a


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit, ``max(0, z)``."""
    z = np.asanyarray(z)
    # max(z, 0) against a row of zeros broadcast down the batch, not the scalar 0: the same
    # values, but for a batch of thousands of entries NumPy's loop for two arrays is 2-3x
    # faster than its array-and-scalar loop (benchmarks/step_budget.py times both; for a
    # few hundred entries making the row costs about what it saves)
    return np.maximum(z, np.zeros(z.shape[-1:], z.dtype))


def relu_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of :func:`relu` at ``z``: 1 where ``z > 0``, else 0.

    At the kink ``z = 0`` the derivative does not exist; 0 is used (a valid subgradient, and
    what most libraries do). Returned in ``z``'s dtype so it multiplies without upcasting.
    """
    z = np.asarray(z)
    return (z > 0).astype(z.dtype if z.dtype.kind == "f" else np.float64)


def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU: ``z`` for ``z > 0``, else ``alpha * z`` (the small slope keeps units alive)."""
    z = np.asarray(z)
    return np.where(z > 0, z, alpha * z)  # a Python float keeps z's dtype


def leaky_relu_prime(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Derivative of :func:`leaky_relu` at ``z``: 1 where ``z > 0``, else ``alpha`` (also at 0)."""
    z = np.asarray(z)
    dt = z.dtype if z.dtype.kind == "f" else np.dtype(np.float64)
    return np.where(z > 0, np.asarray(1, dtype=dt), np.asarray(alpha, dtype=dt))


def identity(z: np.ndarray) -> np.ndarray:
    """The identity, ``a = z``: a linear output unit, for regression or logits."""
    return z


def identity_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of :func:`identity`: ones of ``z``'s shape."""
    return np.ones_like(z)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Logarithm of :func:`softmax` along the last axis, computed without overflow.

    Parameters
    ----------
    z : ndarray of shape (batch, k)
        Logits.

    Returns
    -------
    ndarray of shape (batch, k)
        ``z - logsumexp(z)`` per row, where ``logsumexp(z) = m + log(sum exp(z - m))`` with
        ``m`` the row maximum: every exponent is <= 0, so nothing overflows, and the largest
        term is ``exp(0) = 1``, so the log never sees 0.
    """
    z = np.asarray(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax along the last axis: ``exp(z_j) / sum_k exp(z_k)``, each row a distribution.

    Parameters
    ----------
    z : ndarray of shape (batch, k)
        Logits.

    Returns
    -------
    ndarray of shape (batch, k)
        Entries in [0, 1], rows summing to 1. Subtracting the row maximum first (which does
        not change the result) keeps ``exp`` from overflowing at large ``z``.
    """
    z = np.asarray(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
