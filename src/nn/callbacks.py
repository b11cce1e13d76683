"""Hooks into :meth:`nn.Network.fit`.

A callback is an object with any of the methods of :class:`Callback`; ``fit`` calls them at
the start of training, after every optimizer step, after every epoch and at the end. They
are how monitors (gradient norms, saturation), early stopping and checkpoints plug into
training without changing the training loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from nn.network import Network

__all__ = ["Callback"]


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
