"""A loss over every time step of a sequence, with padding masked: :class:`SequenceCrossEntropy`.

A language model predicts, at every step ``t`` of every sequence ``x`` of a batch, a
distribution over the next token: logits ``z[x, t]`` of shape ``(n_tokens,)``, so the network's
output is ``(batch, T, n_tokens)``. The targets have the same shape: the one-hot row of the
token that came next. Sequences of different lengths are padded to the same ``T``; a padded
step has a target row of **zeros**, and that is the mask: it costs nothing and sends back no
gradient.

The reduction is the **mean over the real (unpadded) steps** of the batch, so the value is the
loss per token (per character, for a character model: what docs/recurrent.md reports, in nats),
whatever the padding:

``C = -(1/N) * sum over (x, t) of sum_j y[x, t, j] ln softmax(z[x, t])_j``, with
``N = sum over (x, t) of sum_j y[x, t, j]`` (the number of real steps for one-hot rows);

``dC/dz[x, t] = (softmax(z[x, t]) * m[x, t] - y[x, t]) / N``, with ``m[x, t] = sum_j y[x, t, j]``
(1 on a real step, 0 on padding): :class:`~nn.losses.SoftmaxCrossEntropy`'s gradient at every
step, masked. ``tests/test_recurrent_layers.py`` checks it against finite differences.
"""

from __future__ import annotations

import numpy as np

from nn.core.loss import Loss
from nn.functional.activations import softmax

__all__ = ["SequenceCrossEntropy"]


class SequenceCrossEntropy(Loss):
    """Softmax cross-entropy at every time step, from the logits, averaged over real steps.

    Takes logits ``a`` and targets ``y`` of shape ``(batch, T, n_tokens)``; a step whose target
    row is all zeros is padding (see the module docstring). :meth:`output` is the softmax over
    the last axis, so ``predict`` returns each step's next-token probabilities.
    """

    takes_logits = True
    #: Per-step terms divided by the number of real steps, :meth:`averaged_over`: a batch's
    #: gradient is its shards' weighted by their real steps (``fit(workers=...)``).
    mean_over_examples = True

    def output(self, a: np.ndarray) -> np.ndarray:
        """Next-token probabilities ``softmax(a)`` over the last axis."""
        return softmax(a)

    def averaged_over(self, y: np.ndarray) -> float:
        """``N``, the number of real steps of ``y`` (the sum of its rows: 1 per real step
        of one-hot rows, 0 per padded step); 0 for a batch of padding only, whose loss and
        gradient are 0."""
        return float(y.sum())

    def value(self, a: np.ndarray, y: np.ndarray) -> float:
        """Mean loss per real step; ``a`` and ``y`` are (batch, T, n_tokens)."""
        return self._both(a, y)[0]

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``(softmax(a) * m - y) / N``, shape (batch, T, n_tokens)."""
        return self._both(a, y)[1]

    def value_and_gradient(self, a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Both from one set of exponentials (what :meth:`value` and :meth:`gradient` return)."""
        cls = type(self)
        if cls.value is not SequenceCrossEntropy.value or (
            cls.gradient is not SequenceCrossEntropy.gradient
        ):  # a subclass changed one of them: train with its own methods
            return Loss.value_and_gradient(self, a, y)
        return self._both(a, y)

    @staticmethod
    def _both(a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """The value and the gradient.

        Every step is a row of ``n_tokens`` numbers, and a pass of NumPy over many short rows
        costs far more than over one long array; so the sums along a row are products with a
        vector of ones, and only two passes (``a - max``, ``e * scale``) go row by row.
        """
        k = a.shape[-1]
        a2, y2 = a.reshape(-1, k), np.asarray(y, dtype=a.dtype).reshape(-1, k)
        ones = np.ones(k, dtype=a.dtype)
        m = y2 @ ones  # the weight of every step: 1, or 0 on padding
        n = float(m.sum())
        n = n if n > 0 else 1.0  # only padding: the loss is 0, not 0 / 0
        shifted = a2 - a2.max(axis=1, keepdims=True)  # every exponent <= 0: no overflow
        e = np.exp(shifted)
        total = e @ ones  # >= 1: the row's largest term is exp(0)
        # C = -(1/N) sum y (shifted - ln total), as two sums of terms of one sign: y . shifted
        # (<= 0) and m . ln total (>= 0), so nothing cancels when the loss is small
        value = (float(m @ np.log(total)) - float(np.vdot(y2, shifted))) / n
        e *= (m / (total * a.dtype.type(n)))[:, None]  # softmax * m / N
        e -= y2 / a.dtype.type(n)
        return value, e.reshape(a.shape)
