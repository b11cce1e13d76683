"""Measurements taken while a network trains: the numbers behind "why are the gradients so tiny?"

:class:`Diagnostics` is a :class:`~nn.train.callbacks.Callback`. Give it to ``fit`` with a small
probe batch and it records, every ``every`` steps and for every measured layer ``l`` (Nielsen's
layer: a :class:`~nn.layers.dense.Dense`, or any layer with parameters, and the activation
after it; see :mod:`nn.diagnostics.statistics`):

* ``delta_norm``: ``||dC/db^l||``, the length of the layer's delta averaged over the mini-batch
  (BP3 says ``dC/db = delta``). Nielsen (ch. 5) calls it the *speed of learning* of the layer.
  A layer without a bias ``b`` gives the norm of all its parameters' gradients instead;
* ``grad_W_norm``: ``||dC/dW^l||`` (BP4) and ``W_norm``: ``||W^l||`` (Frobenius norms; ``W`` is
  every parameter but ``b``);
* ``update_ratio``: ``||W_after - W_before|| / ||W_before||`` for that one optimizer step, so it
  is right for any optimizer (it is ``eta ||dW|| / ||W||`` for plain SGD);
* ``z_std``: the spread of the weighted inputs ``z^l`` (the layer's output) on the probe batch;
* ``act_mean``, ``act_std``: mean and spread of the activations ``a^l`` on the probe batch;
* ``saturated``: the fraction of (example, unit) pairs where a saturating activation (sigmoid,
  tanh) is near its limits, so ``sigma'(z)`` and with it the unit's learning is tiny;
* ``dead``: the fraction of rectifier (ReLU) units that output 0 for every probe example: no
  gradient reaches their weights (a unit is an entry of a vector; of an image ``(C, H, W)``,
  a channel, dead only when 0 at every pixel, since a convolution's filter is shared by all);

and, for a layer that measures its gradient through time (a recurrent layer: its
``grad_norms_through_time`` attribute, read by that name whatever the layer's class),
``grad_through_time``: ``||dC/dh_t||`` of the mini-batch for ``k = 0, 1, 2, ...`` steps back
from the last (a list, in the JSON but not in the CSV), the seed's question asked across time.

Per record: the mini-batch loss, the loss and accuracy on the probe batch. Step 0 is the
initial network (activations and probe loss only: no step has been taken); step 1 is always
recorded, because its gradients are those of the initial weights.

The gradient numbers are those of the training mini-batch the optimizer just used (so no extra
backward pass is made); the activation numbers come from one forward pass in prediction mode
over the probe batch, made only at recording steps. Neither changes the training: a run with
diagnostics gives the same weights bit for bit as one without.

The loss of *guessing* is the loss of the best output that ignores the input: the mean target
row, i.e. predicting the class frequencies for every example (see :func:`guessing_loss`). A
network whose loss is still there has learned nothing about its input.

The statistics themselves (:func:`layer_stats`, :func:`speed_of_learning`, ...) are in
:mod:`nn.diagnostics.statistics`; they can be imported from here too.
"""

from __future__ import annotations

import csv
import json
import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.labels import class_labels, predicted_labels
from nn.diagnostics.statistics import (
    LayerInfo,
    can_die,
    delta_norm,
    dense_layers,
    guessing_loss,
    layer_outputs,
    layer_stats,
    measured_layers,
    norm,
    saturation_range,
    speed_of_learning,
    weight_names,
)
from nn.train.callbacks import Callback


def through_time(layer: Any) -> list[float] | None:
    """``||dC/dh||`` 0, 1, 2, ... steps back from the last, from the layer's last backward pass.

    Read from the ``grad_norms_through_time`` attribute (``||dC/dh_t||`` for t = 1 .. T) that
    the recurrent layers fill; None for a layer without it.
    """
    norms = getattr(layer, "grad_norms_through_time", None)
    if norms is None:
        return None
    return [float(v) for v in np.asarray(norms, dtype=np.float64)[::-1]]


