"""Pooling layers: :class:`MaxPool2D` and :class:`AvgPool2D`, no parameters.

Their math, with naive twins, is in :mod:`nn.functional.pooling`; docs/convolution.md
explains how max pooling routes its gradient (to one input per window, ties included).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.core.layer import Layer
from nn.functional.pooling import (
    avg_pool_backward,
    avg_pool_forward,
    max_pool_backward,
    max_pool_forward,
    pool_output_size,
)

__all__ = ["AvgPool2D", "MaxPool2D"]


class _Pool2D(Layer, register=False):
    """What both pooling layers share: the window, its checks, shapes and config."""

    def __init__(self, size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        for what, value in (("size", size), ("stride", size if stride is None else stride)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}: {what} must be a positive integer, got {value!r}")
        self.size = int(size)
        self.stride = self.size if stride is None else int(stride)
        self.cache: Any = None

    def _checked(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"{self!r} takes inputs of shape (batch, C, H, W), got {x.shape}")
        return x

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(C, Ho, Wo)`` with ``Ho = (H - size) // stride + 1`` for an input ``(C, H, W)``.

        Raises
        ------
        ValueError
            If the input is not ``(C, H, W)`` or is smaller than the window.
        """
        shape = tuple(input_shape)
        if len(shape) != 3:
            raise ValueError(f"{self!r} takes images of shape (C, H, W) per example, got {shape}")
        try:
            H, W = (pool_output_size(n, self.size, self.stride) for n in shape[1:])
        except ValueError as err:
            raise ValueError(f"{self!r}: {err}") from None
        return (shape[0], H, W)

    def config(self) -> dict[str, Any]:
        return {"size": self.size, "stride": self.stride}

    def _before_backward(self) -> None:
        if self.cache is None:
            raise RuntimeError(f"{self!r}: backward called before forward")


class MaxPool2D(_Pool2D):
    """The maximum of each ``size x size`` window, windows ``stride`` apart (default: ``size``).

    The gradient of each output goes to the one input that won its window; of tied inputs,
    the first in row-major order (:mod:`nn.functional.pooling`).

    Parameters
    ----------
    size : int, default 2
    stride : int, optional
        ``size`` by default (windows side by side); smaller strides overlap them.
    """

    # Which input wins switches where two inputs of a window cross: the derivative jumps there,
    # so a finite difference across the crossing is wrong (the gradient checker says so).
    has_kink = True

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """``(batch, C, H, W) -> (batch, C, Ho, Wo)``: each window's maximum."""
        out, self.cache = max_pool_forward(self._checked(x), self.size, self.stride)
        return out

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """``dy`` of shape ``(batch, C, Ho, Wo)`` routed to the winners: ``(batch, C, H, W)``."""
        self._before_backward()
        return max_pool_backward(np.asarray(dy), self.cache)


class AvgPool2D(_Pool2D):
    """The mean of each ``size x size`` window, windows ``stride`` apart (default: ``size``).

    Parameters
    ----------
    size : int, default 2
    stride : int, optional
        ``size`` by default.
    """

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """``(batch, C, H, W) -> (batch, C, Ho, Wo)``: each window's mean."""
        out, self.cache = avg_pool_forward(self._checked(x), self.size, self.stride)
        return out

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """``dy`` spread evenly over each window: ``(batch, C, H, W)``."""
        self._before_backward()
        return avg_pool_backward(np.asarray(dy), self.cache)
