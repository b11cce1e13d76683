"""What a :class:`~nn.core.network.Network` knows about shapes, and the checks of data against them.

:class:`NetworkShapes` is the part of ``Network`` that deals in the shape of one example
(:mod:`nn.core.shapes`): the input shape the network takes, the output shape it gives, the
summary table (:mod:`nn.core.summary`), the ``n_in``/``n_out`` of a dense network, and
``checked_inputs``/``checked_targets``, through which every entry point (``fit``,
``evaluate``, ``predict``, the gradient checker, the diagnostics) checks its data, so a
mistake gets the same message wherever it is made (:mod:`nn.core.validation`). It reads only
``self.layers`` and ``self.dtype``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nn.core.shapes import Shape, ShapeError, check_shape, walk_shapes
from nn.core.summary import layer_table
from nn.core.validation import check_inputs, check_targets

__all__ = ["PREDICT_BYTES", "PREDICT_BATCH", "NetworkShapes", "working_floats"]

#: Most examples a prediction pass takes at once (the batch that ``predict`` always used).
PREDICT_BATCH = 4096
#: Memory a prediction pass may hold at its peak, in bytes: the batch is cut down to fit. The
#: README's MLPs never reach it at 4096 examples; a convolution's im2col matrix (every
#: receptive field copied out, ``C * k * k`` numbers per output pixel) would: for the
#: Fashion-MNIST CNN of docs/cnn.md, 288 x 196 floats an image in its second convolution,
#: 925 MB at 4096 examples for that matrix alone.
PREDICT_BYTES = 256 * 2**20


def working_floats(layer: Any, in_shape: Shape, out_shape: Shape) -> int:
    """Numbers one example holds at the peak of ``layer``'s forward pass.

    The layer's own ``working_floats(in_shape)`` if it has one (a convolution counts its
    im2col columns), else its input and output together.
    """
    own = getattr(layer, "working_floats", None)
    if callable(own):
        return int(own(in_shape))
    return int(np.prod(in_shape)) + int(np.prod(out_shape))


class NetworkShapes:
    """Shapes, summary and input checks of a network of ``layers`` (a base of ``Network``)."""

    layers: list[Any]
    dtype: np.dtype
    _input_shape: Shape | None = None

    def set_input_shape(self, input_shape: Sequence[int] | None) -> None:
        """Set the shape of one input example (None: the first layer's) and check that the
        layers fit together; the constructor's ``input_shape`` does this.

        Raises
        ------
        TypeError, ValueError
            If ``input_shape`` is not a tuple of positive ints, or a layer refuses the shape
            it would be given (a :class:`~nn.core.shapes.ShapeError` naming it).
        """
        shape = None if input_shape is None else check_shape("input_shape", input_shape)
        try:
            walk_shapes(self.layers, shape or getattr(self.layers[0], "input_shape", None))
        except ShapeError as err:
            err.args = (f"Network: the layers do not fit together: {err}",)
            raise
        self._input_shape = shape  # only once the layers are known to take it

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """The shape of one input example, ``(784,)`` or ``(1, 28, 28)``; None if not fixed.

        The ``input_shape`` the network was built with, else its first layer's.
        """
        if self._input_shape is not None:
            return self._input_shape
        first = getattr(self.layers[0], "input_shape", None)
        return None if first is None else tuple(first)

    def output_shape(self, input_shape: Sequence[int] | None = None) -> tuple[int, ...] | None:
        """The shape of one output example, walked through every layer's ``output_shape``.

        Parameters
        ----------
        input_shape : tuple of int, optional
            The shape of one input example; by default :attr:`input_shape`.

        Returns
        -------
        tuple of int or None
            ``(10,)`` for ``nn.mlp([784, 30, 10])``; None if it cannot be known (no input
            shape, and no layer after the last shape-changing one insists on a shape).

        Raises
        ------
        ValueError
            If a layer cannot take the shape it would be given; the message names it.
        """
        if input_shape is not None:
            input_shape = check_shape("input_shape", input_shape)
        return walk_shapes(self.layers, input_shape or self.input_shape)[-1]

    def summary(self, input_shape: Sequence[int] | None = None) -> str:
        """A table of the layers: each one's output shape per example and parameter count.

        ``print(net.summary())``; ``input_shape`` as in :meth:`output_shape`. Shapes that
        cannot be known without it are shown as ``?`` (:mod:`nn.core.summary`).
        """
        if input_shape is not None:
            input_shape = check_shape("input_shape", input_shape)
        return layer_table(self, input_shape or self.input_shape)  # type: ignore[arg-type]

    @property
    def n_in(self) -> int | None:
        """Number of input features: ``n`` when :attr:`input_shape` is ``(n,)``, else None."""
        shape = self.input_shape
        return shape[0] if shape is not None and len(shape) == 1 else None

    @property
    def n_out(self) -> int | None:
        """Width of the output: ``k`` when :meth:`output_shape` is ``(k,)``, else None."""
        try:
            shape = self.output_shape()
        except ValueError:  # layers changed after the network was built; checked_inputs says
            return None
        return shape[0] if shape is not None and len(shape) == 1 else None

    def prediction_batch(self, example_shape: Sequence[int]) -> int:
        """Examples per forward pass of ``predict`` for inputs of ``example_shape``.

        :data:`PREDICT_BATCH`, or fewer when the layers would hold more than
        :data:`PREDICT_BYTES` at once; at least 1. The count adds up every layer's
        :func:`working_floats`, since a layer keeps what its backward pass would need (a
        convolution its im2col columns) while the layers after it run. Where the shapes
        cannot be walked, :data:`PREDICT_BATCH`.
        """
        try:
            shapes = walk_shapes(self.layers, tuple(example_shape))
        except ValueError:
            return PREDICT_BATCH
        peak = 0
        for layer, shape_in, shape_out in zip(self.layers, shapes, shapes[1:], strict=False):
            if shape_in is None or shape_out is None:
                return PREDICT_BATCH
            peak += working_floats(layer, shape_in, shape_out)
        fits = PREDICT_BYTES // max(1, peak * np.dtype(self.dtype).itemsize)
        return int(min(PREDICT_BATCH, max(1, fits)))

    # ------------------------------------------------------------------ checks
    def checked_inputs(
        self, X: np.ndarray, name: str = "X", allow_empty: bool = False
    ) -> np.ndarray:
        """``X`` checked against the shapes the layers take, as an array of the dtype.

        ``X`` must have shape ``(n, *input_shape)``; with no :attr:`input_shape` fixed, the
        first layer that refuses the shape of its examples says why. Every entry point
        (``fit``, ``evaluate``, ``predict``, the gradient checker, the diagnostics) checks its
        data through this, so a mistake gets the same message wherever it is made
        (:func:`nn.core.validation.check_inputs`). ``name`` is how the argument is called in
        messages; ``allow_empty`` accepts zero examples (``predict``).
        """
        first = getattr(self.layers[0], "input_shape", None)
        expects = "the first layer" if self._input_shape is None or first else "the network"
        return check_inputs(
            X, self.input_shape, self.dtype, name=name, allow_empty=allow_empty,
            layers=self.layers, expects=expects,
        )  # fmt: skip

    def checked_targets(self, Y: np.ndarray, n: int, name: str = "Y") -> np.ndarray:
        """Targets checked as ``(n, *output_shape)`` of the dtype; class labels become one-hot.

        Class labels, shape ``(n,)``, need an output of shape ``(k,)``. ``n`` is the number of
        examples of the matching inputs; ``name`` is how the argument is called in messages
        (:func:`nn.core.validation.check_targets`).
        """
        try:
            out = self.output_shape()
        except ValueError:
            out = None  # the inputs' check, made first, reports it
        return check_targets(Y, n, out, self.dtype, name=name)