if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = [
    "LAYER_FIELDS",
    "Diagnostics",
    "LayerInfo",
    "can_die",
    "dense_layers",
    "guessing_loss",
    "jsonable",
    "layer_outputs",
    "layer_stats",
    "measured_layers",
    "saturation_range",
    "speed_of_learning",
    "through_time",
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


class Diagnostics(Callback):
    """Record per-layer measurements during :meth:`nn.Network.fit` (see the module docstring).

    Parameters
    ----------
    X_probe : ndarray of shape (n_probe, n_in), or (n_probe, *input_shape)
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
        ``layers``, a list with one dict of ``LAYER_FIELDS`` per measured layer. ``fit`` also
        puts this list in ``history["diagnostics"]``.
    step_losses : list of float
        The loss of every mini-batch (cheap: one float per step).
    reference : dict
        ``init_loss`` (probe loss of the initial network), ``guess_loss`` (see
        :func:`guessing_loss`), ``chance_accuracy`` (share of the commonest class) and the
        ``layers`` names.
    infos : list of LayerInfo
        The measured layers, in the order of each record's ``layers`` (set when training
        begins).

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
        self.infos: list[LayerInfo] = []
        # the weights of each measured layer (by index) before a recorded step
        self._before: dict[int, list[np.ndarray]] = {}

    def is_recorded(self, step: int) -> bool:
        """Whether step ``step`` (counted from 1) is recorded."""
        return step == 1 or step % self.every == 0

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, network: Network, history: dict[str, list[Any]]) -> None:
        self._X = network.checked_inputs(self.X_probe, name="probe X")
        self._T = network.checked_targets(self.Y_probe, len(self._X), name="probe Y")
        self._labels = class_labels(self.Y_probe, self._T)
        self.infos = measured_layers(network, self._X.shape[1:])
        self.records, self.step_losses, self._before = [], [], {}
        first = self._probe(network, step=0, epoch=0, loss=None)
        chance = None
        if self._labels is not None:
            chance = float(np.bincount(self._labels).max() / len(self._labels))
        self.reference = {
            "init_loss": first["probe_loss"],
            "guess_loss": guessing_loss(network.loss, self._T),
            "chance_accuracy": chance,
            "layers": [info.name for info in self.infos],
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
            for info, row in zip(self.infos, record["layers"]):
                layer = network.layers[info.index]
                names, before = weight_names(layer), self._before.pop(info.index)
                row["delta_norm"] = delta_norm(layer)  # BP3: dC/db = delta
                row["grad_W_norm"] = norm(*(layer.grads[k] for k in names))  # BP4
                w0 = norm(*before)
                change = norm(*(layer.params[k] - w for k, w in zip(names, before)))
                row["update_ratio"] = change / w0 if w0 > 0 else math.inf
                row["grad_through_time"] = through_time(layer)
            self.records.append(record)
        if self.is_recorded(step + 1):
            self._keep_weights(network)

    # ------------------------------------------------------------------ measuring
    def _keep_weights(self, network: Network) -> None:
        self._before = {}
        for info in self.infos:
            layer = network.layers[info.index]
            self._before[info.index] = [layer.params[k].copy() for k in weight_names(layer)]

    def _probe(self, network: Network, *, step: int, epoch: int, loss: float | None) -> dict:
        """Forward the probe batch in prediction mode, layer by layer, and measure it."""
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged net is measured, not fatal
            outputs = layer_outputs(network, self._X)
            a = outputs[-1]
            probe_loss = float(network.loss.value(a, self._T))
        rows = []
        for info in self.infos:
            act = network.layers[info.activation] if info.activation is not None else None
            z = outputs[info.index]
            out = outputs[info.activation] if info.activation is not None else z
            row: dict[str, float | None] = {"layer": info.number}  # type: ignore[dict-item]
            row.update({"delta_norm": None, "grad_W_norm": None, "update_ratio": None})
            row["grad_through_time"] = None
            layer = network.layers[info.index]
            row["W_norm"] = norm(*(layer.params[k] for k in weight_names(layer)))
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
        last = self.infos[-1].activation if self.infos else None
        limits = saturation_range(network.layers[last]) if last is not None else None
        if limits is None:
            return None
        a64 = np.asarray(a, dtype=np.float64)
        saturated = (a64 < limits[0]) | (a64 > limits[1])
        far = np.abs(a64 - self._T) > (limits[1] - limits[0]) / 2
        return float(np.mean(saturated & far))

    # ------------------------------------------------------------------ reading
    def through_time(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, norms)``: ``norms[i, k]`` is ``||dC/dh||`` ``k`` steps back from the last
        at recorded step ``steps[i]``, for measured layer ``layer`` (1 .. L); NaN where a
        record has fewer steps back (shorter sequences) or none (step 0, a layer without time).
        """
        rows = [(r["step"], r["layers"][layer - 1]["grad_through_time"]) for r in self.records]
        rows = [(step, norms) for step, norms in rows if norms is not None]
        width = max((len(norms) for _, norms in rows), default=0)
        out = np.full((len(rows), width), np.nan)
        for i, (_, norms) in enumerate(rows):
            out[i, : len(norms)] = norms
        return np.array([step for step, _ in rows], dtype=np.int64), out

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
