"""The doctor: a short probe training of a copy of a network, read by the rules of
:mod:`nn.diagnostics.findings.rules`, reported with its evidence.

``nn diagnose`` on the command line; :func:`diagnose` from Python::

    report = nn.diagnose(nn.mlp([784, 30, 10], init="normal"), X, y, lr=3.0)
    print(report)            # the measurements per layer, then each problem found
    report.to_json("r.json")
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.network import Network
from nn.diagnostics.findings.base import FINDINGS, Finding, fan_in_weights, fmt, pct
from nn.diagnostics.findings.rules import examine
from nn.diagnostics.measure import jsonable
from nn.diagnostics.probe import ProbeRun, run_probe
from nn.diagnostics.statistics import measured_layers
from nn.layers.activations import ReLU
from nn.layers.initializers import he_normal
from nn.optim.optimizers import SGD

if TYPE_CHECKING:  # pragma: no cover
    from nn.optim.optimizers import Optimizer

__all__ = ["Report", "diagnose"]


@dataclass
class Report:
    """The doctor's answer: findings, the measurements behind them and how they were taken.

    Attributes
    ----------
    findings : list of Finding
    run : ProbeRun
    config : dict
        How the probe was run (steps, batch size, learning rate, ...).
    experiments : dict
        Final probe loss of each learning-rate experiment run, by learning rate.
    notes : list of str
    """

    findings: list[Finding]
    run: ProbeRun
    config: dict[str, Any]
    experiments: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.findings

    def __str__(self) -> str:
        c, diag = self.config, self.run.diagnostics
        ref, last = diag.reference, diag.records[-1]
        lines = [
            f"Probe: {_probe_header(self.run, c)} on {ref['n_probe']:,} probe examples.",
            f"Loss on the probe batch: {fmt(ref['init_loss'])} at the start, "
            f"{fmt(last['probe_loss'])} at the end (guessing: {fmt(ref['guess_loss'])}).",
        ]
        if last["probe_accuracy"] is not None:
            lines[-1] += (
                f" Accuracy {pct(diag.records[0]['probe_accuracy'])} -> "
                f"{pct(last['probe_accuracy'])} (always the commonest class: "
                f"{pct(ref['chance_accuracy'])})."
            )
        lines += ["", _layer_table(self.run)]
        lines += [f"note: {n}" for n in self.notes]
        lines.append("")
        if self.ok:
            lines.append("No problems found.")
        else:
            n = len(self.findings)
            lines.append(f"{n} problem{'s' if n > 1 else ''} found:")
            lines += ["", "\n\n".join(str(f) for f in self.findings)]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Findings, configuration, experiments and every measurement, JSON-ready."""
        return jsonable(
            {
                "findings": [{**asdict(f), "meaning": FINDINGS[f.id]} for f in self.findings],
                "config": self.config,
                "experiments": self.experiments,
                "notes": self.notes,
                "measurements": self.run.diagnostics.to_dict(),
            }
        )

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=1)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _probe_header(run: ProbeRun, c: dict[str, Any]) -> str:
    """How the probe went, true also when it stopped early (a divergence ends it)."""
    done, steps = c["steps_done"], c["steps"]
    what = f"of {c['optimizer']} with mini-batches of {c['batch_size']} on {c['n_train']:,} "
    what += "training examples"
    if done >= steps and run.diverged_at is None:
        every = "every step" if c["every"] == 1 else f"every {c['every']} steps"
        return f"{_plural(done, 'step')} {what}; measured {every}"
    measured = [r["step"] for r in run.diagnostics.records]
    at = ", ".join(str(m) for m in measured[:-1]) + f" and {measured[-1]}"
    why = (
        f"training diverged at step {run.diverged_at}, where it stopped"
        if run.diverged_at is not None
        else "it stopped early"
    )
    return f"{done} of {_plural(steps, 'step')} {what} ({why}); measured at " + (
        f"steps {at}" if len(measured) > 1 else f"step {measured[0]}"
    )


def _describe(optimizer: Optimizer) -> str:
    """``SGD(lr=3)``: the optimizer with the settings that differ from "off" (0, None, False)."""
    settings = {k: v for k, v in optimizer.config().items() if v not in (None, 0, 0.0, False)}
    settings = {"lr": settings.pop("lr", optimizer.lr), **settings}
    text = ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v!r}" for k, v in settings.items()
    )
    return f"{type(optimizer).__name__}({text})"


