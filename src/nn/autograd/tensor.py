"""A tensor autograd engine on NumPy: arrays that remember how they were made.

The scalar engine (:mod:`nn.autograd.scalar`) has one node per number; here a node is a whole
array, a :class:`Tensor`, and an operation's derivative is no longer one number per operand
but a rule that turns ``g = dC/d(out)``, an array of the output's shape, into ``dC/d(operand)``
for each operand, an array of that operand's shape (a *vector-Jacobian product*: the Jacobian
itself, of size ``out.size * operand.size``, is never built). Each operation below defines that
rule, ``grad_fn``, right under its forward computation. :meth:`Tensor.backward` is the same
walk as :meth:`nn.autograd.scalar.Value.backward`: reverse topological order, each node's
gradient complete before it is handed on, and ``+=`` where paths meet.

Broadcasting
------------
``x + b`` with ``x`` of shape ``(batch, n)`` and ``b`` of shape ``(n,)`` adds ``b`` to every
row: the same ``b_j`` reaches the loss along ``batch`` paths, so its gradient is the sum of
``g`` over the rows. :func:`unbroadcast` does that for every operation that broadcasts (sums
over the axes NumPy added in front, and over the axes where an operand had size 1), so each
operand gets a gradient of its own shape. For ``Dense`` this sum *is* BP3: ``db`` is ``delta``
summed over the batch.

Operations: ``+ - * /`` and ``**`` (a number exponent) with broadcasting, ``@`` (matrix
product, with batch dimensions broadcast), :meth:`~Tensor.sum`, :meth:`~Tensor.mean`,
:meth:`~Tensor.max` (over any axes, ``keepdims`` or not), :meth:`~Tensor.exp`,
:meth:`~Tensor.log`, :meth:`~Tensor.tanh`, :meth:`~Tensor.sigmoid`, :meth:`~Tensor.relu`,
:meth:`~Tensor.leaky_relu`, :meth:`~Tensor.clip`, :meth:`~Tensor.reshape`,
:meth:`~Tensor.transpose` and indexing (``x[idx]``, whatever NumPy accepts). Softmax and the
losses are made of these in :mod:`nn.autograd.functions`.

Everything is float64: the engine is the reference that hand-written gradients are compared
with, to about 1e-12, so it computes in the best precision NumPy has.

Convolution and recurrence
--------------------------
Recurrence needs one more primitive, :func:`stack`: the states of the time steps, one Tensor
each, stacked into the sequence a recurrent layer returns; its gradient is the slices of
``g``. The rest of a recurrent step is made of the operations above
(:mod:`nn.autograd.sequence_rules`). The collection has no convolutional layer yet, so this
engine has none of its primitives: an ``im2col`` gather (an indexing operation whose gradient
scatters back with ``np.add.at``, as :meth:`__getitem__` does) and padding join here when it
lands, each with its ``grad_fn`` next to it and a test against finite differences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nn.autograd.scalar import topological_order
from nn.functional.activations import sigmoid

__all__ = ["Tensor", "lift", "stack", "unbroadcast"]

#: ``grad_fn(g)``: the gradient of each parent, from the gradient ``g`` of the output.
GradFn = Callable[[np.ndarray], Sequence[np.ndarray]]
Axis = int | tuple[int, ...] | None


class Tensor:
    """An array that remembers the operation that made it.

    Parameters
    ----------
    data : array_like
        The values; stored as a float64 ndarray of any shape (a 0-d array for a scalar).
    parents : sequence of Tensor, default ()
        The operands it was computed from (none for an input or a parameter: a *leaf*).
    op : str, default ""
        Name of the operation, for printing.
    grad_fn : callable, optional
        ``grad_fn(g) -> (dC/d parents[0], dC/d parents[1], ...)`` for ``g = dC/d self``.
    label : str, default ""
        A name for printing (``"0.W"``).

    Attributes
    ----------
    grad : ndarray of the shape of ``data``, or None
        ``d root / d self`` after ``root.backward()``; None before.
    """

    # NumPy leaves `ndarray * Tensor` to Tensor.__rmul__ instead of looping over the array.
    __array_ufunc__ = None

    def __init__(
        self,
        data: Any,
        parents: Sequence[Tensor] = (),
        op: str = "",
        grad_fn: GradFn | None = None,
        label: str = "",
    ) -> None:
        self.data = np.asarray(data, dtype=np.float64)
        self.grad: np.ndarray | None = None
        self.parents = tuple(parents)
        self.op = op
        self.grad_fn = grad_fn
        self.label = label

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        return f"Tensor({name}shape={self.shape}, op={self.op!r})"

    # ------------------------------------------------------------------ elementwise, broadcast
    def __add__(self, other: Tensor | Any) -> Tensor:
        other = lift(other)

        def grad_fn(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            # d(x + y)/dx = 1: g itself, summed back to each operand's shape (BP3 for a bias)
            return unbroadcast(g, self.shape), unbroadcast(g, other.shape)

        return Tensor(self.data + other.data, (self, other), "+", grad_fn)

    def __sub__(self, other: Tensor | Any) -> Tensor:
        other = lift(other)

        def grad_fn(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            # d(x - y)/dx = 1, d(x - y)/dy = -1
            return unbroadcast(g, self.shape), unbroadcast(-g, other.shape)

        return Tensor(self.data - other.data, (self, other), "-", grad_fn)

    def __mul__(self, other: Tensor | Any) -> Tensor:
        other = lift(other)

        def grad_fn(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            # d(x * y)/dx = y, d(x * y)/dy = x: the Hadamard products of BP1 and BP2
            return unbroadcast(g * other.data, self.shape), unbroadcast(g * self.data, other.shape)

        return Tensor(self.data * other.data, (self, other), "*", grad_fn)

    def __truediv__(self, other: Tensor | Any) -> Tensor:
        other = lift(other)
        x, y = self.data, other.data

        def grad_fn(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            # d(x / y)/dx = 1 / y, d(x / y)/dy = -x / y^2
            return unbroadcast(g / y, self.shape), unbroadcast(-g * x / (y * y), other.shape)

        return Tensor(x / y, (self, other), "/", grad_fn)

    def __pow__(self, k: float) -> Tensor:
        if isinstance(k, Tensor):
            raise TypeError("Tensor ** Tensor is not supported: the exponent must be a number")
        x = self.data

        def grad_fn(g: np.ndarray) -> tuple[np.ndarray]:
            return (g * k * x ** (k - 1),)  # d x^k / dx = k x^(k-1)

        return Tensor(x**k, (self,), f"**{k:g}", grad_fn)

    def __neg__(self) -> Tensor:
        return Tensor(-self.data, (self,), "neg", lambda g: (-g,))

    def __radd__(self, other: Any) -> Tensor:
        return lift(other) + self

    def __rsub__(self, other: Any) -> Tensor:
        return lift(other) - self

    def __rmul__(self, other: Any) -> Tensor:
        return lift(other) * self

    def __rtruediv__(self, other: Any) -> Tensor:
        return lift(other) / self

    # ------------------------------------------------------------------ matrix product
    def __matmul__(self, other: Tensor | Any) -> Tensor:
        other = lift(other)
        if self.ndim < 2 or other.ndim < 2:
            raise ValueError(
                f"Tensor @ needs operands of 2 or more dimensions, got shapes {self.shape} and "
                f"{other.shape}: reshape a vector to (1, n) or (n, 1) first"
            )
        A, B = self.data, other.data

        def grad_fn(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            # C = A @ B: dA = g @ B^T (BP2's delta @ W.T), dB = A^T @ g (BP4's a_in^T delta)
            dA = g @ np.swapaxes(B, -1, -2)
            dB = np.swapaxes(A, -1, -2) @ g
            return unbroadcast(dA, self.shape), unbroadcast(dB, other.shape)

        return Tensor(A @ B, (self, other), "@", grad_fn)

    def __rmatmul__(self, other: Any) -> Tensor:
        return lift(other) @ self

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes by default), like ``ndarray.sum``."""
        shape, kept = self.shape, kept_shape(self.shape, axis)

        def grad_fn(g: np.ndarray) -> tuple[np.ndarray]:
            # d(sum)/dx_i = 1: every entry that was summed gets g
            return (np.broadcast_to(np.reshape(g, kept), shape).copy(),)

        return Tensor(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum", grad_fn)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``: the sum divided by the number of entries summed."""
        count = self.data.size // int(np.prod(kept_shape(self.shape, axis)))
        return self.sum(axis, keepdims) * (1.0 / count)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; the gradient goes to the maximum (shared equally by ties)."""
        x = self.data
        m = x.max(axis=axis, keepdims=True)

        def grad_fn(g: np.ndarray) -> tuple[np.ndarray]:
            hit = x == m  # 1 where the entry is its slice's maximum
            return (hit / hit.sum(axis=axis, keepdims=True) * np.reshape(g, m.shape),)

        out = m if keepdims else m.reshape(x.max(axis=axis).shape)
        return Tensor(out, (self,), "max", grad_fn)

    # ------------------------------------------------------------------ elementwise functions
    def exp(self) -> Tensor:
        e = np.exp(self.data)
        return Tensor(e, (self,), "exp", lambda g: (g * e,))  # d e^x / dx = e^x

    def log(self) -> Tensor:
        x = self.data
        return Tensor(np.log(x), (self,), "log", lambda g: (g / x,))  # d ln x / dx = 1 / x

    def tanh(self) -> Tensor:
        t = np.tanh(self.data)
        return Tensor(t, (self,), "tanh", lambda g: (g * (1.0 - t * t),))  # 1 - tanh^2

    def sigmoid(self) -> Tensor:
        s = sigmoid(self.data)
        # BP1 / BP2: g (.) sigma'(z), with sigma'(z) = s (1 - s)
        return Tensor(s, (self,), "sigmoid", lambda g: (g * s * (1.0 - s),))

    def relu(self) -> Tensor:
        on = self.data > 0  # the derivative is 1 there, 0 elsewhere (0 at the kink too)
        return Tensor(np.where(on, self.data, 0.0), (self,), "relu", lambda g: (g * on,))

    def leaky_relu(self, alpha: float = 0.01) -> Tensor:
        slope = np.where(self.data > 0, 1.0, alpha)  # alpha at 0, as leaky_relu_prime
        return Tensor(self.data * slope, (self,), "leaky_relu", lambda g: (g * slope,))

    def clip(self, lo: float | None, hi: float | None) -> Tensor:
        """Values held in ``[lo, hi]``; gradient 1 inside (bounds included), 0 where clipped."""
        x = self.data
        inside = (x >= (-np.inf if lo is None else lo)) & (x <= (np.inf if hi is None else hi))
        return Tensor(np.clip(x, lo, hi), (self,), "clip", lambda g: (g * inside,))

    # ------------------------------------------------------------------ shapes and indexing
    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        """The same entries in a new shape (``x.reshape(2, 3)`` or ``x.reshape((2, 3))``)."""
        old = self.shape
        out = self.data.reshape(*shape)
        return Tensor(out, (self,), "reshape", lambda g: (np.reshape(g, old),))

    def transpose(self, *axes: int) -> Tensor:
        """Axes permuted as ``ndarray.transpose``; the gradient goes back by the inverse."""
        perm = tuple(axes) if axes else tuple(reversed(range(self.ndim)))
        inverse = tuple(np.argsort(perm))
        out = self.data.transpose(perm)
        return Tensor(out, (self,), "transpose", lambda g: (np.transpose(g, inverse),))

    T = property(lambda self: self.transpose())

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, Tensor):
            index = index.data.astype(np.intp)
        shape = self.shape

        def grad_fn(g: np.ndarray) -> tuple[np.ndarray]:
            dx = np.zeros(shape)
            np.add.at(dx, index, g)  # an entry picked twice gets both gradients
            return (dx,)

        return Tensor(self.data[index], (self,), "[]", grad_fn)

    # ------------------------------------------------------------------ the walk
    def backward(self, grad: Any = None) -> None:
        """Fill ``grad`` of every tensor this one was computed from.

        Parameters
        ----------
        grad : array_like of the shape of ``self``, optional
            ``dC/d self`` to start from: 1 by default, which makes each ``node.grad`` equal
            to ``d self / d node`` (``self`` should then be a scalar, such as a loss).

        Notes
        -----
        The grads are set, not added to: a second call gives the same arrays.
        """
        order = topological_order(self)
        for node in order:
            node.grad = np.zeros_like(node.data)
        start = np.ones_like(self.data) if grad is None else np.asarray(grad, dtype=np.float64)
        if start.shape != self.shape:
            raise ValueError(f"backward: grad has shape {start.shape}, the tensor {self.shape}")
        self.grad = start.copy()
        for node in reversed(order):
            if node.grad_fn is None:  # a leaf: nothing to hand on
                continue
            for parent, g in zip(node.parents, node.grad_fn(node.grad)):
                parent.grad += g  # the chain rule; += sums over the paths that meet here


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """``np.stack`` of Tensors of one shape along a new ``axis``; each gets its slice of ``g``.

    A recurrent layer's output ``(batch, T, H)`` is its ``T`` states ``(batch, H)`` stacked
    along axis 1.
    """
    parts = [lift(t) for t in tensors]

    def grad_fn(g: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(np.take(g, i, axis=axis) for i in range(len(parts)))

    return Tensor(np.stack([t.data for t in parts], axis=axis), parts, "stack", grad_fn)


def lift(x: Tensor | Any) -> Tensor:
    """``x`` itself if it is a Tensor, else a new leaf holding ``x`` (a constant)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``g`` summed down to ``shape``: the gradient of an operand that was broadcast.

    Parameters
    ----------
    g : ndarray
        Gradient with respect to a broadcast result, e.g. (batch, n) for ``x + b``.
    shape : tuple of int
        The operand's shape, e.g. ``(n,)`` for ``b``; NumPy's rules make it broadcast to
        ``g.shape``.

    Returns
    -------
    ndarray of shape ``shape``
        ``g`` summed over the leading axes broadcasting added and over the axes where
        ``shape`` has 1 and ``g`` does not: each entry of the operand collects the gradient
        of every entry of the result it was copied to.
    """
    added = g.ndim - len(shape)
    if added:
        g = g.sum(axis=tuple(range(added)))  # axes NumPy put in front
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)  # axes of size 1, stretched
    return g.reshape(shape)


def kept_shape(shape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    """``shape`` with the axes a reduction over ``axis`` removes set to 1 (its keepdims shape)."""
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))
