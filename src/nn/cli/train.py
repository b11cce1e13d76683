"""``nn train``: train an mlp on a built-in dataset. (``nn evaluate``: :mod:`nn.cli.evaluate`.)"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from nn.cli.advice import diagnose_command, resume_refused
from nn.cli.checks import check_train_options
from nn.cli.evaluate import cmd_evaluate
from nn.cli.images import as_images, built_init
from nn.cli.network_options import network_options
from nn.cli.options import (
    check_model_inputs,
    dataset_of,
    load_dataset,
    make_optimizer,
    network_from_args,
)
from nn.core.network import History, Network
from nn.preprocessing import Standardizer
from nn.train.callbacks import EarlyStopping
from nn.train.checkpoint import CheckpointError
from nn.train.interrupts import HeldInterrupts
from nn.train.progress import duration
from nn.train.safeguards import TrainingDiverged, TrainingInterrupted
from nn.train.threads import ThreadPolicy

# Imported from here before they moved: cmd_evaluate to nn.cli.evaluate, the other two to
# nn.cli.options (nn evaluate and nn diagnose both use them).
__all__ = [
    "TrainResult",
    "check_model_inputs",
    "cmd_evaluate",
    "cmd_train",
    "dataset_of",
    "plot_history",
    "plural",
    "report_training",
    "train_from_args",
]


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
    n_train: int = 0  # examples trained on (the training set less any validation split)
    interrupts: HeldInterrupts | None = None  # Ctrl-C held from the start of training


def train_from_args(
    args: argparse.Namespace, hold: contextlib.ExitStack | None = None
) -> TrainResult:
    """Build, train and test the network that ``nn train``'s options describe.

    The test set is only used for testing when ``--validation-split`` is given; without it,
    the per-epoch lines show the test set's figures (as ``test_loss`` and ``test_accuracy``;
    the history keeps them under ``val_*``), as in Nielsen's demo. With
    ``--standardize`` the scaler is fitted on the training inputs and folded into the first
    layer after training, so the returned (and saved) network takes raw inputs.

    Every option is checked before the data is loaded (:mod:`nn.cli.checks`). With ``hold``,
    Ctrl-C is held (:mod:`nn.train.interrupts`) from the start of training until ``hold`` is
    closed, so that :func:`cmd_train` saves the model before Ctrl-C has its way.
    """
    check_train_options(args)  # before the data is loaded, so a typo costs no time
    every: int | str = "epoch" if args.checkpoint_every is None else args.checkpoint_every
    (X, y), (Xt, yt) = load_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed)
    X, Xt = as_images(args, X, Xt)  # (n, 1, 28, 28) for --cnn
    net, sizes = network_from_args(args, X, y, yt)
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
    threads = ThreadPolicy(args.threads)
    guard = None if hold is None else hold.enter_context(HeldInterrupts())  # until saved
    start = time.perf_counter()
    with warnings.catch_warnings():  # reported by cmd_train as nn's own messages
        warnings.simplefilter("ignore", TrainingDiverged)
        warnings.simplefilter("ignore", TrainingInterrupted)
        try:
            history = net.fit(
                X_fit,
                y,
                epochs=args.epochs,
                batch_size=args.batch_size,
                optimizer=optimizer,
                seed=args.seed,
                verbose=not args.quiet,
                validation_name="val" if args.validation_split else "test",
                callbacks=[stopper] if stopper else [],
                checkpoint=args.checkpoint,
                checkpoint_every=every,
                resume=args.resume,
                threads=threads,
                workers=args.workers,
                **validation,
            )
        except CheckpointError as err:
            raise resume_refused(err, args.checkpoint) from None
    seconds = time.perf_counter() - start
    print(threads.summary())  # what --threads chose, and why
    stopped = history.get("stopped")
    if stopped is not None and stopped["reason"] == "diverged":
        return TrainResult(net, history, None, None, seconds, stopper, stopped, n_train, guard)
    if scaler is not None:
        # the checkpoint (if any) keeps the unfolded weights, which a resumed run expects
        scaler.fold_into(net.layers[0])  # type: ignore[arg-type]
    # what `nn evaluate` needs to test it on the right data (--standardize is folded in
    # above), and the init `nn diagnose --model` must not suggest again
    net.metadata["dataset"] = args.dataset
    net.metadata["init"] = built_init(args)
    if stopped is not None:
        return TrainResult(net, history, None, None, seconds, stopper, stopped, n_train, guard)
    scores = net.evaluate(Xt, yt)
    return TrainResult(
        net, history, scores["loss"], scores["accuracy"], seconds, stopper, None, n_train, guard
    )


def plural(n: int, word: str) -> str:
    """``"1 epoch"``, ``"2 epochs"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