def _layer_table(run: ProbeRun) -> str:
    """Per-layer summary: medians of the gradient numbers, start -> end of the others."""
    diag = run.diagnostics
    first, last = diag.records[0], diag.records[-1]
    head = (
        f"{'layer':<20} {'||dC/db||':>9} {'||dC/dW||':>9} {'update/W':>9} "
        f"{'z spread':>12} {'saturated':>14} {'dead':>12}"
    )
    rows = [head, "  (gradients: medians over the probe; the rest: start -> end)"]
    for info, a, b in zip(diag.infos, first["layers"], last["layers"]):
        med = {}
        for key in ("delta_norm", "grad_W_norm", "update_ratio"):
            _, v = diag.series(key, info.number)
            v = v[np.isfinite(v)]
            med[key] = float(np.median(v)) if v.size else math.nan

        def span(key: str, as_pct: bool, a=a, b=b) -> str:
            if a[key] is None:
                return "-"
            f = pct if as_pct else (lambda x: f"{x:.3g}")
            return f"{f(a[key])} -> {f(b[key])}"

        rows.append(
            f"{info.number} {info.name:<18} {fmt(med['delta_norm']):>9} "
            f"{fmt(med['grad_W_norm']):>9} {fmt(med['update_ratio']):>9} "
            f"{span('z_std', False):>12} {span('saturated', True):>14} {span('dead', True):>12}"
        )
    return "\n".join(rows)


