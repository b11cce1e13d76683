"""Layers that only change the shape of each example: :class:`Flatten`."""

from __future__ import annotations

import math

import numpy as np

from nn.core.layer import Layer

__all__ = ["Flatten"]


class Flatten(Layer):
    """Each example as one vector: ``(batch, *shape) -> (batch, prod(shape))``.

    Between the last convolution or pooling layer and the first dense layer. The order is
    NumPy's (C order): channel, then row, then column for an image ``(C, H, W)``. Backward
    gives the gradient the shape of the last input back; nothing else happens to it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.in_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """``x`` of shape (batch, ...) as (batch, n), ``n`` the number of entries per example."""
        x = np.asarray(x)
        self.in_shape = x.shape
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))  # (0, n) too: no -1

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """``dy`` of shape (batch, n) reshaped to the last input's shape."""
        if self.in_shape is None:
            raise RuntimeError("Flatten: backward called before forward")
        return np.asarray(dy).reshape(self.in_shape)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(prod(input_shape),)``."""
        return (math.prod(input_shape),)
