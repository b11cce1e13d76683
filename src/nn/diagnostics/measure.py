"""Measurements taken while a network trains: the numbers behind "why are the gradients so tiny?"

:class:`Diagnostics` is a :class:`~nn.train.callbacks.Callback`. Give it to ``fit`` with a small
probe batch and it records, every ``every`` steps and for every dense layer ``l`` (Nielsen's
layer: a :class:`~nn.layers.dense.Dense` and the activation right after it):

* ``delta_norm``: ``||dC/db^l||``, the length of the layer's delta averaged over the mini-batch
  (BP3 says ``dC/db = delta``). Nielsen (ch. 5) calls it the *speed of learning* of the layer;
* ``grad_W_norm``: ``||dC/dW^l||`` (BP4) and ``W_norm``: ``||W^l||`` (Frobenius norms);
* ``update_ratio``: ``||W_after - W_before|| / ||W_before||`` for that one optimizer step, so it
  is right for any optimizer (it is ``eta ||dW|| / ||W||`` for plain SGD);
* ``z_std``: the spread of the weighted inputs ``z^l`` on the probe batch;
* ``act_mean``, ``act_std``: mean and spread of the activations ``a^l`` on the probe batch;
* ``saturated``: the fraction of (example, unit) pairs where a saturating activation (sigmoid,
  tanh) is near its limits, so ``sigma'(z)`` and with it the unit's learning is tiny;
* ``dead``: the fraction of rectifier (ReLU) units that output 0 for every probe example: no
  gradient reaches their weights;

and per record the mini-batch loss, the loss and accuracy on the probe batch. Step 0 is the
initial network (activations and probe loss only: no step has been taken); step 1 is always
recorded, because its gradients are those of the initial weights.

The gradient numbers are those of the training mini-batch the optimizer just used (so no extra
backward pass is made); the activation numbers come from one forward pass in prediction mode
over the probe batch, made only at recording steps. Neither changes the training: a run with
diagnostics gives the same weights bit for bit as one without.

The loss of *guessing* is the loss of the best output that ignores the input: the mean target
row, i.e. predicting the class frequencies for every example (see :func:`guessing_loss`). A
network whose loss is still there has learned nothing about its input.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.labels import class_labels, predicted_labels
from nn.train.callbacks import Callback

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.layer import Layer
    from nn.core.loss import Loss
    from nn.core.network import Network

__all__ = [
    "Diagnostics",
    "LayerInfo",
    "dense_layers",
    "guessing_loss",
    "jsonable",
    "layer_outputs",
    "layer_stats",
    "speed_of_learning",
    "write_csv",
]

#: Fields recorded per layer, in CSV column order.
LAYER_FIELDS = (
    "delta_norm",
    "grad_W_norm",
    "W_norm",
    "update_ratio",
    "z_std",
    "act_mean",
    "act_std",
    "saturated",
    "dead",
)


@dataclass(frozen=True)
class LayerInfo:
    """One of Nielsen's layers: a dense layer and the activation that follows it (if any).

    Attributes
    ----------
    number : int
        1 for the first dense layer (the first hidden layer), up to L for the output layer.
    index : int
        Position of the dense layer in ``network.layers``.
    activation : int or None
        Position of the activation layer after it, None if another dense layer or nothing
        follows (a linear output).
    name : str
        For tables, e.g. ``"784-30 Sigmoid"``.
    """

    number: int
    index: int
    activation: int | None
    name: str


def dense_layers(network: Network) -> list[LayerInfo]:
    """The dense layers of ``network`` (layers with parameters ``W`` and ``b``), input first."""
    infos: list[LayerInfo] = []
    layers = network.layers
    for i, layer in enumerate(layers):
        if "W" not in layer.params or "b" not in layer.params:
            continue
        act = i + 1 if i + 1 < len(layers) and not layers[i + 1].params else None
        W = layer.params["W"]
        act_name = type(layers[act]).__name__ if act is not None else "linear"
        name = f"{W.shape[0]}-{W.shape[1]} {act_name}"
        infos.append(LayerInfo(len(infos) + 1, i, act, name))
    return infos


def layer_outputs(network: Network, X: np.ndarray) -> list[np.ndarray]:
    """The output of every layer for ``X``, in prediction mode (one forward pass).

    Returns
    -------
    list of ndarray
        ``outputs[i]`` is the output of ``network.layers[i]``, shape (batch, width): for a
        :class:`~nn.layers.dense.Dense` at index ``LayerInfo.index`` that is ``z``, for its
        activation ``a``.
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
    z : ndarray of shape (batch, n_units)
        Weighted inputs of the dense layer.
    a : ndarray of shape (batch, n_units)
        Activations (``a = z`` for a linear layer).

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
        stats["dead"] = float(np.mean(np.all(a64 <= 0, axis=0)))
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
    T : ndarray of shape (n, n_out)
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
        if not np.allclose(loss.output(z), p, atol=1e-6):
            z = np.log(q) - np.log1p(-q)
        p = z
    return float(loss.value(p.astype(T.dtype), T))