def diagnose(
    network: Network,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    lr: float | None = None,
    optimizer: Optimizer | None = None,
    batch_size: int = 10,
    steps: int = 300,
    every: int | None = None,
    probe: tuple[np.ndarray, np.ndarray] | None = None,
    probe_size: int = 500,
    seed: int = 0,
    fresh: bool = True,
    experiments: bool = True,
    snapshot_steps: tuple[int, ...] = (),
    init: str | None = None,
    usual_lr: float | None = None,
    threads: Any = "auto",
    workers: int = 1,
) -> Report:
    """Run a probe training of a copy of ``network`` and say what is wrong with it.

    Parameters
    ----------
    network : Network
        Not modified: the probe trains a copy.
    X : ndarray of shape (n, n_in)
    Y : ndarray of shape (n, n_out), or (n,) class labels
    lr, optimizer
        As in :meth:`nn.Network.fit`: give exactly one.
    batch_size, steps : int
        The probe: ``steps`` mini-batches of ``batch_size``.
    every : int, optional
        Record every ``every`` steps (default: about 30 records over the probe).
    probe : (X_probe, Y_probe), optional
        Held-out examples to measure on; default ``probe_size`` random rows of ``X``.
    seed : int
        Seed of the data order and of the default probe batch.
    fresh : bool
        Whether the weights are freshly initialized (False for a trained, loaded model).
    experiments : bool
        Allow the learning-rate experiments (a few extra probes, only when the loss stalls).
    snapshot_steps : tuple of int
        Steps at which to keep a copy of the network (for pictures over training).
    init : str, optional
        Name of the initializer ``network`` was built with, so that no suggestion repeats it.
    usual_lr : float, optional
        The optimizer's usual starting learning rate (``nn diagnose`` passes its default for
        ``--lr``): what to suggest when the rate in use overflows a sound network at once.
    threads : "auto", int, None or ThreadPolicy
        BLAS threads of the probes, as ``fit``'s ``threads`` (:mod:`nn.train.threads`).
    workers : int, default 1
        Shards of each mini-batch trained at once, as ``fit``'s ``workers``
        (:mod:`nn.train.parallel`). What a layer measures in its own backward pass (a
        recurrent layer's gradient through time) is then the first shard's.

    Returns
    -------
    Report
        ``print(report)`` shows it; ``report.to_json(path)`` writes it.
    """
    if (lr is None) == (optimizer is None):
        raise ValueError("diagnose: give exactly one of lr=... (plain SGD) or optimizer=...")
    for name, value in (("steps", steps), ("batch_size", batch_size), ("probe_size", probe_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"diagnose: {name} must be a positive integer, got {value!r}")
    opt = optimizer if optimizer is not None else SGD(lr)  # type: ignore[arg-type]
    every = every if every is not None else max(1, steps // 30)
    if probe is None:
        pick = np.random.default_rng(seed).permutation(len(X))[:probe_size]
        probe = (np.asarray(X)[pick], np.asarray(Y)[pick])
    kwargs = dict(batch_size=batch_size, steps=steps, every=every, seed=seed, threads=threads,
                  workers=workers)  # fmt: skip
    run = run_probe(network, X, Y, probe, optimizer=opt, snapshot_steps=snapshot_steps, **kwargs)
    tried: dict[str, float] = {}
    relu_tried: dict[str, float] = {}

    def trial(net: Network, scale: float, record: dict[str, float]) -> float:
        """The final probe loss of ``net`` with the learning rate times ``scale`` (NaN if it
        diverged), noted in ``record``."""
        other = copy.deepcopy(opt)
        other.lr = opt.lr * scale
        again = run_probe(net, X, Y, probe, optimizer=other, **kwargs)
        diverged = again.diverged_at is not None
        loss = math.nan if diverged else again.diagnostics.records[-1]["probe_loss"]
        record[f"{other.lr:g}"] = loss
        return loss

    def relu_trial(scale: float) -> float:
        return trial(relu_version(network, seed), scale, relu_tried)

    def longer(n_steps: int) -> tuple[float, float | None]:
        again = run_probe(network, X, Y, probe, optimizer=opt, **{**kwargs, "steps": n_steps})
        last = again.diagnostics.records[-1]
        return last["probe_loss"], last["probe_accuracy"]

    findings = examine(
        run,
        fresh=fresh,
        rerun=functools.partial(trial, network, record=tried) if experiments else None,
        init=init,
        usual_lr=usual_lr,
        lr=opt.lr,
        relu_trial=relu_trial if experiments else None,
        longer=longer if experiments else None,
    )
    config = {
        "optimizer": _describe(opt),
        "lr": opt.lr,
        "batch_size": batch_size,
        "steps": steps,
        "steps_done": len(run.diagnostics.step_losses),
        "every": every,
        "n_train": min(len(X), steps * batch_size),
        "seed": seed,
        "fresh": fresh,
    }
    return Report(findings, run, config, tried, _notes(fresh, tried, relu_tried))


def _notes(fresh: bool, tried: dict[str, float], relu_tried: dict[str, float]) -> list[str]:
    """The report's notes: what was not checked, and every experiment's final probe loss."""
    notes = []
    if not fresh:
        notes.append("the weights were not freshly initialized: large_init_weights not checked")
    if tried:
        notes.append(
            "learning-rate experiments (final probe loss): "
            + ", ".join(f"lr {k}: {fmt(v)}" for k, v in tried.items())
        )
    if relu_tried:
        notes.append(
            "the same network with ReLU hidden layers and He weights (final probe loss): "
            + ", ".join(f"lr {k}: {fmt(v)}" for k, v in relu_tried.items())
        )
    return notes


def relu_version(network: Network, seed: int = 0) -> Network:
    """``network`` with ReLU hidden layers and fresh He-normal weights.

    The output layer keeps its activation (a ReLU output unit can die for good) and the
    loss is the same: what ``--activation relu --init he_normal`` would build, for the
    doctor to try before it suggests it. He weights are drawn for the layers with an
    ``(n_in, n_out)`` matrix ``W`` and a bias ``b`` of ``n_out`` (dense layers); any other
    layer keeps its weights.
    """
    rng = np.random.default_rng(seed)
    layers = list(network.copy().layers)
    infos = measured_layers(network)
    for info in infos:
        layer = layers[info.index]
        W, b = fan_in_weights(layer), layer.params.get("b")
        if W is not None and b is not None and b.shape == (W.shape[1],):
            W_new, b_new = he_normal(W.shape[0], W.shape[1], rng, W.dtype)
            W[...] = W_new
            b[...] = b_new
        if info is not infos[-1] and info.activation is not None:
            layers[info.activation] = ReLU()
    return Network(layers, network.loss, input_shape=network.input_shape)
