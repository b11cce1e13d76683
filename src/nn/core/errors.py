"""Exceptions the core raises for the training loop above it to catch.

Defined here, not in :mod:`nn.train`, so that :meth:`nn.Network.train_step` can raise them
without the core importing upward.
"""

from __future__ import annotations

__all__ = ["Diverged"]


class Diverged(Exception):
    """The loss or a weight became NaN or infinite during training.

    Raised by :meth:`nn.Network.train_step` before the update of a mini-batch whose loss is
    not finite (and by :mod:`nn.train.safeguards` when a weight is found non-finite); ``fit``
    catches it and turns it into a :class:`nn.TrainingDiverged` warning.
    """
