"""Targets and outputs read as classes: what ``fit``, ``evaluate`` and the diagnostics count.

A classification target is either a class label per example or a one-hot row (a single
output unit takes labels 0 and 1); a prediction is the arg-max of an output row, or
``a > 0.5`` for a single unit. Targets of any other kind (real-valued rows) have no classes,
and the functions say so by returning None or counting nothing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["class_labels", "count_correct", "predicted_labels"]


def class_labels(Y: np.ndarray, T: np.ndarray) -> np.ndarray | None:
    """The class of each example when the targets are classes, else None.

    Parameters
    ----------
    Y : ndarray of shape (n,) or (n, n_out)
        The targets as the user gave them.
    T : ndarray of shape (n, n_out), or (n, *shape)
        The same targets as rows (what the loss sees).

    Returns
    -------
    ndarray of shape (n,), int64, or None
        None also for targets of more than one axis per example (an image, a sequence):
        those are not one class per example.
    """
    Y = np.asarray(Y)
    if Y.ndim == 1:
        return Y.astype(np.int64)
    if T.ndim != 2:
        return None
    if T.shape[1] == 1:
        ok = np.isin(T, (0, 1)).all()
        return T[:, 0].astype(np.int64) if ok else None
    one_hot = np.isin(T, (0, 1)).all() and (T.sum(axis=1) == 1).all()
    return T.argmax(axis=1) if one_hot else None


def predicted_labels(a: np.ndarray) -> np.ndarray:
    """Arg-max of each output row, or ``a > 0.5`` for a single output unit.

    Parameters
    ----------
    a : ndarray of shape (n, n_out)

    Returns
    -------
    ndarray of shape (n,), int64
    """
    if a.shape[1] == 1:
        return (a[:, 0] > 0.5).astype(np.int64)
    return a.argmax(axis=1)


def count_correct(a: np.ndarray, labels: np.ndarray | None, idx: np.ndarray) -> int:
    """How many rows of ``a`` predict ``labels[idx]`` (0 when the targets are not classes).

    Parameters
    ----------
    a : ndarray of shape (batch, n_out)
        Outputs for the examples ``idx``.
    labels : ndarray of shape (n,) or None
        The class of every training example, from :func:`class_labels`.
    idx : ndarray of shape (batch,)
        Which examples ``a`` belongs to.
    """
    if labels is None:
        return 0
    return int(np.count_nonzero(predicted_labels(a) == labels[idx]))
