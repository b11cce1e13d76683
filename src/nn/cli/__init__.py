"""The ``nn`` command: the demo, training, evaluation and gradient checks from a shell.

``nn`` with no arguments runs the demo. ``nn --help`` and ``nn COMMAND --help`` list the rest.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nn import datasets
from nn.callbacks import EarlyStopping
from nn.gradcheck import check_gradients
from nn.initializers import DEFAULT_INIT, INITIALIZERS
from nn.mlp import mlp
from nn.network import History, Network
from nn.optimizers import SGD, Adam, Optimizer, RMSProp
from nn.preprocessing import Standardizer
from nn.registry import ACTIVATIONS, LOSSES, snake_case
from nn.safeguards import TrainingDiverged, TrainingInterrupted
from nn.schedules import CosineDecay, Schedule, StepDecay
from nn.serialize import ModelFileError, load
from nn.validation import check_learning_rate, check_positive_int

DATASETS = ("digits", "mnist", "fashion-mnist", "xor", "moons", "circles", "spirals")

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def load_dataset(name: str, *, data_dir: str | None = None, seed: int = 0) -> Split:
    """``((X_train, y_train), (X_test, y_test))`` for a built-in dataset name.

    The 2-D toy sets draw their test set from the same distribution with another seed
    (XOR's four points are both).
    """
    if name == "digits":
        return datasets.digits()
    if name == "mnist":
        return datasets.mnist(data_dir)
    if name == "fashion-mnist":
        return datasets.fashion_mnist(data_dir)
    if name == "xor":
        X, y = datasets.xor()
        return (X, y), (X, y)
    gen = {"moons": datasets.moons, "circles": datasets.circles, "spirals": datasets.spirals}
    if name in gen:
        return gen[name](seed=seed), gen[name](seed=seed + 1)
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


def digit_art(image: np.ndarray) -> list[str]:
    """A 28x28 grey-level image in [0, 1] as 10 lines of 20 characters.

    MNIST centres each digit in the middle 20x20 pixels, so only those are drawn; each
    character covers two pixel rows (terminal cells are about twice as tall as wide).
    """
    img = np.asarray(image, dtype=np.float64).reshape(28, 28)[4:24, 4:24]
    pairs = (img[0::2] + img[1::2]) / 2  # (10, 20)
    ramp = " .:-=+*#%@"
    idx = np.clip((pairs * (len(ramp) - 1)).round().astype(int), 0, len(ramp) - 1)
    return ["".join(ramp[i] for i in row) for row in idx]


def show_digits(
    images: np.ndarray, labels: np.ndarray, predicted: np.ndarray, per_row: int = 3
) -> str:
    """Digits side by side, ``per_row`` at a time, each with its true and predicted label."""
    blocks = []
    for start in range(0, len(images), per_row):
        arts = [digit_art(img) for img in images[start : start + per_row]]
        lines = ["   ".join(art[r] for art in arts).rstrip() for r in range(10)]
        captions = []
        for t, p in zip(labels[start : start + per_row], predicted[start : start + per_row]):
            captions.append(f"true {t}, net {p}{'' if t == p else ' (!)'}".ljust(20))
        lines.append("   ".join(captions).rstrip())
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _sizes(text: str | None, n_in: int, n_out: int) -> list[int]:
    if text is None:
        return [n_in, 30, n_out]
    try:
        sizes = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        msg = f"nn: --sizes must be integers separated by commas, got {text!r}"
        raise SystemExit(msg) from None
    if len(sizes) < 2 or sizes[0] != n_in or sizes[-1] != n_out:
        raise SystemExit(
            f"nn: --sizes {text} does not fit the data: it must start with {n_in} (inputs) "
            f"and end with {n_out} (classes), e.g. {n_in},30,{n_out}"
        )
    return sizes


def cmd_demo(args: argparse.Namespace) -> int:
    """The seed's network learns the embedded digits."""
    check_positive_int("--epochs", args.epochs)
    (X, y), (Xt, yt) = datasets.digits()
    print(
        "The seed network: [784, 30, 10], sigmoid units, squared-error loss, trained by SGD\n"
        f"with mini-batches of 10 and eta = 3.0 on {len(X):,} handwritten digits; accuracy is\n"
        f"measured on {len(Xt):,} digits it never trains on.\n"
    )
    net = mlp([784, 30, 10], seed=args.seed)
    start = time.perf_counter()
    history = net.fit(
        X,
        y,
        epochs=args.epochs,
        batch_size=10,
        lr=3.0,
        validation_data=(Xt, yt),
        seed=args.seed,
        verbose=not args.quiet,
    )
    seconds = time.perf_counter() - start
    acc = history["val_accuracy"][-1]
    print(f"\nTest accuracy {acc:.2%} after {len(history['epoch'])} epochs ({seconds:.1f} s).\n")
    rng = np.random.default_rng(args.seed)
    pick = rng.choice(len(Xt), size=6, replace=False)
    print(show_digits(Xt[pick], yt[pick], net.classify(Xt[pick])))
    print(
        "\nNext: `nn train --init normal` starts from N(0, 1) weights and learns slower; "
        "`nn --help` lists the rest."
    )
    return 0


#: Default learning rate of each ``--optimizer``: the seed's 3.0 for plain SGD; momentum
#: multiplies the effective step by about 1 / (1 - mu) = 10, so a tenth of it; Adam and
#: RMSProp normalize the step, and 0.001 is their papers' default.
DEFAULT_LR = {"sgd": 3.0, "momentum": 0.3, "nesterov": 0.3, "rmsprop": 0.001, "adam": 0.001}


def make_schedule(text: str | None, epochs: int, steps_per_epoch: int) -> Schedule | None:
    """The ``--schedule`` option: ``cosine`` or ``step:EPOCHS[:FACTOR]``, in optimizer steps."""
    if text is None or text == "constant":
        return None
    if text == "cosine":
        return CosineDecay(total=epochs * steps_per_epoch)
    parts = text.split(":")
    if parts[0] == "step" and len(parts) in (2, 3):
        try:
            every = int(parts[1])
            factor = float(parts[2]) if len(parts) == 3 else 0.5
        except ValueError:
            pass
        else:
            return StepDecay(every=every * steps_per_epoch, factor=factor)
    raise ValueError(
        f"--schedule {text!r} is not understood; use constant, cosine, or step:EPOCHS[:FACTOR] "
        "(e.g. step:10:0.5 halves the learning rate every 10 epochs)"
    )


def make_optimizer(args: argparse.Namespace, steps_per_epoch: int) -> Optimizer:
    """The optimizer the ``train`` options describe."""
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    common = {
        "weight_decay": args.weight_decay,
        "clip_norm": args.clip_norm,
        "schedule": make_schedule(args.schedule, args.epochs, steps_per_epoch),
    }
    if args.optimizer == "adam":
        return Adam(lr, **common)
    if args.optimizer == "rmsprop":
        return RMSProp(lr, **common)
    if args.optimizer in ("momentum", "nesterov"):
        return SGD(lr, args.momentum, nesterov=args.optimizer == "nesterov", **common)
    return SGD(lr, **common)


@dataclass
class TrainResult:
    """What ``nn train`` measured: the trained network, its history and its test scores."""

    network: Network
    history: History
    test_loss: float | None  # None when training stopped early (diverged or interrupted)
    test_accuracy: float | None
    seconds: float  # wall time of fit (data loading and the final evaluation excluded)
    early_stopping: EarlyStopping | None
    stopped: dict[str, Any] | None  # history["stopped"]: why fit ended early, if it did


def train_from_args(args: argparse.Namespace) -> TrainResult:
    """Build, train and test the network that ``nn train``'s options describe.

    The test set is only used for testing when ``--validation-split`` is given; without it,
    the per-epoch validation lines show the test set, as in Nielsen's demo. With
    ``--standardize`` the scaler is fitted on the training inputs and folded into the first
    layer after training, so the returned (and saved) network takes raw inputs.
    """
    # Checked before the data is loaded, so a typo costs no time.
    check_positive_int("--epochs", args.epochs)
    check_positive_int("--batch-size", args.batch_size)
    if args.lr is not None:
        check_learning_rate("--lr", args.lr)
    every: int | str = "epoch"
    if args.checkpoint_every is not None:
        every = check_positive_int("--checkpoint-every", args.checkpoint_every)
    if args.resume and not args.checkpoint:
        raise ValueError("--resume continues from --checkpoint PATH; give --checkpoint too")
    if args.early_stopping is not None and not args.validation_split:
        raise ValueError(
            "--early-stopping watches the validation loss and needs a validation set held "
            "out of the training data: add --validation-split 0.1 (stopping on the test set "
            "would make the test accuracy optimistic)"
        )
    (X, y), (Xt, yt) = load_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed)
    n_classes = int(max(y.max(), yt.max())) + 1
    n_out = 1 if n_classes == 2 and args.dataset != "digits" else n_classes
    sizes = _sizes(args.sizes, X.shape[1], n_out)
    net = mlp(
        sizes,
        activation=args.activation,
        loss=args.loss,
        output_activation=args.output_activation,
        init=args.init,
        dropout=args.dropout,
        seed=args.seed,
        dtype=np.dtype(args.dtype),
    )
    scaler = Standardizer(per_feature=False) if args.standardize else None
    X_fit = scaler.fit_transform(X) if scaler is not None else X
    n_train = len(X) - (round(args.validation_split * len(X)) if args.validation_split else 0)
    optimizer = make_optimizer(args, math.ceil(n_train / args.batch_size))
    stopper = EarlyStopping(patience=args.early_stopping) if args.early_stopping else None
    print(
        f"{args.dataset}: {len(X):,} training and {len(Xt):,} test examples; network {sizes}; "
        f"{optimizer!r}"
    )
    if args.resume and not os.path.exists(args.checkpoint):
        print(f"No checkpoint at {args.checkpoint} yet: starting from the beginning")
    elif args.resume and args.quiet:  # fit says so itself when not quiet
        print(f"Resuming from {args.checkpoint}")
    validation: dict[str, Any] = {"validation_split": args.validation_split}
    if not args.validation_split:
        validation = {"validation_data": (scaler.transform(Xt) if scaler else Xt, yt)}
    start = time.perf_counter()
    with warnings.catch_warnings():  # reported by cmd_train as nn's own messages
        warnings.simplefilter("ignore", TrainingDiverged)
        warnings.simplefilter("ignore", TrainingInterrupted)
        history = net.fit(
            X_fit,
            y,
            epochs=args.epochs,
            batch_size=args.batch_size,
            optimizer=optimizer,
            seed=args.seed,
            verbose=not args.quiet,
            callbacks=[stopper] if stopper else [],
            checkpoint=args.checkpoint,
            checkpoint_every=every,
            resume=args.resume,
            **validation,
        )
    seconds = time.perf_counter() - start
    stopped = history.get("stopped")
    if stopped is not None and stopped["reason"] == "diverged":
        return TrainResult(net, history, None, None, seconds, stopper, stopped)
    if scaler is not None:
        # the checkpoint (if any) keeps the unfolded weights, which a resumed run expects
        scaler.fold_into(net.layers[0])  # type: ignore[arg-type]
    if stopped is not None:
        return TrainResult(net, history, None, None, seconds, stopper, stopped)
    scores = net.evaluate(Xt, yt)
    return TrainResult(net, history, scores["loss"], scores["accuracy"], seconds, stopper, None)


