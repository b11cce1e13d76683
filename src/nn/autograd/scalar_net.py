"""A network of :class:`~nn.autograd.scalar.Value` numbers: layers, losses and a training loop.

Everything here is written on lists of Values, one Value per number, so that
:meth:`Value.backward` finds every gradient with no backprop code of its own: the network's
forward pass *is* its graph. A batch is a list of rows, ``(batch, n)`` as everywhere in
``nn``; a weight matrix ``W`` is ``n_in`` rows of ``n_out`` Values, like ``Dense.W``.

The pieces match the library's, so the same weights give the same loss and gradients:

* :func:`dense` is ``z = x @ W + b``; :data:`ACTIVATIONS` applies a function to every entry;
  :func:`softmax` and :func:`log_softmax` work row by row;
* the losses are means over the batch, as :mod:`nn.losses` states them:
  :func:`squared_error`, :func:`cross_entropy`, :func:`categorical_cross_entropy` and
  :func:`softmax_cross_entropy` (from the logits);
* :class:`MLP` stacks dense layers with an activation after each, and :func:`fit` trains it
  by full-batch gradient descent.

Pure Python, like :mod:`nn.autograd.scalar`: no NumPy.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Sequence

from nn.autograd.scalar import Value, total

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "MLP",
    "Rows",
    "categorical_cross_entropy",
    "cross_entropy",
    "dense",
    "elementwise",
    "fit",
    "leaves",
    "log_softmax",
    "softmax",
    "softmax_cross_entropy",
    "squared_error",
]

#: A batch: one list of Values per example.
Rows = list[list[Value]]

#: The smallest positive normal float and the gap below 1 (numpy's ``finfo(float64).tiny``
#: and ``.epsneg``): the guards of the cross-entropies in :mod:`nn.losses`.
TINY = sys.float_info.min
EPSNEG = 2.0**-53


def leaves(rows: Sequence[Sequence[float]], label: str = "") -> Rows:
    """Rows of floats as rows of new leaf Values (``label[i][j]`` names them when given)."""
    return [
        [Value(x, label=f"{label}[{i}][{j}]" if label else "") for j, x in enumerate(row)]
        for i, row in enumerate(rows)
    ]


def dense(x: Rows, W: Rows, b: list[Value]) -> Rows:
    """``z = x @ W + b``: ``x`` is (batch, n_in), ``W`` is (n_in, n_out), ``b`` is (n_out,).

    Returns
    -------
    Rows of shape (batch, n_out)
        ``z[i][j] = sum_k x[i][k] W[k][j] + b[j]``, each one node with ``n_in + 1`` parents.
    """
    n_in = len(W)
    return [
        [total([row[k] * W[k][j] for k in range(n_in)] + [b[j]]) for j in range(len(b))]
        for row in x
    ]


def elementwise(rows: Rows, f: Callable[[Value], Value]) -> Rows:
    """``f`` applied to every entry: an activation layer."""
    return [[f(v) for v in row] for row in rows]


#: Activation functions by the names :func:`nn.mlp` uses.
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "identity": lambda v: v,
}


def log_softmax(rows: Rows) -> Rows:
    """``z_j - log sum_k exp(z_k)`` for each row, without overflow.

    The row maximum ``m`` is subtracted first as a plain number, not a Value: the result does
    not depend on ``m`` (it cancels), so neither does its gradient.
    """
    out = []
    for row in rows:
        m = max(v.data for v in row)
        shifted = [v - m for v in row]
        lse = total(s.exp() for s in shifted).log()
        out.append([s - lse for s in shifted])
    return out


def softmax(rows: Rows) -> Rows:
    """``exp(z_j) / sum_k exp(z_k)`` for each row (the maximum subtracted first, as above)."""
    out = []
    for row in rows:
        m = max(v.data for v in row)
        e = [(v - m).exp() for v in row]
        s = total(e)
        out.append([x / s for x in e])
    return out


def squared_error(a: Rows, y: Sequence[Sequence[float]]) -> Value:
    """``C = (1/n) sum_x 1/2 ||a - y||^2`` (SquaredError): ``a`` and ``y`` are (batch, n_out)."""
    return total(0.5 * (ai - yi) ** 2 for ra, ry in zip(a, y) for ai, yi in zip(ra, ry)) / len(a)


def clip(v: Value, lo: float, hi: float) -> Value:
    """``v`` itself inside ``[lo, hi]``, else a constant at the bound (gradient 0 there)."""
    return v if lo <= v.data <= hi else Value(min(max(v.data, lo), hi))


def cross_entropy(a: Rows, y: Sequence[Sequence[float]]) -> Value:
    """``C = -(1/n) sum [y ln a + (1 - y) ln(1 - a)]`` (CrossEntropy), ``a`` clipped as there."""
    terms = []
    for ra, ry in zip(a, y):
        for ai, yi in zip(ra, ry):
            p = clip(ai, EPSNEG, 1.0 - EPSNEG)
            terms.append(yi * p.log() + (1.0 - yi) * (1.0 - p).log())
    return -total(terms) / len(a)


def categorical_cross_entropy(a: Rows, y: Sequence[Sequence[float]]) -> Value:
    """``C = -(1/n) sum y ln a`` for probability rows (CategoricalCrossEntropy)."""
    terms = [yi * clip(ai, TINY, 1.0).log() for ra, ry in zip(a, y) for ai, yi in zip(ra, ry)]
    return -total(terms) / len(a)


def softmax_cross_entropy(z: Rows, y: Sequence[Sequence[float]]) -> Value:
    """``C = -(1/n) sum y log_softmax(z)`` from the logits ``z`` (SoftmaxCrossEntropy)."""
    logp = log_softmax(z)
    return -total(yi * li for rl, ry in zip(logp, y) for li, yi in zip(rl, ry)) / len(z)


#: Losses by the names :func:`nn.mlp` uses: ``loss(outputs, targets) -> Value``.
LOSSES: dict[str, Callable[[Rows, Sequence[Sequence[float]]], Value]] = {
    "squared_error": squared_error,
    "cross_entropy": cross_entropy,
    "categorical_cross_entropy": categorical_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
}


class MLP:
    """Dense layers with an activation after each, on Values.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, inputs first: ``[2, 4, 1]``.
    activation : str, default "sigmoid"
        A name of :data:`ACTIVATIONS`, applied after every dense layer but the last.
    output_activation : str, optional
        Applied after the last dense layer; ``activation`` by default (Nielsen's convention).
    seed : int, default 0
        Seeds the initial weights: ``W ~ N(0, 1/n_in)``, ``b ~ N(0, 1)`` (the library's
        ``"scaled_normal"``, drawn from Python's :mod:`random`, so not the same numbers).

    Attributes
    ----------
    layers : list of (W, b)
        ``W`` is (n_in, n_out), ``b`` is (n_out,), every entry a leaf Value.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "sigmoid",
        output_activation: str | None = None,
        seed: int = 0,
    ) -> None:
        for name in (activation, output_activation or activation):
            if name not in ACTIVATIONS:
                raise ValueError(
                    f"MLP: unknown activation {name!r}; choose one of {list(ACTIVATIONS)}"
                )
        rng = random.Random(seed)
        weights = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            W = [[rng.gauss(0.0, n_in**-0.5) for _ in range(n_out)] for _ in range(n_in)]
            weights.append((W, [rng.gauss(0.0, 1.0) for _ in range(n_out)]))
        self.set_weights(weights)
        self.activation = activation
        self.output_activation = output_activation or activation

    def set_weights(
        self, weights: Sequence[tuple[Sequence[Sequence[float]], Sequence[float]]]
    ) -> None:
        """Replace the parameters by new leaves holding ``weights``: one ``(W, b)`` per layer.

        ``W`` is (n_in, n_out) and ``b`` (n_out,), as ``Dense.W`` and ``Dense.b``
        (``layer.W.tolist()`` gives one).
        """
        self.layers = [
            (leaves(W, f"W{n}"), [Value(v, label=f"b{n}[{j}]") for j, v in enumerate(b)])
            for n, (W, b) in enumerate(weights, start=1)
        ]

    def __call__(self, X: Sequence[Sequence[float]]) -> Rows:
        """The outputs for the batch ``X`` (batch, n_in): (batch, n_out) Values."""
        a: Rows = [[Value(x) for x in row] for row in X]
        for n, (W, b) in enumerate(self.layers, start=1):
            f = ACTIVATIONS[self.output_activation if n == len(self.layers) else self.activation]
            a = elementwise(dense(a, W, b), f)
        return a

    def parameters(self) -> list[Value]:
        """Every weight and bias, layer by layer, ``W`` row by row then ``b``."""
        return [v for W, b in self.layers for v in [*(w for row in W for w in row), *b]]


def fit(
    model: MLP,
    X: Sequence[Sequence[float]],
    Y: Sequence[Sequence[float]],
    *,
    loss: str = "squared_error",
    lr: float = 1.0,
    epochs: int = 100,
) -> list[float]:
    """Full-batch gradient descent: each epoch one forward pass, ``backward``, one step.

    Parameters
    ----------
    model : MLP
    X : (batch, n_in) floats
    Y : (batch, n_out) floats
        Targets as rows (one-hot for classes).
    loss : str
        A name of :data:`LOSSES`.
    lr : float
        ``w <- w - lr * dC/dw``.
    epochs : int

    Returns
    -------
    list of float
        The loss before each step.
    """
    if loss not in LOSSES:
        raise ValueError(f"fit: unknown loss {loss!r}; choose one of {list(LOSSES)}")
    history = []
    for _ in range(epochs):
        C = LOSSES[loss](model(X), Y)
        C.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        history.append(C.data)
    return history
