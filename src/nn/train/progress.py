"""What ``fit`` prints: the line of metrics after each epoch, and durations for a person."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import History

__all__ = ["duration", "epoch_line"]


def epoch_line(history: History, epochs: int, validation_name: str = "val") -> str:
    """One line of metrics for the epoch just finished (the last row of ``history``).

    Parameters
    ----------
    history : History
        What ``fit`` returns, with at least one epoch in it.
    epochs : int
        The number of epochs of the whole run, shown as ``Epoch 3/30``.
    validation_name : str, default "val"
        Prefix of the validation figures: ``val_loss``, or ``test_loss`` for a test set.

    Returns
    -------
    str
        For example ``"Epoch 3/30: loss 0.0123, accuracy 0.9512, val_loss 0.0150,
        val_accuracy 0.9410 (1.2 s)"``; figures that are None are left out.
    """
    parts = [f"Epoch {history['epoch'][-1]}/{epochs}: loss {history['loss'][-1]:.4f}"]
    if history["accuracy"][-1] is not None:
        parts.append(f"accuracy {history['accuracy'][-1]:.4f}")
    if history["val_loss"][-1] is not None:
        parts.append(f"{validation_name}_loss {history['val_loss'][-1]:.4f}")
    if history["val_accuracy"][-1] is not None:
        parts.append(f"{validation_name}_accuracy {history['val_accuracy'][-1]:.4f}")
    parts.append(f"({duration(history['seconds'][-1])})")
    return ", ".join(parts[:-1]) + " " + parts[-1]


def duration(seconds: float) -> str:
    """``seconds`` for a person: ``"1.2 s"``, ``"43 ms"``, ``"0.31 ms"`` (never ``"0.0 s"``).

    Each value is rounded as it will be shown before its unit is chosen, so 0.9996 s is
    ``"1.0 s"``, not ``"1000 ms"``.

    Parameters
    ----------
    seconds : float
        A duration, not negative.

    Returns
    -------
    str
        Seconds with one decimal from 1 s, whole milliseconds from 10 ms, two significant
        digits below, and ``"< 0.01 ms"`` for what would round to 0.00 ms.
    """
    ms = seconds * 1000
    if round(ms) >= 1000:
        return f"{seconds:.1f} s"
    if float(f"{ms:.2g}") >= 10:
        return f"{ms:.0f} ms"
    return f"{ms:.2g} ms" if ms >= 0.005 else "< 0.01 ms"
