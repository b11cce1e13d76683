"""The layers of the collection, one file per family, with their initializers beside them.

``dense.py`` (:class:`Dense`), ``activations.py`` (one layer per activation function),
``dropout.py`` (:class:`Dropout`), ``initializers.py`` (how first weights are drawn),
``recurrent.py`` (:class:`RNN`, :class:`LSTM`, :class:`GRU`), ``embedding.py``
(:class:`Embedding`) and ``time_dense.py`` (:class:`TimeDense`, a dense layer at every time
step). Every layer follows the protocol of :mod:`nn.core.layer`.
"""

from nn.core.layer import Layer
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.dense import Dense
from nn.layers.dropout import Dropout
from nn.layers.embedding import Embedding
from nn.layers.recurrent import GRU, LSTM, RNN
from nn.layers.time_dense import TimeDense

__all__ = [
    "Dense",
    "Dropout",
    "Embedding",
    "GRU",
    "Identity",
    "LSTM",
    "Layer",
    "LeakyReLU",
    "RNN",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "TimeDense",
]
