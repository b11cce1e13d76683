"""Shapes of one example, walked through a list of layers before any data flows.

Every array that moves between layers is batch-first, ``(batch, *shape)``; this module deals in
the ``shape`` of one example only: ``(784,)`` for a flattened digit, ``(C, H, W)`` for an image,
``(T, D)`` for a sequence. Each layer says what it does to that shape
(:meth:`nn.core.layer.Layer.output_shape`) and, if it insists on one,
which it takes (:attr:`~nn.core.layer.Layer.input_shape`). :func:`walk_shapes` chains those
answers, so :class:`~nn.Network` can check that its layers fit together when it is built, check
data against them (:func:`nn.core.validation.check_inputs`) and print them
(:meth:`nn.Network.summary`).

A shape that cannot be known yet is None: the input of a network whose first layer takes any
shape, or the output of a duck-typed layer with no ``output_shape`` method. The walk carries on
from the next layer that insists on a shape.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

__all__ = ["Shape", "ShapeError", "check_shape", "format_shape", "walk_shapes"]

#: The shape of one example, e.g. ``(784,)`` or ``(1, 28, 28)``; None where not known.
Shape = tuple[int, ...]


class ShapeError(ValueError):
    """A layer cannot take the shape it would be given.

    Attributes
    ----------
    index : int
        Position of that layer in the list.
    layer : object
        The layer.
    shape : tuple of int
        The shape of one example it was offered.
    reason : str
        What the layer said (its ``output_shape``'s ``ValueError``).
    """

    def __init__(self, message: str, index: int, layer: Any, shape: Shape, reason: str) -> None:
        super().__init__(message)
        self.index, self.layer, self.shape, self.reason = index, layer, shape, reason


def check_shape(name: str, value: object) -> Shape:
    """``value`` as the shape of one example: a tuple of positive ints, ``(784,)``, ``(1, 28, 28)``.

    Raises
    ------
    TypeError
        If ``value`` is not a tuple or list (an int gets the fix: ``784`` -> ``(784,)``).
    ValueError
        If it is empty or holds anything but integers >= 1.
    """
    if not isinstance(value, (tuple, list)):
        fix = ""
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            fix = f"; for examples of {value} numbers write ({value},)"
        raise TypeError(
            f"{name} must be a tuple of positive integers such as (784,) or (1, 28, 28), got "
            f"{type(value).__name__} {value!r}{fix}"
        )
    if not value or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 1 for d in value
    ):
        raise ValueError(
            f"{name} must be a non-empty tuple of positive integers such as (784,) or "
            f"(1, 28, 28), got {tuple(value)!r}"
        )
    return tuple(int(d) for d in value)


def format_shape(shape: Shape | None) -> str:
    """``(784,)``, ``(2, 5, 4)``, or ``?`` for a shape not known."""
    return "?" if shape is None else str(tuple(shape))


def walk_shapes(layers: Sequence[Any], input_shape: Shape | None) -> list[Shape | None]:
    """The shape of one example before and after every layer.

    Parameters
    ----------
    layers : sequence of Layer
    input_shape : tuple of int or None
        The shape of one input example; None if not known (the first layer that insists on a
        shape then tells what reaches it).

    Returns
    -------
    list of (tuple of int or None), length ``len(layers) + 1``
        ``shapes[0]`` is the input's shape, ``shapes[i + 1]`` the output of ``layers[i]``
        (``shapes[i]`` is what ``layers[i]`` takes). None where it cannot be known.

    Raises
    ------
    ShapeError
        If a layer's ``output_shape`` refuses the shape it would be given; the message names
        the layer and where its input comes from.
    """
    shapes: list[Shape | None] = [None if input_shape is None else tuple(input_shape)]
    for i, layer in enumerate(layers):
        shape = shapes[i]
        wanted = getattr(layer, "input_shape", None)
        if shape is None and wanted is not None:
            # What this layer insists on is what the one before it gives.
            shape = shapes[i] = tuple(wanted)
        out = None
        if shape is not None and callable(getattr(layer, "output_shape", None)):
            try:
                out = tuple(layer.output_shape(shape))
            except ValueError as err:
                source = f"the output of layer {i - 1}, {layers[i - 1]!r}" if i else "the input"
                raise ShapeError(
                    f"layer {i} cannot take {source}: {err}", i, layer, shape, str(err)
                ) from None
        shapes.append(out)
    return shapes
