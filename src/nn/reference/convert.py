"""Between an ``nn.Network`` and the plain lists of the pure-Python routes.

This module uses NumPy (it reads and builds ``nn.Network`` objects); the routes themselves
(:mod:`~nn.reference.plain`, :mod:`~nn.reference.finite_differences`,
:mod:`~nn.reference.chain_rule`, :mod:`~nn.reference.backprop`) do not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nn.core.network import Network
from nn.layers.activations import Sigmoid
from nn.layers.dense import Dense
from nn.losses import SquaredError
from nn.models.mlp import mlp
from nn.reference.plain import Params, check_params

__all__ = ["as_arrays", "from_network", "network_sizes", "to_network"]


def _dense_layers(network: Network) -> list[Dense]:
    """The Dense layers of a ``Dense, Sigmoid, Dense, Sigmoid, ...`` + SquaredError network."""
    layers = network.layers
    kinds = [type(layer).__name__ for layer in layers]
    pattern_ok = len(layers) % 2 == 0 and all(
        type(d) is Dense and type(s) is Sigmoid for d, s in zip(layers[::2], layers[1::2])
    )
    if not pattern_ok or type(network.loss) is not SquaredError:
        raise ValueError(
            "the reference routes implement Dense + Sigmoid layers with the SquaredError loss, "
            f"as nn.mlp(sizes) builds them; got layers {kinds} and loss "
            f"{type(network.loss).__name__}"
        )
    return layers[::2]


def from_network(network: Network) -> Params:
    """The weights and biases of ``network`` as plain lists of Python floats.

    Parameters
    ----------
    network : Network
        ``Dense, Sigmoid, ...`` with the ``SquaredError`` loss (any depth), e.g. from
        ``nn.mlp(sizes)``.

    Returns
    -------
    Params
        One ``(W, b)`` per Dense layer; ``W[k][j]`` is ``Dense.W[k, j]``.
    """
    return [(layer.W.tolist(), layer.b.tolist()) for layer in _dense_layers(network)]


def to_network(params: Params) -> Network:
    """A float64 ``nn.mlp`` network holding the weights and biases in ``params``.

    Parameters
    ----------
    params : Params
        One ``(W, b)`` per layer, ``W`` as ``n_in`` lists of ``n_out`` floats.

    Returns
    -------
    Network
        ``mlp(sizes, dtype=float64)`` with its parameters replaced by ``params``.
    """
    network = mlp(check_params(params), dtype=np.float64, seed=0)
    for layer, (W, b) in zip(_dense_layers(network), params):
        layer.params["W"] = np.array(W, dtype=np.float64)  # (n_in, n_out)
        layer.params["b"] = np.array(b, dtype=np.float64)  # (n_out,)
    return network


def as_arrays(params: Params) -> list[np.ndarray]:
    """``[W_0, b_0, W_1, b_1, ...]`` as float64 arrays, the order of ``Network.parameters()``.

    Parameters
    ----------
    params : Params
        Weights or gradients from the pure-Python routes.

    Returns
    -------
    list of ndarray
        ``W_l`` of shape (n_in, n_out) and ``b_l`` of shape (n_out,), alternating.
    """
    arrays: list[np.ndarray] = []
    for W, b in params:
        arrays += [np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)]
    return arrays


def network_sizes(network: Network) -> Sequence[int]:
    """``[n_in, n_1, ..., n_L]`` of a Dense + Sigmoid network."""
    dense = _dense_layers(network)
    return [dense[0].n_in] + [layer.n_out for layer in dense]
