"""The count-based bigram model: the baseline every character-level model must beat.

It predicts the next character from the current one alone, by counting: with ``N[a, b]`` the
number of times ``b`` follows ``a`` in the training words (``"."`` marking starts and ends),
``P(b | a) = (N[a, b] + alpha) / sum_c (N[a, c] + alpha)``, add-``alpha`` smoothing so an unseen
pair is not impossible. That is the maximum-likelihood answer for a model that sees one
character: no gradient descent could do better on the training words.

It is built as a :class:`~nn.Network` of one :class:`~nn.layers.embedding.Embedding` whose row
``a`` holds ``ln P(. | a)``, under :class:`~nn.losses_sequence.SequenceCrossEntropy` (the
softmax of log-probabilities is the probabilities themselves), so it is evaluated, saved and
sampled (:func:`nn.models.sampling.generate`) exactly as the recurrent models are.
"""

from __future__ import annotations

import numpy as np

from nn.core.network import Network
from nn.layers.embedding import Embedding
from nn.losses_sequence import SequenceCrossEntropy

__all__ = ["bigram_counts", "bigram_network"]


def bigram_counts(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``N[a, b]``: how often target ``b`` follows input ``a`` on the real steps.

    Parameters
    ----------
    X : ndarray of shape (n, T)
        Input ids.
    Y : ndarray of shape (n, T, n_tokens)
        One-hot targets, zero rows on padding.

    Returns
    -------
    ndarray of shape (n_tokens, n_tokens), float64
    """
    V = Y.shape[-1]
    ids = np.asarray(X, dtype=np.int64).reshape(-1)
    onehot_in = np.zeros((ids.size, V))
    onehot_in[np.arange(ids.size), ids] = 1
    return onehot_in.T @ Y.reshape(-1, V).astype(np.float64)  # padding rows add nothing


def bigram_network(
    X: np.ndarray, Y: np.ndarray, *, alpha: float = 1.0, dtype: np.dtype | type = np.float32
) -> Network:
    """The bigram model of the training sequences ``(X, Y)``, as a one-layer network.

    Parameters
    ----------
    X, Y : see :func:`bigram_counts`
    alpha : float, default 1
        Add-``alpha`` smoothing (Laplace's rule for 1).
    dtype : numpy dtype, default float32

    Returns
    -------
    Network
        ``[Embedding(n_tokens, n_tokens)]`` with rows ``ln P(. | a)``; its loss on held-out
        sequences is the bigram's cross-entropy per character.
    """
    if not alpha > 0:
        raise ValueError(f"alpha must be positive (else an unseen pair is impossible), got {alpha}")
    N = bigram_counts(X, Y) + alpha
    table = Embedding(N.shape[0], N.shape[1], rng=0, dtype=dtype)
    table.params["W"][...] = np.log(N / N.sum(axis=1, keepdims=True))
    return Network([table], SequenceCrossEntropy())
