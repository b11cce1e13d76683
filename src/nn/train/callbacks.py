"""Hooks into :meth:`nn.Network.fit`.

A callback is an object with any of the methods of :class:`Callback`; ``fit`` calls them at
the start of training, after every optimizer step, after every epoch and at the end. They
are how monitors (gradient norms, saturation), early stopping and checkpoints plug into
training without changing the training loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.numbers import check_real

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["Callback", "EarlyStopping"]


class Callback:
    """Base class with no-op hooks; override the ones you need."""

    def on_train_begin(self, network: Network, history: dict[str, list[Any]]) -> None:
        """Called once before the first step."""

    def on_step_end(self, network: Network, epoch: int, step: int, loss: float) -> None:
        """Called after each optimizer step (``step`` counts from 1 over the whole run).

        The layers' ``grads`` still hold the gradients of that step's mini-batch.
        """

    def on_epoch_end(
        self, network: Network, epoch: int, history: dict[str, list[Any]]
    ) -> bool | None:
        """Called after each epoch (``epoch`` counts from 1). Return True to stop training."""
        return None

    def on_train_end(self, network: Network, history: dict[str, list[Any]]) -> None:
        """Called once when training ends, however it ends."""

    def __repr__(self) -> str:
        config = self.config()
        args = ", ".join(f"{k}={v!r}" for k, v in (config or {}).items())
        return f"{type(self).__name__}({args})"

    def monitors(self) -> tuple[str, ...]:
        """History keys read after every epoch; ``fit`` checks, before any work, that the run
        will produce them (a ``val_loss`` needs validation data)."""
        return ()

    def config(self) -> dict[str, Any] | None:
        """Settings of a callback that takes part in the run (by stopping it or changing
        weights), or None for one that only watches. A checkpoint records them and a resumed
        run must have the same (:mod:`nn.train.settings`)."""
        return None

    def state_dict(self) -> dict[str, Any] | None:
        """What the callback has gathered so far, for a checkpoint (None: nothing to keep).

        Values are JSON numbers, strings, bools or None, or dicts mapping parameter keys
        (``"0.W"``) to arrays of those parameters' shapes and dtypes; the checkpoint checks
        every one of them before :meth:`load_state_dict` sees it.
        """
        return None

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict`: called, when a run is resumed, before
        :meth:`on_train_begin`. Raise ``ValueError`` for a state that cannot be."""


class EarlyStopping(Callback):
    """Stop when a validation metric stops improving, and go back to the best epoch's weights.

    After every epoch the monitored value is compared with the best so far; an epoch
    *improves* when it beats the best by more than ``min_delta`` (lower for a loss, higher for
    an accuracy). After ``patience`` epochs in a row without improvement training stops, and
    when it ends, however it ends, the weights of the best epoch are copied back into the
    network (in place, so the arrays an optimizer holds stay the same objects).

    Parameters
    ----------
    monitor : {"val_loss", "val_accuracy", "loss", "accuracy"}, default "val_loss"
        A key of the history ``fit`` returns. The validation ones need ``validation_data`` or
        ``validation_split`` in ``fit``; monitoring the test set would make the test score
        optimistic, so hold out a validation set instead.
    patience : int, default 5
        Epochs without improvement tolerated before stopping, at least 1.
    min_delta : float, default 0
        Smallest change that counts as an improvement.
    restore_best : bool, default True
        Copy the best epoch's weights back at the end of training.

    A checkpoint keeps what it has seen (the best value, its epoch and weights, the epochs
    waited), so a run resumed from it stops where the uninterrupted run stops.

    Attributes
    ----------
    best : float or None
        The best monitored value seen.
    best_epoch : int or None
        The epoch (from 1) that reached it, whose weights the network ends with.
    stopped_epoch : int or None
        The epoch after which training was stopped, None if it ran to the end.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        if monitor not in ("val_loss", "val_accuracy", "loss", "accuracy"):
            raise ValueError(
                f"EarlyStopping: monitor must be 'val_loss', 'val_accuracy', 'loss' or "
                f"'accuracy', got {monitor!r}"
            )
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)):
            raise ValueError(f"EarlyStopping: patience must be an integer, got {patience!r}")
        if patience < 1:
            raise ValueError(f"EarlyStopping: patience must be at least 1, got {patience}")
        if not isinstance(restore_best, (bool, np.bool_)):
            raise TypeError(
                f"EarlyStopping: restore_best must be True or False, got {restore_best!r}"
            )
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = check_real("EarlyStopping: min_delta", min_delta, 0.0)
        self.restore_best = bool(restore_best)
        self.higher_is_better = monitor.endswith("accuracy")
        self._resumed = False
        self._reset()

    def _reset(self) -> None:
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0
        self.best_weights: dict[str, np.ndarray] | None = None

    def on_train_begin(self, network: Network, history: dict[str, list[Any]]) -> None:
        if not self._resumed:  # else the state of a checkpoint was just loaded: keep it
            self._reset()
        self._resumed = False

    def monitors(self) -> tuple[str, ...]:
        return (self.monitor,)

    def config(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor,
            "patience": self.patience,
            "min_delta": self.min_delta,
            "restore_best": self.restore_best,
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "wait": self.wait,
            "weights": None if self.best_weights is None else dict(self.best_weights),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        fields = {"best", "best_epoch", "stopped_epoch", "wait", "weights"}
        if not isinstance(state, dict) or set(state) != fields:
            raise ValueError(f"EarlyStopping: a state has the fields {sorted(fields)}")
        best, best_epoch, stopped, wait = (state[k] for k in sorted(fields - {"weights"}))
        if best is not None:
            best = check_real("EarlyStopping: best", best)
        for name, epoch in (("best_epoch", best_epoch), ("stopped_epoch", stopped)):
            if epoch is not None and (type(epoch) is not int or epoch < 1):
                raise ValueError(f"EarlyStopping: {name} must be an epoch (1, 2, ...): {epoch!r}")
        if type(wait) is not int or not 0 <= wait <= self.patience:
            raise ValueError(f"EarlyStopping: wait must be in [0, {self.patience}]: {wait!r}")
        if (best is None) != (best_epoch is None) or (
            state["weights"] is not None and not isinstance(state["weights"], dict)
        ):
            raise ValueError("EarlyStopping: a best value needs its epoch (and weights or None)")
        self.best, self.best_epoch, self.stopped_epoch = best, best_epoch, stopped
        self.wait, self.best_weights = wait, state["weights"]
        self._resumed = True

    def on_epoch_end(
        self, network: Network, epoch: int, history: dict[str, list[Any]]
    ) -> bool | None:
        value = history[self.monitor][-1]
        if value is None:
            what = "validation data" if self.monitor.startswith("val_") else "class labels"
            raise ValueError(
                f"EarlyStopping(monitor={self.monitor!r}) has nothing to monitor: fit produced "
                f"no {self.monitor} ({what} missing). Pass validation_split=0.1 (or "
                f"validation_data=...) to fit, or monitor another metric."
            )
        value = float(value)
        if self.best is None:
            improved = True
        elif self.higher_is_better:
            improved = value > self.best + self.min_delta
        else:
            improved = value < self.best - self.min_delta
        if improved:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_weights = {k: p.copy() for k, p, _ in network.parameters()}
            return None
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return None

    def on_train_end(self, network: Network, history: dict[str, list[Any]]) -> None:
        if self.restore_best and self.best_weights is not None:
            for key, param, _ in network.parameters():
                param[...] = self.best_weights[key]
