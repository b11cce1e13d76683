"""Names of the building blocks, for :func:`nn.mlp`, the command line and :func:`nn.load`.

Registration happens where a class is defined, never in a central list: every subclass of
:class:`~nn.core.layer.Layer`, :class:`~nn.core.loss.Loss` or
:class:`~nn.optim.optimizers.Optimizer` enters its table here when Python creates the class
(``__init_subclass__``), under its class name (what a saved model file records). A layer you
write in your own file is therefore saved, loaded and resumed like the built-in ones, as soon
as its module has been imported. A base class that only shares code opts out with
``class Activation(Layer, register=False)``. Defining a class of the same name again in the
same module (a notebook cell run twice) replaces the entry; see :func:`register`.

Each class is found by its snake_case name too (what ``mlp(activation="sigmoid")`` and
``nn train --loss squared_error`` accept). This module imports nothing from ``nn``: it is the
bottom of the package, so every other module may use it.
"""

from __future__ import annotations

import re

__all__ = [
    "ACTIVATIONS",
    "LAYERS",
    "LOSSES",
    "NETWORKS",
    "OPTIMIZERS",
    "SCHEDULES",
    "lookup",
    "register",
    "snake_case",
]

#: Every layer class by class name.
LAYERS: dict[str, type] = {}
#: The activation layers (``is_activation``): the ones ``mlp(activation=...)`` accepts.
ACTIVATIONS: dict[str, type] = {}
#: Every loss class by class name.
LOSSES: dict[str, type] = {}
#: Every optimizer class by class name (what ``Optimizer.state_dict()["type"]`` records).
OPTIMIZERS: dict[str, type] = {}
#: Every learning-rate schedule by class name.
SCHEDULES: dict[str, type] = {}
#: The network classes a model file may name (``Network``).
NETWORKS: dict[str, type] = {}


def register(table: dict[str, type], cls: type) -> type:
    """Put ``cls`` into ``table`` under its class name and return it.

    A class of the same name and module replaces the entry (the same cell of a notebook run
    again); one of the same name from another module does not displace the first, and the
    library's own classes always win over yours, so a class named ``ReLU`` in your own file
    never changes what ``"relu"`` means, whenever it was defined. Saving a layer whose
    class is not the registered one is refused (:func:`nn.io.model_file.describe`).
    """
    known = table.get(cls.__name__)
    same = known is not None and (known.__module__, known.__qualname__) == (
        cls.__module__,
        cls.__qualname__,
    )
    library_over_user = known is not None and _in_nn(cls) and not _in_nn(known)
    if known is None or same or library_over_user:
        table[cls.__name__] = cls
    return cls


def _in_nn(cls: type) -> bool:
    """Whether ``cls`` is one of the library's own classes (defined inside the nn package)."""
    return cls.__module__ == "nn" or cls.__module__.startswith("nn.")


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