def cmd_train(args: argparse.Namespace) -> int:
    """Train an mlp on a built-in dataset."""
    result = train_from_args(args)
    net, history, stopped = result.network, result.history, result.stopped
    if stopped is not None and stopped["reason"] == "diverged":
        print(f"nn: {stopped['message']}\nnn: the model was not saved", file=sys.stderr)
        return 1
    if stopped is not None:
        print(
            f"\nnn: interrupted in epoch {stopped['epoch']} after step {stopped['step']}; "
            "the network keeps the weights of that step",
            file=sys.stderr,
        )
        if args.checkpoint:
            print(
                f"nn: checkpoint written to {args.checkpoint}; run the same command with "
                "--resume to continue",
                file=sys.stderr,
            )
        if args.save:
            net.save(args.save)
            print(f"nn: the weights so far were saved to {args.save}", file=sys.stderr)
        return 130  # the shell's status for a run stopped by Ctrl-C
    stopper = result.early_stopping
    if stopper is not None and stopper.best_epoch is not None:
        why = f"stopped after epoch {stopper.stopped_epoch}" if stopper.stopped_epoch else "ran"
        print(
            f"Early stopping: {why}; kept epoch {stopper.best_epoch} "
            f"(val_loss {stopper.best:.4f}), the best"
        )
    per_epoch = float(np.median(history["seconds"]))
    acc = result.test_accuracy
    acc_text = (
        f"Test accuracy {acc:.2%}" if acc is not None else f"Test loss {result.test_loss:.4f}"
    )
    print(
        f"{acc_text} after {len(history['epoch'])} epochs "
        f"(median {per_epoch:.2f} s per epoch, {result.seconds:.1f} s in all)"
    )
    if args.save:
        net.save(args.save)
        print(f"Saved to {args.save}; `nn evaluate {args.save} --dataset {args.dataset}` reads it")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a saved model on a dataset's test split."""
    net = load(args.model)
    _, (Xt, yt) = load_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed)
    if net.n_in is not None and Xt.shape[1] != net.n_in:
        raise ValueError(
            f"{args.model} takes {net.n_in} inputs but {args.dataset} examples have "
            f"{Xt.shape[1]} features; evaluate it on the dataset it was trained on"
        )
    scores = net.evaluate(Xt, yt)
    acc = scores["accuracy"]
    acc_text = f", accuracy {acc:.2%}" if acc is not None else ""
    print(
        f"{args.model} on {args.dataset} ({len(Xt):,} test examples): "
        f"loss {scores['loss']:.4f}{acc_text}"
    )
    return 0


