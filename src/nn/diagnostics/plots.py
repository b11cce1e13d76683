"""Pictures of training: where a picture says it better than a table.

Needs matplotlib (``pip install "nn[plot]"``), imported only when a function here is called.
Every function builds a :class:`matplotlib.figure.Figure` directly, without ``pyplot``, so
nothing needs a display and no global figure state is kept; pass ``path=`` to write a PNG (or
call ``fig.savefig``).

* :func:`learning_curves`: loss and accuracy per epoch from a ``fit`` history;
* :func:`loss_curve`: loss per step from :class:`~nn.diagnostics.measure.Diagnostics`, against
  guessing;
* :func:`speed_of_learning`: ``||dC/db^l||`` of every layer over training (Nielsen ch. 5);
* :func:`activation_histograms`: the activations of every layer, e.g. at the start and the end;
* :func:`decision_boundary` and :func:`decision_boundaries`: the classes a 2-D network draws,
  once or as a sequence over training;
* :func:`first_layer_weights`: each first-layer unit's weights as an image (for digits), and
  :func:`misclassified`: the examples a network gets wrong (both from
  :mod:`nn.diagnostics.image_plots`);
* :func:`gradient_through_time`: ``||dC/dh||`` step by step back in a recurrent layer
  (:mod:`nn.diagnostics.plots_time`).

Every colour is named: by a legend, a colour bar, or the title of its panel.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.diagnostics.figures import PathLike, finish, new_figure
from nn.diagnostics.image_plots import first_layer_weights, misclassified
from nn.diagnostics.plots_time import gradient_through_time
from nn.diagnostics.statistics import layer_outputs, measured_layers, saturation_range

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from nn.core.network import History, Network
    from nn.diagnostics.measure import Diagnostics

__all__ = [
    "activation_histograms",
    "decision_boundaries",
    "decision_boundary",
    "first_layer_weights",
    "gradient_through_time",
    "learning_curves",
    "loss_curve",
    "misclassified",
    "report_plots",
    "speed_of_learning",
]


def learning_curves(
    history: History,
    *,
    title: str | None = None,
    validation_name: str = "validation",
    path: PathLike | None = None,
) -> Figure:
    """Loss and accuracy per epoch, on the training data and the validation data.

    Parameters
    ----------
    history : History
        What :meth:`nn.Network.fit` returned.
    title : str, optional
    validation_name : str, default "validation"
        What the legends call ``val_loss`` and ``val_accuracy``: ``"test"`` when ``fit`` was
        given the test set as ``validation_data``.
    path : str or path-like, optional
        Write the figure there as PNG.
    """
    fig = new_figure(9, 3.6)
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = history["epoch"]
    for ax, metric in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        for key, style, name in ((metric, "-", "training"), (f"val_{metric}", "--", None)):
            if any(v is not None for v in history.get(key, [])):
                label = f"{name or validation_name} {metric}"
                ax.plot(epochs, _values(history[key]), style, marker="o", ms=3, label=label)
    ax_loss.set(xlabel="epoch", ylabel="loss", yscale="log", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend()
    if title:
        fig.suptitle(title)
    return finish(fig, path)


def loss_curve(
    diagnostics: Diagnostics, *, title: str | None = None, path: PathLike | None = None
) -> Figure:
    """The loss over training steps: every mini-batch, the probe batch, and guessing.

    The dashed line is the loss of guessing the class frequencies
    (:func:`nn.diagnostics.measure.guessing_loss`): a curve that stays on it has learned nothing.
    """
    fig = new_figure(7, 4)
    ax = fig.subplots()
    losses = np.asarray(diagnostics.step_losses, dtype=np.float64)
    if losses.size:
        ax.plot(np.arange(1, losses.size + 1), losses, lw=0.6, alpha=0.4, label="mini-batch loss")
    steps, probe = diagnostics.series("probe_loss")
    ax.plot(steps, probe, "o-", ms=3, label="probe loss")
    guess = diagnostics.reference.get("guess_loss")
    if guess is not None:
        ax.axhline(guess, color="k", ls="--", lw=1, label=f"guessing ({guess:.3g})")
    ax.set(xlabel="step", ylabel="loss", yscale="log", title=title or "loss during training")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return finish(fig, path)


def speed_of_learning(
    diagnostics: Diagnostics,
    *,
    field: str = "delta_norm",
    title: str | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Nielsen's ch. 5 figure: each layer's ``||dC/db^l||`` over training, on a log scale.

    Parameters
    ----------
    diagnostics : Diagnostics
    field : str
        Which per-layer measurement to draw (``"delta_norm"``, ``"grad_W_norm"``,
        ``"update_ratio"``, ...).
    """
    fig = new_figure(7, 4)
    ax = fig.subplots()
    names = diagnostics.reference.get("layers", [])
    for number, name in enumerate(names, start=1):
        steps, values = diagnostics.series(field, number)
        keep = np.isfinite(values) & (values > 0)
        ax.plot(steps[keep], values[keep], lw=1.2, label=f"layer {number} ({name})")
    label = {"delta_norm": "||dC/db|| (speed of learning)"}.get(field, field)
    ax.set(xlabel="step", ylabel=label, yscale="log", title=title or "speed of learning")
    ax.grid(True, alpha=0.3, which="both")
    if ax.lines:
        ax.legend(fontsize="small")
    return finish(fig, path)


