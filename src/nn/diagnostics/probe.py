"""A probe: a short training run of a copy of a network, measured by :class:`Diagnostics`.

The doctor (:mod:`nn.diagnostics.doctor`) reads probes; :func:`run_probe` is also useful on its
own to measure a few hundred steps of a configuration without touching the network itself.
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.diagnostics.measure import Diagnostics
from nn.train.callbacks import Callback
from nn.train.safeguards import TrainingDiverged

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network
    from nn.optim.optimizers import Optimizer

__all__ = ["ProbeRun", "Snapshots", "run_probe"]


class Snapshots(Callback):
    """Copies of the network at chosen steps (0 is the start), for pictures over training."""

    def __init__(self, steps: list[int]) -> None:
        self.steps = set(steps)
        self.networks: list[tuple[int, Network]] = []

    def on_train_begin(self, network: Network, history: dict[str, list[Any]]) -> None:
        self.networks = [(0, network.copy())] if 0 in self.steps else []

    def on_step_end(self, network: Network, epoch: int, step: int, loss: float) -> None:
        if step in self.steps:
            self.networks.append((step, network.copy()))


class _StopAt(Callback):
    """Ends a probe after ``steps`` steps (``fit`` itself only stops at an epoch's end)."""

    def __init__(self, steps: int) -> None:
        self.steps = steps

    def on_step_end(self, network: Network, epoch: int, step: int, loss: float) -> None:
        if step >= self.steps:
            raise _Done


class _Done(Exception):
    """Raised by :class:`_StopAt` when the probe has taken its steps."""


@dataclass
class ProbeRun:
    """What one probe training left behind.

    Attributes
    ----------
    diagnostics : Diagnostics
        The measurements.
    initial, network : Network
        Copies of the network before and after the probe.
    diverged_at : int or None
        The step at which the loss or a weight became NaN or infinite, if any: ``fit``
        stopped there, keeping the weights of the step before (see :mod:`nn.train.safeguards`).
    snapshots : list of (step, Network)
    """

    diagnostics: Diagnostics
    initial: Network
    network: Network
    diverged_at: int | None
    snapshots: list[tuple[int, Network]]


def run_probe(
    network: Network,
    X: np.ndarray,
    Y: np.ndarray,
    probe: tuple[np.ndarray, np.ndarray],
    *,
    optimizer: Optimizer,
    batch_size: int,
    steps: int,
    every: int,
    seed: int = 0,
    snapshot_steps: tuple[int, ...] = (),
    threads: Any = "auto",
    workers: int = 1,
) -> ProbeRun:
    """Train a copy of ``network`` for ``steps`` mini-batch steps with :class:`Diagnostics`.

    The training examples are a seeded random subset of ``X`` just large enough for ``steps``
    mini-batches, or the whole of ``X`` when it is smaller, shuffled then as ``fit`` with the
    same ``seed`` shuffles it (so a probe of a run's steps repeats that run). ``optimizer`` is
    copied, so the caller's is never touched. A probe that diverges ends there, as ``fit``
    does, but without its :class:`~nn.train.safeguards.TrainingDiverged` warning: the doctor
    reports it as a finding instead (``diverged_at``).
    """
    initial = network.copy()
    net = network.copy()
    rng = np.random.default_rng(seed)
    n = min(len(X), steps * batch_size)
    # the whole training set: shuffled by `seed` exactly as fit(..., seed=seed) shuffles it,
    # so the probe of `nn train`'s steps is that run again, step for step
    idx = np.arange(n) if n == len(X) else np.sort(rng.permutation(len(X))[:n])
    diag = Diagnostics(*probe, every=every)
    snaps = Snapshots(list(snapshot_steps))
    history: dict[str, Any] = {}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", TrainingDiverged)
        try:
            history = net.fit(
                X[idx],
                np.asarray(Y)[idx],
                epochs=math.ceil(steps * batch_size / n) + 1,
                batch_size=batch_size,
                optimizer=copy.deepcopy(optimizer),
                seed=rng,
                verbose=False,
                callbacks=[diag, snaps, _StopAt(steps)],
                threads=threads,
                workers=workers,
            )
        except _Done:
            pass
    stopped = history.get("stopped") or {}
    if stopped.get("reason") == "interrupted":
        raise KeyboardInterrupt  # Ctrl-C ends the doctor's work, not just this probe
    diverged = int(stopped["step"]) if stopped.get("reason") == "diverged" else None
    return ProbeRun(diag, initial, net, diverged, snaps.networks)
