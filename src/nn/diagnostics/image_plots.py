"""Pictures of images: what the first layer looks for, and the examples a network gets wrong.

Needs matplotlib, imported only when a function here is called (see
:mod:`nn.diagnostics.figures`). Both functions are also in :mod:`nn.diagnostics.plots`
(``nn.plots``), with the other pictures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nn.diagnostics.figures import PathLike, finish, new_figure
from nn.diagnostics.statistics import measured_layers

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from nn.core.network import Network

__all__ = ["first_layer_weights", "misclassified"]


def first_layer_weights(
    network: Network,
    *,
    shape: tuple[int, int] = (28, 28),
    max_units: int = 30,
    path: PathLike | None = None,
) -> Figure:
    """The weights into each first-layer unit as an image: what that unit looks for.

    Red is a positive weight (ink there excites the unit), blue a negative one. Each image is
    divided by its own largest ``|w|``, so the colour bar runs from -1 to 1: the scale of each
    unit, not one scale for all. The first layer is the first measured layer; it must have a
    weight matrix ``W`` of shape (n_in, n_out) (a dense layer).

    Parameters
    ----------
    network : Network
        Its first dense layer takes ``shape[0] * shape[1]`` inputs.
    shape : (int, int)
        Height and width of an input image.
    max_units : int
        Draw at most this many units (the first ones).
    path : str or path-like, optional
        Write the figure there as PNG.
    """
    info = measured_layers(network)[0]
    W = network.layers[info.index].params.get("W")
    if W is None or W.ndim != 2:
        raise ValueError(f"the first layer ({info.name}) has no (n_in, n_out) weight matrix W")
    W = np.asarray(W, dtype=np.float64)  # (n_in, n_out)
    if W.shape[0] != shape[0] * shape[1]:
        raise ValueError(f"the first layer has {W.shape[0]} inputs, not {shape[0]} x {shape[1]}")
    n = min(W.shape[1], max_units)
    cols = min(n, 10)
    rows = math.ceil(n / cols)
    fig = new_figure(1.2 * cols + 1.0, 1.3 * rows + 0.4)
    axes = np.asarray(fig.subplots(rows, cols, squeeze=False)).ravel()
    image = None
    for j, ax in enumerate(axes):
        ax.set_axis_off()
        if j < n:
            w = W[:, j].reshape(shape)
            v = float(np.max(np.abs(w))) or 1.0
            image = ax.imshow(w / v, cmap="RdBu_r", vmin=-1, vmax=1)
            ax.set_title(str(j + 1), fontsize="x-small")
    bar = fig.colorbar(image, ax=axes.tolist(), shrink=0.8, ticks=[-1, 0, 1])
    bar.set_label("weight / the unit's largest |weight|", fontsize="small")
    bar.ax.set_yticklabels(["-max (blue)", "0", "+max (red)"], fontsize="x-small")
    fig.suptitle(f"first-layer weights ({info.name}), one image per unit")
    return finish(fig, path)


def misclassified(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    predicted: Sequence[int] | np.ndarray,
    scores: Sequence[float] | np.ndarray | None = None,
    *,
    class_names: Sequence[str] | None = None,
    shape: tuple[int, int] = (28, 28),
    per_row: int = 8,
    title: str | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Examples a network classified wrong, each titled with the true class and its answer.

    Parameters
    ----------
    images : ndarray of shape (n, height * width) or (n, height, width)
        Grey levels in [0, 1] (0 background, 1 ink), as the datasets of :mod:`nn.datasets`
        give them; drawn dark on light, with a colour bar.
    labels, predicted : sequences of n ints
        The true classes and the network's answers.
    scores : sequence of n floats, optional
        The network's output for its answer (see :func:`nn.diagnostics.confusion.answer_scores`),
        shown after it.
    class_names : sequence of str, optional
        Names of the classes (Fashion-MNIST's ``FASHION_MNIST_CLASSES``); default the numbers.
    shape : (int, int)
    per_row : int
        Images per row of the grid.
    title : str, optional
    path : str or path-like, optional
        Write the figure there as PNG.
    """
    images = np.asarray(images, dtype=np.float64)
    n = len(images)
    if n == 0:
        raise ValueError("misclassified: no images to draw (no mistakes?)")
    if images[0].size != shape[0] * shape[1]:
        raise ValueError(f"misclassified: images of {images[0].size} values are not {shape}")

    def name(k: int) -> str:
        return class_names[k] if class_names is not None else str(k)

    cols = min(n, per_row)
    rows = math.ceil(n / cols)
    fig = new_figure(1.35 * cols + 1.0, 1.55 * rows + 0.5)
    axes = np.asarray(fig.subplots(rows, cols, squeeze=False)).ravel()
    image = None
    for j, ax in enumerate(axes):
        ax.set_axis_off()
        if j < n:
            image = ax.imshow(images[j].reshape(shape), cmap="gray_r", vmin=0, vmax=1)
            answer = name(int(predicted[j]))
            if scores is not None:
                answer += f" ({float(scores[j]):.2f})"
            ax.set_title(f"true {name(int(labels[j]))}\nnet {answer}", fontsize="x-small")
    bar = fig.colorbar(image, ax=axes.tolist(), shrink=0.6, ticks=[0, 1])
    bar.set_label("pixel", fontsize="small")
    bar.ax.set_yticklabels(["0 background", "1 ink"], fontsize="x-small")
    fig.suptitle(title or f"{n} mistakes: the true class, and the network's answer (its output)")
    return finish(fig, path)