def activation_histograms(
    networks: Sequence[tuple[str, Network]],
    X: np.ndarray,
    *,
    bins: int = 40,
    path: PathLike | None = None,
) -> Figure:
    """Histograms of every measured layer's activations on ``X``: one row per network.

    Parameters
    ----------
    networks : sequence of (label, Network)
        For example ``[("start", initial), ("after 300 steps", trained)]``; all of the same
        architecture.
    X : ndarray of shape (batch, n_in), or (batch, *input_shape)
        The examples fed forward (in prediction mode).
    """
    infos = measured_layers(networks[0][1], np.shape(X)[1:])
    rows, cols = len(networks), len(infos)
    fig = new_figure(2.6 * cols + 0.6, 2.1 * rows + 0.4)
    axes = np.asarray(fig.subplots(rows, cols, squeeze=False))
    for r, (label, net) in enumerate(networks):
        with np.errstate(over="ignore", invalid="ignore"):
            outputs = layer_outputs(net, X)
        for c, info in enumerate(infos):
            ax: Axes = axes[r, c]
            act = net.layers[info.activation] if info.activation is not None else None
            a = outputs[info.activation if info.activation is not None else info.index]
            a = np.asarray(a, dtype=np.float64).ravel()
            a = a[np.isfinite(a)]
            ax.hist(a, bins=bins, color=f"C{c}", alpha=0.8)
            text = f"layer {info.number} ({info.name})"
            limits = saturation_range(act) if act is not None else None
            if limits is not None and a.size:
                share = np.mean((a < limits[0]) | (a > limits[1]))
                text += f"\n{100 * share:.0f}% saturated"
            ax.set_title(text, fontsize="small")
            ax.tick_params(labelsize="x-small")
            if c == 0:
                ax.set_ylabel(label)
    fig.suptitle("activations per layer")
    return finish(fig, path)


