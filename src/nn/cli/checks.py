"""The command line's options, and their combinations, checked before any data is loaded.

Every check here runs before the first byte of a dataset is read, so a mistake costs no time
and says which option is wrong in one ``nn: error:`` line (exit status 2): a value out of
range (``--validation-split 1.0``, ``--early-stopping 0``), an option that would be silently
ignored (``--momentum`` with plain SGD, ``--sizes`` with ``--model``), an option that needs
another (``--checkpoint-every`` without ``--checkpoint``), layer sizes that do not fit the
dataset or could not be held in memory, output paths that cannot be written or would destroy
another kind of file (a checkpoint written over a saved model).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from nn.cli.cores import check_cores
from nn.cli.network_options import NETWORK_DEFAULTS, network_options, parse_sizes
from nn.cli.options import (
    DATASET_CLASSES,
    DATASET_INPUTS,
    check_matplotlib,
    make_schedule,
)
from nn.cli.sequence import SEQUENCE_DATASETS
from nn.core.numbers import check_real
from nn.core.validation import check_learning_rate, check_positive_int
from nn.io.model_file import MAX_MODEL_BYTES
from nn.io.npz import nn_file_kind
from nn.io.paths import check_output_file
from nn.models.mlp import check_mlp
from nn.train.checks import check_checkpoint_path

__all__ = [
    "check_diagnose_options",
    "check_network_size",
    "check_shared_options",
    "check_train_options",
    "dataset_outputs",
]

#: Optimizers whose update has a velocity, the only ones ``--momentum`` means anything to.
WITH_MOMENTUM = ("momentum", "nesterov")


def dataset_outputs(dataset: str) -> int:
    """Output units a network needs for ``dataset``: one per class, one for two classes
    (except on digits, whose ten classes the seed network has ten outputs for)."""
    classes = DATASET_CLASSES[dataset]
    return 1 if classes == 2 and dataset != "digits" else classes


def check_network_size(option: str, sizes: list[int], dtype: str) -> None:
    """Refuse layer sizes whose parameters would not fit in a model file nn can load back.

    Parameters
    ----------
    option : str
        The option that gave the sizes (``"--sizes"``), for the message.
    sizes : list of int
        Units per layer, input first.
    dtype : str
        ``"float32"`` or ``"float64"``.
    """
    params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    nbytes = params * np.dtype(dtype).itemsize
    if nbytes > MAX_MODEL_BYTES:
        raise ValueError(
            f"{option} {','.join(map(str, sizes))}: that network has {params:,} parameters, "
            f"{_size(nbytes)} in {dtype}; nn saves and loads models of up to "
            f"{_size(MAX_MODEL_BYTES)} (and training needs several times that in memory): "
            "choose smaller layers"
        )


def _size(nbytes: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes:,.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.3g} EiB"  # pragma: no cover


def check_shared_options(args: argparse.Namespace, *, network: bool = True) -> None:
    """The options ``nn train`` and ``nn diagnose`` share (:func:`add_shared_options`).

    With ``network`` False (``nn diagnose --model``) the network options must not be given,
    since the saved model has its own; otherwise ``--sizes`` must fit the dataset and memory.
    """
    check_positive_int("--batch-size", args.batch_size)
    if args.lr is not None:
        check_learning_rate("--lr", args.lr)
    if args.momentum is not None:
        if args.optimizer not in WITH_MOMENTUM:
            raise ValueError(
                f"--momentum {args.momentum:g} has no effect with --optimizer {args.optimizer}, "
                "which keeps no velocity: use --optimizer momentum (or nesterov), or leave "
                "--momentum out"
            )
        check_real("--momentum", args.momentum, 0.0, 1.0, hi_open=True)
    check_real("--weight-decay", args.weight_decay, 0.0)
    if args.clip_norm is not None:
        check_real("--clip-norm", args.clip_norm, 0.0, lo_open=True)
    if args.seed < 0:
        raise ValueError(f"--seed must be 0 or more, got {args.seed}")
    check_cores(args)
    given = [name for name in NETWORK_DEFAULTS if getattr(args, name) is not None]
    if not network:
        if given:
            options = ", ".join("--" + name.replace("_", "-") for name in given)
            raise ValueError(
                f"{options} describe a new network, but --model gives a saved one, whose "
                "layers are its own: leave them out (or drop --model to diagnose a new network)"
            )
        return
    # diagnose's dataset may still be chosen by --model; without one it is digits
    dataset = args.dataset or "digits"
    if dataset in SEQUENCE_DATASETS:  # a character model: --cell, --hidden, --embedding
        dense = [name for name in given if name != "dtype"]
        if dense:
            options = ", ".join("--" + name.replace("_", "-") for name in dense)
            raise ValueError(
                f"{options} describe a dense network, but --dataset {dataset} trains a "
                "character model, described by --cell, --hidden and --embedding: leave them out"
            )
        for option in ("hidden", "embedding"):
            check_positive_int(f"--{option}", getattr(args, option))
        return
    if args.dropout is not None:
        check_real("--dropout", args.dropout, 0.0, 1.0, hi_open=True)
    n_in, n_out = DATASET_INPUTS[dataset], dataset_outputs(dataset)
    sizes = parse_sizes(args.sizes, n_in, n_out)
    options = network_options(args)
    check_network_size("--sizes", sizes, options["dtype"])
    # the pairings mlp refuses (a loss that cannot judge the outputs), before any data
    check_mlp(sizes, options["activation"], options["loss"], options["output_activation"])


def check_train_options(args: argparse.Namespace) -> None:
    """``nn train``'s options, alone and together, before the data is loaded."""
    check_shared_options(args)
    check_positive_int("--epochs", args.epochs)
    split = args.validation_split
    if not (split == 0 or 0 < split < 1):  # NaN fails both
        raise ValueError(
            f"--validation-split is the fraction of the training set held out, in (0, 1) "
            f"(e.g. 0.1), or 0 for none; got {split}"
        )
    if args.early_stopping is not None:
        check_positive_int("--early-stopping (epochs without improvement)", args.early_stopping)
        if not split:
            raise ValueError(
                "--early-stopping watches the validation loss and needs a validation set held "
                "out of the training data: add --validation-split 0.1 (stopping on the test set "
                "would make the test accuracy optimistic)"
            )
    make_schedule(args.schedule, args.epochs, 1)  # a typo in --schedule, now
    if args.checkpoint_every is not None:
        check_positive_int("--checkpoint-every", args.checkpoint_every)
        if args.checkpoint is None:
            raise ValueError(
                "--checkpoint-every says how often to write --checkpoint PATH: give "
                "--checkpoint too"
            )
    if args.resume and not args.checkpoint:
        raise ValueError("--resume continues from --checkpoint PATH; give --checkpoint too")
    _check_outputs(args)


