"""Activation functions, their derivatives, and the layers that wrap them.

The plain functions come first, so a reader sees the mathematics on its own:

* ``sigmoid(z) = 1 / (1 + exp(-z))``
* ``sigmoid_prime(z) = sigmoid(z) * (1 - sigmoid(z))``, the derivative taken at the
  *pre-activation* ``z`` (the convention of Nielsen's book and of this package).
* ``sigmoid_prime_from_output(a) = a * (1 - a)``, the same number computed from the
  *output* ``a = sigmoid(z)``. Its name says so, because mixing the two up is the most
  common bug in hand-written backprop.

The layer classes then make each function a :class:`~nn.layers.Layer`, so a network is a
plain list ``[Dense, Sigmoid, Dense, Sigmoid]`` and backprop walks that list backwards.
"""

from __future__ import annotations

import numpy as np

from nn.layers import Layer

__all__ = [
    "Sigmoid",
    "sigmoid",
    "sigmoid_prime",
    "sigmoid_prime_from_output",
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
    """
    s = sigmoid(z)
    return s * (1.0 - s)


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


class Activation(Layer):
    """Base class for an elementwise activation ``a = f(z)``: no parameters.

    Subclasses set :attr:`function` and :attr:`derivative` (the derivative at ``z``) and
    inherit the forward and backward passes. ``forward`` keeps ``z`` for ``backward``.
    """

    @staticmethod
    def function(z: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    @staticmethod
    def derivative(z: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """Apply the function elementwise.

        Parameters
        ----------
        x : ndarray of shape (batch, n)
            Pre-activations ``z``.
        training : bool
            Unused; activations behave the same in training and prediction.

        Returns
        -------
        ndarray of shape (batch, n)
            Activations ``a = f(z)``.
        """
        self.z = x
        return self.function(x)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Turn ``dC/da`` into ``delta = dC/dz`` (the Hadamard product of BP1 and BP2).

        Parameters
        ----------
        dy : ndarray of shape (batch, n)
            Gradient of the loss with respect to this layer's output ``a``.

        Returns
        -------
        ndarray of shape (batch, n)
            ``delta = dy * f'(z)``.
        """
        return dy * self.derivative(self.z)  # BP1 (output layer) / BP2 (hidden): (.) sigma'(z)


class Sigmoid(Activation):
    """The logistic sigmoid as a layer: ``a = sigmoid(z)``, derivative ``sigmoid_prime(z)``.

    It keeps its output too, so ``backward`` computes ``sigma'(z) = a (1 - a)`` without
    evaluating the exponential a second time.
    """

    function = staticmethod(sigmoid)
    derivative = staticmethod(sigmoid_prime)

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self.z = x
        self.a = sigmoid(x)
        return self.a

    def backward(self, dy: np.ndarray) -> np.ndarray:
        # BP1 at the output layer, the Hadamard part of BP2 below it: delta = dC/da (.) sigma'(z),
        # with sigma'(z) = a (1 - a) read from the kept output (one exp per forward, none here).
        return dy * sigmoid_prime_from_output(self.a)
