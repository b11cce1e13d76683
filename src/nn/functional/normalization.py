"""Batch normalization as plain functions: a step-by-step backward pass beside the short one.

Batch normalization (Ioffe and Szegedy, 2015) standardizes each feature over the mini-batch,
then lets the network rescale it::

    mu    = mean of x over the batch            (per feature)
    var   = mean of (x - mu)^2 over the batch   (biased, as the paper normalizes)
    x_hat = (x - mu) / sqrt(var + eps)                          (N1)
    y     = gamma * x_hat + beta                                (N2)

A *feature* is axis 1: a unit of a dense layer's ``(batch, n)`` output, or a channel of a
convolution's ``(batch, C, H, W)`` output, whose statistics are then taken over the batch and
every pixel (``m = batch * H * W`` numbers per channel), so that one channel keeps one meaning.

The backward pass has to go through ``mu`` and ``var``, which depend on every ``x`` of the
batch. :func:`batchnorm_backward_naive` walks the computation graph one node at a time (as
CS231n's assignment 2 first asks); :func:`batchnorm_backward` is the simplified result::

    dx = gamma / (m sqrt(var + eps)) * (m dy - sum(dy) - x_hat * sum(dy * x_hat))   (N3)

with the sums over the ``m`` numbers of each feature: ``sum(dy)`` is ``dbeta`` and
``sum(dy * x_hat)`` is ``dgamma``, so the two parameter gradients come for free.

In prediction the layer uses running averages of ``mu`` and ``var`` instead of the batch's
(:func:`batchnorm_forward` with ``mean`` and ``var`` given), so one example's output does not
depend on the others; it is then a fixed affine map, and its backward pass is
``dx = dy * gamma / sqrt(var + eps)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "BatchNormCache",
    "batchnorm_backward",
    "batchnorm_backward_naive",
    "batchnorm_forward",
    "feature_axes",
    "feature_rows",
    "from_feature_rows",
]


class BatchNormCache(NamedTuple):
    """What the backward pass needs: ``x_hat`` (as rows, see :func:`feature_rows`),
    ``1 / sqrt(var + eps)`` and ``gamma``, whether the statistics were the batch's
    (training) or fixed (prediction), and how ``x`` was turned into rows."""

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    batch_statistics: bool
    perm: tuple[int, ...]
    moved_shape: tuple[int, ...]


def feature_axes(ndim: int) -> tuple[int, ...]:
    """The axes statistics are taken over: every axis but 1 (``(0,)`` or ``(0, 2, 3)``)."""
    return (0, *range(2, ndim))


def feature_rows(x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """``x`` as a matrix ``(C, m)``: row ``c`` holds the ``m`` numbers of feature ``c``.

    The other axes are flattened in the order they lie in memory, so for the layouts the
    layers produce (a convolution's output keeps its channels outermost) this is a view,
    and every sum below runs along contiguous rows. Returns the rows and the axis order
    (``perm``) that :func:`from_feature_rows` undoes.
    """
    others = sorted((a for a in range(x.ndim) if a != 1), key=lambda a: -abs(x.strides[a]))
    perm = (1, *others)
    return x.transpose(perm).reshape(x.shape[1], -1), perm


def from_feature_rows(
    rows: np.ndarray, perm: tuple[int, ...], moved_shape: tuple[int, ...]
) -> np.ndarray:
    """The inverse of :func:`feature_rows`: rows back to the shape of ``x`` (a view)."""
    return rows.reshape(moved_shape).transpose(np.argsort(perm))


def batchnorm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    eps: float = 1e-5,
    mean: np.ndarray | None = None,
    var: np.ndarray | None = None,
) -> tuple[np.ndarray, BatchNormCache, np.ndarray, np.ndarray]:
    """Normalize each feature (axis 1) of ``x``, then scale by ``gamma`` and shift by ``beta``.

    Parameters
    ----------
    x : ndarray of shape (batch, C) or (batch, C, H, W)
    gamma, beta : ndarray of shape (C,)
    eps : float
        Added to the variance: no division by zero for a constant feature.
    mean, var : ndarray of shape (C,), optional
        Fixed statistics (the running averages, in prediction). None: the batch's own.

    Returns
    -------
    y : ndarray of the shape of ``x``
    cache : BatchNormCache
    mean, var : ndarray of shape (C,)
        The statistics used (the batch's, for the running averages).
    """
    rows, perm = feature_rows(x)  # (C, m)
    batch_statistics = mean is None or var is None
    if batch_statistics:
        mean = rows.mean(axis=1)
        centered = rows - mean[:, None]
        # biased (divided by m); einsum sums the squares without a squared copy
        var = np.einsum("ij,ij->i", centered, centered) / rows.shape[1]
    else:
        centered = rows - mean[:, None]
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    x_hat = centered
    x_hat *= inv_std[:, None]  # (N1), in place of the centered copy
    y = x_hat * gamma[:, None]
    y += beta[:, None]  # (N2)
    moved_shape = x.transpose(perm).shape
    cache = BatchNormCache(x_hat, inv_std, gamma, batch_statistics, perm, moved_shape)
    return from_feature_rows(y, perm, moved_shape), cache, mean, var


def batchnorm_backward(
    dy: np.ndarray, cache: BatchNormCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`batchnorm_forward` by the simplified formula (N3).

    Parameters
    ----------
    dy : ndarray of the shape of ``x``
    cache : BatchNormCache

    Returns
    -------
    dx : ndarray of the shape of ``x``
    dgamma, dbeta : ndarray of shape (C,)
    """
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    dy = dy.transpose(cache.perm).reshape(x_hat.shape)  # rows as x_hat's (a copy if need be)
    dbeta = dy.sum(axis=1)  # (N4)
    dgamma = np.einsum("ij,ij->i", dy, x_hat)  # (N5): sum(dy x_hat), no product copy
    if not cache.batch_statistics:  # fixed statistics: an affine map
        dx = dy * (gamma * inv_std)[:, None]
        return from_feature_rows(dx, cache.perm, cache.moved_shape), dgamma, dbeta
    m = x_hat.shape[1]  # numbers per feature
    # (N3): m dy - sum(dy) - x_hat sum(dy x_hat), with the two sums already computed
    dx = dy * m
    dx -= dbeta[:, None]
    dx -= x_hat * dgamma[:, None]
    dx *= (gamma * inv_std / m)[:, None]  # in place: one (C, m) array and one temporary
    return from_feature_rows(dx, cache.perm, cache.moved_shape), dgamma, dbeta


def batchnorm_backward_naive(
    dy: np.ndarray, cache: BatchNormCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same gradients, node by node backwards through the graph of the forward pass.

    The forward pass as a graph: ``xc = x - mu``, ``var = mean(xc^2)``,
    ``inv_std = (var + eps)^(-1/2)``, ``x_hat = xc * inv_std``, ``y = gamma x_hat + beta``.
    Each line below is the chain rule at one node, ``mu`` and ``var`` collecting the gradient
    of every number they fed; the features are rows (:func:`feature_rows`), so every sum is
    along axis 1. Only for batch statistics (prediction is :func:`batchnorm_backward`).

    Returns
    -------
    dx : ndarray of the shape of ``x``
    dgamma, dbeta : ndarray of shape (C,)
    """
    if not cache.batch_statistics:
        return batchnorm_backward(dy, cache)
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    dy = dy.transpose(cache.perm).reshape(x_hat.shape)
    m = x_hat.shape[1]
    inv = inv_std[:, None]
    xc = x_hat / inv  # x - mu
    dbeta = dy.sum(axis=1)  # y = ... + beta
    dgamma = np.sum(dy * x_hat, axis=1)  # y = gamma x_hat + ...
    dx_hat = dy * gamma[:, None]
    dinv_std = np.sum(dx_hat * xc, axis=1)  # x_hat = xc * inv_std
    dxc = dx_hat * inv
    dvar = dinv_std * -0.5 * inv_std**3  # inv_std = (var + eps)^(-1/2)
    dxc += dvar[:, None] * 2.0 * xc / m  # var = sum(xc^2) / m
    dmu = -dxc.sum(axis=1)  # xc = x - mu
    dx = dxc + dmu[:, None] / m  # mu = sum(x) / m
    return from_feature_rows(dx, cache.perm, cache.moved_shape), dgamma, dbeta
