"""What the engines need to know about each layer and loss: the one table keyed by class.

A layer's code computes its forward pass on arrays and its backward pass by hand. The engines
need only the forward pass, written in their own operations, and find the backward pass
themselves. For most layers that formula cannot be read off the layer (a ``Sigmoid`` calls a
NumPy function), so it is written here, once per class, in two versions: on a
:class:`~nn.autograd.tensor.Tensor` and on rows of :class:`~nn.autograd.scalar.Value`.

The table is keyed by the exact class: a subclass may change the math (a ``Sigmoid`` with
another function), so it gets no rule it did not ask for, and :func:`layer_rule` says what to
add. Everything else the bridge (:mod:`nn.autograd.bridge`) asks the layer itself: its
``params`` (structure), and for a random layer (``is_random``) the state its last training
forward pass left (``Dropout.mask``).

A layer rule is ``rule(layer, x, params) -> y``: ``x`` the input (a Tensor, or rows of
Values), ``params`` the layer's parameters under their names (Tensors, or nested lists of
Values). A loss rule is ``rule(a, y) -> C`` with ``y`` the targets as rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from nn.autograd import functions as F
from nn.autograd import image_rules as image
from nn.autograd import scalar_net as S
from nn.autograd import sequence_rules as Q
from nn.autograd.scalar import Value
from nn.autograd.tensor import Tensor
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.conv import Conv2D
from nn.layers.dense import Dense
from nn.layers.dropout import Dropout
from nn.layers.embedding import Embedding
from nn.layers.normalization import BatchNorm
from nn.layers.pooling import AvgPool2D, MaxPool2D
from nn.layers.recurrent import GRU, LSTM, RNN
from nn.layers.reshape import Flatten
from nn.layers.time_dense import TimeDense
from nn.losses import CategoricalCrossEntropy, CrossEntropy, SoftmaxCrossEntropy, SquaredError
from nn.losses_sequence import SequenceCrossEntropy

__all__ = ["LAYER_RULES", "LOSS_RULES", "NoRuleError", "Rule", "layer_rule", "loss_rule"]


class Rule(NamedTuple):
    """The forward computation of a layer (or a loss) for each engine."""

    tensor: Callable[..., Any]
    scalar: Callable[..., Any]


class NoRuleError(TypeError):
    """The engines do not know how a layer or loss computes its output."""


# ---------------------------------------------------------------------------- the layers
def dense(layer: Any, x: Tensor, p: dict[str, Tensor]) -> Tensor:
    """``z = x @ W + b`` (FP2): x is (batch, n_in), W (n_in, n_out), b (n_out,)."""
    return x @ p["W"] + p["b"]  # from this line alone the engine finds BP2, BP3 and BP4


def dropout(layer: Any, x: Tensor, p: dict[str, Tensor]) -> Tensor:
    """``x * mask``, with the mask of the layer's last training forward pass."""
    mask = replayed_mask(layer, x.shape)
    return x if mask is None else x * mask


