"""One update of the page: pictures of every neuron, the losses, and the seed's two questions.

A frame is plain JSON. Pictures are values on the page's lattice, each quantized to a byte
(0 is -1, 127 is 0, 254 is +1, 255 is NaN) and sent as base64: a 50x50 picture is 2,500 bytes
instead of ~20,000 characters of numbers. The output is sent on the whole GRID x GRID lattice;
each neuron, drawn as a thumbnail, on every other point of it (THUMB x THUMB), which keeps a
frame of a 2-8-8-1 network near 20 kB. Hidden units are drawn on [-1, 1] as in
the TensorFlow Playground (a ReLU's larger outputs are clipped); the output of a classifier,
the probability of class 1, is drawn as ``2 p - 1``, so 0.5 is white.

The measurements answer "why are the gradients so tiny?" and "why does training take so
long?" for the current weights, with the functions of :mod:`nn.diagnostics.measure`:

* ``speed``: ||dC/db^l|| of each layer, Nielsen's speed of learning (ch. 5), on the whole
  training set (so it is not one mini-batch's noise);
* ``saturated``: share of (point, unit) pairs of each layer where a sigmoid or tanh sits near
  its limits, so sigma'(z) is tiny (None for activations that do not saturate);
* ``dead``: share of each rectifier layer's units that output 0 on every training point.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from nn.diagnostics.measure import (
    dense_layers,
    jsonable,
    layer_outputs,
    layer_stats,
    speed_of_learning,
)
from nn.playground.data import DATASETS, DOMAIN, GRID, features, lattice
from nn.playground.engine import Trainer
from nn.playground.settings import to_query

__all__ = ["THUMB", "frame", "quantize", "setup"]

THUMB = (GRID + 1) // 2  # side of a neuron's picture: every other lattice point


def quantize(values: np.ndarray, lo: float = -1.0, hi: float = 1.0) -> str:
    """Values as bytes 0..254 over [lo, hi] (clipped), 255 for NaN, in base64."""
    v = np.asarray(values, dtype=np.float64)
    q = np.clip(np.rint((v - lo) * (254 / (hi - lo))), 0, 254)
    q[~np.isfinite(v)] = 255  # NaN; +-inf were clipped to an end above, but are not numbers
    q[np.isposinf(v)] = 254
    q[np.isneginf(v)] = 0
    return base64.b64encode(q.astype(np.uint8).tobytes()).decode("ascii")


def _neuron_pictures(trainer: Trainer) -> tuple[list[list[str]], str]:
    """Each dense layer's units as thumbnails (hidden layers, then the output), and the
    output on the whole lattice."""
    net = trainer.network
    outputs = layer_outputs(net, trainer.data.grid)  # one forward pass, every layer kept
    pictures = []
    for info in dense_layers(net):
        a = outputs[info.activation if info.activation is not None else info.index]
        a = a.reshape(GRID, GRID, -1)[::2, ::2]  # (THUMB, THUMB, units)
        pictures.append([quantize(a[:, :, j]) for j in range(a.shape[2])])
    out = outputs[-1][:, 0]  # (GRID * GRID,)
    if trainer.settings.problem == "classification":
        out = 2 * np.asarray(out, dtype=np.float64) - 1  # probability of class 1 -> [-1, 1]
        pictures[-1] = [quantize(out.reshape(GRID, GRID)[::2, ::2])]
    return pictures, quantize(out)


def _layer_measures(trainer: Trainer) -> dict[str, list[Any]]:
    """Speed of learning, saturated and dead shares per dense layer, on the training points."""
    net = trainer.network
    infos = dense_layers(net)
    outputs = layer_outputs(net, trainer.X)
    saturated, dead = [], []
    for info in infos:
        act = net.layers[info.activation] if info.activation is not None else None
        z = outputs[info.index]
        a = outputs[info.activation] if info.activation is not None else z
        stats = layer_stats(act, z, a)
        saturated.append(stats["saturated"])
        dead.append(stats["dead"])
    speed = speed_of_learning(net, trainer.X, trainer.T)  # fills grads; no parameter changes
    return {"speed": speed.tolist(), "saturated": saturated, "dead": dead}


def frame(trainer: Trainer, number: int, steps_since: int, playing: bool) -> dict[str, Any]:
    """The JSON of one update for the page (non-finite numbers become null).

    Parameters
    ----------
    trainer : Trainer
    number : int
        The frame's number in its stream (the page acknowledges it once drawn).
    steps_since : int
        Training steps taken since the previous frame: the steps per update.
    playing : bool
    """
    net = trainer.network
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        neurons, output = _neuron_pictures(trainer)
        measures = _layer_measures(trainer)
        train_loss, test_loss = trainer.losses()
    dense = [net.layers[i.index] for i in dense_layers(net)]
    return jsonable(
        {
            "frame": number,
            "step": trainer.step,
            "epoch": trainer.epochs_done,
            "steps_per_update": steps_since,
            "playing": playing,
            "diverged": trainer.diverged,
            "train_loss": train_loss,
            "test_loss": test_loss,
            "output": output,
            "neurons": neurons,
            "weights": [d.params["W"].astype(np.float64).tolist() for d in dense],
            "biases": [d.params["b"].astype(np.float64).tolist() for d in dense],
            **measures,
        }
    )


def setup(trainer: Trainer) -> dict[str, Any]:
    """What the page draws once per setup: the points, the input features' pictures, the
    shape of the network and the settings (normalized, for the URL)."""
    s, data = trainer.settings, trainer.data
    grid = features(lattice(), s.features)  # (GRID * GRID, n_features)
    pictures = []
    for j in range(grid.shape[1]):
        top = float(np.max(np.abs(grid[:, j]))) or 1.0  # each feature scaled to [-1, 1]
        pictures.append(quantize(grid[:, j] / top))
    targets = np.asarray(data.targets, dtype=np.float64).reshape(len(data.points), -1)[:, 0]
    points = np.column_stack([data.points.astype(np.float64), targets])  # (500, 3): x1, x2, y
    return jsonable(
        {
            "settings": to_query(s),
            "problem": s.problem,
            "dataset": DATASETS[s.dataset].label,
            "domain": DOMAIN,
            "grid": GRID,
            "thumb": THUMB,
            "train": np.round(points[: data.n_train], 4).tolist(),
            "test": np.round(points[data.n_train :], 4).tolist(),
            "features": list(s.features),
            "feature_pictures": pictures,
            "layers": [len(s.features), *s.hidden, 1],
            "layer_names": [i.name for i in dense_layers(trainer.network)],
        }
    )
