"""New arrays laid out in memory like an existing one, whatever their logical axis order.

The fast convolution returns ``(N, F, Ho, Wo)`` outputs that are transposed views of
``(F, N, Ho, Wo)`` arrays (see :mod:`nn.functional.conv`). The layers after it (ReLU,
pooling) keep that layout, so that the gradient arriving back at the convolution can be
reshaped to a matrix without a copy. ``np.zeros_like`` keeps a layout only for arrays of the
same shape; :func:`zeros_laid_out_like` does it for another shape with as many axes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["empty_laid_out_like", "zeros_laid_out_like"]


def zeros_laid_out_like(shape: tuple[int, ...], like: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Zeros of ``shape`` whose axes lie in memory in the order ``like``'s do.

    Parameters
    ----------
    shape : tuple of int
        As many axes as ``like``.
    like : ndarray
        Its strides give the order, outermost (largest stride) first.
    dtype : numpy dtype

    Returns
    -------
    ndarray of ``shape``
        A view of a C-contiguous array whose axes are ``shape``'s permuted into that order.
    """
    return _laid_out_like(np.zeros, shape, like, dtype)


def empty_laid_out_like(shape: tuple[int, ...], like: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """As :func:`zeros_laid_out_like`, uninitialized (for an array about to be overwritten)."""
    return _laid_out_like(np.empty, shape, like, dtype)


def _laid_out_like(make, shape: tuple[int, ...], like: np.ndarray, dtype: np.dtype) -> np.ndarray:
    order = sorted(range(len(shape)), key=lambda axis: -abs(like.strides[axis]))
    stored = make([shape[axis] for axis in order], dtype=dtype)
    return stored.transpose(np.argsort(order))
