"""Per-layer statistics: which layers are measured, and the numbers measured on each.

A *measured layer* is one of Nielsen's layers, generalized: a layer with parameters
(``bool(layer.params)``: a :class:`~nn.layers.dense.Dense`, or a convolution, a per-channel
scale, ...) and the activation that follows it, the next layer with the ``is_activation``
trait before the next layer with parameters (layers between, such as dropout or a reshape,
are passed over). Without one the layer is linear. Only traits and parameters decide, never
class names, so a layer you write is measured like the built-in ones:

* its *weighted input* ``z`` is its output and its *activations* ``a`` are its activation's
  output (``a = z`` for a linear layer), of any shape ``(batch, *shape)``: every axis but the
  batch axis counts as units (:func:`layer_stats`);
* its *bias* is its parameter ``"b"``, whose gradient is the layer's ``delta`` averaged over the
  batch (BP3); a layer without one is measured by the gradient of all its parameters together
  (:func:`delta_norm`);
* its *weights* are its other parameters (all of them, for a layer whose only parameter is
  ``"b"``), ``W`` for a dense layer (:func:`weight_names`).

:mod:`nn.diagnostics.measure` records these numbers during training
(:class:`~nn.diagnostics.measure.Diagnostics`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nn.core.shapes import Shape, walk_shapes

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.layer import Layer
    from nn.core.loss import Loss
    from nn.core.network import Network

__all__ = [
    "LayerInfo",
    "can_die",
    "delta_norm",
    "delta_size",
    "dense_layers",
    "guessing_loss",
    "layer_outputs",
    "layer_stats",
    "measured_layers",
    "norm",
    "saturation_range",
    "speed_of_learning",
    "weight_names",
]


@dataclass(frozen=True)
class LayerInfo:
    """One measured layer: a layer with parameters and the activation that follows it (if any).

    Attributes
    ----------
    number : int
        1 for the first layer with parameters (the first hidden layer), up to L for the output
        layer.
    index : int
        Position of the layer with parameters in ``network.layers``.
    activation : int or None
        Position of its activation layer, None if it has none (a linear layer).
    name : str
        For tables: the shapes of one example in and out, and the activation, e.g.
        ``"784-30 Sigmoid"``, ``"2x5x4-2x5x4 linear"`` (``?`` for a shape not known).
    """

    number: int
    index: int
    activation: int | None
    name: str


def _dims(shape: Shape | None) -> str:
    return "?" if shape is None else "x".join(str(d) for d in shape)


def measured_layers(network: Network, input_shape: Shape | None = None) -> list[LayerInfo]:
    """The measured layers of ``network`` (see the module docstring), input first.

    Parameters
    ----------
    network : Network
    input_shape : tuple of int, optional
        The shape of one input example, for the names; by default the network's.
    """
    layers = network.layers
    shapes = walk_shapes(layers, input_shape or network.input_shape)
    infos: list[LayerInfo] = []
    for i, layer in enumerate(layers):
        if not layer.params:
            continue
        act = None
        for j in range(i + 1, len(layers)):
            if layers[j].params:
                break
            if getattr(layers[j], "is_activation", False):
                act = j
                break
        act_name = type(layers[act]).__name__ if act is not None else "linear"
        name = f"{_dims(shapes[i])}-{_dims(shapes[i + 1])} {act_name}"
        infos.append(LayerInfo(len(infos) + 1, i, act, name))
    return infos


def dense_layers(network: Network) -> list[LayerInfo]:
    """The measured layers of ``network``, input first: :func:`measured_layers`.

    The name is from the time every measured layer was dense; for an ``nn.mlp`` network these
    are its dense layers, each with its activation.
    """
    return measured_layers(network)


def layer_outputs(network: Network, X: np.ndarray) -> list[np.ndarray]:
    """The output of every layer for ``X``, in prediction mode (one forward pass).

    Returns
    -------
    list of ndarray
        ``outputs[i]`` is the output of ``network.layers[i]``, shape (batch, *shape_i): for a
        measured layer at ``LayerInfo.index`` that is ``z``, for its activation ``a``.
    """
    outputs = []
    a = network.checked_inputs(X)
    for layer in network.layers:
        a = layer.forward(a, training=False)
        outputs.append(a)
    return outputs


def saturation_range(layer: Layer) -> tuple[float, float] | None:
    """The output interval outside which ``layer``'s units are saturated; None if they never are."""
    own = getattr(layer, "saturation_range", None)  # the layer's trait (nn.core.layer)
    return None if own is None else (float(own[0]), float(own[1]))


def can_die(layer: Layer) -> bool:
    """Whether ``layer`` is a rectifier whose units can stop learning for good (output 0)."""
    return bool(getattr(layer, "can_die", False))  # the layer's trait (nn.core.layer)


