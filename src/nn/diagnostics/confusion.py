"""Which classes a network confuses, and its worst mistakes: what ``nn evaluate`` prints.

Plain NumPy, no drawing: :func:`confusion_matrix` counts answers per true class,
:func:`per_class_accuracy` reads each class's share of right answers off it, and
:func:`format_confusion` lays both out as a text table. :func:`confident_mistakes` finds the
examples the network gets wrong while most sure of its answer (the mislabelled and the
ambiguous examples are usually among them); :func:`nn.diagnostics.image_plots.misclassified`
draws them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nn.core.labels import predicted_labels

__all__ = [
    "answer_scores",
    "confident_mistakes",
    "confusion_matrix",
    "format_confusion",
    "per_class_accuracy",
]


def confusion_matrix(
    labels: np.ndarray, predicted: np.ndarray, n_classes: int | None = None
) -> np.ndarray:
    """Counts of (true class, answer) pairs.

    Parameters
    ----------
    labels, predicted : ndarray of shape (n,), int
        The true classes and the network's answers, ``0 .. n_classes - 1``.
    n_classes : int, optional
        Default: one more than the largest class in either.

    Returns
    -------
    ndarray of shape (n_classes, n_classes), int64
        ``matrix[t, p]`` examples of class ``t`` were answered ``p``: rows are the true
        classes, columns the answers, the diagonal the right answers.
    """
    labels = np.asarray(labels, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    if labels.shape != predicted.shape or labels.ndim != 1:
        raise ValueError(
            f"labels and predicted must be 1-D and of one length, got {labels.shape} and "
            f"{predicted.shape}"
        )
    if n_classes is None:
        n_classes = int(max(labels.max(initial=-1), predicted.max(initial=-1))) + 1
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)  # one count per example, repeats included
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """The share of each true class answered right: the diagonal over the row sums.

    Parameters
    ----------
    matrix : ndarray of shape (k, k)
        From :func:`confusion_matrix`.

    Returns
    -------
    ndarray of shape (k,), float64
        NaN for a class with no examples.
    """
    matrix = np.asarray(matrix)
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)


def format_confusion(matrix: np.ndarray, class_names: Sequence[str] | None = None) -> str:
    """The confusion matrix as a text table, with each class's accuracy at the end of its row.

    Parameters
    ----------
    matrix : ndarray of shape (k, k)
        From :func:`confusion_matrix`.
    class_names : sequence of k str, optional
        Written after the class number at the start of each row (Fashion-MNIST's names).

    Returns
    -------
    str
        A title line, a header of answers, and one row per true class::

            true \\ net    0    1 | accuracy
            0           48    2 |   96.0% of 50
            1            5   45 |   90.0% of 50
    """
    matrix = np.asarray(matrix)
    k = len(matrix)
    names = [str(c) if class_names is None else f"{c} {class_names[c]}" for c in range(k)]
    first = max(len("true \\ net"), *(len(name) for name in names))
    width = max(3, len(f"{matrix.max(initial=0):,}"), len(str(k - 1))) + 2
    accuracy = per_class_accuracy(matrix)
    lines = [
        "Confusion matrix: rows are the true classes, columns the network's answers",
        "true \\ net".ljust(first) + "".join(f"{c:>{width}}" for c in range(k)) + " | accuracy",
    ]
    for c in range(k):
        cells = "".join(f"{count:>{width},}" for count in matrix[c])
        total = int(matrix[c].sum())
        acc = f"{accuracy[c]:7.1%} of {total:,}" if total else "      - (no examples)"
        lines.append(f"{names[c].ljust(first)}{cells} | {acc}")
    return "\n".join(lines)


def answer_scores(outputs: np.ndarray) -> np.ndarray:
    """The network's output for its own answer: how sure it is, in the output's units.

    Parameters
    ----------
    outputs : ndarray of shape (n, n_out)
        What :meth:`nn.Network.predict` returned.

    Returns
    -------
    ndarray of shape (n,)
        ``outputs[i, answer_i]``; for a single output unit, ``a`` when the answer is 1 and
        ``1 - a`` when it is 0. A probability for softmax outputs; for sigmoid outputs
        trained on squared error, a number in (0, 1) that only ranks the answers.
    """
    outputs = np.asarray(outputs)
    answers = predicted_labels(outputs)
    if outputs.shape[1] == 1:
        return np.where(answers == 1, outputs[:, 0], 1 - outputs[:, 0])
    return outputs[np.arange(len(outputs)), answers]


def confident_mistakes(outputs: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` wrong answers the network was surest of, surest first.

    Parameters
    ----------
    outputs : ndarray of shape (m, n_out)
        What :meth:`nn.Network.predict` returned for ``m`` examples.
    labels : ndarray of shape (m,), int
        Their true classes.
    n : int
        How many to return at most (fewer when there are fewer mistakes).

    Returns
    -------
    ndarray of shape (min(n, mistakes),), int64
        Indices of examples answered wrong, by :func:`answer_scores` from high to low (ties
        in index order).
    """
    wrong = np.flatnonzero(predicted_labels(np.asarray(outputs)) != np.asarray(labels))
    order = np.argsort(-answer_scores(outputs)[wrong], kind="stable")
    return wrong[order][:n].astype(np.int64)
