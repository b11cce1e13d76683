"""Toy 2-D regression problems that fit on a plot: a tilted plane and Gaussian bumps.

Each returns inputs ``X`` of shape (n, 2), drawn uniformly from the square [-1, 1]^2, and real
targets ``Y`` of shape (n, 1) (rows, as ``fit`` takes them for one output unit), in about
[-1, 1]. Noise is added to the targets, not to the inputs. Their randomness comes only from the
``seed`` argument (see :func:`nn.datasets.as_generator`): the same seed gives the same bits.
"""

from __future__ import annotations

import numpy as np

from nn.datasets.common import Split, float_dtype
from nn.datasets.toy import Seed, as_generator, check_int, check_real

__all__ = ["BUMPS", "bumps", "plane"]

#: The bumps of :func:`bumps`: centre x0, centre x1 and sign of each, in two rows of three.
BUMPS = np.array(
    [
        [-0.8, 0.5, 1.0],
        [0.0, 0.5, -1.0],
        [0.8, 0.5, 1.0],
        [-0.8, -0.5, -1.0],
        [0.0, -0.5, 1.0],
        [0.8, -0.5, -1.0],
    ]
)

#: Standard deviation of each bump of :func:`bumps`.
BUMP_WIDTH = 0.2


def _points(n: int, noise: float, seed: Seed, dtype: object):
    n = check_int("n", n, 1)
    noise = check_real("noise", noise, ">= 0", lambda v: v >= 0)
    dt = float_dtype(dtype)
    rng = as_generator(seed)
    return rng.uniform(-1.0, 1.0, size=(n, 2)), noise, dt, rng  # X: (n, 2), in float64


def plane(
    n: int = 200, *, noise: float = 0.0, seed: Seed = None, dtype: object = np.float32
) -> Split:
    """A tilted plane, ``y = (x0 + x1) / 2``: the regression a linear model already solves.

    Parameters
    ----------
    n : int, default 200
        Number of points, >= 1.
    noise : float, default 0
        Standard deviation of Gaussian noise added to the targets, >= 0.
    seed : int, numpy.random.Generator or None
        See :func:`nn.datasets.as_generator`.
    dtype : floating dtype, default numpy.float32

    Returns
    -------
    X : ndarray of shape (n, 2), in [-1, 1]^2
    Y : ndarray of shape (n, 1), in [-1, 1] before the noise
    """
    X, noise, dt, rng = _points(n, noise, seed, dtype)
    Y = (X[:, :1] + X[:, 1:]) / 2  # (n, 1)
    Y = Y + noise * rng.standard_normal(Y.shape)
    return X.astype(dt), Y.astype(dt)


def bumps(
    n: int = 200, *, noise: float = 0.0, seed: Seed = None, dtype: object = np.float32
) -> Split:
    """Six Gaussian bumps, up and down in turn: ``y = sum_k s_k exp(-|x - c_k|^2 / (2 w^2))``.

    The centres ``c_k`` and signs ``s_k`` are :data:`BUMPS` (two rows of three, alternating),
    the width ``w`` is :data:`BUMP_WIDTH`; a network needs curved hidden units to fit them.

    Parameters
    ----------
    n : int, default 200
        Number of points, >= 1.
    noise : float, default 0
        Standard deviation of Gaussian noise added to the targets, >= 0.
    seed : int, numpy.random.Generator or None
        See :func:`nn.datasets.as_generator`.
    dtype : floating dtype, default numpy.float32

    Returns
    -------
    X : ndarray of shape (n, 2), in [-1, 1]^2
    Y : ndarray of shape (n, 1), in about [-1, 1] before the noise
    """
    X, noise, dt, rng = _points(n, noise, seed, dtype)
    d2 = ((X[:, None, :] - BUMPS[None, :, :2]) ** 2).sum(axis=2)  # (n, 6) squared distances
    Y = (np.exp(-d2 / (2 * BUMP_WIDTH**2)) * BUMPS[:, 2]).sum(axis=1, keepdims=True)  # (n, 1)
    Y = Y + noise * rng.standard_normal(Y.shape)
    return X.astype(dt), Y.astype(dt)
