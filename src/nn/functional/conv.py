"""Convolution as plain functions: a naive twin to read, an im2col twin to run.

Shapes (CS231n's, batch-first): ``x`` is ``(N, C, H, W)``, the kernel ``W`` is
``(F, C, HH, WW)`` (``F`` filters of ``C`` channels), the bias ``b`` is ``(F,)``, the output
``(N, F, Ho, Wo)`` with ``Ho = (H + 2 pad - HH) // stride + 1`` and likewise ``Wo``.

The forward pass is a cross-correlation (the kernel is not flipped, as in every deep-learning
library)::

    out[n, f, i, j] = b[f] + sum_{c, p, q} W[f, c, p, q] * xpad[n, c, i*stride + p, j*stride + q]

Each function returns ``(out, cache)`` and its backward twin takes ``(dout, cache)``, as in
CS231n's ``layers.py``:

* :func:`conv_forward_naive`, :func:`conv_backward_naive`: one loop per output pixel, each a
  small ``np.sum`` of a window times a kernel; the equation above read literally.
* :func:`conv_forward_im2col`, :func:`conv_backward_im2col`: the same numbers as matrix
  products. :func:`im2col` copies every receptive field into a column of a matrix, so the
  whole convolution is one product ``W_row @ cols``; the backward pass is two products and
  :func:`col2im`, which adds every column's gradient back onto the pixels it came from.

docs/convolution.md derives both backward passes and quotes the lines that compute them.
The pure-Python version (no NumPy) is :mod:`nn.reference.conv`.

The fast twin's memory layout
-----------------------------
The fast twin keeps images in memory as ``(C, H, W, N)``: channels outermost, the batch
innermost. The columns of ``cols`` are ordered ``(i, j, n)``, so the product
``W_row @ cols`` of shape ``(F, Ho*Wo*N)`` is the output as ``(F, Ho, Wo, N)``, and
:func:`conv_forward_im2col` returns it as a transposed *view* ``(N, F, Ho, Wo)``, without
copying. NumPy works on views of any strides; the layers after it (ReLU, pooling) keep that
layout, and the gradient coming back in it reshapes to ``(F, Ho*Wo*N)`` for free in
:func:`conv_backward_im2col`.

Why the batch innermost: every copy of im2col and every add of col2im moves a window's
rows, and a row of ``Wo`` pixels of ``N`` examples is one contiguous run of ``Wo * N``
numbers (1,792 for LeNet's first layer), against runs of ``Wo`` (28, or 10) when the
pixels of one image are adjacent. NumPy's inner loops are then long and few, which made
im2col and col2im, the copies that dominate after the products, about a third faster.
(cuda-convnet, an early GPU library, kept images in this layout for the same reason.)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "ConvCache",
    "col2im",
    "conv_backward_im2col",
    "conv_backward_naive",
    "conv_forward_im2col",
    "conv_forward_naive",
    "conv_output_size",
    "im2col",
]


class ConvCache(NamedTuple):
    """What a convolution's backward pass needs from its forward pass.

    ``x`` is the input (naive) or None (im2col); ``cols`` the im2col matrix (im2col) or None.
    """

    x: np.ndarray | None
    cols: np.ndarray | None
    W: np.ndarray
    x_shape: tuple[int, int, int, int]
    stride: int
    pad: int


def conv_output_size(size: int, kernel: int, stride: int, pad: int) -> int:
    """Output length along one axis: ``(size + 2 pad - kernel) // stride + 1``.

    Raises
    ------
    ValueError
        If the kernel does not fit in the padded input even once.
    """
    padded = size + 2 * pad
    if padded < kernel:
        raise ValueError(
            f"a kernel of size {kernel} does not fit in an input of size {size} "
            f"padded by {pad} on each side ({padded})"
        )
    return (padded - kernel) // stride + 1


def _pad(x: np.ndarray, pad: int) -> np.ndarray:
    """``x`` with ``pad`` zeros around each image (axes 2 and 3)."""
    if pad == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


# ---------------------------------------------------------------------------- naive twin
def conv_forward_naive(
    x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0
) -> tuple[np.ndarray, ConvCache]:
    """Convolution by loops over examples, filters and output pixels.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    W : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    stride, pad : int

    Returns
    -------
    out : ndarray of shape (N, F, Ho, Wo)
    cache : ConvCache
    """
    N, C, H, Wd = x.shape
    F, _, HH, WW = W.shape
    Ho, Wo = conv_output_size(H, HH, stride, pad), conv_output_size(Wd, WW, stride, pad)
    xpad = _pad(x, pad)
    out = np.zeros((N, F, Ho, Wo), dtype=np.result_type(x, W))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xpad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]  # (C1)
    return out, ConvCache(x, None, W, x.shape, stride, pad)


def conv_backward_naive(
    dout: np.ndarray, cache: ConvCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the naive convolution, by the same loops.

    Each output pixel ``out[n, f, i, j]`` was a window of ``xpad`` times ``W[f]``, so its
    gradient ``dout[n, f, i, j]`` flows back to the window (times ``W[f]``, C3) and to
    ``W[f]`` (times the window, C2); ``b[f]`` got it once per pixel (C4).

    Parameters
    ----------
    dout : ndarray of shape (N, F, Ho, Wo)
    cache : ConvCache
        From :func:`conv_forward_naive`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dW : ndarray of shape (F, C, HH, WW)
    db : ndarray of shape (F,)
    """
    x, W, stride, pad = cache.x, cache.W, cache.stride, cache.pad
    assert x is not None
    N, F, Ho, Wo = dout.shape
    HH, WW = W.shape[2:]
    xpad = _pad(x, pad)
    dxpad = np.zeros_like(xpad, dtype=np.result_type(x, W))
    dW = np.zeros_like(W)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    rows = slice(i * stride, i * stride + HH)
                    cols = slice(j * stride, j * stride + WW)
                    g = dout[n, f, i, j]
                    dW[f] += g * xpad[n, :, rows, cols]  # (C2)
                    dxpad[n, :, rows, cols] += g * W[f]  # (C3)
    db = dout.sum(axis=(0, 2, 3))  # (C4)
    H, Wd = x.shape[2:]
    return dxpad[:, :, pad : pad + H, pad : pad + Wd], dW, db


