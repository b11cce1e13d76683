"""Weight initializers: how a :class:`~nn.layers.dense.Dense` layer draws its first ``W`` and ``b``.

Each initializer is a function ``init(n_in, n_out, rng, dtype) -> (W, b)`` with ``W`` of
shape ``(n_in, n_out)`` and ``b`` of shape ``(n_out,)``, registered by name in
:data:`INITIALIZERS` so that ``Dense(..., init="normal")`` and ``mlp(..., init="normal")``
can select it.

Why it matters: a sigmoid unit with ``n_in`` inputs whose weights are N(0, 1) has a
pre-activation ``z`` with standard deviation about ``sqrt(n_in / 2)`` for inputs in [0, 1]
(about 20 for 784 pixels), so it starts saturated, ``sigma'(z)`` is tiny and it learns slowly
(Nielsen, ch. 3, "Weight initialization"). Scaling the weights by ``1 / sqrt(n_in)`` keeps
``z`` of order 1.

The same argument for the signal going forward *and* the gradient coming back gives Glorot
and Bengio's (2010) variance ``2 / (n_in + n_out)`` for tanh and sigmoid layers; for ReLU,
which zeroes half its inputs, He et al. (2015) double the forward variance to ``2 / n_in``.
Those initializers start the biases at zero, as their papers do.

=================  ==================================  =========
name               W                                   b
=================  ==================================  =========
``normal``         N(0, 1)                             N(0, 1)
``scaled_normal``  N(0, 1/n_in)                        N(0, 1)
``glorot_uniform`` U(-l, l), l = sqrt(6/(n_in+n_out))  0
``glorot_normal``  N(0, 2/(n_in+n_out))                0
``he_uniform``     U(-l, l), l = sqrt(6/n_in)          0
``he_normal``      N(0, 2/n_in)                        0
=================  ==================================  =========

Every distribution is written with its variance; ``U(-l, l)`` has variance ``l^2 / 3``, so
the uniform and normal variants of each have the same variance.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "DEFAULT_INIT",
    "INITIALIZERS",
    "Stored",
    "WEIGHT_VARIANCE",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "initialize",
    "normal",
    "scaled_normal",
]

Initializer = Callable[[int, int, np.random.Generator, np.dtype], tuple[np.ndarray, np.ndarray]]


def normal(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases from N(0, 1): the seed network's init (Nielsen ch. 1, ``network.py``).

    Returns
    -------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,)
    """
    W = rng.standard_normal((n_in, n_out)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)
    return W, b


def scaled_normal(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """Weights from N(0, 1/n_in), biases from N(0, 1) (Nielsen ch. 3, ``network2.py``).

    Also known as LeCun normal. The biases stay N(0, 1) as in Nielsen's
    ``default_weight_initializer``: it makes little difference and keeps his results
    reproducible.

    Returns
    -------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,)
    """
    W = (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)
    return W, b


def _uniform(limit: float, n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype):
    W = rng.uniform(-limit, limit, size=(n_in, n_out)).astype(dtype)
    return W, np.zeros(n_out, dtype=dtype)


def _normal(std: float, n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype):
    W = (rng.standard_normal((n_in, n_out)) * std).astype(dtype)
    return W, np.zeros(n_out, dtype=dtype)


def glorot_uniform(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """Glorot/Xavier uniform: W from U(-l, l) with ``l = sqrt(6 / (n_in + n_out))``, b = 0.

    Variance ``2 / (n_in + n_out)``: a compromise that keeps the variance of the activations
    (forward) and of the deltas (backward) about constant through tanh or sigmoid layers.

    Returns
    -------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,), zeros
    """
    return _uniform(np.sqrt(6.0 / (n_in + n_out)), n_in, n_out, rng, dtype)


def glorot_normal(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """Glorot/Xavier normal: W from N(0, 2 / (n_in + n_out)) (not truncated), b = 0.

    Returns
    -------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,), zeros
    """
    return _normal(np.sqrt(2.0 / (n_in + n_out)), n_in, n_out, rng, dtype)


def he_uniform(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """He uniform: W from U(-l, l) with ``l = sqrt(6 / n_in)`` (variance 2/n_in), b = 0.

    Returns
    -------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,), zeros
    """
    return _uniform(np.sqrt(6.0 / n_in), n_in, n_out, rng, dtype)


def he_normal(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """He/Kaiming normal: W from N(0, 2 / n_in), b = 0; the init for ReLU layers.

    A ReLU passes on average half of its input's second moment, so the factor 2 (against
    ``scaled_normal``'s 1) keeps the activations' scale constant from layer to layer.

    Returns
    -------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,), zeros
    """
    return _normal(np.sqrt(2.0 / n_in), n_in, n_out, rng, dtype)


INITIALIZERS: dict[str, Initializer] = {
    "normal": normal,
    "scaled_normal": scaled_normal,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}

#: The variance of ``W`` each named initializer draws, as a function of ``(n_in, n_out)``
#: (the table above): what the doctor compares to know which init gives smaller weights.
WEIGHT_VARIANCE: dict[str, Callable[[int, int], float]] = {
    "normal": lambda n_in, n_out: 1.0,
    "scaled_normal": lambda n_in, n_out: 1.0 / n_in,
    "glorot_uniform": lambda n_in, n_out: 2.0 / (n_in + n_out),
    "glorot_normal": lambda n_in, n_out: 2.0 / (n_in + n_out),
    "he_uniform": lambda n_in, n_out: 2.0 / n_in,
    "he_normal": lambda n_in, n_out: 2.0 / n_in,
}

#: The default everywhere: N(0, 1/n_in) keeps sigmoid units out of saturation at the start,
#: which is the cheapest fix for the learning slowdown of ch. 1's N(0, 1) init.
DEFAULT_INIT = "scaled_normal"


class Stored:
    """An initializer that hands back arrays already made: a loaded model's ``W`` and ``b``.

    ``Dense(n_in, n_out, init=Stored(W, b))`` starts from ``W`` and ``b`` themselves (not
    copies; training changes them in place) and draws nothing. :func:`initialize` still checks
    their shapes.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W, self.b = W, b

    def __call__(
        self, n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.W.dtype != dtype or self.b.dtype != dtype:
            raise ValueError(f"Stored: W and b must be {dtype}, got {self.W.dtype}, {self.b.dtype}")
        return self.W, self.b

    def __repr__(self) -> str:
        return f"Stored(W of shape {self.W.shape}, b of shape {self.b.shape})"


def initialize(
    init: str | Initializer, n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``(W, b)`` with the initializer named ``init`` (or the callable itself).

    Raises
    ------
    ValueError
        If ``init`` is a string that names no initializer.
    """
    if callable(init):
        fn = init
    else:
        try:
            fn = INITIALIZERS[init]
        except KeyError:
            known = ", ".join(repr(k) for k in INITIALIZERS)
            raise ValueError(
                f"init={init!r} is not a known initializer; use one of {known}"
            ) from None
    W, b = fn(n_in, n_out, rng, np.dtype(dtype))
    if W.shape != (n_in, n_out) or b.shape != (n_out,):
        raise ValueError(
            f"initializer {init!r} returned W of shape {W.shape} and b of shape {b.shape}; "
            f"expected {(n_in, n_out)} and {(n_out,)}"
        )
    return W, b
