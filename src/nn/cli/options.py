"""The options ``nn train`` and ``nn diagnose`` share, and what they build.

Both commands describe a network, the data it learns and the optimizer that trains it with the
same options, declared once by :func:`add_shared_options`. The functions below turn those
options into the dataset (:func:`load_dataset`), the network (:func:`network_from_args`) and the
optimizer (:func:`make_optimizer`), so the two commands build identical things from identical
options. :func:`dataset_of` and :func:`check_model_inputs` pair a saved model with its data
(``nn evaluate``, ``nn diagnose --model``).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from nn import datasets
from nn.cli.cores import add_threads_option, add_workers_option
from nn.cli.cores import parse_threads as parse_threads  # its home before nn.cli.cores
from nn.cli.images import cnn_options
from nn.cli.network_options import network_options, parse_sizes
from nn.cli.sequence import (
    SEQUENCE_DATASETS,
    add_sequence_options,
    load_sequence_dataset,
    sequence_network_from_args,
)
from nn.core.network import Network
from nn.core.registry import ACTIVATIONS, LOSSES, snake_case
from nn.layers.initializers import DEFAULT_INIT, INITIALIZERS
from nn.models.cnn import LENET, cnn
from nn.models.mlp import mlp
from nn.optim.optimizers import SGD, Adam, Optimizer, RMSProp
from nn.optim.schedules import CosineDecay, Schedule, StepDecay

DATASETS = ("digits", "mnist", "fashion-mnist", "xor", "moons", "circles", "spirals", "names")
#: Inputs per example of each of :data:`DATASETS`: 28 x 28 pixels, or a point in the plane.
DATASET_INPUTS = {"digits": 784, "mnist": 784, "fashion-mnist": 784}
DATASET_INPUTS |= {"xor": 2, "moons": 2, "circles": 2, "spirals": 2}
DATASET_INPUTS |= SEQUENCE_DATASETS  # names: sequences of 14 character ids
#: Classes of each of :data:`DATASETS`, so that ``--sizes`` is checked before loading.
DATASET_CLASSES = {"digits": 10, "mnist": 10, "fashion-mnist": 10, "xor": 2, "moons": 2}
DATASET_CLASSES |= {"circles": 2, "spirals": 3}
#: ``--momentum`` when not given (with ``--optimizer momentum`` or ``nesterov``).
DEFAULT_MOMENTUM = 0.9

#: Default learning rate of each ``--optimizer``: the seed's 3.0 for plain SGD; momentum
#: multiplies the effective step by about 1 / (1 - mu) = 10, so a tenth of it; Adam and
#: RMSProp normalize the step, and 0.001 is their papers' default.
DEFAULT_LR = {"sgd": 3.0, "momentum": 0.3, "nesterov": 0.3, "rmsprop": 0.001, "adam": 0.001}

#: What ``--standardize`` does in every command; ``nn train`` adds what happens to a saved model.
STANDARDIZE_HELP = "scale inputs to mean 0, standard deviation 1 (statistics of the training set)"

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def activation_names() -> list[str]:
    """The ``--activation`` choices: every registered activation, in snake_case."""
    return [snake_case(k) for k in ACTIVATIONS]


def loss_names() -> list[str]:
    """The ``--loss`` choices: every registered loss, in snake_case."""
    return [snake_case(k) for k in LOSSES]


def add_shared_options(
    parser: argparse.ArgumentParser,
    *,
    standardize_help: str = STANDARDIZE_HELP,
    dataset_help: str | None = None,
) -> None:
    """Add the data, network and optimizer options of ``nn train`` and ``nn diagnose``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser; the command adds its own options after these.
    standardize_help : str
        Help text of ``--standardize``, which only ``nn train`` folds into a saved model.
    dataset_help : str, optional
        Help text of ``--dataset`` for a command that chooses the default itself: its
        default is then None (``nn diagnose`` takes the dataset a ``--model`` learned).
    """
    acts, losses = activation_names(), loss_names()
    # data
    parser.add_argument(
        "--dataset",
        choices=DATASETS,
        default=None if dataset_help else "digits",
        help=dataset_help or "what to learn (default: %(default)s)",
    )
    parser.add_argument(
        "--data-dir", metavar="DIR", help="directory with the IDX files (mnist, fashion-mnist)"
    )
    # network
    parser.add_argument("--sizes", help="layer sizes, e.g. 784,30,10 (default: inputs,30,classes)")
    parser.add_argument(
        "--cnn",
        nargs="?",
        const=LENET,
        metavar="DESCRIPTION",
        help="a convolutional network instead of an mlp, on 1x28x28 images: nn.cnn's words, "
        f"e.g. 'conv32k5p2 pool2 conv64k5p2 pool2 dense256 dense10' (alone: LeNet-5, '{LENET}')",
    )
    parser.add_argument(
        "--activation",
        choices=acts,
        help="activation of the hidden layers (default: sigmoid); relu with --cnn",
    )
    parser.add_argument(
        "--output-activation",
        choices=acts,
        help="activation of the output layer (default: --activation; none for "
        "softmax_cross_entropy, which takes logits)",
    )
    parser.add_argument(
        "--loss",
        choices=losses,
        help="cost (default: squared_error); softmax_cross_entropy with --cnn",
    )
    parser.add_argument(
        "--init",
        choices=list(INITIALIZERS),
        help=f"initial weights (default: {DEFAULT_INIT}); a CNN's default is he_normal for "
        "relu, else glorot_uniform",
    )
    # optimizer
    parser.add_argument(
        "--batch-size", type=int, default=10, help="examples per mini-batch (default: %(default)s)"
    )
    parser.add_argument(
        "--optimizer", choices=list(DEFAULT_LR), default="sgd", help="update rule (default sgd)"
    )
    parser.add_argument(
        "--lr",
        type=float,
        help="learning rate eta (default: 3.0 for sgd, 0.3 with momentum, 0.001 for "
        "rmsprop and adam)",
    )
    parser.add_argument(
        "--momentum",
        type=float,
        help=f"mu for --optimizer momentum and nesterov (default {DEFAULT_MOMENTUM})",
    )
    parser.add_argument(
        "--weight-decay",
        type=float,
        default=0.0,
        help="L2 coefficient lambda/n on weights, not biases (Nielsen's lambda=5 on 50,000 "
        "images is 1e-4)",
    )
    parser.add_argument("--clip-norm", type=float, help="cap on the gradient's global norm")
    # regularization, inputs, reproducibility
    parser.add_argument("--dropout", type=float, help="dropout rate after each hidden layer")
    parser.add_argument("--standardize", action="store_true", help=standardize_help)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", choices=["float32", "float64"], help="default: float32")
    add_threads_option(parser)
    add_workers_option(parser)
    add_sequence_options(parser)  # --cell, --hidden, --embedding: the model of --dataset names


def check_data_dir(name: str, data_dir: str | None) -> None:
    """``--data-dir``: only for mnist and fashion-mnist, and an existing directory."""
    if data_dir is None:
        return
    if name not in ("mnist", "fashion-mnist"):
        raise ValueError(
            f"--data-dir is for the IDX files of mnist and fashion-mnist; {name} needs none"
        )
    if not os.path.isdir(data_dir):
        raise ValueError(
            f"--data-dir {data_dir}: no such directory; give the directory that holds the "
            f"{name} IDX files, or leave --data-dir out to search the usual places"
        )


def load_dataset(name: str, *, data_dir: str | None = None, seed: int = 0) -> Split:
    """``((X_train, y_train), (X_test, y_test))`` for a built-in dataset name.

    The 2-D toy sets draw their test set from the same distribution with another seed
    (XOR's four points are both). ``data_dir`` (``--data-dir``) must be an existing directory,
    and is only for mnist and fashion-mnist.
    """
    check_data_dir(name, data_dir)
    if name in ("mnist", "fashion-mnist"):
        load = datasets.mnist if name == "mnist" else datasets.fashion_mnist
        try:
            return load(data_dir)
        except (FileNotFoundError, datasets.DownloadError) as err:
            # the library's message speaks to Python callers; say it in the option's words
            text = str(err).replace("(the path argument)", "(--data-dir)")
            text = text.replace("as the path argument", "with --data-dir DIR")
            raise type(err)(text) from None
    if name in SEQUENCE_DATASETS:
        return load_sequence_dataset(name)
    if name == "digits":
        return datasets.digits()
    if name == "xor":
        X, y = datasets.xor()
        return (X, y), (X, y)
    gen = {"moons": datasets.moons, "circles": datasets.circles, "spirals": datasets.spirals}
    if name in gen:
        return gen[name](seed=seed), gen[name](seed=seed + 1)
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


def network_from_args(
    args: argparse.Namespace, X: np.ndarray, y: np.ndarray, yt: np.ndarray
) -> tuple[Network, list[int] | str]:
    """The fresh network the shared options describe for a dataset, and its layer sizes.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of :func:`add_shared_options` (``--cnn`` builds :func:`nn.cnn` with
        :func:`cnn_options`, ReLU and the fused softmax cross-entropy unless given).
    X : ndarray of shape (n, n_in), or (n, 1, 28, 28) for ``--cnn`` (see :func:`as_images`)
        Training inputs; their width is the network's input size.
    y, yt : ndarray of shape (n,) and (n_test,)
        Training and test labels; together they give the number of classes. Two classes get
        a single output unit, except on ``digits``.

    Returns
    -------
    network : Network
    sizes : list of int, or str
        The mlp's sizes, or the CNN's description.
    """
    if args.dataset in SEQUENCE_DATASETS:
        return sequence_network_from_args(args, y)
    cnn_words = getattr(args, "cnn", None)
    if cnn_words:
        activation, loss, init = cnn_options(args)
        net = cnn(cnn_words, X.shape[1:], activation=activation, loss=loss, init=init,
                  seed=args.seed, dtype=np.dtype(network_options(args)["dtype"]))  # fmt: skip
        return net, cnn_words
    n_classes = int(max(y.max(), yt.max())) + 1
    n_out = 1 if n_classes == 2 and args.dataset != "digits" else n_classes
    sizes = parse_sizes(args.sizes, X.shape[1], n_out)
    options = network_options(args)
    net = mlp(
        sizes,
        activation=options["activation"],
        loss=options["loss"],
        output_activation=options["output_activation"],
        init=options["init"],
        dropout=options["dropout"],
        seed=args.seed,
        dtype=np.dtype(options["dtype"]),
    )
    return net, sizes


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
    """The optimizer the shared options describe, with ``train``'s ``--schedule`` if given.

    ``args`` needs ``epochs`` and ``schedule`` too (``nn diagnose`` passes ``None``):
    schedules count optimizer steps, ``steps_per_epoch`` of them per epoch.
    """
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
        momentum = DEFAULT_MOMENTUM if args.momentum is None else args.momentum
        return SGD(lr, momentum, nesterov=args.optimizer == "nesterov", **common)
    return SGD(lr, **common)


def check_matplotlib(option: str) -> None:
    """Fail now, in the option's words, if ``option`` needs matplotlib and it is missing.

    Parameters
    ----------
    option : str
        The option that draws (``"--plots"``), for the message.

    Raises
    ------
    ValueError
        If matplotlib cannot be imported; the message says how to install it.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ValueError(
            f'{option} draws with matplotlib, which is not installed: pip install "nn[plot]" '
            "(or pip install matplotlib)"
        ) from None


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
