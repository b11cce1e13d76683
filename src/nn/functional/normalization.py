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
]


class BatchNormCache(NamedTuple):
    """What the backward pass needs: ``x_hat``, ``1 / sqrt(var + eps)`` and ``gamma``, and
    whether the statistics were the batch's (training) or fixed (prediction)."""

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    batch_statistics: bool


def feature_axes(ndim: int) -> tuple[int, ...]:
    """The axes statistics are taken over: every axis but 1 (``(0,)`` or ``(0, 2, 3)``)."""
    return (0, *range(2, ndim))


def _per_feature(v: np.ndarray, ndim: int) -> np.ndarray:
    """``v`` of shape (C,) reshaped to broadcast along axis 1 of an ``ndim``-axis array."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


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
    axes, ndim = feature_axes(x.ndim), x.ndim
    batch_statistics = mean is None or var is None
    if batch_statistics:
        mean = x.mean(axis=axes)
        centered = x - _per_feature(mean, ndim)
        var = np.mean(centered * centered, axis=axes)  # biased: divided by m
    else:
        centered = x - _per_feature(mean, ndim)
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    x_hat = centered * _per_feature(inv_std, ndim)  # (N1)
    y = x_hat * _per_feature(gamma, ndim) + _per_feature(beta, ndim)  # (N2)
    return y, BatchNormCache(x_hat, inv_std, gamma, batch_statistics), mean, var


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
    axes, ndim = feature_axes(dy.ndim), dy.ndim
    dbeta = dy.sum(axis=axes)  # (N4)
    dgamma = np.sum(dy * x_hat, axis=axes)  # (N5)
    if not cache.batch_statistics:  # fixed statistics: an affine map
        return dy * _per_feature(gamma * inv_std, ndim), dgamma, dbeta
    m = dy.size // dy.shape[1]  # numbers per feature
    scale = _per_feature(gamma * inv_std / m, ndim)
    # (N3): m dy - sum(dy) - x_hat sum(dy x_hat), with the two sums already computed
    dx = scale * (m * dy - _per_feature(dbeta, ndim) - x_hat * _per_feature(dgamma, ndim))
    return dx, dgamma, dbeta


def batchnorm_backward_naive(
    dy: np.ndarray, cache: BatchNormCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same gradients, node by node backwards through the graph of the forward pass.

    The forward pass as a graph: ``xc = x - mu``, ``var = mean(xc^2)``,
    ``inv_std = (var + eps)^(-1/2)``, ``x_hat = xc * inv_std``, ``y = gamma x_hat + beta``.
    Each line below is the chain rule at one node, ``mu`` and ``var`` collecting the gradient
    of every number they fed. Only for batch statistics (prediction is :func:`batchnorm_backward`).

    Returns
    -------
    dx : ndarray of the shape of ``x``
    dgamma, dbeta : ndarray of shape (C,)
    """
    if not cache.batch_statistics:
        return batchnorm_backward(dy, cache)
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    axes, ndim = feature_axes(dy.ndim), dy.ndim
    m = dy.size // dy.shape[1]
    inv = _per_feature(inv_std, ndim)
    xc = x_hat / inv  # x - mu
    dbeta = dy.sum(axis=axes)  # y = ... + beta
    dgamma = np.sum(dy * x_hat, axis=axes)  # y = gamma x_hat + ...
    dx_hat = dy * _per_feature(gamma, ndim)
    dinv_std = np.sum(dx_hat * xc, axis=axes)  # x_hat = xc * inv_std
    dxc = dx_hat * inv
    dvar = dinv_std * -0.5 * inv_std**3  # inv_std = (var + eps)^(-1/2)
    dxc += _per_feature(dvar, ndim) * 2.0 * xc / m  # var = sum(xc^2) / m
    dmu = -dxc.sum(axis=axes)  # xc = x - mu
    dx = dxc + _per_feature(dmu, ndim) / m  # mu = sum(x) / m
    return dx, dgamma, dbeta