def _check_outputs(args: argparse.Namespace) -> None:
    """``--save``, ``--checkpoint`` and ``--plot``: writable; the first two distinct, and
    neither over the other kind of file."""
    for option in ("save", "checkpoint", "plot"):
        if getattr(args, option, None) is not None:  # "" too: an error, not "do not save"
            check_output_file(f"--{option}", getattr(args, option), probe=True)
    if getattr(args, "plot", None) is not None:
        check_matplotlib("--plot")  # after the path: a typo is reported first
    if args.save is not None and args.checkpoint is not None:
        if os.path.abspath(args.save) == os.path.abspath(args.checkpoint):
            raise ValueError(
                f"--save and --checkpoint are both {args.save}: the model would be written over "
                "the checkpoint; give two paths"
            )
    kind = None if args.checkpoint is None else nn_file_kind(args.checkpoint)
    if args.resume and kind in ("model", "other"):
        what = "a saved nn model" if kind == "model" else "a file that is not an nn checkpoint"
        raise ValueError(f"--checkpoint {args.checkpoint}: that is {what}, not a run to resume")
    if args.checkpoint is not None:
        check_checkpoint_path("--checkpoint", args.checkpoint)
    if args.save is not None and nn_file_kind(args.save) == "checkpoint":
        raise ValueError(
            f"--save {args.save}: that is the checkpoint of a training run, which saving the "
            "model there would replace; give another path"
        )


def check_diagnose_options(args: argparse.Namespace) -> None:
    """``nn diagnose``'s options, before the data (or ``--model``) is loaded."""
    check_shared_options(args, network=not args.model)
    for option in ("--steps", "--probe-size"):
        check_positive_int(option, getattr(args, option[2:].replace("-", "_")))
    if args.every is not None:
        check_positive_int("--every", args.every)
    if args.json is not None:
        check_output_file("--json", args.json)
