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

from nn.functional.layout import empty_laid_out_like, zeros_laid_out_like

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
            dx[n, c, i * stride + p, j * stride + q] += dout[:, :, i, j]  # (P2)
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
            share = dout[:, :, i, j, None, None] / (size * size)  # (P4)
            _window(dx, i, j, size, stride)[...] += share
    return dx


# ---------------------------------------------------------------------------- fast twins
def _offsets(start: int, count: int, stride: int) -> slice:
    """Rows (or columns) ``start, start + stride, ...``: ``count`` of them."""
    return slice(start, start + stride * (count - 1) + 1, stride)


def _along(x: np.ndarray, axis: int, start: int, count: int, stride: int) -> np.ndarray:
    """``x[..., rows, :]`` (axis -2) or ``x[..., cols]`` (axis -1) for :func:`_offsets`."""
    return (
        x[..., _offsets(start, count, stride), :]
        if axis == -2
        else x[..., _offsets(start, count, stride)]
    )


def _max_along(
    x: np.ndarray, axis: int, size: int, stride: int, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum of each window of ``size`` along ``axis`` (-1 or -2), and its offset in it.

    The ``size`` strided slices are compared in turn; a later one replaces the best only
    where it is strictly greater, so of tied entries the first wins (P1).
    """
    best = _along(x, axis, 0, count, stride)
    winner = None
    for k in range(1, size):
        v = _along(x, axis, k, count, stride)
        greater = v > best  # strictly: of tied entries the first stays (P1)
        # uint8 offsets; the first comparison's booleans are already offsets 0 and 1
        winner = (
            greater.view(np.uint8) if winner is None else np.where(greater, np.uint8(k), winner)
        )
        best = np.maximum(best, v)  # a new array in x's layout (order "K")
    if winner is None:  # windows of one: the slice itself wins
        return best.copy(order="K"), np.zeros(best.shape, dtype=np.uint8)
    return best, winner


def _route_along(
    d: np.ndarray, winner: np.ndarray, axis: int, size: int, stride: int, length: int
) -> np.ndarray:
    """The adjoint of :func:`_max_along`: each entry of ``d`` to the offset that won (P2)."""
    shape = list(d.shape)
    shape[axis] = length
    count = d.shape[axis]
    # windows side by side and covering the axis: every entry is written exactly once
    tiled = stride == size and length == size * count
    make = empty_laid_out_like if tiled else zeros_laid_out_like
    dx = make(tuple(shape), d, d.dtype)  # in d's layout
    for k in range(size):
        chosen = winner == k
        if tiled:
            np.multiply(d, chosen, out=_along(dx, axis, k, count, stride))
        else:  # overlapping windows share entries: add
            _along(dx, axis, k, count, stride)[...] += d * chosen
    return dx


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
    # along each row of every window: rows[..., h, j] = max over q of x[..., h, j*stride + q]
    rows, row_winner = _max_along(x, -1, size, stride, Wo)  # (N, C, H, Wo)
    # down the window: out[..., i, j] = max over p of rows[..., i*stride + p, j]
    out, winner = _max_along(rows, -2, size, stride, Ho)  # (N, C, Ho, Wo)
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
        In the layout of the forward pass's ``x``.
    """
    assert cache.row_winner is not None
    size, stride = cache.size, cache.stride
    H, W = cache.x_shape[2:]
    # P2 in two steps: down the window to the row maxima (N, C, H, Wo), then along each row
    drows = _route_along(_like(dout, cache.winner), cache.winner, -2, size, stride, H)
    return _route_along(drows, cache.row_winner, -1, size, stride, W)


def _like(d: np.ndarray, layout: np.ndarray) -> np.ndarray:
    """``d`` in the memory layout of ``layout`` (a copy only if it is not already)."""
    if d.strides == tuple(s * d.itemsize // layout.itemsize for s in layout.strides):
        return d
    out = zeros_laid_out_like(d.shape, layout, d.dtype)
    out[...] = d
    return out


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
