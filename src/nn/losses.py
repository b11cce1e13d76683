"""Loss functions: a value ``C`` and its gradient ``dC/da`` with respect to the network's output.

A loss is anything with ``value(a, y) -> float`` and ``gradient(a, y) -> ndarray`` where ``a``
and ``y`` are both ``(batch, n_out)`` arrays: the network's output and the target (class
labels are turned into one-hot rows before they get here). Each loss states its reduction,
because the reduction decides what a learning rate means.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Loss", "SquaredError"]


class Loss:
    """Base class of the losses."""

    def value(self, a: np.ndarray, y: np.ndarray) -> float:
        """The loss averaged over the batch."""
        raise NotImplementedError

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``dC/da``, same shape as ``a``."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this loss."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SquaredError(Loss):
    """The quadratic cost of Nielsen's book, averaged over the batch.

    ``C = (1/n) * sum_x 1/2 ||a_x - y_x||^2`` for a batch of ``n`` examples (SQ1 in
    docs/backprop.md), so the gradient is ``dC/da = (a - y) / n`` (SQ2). With this reduction a
    learning rate ``eta`` means what it means in Nielsen's ``update_mini_batch``: his step
    ``eta / n * sum of per-example gradients`` is our step ``eta * dC/dW`` (MB2). (Summing
    instead of averaging would make the right ``eta`` depend on the batch size: MB3.)
    """

    def value(self, a: np.ndarray, y: np.ndarray) -> float:
        """Loss of a batch.

        Parameters
        ----------
        a : ndarray of shape (batch, n_out)
            Network outputs.
        y : ndarray of shape (batch, n_out)
            Targets.

        Returns
        -------
        float
            ``(1/n) * sum 1/2 ||a - y||^2``.
        """
        diff = a - y
        return 0.5 * float(np.vdot(diff, diff)) / a.shape[0]

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Gradient of :meth:`value` with respect to ``a``.

        Parameters
        ----------
        a, y : ndarray of shape (batch, n_out)

        Returns
        -------
        ndarray of shape (batch, n_out)
            ``(a - y) / n``: the ``nabla_a C`` of BP1, before the ``sigma'(z)`` factor.
        """
        return (a - y) / a.shape[0]
