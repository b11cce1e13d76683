"""A probe: a short training run of a copy of a network, measured by :class:`Diagnostics`.

The doctor (:mod:`nn.doctor`) reads probes; :func:`run_probe` is also useful on its own to
measure a few hundred steps of a configuration without touching the network itself.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.callbacks import Callback
from nn.diagnostics import Diagnostics

if TYPE_CHECKING:  # pragma: no cover
    from nn.network import Network
    from nn.optimizers import Optimizer

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
    """Ends a probe after ``steps`` steps, or as soon as the loss is not a number."""

    def __init__(self, steps: int) -> None:
        self.steps = steps

    def on_step_end(self, network: Network, epoch: int, step: int, loss: float) -> None:
        if not math.isfinite(loss):
            raise _Diverged(step)
        if step >= self.steps:
            raise _Done


class _Done(Exception):
    """Raised by :class:`_StopAt` when the probe has taken its steps."""


class _Diverged(Exception):
    """Raised by :class:`_StopAt` when the loss is NaN or infinite; carries the step."""


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
        The step whose loss was NaN or infinite, if any (the probe stopped there).
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
) -> ProbeRun:
    """Train a copy of ``network`` for ``steps`` mini-batch steps with :class:`Diagnostics`.

    The training examples are a seeded random subset of ``X`` just large enough for ``steps``
    mini-batches (the whole of ``X`` is cycled through when it is smaller). ``optimizer`` is
    copied, so the caller's is never touched; overflow is silenced, and a loss that stops being
    a number ends the probe (``diverged_at``) instead of raising.
    """
    initial = network.copy()
    net = network.copy()
    rng = np.random.default_rng(seed)
    n = min(len(X), steps * batch_size)
    idx = np.sort(rng.permutation(len(X))[:n])
    diag = Diagnostics(*probe, every=every)
    snaps = Snapshots(list(snapshot_steps))
    diverged = None
    with np.errstate(all="ignore"):
        try:
            net.fit(
                X[idx],
                np.asarray(Y)[idx],
                epochs=math.ceil(steps * batch_size / n) + 1,
                batch_size=batch_size,
                optimizer=copy.deepcopy(optimizer),
                seed=rng,
                verbose=False,
                callbacks=[diag, snaps, _StopAt(steps)],
            )
        except _Diverged as stop:
            diverged = int(stop.args[0])
        except _Done:
            pass
    return ProbeRun(diag, initial, net, diverged, snaps.networks)
