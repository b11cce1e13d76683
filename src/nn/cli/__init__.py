"""The ``nn`` command: the demo, training, evaluation and gradient checks from a shell.

``nn`` with no arguments (or with only the demo's options) runs the demo; ``nn --version``
prints the version. ``nn --help`` and ``nn COMMAND --help`` list the rest.
Each command is a ``cmd_<name>`` function in a module of this package; its options are declared
here, one ``_add_<name>`` function per command that :func:`build_parser` calls, and the options
``train`` and ``diagnose`` share in :mod:`nn.cli.options`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, Protocol

from nn.check.gradcheck import RECHECK_FRACTION, RECHECK_LIMIT, REFERENCES
from nn.check.report import AUTOGRAD_TOL, FINITE_DIFFERENCES_TOL
from nn.cli.bench import cmd_bench
from nn.cli.conv import add_bench_conv, add_pictures
from nn.cli.demo import cmd_demo, digit_art, show_digits
from nn.cli.diagnose import cmd_diagnose
from nn.cli.evaluate import cmd_evaluate
from nn.cli.export import add_export_parser, cmd_export
from nn.cli.generate import add_generate
from nn.cli.gradcheck import cmd_gradcheck
from nn.cli.options import (
    DATASETS,
    DEFAULT_LR,
    STANDARDIZE_HELP,
    activation_names,
    add_shared_options,
    add_threads_option,
    add_workers_option,
    load_dataset,
    loss_names,
    make_optimizer,
    make_schedule,
    network_from_args,
)
from nn.cli.playground import add_playground_parser, cmd_playground
from nn.cli.recurrent import add_bench_recurrent
from nn.cli.summary import cmd_summary
from nn.cli.train import TrainResult, cmd_train, train_from_args
from nn.io.npz import ModelFileError
from nn.version import __version__

# Re-exported so `from nn.cli import ...` keeps working. A test that monkeypatches a name
# must patch the module that looks it up: `nn.cli.cmd_demo` for build_parser, but
# `nn.cli.options.mlp` for the network nn train and nn diagnose build.
__all__ = [
    "DATASETS",
    "DEFAULT_LR",
    "TrainResult",
    "add_shared_options",
    "build_parser",
    "cmd_bench",
    "cmd_demo",
    "cmd_diagnose",
    "cmd_evaluate",
    "cmd_export",
    "cmd_gradcheck",
    "cmd_playground",
    "cmd_summary",
    "cmd_train",
    "digit_art",
    "load_dataset",
    "main",
    "make_optimizer",
    "make_schedule",
    "network_from_args",
    "show_digits",
    "train_from_args",
]


class _Subcommands(Protocol):
    """What ``ArgumentParser.add_subparsers`` returns, as far as the ``_add_*`` below use it."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``nn`` command."""
    parser = argparse.ArgumentParser(
        prog="nn",
        description="Neural networks from scratch. With no command, runs the demo.",
    )
    parser.add_argument("--version", action="version", version=f"nn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_demo(sub)
    _add_train(sub)
    _add_evaluate(sub)
    _add_summary(sub)
    _add_diagnose(sub)
    _add_gradcheck(sub)
    _add_bench(sub)
    add_export_parser(sub)
    add_playground_parser(sub)
    add_generate(sub)
    add_pictures(sub)
    return parser


def _add_demo(sub: _Subcommands) -> None:
    """``nn demo``, also what ``nn`` with no command runs."""
    demo = sub.add_parser(
        "demo",
        help="the seed network learns handwritten digits (default)",
        description="Nielsen's [784, 30, 10] sigmoid network learns 8,000 of the embedded "
        "handwritten digits by SGD (mini-batches of 10, eta = 3.0), prints its accuracy on "
        "2,000 others after every epoch, and draws six of them with its answers. `nn` with no "
        "command (or with only these options) runs it.",
    )
    demo.add_argument(
        "--epochs", type=int, default=10, help="passes over the training digits (default: 10)"
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the initial weights, the shuffling and the digits drawn (default: 0)",
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    add_threads_option(demo)
    add_workers_option(demo)
    demo.set_defaults(func=cmd_demo)


def _add_train(sub: _Subcommands) -> None:
    """``nn train``: the options it shares with ``nn diagnose``, and its own."""
    train = sub.add_parser(
        "train",
        help="train a network (an mlp, or a character model with --cell) on a built-in dataset",
    )
    add_shared_options(
        train,
        standardize_help=f"{STANDARDIZE_HELP}; folded into the first layer afterwards, so a "
        "saved model takes raw inputs",
    )
    train.add_argument(
        "--epochs", type=int, default=10, help="passes over the training set (default: %(default)s)"
    )
    train.add_argument(
        "--schedule",
        help="learning-rate schedule: constant (default), cosine (to 0 over the run), or "
        "step:EPOCHS[:FACTOR] (multiply by FACTOR, default 0.5, every EPOCHS epochs)",
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
        "--save",
        metavar="PATH",
        help="save the trained model to PATH (.npz), with the name of the dataset it learned",
    )
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
    train.add_argument(
        "--plot",
        metavar="FILE",
        help="draw the learning curves (loss and accuracy per epoch, training and test or "
        "validation) into FILE as PNG; needs matplotlib",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(func=cmd_train)


def _add_evaluate(sub: _Subcommands) -> None:
    """``nn evaluate MODEL``: the data, and how many mistakes to show."""
    ev = sub.add_parser(
        "evaluate",
        help="evaluate a saved model on a dataset's test split",
        description="Print a saved model's loss and accuracy on a dataset's test split, the "
        "confusion matrix (rows: true classes, columns: the model's answers) and each class's "
        "accuracy.",
    )
    ev.add_argument("model", help="path of a model saved by `nn train --save`")
    ev.add_argument(
        "--dataset",
        choices=DATASETS,
        help="default: the dataset recorded in the model by `nn train --save`, else digits",
    )
    ev.add_argument(
        "--data-dir", metavar="DIR", help="directory with the IDX files (mnist, fashion-mnist)"
    )
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument(
        "--misclassified",
        type=int,
        metavar="N",
        help="also show the N mistakes the model is surest of (terminal art for images)",
    )
    ev.add_argument(
        "--misclassified-png",
        metavar="FILE",
        help="draw those mistakes (N of them, default 24) into FILE as PNG; needs matplotlib",
    )
    ev.set_defaults(func=cmd_evaluate)


def _add_summary(sub: _Subcommands) -> None:
    """``nn summary MODEL``."""
    sm = sub.add_parser(
        "summary",
        help="the layers of a saved model: output shapes and parameter counts",
        description="Print a saved model's layers in a table: the shape of what each one "
        "gives per example and its number of parameters, with the totals (the table of "
        "Network.summary()).",
    )
    sm.add_argument("model", help="path of a model saved by `nn train --save` or Network.save")
    sm.set_defaults(func=cmd_summary)


def _add_diagnose(sub: _Subcommands) -> None:
    """``nn diagnose``: the options of ``nn train``'s network, and the probe's."""
    dg = sub.add_parser(
        "diagnose",
        help="a short probe training that says what is wrong and what to try",
        description="Train a copy of a network for a few hundred steps, measuring every layer, "
        "and print the problems found with their evidence and a suggestion. The network and "
        "optimizer options are those of `nn train`. Exit status 0 when no problem is found, 1 "
        "otherwise.",
    )
    add_shared_options(
        dg,
        dataset_help="what to learn (default: the dataset recorded in --model by `nn train "
        "--save`, else digits)",
    )
    dg.add_argument("--model", help="diagnose a saved model (its weights, trained further)")
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


def _add_gradcheck(sub: _Subcommands) -> None:
    """``nn gradcheck``: a random network (or a saved one), and the check's settings."""
    gc = sub.add_parser(
        "gradcheck", help="check backprop against finite differences or the autograd engine"
    )
    gc.add_argument("--sizes", help="layer sizes of a random network (default: 5,4,3)")
    gc.add_argument(
        "--cnn",
        metavar="DESCRIPTION",
        help="check a random CNN of nn.cnn's words, e.g. 'conv3k3p1 bn pool2 dense4'",
    )
    gc.add_argument("--image", default="1,12,10", help="C,H,W of the random images for --cnn")
    gc.add_argument("--activation", choices=activation_names(), help="default: sigmoid")
    gc.add_argument(
        "--output-activation",
        choices=activation_names(),
        help="activation of the output layer (default: --activation; none for "
        "softmax_cross_entropy)",
    )
    gc.add_argument("--loss", choices=loss_names(), help="default: squared_error")
    gc.add_argument("--model", help="check a saved model instead of a random one")
    gc.add_argument("--batch", type=int, default=7, help="examples in the random batch")
    gc.add_argument("--eps", type=float, default=None, help="nudge (default 1e-3 / 1e-5)")
    gc.add_argument("--order", type=int, choices=[2, 4], default=4, help="finite-difference order")
    gc.add_argument("--max-entries", type=int, default=None, help="entries checked per tensor")
    gc.add_argument(
        "--reference",
        choices=REFERENCES,
        default="finite_differences",
        help="compare with finite differences (default; any layer) or with the tensor engine "
        "of nn.autograd (exact to rounding; names the layer whose backward is wrong)",
    )
    gc.add_argument(
        "--tol",
        type=float,
        default=None,
        help="largest relative error passed without measuring the entry again at eps/3, eps/10 "
        f"(default {FINITE_DIFFERENCES_TOL:g}); with --reference autograd, the largest error "
        f"relative to the tensor's largest entry (default {AUTOGRAD_TOL:g})",
    )
    gc.add_argument(
        "--recheck",
        type=int,
        default=None,
        help=f"entries measured again at most (default: {RECHECK_LIMIT} or "
        f"{RECHECK_FRACTION * 100:.0f}%% of the entries checked, whichever is more)",
    )
    gc.add_argument("--seed", type=int, default=0)
    gc.set_defaults(func=cmd_gradcheck)


def _add_bench(sub: _Subcommands) -> None:
    """``nn bench backprop``: its options are in :func:`nn.bench.report.add_arguments`."""
    bench = sub.add_parser("bench", help="measure how fast backprop is, and why")
    what = bench.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    bp = what.add_parser(
        "backprop",
        help="seconds per gradient: finite differences, unmemoized chain rule, backprop",
        description="Time one gradient by five routes on ladders of networks, and by the two "
        "autograd engines; print tables of seconds, speed-ups, the engines' cost and growth "
        "with W. See docs/why-backprop-is-fast.md and docs/autograd.md.",
    )
    from nn.bench.report import add_arguments  # here: `import nn.cli` leaves nn.bench unloaded

    add_arguments(bp)
    bp.set_defaults(func=cmd_bench)
    add_bench_recurrent(what)
    add_bench_conv(what)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nn`` command; returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["demo", *argv]  # `nn --epochs 3`: options of the default command
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["demo"])
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `nn ... | head`: the reader has all it wanted; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 128 + 13  # as a process killed by SIGPIPE, which is what the shell expects
    except (ValueError, TypeError, FileNotFoundError, ModelFileError, OSError) as err:
        print(f"nn: error: {err}", file=sys.stderr)
        return 2
    except MemoryError as err:  # what no check foresaw: one line, not a traceback
        print(f"nn: error: out of memory ({err or 'no details'})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # outside training (nn train holds it: nn.train.interrupts)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second: no traceback
        print("\nnn: interrupted", file=sys.stderr)
        signal.signal(signal.SIGINT, previous)
        return 130
