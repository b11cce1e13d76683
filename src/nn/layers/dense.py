"""The fully connected layer, :class:`Dense`: ``z = x @ W + b``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nn.core.layer import Layer
from nn.layers.initializers import DEFAULT_INIT, Initializer, initialize

__all__ = ["Dense"]


class Dense(Layer):
    """A fully connected layer: ``z = x @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Number of inputs and outputs.
    init : str or callable, default "scaled_normal"
        How to draw the first weights: a name from :data:`nn.layers.initializers.INITIALIZERS`
        (``"normal"`` is N(0, 1) as in Nielsen ch. 1; ``"scaled_normal"`` is N(0, 1/n_in) as
        in ch. 3 and the default because it starts sigmoid units unsaturated;
        ``"glorot_uniform"``, ``"glorot_normal"``, ``"he_uniform"`` and ``"he_normal"`` are
        the usual choices for tanh and ReLU layers), or a function
        ``(n_in, n_out, rng, dtype) -> (W, b)``.
    rng : numpy.random.Generator or int or None
        Source of randomness for the init (an int is a seed). ``None`` draws fresh entropy.
    dtype : numpy dtype, default float32
        dtype of ``W``, ``b`` and of the computation. Use float64 for gradient checks.

    Attributes
    ----------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,)
    dW : ndarray of shape (n_in, n_out)
        ``dC/dW`` after ``backward`` (BP4).
    db : ndarray of shape (n_out,)
        ``dC/db`` after ``backward`` (BP3).

    ``backward`` writes ``dW`` and ``db`` into the same two arrays every time rather than
    making new ones (no allocation per mini-batch), so keep a ``.copy()`` of a gradient you
    want to compare with a later one.

    Notes
    -----
    Nielsen writes a layer with column vectors, ``z = W a + b`` with ``W`` of shape
    ``(n_out, n_in)``. Here a batch is a stack of row vectors, so ``z = x @ W + b`` and this
    ``W`` is the transpose of the book's.
    """

    can_skip_dx = True  # backward(dy, need_dx=False) skips the dx product

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        init: str | Initializer = DEFAULT_INIT,
        rng: np.random.Generator | int | None = None,
        dtype: np.dtype | type = np.float32,
    ) -> None:
        super().__init__()
        for name, value in (("n_in", n_in), ("n_out", n_out)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Dense: {name} must be a positive integer, got {value!r}")
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.init = init
        W, b = initialize(init, self.n_in, self.n_out, np.random.default_rng(rng), np.dtype(dtype))
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}

    # Named views of the dicts, so the code reads like the book.
    W = property(lambda self: self.params["W"])
    b = property(lambda self: self.params["b"])
    dW = property(lambda self: self.grads["W"])
    db = property(lambda self: self.grads["b"])

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """Weighted input of the layer.

        Parameters
        ----------
        x : ndarray of shape (batch, n_in)
            Activations of the layer below (or the network's input).
        training : bool
            Unused; a dense layer behaves the same in training and prediction.

        Returns
        -------
        ndarray of shape (batch, n_out)
            ``z = x @ W + b``: FP2 of docs/backprop.md, the batch-first form of the book's
            ``z = W a + b`` (FP1).
        """
        W = self.params["W"]
        x = np.asarray(x, dtype=W.dtype)  # compute in the layer's dtype: no silent upcast
        self.x = x  # cache: BP4 needs the input activations
        z = x @ W  # (batch, n_out)
        z += self.params["b"]  # broadcast over the rows, in place: no second (batch, n_out) array
        return z

    def backward(self, dy: np.ndarray, *, need_dx: bool = True) -> np.ndarray | None:
        """Gradients of ``W`` and ``b`` from ``delta = dC/dz``, and ``delta`` passed down.

        Parameters
        ----------
        dy : ndarray of shape (batch, n_out)
            ``delta``: the gradient of the loss with respect to ``z``, one row per example.
        need_dx : bool, default True
            False skips the product that gives ``dC/dx`` (the network's first layer, whose
            input is the data, never needs it) and returns None.

        Returns
        -------
        ndarray of shape (batch, n_in), or None
            ``dC/dx = delta @ W.T``: the first half of BP2 for the layer below.
        """
        W = self.params["W"]
        dy = np.asarray(dy, dtype=W.dtype)
        # out=: the gradients land in the arrays grads already holds, no new ones per step
        if len(dy) > 1:
            np.matmul(self.x.T, dy, out=self.grads["W"])  # BP4: dC/dW = a_in^T delta, batch-summed
        else:  # one example: BP4 is an outer product, which matmul computes without the BLAS
            np.dot(self.x.T, dy, out=self.grads["W"])  # (np.dot uses it: ten times faster)
        dy.sum(axis=0, out=self.grads["b"])  # BP3: dC/db = delta, summed over the batch
        if not need_dx:
            return None
        return dy @ W.T  # BP2 (first half): (W^{l+1})^T delta^{l+1}, in row form delta @ W.T

    @property  # type: ignore[override]
    def input_shape(self) -> tuple[int, ...]:
        """``(n_in,)``: one example is a vector of ``n_in`` numbers."""
        return (self.n_in,)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(n_out,)`` for an example of shape ``(n_in,)``; any other shape is refused.

        Raises
        ------
        ValueError
            Naming the layer, the shape it takes and the shape it was offered (with the
            usual fix when that shape holds ``n_in`` numbers in more than one axis).
        """
        shape = tuple(input_shape)
        if shape != (self.n_in,):
            fix = ""
            if len(shape) > 1 and math.prod(shape) == self.n_in:
                fix = f"; flatten each example to ({self.n_in},) first"
            raise ValueError(
                f"{self!r} takes inputs of shape ({self.n_in},) per example, got {shape}{fix}"
            )
        return (self.n_out,)

    def config(self) -> dict[str, Any]:
        return {"n_in": self.n_in, "n_out": self.n_out}

    @classmethod
    def param_shapes(cls, **config: Any) -> dict[str, tuple[int, ...]]:
        n_in, n_out = config.get("n_in"), config.get("n_out")
        for name, value in (("n_in", n_in), ("n_out", n_out)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Dense: {name} must be a positive integer, got {value!r}")
        return {"W": (int(n_in), int(n_out)), "b": (int(n_out),)}
