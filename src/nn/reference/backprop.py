"""Backprop with memoized deltas, one example at a time, in pure Python.

The same algorithm as :meth:`nn.Network.backward`, written on lists: for each example, one
forward pass, then one walk backwards in which ``delta^l = dC/dz^l`` is computed once per
layer from ``delta^{l+1}`` (BP2) and every gradient of layer ``l`` is read off it (BP3,
BP4). That reuse of ``delta`` is the dynamic programming; compare
:mod:`nn.reference.chain_rule`, which computes the same numbers without it.

Operation count per example: the forward pass does one multiply-add per weight, the
backward pass two (one for BP4, one for BP2), so about ``3 W`` for ``W`` weights: the cost
grows like ``W``, whatever the depth.

Notation as in Nielsen's ``network.py`` (``zs``, ``activations``, ``delta``), with his
column-vector ``w_jk`` stored as ``W[k][j]`` (see :mod:`nn.reference.plain`).
"""

from __future__ import annotations

from collections.abc import Sequence

from nn.reference.plain import Params, check_batch, forward, sigmoid_prime, zeros_like

__all__ = ["backprop", "backprop_gradients", "multiply_adds"]


def backprop(params: Params, x: Sequence[float], y: Sequence[float]) -> Params:
    """Gradient of one example's loss ``C_x = 1/2 ||a^L - y||^2``.

    Parameters
    ----------
    params : Params
    x : sequence of n_in floats
    y : sequence of n_out floats

    Returns
    -------
    Params
        ``dC_x/dW`` and ``dC_x/db`` for every layer, shaped like ``params``.
    """
    zs, activations = forward(params, x)
    grads = zeros_like(params)
    # BP1: delta^L = (a^L - y) (.) sigma'(z^L)
    delta = [(a_j - y_j) * sigmoid_prime(z_j) for a_j, y_j, z_j in zip(activations[-1], y, zs[-1])]
    for layer in reversed(range(len(params))):
        W, _ = params[layer]
        dW, db = grads[layer]
        for k, a_k in enumerate(activations[layer]):
            dW[k][:] = [a_k * d_j for d_j in delta]  # BP4: dC/dw_jk = a_k^{l-1} delta_j^l
        db[:] = delta  # BP3: dC/db_j = delta_j
        if layer > 0:
            # BP2: delta^{l-1} = (W^l delta^l) (.) sigma'(z^{l-1}); row k of W holds the
            # weights leaving unit k, so (W delta)_k = sum_j W[k][j] delta_j.
            delta = [
                sum(w_kj * d_j for w_kj, d_j in zip(row, delta)) * sigmoid_prime(z_k)
                for row, z_k in zip(W, zs[layer - 1])
            ]
    return grads


def backprop_gradients(
    params: Params, X: Sequence[Sequence[float]], Y: Sequence[Sequence[float]]
) -> Params:
    """Gradient of the batch loss ``C = (1/n) sum_x C_x``: :func:`backprop` per example, averaged.

    Parameters
    ----------
    params : Params
    X : sequence of n sequences of n_in floats
    Y : sequence of n sequences of n_out floats

    Returns
    -------
    Params
        ``dC/dW``, ``dC/db``, shaped like ``params``; equal to what ``nn.Network.gradients``
        leaves in the layers' ``grads``.
    """
    check_batch(params, X, Y)
    total = zeros_like(params)
    for x, y in zip(X, Y):
        for (sW, sb), (gW, gb) in zip(total, backprop(params, x, y)):
            for s_row, g_row in zip(sW, gW):
                s_row[:] = [s + g for s, g in zip(s_row, g_row)]
            sb[:] = [s + g for s, g in zip(sb, gb)]
    n = len(X)
    return [([[s / n for s in row] for row in sW], [s / n for s in sb]) for sW, sb in total]


def multiply_adds(sizes: Sequence[int], batch: int) -> int:
    """Multiply-adds :func:`backprop_gradients` does: about 3 per weight per example."""
    weights = sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    above_first = sum(n_in * n_out for n_in, n_out in zip(sizes[1:-1], sizes[2:]))
    return batch * (2 * weights + above_first)  # forward and BP4 everywhere, BP2 above layer 0
