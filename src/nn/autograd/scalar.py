"""A scalar autograd engine in pure Python: numbers that remember how they were made.

A :class:`Value` holds one float, ``data``, and after :meth:`Value.backward` its ``grad``: the
derivative of the final result with respect to it. Every operation (``+``, ``-``, ``*``,
``/``, ``**``, :meth:`~Value.exp`, :meth:`~Value.log`, :meth:`~Value.tanh`,
:meth:`~Value.sigmoid`, :meth:`~Value.relu`) returns a new Value that keeps its operands
(``parents``) and the *local derivatives*, the partial derivative of the result with respect
to each operand, written on the line of the operation:

``z = x * y`` keeps ``parents = (x, y)`` and ``local = (y, x)``, since dz/dx = y and dz/dy = x.

That is all the engine needs. :meth:`Value.backward` puts the nodes in topological order
(every node after the nodes it was made from) and walks that order backwards once, adding
``local * grad`` of each node into the ``grad`` of each parent: the chain rule, with the
sum over paths done by ``+=``. Each node's ``grad`` is final when the walk reaches it, and
is used by all its parents without being computed again: the memoized dynamic programming
of backpropagation (docs/backprop.md, section 5), here on any graph rather than on a list
of layers. docs/autograd.md puts the two side by side.

No NumPy here (nor in :mod:`nn.autograd.scalar_net`): every number is a Python float, so a
reader can follow one multiplication at a time; ``tests/test_autograd_scalar.py`` runs this
module with NumPy blocked. The idea and the shape of the class follow Andrej Karpathy's
micrograd.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["Value", "lift", "sigmoid", "topological_order", "total"]


class Value:
    """A float that remembers the operation that made it, for reverse-mode differentiation.

    Parameters
    ----------
    data : float
        The number.
    parents : sequence of Value, default ()
        The operands it was computed from (none for an input or a parameter: a *leaf*).
    op : str, default ""
        Name of the operation, for printing the graph (``"*"``, ``"exp"``, ...).
    local : sequence of float, default ()
        ``d self / d parents[i]`` for each parent, evaluated at the operands' values.
    label : str, default ""
        A name for drawing the graph (``"w1"``, ``"z2"``); no effect on the arithmetic.

    Attributes
    ----------
    grad : float
        ``d root / d self`` after ``root.backward()``; 0 before.
    serial : int
        How many Values were made before this one: a node is made after its parents, so
        sorting by ``serial`` is a topological order, the one the forward pass took.
    """

    __slots__ = ("data", "grad", "parents", "op", "local", "label", "serial")
    _made = itertools.count()

    def __init__(
        self,
        data: float,
        parents: Sequence[Value] = (),
        op: str = "",
        local: Sequence[float] = (),
        label: str = "",
    ) -> None:
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.op = op
        self.local = tuple(local)
        self.label = label
        self.serial = next(self._made)

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # ------------------------------------------------------------------ the operations
    def __add__(self, other: Value | float) -> Value:
        other = lift(other)
        return Value(self.data + other.data, (self, other), "+", (1.0, 1.0))  # d(x+y)/dx = 1

    def __sub__(self, other: Value | float) -> Value:
        other = lift(other)
        return Value(self.data - other.data, (self, other), "-", (1.0, -1.0))

    def __mul__(self, other: Value | float) -> Value:
        other = lift(other)
        # d(x y)/dx = y and d(x y)/dy = x: each operand's local derivative is the other one
        return Value(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __truediv__(self, other: Value | float) -> Value:
        other = lift(other)
        y = other.data  # d(x/y)/dx = 1/y, d(x/y)/dy = -x/y^2
        return Value(self.data / y, (self, other), "/", (1.0 / y, -self.data / (y * y)))

    def __pow__(self, k: float) -> Value:
        if isinstance(k, Value):
            raise TypeError("Value ** Value is not supported: the exponent must be a number")
        return Value(self.data**k, (self,), f"**{k:g}", (k * self.data ** (k - 1),))

    def __neg__(self) -> Value:
        return Value(-self.data, (self,), "neg", (-1.0,))

    def exp(self) -> Value:
        e = math.exp(self.data)
        return Value(e, (self,), "exp", (e,))  # d e^x / dx = e^x

    def log(self) -> Value:
        return Value(math.log(self.data), (self,), "log", (1.0 / self.data,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", (1.0 - t * t,))  # tanh' = 1 - tanh^2

    def sigmoid(self) -> Value:
        s = sigmoid(self.data)
        return Value(s, (self,), "sigmoid", (s * (1.0 - s),))  # sigma'(z) = s (1 - s): BP1, BP2

    def relu(self) -> Value:
        on = self.data > 0.0  # at the kink x = 0 the derivative used is 0, as relu_prime's
        return Value(self.data if on else 0.0, (self,), "relu", (1.0 if on else 0.0,))

    # A number on the left: 2 * x calls x.__rmul__(2).
    def __radd__(self, other: float) -> Value:
        return lift(other) + self

    def __rsub__(self, other: float) -> Value:
        return lift(other) - self

    def __rmul__(self, other: float) -> Value:
        return lift(other) * self

    def __rtruediv__(self, other: float) -> Value:
        return lift(other) / self

    # ------------------------------------------------------------------ the walk
    def backward(self) -> None:
        """Fill ``grad`` of every node this one was computed from with ``d self / d node``.

        The grads are set, not added to: a second call gives the same numbers. Nodes of the
        graph are visited once each, in reverse topological order, so when a node hands its
        gradient to its parents it has received everything it will get from the nodes
        computed from it.
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0  # d self / d self
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local):
                parent.grad += local * node.grad  # chain rule; += sums over the paths


def lift(x: Value | float) -> Value:
    """``x`` itself if it is a Value, else a new leaf holding the number ``x``."""
    return x if isinstance(x, Value) else Value(x)


def sigmoid(x: float) -> float:
    """``1 / (1 + e^-x)`` without overflow: the exponent is kept at or below 0."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def topological_order(root: Any) -> list[Any]:
    """Every node ``root`` was computed from, each after all of its ``parents``.

    Works for any node with a ``parents`` tuple (a :class:`Value` or a
    :class:`nn.autograd.tensor.Tensor`). A depth-first search with an explicit stack rather
    than recursion, so a graph as deep as a long sum does not hit Python's recursion limit.

    Parameters
    ----------
    root : Value or Tensor

    Returns
    -------
    list
        The nodes, leaves first and ``root`` last; each node once.
    """
    order: list[Any] = []
    seen: set[int] = {id(root)}
    stack: list[tuple[Any, int]] = [(root, 0)]  # (node, index of the next parent to visit)
    while stack:
        node, i = stack.pop()
        if i < len(node.parents):
            stack.append((node, i + 1))
            parent = node.parents[i]
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, 0))
        else:  # every parent is placed: the node can be
            order.append(node)
    return order


def total(values: Iterable[Value | float]) -> Value:
    """The sum of ``values`` as one node with local derivatives all 1.

    ``sum(values)`` would build a chain of two-operand additions as long as the list; one node
    with many parents gives the same number and gradients with a graph a reader can print.
    """
    vals = [lift(v) for v in values]
    return Value(math.fsum(v.data for v in vals), vals, "sum", [1.0] * len(vals))
