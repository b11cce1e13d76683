"""``char_rnn``: a character-level language model, ``Embedding -> RNN/LSTM/GRU -> TimeDense``.

It reads a sequence of character ids and, at every step, gives logits for the next character;
:class:`~nn.losses_sequence.SequenceCrossEntropy` scores them against the character that came
next, averaged over the real (unpadded) steps. :func:`nn.models.sampling.generate` samples new
words from it one character at a time; :func:`nn.models.bigram.bigram_network` builds the
count-based baseline it must beat.
"""

from __future__ import annotations

import numpy as np

from nn.core.network import Network
from nn.layers.embedding import Embedding
from nn.layers.recurrent import GRU, LSTM, RNN
from nn.layers.time_dense import TimeDense
from nn.losses_sequence import SequenceCrossEntropy

__all__ = ["CELL_LAYERS", "char_rnn"]

#: ``cell`` name -> recurrent layer class.
CELL_LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def char_rnn(
    n_tokens: int,
    *,
    cell: str = "lstm",
    hidden: int = 128,
    embedding: int = 32,
    init: str = "uniform",
    seed: int | np.random.Generator | None = None,
    dtype: np.dtype | type = np.float32,
) -> Network:
    """``[Embedding(n_tokens, embedding), <cell>(embedding, hidden), TimeDense(hidden, n_tokens)]``.

    Parameters
    ----------
    n_tokens : int
        Size of the vocabulary (27 for the names: ``"."`` and ``a`` to ``z``).
    cell : {"rnn", "lstm", "gru"}
    hidden : int
        Units of the recurrent state.
    embedding : int
        Length of each character's vector.
    init : {"uniform", "orthogonal"}
        The recurrent layer's initialization (:data:`nn.layers.recurrent.RECURRENT_INITS`).
    seed : int or Generator, optional
    dtype : numpy dtype, default float32

    Returns
    -------
    Network
        Input ``(batch, T)`` ids, output ``(batch, T, n_tokens)`` logits, loss
        :class:`~nn.losses_sequence.SequenceCrossEntropy`.
    """
    if cell not in CELL_LAYERS:
        raise ValueError(f"cell must be one of {', '.join(CELL_LAYERS)}, got {cell!r}")
    rng = np.random.default_rng(seed)
    layers = [
        Embedding(n_tokens, embedding, rng=rng, dtype=dtype),
        CELL_LAYERS[cell](embedding, hidden, init=init, rng=rng, dtype=dtype),
        TimeDense(hidden, n_tokens, init="glorot_uniform", rng=rng, dtype=dtype),
    ]
    return Network(layers, SequenceCrossEntropy())
