"""The two NumPy routes: Nielsen's per-example loop, and the matrix mini-batch of ``nn.Network``.

Both run the same layers (``Dense.backward`` and ``Sigmoid.backward``, which implement BP1
to BP4) and so the same memoized algorithm; they differ only in how the batch is fed:

* :func:`per_example_gradients` is the loop of Nielsen's ``update_mini_batch``: backprop
  each example on its own, as a ``(1, n_in)`` batch, and sum the gradients. Every layer
  call is a vector-matrix product, and the Python loop runs once per example.
* :func:`matrix_gradients` is ``Network.gradients``: the whole ``(batch, n_in)`` mini-batch
  in one pass, so each layer is one matrix-matrix product, BP4 sums over the examples
  inside ``x.T @ delta``, and the Python overhead is paid once per batch.

Nielsen's ch. 2 reports the second about twice as fast as the first on MNIST-sized
networks; ``nn bench backprop`` measures the ratio on the machine it runs on.
"""

from __future__ import annotations

import numpy as np

from nn.core.network import Network

__all__ = ["matrix_gradients", "per_example_gradients"]


def per_example_gradients(network: Network, X: np.ndarray, T: np.ndarray) -> list[np.ndarray]:
    """Gradient of the batch loss from one backprop per example, summed and averaged.

    Parameters
    ----------
    network : Network
        Its layers' caches and ``grads`` are overwritten.
    X : ndarray of shape (batch, n_in)
    T : ndarray of shape (batch, n_out)
        Target rows (one-hot for classes).

    Returns
    -------
    list of ndarray
        ``dC/dparam`` for every parameter in ``network.parameters()`` order, where
        ``C = (1/n) sum_x C_x``.
    """
    X, T = np.asarray(X), np.asarray(T)
    sums = [np.zeros_like(param) for _, param, _ in network.parameters()]
    for x, t in zip(X, T):
        a = network.forward(x[None, :], training=True)  # (1, n_out): a batch of one
        network.backward(network.loss.gradient(a, t[None, :]))  # grads of C_x alone
        for s, layer_grad in zip(sums, (g for _, _, g in network.parameters())):
            s += layer_grad
    return [s / len(X) for s in sums]


def matrix_gradients(network: Network, X: np.ndarray, T: np.ndarray) -> list[np.ndarray]:
    """Gradient of the batch loss from ``network.gradients``: the whole batch at once.

    Parameters
    ----------
    network : Network
    X : ndarray of shape (batch, n_in)
    T : ndarray of shape (batch, n_out)

    Returns
    -------
    list of ndarray
        Copies of the layers' ``grads`` in ``network.parameters()`` order.
    """
    network.gradients(X, T)
    return [g.copy() for _, _, g in network.parameters()]
