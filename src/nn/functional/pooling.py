"""Max and average pooling as plain functions: naive twins to read, fast twins to run.

Shapes: ``x`` is ``(N, C, H, W)``; windows of ``size x size`` placed every ``stride`` pixels
give ``(N, C, Ho, Wo)`` with ``Ho = (H - size) // stride + 1`` (pixels past the last whole
window are not pooled, as in PyTorch). Windows overlap when ``stride < size``.

Max pooling's gradient is routed, not spread: each output is one input, the window's
maximum, so ``dout`` goes to that input and to no other. When several inputs of a window tie
for the maximum (flat backgrounds, as in Fashion-MNIST, tie often; so do ReLU outputs of 0),
the output still depends on just one of them at a time, and the gradient goes to *one*: the
first in row-major order, as ``np.argmax`` and PyTorch choose. Sending it to every tied input
would multiply the gradient by the number of ties.

The fast twins use that a 2-D maximum is a maximum of maxima: first along each row of every
window (``size`` strided slices compared in turn, a later one replacing the best only if it
is strictly greater, so the first maximum wins), then down the column of those row maxima
(the top row winning ties). The window's winner is the first maximum in row-major order, as
in the naive twin, and every step is a whole-array operation on strided slices. Average
pooling sums the same way. docs/convolution.md explains both.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nn.functional.layout import zeros_laid_out_like

__all__ = [
    "MaxPoolCache",
    "avg_pool_backward",
    "avg_pool_backward_naive",
    "avg_pool_forward",
    "avg_pool_forward_naive",
    "max_pool_backward",
    "max_pool_backward_naive",
    "max_pool_forward",
    "max_pool_forward_naive",
    "pool_output_size",
]


class MaxPoolCache(NamedTuple):
    """What max pooling's backward pass needs: which input won each window.

    Naive twin: ``winner`` is ``(N, C, Ho, Wo)``, the flat index ``p * size + q`` of the
    winner in its window. Fast twin: ``row_winner`` ``(N, C, H, Wo)`` is the column offset
    ``q`` of the maximum of each window row, ``winner`` ``(N, C, Ho, Wo)`` the row offset
    ``p`` of the row whose maximum won.
    """

    x_shape: tuple[int, int, int, int]
    size: int
    stride: int
    winner: np.ndarray
    row_winner: np.ndarray | None = None


def pool_output_size(size: int, window: int, stride: int) -> int:
    """Windows along one axis: ``(size - window) // stride + 1``.

    Raises
    ------
    ValueError
        If the window is larger than the input.
    """
    if size < window:
        raise ValueError(f"a pooling window of size {window} does not fit in an input of {size}")
    return (size - window) // stride + 1


def _window(x: np.ndarray, i: int, j: int, size: int, stride: int) -> np.ndarray:
    """The window of output pixel ``(i, j)``: ``x[..., rows, cols]``, shape (..., size, size)."""
    return x[..., i * stride : i * stride + size, j * stride : j * stride + size]


# ---------------------------------------------------------------------------- naive twins
def max_pool_forward_naive(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, MaxPoolCache]:
    """Max pooling by a loop over output pixels; ``np.argmax`` picks the first maximum.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    size : int
        Height and width of each window.
    stride : int, optional
        Step between windows; ``size`` (no overlap) by default.

    Returns
    -------
    out : ndarray of shape (N, C, Ho, Wo)
    cache : MaxPoolCache
    """
    stride = size if stride is None else stride
    N, C, H, W = x.shape
    Ho, Wo = pool_output_size(H, size, stride), pool_output_size(W, size, stride)
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    winner = np.empty((N, C, Ho, Wo), dtype=np.intp)
    for i in range(Ho):
        for j in range(Wo):
            window = _window(x, i, j, size, stride).reshape(N, C, size * size)
            winner[:, :, i, j] = window.argmax(axis=2)  # the first maximum, row-major (P1)
            out[:, :, i, j] = window.max(axis=2)
    return out, MaxPoolCache(x.shape, size, stride, winner)


def max_pool_backward_naive(dout: np.ndarray, cache: MaxPoolCache) -> np.ndarray:
    """Route each ``dout[n, c, i, j]`` to the one input that won its window (P2).

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
        Zero except at winners; an input winning several overlapping windows gets the sum.
    """
    N, C, _, _ = cache.x_shape
    size, stride = cache.size, cache.stride
    dx = np.zeros(cache.x_shape, dtype=dout.dtype)
    n, c = np.ogrid[:N, :C]
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            p, q = np.divmod(cache.winner[:, :, i, j], size)  # row and column in the window
            dx[n, c, i * stride + p, j * stride + q] += dout[:, :, i, j]
    return dx


def avg_pool_forward_naive(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, tuple[tuple[int, ...], int, int]]:
    """Average pooling by a loop over output pixels.

    Returns
    -------
    out : ndarray of shape (N, C, Ho, Wo)
    cache : (x_shape, size, stride)
    """
    stride = size if stride is None else stride
    N, C, H, W = x.shape
    Ho, Wo = pool_output_size(H, size, stride), pool_output_size(W, size, stride)
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = _window(x, i, j, size, stride).mean(axis=(2, 3))  # (P3)
    return out, (x.shape, size, stride)


def avg_pool_backward_naive(
    dout: np.ndarray, cache: tuple[tuple[int, ...], int, int]
) -> np.ndarray:
    """Spread each ``dout[n, c, i, j]`` evenly over its window: ``1 / size^2`` to each (P4).

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    """
    x_shape, size, stride = cache
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            _window(dx, i, j, size, stride)[...] += dout[:, :, i, j, None, None] / (size * size)
    return dx


# ---------------------------------------------------------------------------- fast twins
def _offsets(start: int, count: int, stride: int) -> slice:
    """Rows (or columns) ``start, start + stride, ...``: ``count`` of them."""
    return slice(start, start + stride * (count - 1) + 1, stride)


def max_pool_forward(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, MaxPoolCache]:
    """Max pooling as a maximum of row maxima; the same numbers and winners as the naive twin.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        Any strides (the transposed views :func:`~nn.functional.conv.conv_forward_im2col`
        returns are fine, and the output keeps their layout).
    size : int
    stride : int, optional
        ``size`` by default.

    Returns
    -------
    out : ndarray of shape (N, C, Ho, Wo)
    cache : MaxPoolCache
    """
    stride = size if stride is None else stride
    _, _, H, W = x.shape
    Ho, Wo = pool_output_size(H, size, stride), pool_output_size(W, size, stride)
    # Along each row: rows[..., h, j] = max over q of x[..., h, j*stride + q].
    rows = x[..., _offsets(0, Wo, stride)].copy(order="K")  # (N, C, H, Wo), x's layout
    row_winner = np.zeros_like(rows, dtype=np.uint8)
    for q in range(1, size):
        column = x[..., _offsets(q, Wo, stride)]
        np.copyto(row_winner, q, where=column > rows)  # strictly greater: the first max stays
        np.maximum(rows, column, out=rows)
    # Down the window: out[..., i, j] = max over p of rows[..., i*stride + p, j].
    out = rows[..., _offsets(0, Ho, stride), :].copy(order="K")  # (N, C, Ho, Wo)
    winner = np.zeros_like(out, dtype=np.uint8)
    for p in range(1, size):
        row = rows[..., _offsets(p, Ho, stride), :]
        np.copyto(winner, p, where=row > out)
        np.maximum(out, row, out=out)
    return out, MaxPoolCache(x.shape, size, stride, winner, row_winner)


def max_pool_backward(dout: np.ndarray, cache: MaxPoolCache) -> np.ndarray:
    """Route ``dout`` back down the window, then along the winning row: one input per window.

    Parameters
    ----------
    dout : ndarray of shape (N, C, Ho, Wo)
    cache : MaxPoolCache
        From :func:`max_pool_forward`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    """
    assert cache.row_winner is not None
    size, stride, winner, row_winner = cache.size, cache.stride, cache.winner, cache.row_winner
    Ho, Wo = dout.shape[2:]
    zero = dout.dtype.type(0)
    # P2 in two steps. Down the window: the row maxima's gradient, (N, C, H, Wo).
    drows = np.zeros_like(row_winner, dtype=dout.dtype)
    for p in range(size):
        drows[..., _offsets(p, Ho, stride), :] += np.where(winner == p, dout, zero)
    # Along each row: to the column that won it.
    dx = zeros_laid_out_like(cache.x_shape, row_winner, dout.dtype)  # x's layout
    for q in range(size):
        dx[..., _offsets(q, Wo, stride)] += np.where(row_winner == q, drows, zero)
    return dx


def avg_pool_forward(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, tuple[tuple[int, ...], int, int]]:
    """Average pooling as ``size * size`` strided slices summed; the naive twin's numbers.

    Returns
    -------
    out : ndarray of shape (N, C, Ho, Wo)
    cache : (x_shape, size, stride)
    """
    stride = size if stride is None else stride
    _, _, H, W = x.shape
    Ho, Wo = pool_output_size(H, size, stride), pool_output_size(W, size, stride)
    out = zeros_laid_out_like((*x.shape[:2], Ho, Wo), x, x.dtype)
    for p in range(size):
        for q in range(size):
            out += x[..., _offsets(p, Ho, stride), _offsets(q, Wo, stride)]
    out *= x.dtype.type(1.0 / (size * size))  # (P3)
    return out, (x.shape, size, stride)


def avg_pool_backward(dout: np.ndarray, cache: tuple[tuple[int, ...], int, int]) -> np.ndarray:
    """Each input gets ``1 / size^2`` of the gradient of every window it is in (P4).

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    """
    x_shape, size, stride = cache
    Ho, Wo = dout.shape[2:]
    share = dout * dout.dtype.type(1.0 / (size * size))
    dx = zeros_laid_out_like(x_shape, dout, dout.dtype)
    for p in range(size):
        for q in range(size):
            dx[..., _offsets(p, Ho, stride), _offsets(q, Wo, stride)] += share
    return dx
