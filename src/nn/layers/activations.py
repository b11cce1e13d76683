"""The activation layers: each wraps a function of :mod:`nn.functional.activations`.

A network is then a plain list ``[Dense, Sigmoid, Dense, Sigmoid]`` and backprop walks that list
backwards. An elementwise layer multiplies the incoming gradient by the derivative at ``z``
(BP1, the second half of BP2); :class:`Softmax` is not elementwise, so its backward pass is a
Jacobian-vector product. Every activation keeps the shape of its input, whatever it is
(``(batch, n)`` after a dense layer, ``(batch, C, H, W)`` for images); softmax normalizes over
the last axis.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.core.layer import Layer
from nn.core.numbers import check_real
from nn.functional.activations import (
    identity,
    identity_prime,
    leaky_relu,
    leaky_relu_prime,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    softmax,
    tanh,
    tanh_prime,
    tanh_prime_from_output,
)

__all__ = [
    "Activation",
    "Identity",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]


class Activation(Layer, register=False):
    """Base class for an elementwise activation ``a = f(z)``: no parameters.

    Subclasses set :attr:`function` and :attr:`derivative` (the derivative at ``z``) and
    inherit the forward and backward passes. ``forward`` keeps ``z`` for ``backward``.
    """

    is_activation = True

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
        x : ndarray of shape (batch, n), or (batch, *shape) for any shape
            Pre-activations ``z``.
        training : bool
            Unused; activations behave the same in training and prediction.

        Returns
        -------
        ndarray of the shape of ``x``
            Activations ``a = f(z)``.
        """
        self.z = x
        return self.function(x)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Turn ``dC/da`` into ``delta = dC/dz`` (the Hadamard product of BP1 and BP2).

        Parameters
        ----------
        dy : ndarray of the shape of the last ``x``
            Gradient of the loss with respect to this layer's output ``a``.

        Returns
        -------
        ndarray of the same shape
            ``delta = dy * f'(z)``.
        """
        return dy * self.derivative(self.z)  # BP1 (output layer) / BP2 (hidden): (.) sigma'(z)


class Sigmoid(Activation):
    """The logistic sigmoid as a layer: ``a = sigmoid(z)``, derivative ``sigmoid_prime(z)``.

    It keeps its output too, so ``backward`` computes ``sigma'(z) = a (1 - a)`` without
    evaluating the exponential a second time.
    """

    is_increasing = True  # commutes with a maximum (nn.cnn pools before it)

    function = staticmethod(sigmoid)
    derivative = staticmethod(sigmoid_prime)
    # sigma'(z) = a (1 - a) < 0.0099 outside [0.01, 0.99] (|z| > 4.6): under 4% of its peak 1/4,
    # so the unit learns at least 25 times slower than at z = 0 (Nielsen ch. 3, the slowdown).
    saturation_range = (0.01, 0.99)
    output_range = "(0, 1)"

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self.z = x
        self.a = sigmoid(x)
        return self.a

    def backward(self, dy: np.ndarray) -> np.ndarray:
        # BP1 at the output layer, the Hadamard part of BP2 below it: delta = dC/da (.) sigma'(z),
        # with sigma'(z) = a (1 - a) read from the kept output (one exp per forward, none here).
        # Fused into one new array: sigmoid_prime_from_output(a) * dy, without two temporaries.
        delta = 1.0 - self.a
        delta *= self.a
        delta *= dy
        return delta


class Tanh(Activation):
    """``a = tanh(z)``; backward reads ``tanh'(z) = 1 - a^2`` from the kept output."""

    is_increasing = True  # commutes with a maximum (nn.cnn pools before it)

    function = staticmethod(tanh)
    derivative = staticmethod(tanh_prime)
    # tanh'(z) = 1 - a^2 < 0.04 outside [-0.98, 0.98] (|z| > 2.3): the same 4% of its peak 1.
    saturation_range = (-0.98, 0.98)
    output_range = "(-1, 1)"

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self.z = x
        self.a = np.tanh(x)
        return self.a

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * tanh_prime_from_output(self.a)  # BP1 / BP2: dC/da (.) tanh'(z)


class ReLU(Activation):
    """``a = max(0, z)``; backward passes ``dC/da`` where ``z > 0`` and blocks it elsewhere."""

    is_increasing = True  # commutes with a maximum (nn.cnn pools before it)

    function = staticmethod(relu)
    derivative = staticmethod(relu_prime)
    has_kink = True  # relu'(z) jumps from 0 to 1 at z = 0
    can_die = True  # output and gradient exactly 0 for every z <= 0
    output_range = "[0, inf)"

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """``delta = dy * relu'(z)`` (BP1 / BP2), with relu'(z) as the mask ``z > 0``.

        The same bits as ``dy * relu_prime(z)`` without making relu'(z) a float array first:
        one pass over the batch fewer, on the training path. A subclass with another
        ``derivative`` gets it.
        """
        if type(self).derivative is not relu_prime:
            return super().backward(dy)
        return dy * (self.z > 0)


class LeakyReLU(Activation):
    """``a = z`` for ``z > 0``, ``alpha * z`` otherwise.

    Parameters
    ----------
    alpha : float, default 0.01
        Slope for negative ``z``, in [0, 1): 0 gives :class:`ReLU`; 1 would make the layer
        the identity, and a NaN or infinite slope would make every output NaN.
    """

    is_increasing = True  # commutes with a maximum (nn.cnn pools before it)

    has_kink = True  # the slope jumps from alpha to 1 at z = 0 (never 0: a unit cannot die)

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = check_real("LeakyReLU: alpha", alpha, 0.0, 1.0, hi_open=True)

    def function(self, z: np.ndarray) -> np.ndarray:  # type: ignore[override]
        return leaky_relu(z, self.alpha)

    def derivative(self, z: np.ndarray) -> np.ndarray:  # type: ignore[override]
        return leaky_relu_prime(z, self.alpha)

    def config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class Softmax(Layer):
    """Softmax over the last axis as a layer: ``a_j = exp(z_j) / sum_k exp(z_k)``.

    On ``(batch, k)`` that is each row; on ``(batch, T, k)`` (a sequence) each time step.

    Backward is not a Hadamard product: each ``a_j`` depends on every ``z_k``, with Jacobian
    ``da_j/dz_k = a_j (1[j = k] - a_k)``. The layer never builds that (k, k) matrix per
    example; it applies it to ``dy`` directly (a Jacobian-vector product):

    ``delta_k = sum_j dy_j a_j (1[j = k] - a_k) = a_k (dy_k - sum_j dy_j a_j)``.

    Pair it with :class:`nn.CategoricalCrossEntropy`; for training, the fused
    :class:`nn.SoftmaxCrossEntropy` on logits is cheaper and immune to ``a`` underflowing to 0.
    """

    is_activation = True
    output_range = "(0, 1)"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape it is given; an example must have at least one axis to normalize over."""
        if len(input_shape) == 0:
            raise ValueError(f"{self!r} normalizes over the last axis; got examples of shape ()")
        return tuple(input_shape)

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """``softmax(x)`` over the last axis; x and the result are (batch, ..., k)."""
        self.a = softmax(x)
        return self.a

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """``delta = a (.) (dy - sum_k(dy (.) a))``, summed over the last axis: the JVP above."""
        a = self.a
        return a * (dy - (dy * a).sum(axis=-1, keepdims=True))


class Identity(Activation):
    """``a = z``: no activation, as a layer (linear outputs for regression, or logits)."""

    is_increasing = True  # commutes with a maximum (nn.cnn pools before it)

    function = staticmethod(identity)
    derivative = staticmethod(identity_prime)

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy
