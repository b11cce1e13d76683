"""Toy 2-D classification problems that fit on a plot: xor, moons, circles, spirals, gaussians.

Each returns inputs ``X`` of shape (n, 2) and int64 labels ``y`` of shape (n,). Their randomness
comes only from the ``seed`` argument (see :func:`as_generator`): the same seed gives the same
bits. (Regression sets are in :mod:`nn.datasets.toy_regression`.)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from nn.datasets.common import Split, float_dtype

__all__ = ["as_generator", "circles", "gaussians", "moons", "spirals", "xor"]

Seed = int | np.random.Generator | None


# --------------------------------------------------------------------------------------------
# Randomness and argument checks
# --------------------------------------------------------------------------------------------


def as_generator(seed: Seed = None) -> np.random.Generator:
    """Turn a ``seed`` argument into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        An int >= 0 gives a new generator seeded with it, so the same int always gives the same
        bits. A Generator is returned as it is (not copied), so draws advance the caller's stream.
        None gives a generator seeded from the operating system: different on every call.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        If ``seed`` is of another type (a bool is refused: ``seed=True`` is almost always a bug).
    ValueError
        If ``seed`` is a negative int.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer):
        raise TypeError(
            f"seed must be None, an int >= 0 or a numpy.random.Generator, "
            f"found {type(seed).__name__} {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"seed must be an int >= 0, found {seed}")
    return np.random.default_rng(int(seed))


def check_int(name: str, value: object, minimum: int) -> int:
    """``value`` as an int if it is an integer >= ``minimum`` (TypeError or ValueError if not)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"{name} must be an int >= {minimum}, found {type(value).__name__} {value!r}"
        )
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, found {value}")
    return int(value)


def check_real(name: str, value: object, expected: str, ok: Callable[[float], bool]) -> float:
    """Return ``value`` as a float if it is a finite real number for which ``ok`` holds."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise TypeError(f"{name} must be a number {expected}, found {type(value).__name__}")
    x = float(value)
    if not (math.isfinite(x) and ok(x)):
        raise ValueError(f"{name} must be a finite number {expected}, found {value}")
    return x


# --------------------------------------------------------------------------------------------
# Toy problems
# --------------------------------------------------------------------------------------------


def xor(
    dtype: object = np.float32, *, n: int | None = None, noise: float = 0.0, seed: Seed = None
) -> Split:
    """The XOR problem, the smallest task a linear model cannot solve.

    Without ``n``: its four points ``[0, 0], [0, 1], [1, 0], [1, 1]`` with labels
    ``[0, 1, 1, 0]``. With ``n``: ``n`` points drawn uniformly from the unit square, labelled
    ``(x0 > 1/2) XOR (x1 > 1/2)`` (the quadrants around the square's centre, so each of the four
    points stands for its quadrant), then moved by Gaussian noise of standard deviation
    ``noise``; the label is that of the point before the noise, so noise can carry a point
    across the boundary.

    Parameters
    ----------
    dtype : floating dtype, default numpy.float32
    n : int, optional
        Number of points, >= 1; None for the four points.
    noise : float, default 0
        Standard deviation of the noise, >= 0 (only with ``n``).
    seed : int, numpy.random.Generator or None
        See :func:`as_generator` (only with ``n``).

    Returns
    -------
    X : ndarray of shape (4, 2) or (n, 2)
    y : ndarray of shape (4,) or (n,), int64 labels in {0, 1}
    """
    dt = float_dtype(dtype)
    if n is None:
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dt)
        return X, np.array([0, 1, 1, 0], dtype=np.int64)
    n = check_int("n", n, 1)
    noise = check_real("noise", noise, ">= 0", lambda v: v >= 0)
    rng = as_generator(seed)
    X = rng.uniform(0.0, 1.0, size=(n, 2))  # (n, 2), drawn in float64 and rounded once
    y = ((X[:, 0] > 0.5) != (X[:, 1] > 0.5)).astype(np.int64)
    X += noise * rng.standard_normal(X.shape)
    return X.astype(dt), y


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator, dt: np.dtype) -> Split:
    """The examples in a random order, X cast to ``dt`` once at the end.

    Generators lay points out class by class; shuffling keeps mini-batches mixed.
    """
    order = rng.permutation(len(X))
    return X[order].astype(dt), y[order]


def moons(
    n: int = 200, *, noise: float = 0.1, seed: Seed = None, dtype: object = np.float32
) -> Split:
    """Two interleaving half circles: a problem that needs a curved decision boundary.

    Class 0 lies on the upper half of the unit circle, class 1 on a lower half circle shifted
    to ``(1, 0.5)``; Gaussian noise of standard deviation ``noise`` is added to both
    coordinates. The examples are shuffled, so they are not grouped by class.

    Parameters
    ----------
    n : int, default 200
        Number of points, >= 2 (``n // 2`` of class 0, the rest of class 1).
    noise : float, default 0.1
        Standard deviation of the noise, >= 0.
    seed : int, numpy.random.Generator or None
        See :func:`as_generator`.
    dtype : floating dtype, default numpy.float32

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), int64 labels in {0, 1}
    """
    n = check_int("n", n, 2)
    noise = check_real("noise", noise, ">= 0", lambda v: v >= 0)
    dt = float_dtype(dtype)
    rng = as_generator(seed)

    n0 = n // 2
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n - n0)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.concatenate([upper, lower])  # (n, 2)
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n - n0])
    # Drawn in float64 and rounded once, so float32 and float64 give the same points.
    X += noise * rng.standard_normal(X.shape)
    return _shuffled(X, y, rng, dt)