def _grid(X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * (hi - lo) + 1e-9
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy, np.column_stack([gx.ravel(), gy.ravel()])


def decision_boundary(
    network: Network,
    X: np.ndarray,
    y: np.ndarray,
    *,
    ax: Axes | None = None,
    resolution: int = 150,
    title: str | None = None,
    path: PathLike | None = None,
) -> Figure:
    """The regions a network with 2 inputs gives to each class, with the examples on top.

    A legend names the colour of each class's examples; with one output unit a colour bar
    reads the shading as the network's output (class 1 above the black line at 0.5), with
    one output per class each region takes the colour of the class the network answers.

    Parameters
    ----------
    network : Network
        Two inputs; one sigmoid-like output (class 1 when above 0.5) or one output per class.
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), class labels
    ax : matplotlib Axes, optional
        Draw into it instead of a new figure.
    """
    if ax is None:
        fig = new_figure(5.2, 4.2)
        ax = fig.subplots()
    shading, handles = _draw_boundary(network, X, y, ax, resolution)
    if shading is not None:
        ax.figure.colorbar(shading, ax=ax, label="network output (class 1 above 0.5)")
    ax.legend(handles=handles, fontsize="x-small", framealpha=0.8)
    if title:
        ax.set_title(title, fontsize="small")
    return finish(ax.figure, path)  # type: ignore[arg-type]


def _draw_boundary(
    network: Network, X: np.ndarray, y: np.ndarray, ax: Axes, resolution: int
) -> tuple[Any, list[Any]]:
    """Shade ``ax`` by the network's answer and scatter the examples by class.

    Returns the shading to make a colour bar of (None when the colours are classes) and the
    legend's handles, one per class (and the 0.5 line for one output unit).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary needs 2-D inputs, got X of shape {X.shape}")
    gx, gy, grid = _grid(X, resolution)
    with np.errstate(over="ignore", invalid="ignore"):
        out = network.predict(grid.astype(network.dtype))
    labels = np.asarray(y)
    handles: list[Any] = []
    shading = None
    if out.shape[1] == 1:
        p = out[:, 0].reshape(gx.shape)
        levels = np.linspace(0, 1, 11)
        shading = ax.contourf(gx, gy, p, levels=levels, cmap="RdBu_r", alpha=0.45)
        ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1)
        colors = {0: "#2166ac", 1: "#c0392b"}  # the blue and red ends of the shading
        handles.append(ax.plot([], [], "k-", lw=1, label="output 0.5")[0])
    else:
        k = out.shape[1]
        cls = out.argmax(axis=1).reshape(gx.shape)
        levels = np.arange(k + 1) - 0.5
        # tab10 over 0..9 gives class c the colour C{c}: the regions match the dots
        ax.contourf(gx, gy, cls, levels=levels, cmap="tab10", vmin=0, vmax=9, alpha=0.3)
        colors = {c: f"C{c % 10}" for c in range(max(k, int(labels.max(initial=0)) + 1))}
    for c in np.unique(labels):
        at = labels == c
        handles.append(
            ax.scatter(
                X[at, 0], X[at, 1], color=colors.get(int(c), "k"), s=14, edgecolors="white",
                linewidths=0.5, label=f"class {int(c)}",
            )
        )  # fmt: skip
    ax.set(xticks=[], yticks=[])
    return shading, handles


def decision_boundaries(
    networks: Sequence[tuple[str, Network]],
    X: np.ndarray,
    y: np.ndarray,
    *,
    resolution: int = 120,
    path: PathLike | None = None,
) -> Figure:
    """:func:`decision_boundary` for a sequence of networks, e.g. snapshots over training.

    One legend (in the first panel) and, for one output unit, one colour bar serve them all.
    """
    n = len(networks)
    cols = min(n, 5)
    rows = math.ceil(n / cols)
    fig = new_figure(3.0 * cols + 1.0, 3.0 * rows)
    axes = np.asarray(fig.subplots(rows, cols, squeeze=False)).ravel()
    shading = None
    for ax, (label, net) in zip(axes, networks):
        shading, handles = _draw_boundary(net, X, y, ax, resolution)
        ax.set_title(label, fontsize="small")
        if ax is axes[0]:
            ax.legend(handles=handles, fontsize="x-small", framealpha=0.8)
    if shading is not None:
        fig.colorbar(shading, ax=axes[:n].tolist(), shrink=0.8, label="network output")
    for ax in axes[n:]:
        ax.set_axis_off()
    fig.suptitle("decision boundary over training")
    return finish(fig, path)


def _values(seq: Sequence[Any]) -> list[float]:
    return [math.nan if v is None else float(v) for v in seq]


def report_plots(report: Any, directory: PathLike) -> list[str]:
    """Write the doctor's pictures for a :class:`nn.diagnostics.doctor.Report` into ``directory``.

    Always ``loss.png``, ``speed_of_learning.png``, ``update_ratio.png`` and
    ``activations.png`` (start and end of the probe); ``decision_boundaries.png`` for 2-D
    inputs (the report's snapshots, or start and end) and ``first_layer_weights.png`` for
    28 x 28 images.

    Returns
    -------
    list of str
        The paths written.
    """
    os.makedirs(directory, exist_ok=True)
    run, diag = report.run, report.run.diagnostics
    X, Y = np.asarray(diag.X_probe), np.asarray(diag.Y_probe)
    written = []

    def out(name: str) -> str:
        written.append(os.path.join(os.fspath(directory), name))
        return written[-1]

    steps = len(diag.step_losses)
    loss_curve(diag, path=out("loss.png"))
    speed_of_learning(diag, path=out("speed_of_learning.png"))
    speed_of_learning(
        diag, field="update_ratio", title="update / weight per step", path=out("update_ratio.png")
    )
    pair = [("start", run.initial), (f"after {steps} steps", run.network)]
    activation_histograms(pair, X, path=out("activations.png"))
    n_in = run.initial.n_in
    if n_in == 2 and Y.ndim == 1:
        snaps = [(f"step {s}", net) for s, net in run.snapshots] or pair
        decision_boundaries(snaps, X, Y, path=out("decision_boundaries.png"))
    if n_in == 28 * 28:
        first_layer_weights(run.network, path=out("first_layer_weights.png"))
    return written
