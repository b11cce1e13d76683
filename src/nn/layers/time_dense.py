""":class:`TimeDense`: the same dense layer applied at every time step of a sequence.

A language model reads its prediction at step ``t`` off the hidden state ``h_t`` with one dense
layer whose weights every step shares: ``z[x, t] = h[x, t] @ W + b``. Stacking the
``batch * T`` rows into one matrix makes that one product, and its gradients are
:class:`~nn.layers.dense.Dense`'s (BP3, BP4) summed over the steps as well as the batch, which
the same products do.
"""

from __future__ import annotations

import numpy as np

from nn.layers.dense import Dense

__all__ = ["TimeDense"]


class TimeDense(Dense):
    """``z = x @ W + b`` on the last axis, for inputs ``(batch, T, n_in)`` (or more axes).

    Parameters are those of :class:`~nn.layers.dense.Dense`; so are ``W``, ``b``, ``dW``,
    ``db``. Every axis but the last is a row of the product: the batch and the time steps alike.
    """

    @property
    def input_shape(self) -> tuple[int, ...] | None:  # type: ignore[override]
        """None: sequences of any length (the last axis must be ``n_in``)."""
        return None

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """``x @ W + b`` on the last axis.

        Parameters
        ----------
        x : ndarray of shape (batch, T, n_in)

        Returns
        -------
        ndarray of shape (batch, T, n_out)
        """
        W = self.params["W"]
        x = np.asarray(x, dtype=W.dtype)
        self.lead = x.shape[:-1]
        self.x = x.reshape(-1, self.n_in)  # (batch * T, n_in); a copy if x is a strided view
        z = self.x @ W
        z += self.params["b"]
        return z.reshape(*self.lead, self.n_out)

    def backward(self, dy: np.ndarray, *, need_dx: bool = True) -> np.ndarray | None:
        """:meth:`Dense.backward` on the ``batch * T`` rows: BP4 and BP3 sum over both.

        Parameters
        ----------
        dy : ndarray of shape (batch, T, n_out)

        Returns
        -------
        ndarray of shape (batch, T, n_in), or None
        """
        dx = super().backward(np.asarray(dy).reshape(-1, self.n_out), need_dx=need_dx)
        return None if dx is None else dx.reshape(*self.lead, self.n_in)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(*lead, n_out)`` for inputs ``(*lead, n_in)``."""
        shape = tuple(input_shape)
        if not shape or shape[-1] != self.n_in:
            raise ValueError(
                f"{self!r} takes inputs whose last axis has {self.n_in} features, got {shape}"
            )
        return (*shape[:-1], self.n_out)
