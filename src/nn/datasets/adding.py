"""The adding problem: a task whose answer depends on two inputs far apart in a long sequence.

Each sequence has ``T`` steps of two features: a number drawn uniformly from [0, 1), and a
marker that is 1 at exactly two steps and 0 elsewhere, one marked step in the first half of the
sequence and one in the second. The target is the sum of the two marked numbers (Hochreiter and
Schmidhuber 1997, experiment 4; in this form, Le, Jaitly and Hinton 2015). A network that
ignores the inputs can do no better than predicting 1, the mean of the sum, whose squared
error is its variance, ``2 / 12 = 0.167`` (``1/2`` of that under :class:`nn.SquaredError`'s
``1/2 ||a - y||^2``: **0.0833**). To beat it, the gradient of the loss, computed at the last
step, has to reach the first marked step, on average ``T / 2`` steps and up to ``T - 1``
steps back: the longer ``T``, the more factors of the recurrent Jacobian it passes through
(docs/recurrent.md, VT1).
"""

from __future__ import annotations

import numpy as np

from nn.datasets.toy import Seed, as_generator

__all__ = ["GUESS_LOSS", "adding_problem"]

#: The loss (``nn.SquaredError``, ``1/2 (a - y)^2`` averaged) of always predicting 1.
GUESS_LOSS = 1.0 / 12.0


def adding_problem(
    n: int, T: int, *, seed: Seed = None, dtype: object = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences of the adding problem of length ``T``.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Steps per sequence, at least 2.
    seed : int or Generator, optional
    dtype : floating dtype, default float32

    Returns
    -------
    X : ndarray of shape (n, T, 2)
        ``X[:, :, 0]`` the numbers, ``X[:, :, 1]`` the markers.
    y : ndarray of shape (n, 1)
        The sum of the two marked numbers.
    """
    if T < 2 or n < 1:
        raise ValueError(f"the adding problem needs T >= 2 and n >= 1, got T={T}, n={n}")
    rng = as_generator(seed)
    X = np.zeros((n, T, 2), dtype=np.dtype(dtype))
    X[:, :, 0] = rng.random((n, T))
    half = T // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, T, n)
    rows = np.arange(n)
    X[rows, first, 1] = 1
    X[rows, second, 1] = 1
    y = (X[rows, first, 0] + X[rows, second, 0])[:, None]
    return X, y