#: Test accuracy within this of 1 / classes counts as guessing: no trained network of the
#: README's recipes comes near it, and a broken run (an absurd learning rate, dead or
#: saturated units) lands on it exactly.
CHANCE_MARGIN = 0.02


def cmd_train(args: argparse.Namespace) -> int:
    """Train an mlp on a built-in dataset; ``--plot FILE`` draws its learning curves.

    From the start of training until the model is saved, Ctrl-C is held: the first stops
    training at the next step boundary, and neither it nor any other cuts the checkpoint or
    the model short while they are written (:mod:`nn.train.interrupts`).
    """
    with contextlib.ExitStack() as hold:
        result = train_from_args(args, hold)
        status = report_training(args, result)
        late = result.interrupts is not None and result.interrupts.requested
    if late and status == 0:  # Ctrl-C after training, while testing or saving: now it stops
        print("\nnn: interrupted after training ended; the model was saved", file=sys.stderr)
        return 130
    if getattr(args, "plot", None):
        plot_history(args, result.history)
    return status


def plot_history(args: argparse.Namespace, history: History) -> None:
    """Draw the learning curves of ``history`` into ``args.plot`` (``nn train --plot FILE``).

    Drawn however training ended, as long as one epoch finished: the curves of a run that
    diverged or was interrupted show how it got there.
    """
    if not history["epoch"]:
        print(f"nn: no epoch finished: no learning curves to draw in {args.plot}", file=sys.stderr)
        return
    from nn.diagnostics.plots import learning_curves

    options = network_options(args)
    learning_curves(
        history,
        title=f"{args.dataset}: {options['activation']} units, {options['loss']} loss, "
        f"{args.optimizer}",
        validation_name="validation" if args.validation_split else "test",
        path=args.plot,
    )
    print(f"Learning curves written to {args.plot}")


def report_training(args: argparse.Namespace, result: TrainResult) -> int:
    """Print how a run of ``nn train`` ended, save the model if asked; the exit status."""
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
    per_epoch = float(np.median(history["seconds"])) if history["seconds"] else 0.0
    acc = result.test_accuracy
    acc_text = (
        f"Test accuracy {acc:.2%}" if acc is not None else f"Test loss {result.test_loss:.4f}"
    )
    print(
        f"{acc_text} after {plural(len(history['epoch']), 'epoch')} "
        f"(median {duration(per_epoch)} per epoch, {duration(result.seconds)} in all)"
    )
    classes = max(net.n_out or 1, 2)  # one sigmoid output unit: two classes
    if acc is not None and acc <= 1 / classes + CHANCE_MARGIN:
        steps = len(history["epoch"]) * math.ceil(result.n_train / args.batch_size)
        print(
            f"nn: note: {acc:.2%} is about what guessing scores with {classes} classes: the "
            f"network did not learn. `{diagnose_command(args, steps)}` probes this run again, "
            "step for step, and says why (learning rate, initialization, saturation, a run "
            "too short).",
            file=sys.stderr,
        )
    if args.save:
        net.save(args.save)
        print(f"Saved to {args.save}; `nn evaluate {args.save}` tests it on {args.dataset}")
    return 0
