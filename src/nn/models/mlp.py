"""``mlp``: Nielsen-style networks from a list of layer sizes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nn.core.layer import Layer
from nn.core.network import Network
from nn.core.numbers import check_real
from nn.core.registry import ACTIVATIONS, LOSSES, lookup, snake_case
from nn.layers.activations import Identity
from nn.layers.dense import Dense
from nn.layers.dropout import Dropout
from nn.layers.initializers import DEFAULT_INIT, Initializer

__all__ = ["check_mlp", "mlp"]


def _a(word: str) -> str:
    """``"a tanh"``, ``"an identity"``."""
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def check_mlp(
    sizes: Sequence[int],
    activation: str,
    loss: str,
    output_activation: str | None,
    dropout: float = 0.0,
) -> tuple[type[Layer], type[Layer] | None, type, float]:
    """The checks of :func:`mlp`'s arguments, without building anything.

    Also what the command line calls before it loads any data, so that a pairing that cannot
    learn (categorical cross-entropy on sigmoid outputs, a softmax over one output unit) is
    refused before any work.

    Returns
    -------
    activation class, output activation class (None for no output activation), loss class,
    dropout rate.

    Raises
    ------
    ValueError, TypeError
        Saying what is wrong and what to give instead.
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp: sizes needs an input and an output size, got {sizes!r}")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(f"mlp: every size must be a positive integer, got {sizes!r}")
    act_cls = lookup(ACTIVATIONS, activation, "activation")
    loss_cls = lookup(LOSSES, loss, "loss")
    out_cls: type[Layer] | None = act_cls
    if output_activation is not None:
        out_cls = lookup(ACTIVATIONS, output_activation, "output activation")
    if loss_cls.takes_logits:
        if out_cls is not None and output_activation is not None and out_cls is not Identity:
            raise ValueError(
                f"mlp: loss={loss!r} applies the softmax itself and wants logits from the last "
                f"layer; drop output_activation={output_activation!r} (or use "
                f"loss='categorical_cross_entropy' with output_activation='softmax')"
            )
        if output_activation is None:
            out_cls = None
    fits = loss_cls.output_activations  # the cross-entropies take probabilities only
    out_name = "identity" if out_cls is None else snake_case(out_cls.__name__)
    if (
        fits is not None
        and out_name not in fits
        and getattr(out_cls, "output_range", 0) == "(0, 1)"
    ):
        raise ValueError(  # in the loss's range, yet not what it needs (sigmoid for softmax)
            f"mlp: loss={loss!r} needs {fits[0]} outputs, and {_a(out_name)} output layer "
            f"gives other ones: the loss falls while the predictions stay at chance; give "
            f"output_activation={fits[0]!r} (--output-activation {fits[0]}), or use "
            "loss='cross_entropy' for sigmoid outputs"
        )
    if fits is not None and out_name not in fits:
        raise ValueError(
            f"mlp: loss={loss!r} takes outputs in (0, 1), but {_a(out_name)} output layer can "
            "leave that range, where the loss clips its input and training goes wrong without "
            f"an error; give output_activation={fits[0]!r} (--output-activation {fits[0]}), "
            "or use loss='softmax_cross_entropy', which takes logits"
        )
    one_way = (loss_cls.takes_logits and out_cls is None) or out_name == "softmax"
    if sizes[-1] == 1 and one_way:
        raise ValueError(
            f"mlp: a softmax over a single output unit is always 1, so {sizes!r} with "
            f"loss={loss!r} can never learn; for two classes use one sigmoid output "
            "(output_activation='sigmoid', loss='cross_entropy') or two softmax outputs"
        )
    dropout = check_real("mlp: dropout (a rate)", dropout, 0.0, 1.0, hi_open=True)
    return act_cls, out_cls, loss_cls, dropout


def mlp(
    sizes: Sequence[int],
    activation: str = "sigmoid",
    loss: str = "squared_error",
    *,
    output_activation: str | None = None,
    init: str | Initializer = DEFAULT_INIT,
    dropout: float = 0.0,
    seed: int | np.random.Generator | None = None,
    dtype: np.dtype | type = np.float32,
) -> Network:
    """A fully connected network with an activation after every layer, the output included.

    ``mlp([784, 30, 10])`` is the network of Nielsen's ch. 1: 784 inputs, 30 sigmoid hidden
    units, 10 sigmoid outputs, squared-error loss. It is the list
    ``[Dense(784, 30), Sigmoid(), Dense(30, 10), Sigmoid()]``.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input first; at least two entries.
    activation : str
        Name of the activation after each dense layer, the output layer included (Nielsen's
        convention) unless ``output_activation`` says otherwise: ``"sigmoid"``, ``"tanh"``,
        ``"relu"``, ``"leaky_relu"``, ``"softmax"`` or ``"identity"``.
    loss : str
        ``"squared_error"``, ``"cross_entropy"`` (for sigmoid outputs),
        ``"categorical_cross_entropy"`` (for softmax outputs) or ``"softmax_cross_entropy"``
        (fused, on logits).
    output_activation : str, optional
        Activation after the last dense layer, when it should differ from ``activation``
        (``mlp(sizes, "relu", "categorical_cross_entropy", output_activation="softmax")``).
        With ``loss="softmax_cross_entropy"`` the last layer must give logits, so the default
        is no output activation, and any name but ``"identity"`` is an error (a softmax there
        would be applied twice). ``predict`` then returns probabilities all the same (the
        loss's ``output``, see :class:`nn.SoftmaxCrossEntropy`).
    init : str or callable, default "scaled_normal"
        Weight initializer for every dense layer: ``"normal"`` (N(0, 1), Nielsen ch. 1),
        ``"scaled_normal"`` (N(0, 1/n_in), ch. 3; the default, because it keeps sigmoid units
        out of saturation at the start), ``"glorot_uniform"``, ``"glorot_normal"`` (for tanh
        and sigmoid), ``"he_uniform"`` or ``"he_normal"`` (for ReLU); see
        :mod:`nn.layers.initializers`.
    dropout : float, default 0
        If positive, a :class:`nn.Dropout` layer with this rate after every hidden layer's
        activation (never on the inputs or the outputs).
    seed : int or Generator, optional
        Seed of the initial weights and of the dropout masks: the same seed gives the same
        weights bit for bit, with or without dropout (the masks' generators are drawn after
        all the weights).
    dtype : numpy dtype, default float32
        dtype of every parameter; float64 for gradient checks.

    Returns
    -------
    Network
    """
    sizes = list(sizes)
    act_cls, out_cls, loss_cls, dropout = check_mlp(
        sizes, activation, loss, output_activation, dropout
    )
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    n_layers = len(sizes) - 1
    hidden_ends = []  # index in `layers` after each hidden layer's activation
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(n_in, n_out, init=init, rng=rng, dtype=dtype))
        last = i == n_layers - 1
        cls = out_cls if last else act_cls
        if cls is not None:
            layers.append(cls())
        if not last:
            hidden_ends.append(len(layers))
    if dropout:
        # seeds drawn after every weight, so dropout does not change the initial weights
        seeds = [int(rng.integers(2**63)) for _ in hidden_ends]
        for pos, s in reversed(list(zip(hidden_ends, seeds))):
            layers.insert(pos, Dropout(dropout, rng=s))
    return Network(layers, loss_cls())
