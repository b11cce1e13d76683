"""The engine's forward formulas of the image layers: convolution, pooling, batch norm, flatten.

Written with nothing but :class:`~nn.autograd.tensor.Tensor` operations (slicing, products,
sums, reshapes), so the tensor engine derives their gradients itself and checks the
hand-written ``backward`` methods of :mod:`nn.layers.conv`, :mod:`nn.layers.pooling`,
:mod:`nn.layers.normalization` and :mod:`nn.layers.reshape`. The scalar engine works on rows
``(batch, n)`` of Values; these layers take images, so it has no rule for them
(:mod:`nn.autograd.rules` raises :class:`~nn.autograd.rules.NoRuleError` saying so).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.autograd.tensor import Tensor

__all__ = ["avg_pool", "batchnorm", "conv2d", "flatten", "max_pool"]


def _pad(x: Tensor, pad: int) -> Tensor:
    """Zeros around each image, as products with identity blocks: ``E_h @ x @ E_w^T``."""
    if pad == 0:
        return x
    H, W = x.shape[2:]
    E_h = np.eye(H + 2 * pad, H, k=-pad)  # row pad + i is row i of x
    E_w = np.eye(W + 2 * pad, W, k=-pad)
    return (Tensor(E_h) @ x) @ Tensor(E_w.T)


def conv2d(layer: Any, x: Tensor, p: dict[str, Tensor]) -> Tensor:
    """``out = b + sum over kernel offsets (p, q) of xpad[shifted] @ W[:, :, p, q]^T`` (C1)."""
    s, pad = layer.stride, layer.padding
    F, C, HH, WW = p["W"].shape
    xp = _pad(x, pad)
    Ho = (xp.shape[2] - HH) // s + 1
    Wo = (xp.shape[3] - WW) // s + 1
    total = None
    for i in range(HH):
        for j in range(WW):
            shifted = xp[:, :, i : i + s * (Ho - 1) + 1 : s, j : j + s * (Wo - 1) + 1 : s]
            # (N, Ho, Wo, C) @ (C, F): each pixel's channels times the kernel entry (i, j)
            term = shifted.transpose(0, 2, 3, 1) @ p["W"][:, :, i, j].T
            total = term if total is None else total + term
    assert total is not None
    return total.transpose(0, 3, 1, 2) + p["b"].reshape(1, F, 1, 1)


def max_pool(layer: Any, x: Tensor, p: dict[str, Tensor]) -> Tensor:
    """Each window's first maximum (row-major), picked by index: its gradient goes there alone."""
    size, s = layer.size, layer.stride
    N, C, H, W = x.shape
    Ho, Wo = (H - size) // s + 1, (W - size) // s + 1
    i, j = np.meshgrid(np.arange(Ho), np.arange(Wo), indexing="ij")
    rows = i[..., None, None] * s + np.arange(size)[:, None]  # (Ho, Wo, size, 1)
    cols = j[..., None, None] * s + np.arange(size)[None, :]  # (Ho, Wo, 1, size)
    windows = x.data[:, :, rows, cols].reshape(N, C, Ho, Wo, size * size)
    first = windows.argmax(axis=-1)  # the first maximum, as np.argmax picks it
    n, c = np.ogrid[:N, :C]
    h = i * s + first // size
    w = j * s + first % size
    return x[n[..., None, None], c[..., None, None], h, w]


def avg_pool(layer: Any, x: Tensor, p: dict[str, Tensor]) -> Tensor:
    """The mean of each window: the sum of ``size^2`` shifted slices over ``size^2``."""
    size, s = layer.size, layer.stride
    H, W = x.shape[2:]
    Ho, Wo = (H - size) // s + 1, (W - size) // s + 1
    total = None
    for i in range(size):
        for j in range(size):
            part = x[:, :, i : i + s * (Ho - 1) + 1 : s, j : j + s * (Wo - 1) + 1 : s]
            total = part if total is None else total + part
    assert total is not None
    return total * (1.0 / (size * size))


def flatten(layer: Any, x: Tensor, p: dict[str, Tensor]) -> Tensor:
    """Each example as a row."""
    return x.reshape(x.shape[0], -1)


def batchnorm(layer: Any, x: Tensor, p: dict[str, Tensor]) -> Tensor:
    """N1 and N2, with the batch's statistics if the layer's last forward pass used them."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    axes = (0, *range(2, x.ndim))
    cache = getattr(layer, "cache", None)
    if cache is None or cache.batch_statistics:
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
    else:  # prediction: the running averages are constants
        centered = x - layer.buffers["running_mean"].astype(np.float64).reshape(shape)
        var = Tensor(layer.buffers["running_var"].astype(np.float64).reshape(shape))
    x_hat = centered / (var + layer.eps) ** 0.5
    return x_hat * p["gamma"].reshape(shape) + p["beta"].reshape(shape)
