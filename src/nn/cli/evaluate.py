"""``nn evaluate MODEL``: a saved model's scores, confusion matrix and worst mistakes."""

from __future__ import annotations

import argparse

import numpy as np

from nn.cli.demo import show_digits
from nn.cli.images import shaped_for
from nn.cli.options import (
    DATASET_INPUTS,
    check_matplotlib,
    check_model_inputs,
    dataset_of,
    load_dataset,
)
from nn.core.labels import predicted_labels
from nn.core.validation import check_positive_int
from nn.datasets import FASHION_MNIST_CLASSES
from nn.diagnostics.confusion import (
    answer_scores,
    confident_mistakes,
    confusion_matrix,
    format_confusion,
)
from nn.io.model_file import load
from nn.io.paths import check_output_file

#: Mistakes drawn by ``--misclassified-png`` when ``--misclassified`` does not say how many.
PNG_MISTAKES = 24


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a saved model on a dataset's test split.

    Prints the loss and accuracy, then (for classes) the confusion matrix with each class's
    accuracy, and, with ``--misclassified N``, the N mistakes the model is surest of (as
    terminal art for images); ``--misclassified-png FILE`` draws them into a PNG instead.
    """
    png = args.misclassified_png
    if args.misclassified is not None:
        check_positive_int("--misclassified", args.misclassified)
    if png is not None:  # "" too: an error, not "do not draw"
        check_output_file("--misclassified-png", png)  # a typo first: no matplotlib needed
        check_matplotlib("--misclassified-png")
    net = load(args.model)
    dataset = dataset_of(net, args.model, args.dataset)
    if png is not None and DATASET_INPUTS[dataset] != 28 * 28:
        raise ValueError(
            f"--misclassified-png draws 28 x 28 images, and {dataset} examples are points in "
            "the plane; list the mistakes with --misclassified N instead"
        )
    _, (Xt, yt) = load_dataset(dataset, data_dir=args.data_dir, seed=args.seed)
    check_model_inputs(net, args.model, dataset, Xt.shape[1])
    Xt = shaped_for(net, Xt)  # (n, 1, 28, 28) for a saved CNN
    scores = net.evaluate(Xt, yt)
    acc = scores["accuracy"]
    acc_text = f", accuracy {acc:.2%}" if acc is not None else ""
    print(
        f"{args.model} on {dataset} ({len(Xt):,} test examples): "
        f"loss {scores['loss']:.4f}{acc_text}"
    )
    if acc is None:  # targets that are not classes: nothing to count
        return 0
    outputs = net.predict(Xt)
    names = FASHION_MNIST_CLASSES if dataset == "fashion-mnist" else None
    n_classes = max(outputs.shape[1], 2)  # one sigmoid output unit: classes 0 and 1
    matrix = confusion_matrix(yt, predicted_labels(outputs), n_classes)
    print("\n" + format_confusion(matrix, names))
    if args.misclassified is None and png is None:
        return 0
    wanted = args.misclassified or PNG_MISTAKES
    worst = confident_mistakes(outputs, yt, wanted)
    if len(worst) == 0:
        print("\nNo mistakes: every test example is classified right.")
        return 0
    if args.misclassified is not None:
        print("\n" + mistakes_text(Xt, yt, outputs, worst, names))
    if png is not None:
        from nn.diagnostics.image_plots import misclassified

        answers = predicted_labels(outputs[worst])
        misclassified(
            Xt[worst], yt[worst], answers, answer_scores(outputs[worst]), class_names=names,
            title=f"{dataset}: the {len(worst)} mistakes {args.model} is surest of", path=png,
        )  # fmt: skip
        print(f"\nThe {len(worst)} mistakes drawn in {png}")
    return 0


def mistakes_text(
    X: np.ndarray,
    y: np.ndarray,
    outputs: np.ndarray,
    worst: np.ndarray,
    class_names: tuple[str, ...] | None = None,
) -> str:
    """The mistakes ``worst`` as a numbered list, then as terminal art when they are images.

    Parameters
    ----------
    X : ndarray of shape (n, n_in)
        The test inputs; 784 of them are drawn as 28 x 28 images (:func:`show_digits`).
    y : ndarray of shape (n,)
        Their true classes.
    outputs : ndarray of shape (n, n_out)
        The network's outputs for them.
    worst : ndarray of int
        Indices of the mistakes to show, from :func:`confident_mistakes`.
    class_names : tuple of str, optional
    """

    def name(k: int) -> str:
        return f"{k} ({class_names[k]})" if class_names is not None else str(k)

    answers, scores = predicted_labels(outputs[worst]), answer_scores(outputs[worst])
    n_wrong = int(np.count_nonzero(predicted_labels(outputs) != y))
    lines = [
        f"The {len(worst)} mistakes (of {n_wrong:,}) the network is surest of, with its output "
        "for its answer:"
    ]
    width = len(str(len(X) - 1))
    for rank, (i, answer, score) in enumerate(zip(worst, answers, scores), start=1):
        where = f" at ({X[i, 0]:.3g}, {X[i, 1]:.3g})" if X.shape[1] == 2 else ""
        lines.append(
            f"{rank:>3}. test example {i:>{width}}{where}: true {name(int(y[i]))}, "
            f"net {name(int(answer))} ({score:.3f})"
        )
    if X.shape[1] == 28 * 28:
        lines += ["", show_digits(X[worst], y[worst], answers)]
    return "\n".join(lines)
