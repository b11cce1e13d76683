"""The data of a training run, checked and made ready before the first step.

:func:`prepare_data` turns what ``fit`` was given into the arrays the loop trains on (inputs
of the network's dtype, targets as rows, class labels) and, with ``validation_split``, holds
out the validation examples (:func:`split_off_validation`). Moved here from
:mod:`nn.train.loop`, which still offers ``split_off_validation`` under its old name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nn.core.labels import class_labels
from nn.train.checks import check_validation_data

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["prepare_data", "split_off_validation"]


def prepare_data(
    network: Network,
    X: np.ndarray,
    Y: np.ndarray,
    validation_data: tuple[np.ndarray, np.ndarray] | None,
    validation_split: float,
    rng: np.random.Generator,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray | None, tuple[np.ndarray, np.ndarray] | None, set[str]
]:
    """The data checked and as the network's arrays: ``(X, T, labels, validation_data,
    produced)``.

    ``T`` is ``Y`` as rows (one-hot for classes), ``labels`` the class of each example (None
    when the targets are not classes); ``validation_split`` takes its examples out of ``X``.
    ``produced`` is the history keys the run will fill (``accuracy`` only for classes,
    ``val_*`` only with validation data).
    """
    X = network.checked_inputs(X)
    T = network.checked_targets(Y, len(X))
    labels = class_labels(Y, T)  # None when the targets are not classes
    produced = {"epoch", "loss", "seconds"} | ({"accuracy"} if labels is not None else set())
    if validation_split:
        X, T, labels, validation_data = split_off_validation(
            X, T, labels, np.asarray(Y), validation_split, validation_data, rng
        )
    if validation_data is not None:
        Xv, Yv = check_validation_data(validation_data)
        Xv = network.checked_inputs(Xv, name="validation X")
        Tv = network.checked_targets(Yv, len(Xv), name="validation Y")
        produced |= {"val_loss"} | ({"val_accuracy"} if class_labels(Yv, Tv) is not None else set())
    return X, T, labels, validation_data, produced


def split_off_validation(
    X: np.ndarray,
    T: np.ndarray,
    labels: np.ndarray | None,
    Y: np.ndarray,
    fraction: float,
    validation_data: tuple[np.ndarray, np.ndarray] | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[np.ndarray, np.ndarray]]:
    """Hold out ``round(fraction * n)`` random examples for validation.

    Parameters
    ----------
    X : ndarray of shape (n, n_in)
    T : ndarray of shape (n, n_out)
        The targets as rows.
    labels : ndarray of shape (n,), or None
    Y : ndarray of shape (n, n_out) or (n,)
        The targets as the caller gave them.
    fraction : float
        In (0, 1), leaving at least one example on each side.
    validation_data : None
        Anything else is an error: give a split or validation data, not both.
    rng : Generator
        Draws one permutation of ``n``.

    Returns
    -------
    X, T, labels
        The examples to train on.
    (X_val, Y_val)
        The held-out ones, with ``Y_val`` in the caller's format.
    """
    if validation_data is not None:
        raise ValueError("fit: give validation_data or validation_split, not both")
    fraction = float(fraction)
    n_val = round(fraction * len(X))
    if not 0.0 < fraction < 1.0 or not 1 <= n_val < len(X):
        raise ValueError(
            f"fit: validation_split must be in (0, 1) and leave at least one example on each "
            f"side; {fraction!r} of {len(X)} examples gives {n_val} for validation"
        )
    order = rng.permutation(len(X))
    val, train = order[:n_val], order[n_val:]
    kept = None if labels is None else labels[train]
    return X[train], T[train], kept, (X[val], Y[val])