def layer_stats(activation: Layer | None, z: np.ndarray, a: np.ndarray) -> dict[str, float | None]:
    """Spread, saturation and dead units of one layer on a batch.

    Parameters
    ----------
    activation : Layer or None
        The activation layer (decides what saturated and dead mean); None for a linear layer.
    z : ndarray of shape (batch, n_units), or (batch, *shape)
        Weighted inputs: the output of the layer with parameters.
    a : ndarray of shape (batch, n_units), or (batch, *shape)
        Activations (``a = z`` for a linear layer). Every entry of a vector is a unit; the
        units of ``(C, H, W)`` images are their ``C`` channels (for ``dead``).

    Returns
    -------
    dict
        ``z_std``, ``act_mean``, ``act_std``; ``saturated`` (fraction of entries outside the
        activation's :func:`saturation_range`, None if it has none) and ``dead`` (fraction of
        units that are 0 on every example, None unless the activation :func:`can_die`).
    """
    a64 = np.asarray(a, dtype=np.float64)
    stats: dict[str, float | None] = {
        "z_std": float(np.std(z, dtype=np.float64)),
        "act_mean": float(a64.mean()),
        "act_std": float(a64.std()),
        "saturated": None,
        "dead": None,
    }
    if activation is None:
        return stats
    limits = saturation_range(activation)
    if limits is not None:
        stats["saturated"] = float(np.mean((a64 < limits[0]) | (a64 > limits[1])))
    if can_die(activation):
        # a unit is dead when it is 0 for every example; the unit of an image (batch, C, H, W)
        # is a channel, whose weights (a convolution's filter) are shared by every position:
        # it stops learning only when it is 0 at every position, not where the images are
        # blank (a pixel of the background is 0 for every example, yet its filter learns)
        axes = (0,) if a64.ndim <= 2 else (0, *range(2, a64.ndim))
        stats["dead"] = float(np.mean(np.all(a64 <= 0, axis=axes)))
    return stats


def guessing_loss(loss: Loss, T: np.ndarray) -> float:
    """The loss of guessing: the best output that ignores the input, the mean target row.

    For one-hot targets that is predicting the class frequencies ``p`` for every example. Under
    the squared error it costs ``1/2 (1 - sum_j p_j^2)`` (0.45 for ten equally common classes);
    under cross-entropy it is the entropy of the labels (``ln 10 = 2.30`` for softmax outputs
    and ten equal classes). For every loss here the mean target is the best constant output.

    Parameters
    ----------
    loss : Loss
    T : ndarray of shape (n, n_out), or (n, *shape)
        Target rows (one-hot for classes).

    Returns
    -------
    float
    """
    T = np.asarray(T, dtype=np.float64)
    p = np.broadcast_to(T.mean(axis=0), T.shape)
    if getattr(loss, "takes_logits", False):
        # the loss reads logits z: the softmax's are z = ln p (the sigmoid's, ln p - ln(1 - p))
        q = np.clip(p, 1e-12, 1 - 1e-12)
        z = np.log(q)
        # a softmax gives p itself, or p scaled to sum to 1 where rows of zeros (the padding of
        # a sequence loss) leave the mean row short of 1: still the best constant
        mass = p.sum(axis=-1, keepdims=True)
        if not np.allclose(loss.output(z) * mass, p, atol=1e-6):
            z = np.log(q) - np.log1p(-q)
        p = z
    return float(loss.value(p.astype(T.dtype), T))


def norm(*arrays: np.ndarray) -> float:
    """Euclidean (Frobenius) norm of all the entries of ``arrays`` together, in float64.

    Without BLAS: a tiny dot product sent to a busy multithreaded BLAS can cost a millisecond.
    """
    total = 0.0
    for x in arrays:
        x = np.asarray(x, dtype=np.float64)
        total += float(np.sum(x * x))
    return math.sqrt(total)


def weight_names(layer: Layer) -> list[str]:
    """The parameters measured as ``layer``'s weights: all but the bias ``"b"`` (``["W"]`` for
    a dense layer), or all of them if ``"b"`` is the only one."""
    return [k for k in layer.params if k != "b"] or list(layer.params)


def delta_norm(layer: Layer) -> float:
    """``||dC/db||`` (BP3: the layer's delta, averaged over the batch) from its last backward.

    For a layer without a bias ``"b"``: the norm of the gradients of all its parameters
    together, which is as close as it has to a speed of learning.
    """
    if "b" in layer.grads:
        return norm(layer.grads["b"])
    return norm(*layer.grads.values())


def delta_size(layer: Layer) -> int:
    """How many numbers :func:`delta_norm` is the norm of (the units, for a dense layer)."""
    if "b" in layer.params:
        return int(layer.params["b"].size)
    return sum(int(p.size) for p in layer.params.values())


def speed_of_learning(network: Network, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Nielsen's speed of learning of every measured layer: ``||dC/db^l||`` on one batch.

    As in Nielsen's ch. 5 (``fig/generate_gradient.py``), the gradient is the average over the
    whole batch (for example the first 1,000 training images), so it is not the noise of one
    mini-batch. The layers' ``grads`` are overwritten; no parameter changes. A layer without a
    bias gives the norm of all its gradients (:func:`delta_norm`).

    Parameters
    ----------
    network : Network
    X : ndarray of shape (n, *input_shape)
    Y : ndarray of shape (n, n_out), or (n,) class labels

    Returns
    -------
    ndarray of shape (n_measured_layers,)
        ``||delta^l||`` for l = 1 .. L, the output layer last.
    """
    network.gradients(X, Y)
    infos = measured_layers(network, np.shape(X)[1:] or None)
    return np.array([delta_norm(network.layers[info.index]) for info in infos])