def cmd_gradcheck(args: argparse.Namespace) -> int:
    """Backprop against finite differences on a random float64 network and batch."""
    check_positive_int("--batch", args.batch)
    if args.eps is not None:
        check_learning_rate("--eps", args.eps)
    if args.max_entries is not None:
        check_positive_int("--max-entries", args.max_entries)
    rng = np.random.default_rng(args.seed)
    if args.model:
        net: Network = load(args.model)
    else:
        try:
            sizes = [int(s) for s in args.sizes.split(",")]
        except ValueError:
            raise ValueError(
                f"--sizes must be integers separated by commas, e.g. 5,4,3; got {args.sizes!r}"
            ) from None
        net = mlp(sizes, activation=args.activation, loss=args.loss, seed=rng, dtype=np.float64)
    n_in, n_out = net.n_in, net.n_out
    X = rng.standard_normal((args.batch, n_in))
    Y = rng.random((args.batch, n_out))
    report = check_gradients(
        net, X, Y, eps=args.eps, order=args.order, max_entries=args.max_entries, seed=rng
    )
    print(f"Gradient check of {net!r}\non a random batch of {args.batch} (float64)\n")
    print(report)
    return 0 if report.passed(args.tol) else 1


def cmd_bench(args: argparse.Namespace) -> int:
    """Time backprop against the slow ways to the same gradient (``nn.reference``)."""
    from nn.reference import report

    return report.run(args)


