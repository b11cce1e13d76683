"""The network on plain Python lists and floats: sigmoid, forward pass, squared-error loss.

No NumPy here or in the other pure-Python routes (``finite_differences``, ``chain_rule``,
``backprop``): every multiplication is a line a reader can follow, and the timings in
``nn bench backprop`` show what the Python interpreter costs on its own.

The network is the one ``nn.mlp(sizes)`` builds: ``Dense`` + sigmoid after every layer, the
output layer included, and the squared-error loss averaged over the batch,
``C = (1/n) sum_x 1/2 ||a^L(x) - y(x)||^2``. It is stored as :data:`Params`, a list with one
``(W, b)`` pair per layer, in the package's batch-first layout:

* ``W[k][j]`` is the weight from unit ``k`` of the layer below to unit ``j`` of this layer
  (Nielsen's ``w^l_jk``; ``W`` has ``n_in`` rows of ``n_out`` floats, like ``Dense.W``);
* ``b[j]`` is the bias of unit ``j``.

Gradients have the same structure, so ``dW[k][j]`` is ``dC/dW[k][j]``.
:func:`nn.reference.from_network` and :func:`nn.reference.to_network` convert both ways.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

__all__ = [
    "Matrix",
    "Params",
    "Vector",
    "check_batch",
    "check_params",
    "forward",
    "loss",
    "n_parameters",
    "parameter_vectors",
    "sigmoid",
    "sigmoid_prime",
    "sizes_of",
    "zeros_like",
]

Vector = list[float]
#: ``n_in`` rows of ``n_out`` floats, batch-first like ``Dense.W``.
Matrix = list[list[float]]
#: One ``(W, b)`` per layer, input side first.
Params = list[tuple[Matrix, Vector]]


def sigmoid(z: float) -> float:
    """``1 / (1 + e^-z)``, computed without overflow for any ``z``.

    ``math.exp`` raises ``OverflowError`` above about 709, so the exponent is kept at or
    below 0: ``1 / (1 + e^-z)`` for ``z >= 0`` and ``e^z / (1 + e^z)`` for ``z < 0``.
    """
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def sigmoid_prime(z: float) -> float:
    """Derivative of :func:`sigmoid` at the pre-activation ``z``: ``s (1 - s)``."""
    s = sigmoid(z)
    return s * (1.0 - s)


def sizes_of(params: Params) -> list[int]:
    """Units per layer, input first: ``[n_in, n_1, ..., n_L]`` (what ``nn.mlp`` takes)."""
    if not params:
        raise ValueError("the network has no layers; params must hold one (W, b) per layer")
    return [len(params[0][0])] + [len(b) for _, b in params]


def n_parameters(params: Params) -> int:
    """Number of weights and biases, ``W`` in the benchmark's tables."""
    return sum(len(W) * len(b) + len(b) for W, b in params)


def zeros_like(params: Params) -> Params:
    """A structure of zeros shaped like ``params``: where gradients are summed."""
    return [([[0.0] * len(b) for _ in W], [0.0] * len(b)) for W, b in params]


def parameter_vectors(params: Params) -> Iterator[Vector]:
    """Every row of every ``W``, then its ``b``, layer by layer: each float of the network
    sits in exactly one of these lists, so ``vec[i]`` can be nudged in place."""
    for W, b in params:
        yield from W
        yield b


def forward(params: Params, x: Sequence[float]) -> tuple[list[Vector], list[Vector]]:
    """Feed one example through the network, keeping what backprop needs.

    Parameters
    ----------
    params : Params
    x : sequence of float, length n_in

    Returns
    -------
    zs : list of list of float
        ``zs[i]`` is the weighted input of layer ``i``, ``z_j = b_j + sum_k a_k W[k][j]``.
    activations : list of list of float
        ``activations[0]`` is ``x``; ``activations[i + 1] = sigmoid(zs[i])``.
    """
    a = list(x)
    zs, activations = [], [a]
    for W, b in params:
        z = [b_j + sum(a_k * row[j] for a_k, row in zip(a, W)) for j, b_j in enumerate(b)]
        a = [sigmoid(z_j) for z_j in z]
        zs.append(z)
        activations.append(a)
    return zs, activations


def loss(params: Params, X: Sequence[Sequence[float]], Y: Sequence[Sequence[float]]) -> float:
    """The squared error averaged over the batch, ``(1/n) sum_x 1/2 ||a^L(x) - y(x)||^2``.

    Parameters
    ----------
    params : Params
    X : sequence of n sequences of n_in floats
    Y : sequence of n sequences of n_out floats
    """
    total = 0.0
    for x, y in zip(X, Y):
        out = forward(params, x)[1][-1]
        total += 0.5 * sum((a_j - y_j) ** 2 for a_j, y_j in zip(out, y))
    return total / len(X)


def check_params(params: Params) -> list[int]:
    """The sizes of the network, after checking every ``W`` and ``b`` fit together.

    Raises
    ------
    ValueError
        Naming the first layer whose ``W`` is not ``n_in`` rows of ``n_out`` floats.
    """
    sizes = sizes_of(params)
    for layer, (W, b) in enumerate(params):
        if len(W) != sizes[layer] or any(len(row) != len(b) for row in W):
            raise ValueError(
                f"layer {layer}: W must have {sizes[layer]} rows of {len(b)} floats, as expected "
                "from the layer sizes (n_in x n_out, batch-first like Dense.W); "
                "build params with nn.reference.from_network"
            )
    return sizes


def check_batch(params: Params, X: Sequence[Sequence[float]], Y: Sequence[Sequence[float]]) -> None:
    """Raise ``ValueError`` saying what is wrong when ``X``, ``Y`` do not fit the network."""
    sizes = check_params(params)
    if len(X) == 0 or len(X) != len(Y):
        raise ValueError(f"X and Y must hold the same number (> 0) of examples: {len(X)}, {len(Y)}")
    for name, rows, width in (("X", X, sizes[0]), ("Y", Y, sizes[-1])):
        bad = [i for i, row in enumerate(rows) if len(row) != width]
        if bad:
            raise ValueError(
                f"{name}[{bad[0]}] has {len(rows[bad[0]])} entries but the network has {width} "
                f"{'inputs' if name == 'X' else 'outputs'}; pass one-hot or real-valued target rows"
            )
