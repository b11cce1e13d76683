"""The bookkeeping of a ``fit`` call that lets it stop safely: divergence, Ctrl-C, checkpoints.

Divergence, and why the per-step check is one ``math.isfinite``
----------------------------------------------------------------
``fit`` checks the loss of every mini-batch, which it has computed anyway, *before* applying
the update: a non-finite loss stops training with the weights of the last step untouched.
That check is free, but it is not sufficient on its own: an update can overflow to inf from
finite gradients (a learning rate of 1e38), and an inf weight can hide behind a saturated
sigmoid (``sigmoid(inf) = 1``) while the loss stays finite. Checking every weight every step
would cost about as much as the SGD update itself. Instead:

* every ~2 seconds of training (:data:`SNAPSHOT_SECONDS`), at every checkpoint and at the end,
  all weights are checked (a min and a max per tensor, which propagate NaN and expose inf)
  and, when finite, kept as an in-memory snapshot;
* when a check fails, training rewinds to the last snapshot and *replays* the steps since,
  checking every weight after every step. The arithmetic is deterministic, so the replay
  finds the exact step whose update first made a weight non-finite and stops before it.

So the network always ends with the weights of the last finite step, at the cost of one
comparison per step plus a copy of the weights every couple of seconds.

Ctrl-C
------
While ``fit`` runs in the main thread, SIGINT is held (:mod:`nn.train.interrupts`): every
Ctrl-C, the second and later ones too, only sets a count, and the loop stops at the next step
boundary, so a step (its forward pass with any random draws, its update) is never cut in half.
The run writes its checkpoint, if one is configured, marks the history, and ``fit`` returns.
A ``KeyboardInterrupt`` raised some other way in the middle of a step (by a layer's own code)
is repaired instead: the run rewinds to its last snapshot and replays the steps since, as
after a divergence, so its state is again exactly that of the last completed step.

How ``fit`` reports an early stop: a warning (:class:`TrainingDiverged` or
:class:`TrainingInterrupted`, both ``UserWarning``; turn them into errors with
``warnings.simplefilter("error", nn.TrainingDiverged)``) and ``history["stopped"]``, a dict
``{"reason": "diverged" | "interrupted", "epoch", "step", "message"}``.
"""

from __future__ import annotations

import inspect
import math
import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.errors import Diverged  # raised by Network.train_step; re-exported here
from nn.core.labels import count_correct
from nn.train import checkpoint as ckpt
from nn.train.interrupts import HeldInterrupts

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network
    from nn.optim.optimizers import Optimizer

__all__ = ["TrainingDiverged", "TrainingInterrupted", "Diverged", "TrainingRun", "all_finite"]

#: Training time between two in-memory snapshots (and full weight checks), in seconds.
SNAPSHOT_SECONDS = 2.0
_MIN_SNAPSHOT_STEPS = 100


class TrainingDiverged(UserWarning):
    """``fit`` stopped because the loss or a weight became NaN or infinite."""


class TrainingInterrupted(UserWarning):
    """``fit`` stopped because of Ctrl-C (or a ``KeyboardInterrupt`` from a callback)."""


def all_finite(network: Network) -> bool:
    """Whether every parameter of ``network`` is finite (min and max propagate NaN)."""
    for _, p, _ in network.parameters():
        if p.size and not (math.isfinite(p.min()) and math.isfinite(p.max())):
            return False
    return True


def _caller_of_fit() -> int:
    """The ``stacklevel`` at which a warning from ``TrainingRun`` names the code calling ``fit``.

    Counted from the function calling ``warnings.warn``, past every frame of the training
    machinery (:mod:`nn.train`, and ``Network.fit`` in :mod:`nn.core.network`), so that the
    warning points at the user's line whether ``nn.train.fit`` or ``Network.fit`` was called.
    """
    frame = inspect.currentframe()
    frame = frame.f_back if frame is not None else None  # the caller of warnings.warn
    level = 1
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not (module.startswith("nn.train.") or module == "nn.core.network"):
            break
        frame, level = frame.f_back, level + 1
    return level


