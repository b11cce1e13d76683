"""Weight initializers: how a :class:`~nn.layers.Dense` layer draws its first ``W`` and ``b``.

Each initializer is a function ``init(n_in, n_out, rng, dtype) -> (W, b)`` with ``W`` of
shape ``(n_in, n_out)`` and ``b`` of shape ``(n_out,)``, registered by name in
:data:`INITIALIZERS` so that ``Dense(..., init="normal")`` and ``mlp(..., init="normal")``
can select it.

Why it matters: a sigmoid unit with ``n_in`` inputs whose weights are N(0, 1) has a
pre-activation ``z`` with standard deviation about ``sqrt(n_in / 2)`` for inputs in [0, 1]
(about 20 for 784 pixels), so it starts saturated, ``sigma'(z)`` is tiny and it learns slowly
(Nielsen, ch. 3, "Weight initialization"). Scaling the weights by ``1 / sqrt(n_in)`` keeps
``z`` of order 1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["INITIALIZERS", "DEFAULT_INIT", "normal", "scaled_normal", "initialize"]

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


INITIALIZERS: dict[str, Initializer] = {
    "normal": normal,
    "scaled_normal": scaled_normal,
}

#: The default everywhere: N(0, 1/n_in) keeps sigmoid units out of saturation at the start,
#: which is the cheapest fix for the learning slowdown of ch. 1's N(0, 1) init.
DEFAULT_INIT = "scaled_normal"


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