# ---------------------------------------------------------------------------- im2col twin
def im2col(x: np.ndarray, HH: int, WW: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Every receptive field of ``x`` as a column of one matrix, ``cols``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    HH, WW : int
        Kernel height and width.
    stride, pad : int

    Returns
    -------
    cols : ndarray of shape (C * HH * WW, Ho * Wo * N)
        Row ``(c, p, q)`` (in that order, as ``W.reshape(F, -1)`` orders a kernel), column
        ``(i, j, n)``: ``xpad[n, c, i*stride + p, j*stride + q]``. The example is the last
        index of a column (see the module's notes on layout).

    Notes
    -----
    Built by kernel offset, not by window: for each ``(p, q)`` one copy of the shifted,
    strided image ``xpad[:, :, p::stride, q::stride]`` (cropped to ``Ho x Wo``) into rows
    ``(c, p, q)``. That is ``HH * WW`` large copies rather than ``N * Ho * Wo`` small ones.
    """
    N, C, H, Wd = x.shape
    Ho, Wo = conv_output_size(H, HH, stride, pad), conv_output_size(Wd, WW, stride, pad)
    # (C, H, W, N): channels outermost for the rows (c, p, q), the batch innermost
    xt = x.transpose(1, 2, 3, 0)
    if pad:
        padded = np.zeros((C, H + 2 * pad, Wd + 2 * pad, N), dtype=x.dtype)
        padded[:, pad : pad + H, pad : pad + Wd] = xt
        xt = padded
    else:
        xt = np.ascontiguousarray(xt)  # a no-op for the layout this module returns
    cols = np.empty((C, HH, WW, Ho, Wo, N), dtype=x.dtype)
    for p in range(HH):
        for q in range(WW):
            # pixel (i, j) of this slice is xpad[..., i*stride + p, j*stride + q]  (C5)
            cols[:, p, q] = xt[:, p : p + stride * Ho : stride, q : q + stride * Wo : stride]
    return cols.reshape(C * HH * WW, Ho * Wo * N)


def col2im(
    dcols: np.ndarray,
    x_shape: tuple[int, int, int, int],
    HH: int,
    WW: int,
    stride: int = 1,
    pad: int = 0,
) -> np.ndarray:
    """The adjoint of :func:`im2col`: add every column's entries back onto their pixels.

    A pixel lies in up to ``HH * WW`` receptive fields, so its gradient is the sum of the
    entries of ``dcols`` that :func:`im2col` copied it to.

    Parameters
    ----------
    dcols : ndarray of shape (C * HH * WW, Ho * Wo * N)
    x_shape : (N, C, H, W)
    HH, WW, stride, pad : int
        As given to :func:`im2col`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
        A transposed view of a ``(C, H, W, N)`` array (see the module's notes on layout).
    """
    N, C, H, Wd = x_shape
    Ho, Wo = conv_output_size(H, HH, stride, pad), conv_output_size(Wd, WW, stride, pad)
    dcols = dcols.reshape(C, HH, WW, Ho, Wo, N)
    dxpad = np.zeros((C, H + 2 * pad, Wd + 2 * pad, N), dtype=dcols.dtype)
    for p in range(HH):
        for q in range(WW):
            # the slice im2col copied from, now added to: one vectorised add  (C6)
            rows, cols = slice(p, p + stride * Ho, stride), slice(q, q + stride * Wo, stride)
            dxpad[:, rows, cols] += dcols[:, p, q]
    return dxpad[:, pad : pad + H, pad : pad + Wd].transpose(3, 0, 1, 2)


def conv_forward_im2col(
    x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0
) -> tuple[np.ndarray, ConvCache]:
    """Convolution as one matrix product: ``out = W_row @ im2col(x) + b``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    W : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    stride, pad : int

    Returns
    -------
    out : ndarray of shape (N, F, Ho, Wo)
        A transposed view of a ``(F, Ho, Wo, N)`` array (see the module's notes on layout).
    cache : ConvCache
    """
    N = x.shape[0]
    F, _, HH, WW = W.shape
    cols = im2col(x, HH, WW, stride, pad)  # (C*HH*WW, Ho*Wo*N)
    out = W.reshape(F, -1) @ cols  # (C1) as a product: (F, C*HH*WW) @ (C*HH*WW, Ho*Wo*N)
    out += b[:, None]  # in place: (F, Ho*Wo*N)
    Ho = conv_output_size(x.shape[2], HH, stride, pad)
    out = out.reshape(F, Ho, -1, N).transpose(3, 0, 1, 2)  # (N, F, Ho, Wo), a view
    return out, ConvCache(None, cols, W, x.shape, stride, pad)


def conv_backward_im2col(
    dout: np.ndarray, cache: ConvCache, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv_forward_im2col`: two matrix products and :func:`col2im`.

    Parameters
    ----------
    dout : ndarray of shape (N, F, Ho, Wo)
    cache : ConvCache
    need_dx : bool, default True
        False skips the product and the ``col2im`` that give ``dx`` (the network's first
        layer never needs the gradient of its data) and returns None for it.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W), or None
    dW : ndarray of shape (F, C, HH, WW)
    db : ndarray of shape (F,)
    """
    cols, W = cache.cols, cache.W
    assert cols is not None
    F = W.shape[0]
    # (F, Ho*Wo*N); free when dout has the layout the forward pass returned
    dout_rows = dout.transpose(1, 2, 3, 0).reshape(F, -1)
    # (C2): dW_row = dout_row @ cols^T, computed as (cols @ dout_row^T)^T: the same numbers,
    # but BLAS is faster with the long axis N*Ho*Wo as the rows of the product's left factor
    dW = (cols @ dout_rows.T).T.reshape(W.shape)
    db = dout_rows.sum(axis=1)  # (C4)
    if not need_dx:
        return None, dW, db
    dcols = W.reshape(F, -1).T @ dout_rows  # (C3): dcols = W_row^T @ dout_row
    dx = col2im(dcols, cache.x_shape, W.shape[2], W.shape[3], cache.stride, cache.pad)
    return dx, dW, db