def speed_of_learning(network: Network, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Nielsen's speed of learning of every dense layer: ``||dC/db^l||`` on one batch.

    As in Nielsen's ch. 5 (``fig/generate_gradient.py``), the gradient is the average over the
    whole batch (for example the first 1,000 training images), so it is not the noise of one
    mini-batch. The layers' ``grads`` are overwritten; no parameter changes.

    Parameters
    ----------
    network : Network
    X : ndarray of shape (n, n_in)
    Y : ndarray of shape (n, n_out), or (n,) class labels

    Returns
    -------
    ndarray of shape (n_dense_layers,)
        ``||delta^l||`` for l = 1 .. L, the output layer last.
    """
    network.gradients(X, Y)
    grads = [network.layers[info.index].grads["b"] for info in dense_layers(network)]
    return np.array([_norm(g) for g in grads])


def _norm(x: np.ndarray) -> float:
    """Euclidean (Frobenius) norm in float64, without BLAS: a tiny dot product sent to a busy
    multithreaded BLAS can cost a millisecond."""
    x = np.asarray(x, dtype=np.float64)
    return math.sqrt(float(np.sum(x * x)))


class Diagnostics(Callback):
    """Record per-layer measurements during :meth:`nn.Network.fit` (see the module docstring).

    Parameters
    ----------
    X_probe : ndarray of shape (n_probe, n_in)
        A small fixed batch (a few hundred held-out examples) for the activation statistics
        and the probe loss.
    Y_probe : ndarray of shape (n_probe, n_out), or (n_probe,) class labels
    every : int, default 100
        Record after step 1 and after every ``every``-th optimizer step.

    Attributes
    ----------
    records : list of dict
        One per recording: ``step``, ``epoch``, ``loss`` (the mini-batch's, None at step 0),
        ``probe_loss``, ``probe_accuracy``, ``wrong_saturated`` (the share of output units
        saturated at the wrong end, None unless the output activation saturates) and
        ``layers``, a list with one dict of ``LAYER_FIELDS`` per dense layer. ``fit`` also
        puts this list in ``history["diagnostics"]``.
    step_losses : list of float
        The loss of every mini-batch (cheap: one float per step).
    reference : dict
        ``init_loss`` (probe loss of the initial network), ``guess_loss`` (see
        :func:`guessing_loss`), ``chance_accuracy`` (share of the commonest class) and the
        ``layers`` names.

    Examples
    --------
    >>> diag = nn.Diagnostics(X_test[:500], y_test[:500], every=50)   # doctest: +SKIP
    >>> history = net.fit(X, y, epochs=1, batch_size=10, lr=3.0, callbacks=[diag])
    >>> diag.to_csv("diagnostics.csv")
    """

    def __init__(self, X_probe: np.ndarray, Y_probe: np.ndarray, *, every: int = 100) -> None:
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"Diagnostics: every must be a positive integer, got {every!r}")
        if len(X_probe) == 0:
            raise ValueError("Diagnostics: the probe batch is empty; pass a few hundred examples")
        self.X_probe, self.Y_probe, self.every = X_probe, Y_probe, int(every)
        self.records: list[dict[str, Any]] = []
        self.step_losses: list[float] = []
        self.reference: dict[str, Any] = {}
        self._before: dict[int, np.ndarray] = {}  # W of each dense layer before a recorded step

    def is_recorded(self, step: int) -> bool:
        """Whether step ``step`` (counted from 1) is recorded."""
        return step == 1 or step % self.every == 0

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, network: Network, history: dict[str, list[Any]]) -> None:
        self._X = network.checked_inputs(self.X_probe, name="probe X")
        self._T = network.checked_targets(self.Y_probe, len(self._X), name="probe Y")
        self._labels = class_labels(self.Y_probe, self._T)
        self._layers = dense_layers(network)
        self.records, self.step_losses, self._before = [], [], {}
        first = self._probe(network, step=0, epoch=0, loss=None)
        chance = None
        if self._labels is not None:
            chance = float(np.bincount(self._labels).max() / len(self._labels))
        self.reference = {
            "init_loss": first["probe_loss"],
            "guess_loss": guessing_loss(network.loss, self._T),
            "chance_accuracy": chance,
            "layers": [info.name for info in self._layers],
            "every": self.every,
            "n_probe": len(self._X),
        }
        self.records.append(first)
        history["diagnostics"] = self.records  # type: ignore[assignment]
        self._keep_weights(network)  # step 1 is always recorded

    def on_step_end(self, network: Network, epoch: int, step: int, loss: float) -> None:
        self.step_losses.append(float(loss))
        if self.is_recorded(step):
            record = self._probe(network, step=step, epoch=epoch, loss=float(loss))
            for info, row in zip(self._layers, record["layers"]):
                layer = network.layers[info.index]
                W, before = layer.params["W"], self._before.pop(info.index)
                row["delta_norm"] = _norm(layer.grads["b"])  # BP3: dC/db = delta
                row["grad_W_norm"] = _norm(layer.grads["W"])  # BP4
                w0 = _norm(before)
                row["update_ratio"] = _norm(W - before) / w0 if w0 > 0 else math.inf
            self.records.append(record)
        if self.is_recorded(step + 1):
            self._keep_weights(network)

    # ------------------------------------------------------------------ measuring
    def _keep_weights(self, network: Network) -> None:
        self._before = {i.index: network.layers[i.index].params["W"].copy() for i in self._layers}

    def _probe(self, network: Network, *, step: int, epoch: int, loss: float | None) -> dict:
        """Forward the probe batch in prediction mode, layer by layer, and measure it."""
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged net is measured, not fatal
            outputs = layer_outputs(network, self._X)
            a = outputs[-1]
            probe_loss = float(network.loss.value(a, self._T))
        rows = []
        for info in self._layers:
            act = network.layers[info.activation] if info.activation is not None else None
            z = outputs[info.index]
            out = outputs[info.activation] if info.activation is not None else z
            row: dict[str, float | None] = {"layer": info.number}  # type: ignore[dict-item]
            row.update({"delta_norm": None, "grad_W_norm": None, "update_ratio": None})
            row["W_norm"] = _norm(network.layers[info.index].params["W"])
            with np.errstate(over="ignore", invalid="ignore"):
                row.update(layer_stats(act, z, out))
            rows.append(row)
        accuracy = None
        if self._labels is not None:
            # loss.output: what predict returns (probabilities for a loss that takes logits)
            predicted = predicted_labels(network.loss.output(a))
            accuracy = float(np.mean(predicted == self._labels))
        return {
            "step": step,
            "epoch": epoch,
            "loss": loss,
            "probe_loss": probe_loss,
            "probe_accuracy": accuracy,
            "wrong_saturated": self._wrong_saturated(network, a),
            "layers": rows,
        }

    def _wrong_saturated(self, network: Network, a: np.ndarray) -> float | None:
        """Fraction of output entries saturated at the wrong end: Nielsen's learning slowdown.

        An output unit stuck near one limit while its target is more than half the output
        range away learns slowly under the squared error, whose delta carries sigma'(z) (BP1).
        """
        last = self._layers[-1].activation if self._layers else None
        limits = saturation_range(network.layers[last]) if last is not None else None
        if limits is None:
            return None
        a64 = np.asarray(a, dtype=np.float64)
        saturated = (a64 < limits[0]) | (a64 > limits[1])
        far = np.abs(a64 - self._T) > (limits[1] - limits[0]) / 2
        return float(np.mean(saturated & far))

    # ------------------------------------------------------------------ reading
    def series(self, field: str, layer: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, values)`` of one measurement over training, NaN where it was not taken.

        ``field`` is a per-record key (``"probe_loss"``) or, with ``layer`` (1 .. L), one of
        ``LAYER_FIELDS``.
        """
        steps = np.array([r["step"] for r in self.records])
        if layer is None:
            values = [r[field] for r in self.records]
        else:
            values = [r["layers"][layer - 1][field] for r in self.records]
        return steps, np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the records as CSV, one row per (recording, layer); see :func:`write_csv`."""
        write_csv(self.records, path, guess_loss=self.reference.get("guess_loss"))

    def to_dict(self) -> dict[str, Any]:
        """Everything recorded, as plain JSON-ready Python objects."""
        return jsonable(
            {"reference": self.reference, "records": self.records, "step_losses": self.step_losses}
        )

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` as JSON (non-finite numbers become null)."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=1)


def write_csv(
    records: list[dict[str, Any]], path: str | os.PathLike[str], *, guess_loss: float | None = None
) -> None:
    """Write diagnostics records (``history["diagnostics"]``) as CSV, one row per layer.

    Columns: ``step, epoch, loss, probe_loss, probe_accuracy, wrong_saturated, guess_loss,
    layer`` and the ``LAYER_FIELDS``. Values that were not measured are empty.
    """
    head = ["step", "epoch", "loss", "probe_loss", "probe_accuracy", "wrong_saturated"]
    head += ["guess_loss", "layer"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(head + list(LAYER_FIELDS))
        for r in records:
            common = [r["step"], r["epoch"], r["loss"], r["probe_loss"], r["probe_accuracy"]]
            common.append(r["wrong_saturated"])
            for row in r["layers"]:
                values = common + [guess_loss, row["layer"]] + [row[k] for k in LAYER_FIELDS]
                writer.writerow(["" if v is None else v for v in values])


def jsonable(obj: Any) -> Any:
    """Plain Python with None for NaN and infinity (JSON has neither)."""
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
