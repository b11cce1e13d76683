"""The layers of the collection, one file per family, with their initializers beside them.

``dense.py`` (:class:`Dense`), ``activations.py`` (one layer per activation function),
``dropout.py`` (:class:`Dropout`), ``initializers.py`` (how first weights are drawn),
``recurrent.py`` (:class:`RNN`, :class:`LSTM`, :class:`GRU`), ``embedding.py``
(:class:`Embedding`), ``time_dense.py`` (:class:`TimeDense`, a dense layer at every time
step), ``conv.py`` (:class:`Conv2D`), ``pooling.py`` (:class:`MaxPool2D`,
:class:`AvgPool2D`), ``normalization.py`` (:class:`BatchNorm`) and ``reshape.py``
(:class:`Flatten`). Every layer follows the protocol of :mod:`nn.core.layer`.
"""

from nn.core.layer import Layer
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.conv import Conv2D
from nn.layers.dense import Dense
from nn.layers.dropout import Dropout
from nn.layers.embedding import Embedding
from nn.layers.normalization import BatchNorm
from nn.layers.pooling import AvgPool2D, MaxPool2D
from nn.layers.recurrent import GRU, LSTM, RNN
from nn.layers.reshape import Flatten
from nn.layers.time_dense import TimeDense

__all__ = [
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Dropout",
    "Embedding",
    "GRU",
    "Flatten",
    "Identity",
    "LSTM",
    "Layer",
    "LeakyReLU",
    "RNN",
    "MaxPool2D",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "TimeDense",
]