class TrainingRun:
    """Position, generator, running sums and history of one ``fit`` call.

    Parameters
    ----------
    network, optimizer
    X : ndarray of shape (n, n_in)
    T : ndarray of shape (n, n_out)
    labels : ndarray of shape (n,) or None
        Class of each example, to count correct answers (None: not classes).
    batch_size : int
    seed : int, Generator or None
    checkpoint : str or None
        Path checkpoints are written to.
    every : int or None
        Steps between checkpoints; None: at the end of each epoch.
    resume_from : str or None
        Checkpoint to continue from.
    settings : dict or None
        :func:`nn.train.settings.run_settings` of the run, for checkpoints (None without).
    callbacks : sequence
        The run's callbacks, whose state checkpoints keep.
    """

    def __init__(
        self,
        network: Network,
        optimizer: Optimizer,
        X: np.ndarray,
        T: np.ndarray,
        labels: np.ndarray | None,
        *,
        batch_size: int,
        seed: Any,
        checkpoint: str | None,
        every: int | None,
        resume_from: str | None,
        settings: dict[str, Any] | None = None,
        callbacks: Sequence[Any] = (),
    ) -> None:
        self.network, self.optimizer = network, optimizer
        self.X, self.T, self.labels = X, T, labels
        self.n, self.batch_size = len(X), batch_size
        self.n_batches = -(-self.n // batch_size)
        self.rng = np.random.default_rng(seed)
        self.epoch, self.batch, self.order, self.step = 1, 0, None, 0
        self.loss_sum, self.correct = 0.0, 0
        self.history: dict[str, Any] = {
            k: [] for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")
        }
        self.path, self.every = checkpoint, every
        self.updating = False  # set by Network.train_step while the update is applied
        #: One training step, as ``Network.train_step`` (the loop sets the step of
        #: :class:`~nn.train.parallel.BatchSplit` with workers); a replay runs the same one.
        self.train_step = network.train_step
        self.in_step = False  # True from the start of a step until step_done
        self.interrupts = HeldInterrupts()
        if not all_finite(network):
            raise ValueError(
                "the network's weights hold NaN or infinite values before training; rebuild "
                "it or load a model saved before it diverged"
            )
        self.finished: str | None = None  # "epochs" or "callback" once the run is over
        self.settings, self.callbacks = settings, list(callbacks)
        if resume_from is not None:
            if settings is None:
                raise RuntimeError("TrainingRun: resuming needs the run's settings")
            snap = ckpt.read(resume_from, network, optimizer, settings)
            ckpt.restore(snap, network, optimizer, self)
            ckpt.load_callbacks(snap, self.callbacks, resume_from)
        self._take_snapshot()

    # ------------------------------------------------------------------ Ctrl-C
    def __enter__(self) -> TrainingRun:
        """Hold SIGINT (:mod:`nn.train.interrupts`) until the run is over and written."""
        self.interrupts.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.interrupts.__exit__(*exc)

    @property
    def stop_requested(self) -> bool:
        """Whether Ctrl-C was pressed: the loop stops at the next step boundary."""
        return self.interrupts.requested

    # ------------------------------------------------------------------ the loop's calls
    def begin_epoch(self) -> np.ndarray:
        """The current epoch's order of examples, drawn on first use."""
        if self.order is None:
            self.order = self.rng.permutation(self.n)
        return self.order

    def step_done(self, loss: float, size: int, correct: int) -> None:
        """Count a completed update; check weights, snapshot and checkpoint when due."""
        self.step += 1
        self.batch += 1
        self.loss_sum += loss * size
        self.correct += correct
        self.updating = self.in_step = False
        if self.every is not None and self.step % self.every == 0:
            self.save()
        elif self.step >= self._next_snapshot:
            self._take_snapshot()

    def close_epoch(self, row: dict[str, Any]) -> None:
        """Append the epoch's row to the history and move to the next epoch, as one unit."""
        for key, value in row.items():
            self.history[key].append(value)
        self.epoch, self.batch, self.order = self.epoch + 1, 0, None
        self.loss_sum, self.correct = 0.0, 0
        val = row.get("val_loss")
        if val is not None and not math.isfinite(val):
            self._take_snapshot()  # a non-finite validation loss: are the weights finite?

    def epoch_done(self) -> None:
        """After the callbacks have heard of the epoch: the checkpoint of its end, if due."""
        if self.every is None and self.path is not None:
            self.save()

    def finish(self, by_callback: bool = False) -> None:
        """End of training (all epochs done, or a callback said stop): a last check of the
        weights, and the final checkpoint, which says the run is over."""
        self.finished = "callback" if by_callback else "epochs"
        if self.path is not None:
            self.save()
        else:
            self._take_snapshot()

    def save(self) -> None:
        """Check the weights, snapshot them, and write the checkpoint file."""
        self._take_snapshot()
        if self.path is None or self.settings is None:
            raise RuntimeError("save() needs the checkpoint path and the run's settings")
        ckpt.write(
            self.path, self._snapshot, self.network, self.optimizer, self.settings, self.callbacks
        )

    def _take_snapshot(self) -> None:
        if not all_finite(self.network):
            raise Diverged("weights became NaN or infinite")
        self._snapshot = ckpt.capture(self.network, self.optimizer, self)
        now = time.perf_counter()
        if hasattr(self, "_snap_time"):
            rate = (self.step - self._snap_step) / max(now - self._snap_time, 1e-9)
            self._next_snapshot = self.step + max(_MIN_SNAPSHOT_STEPS, int(rate * SNAPSHOT_SECONDS))
        else:
            self._next_snapshot = self.step + _MIN_SNAPSHOT_STEPS
        self._snap_time, self._snap_step = now, self.step

    # ------------------------------------------------------------------ stopping early
    def interrupted(self) -> None:
        """Ctrl-C: the weights are those of the last completed step; save and report."""
        try:
            if self.in_step:  # raised inside a step, not held: redo the steps to the last one
                self.in_step = False
                found = self._replay(self.step)
                if found is not None:
                    raise Diverged(found[1])
            # the weights may have gone non-finite unseen since the last check
            if self.path is not None:
                self.save()
            else:
                self._take_snapshot()
        except Diverged as err:
            self.diverged(err)
            return
        where = (
            f"in epoch {self.epoch} after step {self.step} (mini-batch {self.batch} of "
            f"{self.n_batches})"
        )
        if self.path is not None:
            then = (
                f"Checkpoint written to {self.path!r}; fit(..., checkpoint={self.path!r}, "
                "resume=True) continues from there."
            )
        else:
            then = "Pass checkpoint=PATH to fit to be able to resume an interrupted run."
        self._stop(
            "interrupted",
            f"Training interrupted {where}; the network keeps the weights of that step. {then}",
            TrainingInterrupted,
        )

    def diverged(self, err: Diverged) -> None:
        """Stop with the weights of the last finite step (replaying to find it if needed)."""
        cause = str(err)
        failing = self.step + 1  # the step whose loss was not finite: its update never ran
        if not all_finite(self.network):
            failing, cause = self._replay(self.step) or self._back_to_snapshot()
        elif self.in_step:  # its forward pass drew from the layers' generators: undo that too
            self._replay(self.step)
        self.in_step = False
        epoch, batch = self.epoch, self.batch + 1
        if self.batch == self.n_batches:
            epoch, batch = epoch + 1, 1
        lr = self.optimizer.config().get("lr")
        hint = "the learning rate is too high for this network and data"
        hint += f": try lr={lr / 10:g} or smaller" if isinstance(lr, (int, float)) else ""
        scale = float(np.abs(self.X).max()) if self.X.size else 0.0
        if scale > 100:
            hint += f"; also the inputs reach {scale:.3g}: standardize them (mean 0, std 1)"
        kept = f"the weights after step {failing - 1}" if failing > 1 else "its initial weights"
        message = (
            f"Training diverged in epoch {epoch}, step {failing} (mini-batch {batch} of "
            f"{self.n_batches}): {cause}. Training stopped; the network keeps {kept}, the last "
            f"finite ones. Likely cause: {hint}."
        )
        if self.path is not None:
            self.save()
            message += f" Checkpoint of that state written to {self.path!r}."
        self._stop("diverged", message, TrainingDiverged, step=failing)

    def _stop(
        self, reason: str, message: str, category: type[Warning], step: int | None = None
    ) -> None:
        self.history["stopped"] = {
            "reason": reason,
            "epoch": self.epoch,
            "step": self.step if step is None else step,
            "message": message,
        }
        warnings.warn(message, category, stacklevel=_caller_of_fit())

    def _replay(self, target: int) -> tuple[int, str] | None:
        """Rewind to the snapshot and redo the steps up to ``target``, checking every weight
        after each.

        Returns the number of the first step whose update made a weight non-finite and what
        went wrong in it, the run left at the step before; or None, the run at step
        ``target`` exactly (generators, running sums and history included), as it was when
        that step completed.
        """
        real = {k: list(v) for k, v in self.history.items() if isinstance(v, list)}
        ckpt.restore(self._snapshot, self.network, self.optimizer, self)
        net, opt, bs = self.network, self.optimizer, self.batch_size
        found: tuple[int, str] | None = None
        with np.errstate(all="ignore"):  # the replay walks into the overflow on purpose
            while self.step < target:
                if self.batch == self.n_batches:
                    self.epoch, self.batch, self.order = self.epoch + 1, 0, None
                    self.loss_sum, self.correct = 0.0, 0
                order = self.begin_epoch()
                idx = order[self.batch * bs : (self.batch + 1) * bs]
                before = ckpt.capture(net, opt, self)
                try:
                    a, loss = self.train_step(self.X[idx], self.T[idx], opt)
                except Diverged as err:
                    found = (self.step + 1, str(err))
                    break
                if not all_finite(net):
                    bad = [k for k, p, _ in net.parameters() if not np.isfinite(p).all()]
                    ckpt.restore(before, net, opt, self)
                    found = (self.step + 1, f"its update made {', '.join(bad)} non-finite")
                    break
                self.step += 1
                self.batch += 1
                self.loss_sum += loss * len(idx)
                self.correct += count_correct(a, self.labels, idx)
        self._keep_history_before(real)
        return found

    def _back_to_snapshot(self) -> tuple[int, str]:
        """When a replay cannot find the step that went wrong (a callback changed something?):
        the state of the snapshot, and what to say about the step after it."""
        rows = {k: list(v) for k, v in self.history.items() if isinstance(v, list)}
        ckpt.restore(self._snapshot, self.network, self.optimizer, self)
        self._keep_history_before(rows)
        return (
            self._snapshot.step + 1,
            "weights became NaN or infinite (the exact step could not be replayed)",
        )

    def _keep_history_before(self, real: dict[str, list[Any]]) -> None:
        """The history of the real run (``real``) up to where the run now is.

        An epoch whose every step is done and whose row the real run had written is closed
        again with that row, so the run continues with the next epoch as the real one did.
        """
        n_rows = len(real.get("epoch", []))
        if self.batch == self.n_batches and self.epoch in real.get("epoch", []):
            self.epoch, self.batch, self.order = self.epoch + 1, 0, None
            self.loss_sum, self.correct = 0.0, 0
        kept = sum(1 for e in real.get("epoch", []) if e < self.epoch)
        for key, rows in real.items():
            self.history[key] = rows[:kept] if len(rows) == n_rows else rows
