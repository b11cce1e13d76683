"""Pictures of a convolutional network: what its filters learned, what they respond to, where
it fails.

Needs matplotlib, imported only when a function here is called; like
:mod:`nn.diagnostics.plots`, every function builds a figure without ``pyplot`` and writes a
PNG when given ``path=``.

* :func:`filters`: the kernels of a convolution, one small image per (filter, channel);
* :func:`feature_maps`: one image through the network, the output of every layer that
  keeps images (convolutions, pooling, their activations), one small image per channel;
* :func:`most_wrong`: the test images the network gets most wrong (the lowest probability
  of the true class), with the true and the predicted class.

Layers are found by their shapes and parameters, not their class names: a convolution is a
layer whose parameter ``W`` has four axes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nn.diagnostics.figures import PathLike, finish, new_figure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from nn.core.network import Network

__all__ = ["conv_layers", "feature_maps", "filters", "most_wrong"]


def conv_layers(network: Network) -> list[int]:
    """Indices of the layers with a 4-axis kernel ``W`` (the convolutions), input first."""
    return [i for i, layer in enumerate(network.layers)
            if getattr(layer, "params", {}).get("W") is not None
            and layer.params["W"].ndim == 4]  # fmt: skip


def _image_grid(fig: Figure, images: np.ndarray, cols: int, labels: Sequence[str] = (),
                cmap: str = "gray", symmetric: bool = False) -> None:  # fmt: skip
    """``images`` (n, h, w) as a grid of small axes, each scaled on its own."""
    rows = math.ceil(len(images) / cols)
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k >= len(images):
            continue
        img = images[k]
        if symmetric:  # 0 in the middle of the colour map: the sign of a weight shows
            lim = float(np.abs(img).max()) or 1.0
            ax.imshow(img, cmap=cmap, vmin=-lim, vmax=lim)
        else:
            ax.imshow(img, cmap=cmap)
        if k < len(labels):
            ax.set_title(labels[k], fontsize=7)


def filters(network: Network, *, layer: int | None = None, path: PathLike | None = None,
            max_channels: int = 8) -> Figure:  # fmt: skip
    """The kernels of a convolution (the first one by default), red positive, blue negative.

    Parameters
    ----------
    network : Network
    layer : int, optional
        Index in ``network.layers`` of the convolution; the first by default.
    path : path, optional
        Where to write the PNG.
    max_channels : int
        Input channels shown per filter (a row per filter, a column per channel).
    """
    convs = conv_layers(network)
    if not convs:
        raise ValueError("filters: the network has no convolution (no layer with a 4-D W)")
    index = convs[0] if layer is None else layer
    W = np.asarray(network.layers[index].params["W"], dtype=np.float64)  # (F, C, k, k)
    F, C = W.shape[:2]
    shown = min(C, max_channels)
    if shown == 1:  # one channel: a compact grid of filters
        fig = new_figure(min(F, 8) * 1.0 + 0.5, math.ceil(F / 8) * 1.1 + 0.6)
        _image_grid(fig, W[:, 0], min(F, 8), [f"{f}" for f in range(F)], "RdBu_r", True)
    else:  # a row per filter, a column per input channel
        fig = new_figure(1.0 * shown + 0.5, 1.05 * F + 0.6)
        images = W[:, :shown].reshape(F * shown, *W.shape[2:])
        labels = [f"{f}.{c}" for f in range(F) for c in range(shown)]
        _image_grid(fig, images, shown, labels, "RdBu_r", True)
    some = f" (channels 0-{shown - 1} of {C})" if shown < C else ""
    title = f"layer {index}: {F} filters {W.shape[2]}x{W.shape[3]}{some}; red +, blue -"
    fig.suptitle(title, fontsize=9)
    return finish(fig, path)


def feature_maps(network: Network, image: np.ndarray, *, path: PathLike | None = None,
                 max_channels: int = 16) -> Figure:  # fmt: skip
    """One image through the network: the input, then each layer's output that is an image.

    Parameters
    ----------
    network : Network
    image : ndarray of shape (C, H, W)
        One example (``X[i]``).
    max_channels : int
        Channels shown per layer.
    """
    a = network.checked_inputs(np.asarray(image)[None])
    rows = [("input", a[0])]
    for i, layer in enumerate(network.layers):
        a = layer.forward(a, training=False)
        if a.ndim == 4:
            rows.append((f"{i} {type(layer).__name__}", a[0]))
    cols = max(min(m.shape[0], max_channels) for _, m in rows)
    fig = new_figure(0.9 * cols + 1.2, 0.95 * len(rows) + 0.4)
    grid = fig.add_gridspec(len(rows), cols)
    for r, (name, maps) in enumerate(rows):
        for c in range(min(maps.shape[0], max_channels)):
            ax = fig.add_subplot(grid[r, c])
            ax.imshow(np.asarray(maps[c], dtype=np.float64), cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle("feature maps of one image, layer by layer (bright: strong response)",
                 fontsize=9)  # fmt: skip
    return finish(fig, path)


def most_wrong(network: Network, X: np.ndarray, y: np.ndarray, *, n: int = 16,
               class_names: Sequence[str] | None = None,
               path: PathLike | None = None) -> Figure:  # fmt: skip
    """The ``n`` examples whose true class gets the lowest probability, worst first.

    Parameters
    ----------
    X : ndarray of shape (m, C, H, W)
    y : ndarray of shape (m,), class labels
    class_names : sequence of str, optional
        Names for the labels (``nn.datasets.FASHION_MNIST_CLASSES`` for Fashion-MNIST).
    """
    y = np.asarray(y)
    probs = network.predict(X)
    p_true = probs[np.arange(len(y)), y]
    worst = np.argsort(p_true, kind="stable")[:n]
    name = (lambda k: class_names[k]) if class_names else str  # noqa: E731
    pred = probs.argmax(axis=1)
    labels = [f"{name(int(y[k]))} -> {name(int(pred[k]))}\np(true) {p_true[k]:.2g}"
              for k in worst]  # fmt: skip
    images = np.asarray(X)[worst][:, 0]  # the first channel
    cols = min(n, 8)
    fig = new_figure(1.45 * cols, 1.6 * math.ceil(len(worst) / cols) + 0.4)
    _image_grid(fig, images, cols, labels)
    fig.suptitle("the images it gets most wrong: true -> predicted", fontsize=9)
    return finish(fig, path)