def cmd_diagnose(args: argparse.Namespace) -> int:
    """A short probe training of a configuration or a saved model, read by the doctor."""
    from nn.doctor import diagnose

    for name in ("--steps", "--batch-size", "--probe-size"):
        check_positive_int(name, getattr(args, name[2:].replace("-", "_")))
    if args.lr is not None:
        check_learning_rate("--lr", args.lr)
    (X, y), (Xt, yt) = load_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed)
    if args.model:
        net = load(args.model)
        what = f"the model in {args.model}"
    else:
        n_classes = int(max(y.max(), yt.max())) + 1
        n_out = 1 if n_classes == 2 and args.dataset != "digits" else n_classes
        sizes = _sizes(args.sizes, X.shape[1], n_out)
        net = mlp(
            sizes,
            activation=args.activation,
            loss=args.loss,
            output_activation=args.output_activation,
            init=args.init,
            dropout=args.dropout,
            seed=args.seed,
            dtype=np.dtype(args.dtype),
        )
        what = (
            f"mlp({sizes}, activation={args.activation!r}, loss={args.loss!r}, init={args.init!r})"
        )
    if args.standardize:
        scaler = Standardizer(per_feature=False)
        X, Xt = scaler.fit_transform(X), None if Xt is None else scaler.transform(Xt)
    # a probe is a few hundred steps: no learning-rate schedule
    optimizer = make_optimizer(
        argparse.Namespace(**{**vars(args), "schedule": None, "epochs": 1}), 1
    )
    pick = np.random.default_rng(args.seed).permutation(len(Xt))[: args.probe_size]
    snaps = tuple(sorted({0} | {args.steps // 3**k for k in range(4)})) if args.plots else ()
    print(f"Diagnosing {what} on {args.dataset}.")
    report = diagnose(
        net,
        X,
        y,
        optimizer=optimizer,
        batch_size=args.batch_size,
        steps=args.steps,
        every=args.every,
        probe=(Xt[pick], yt[pick]),
        seed=args.seed,
        fresh=not args.model,
        experiments=not args.no_experiments,
        snapshot_steps=snaps,
    )
    print(report)
    if args.json:
        report.to_json(args.json)
        print(f"\nFindings and measurements written to {args.json}")
    if args.plots:
        from nn.plots import report_plots

        paths = report_plots(report, args.plots)
        print(f"Pictures written to {args.plots}: {', '.join(os.path.basename(p) for p in paths)}")
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``nn`` command."""
    parser = argparse.ArgumentParser(
        prog="nn",
        description="Neural networks from scratch. With no command, runs the demo.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="the seed network learns handwritten digits (default)")
    demo.add_argument("--epochs", type=int, default=10)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=cmd_demo)

    acts = [snake_case(k) for k in ACTIVATIONS]
    losses = [snake_case(k) for k in LOSSES]
    train = sub.add_parser("train", help="train an mlp on a built-in dataset")
    train.add_argument("--dataset", choices=DATASETS, default="digits")
    train.add_argument("--data-dir", help="directory with the IDX files (mnist, fashion-mnist)")
    train.add_argument("--sizes", help="layer sizes, e.g. 784,30,10 (default: inputs,30,classes)")
    train.add_argument("--activation", choices=acts, default="sigmoid")
    train.add_argument(
        "--output-activation",
        choices=acts,
        help="activation of the output layer (default: --activation; none for "
        "softmax_cross_entropy, which takes logits)",
    )
    train.add_argument("--loss", choices=losses, default="squared_error")
    train.add_argument("--init", choices=list(INITIALIZERS), default=DEFAULT_INIT)
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--batch-size", type=int, default=10)
    train.add_argument(
        "--optimizer", choices=list(DEFAULT_LR), default="sgd", help="update rule (default sgd)"
    )
    train.add_argument(
        "--lr",
        type=float,
        help="learning rate eta (default: 3.0 for sgd, 0.3 with momentum, 0.001 for "
        "rmsprop and adam)",
    )
    train.add_argument(
        "--momentum", type=float, default=0.9, help="mu for momentum and nesterov (default 0.9)"
    )
    train.add_argument(
        "--weight-decay",
        type=float,
        default=0.0,
        help="L2 coefficient lambda/n on weights, not biases (Nielsen's lambda=5 on 50,000 "
        "images is 1e-4)",
    )
    train.add_argument("--clip-norm", type=float, help="cap on the gradient's global norm")
    train.add_argument(
        "--schedule",
        help="learning-rate schedule: constant (default), cosine (to 0 over the run), or "
        "step:EPOCHS[:FACTOR] (multiply by FACTOR, default 0.5, every EPOCHS epochs)",
    )
    train.add_argument(
        "--dropout", type=float, default=0.0, help="dropout rate after each hidden layer"
    )
    train.add_argument(
        "--validation-split",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="hold out this fraction of the training set (seeded by --seed) for validation",
    )
    train.add_argument(
        "--early-stopping",
        type=int,
        metavar="PATIENCE",
        help="stop after PATIENCE epochs without a better validation loss and keep the best "
        "epoch's weights (needs --validation-split)",
    )
    train.add_argument(
        "--standardize",
        action="store_true",
        help="scale inputs to mean 0, standard deviation 1 (statistics of the training set); "
        "folded into the first layer afterwards, so a saved model takes raw inputs",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    train.add_argument("--save", metavar="PATH", help="save the trained model to PATH (.npz)")
    train.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="write a checkpoint to PATH (.npz) after each epoch and on Ctrl-C",
    )
    train.add_argument(
        "--checkpoint-every",
        type=int,
        metavar="STEPS",
        help="write the checkpoint every STEPS mini-batches instead of every epoch",
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue the run saved in --checkpoint (identical result to an uninterrupted run)",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(func=cmd_train)

    ev = sub.add_parser("evaluate", help="evaluate a saved model on a dataset's test split")
    ev.add_argument("model", help="path of a model saved by `nn train --save`")
    ev.add_argument("--dataset", choices=DATASETS, default="digits")
    ev.add_argument("--data-dir")
    ev.add_argument("--seed", type=int, default=0)
    ev.set_defaults(func=cmd_evaluate)

    dg = sub.add_parser(
        "diagnose",
        help="a short probe training that says what is wrong and what to try",
        description="Train a copy of a network for a few hundred steps, measuring every layer, "
        "and print the problems found with their evidence and a suggestion. The network and "
        "optimizer options are those of `nn train`. Exit status 0 when no problem is found, 1 "
        "otherwise.",
    )
    dg.add_argument("--dataset", choices=DATASETS, default="digits")
    dg.add_argument("--data-dir", help="directory with the IDX files (mnist, fashion-mnist)")
    dg.add_argument("--model", help="diagnose a saved model (its weights, trained further)")
    dg.add_argument("--sizes", help="layer sizes, e.g. 784,30,10 (default: inputs,30,classes)")
    dg.add_argument("--activation", choices=acts, default="sigmoid")
    dg.add_argument("--output-activation", choices=acts, help="as for nn train")
    dg.add_argument("--loss", choices=losses, default="squared_error")
    dg.add_argument("--init", choices=list(INITIALIZERS), default=DEFAULT_INIT)
    dg.add_argument("--dropout", type=float, default=0.0, help="as for nn train")
    dg.add_argument("--standardize", action="store_true", help="as for nn train")
    dg.add_argument("--batch-size", type=int, default=10)
    dg.add_argument("--optimizer", choices=list(DEFAULT_LR), default="sgd")
    dg.add_argument("--lr", type=float, help="learning rate (default: as for nn train)")
    dg.add_argument("--momentum", type=float, default=0.9)
    dg.add_argument("--weight-decay", type=float, default=0.0)
    dg.add_argument("--clip-norm", type=float)
    dg.add_argument("--seed", type=int, default=0)
    dg.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    dg.add_argument("--steps", type=int, default=300, help="mini-batch steps of the probe")
    dg.add_argument("--every", type=int, help="record every N steps (default: about 30 records)")
    dg.add_argument("--probe-size", type=int, default=500, help="held-out examples measured")
    dg.add_argument(
        "--no-experiments",
        action="store_true",
        help="do not retrain with 10x lower/higher learning rates when the loss stalls",
    )
    dg.add_argument("--json", metavar="FILE", help="write findings and measurements as JSON")
    dg.add_argument("--plots", metavar="DIR", help="write the pictures as PNG files into DIR")
    dg.set_defaults(func=cmd_diagnose)

    gc = sub.add_parser("gradcheck", help="check backprop against finite differences")
    gc.add_argument("--sizes", default="5,4,3", help="layer sizes of a random network")
    gc.add_argument("--activation", choices=acts, default="sigmoid")
    gc.add_argument("--loss", choices=losses, default="squared_error")
    gc.add_argument("--model", help="check a saved model instead of a random one")
    gc.add_argument("--batch", type=int, default=7, help="examples in the random batch")
    gc.add_argument("--eps", type=float, default=None, help="nudge (default 1e-3 / 1e-5)")
    gc.add_argument("--order", type=int, choices=[2, 4], default=4, help="finite-difference order")
    gc.add_argument("--max-entries", type=int, default=None, help="entries checked per tensor")
    gc.add_argument("--tol", type=float, default=1e-6, help="largest relative error passed")
    gc.add_argument("--seed", type=int, default=0)
    gc.set_defaults(func=cmd_gradcheck)

    bench = sub.add_parser("bench", help="measure how fast backprop is, and why")
    what = bench.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    bp = what.add_parser(
        "backprop",
        help="seconds per gradient: finite differences, unmemoized chain rule, backprop",
        description="Time one gradient by five routes on ladders of networks; print tables of "
        "seconds, speed-ups and growth with W. See docs/why-backprop-is-fast.md.",
    )
    from nn.reference.report import add_arguments

    add_arguments(bp)
    bp.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nn`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["demo", *(argv or [])])
    try:
        return int(args.func(args))
    except (ValueError, TypeError, FileNotFoundError, ModelFileError, OSError) as err:
        print(f"nn: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nnn: interrupted", file=sys.stderr)
        return 130
