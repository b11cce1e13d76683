"""``nn train`` and ``nn evaluate``: train an mlp on a built-in dataset, score a saved one."""

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
from nn.cli.options import (
    DATASET_INPUTS,
    DATASETS,
    load_dataset,
    make_optimizer,
    network_from_args,
    network_options,
)
from nn.core.network import History, Network
from nn.io.model_file import load
from nn.preprocessing import Standardizer
from nn.train.callbacks import EarlyStopping
from nn.train.checkpoint import CheckpointError
from nn.train.interrupts import HeldInterrupts
from nn.train.progress import duration
from nn.train.safeguards import TrainingDiverged, TrainingInterrupted


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
                **validation,
            )
        except CheckpointError as err:
            raise resume_refused(err, args.checkpoint) from None
    seconds = time.perf_counter() - start
    stopped = history.get("stopped")
    if stopped is not None and stopped["reason"] == "diverged":
        return TrainResult(net, history, None, None, seconds, stopper, stopped, n_train, guard)
    if scaler is not None:
        # the checkpoint (if any) keeps the unfolded weights, which a resumed run expects
        scaler.fold_into(net.layers[0])  # type: ignore[arg-type]
    # what `nn evaluate` needs to test it on the right data (--standardize is folded in
    # above), and the init `nn diagnose --model` must not suggest again
    net.metadata["dataset"] = args.dataset
    net.metadata["init"] = network_options(args)["init"]
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
    """Train an mlp on a built-in dataset.

    From the start of training until the model is saved, Ctrl-C is held: the first stops
    training at the next step boundary, and neither it nor any other cuts the checkpoint or
    the model short while they are written (:mod:`nn.train.interrupts`).
    """
    with contextlib.ExitStack() as hold:
        result = train_from_args(args, hold)
        status = _report(args, result)
        late = result.interrupts is not None and result.interrupts.requested
    if late and status == 0:  # Ctrl-C after training, while testing or saving: now it stops
        print("\nnn: interrupted after training ended; the model was saved", file=sys.stderr)
        return 130
    return status


def _report(args: argparse.Namespace, result: TrainResult) -> int:
    """Say how training ended, save the model if asked, and return the exit status."""
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


def dataset_of(net: Network, path: str, dataset: str | None) -> str:
    """The dataset to use with the model saved in ``path``.

    Parameters
    ----------
    net : Network
        The model loaded from ``path``; ``nn train --save`` records its dataset in
        ``net.metadata["dataset"]`` (models saved by older versions have none).
    path : str
        Where the model was loaded from, for the warning.
    dataset : str or None
        The ``--dataset`` the user gave, if any.

    Returns
    -------
    str
        ``dataset`` if given, else the recorded one, else ``"digits"``. A warning is printed
        to stderr when the given dataset is not the recorded one; :func:`check_model_inputs`
        then catches a dataset whose examples the model cannot take.
    """
    trained_on = net.metadata.get("dataset")  # None for models saved by older versions
    dataset = dataset or (trained_on if trained_on in DATASETS else "digits")
    if trained_on is not None and dataset != trained_on:
        print(f"nn: warning: {path} was trained on {trained_on}, not {dataset}", file=sys.stderr)
    return dataset


def check_model_inputs(net: Network, path: str, dataset: str, n_features: int) -> None:
    """Raise a ValueError naming the ``--dataset`` choices that fit when ``dataset``'s
    examples (``n_features`` each) are not the width of the model's input layer."""
    if net.n_in is None or n_features == net.n_in:
        return
    fits = [name for name in DATASETS if DATASET_INPUTS[name] == net.n_in]
    if fits:
        names = ", ".join(fits[:-1]) + (f" or {fits[-1]}" if len(fits) > 1 else fits[-1])
        fix = f"give --dataset with a built-in dataset of {net.n_in} inputs: {names}"
    else:
        fix = f"none of the built-in datasets ({', '.join(DATASETS)}) has {net.n_in} inputs"
    raise ValueError(
        f"{path} takes {net.n_in} inputs but {dataset} examples have {n_features} features; {fix}"
    )


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a saved model on a dataset's test split."""
    net = load(args.model)
    dataset = dataset_of(net, args.model, args.dataset)
    _, (Xt, yt) = load_dataset(dataset, data_dir=args.data_dir, seed=args.seed)
    check_model_inputs(net, args.model, dataset, Xt.shape[1])
    scores = net.evaluate(Xt, yt)
    acc = scores["accuracy"]
    acc_text = f", accuracy {acc:.2%}" if acc is not None else ""
    print(
        f"{args.model} on {dataset} ({len(Xt):,} test examples): "
        f"loss {scores['loss']:.4f}{acc_text}"
    )
    return 0
