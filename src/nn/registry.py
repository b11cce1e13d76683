"""Names of the building blocks, for :func:`nn.mlp`, the command line and :func:`nn.load`.

Every layer and loss class is registered under its class name (what a saved model file
records) and is found by its snake_case name too (what ``mlp(activation="sigmoid")`` and
``nn train --loss squared_error`` accept). A new layer or loss becomes loadable and
nameable by adding it here.
"""

from __future__ import annotations

import re

from nn.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.dropout import Dropout
from nn.layers import Dense, Layer
from nn.losses import CategoricalCrossEntropy, CrossEntropy, Loss, SoftmaxCrossEntropy, SquaredError
from nn.optimizers import SGD, Adam, Optimizer, RMSProp
from nn.schedules import SCHEDULES

__all__ = [
    "ACTIVATIONS",
    "LAYERS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "lookup",
    "snake_case",
]

#: The activation layers, the ones ``mlp(activation=...)`` accepts.
ACTIVATIONS: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Identity)
}

#: Every layer class by class name.
LAYERS: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in (Dense, Dropout, *ACTIVATIONS.values())
}

#: Every loss class by class name.
LOSSES: dict[str, type[Loss]] = {
    cls.__name__: cls
    for cls in (SquaredError, CrossEntropy, CategoricalCrossEntropy, SoftmaxCrossEntropy)
}

#: Every optimizer class by class name (what ``Optimizer.state_dict()["type"]`` records).
OPTIMIZERS: dict[str, type[Optimizer]] = {cls.__name__: cls for cls in (SGD, RMSProp, Adam)}


def snake_case(name: str) -> str:
    """``"SquaredError"`` -> ``"squared_error"``, ``"LeakyReLU"`` -> ``"leaky_relu"``.

    "ReLU" is the one acronym written in mixed case; it is read as the word "Relu" so that
    its name is ``"relu"`` rather than ``"re_lu"``.
    """
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.replace("ReLU", "Relu")).lower()


def lookup(table: dict[str, type], name: str, what: str) -> type:
    """The class in ``table`` whose class name or snake_case name is ``name``.

    Raises
    ------
    ValueError
        Naming the known choices, when ``name`` is not one of them.
    """
    for cls_name, cls in table.items():
        if name in (cls_name, snake_case(cls_name)):
            return cls
    known = ", ".join(repr(snake_case(k)) for k in table)
    raise ValueError(f"unknown {what} {name!r}; choose one of {known}")
