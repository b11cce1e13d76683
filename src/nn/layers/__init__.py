"""The layers of the collection, one file per family, with their initializers beside them.

``dense.py`` (:class:`Dense`), ``activations.py`` (one layer per activation function),
``dropout.py`` (:class:`Dropout`), ``conv.py`` (:class:`Conv2D`), ``pooling.py``
(:class:`MaxPool2D`, :class:`AvgPool2D`), ``normalization.py`` (:class:`BatchNorm`),
``reshape.py`` (:class:`Flatten`), ``initializers.py`` (how first weights are drawn). Every
layer follows the protocol of :mod:`nn.core.layer`.
"""

from nn.core.layer import Layer
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.conv import Conv2D
from nn.layers.dense import Dense
from nn.layers.dropout import Dropout
from nn.layers.normalization import BatchNorm
from nn.layers.pooling import AvgPool2D, MaxPool2D
from nn.layers.reshape import Flatten

__all__ = [
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Identity",
    "Layer",
    "LeakyReLU",
    "MaxPool2D",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]
