"""Per-weight gradients by the chain rule, with nothing remembered: why memoizing matters.

For the weight ``W^l[k][j]`` from unit ``k`` below into unit ``j`` of layer ``l``,

    dC/dW^l[k][j] = a^{l-1}_k * sigma'(z^l_j) * dC/da^l_j,

and ``dC/da^l_j`` is a sum over the units ``m`` of the layer above, each term the chain
rule through that unit:

    dC/da^l_j = sum_m W^{l+1}[j][m] * sigma'(z^{l+1}_m) * dC/da^{l+1}_m,
    dC/da^L_j = (a^L_j - y_j) / n                      (the loss, averaged over n examples).

:func:`dC_da` is that recursion as written. It remembers nothing, so every weight starts it
afresh, and each call at layer ``l`` makes one call per unit of layer ``l + 1``: following
every path from the weight to the output, like naive recursive Fibonacci recomputing the
same values. Backprop (:mod:`nn.reference.backprop`) is the same recursion with each
``dC/dz^l`` stored once per layer and reused.

Operation count
---------------
With ``n_l`` units in layer ``l`` (``l = 1 .. L``), a call at the output layer does no
recursion, and a call at layer ``l`` makes ``n_{l+1}`` calls, so starting at layer ``l``
costs ``c_l = 1 + n_{l+1} c_{l+1}`` calls (``c_L = 1``), about ``n_{l+1} n_{l+2} ... n_L``:
the number of paths to the output. Each of the ``(n_{l-1} + 1) n_l`` weights and biases of
layer ``l`` pays ``c_l`` calls per example (:func:`recursion_calls`). For ``D`` layers of
width ``n`` that is about ``n^{D+1}`` calls per example against ``D n^2`` weights, i.e.
``W^{(D+1)/2}``, and with each extra layer the cost is multiplied by about ``n``. For the
shallow ``[784, 30, 10]`` it is only ``10`` calls per first-layer weight: unmemoized
recursion hurts with depth.

The forward pass (``z``, ``a`` and ``sigma'(z)``) is computed once per example and shared:
those are values, not the downstream derivatives this module is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from nn.reference.plain import Params, Vector, check_batch, forward, sigmoid_prime, zeros_like

__all__ = ["Example", "chain_rule_gradients", "dC_da", "recursion_calls"]


class Example(NamedTuple):
    """What the recursion reads for one example: the network and its forward pass."""

    params: Params
    sigma_primes: list[Vector]  # sigma'(z^l_j), layer by layer
    output: Vector  # a^L
    target: Vector  # y
    n: int  # examples in the batch: C is their mean


def dC_da(layer: int, j: int, ex: Example) -> float:
    """``dC_x/da^l_j`` for one example by the chain rule over every path to the output.

    Parameters
    ----------
    layer : int
        Layer index into ``ex.params`` (0 is the first layer with weights).
    j : int
        Unit of that layer.
    ex : Example

    Returns
    -------
    float
        The derivative of this example's share of the batch loss, ``C_x / n``.
    """
    if layer == len(ex.params) - 1:
        return (ex.output[j] - ex.target[j]) / ex.n  # dC/da^L: the squared error, mean over n
    W_up = ex.params[layer + 1][0]  # W_up[j][m]: unit j here -> unit m above
    sp_up = ex.sigma_primes[layer + 1]
    return sum(w_jm * sp_up[m] * dC_da(layer + 1, m, ex) for m, w_jm in enumerate(W_up[j]))


def chain_rule_gradients(
    params: Params, X: Sequence[Sequence[float]], Y: Sequence[Sequence[float]]
) -> Params:
    """Every weight's and bias's gradient computed on its own by :func:`dC_da`.

    Parameters
    ----------
    params : Params
    X : sequence of n sequences of n_in floats
    Y : sequence of n sequences of n_out floats

    Returns
    -------
    Params
        ``dC/dW``, ``dC/db`` of the batch loss, shaped like ``params``.
    """
    check_batch(params, X, Y)
    grads = zeros_like(params)
    for x, y in zip(X, Y):
        zs, activations = forward(params, x)
        sps = [[sigmoid_prime(z_j) for z_j in z] for z in zs]
        ex = Example(params, sps, activations[-1], list(y), len(X))
        for layer, (dW, db) in enumerate(grads):
            for k, a_k in enumerate(activations[layer]):
                for j in range(len(db)):
                    # dC/dW[k][j] = a_k sigma'(z_j) dC/da_j. dC_da(layer, j) is the same for every
                    # k, and recomputing it is the point: this route remembers nothing.
                    dW[k][j] += a_k * sps[layer][j] * dC_da(layer, j, ex)
            for j in range(len(db)):
                db[j] += sps[layer][j] * dC_da(layer, j, ex)  # dC/db_j = sigma'(z_j) dC/da_j
    return grads


def recursion_calls(sizes: Sequence[int], batch: int) -> int:
    """Calls of :func:`dC_da` made by :func:`chain_rule_gradients` (see the module notes).

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input first, as for ``nn.mlp``.
    batch : int
        Examples in the batch.
    """
    n_layers = len(sizes) - 1
    calls = [1] * n_layers  # calls[layer]: a dC_da(layer, j) and all it calls
    for layer in reversed(range(n_layers - 1)):
        calls[layer] = 1 + sizes[layer + 2] * calls[layer + 1]
    per_example = sum(
        (sizes[layer] + 1) * sizes[layer + 1] * calls[layer] for layer in range(n_layers)
    )
    return batch * per_example