def replayed_mask(layer: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    """The dropout mask to replay for an input of ``shape``: None where the layer is the
    identity (``rate == 0``).

    Raises
    ------
    ValueError
        If the layer drops units but kept no mask of that shape: its last forward pass was in
        prediction mode, or on another batch.
    """
    mask = getattr(layer, "mask", None)
    if mask is None and getattr(layer, "rate", 0.0) == 0.0:
        return None
    if mask is None or mask.shape != tuple(shape):
        kept = "no mask" if mask is None else f"a mask of shape {mask.shape}"
        raise ValueError(
            f"{type(layer).__name__}: the engine replays the mask of the layer's last training "
            f"forward pass, and it has {kept} for an input of shape {tuple(shape)}. Call "
            f"network.gradients(X, Y) on this batch first (it draws the masks)."
        )
    return mask


def _each(f: Callable[[Value], Value]) -> Callable[..., S.Rows]:
    return lambda layer, rows, p: S.elementwise(rows, f)


def _leaky_scalar(layer: Any, rows: S.Rows, p: dict) -> S.Rows:
    # slope alpha for z <= 0, as leaky_relu_prime (alpha at the kink too)
    return S.elementwise(rows, lambda v: v * (1.0 if v.data > 0 else layer.alpha))


def _dropout_scalar(layer: Any, rows: S.Rows, p: dict) -> S.Rows:
    mask = replayed_mask(layer, (len(rows), len(rows[0])))
    if mask is None:
        return rows
    return [[v * m for v, m in zip(row, mrow)] for row, mrow in zip(rows, mask.tolist())]


def _sequences_only(layer: Any, rows: Any, p: Any = None) -> Any:
    """The scalar engine's rule for a sequence layer or loss: there is none."""
    raise NoRuleError(
        f"the scalar engine works on rows (batch, n) of Values; {type(layer).__name__} takes "
        "sequences (batch, T, n): use the tensor engine (nn.autograd.engine_gradients)"
    )


def _rows_only(layer: Any, rows: S.Rows, p: dict) -> S.Rows:
    """The scalar engine's rule for a layer of images (or batch statistics): there is none."""
    raise NoRuleError(
        f"the scalar engine works on rows (batch, n) of Values and has no rule for "
        f"{type(layer).__name__}; use the tensor engine (nn.autograd.engine_gradients)"
    )


#: How each layer class computes its output, for the tensor and the scalar engine.
LAYER_RULES: dict[type, Rule] = {
    Dense: Rule(dense, lambda layer, rows, p: S.dense(rows, p["W"], p["b"])),
    Sigmoid: Rule(lambda layer, x, p: x.sigmoid(), _each(Value.sigmoid)),
    Tanh: Rule(lambda layer, x, p: x.tanh(), _each(Value.tanh)),
    ReLU: Rule(lambda layer, x, p: x.relu(), _each(Value.relu)),
    LeakyReLU: Rule(lambda layer, x, p: x.leaky_relu(layer.alpha), _leaky_scalar),
    Identity: Rule(lambda layer, x, p: x, lambda layer, rows, p: rows),
    Softmax: Rule(lambda layer, x, p: F.softmax(x), lambda layer, rows, p: S.softmax(rows)),
    Dropout: Rule(dropout, _dropout_scalar),
    # sequences, in the tensor engine only (nn.autograd.sequence_rules)
    Embedding: Rule(Q.embedding, _sequences_only),
    TimeDense: Rule(Q.time_dense, _sequences_only),
    RNN: Rule(Q.rnn, _sequences_only),
    LSTM: Rule(Q.lstm, _sequences_only),
    GRU: Rule(Q.gru, _sequences_only),
    Conv2D: Rule(image.conv2d, _rows_only),
    MaxPool2D: Rule(image.max_pool, _rows_only),
    AvgPool2D: Rule(image.avg_pool, _rows_only),
    Flatten: Rule(image.flatten, lambda layer, rows, p: rows),
    BatchNorm: Rule(image.batchnorm, _rows_only),
}

#: How each loss class computes the cost from the network's output ``a`` and the targets.
LOSS_RULES: dict[type, Rule] = {
    SquaredError: Rule(F.squared_error, S.squared_error),
    CrossEntropy: Rule(F.cross_entropy, S.cross_entropy),
    CategoricalCrossEntropy: Rule(F.categorical_cross_entropy, S.categorical_cross_entropy),
    SoftmaxCrossEntropy: Rule(F.softmax_cross_entropy, S.softmax_cross_entropy),
    SequenceCrossEntropy: Rule(Q.sequence_cross_entropy, _sequences_only),
}


def layer_rule(layer: Any, index: int | None = None) -> Rule:
    """The rule of ``layer``'s exact class.

    Raises
    ------
    NoRuleError
        For a class the table does not have, naming it and saying what to add.
    """
    return _lookup(
        layer, LAYER_RULES, "LAYER_RULES", "layer" if index is None else f"layer {index}"
    )


def loss_rule(loss: Any) -> Rule:
    """The rule of ``loss``'s exact class (:class:`NoRuleError` if the table has none)."""
    return _lookup(loss, LOSS_RULES, "LOSS_RULES", "loss")


def _lookup(obj: Any, table: dict[type, Rule], name: str, what: str) -> Rule:
    rule = table.get(type(obj))
    if rule is None:
        known = ", ".join(sorted(cls.__name__ for cls in table))
        raise NoRuleError(
            f"the autograd engine does not know the {what} {type(obj).__name__} (it knows "
            f"{known}). Write its forward computation in Tensor operations and add it to "
            f"nn.autograd.rules.{name}."
        )
    return rule
