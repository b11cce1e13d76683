"""``cnn``: LeNet-style convolutional networks from a short description.

As :func:`nn.mlp` builds a dense network from a list of sizes, :func:`cnn` builds one from a
line of words, each a layer, input first::

    cnn("conv6k5p2 pool2 conv16k5 pool2 dense120 dense84 dense10", input_shape=(1, 28, 28))

is LeNet-5 (LeCun et al. 1998) on 28 x 28 images: its first convolution pads them to the
32 x 32 of the original. The words:

=====================  ==================================================================
``conv<F>k<k>``        :class:`~nn.layers.conv.Conv2D` with ``F`` filters of ``k x k``;
                       ``s<n>`` sets the stride, ``p<n>`` the padding: ``conv32k3s1p1``
``pool<n>``            :class:`~nn.layers.pooling.MaxPool2D` of ``n x n``; ``s<m>`` for a
                       stride other than ``n``: ``pool3s2``
``avgpool<n>``         :class:`~nn.layers.pooling.AvgPool2D`, likewise
``bn``                 :class:`~nn.layers.normalization.BatchNorm` of the layer before
``dropout<rate>``      :class:`~nn.layers.dropout.Dropout`: ``dropout0.5``
``dense<n>`` or ``n``  :class:`~nn.layers.dense.Dense` with ``n`` outputs
=====================  ==================================================================

Words may be separated by spaces, commas or ``-``. The activation (ReLU by default) follows
every convolution and hidden dense layer, after its batch norm if it has one; the last dense
layer gives logits for the fused softmax and cross-entropy. A :class:`~nn.layers.reshape.Flatten`
goes in before the first dense layer that follows images.

A max pooling directly after a convolution is placed *before* that convolution's activation:
``max(relu(a), relu(b)) = relu(max(a, b))`` for any increasing activation, so the network
computes the same function and the same gradients, with the activation applied to a quarter
of the numbers. (Average pooling does not commute with ReLU and keeps its place.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from nn.core.layer import Layer
from nn.core.network import Network
from nn.core.registry import ACTIVATIONS, LOSSES, lookup
from nn.layers.conv import Conv2D
from nn.layers.dense import Dense
from nn.layers.dropout import Dropout
from nn.layers.initializers import WEIGHT_VARIANCE
from nn.layers.normalization import BatchNorm
from nn.layers.pooling import AvgPool2D, MaxPool2D
from nn.layers.reshape import Flatten

__all__ = ["LENET", "cnn", "default_init", "parse_description"]

#: LeNet-5 on 28 x 28 images (the padding of the first convolution makes them 32 x 32).
LENET = "conv6k5p2 pool2 conv16k5 pool2 dense120 dense84 dense10"

_WORD = re.compile(
    r"(?P<kind>conv|avgpool|pool|dense|dropout|bn)?(?P<n>[0-9.]*)"
    r"(?:k(?P<k>\d+))?(?:s(?P<s>\d+))?(?:p(?P<p>\d+))?"
)


def default_init(activation: str) -> str:
    """The initializer :func:`cnn` uses with ``activation`` unless told: He for the ReLU family
    (half the units pass nothing, so the variance is doubled), Glorot otherwise."""
    act_cls = lookup(ACTIVATIONS, activation, "activation")
    # the ReLU family is the activations with a kink at 0 (a trait, not a name)
    return "he_normal" if getattr(act_cls, "has_kink", False) else "glorot_uniform"


def parse_description(description: str | Sequence[str]) -> list[tuple[str, dict[str, float]]]:
    """The words of a description as ``(kind, numbers)``: ``("conv", {"n": 6, "k": 5, ...})``.

    Raises
    ------
    ValueError
        Naming the word that is not understood, and the words that are.
    """
    words = description if not isinstance(description, str) else re.split(r"[\s,\-]+", description)
    parsed = []
    for word in (w.strip().lower() for w in words):
        if not word:
            continue
        m = _WORD.fullmatch(word)
        kind = m and (m["kind"] or ("dense" if m["n"] else None))
        needs_n = kind not in (None, "bn")
        if m is None or kind is None or (needs_n and not m["n"]) or (kind == "bn" and m["n"]):
            raise ValueError(
                f"cnn: cannot read {word!r}; use conv<filters>k<size>[s<stride>][p<pad>], "
                "pool<size>[s<stride>], avgpool<size>, bn, dropout<rate>, dense<units> or <units>"
            )
        if kind == "conv" and m["k"] is None:
            raise ValueError(f"cnn: {word!r}: conv needs a kernel size, conv<filters>k<size>: "
                             f"{word}k5")  # fmt: skip
        if kind != "conv" and (m["k"] or m["p"]):
            raise ValueError(f"cnn: {word!r}: only conv takes k<size> and p<pad>")
        numbers = {key: float(m[key]) for key in ("n", "k", "s", "p") if m[key]}
        if kind != "dropout" and "n" in numbers and not numbers["n"].is_integer():
            raise ValueError(f"cnn: {word!r}: {kind} needs a whole number")
        parsed.append((kind, numbers))
    if not parsed or parsed[-1][0] != "dense":
        raise ValueError(f"cnn: the description must end with a dense layer, got {description!r}")
    return parsed


def cnn(
    description: str | Sequence[str] = LENET,
    input_shape: Sequence[int] = (1, 28, 28),
    *,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
    init: str | None = None,
    seed: int | np.random.Generator | None = None,
    dtype: np.dtype | type = np.float32,
) -> Network:
    """A convolutional network from a description (see the module docstring).

    Parameters
    ----------
    description : str or sequence of str, default :data:`LENET`
        Layer words, input first, ending with the output dense layer.
    input_shape : (C, H, W), default (1, 28, 28)
        The shape of one example image.
    activation : str, default "relu"
        Activation after every convolution and hidden dense layer.
    loss : str, default "softmax_cross_entropy"
        A loss that takes logits (the last layer has no activation).
    init : str, optional
        Initializer of every convolution and dense layer, a name of
        ``nn.layers.initializers.INITIALIZERS`` (a kernel's fan-in is ``C * k * k``); by
        default :func:`default_init` of ``activation``: He for ReLU, Glorot otherwise.
    seed : int or Generator, optional
        Seed of the initial weights and of dropout's masks.
    dtype : numpy dtype, default float32

    Returns
    -------
    Network
        With ``input_shape`` set: ``net.summary()`` prints every layer's output shape.

    Raises
    ------
    ValueError
        For a word it cannot read, or layers whose shapes do not fit (the message names the
        layer).
    """
    act_cls = lookup(ACTIVATIONS, activation, "activation")
    loss_cls = lookup(LOSSES, loss, "loss")
    if not loss_cls.takes_logits:
        raise ValueError(f"cnn: loss={loss!r} does not take logits; use 'softmax_cross_entropy'")
    if init is None:
        init = default_init(activation)
    elif init not in WEIGHT_VARIANCE:
        known = ", ".join(repr(k) for k in WEIGHT_VARIANCE)
        raise ValueError(f"cnn: init={init!r} is not a known initializer; use one of {known}")
    rng = np.random.default_rng(seed)
    words = parse_description(description)
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3:
        raise ValueError(f"cnn: input_shape is (C, H, W) of one image, got {tuple(input_shape)}")
    layers: list[Layer] = []
    pending: Layer | None = None  # the activation owed to the last conv or dense layer
    last_dense = max(i for i, (kind, _) in enumerate(words) if kind == "dense")
    for i, (kind, num) in enumerate(words):
        n = num.get("n", 0.0)
        if kind in ("conv", "dense") and pending is not None:
            layers.append(pending)
            pending = None
        if kind == "conv":
            stride, pad = int(num.get("s", 1)), int(num.get("p", 0))
            layers.append(Conv2D(shape[0], int(n), int(num["k"]), stride=stride, padding=pad,
                                 init=init, rng=rng, dtype=dtype))  # fmt: skip
            pending = act_cls()
        elif kind in ("pool", "avgpool"):
            cls = MaxPool2D if kind == "pool" else AvgPool2D
            # an increasing activation commutes with the maximum: pool first, on fewer numbers
            commutes = kind == "pool" and getattr(pending, "is_increasing", False)
            if pending is not None and not commutes:
                layers.append(pending)
                pending = None
            layers.append(cls(int(n), int(num["s"]) if "s" in num else None))
        elif kind == "bn":
            layers.append(BatchNorm(shape[0], dtype=dtype))
        elif kind == "dropout":
            if pending is not None:
                layers.append(pending)
                pending = None
            layers.append(Dropout(n, rng=int(rng.integers(2**63))))
        else:  # dense
            if len(shape) > 1:
                layers.append(Flatten())
                shape = (math.prod(shape),)
            layers.append(Dense(shape[0], int(n), init=init, rng=rng, dtype=dtype))
            pending = act_cls() if i != last_dense else None
        try:
            shape = layers[-1].output_shape(shape)
        except ValueError as err:
            raise ValueError(f"cnn: {words[i][0]} (word {i + 1}) cannot follow: {err}") from None
    if pending is not None:
        raise ValueError("cnn: the description must end with a dense layer")
    return Network(layers, loss_cls(), input_shape=tuple(int(s) for s in input_shape))
