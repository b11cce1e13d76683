"""``mlp``: Nielsen-style networks from a list of layer sizes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nn.initializers import DEFAULT_INIT, Initializer
from nn.layers import Dense, Layer
from nn.network import Network
from nn.registry import ACTIVATIONS, LOSSES, lookup

__all__ = ["mlp"]


def mlp(
    sizes: Sequence[int],
    activation: str = "sigmoid",
    loss: str = "squared_error",
    *,
    init: str | Initializer = DEFAULT_INIT,
    seed: int | np.random.Generator | None = None,
    dtype: np.dtype | type = np.float32,
) -> Network:
    """A fully connected network with an activation after every layer, the output included.

    ``mlp([784, 30, 10])`` is the network of Nielsen's ch. 1: 784 inputs, 30 sigmoid hidden
    units, 10 sigmoid outputs, squared-error loss. It is the list
    ``[Dense(784, 30), Sigmoid(), Dense(30, 10), Sigmoid()]``.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input first; at least two entries.
    activation : str
        Name of the activation after each dense layer, e.g. ``"sigmoid"``.
    loss : str
        Name of the loss, e.g. ``"squared_error"``.
    init : str or callable, default "scaled_normal"
        Weight initializer for every dense layer: ``"normal"`` (N(0, 1), Nielsen ch. 1) or
        ``"scaled_normal"`` (N(0, 1/n_in), ch. 3; the default, because it keeps sigmoid units
        out of saturation at the start).
    seed : int or Generator, optional
        Seed of the initial weights: the same seed gives the same weights bit for bit.
    dtype : numpy dtype, default float32
        dtype of every parameter; float64 for gradient checks.

    Returns
    -------
    Network
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp: sizes needs an input and an output size, got {sizes!r}")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(f"mlp: every size must be a positive integer, got {sizes!r}")
    act_cls = lookup(ACTIVATIONS, activation, "activation")
    loss_cls = lookup(LOSSES, loss, "loss")
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers.append(Dense(n_in, n_out, init=init, rng=rng, dtype=dtype))
        layers.append(act_cls())
    return Network(layers, loss_cls())
