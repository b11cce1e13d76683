"""nn's NNClassifier beside scikit-learn's MLPClassifier: same data, same network, same settings.

Both train on the embedded digits (8,000 training and 2,000 test images, 784 pixels in
[0, 1]), with the same architecture and the same settings under the same names
(``hidden_layer_sizes``, ReLU, Adam with ``learning_rate_init``, ``alpha``, ``batch_size``,
``max_iter`` epochs), for exactly ``--epochs`` epochs each (``tol`` stopping switched off
with ``n_iter_no_change=max_iter``). Reported: test accuracy, fit seconds (wall clock, and
CPU time of the process, BLAS threads included: the steadier figure on a busy machine),
predict milliseconds, the medians over ``--runs`` runs (run ``r`` uses ``random_state=r`` for
both; the two alternate within each run, so a slow spell of a shared machine hits both alike).

scikit-learn keeps float32 data in float32, so ``--dtype`` sets both: the data's dtype, and
``NNClassifier(dtype=...)``. What differs besides the code: the initial weights (scikit-learn
draws its biases at random too, nn starts them at 0), and where Adam's ``epsilon`` enters
(inside or outside the bias correction). Both use the same NumPy and BLAS.

    python benchmarks/sklearn_compare.py                    # float32, 20 epochs, 3 runs
    python benchmarks/sklearn_compare.py --dtype float64 --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import nn


def _contenders(args: argparse.Namespace) -> dict[str, Callable[[int], Any]]:
    from sklearn.neural_network import MLPClassifier

    from nn.sklearn import NNClassifier

    same = dict(
        hidden_layer_sizes=tuple(args.hidden),
        activation="relu",
        solver="adam",
        alpha=args.alpha,
        batch_size=args.batch_size,
        learning_rate_init=args.lr,
        max_iter=args.epochs,
        n_iter_no_change=args.epochs,  # never stop before max_iter
    )
    return {
        "nn NNClassifier": lambda seed: NNClassifier(**same, random_state=seed, dtype=args.dtype),
        "sklearn MLPClassifier": lambda seed: MLPClassifier(**same, random_state=seed),
    }


def _one(make: Callable[[int], Any], seed: int, data: tuple) -> tuple[float, ...]:
    """(test accuracy, fit seconds, fit CPU seconds, predict seconds) of one fit."""
    X, y, Xt, yt = data
    model = make(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter is the plan here
        start, cpu = time.perf_counter(), time.process_time()
        model.fit(X, y)
        fit, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    predicted = model.predict(Xt)
    predict = time.perf_counter() - start
    return float(np.mean(predicted == yt)), fit, fit_cpu, predict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs; medians reported (default 3)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per fit (default 20)")
    parser.add_argument(
        "--hidden", type=int, nargs="+", default=[100], help="hidden layer sizes (default 100)"
    )
    parser.add_argument("--batch-size", type=int, default=200, help="(default 200)")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning_rate_init (1e-3)")
    parser.add_argument("--alpha", type=float, default=1e-4, help="L2 penalty (default 1e-4)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.epochs < 1:
        parser.error("--runs and --epochs must be at least 1")
    (X, y), (Xt, yt) = nn.datasets.digits()
    data = (X.astype(args.dtype), y, Xt.astype(args.dtype), yt)
    contenders = _contenders(args)
    results: dict[str, list[tuple[float, ...]]] = {name: [] for name in contenders}
    for run in range(args.runs):
        order = list(contenders) if run % 2 == 0 else list(reversed(contenders))
        for name in order:
            results[name].append(_one(contenders[name], run, data))
    print(
        f"digits: {len(X):,} training, {len(Xt):,} test images; [784, "
        f"{', '.join(map(str, args.hidden))}, 10] ReLU, Adam lr={args.lr:g}, "
        f"alpha={args.alpha:g}, batch {args.batch_size}, {args.epochs} epochs, {args.dtype}; "
        f"medians of {args.runs} runs"
    )
    print(f"{'':24}{'test accuracy':>14}{'fit (s)':>10}{'fit CPU (s)':>13}{'predict (ms)':>14}")
    for name, rows in results.items():
        acc, fit, cpu, pred = (statistics.median(column) for column in zip(*rows))
        print(f"{name:24}{acc:14.4f}{fit:10.2f}{cpu:13.2f}{pred * 1000:14.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