def circles(
    n: int = 200,
    *,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: Seed = None,
    dtype: object = np.float32,
) -> Split:
    """A circle of class 1 inside a ring of class 0: no straight line separates them.

    Class 0 is the unit circle, class 1 a concentric circle of radius ``factor``, points
    evenly spaced in angle, plus Gaussian noise of standard deviation ``noise`` on both
    coordinates. The examples are shuffled.

    Parameters
    ----------
    n : int, default 200
        Number of points, >= 2 (``n // 2`` on the outer circle, the rest on the inner one).
    noise : float, default 0.05
        Standard deviation of the noise, >= 0.
    factor : float, default 0.5
        Radius of the inner circle relative to the outer one, in the open interval (0, 1).
    seed : int, numpy.random.Generator or None
        See :func:`as_generator`.
    dtype : floating dtype, default numpy.float32

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), int64 labels in {0, 1}
    """
    n = check_int("n", n, 2)
    noise = check_real("noise", noise, ">= 0", lambda v: v >= 0)
    factor = check_real("factor", factor, "strictly between 0 and 1", lambda v: 0 < v < 1)
    dt = float_dtype(dtype)
    rng = as_generator(seed)

    n0 = n // 2
    t0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)  # endpoint=False: no doubled point
    t1 = np.linspace(0.0, 2 * np.pi, n - n0, endpoint=False)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = factor * np.column_stack([np.cos(t1), np.sin(t1)])
    X = np.concatenate([outer, inner])  # (n, 2)
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n - n0])
    X += noise * rng.standard_normal(X.shape)
    return _shuffled(X, y, rng, dt)


def spirals(
    n: int = 300,
    *,
    classes: int = 3,
    noise: float = 0.2,
    seed: Seed = None,
    dtype: object = np.float32,
) -> Split:
    """Interleaved spiral arms, one per class (the CS231n "spiral" dataset).

    Arm ``k`` has points at radius ``r`` from 0 to 1 and angle ``t`` from ``4k`` to ``4(k+1)``
    radians, ``x = (r sin t, r cos t)``. As in CS231n the noise perturbs the angle ``t``, not the
    coordinates, so points stay on their radius. The examples are shuffled.

    Parameters
    ----------
    n : int, default 300
        Total number of points, >= ``classes``; class ``k`` gets ``n // classes`` points, plus
        one for each ``k < n % classes``.
    classes : int, default 3
        Number of arms (classes), >= 2.
    noise : float, default 0.2
        Standard deviation, in radians, of the Gaussian noise added to the angle; >= 0.
    seed : int, numpy.random.Generator or None
        See :func:`as_generator`.
    dtype : floating dtype, default numpy.float32

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), int64 labels in {0, ..., classes - 1}
    """
    classes = check_int("classes", classes, 2)
    n = check_int("n", n, 1)
    if n < classes:
        raise ValueError(f"n must be >= classes ({classes}) so every class has a point, found {n}")
    noise = check_real("noise", noise, ">= 0", lambda v: v >= 0)
    dt = float_dtype(dtype)
    rng = as_generator(seed)

    sizes = [n // classes + (k < n % classes) for k in range(classes)]
    arms = []
    for k, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), m) + noise * rng.standard_normal(m)
        arms.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    X = np.concatenate(arms)  # (n, 2)
    y = np.repeat(np.arange(classes, dtype=np.int64), sizes)
    return _shuffled(X, y, rng, dt)


def gaussians(
    n: int = 200, *, noise: float = 0.15, seed: Seed = None, dtype: object = np.float32
) -> Split:
    """Two round Gaussian clouds, class 1 around ``(0.4, 0.4)`` and class 0 around its mirror.

    The easiest problem here: a straight line separates the clouds unless ``noise`` (their
    spread) makes them overlap. The examples are shuffled.

    Parameters
    ----------
    n : int, default 200
        Number of points, >= 2 (``n // 2`` of class 0, the rest of class 1).
    noise : float, default 0.15
        Standard deviation of each cloud along each axis, >= 0.
    seed : int, numpy.random.Generator or None
        See :func:`as_generator`.
    dtype : floating dtype, default numpy.float32

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), int64 labels in {0, 1}
    """
    n = check_int("n", n, 2)
    noise = check_real("noise", noise, ">= 0", lambda v: v >= 0)
    dt = float_dtype(dtype)
    rng = as_generator(seed)

    y = np.repeat(np.array([0, 1], dtype=np.int64), [n // 2, n - n // 2])
    centres = np.where(y[:, None] == 1, 0.4, -0.4)  # (n, 2)
    X = centres + noise * rng.standard_normal((n, 2))
    return _shuffled(X, y, rng, dt)
