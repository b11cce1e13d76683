"""The layers of the collection, one file per family, with their initializers beside them.

``dense.py`` (:class:`Dense`), ``activations.py`` (one layer per activation function),
``dropout.py`` (:class:`Dropout`), ``initializers.py`` (how first weights are drawn). Every
layer follows the protocol of :mod:`nn.core.layer`.
"""

from nn.core.layer import Layer
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.dense import Dense
from nn.layers.dropout import Dropout

__all__ = [
    "Dense",
    "Dropout",
    "Identity",
    "Layer",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]
