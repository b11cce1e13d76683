"""The convolutional layer, :class:`Conv2D`: a small dense layer slid over the image.

Its math is in :mod:`nn.functional.conv` (forward and backward as functions, with a naive
twin) and derived in docs/convolution.md; the layer holds the kernel and bias and calls the
fast twin.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.core.layer import Layer
from nn.functional.conv import (
    ConvCache,
    conv_backward_im2col,
    conv_forward_im2col,
    conv_output_size,
)
from nn.layers.initializers import WEIGHT_VARIANCE

__all__ = ["Conv2D", "KERNEL_INITIALIZERS", "kernel_init"]

#: The initializers a kernel can be drawn with: every one of :mod:`nn.layers.initializers`,
#: with ``n_in`` the kernel's fan-in ``C * k * k`` and ``n_out`` its fan-out ``F * k * k``.
KERNEL_INITIALIZERS = tuple(WEIGHT_VARIANCE)


def kernel_init(
    init: str, shape: tuple[int, int, int, int], rng: np.random.Generator, dtype: np.dtype
) -> np.ndarray:
    """Draw a kernel ``(F, C, k, k)`` with the variance the named initializer gives a dense layer.

    A kernel's fan-in is ``C * k * k`` (the numbers one output pixel sums) and its fan-out
    ``F * k * k`` (the outputs one input pixel feeds): He's ``2 / fan_in`` keeps a ReLU
    network's activations at the same scale layer after layer, as for dense layers.
    "uniform" initializers draw from U(-l, l) of that variance, the others from a normal.

    Raises
    ------
    ValueError
        If ``init`` names no initializer.
    """
    if init not in WEIGHT_VARIANCE:
        known = ", ".join(repr(k) for k in KERNEL_INITIALIZERS)
        raise ValueError(f"Conv2D: init={init!r} is not a known initializer; use one of {known}")
    F, C, kh, kw = shape
    variance = WEIGHT_VARIANCE[init](C * kh * kw, F * kh * kw)
    if "uniform" in init:
        limit = np.sqrt(3.0 * variance)  # U(-l, l) has variance l^2 / 3
        return rng.uniform(-limit, limit, size=shape).astype(dtype)
    return (rng.standard_normal(shape) * np.sqrt(variance)).astype(dtype)


def _positive(layer: str, name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{layer}: {name} must be {what}, got {value!r}")
    return int(value)


class Conv2D(Layer):
    """A 2-D convolution (cross-correlation) with ``out_channels`` filters of ``kernel_size``.

    Parameters
    ----------
    in_channels, out_channels : int
        ``C`` and ``F``: channels of the input and of the output.
    kernel_size : int
        ``k``: each filter is ``C x k x k``.
    stride : int, default 1
        Step between two positions of the kernel.
    padding : int, default 0
        Zeros added around each image before sliding (``(k - 1) // 2`` keeps the size when
        the stride is 1 and ``k`` odd).
    init : str, default "he_normal"
        A name from :data:`KERNEL_INITIALIZERS`; see :func:`kernel_init`. Biases start at 0.
    rng : numpy.random.Generator or int or None
    dtype : numpy dtype, default float32

    Attributes
    ----------
    W : ndarray of shape (out_channels, in_channels, k, k)
    b : ndarray of shape (out_channels,)
    dW, db : ndarrays of the same shapes, after ``backward``

    Notes
    -----
    ``forward`` takes ``(batch, C, H, W)`` and returns ``(batch, F, Ho, Wo)`` with
    ``Ho = (H + 2 padding - k) // stride + 1``. The output is a transposed view of a
    ``(F, batch, Ho, Wo)`` array (:mod:`nn.functional.conv` says why); use it as any array.
    """

    can_skip_dx = True  # backward(dy, need_dx=False) skips a product and col2im

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        stride: int = 1,
        padding: int = 0,
        init: str = "he_normal",
        rng: np.random.Generator | int | None = None,
        dtype: np.dtype | type = np.float32,
    ) -> None:
        super().__init__()
        self.in_channels = _positive("Conv2D", "in_channels", in_channels)
        self.out_channels = _positive("Conv2D", "out_channels", out_channels)
        self.kernel_size = _positive("Conv2D", "kernel_size", kernel_size)
        self.stride = _positive("Conv2D", "stride", stride)
        self.padding = _positive("Conv2D", "padding", padding, minimum=0)
        self.init = init
        shape = self.param_shapes(**self.config())["W"]
        W = kernel_init(init, shape, np.random.default_rng(rng), np.dtype(dtype))
        self.params = {"W": W, "b": np.zeros(self.out_channels, dtype=W.dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache: ConvCache | None = None

    W = property(lambda self: self.params["W"])
    b = property(lambda self: self.params["b"])
    dW = property(lambda self: self.grads["W"])
    db = property(lambda self: self.grads["b"])

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """The convolution of a batch.

        Parameters
        ----------
        x : ndarray of shape (batch, in_channels, H, W)
        training : bool
            Unused: a convolution behaves the same in training and prediction.

        Returns
        -------
        ndarray of shape (batch, out_channels, Ho, Wo)
        """
        W = self.params["W"]
        x = np.asarray(x, dtype=W.dtype)  # compute in the layer's dtype: no silent upcast
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"{self!r} takes inputs of shape (batch, {self.in_channels}, H, W), got {x.shape}"
            )
        out, self.cache = conv_forward_im2col(x, W, self.params["b"], self.stride, self.padding)
        return out

    def backward(self, dy: np.ndarray, *, need_dx: bool = True) -> np.ndarray | None:
        """Fill ``dW`` and ``db`` from ``dy = dC/dout``; return ``dC/dx`` (None if not ``need_dx``).

        Parameters
        ----------
        dy : ndarray of shape (batch, out_channels, Ho, Wo)
        need_dx : bool, default True

        Returns
        -------
        ndarray of shape (batch, in_channels, H, W), or None
        """
        if self.cache is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        dy = np.asarray(dy, dtype=self.params["W"].dtype)
        dx, dW, db = conv_backward_im2col(dy, self.cache, need_dx)
        self.grads["W"][...] = dW  # into the arrays grads holds: they keep their identity
        self.grads["b"][...] = db
        return dx

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(out_channels, Ho, Wo)`` for an input of shape ``(in_channels, H, W)``.

        Raises
        ------
        ValueError
            If the input does not have ``in_channels`` channels, or is smaller than the kernel.
        """
        shape = tuple(input_shape)
        if len(shape) != 3 or shape[0] != self.in_channels:
            raise ValueError(
                f"{self!r} takes images of shape ({self.in_channels}, H, W) per example, "
                f"got {shape}"
            )
        k, s, p = self.kernel_size, self.stride, self.padding
        try:
            size = (conv_output_size(shape[1], k, s, p), conv_output_size(shape[2], k, s, p))
        except ValueError as err:
            raise ValueError(f"{self!r}: {err}") from None
        return (self.out_channels, *size)

    def working_floats(self, input_shape: tuple[int, ...]) -> int:
        """Numbers one example holds at the peak of :meth:`forward`: its input, the padded
        copy, the im2col columns (``C * k * k`` per output pixel) and the output, twice (the
        product's result, and the copy the next layer may make of its transposed view)."""
        C, H, W = input_shape
        F, Ho, Wo = self.output_shape(input_shape)
        k, p = self.kernel_size, self.padding
        return C * H * W + C * (H + 2 * p) * (W + 2 * p) + C * k * k * Ho * Wo + 2 * F * Ho * Wo

    def config(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
        }

    @classmethod
    def param_shapes(cls, **config: Any) -> dict[str, tuple[int, ...]]:
        C = _positive("Conv2D", "in_channels", config.get("in_channels"))
        F = _positive("Conv2D", "out_channels", config.get("out_channels"))
        k = _positive("Conv2D", "kernel_size", config.get("kernel_size"))
        return {"W": (F, C, k, k), "b": (F,)}
