"""How training uses the cores: ``--threads`` (BLAS threads) and ``--workers`` (batch split).

Declared here for every training command (``nn train``, ``nn diagnose``, ``nn demo``);
:mod:`nn.cli.options` offers them under their old names too.
"""

from __future__ import annotations

import argparse

__all__ = [
    "add_threads_option",
    "add_workers_option",
    "check_cores",
    "parse_threads",
    "parse_workers",
]


def add_threads_option(parser: argparse.ArgumentParser) -> None:
    """``--threads N|auto``: the BLAS threads of training (:mod:`nn.train.threads`)."""
    parser.add_argument(
        "--threads",
        type=parse_threads,
        default="auto",
        metavar="N|auto",
        help="BLAS threads for the matrix products: a number, or auto (the default: one for "
        "small products, else whichever of 1 and all cores trains faster here and now, "
        "checked again when the machine gets busier or freer); the choice is printed",
    )


def parse_threads(text: str) -> str | int:
    """``--threads``'s value: ``"auto"`` or a whole number of threads, 1 or more."""
    if text == "auto":
        return text
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(
            f"expected auto or a number of threads (1, 2, ...), got {text!r}"
        )
    return n


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    """``--workers N``: shards of each mini-batch trained at once (:mod:`nn.train.parallel`)."""
    parser.add_argument(
        "--workers",
        type=parse_workers,
        default=1,
        metavar="N",
        help="split each mini-batch into N shards whose gradients are computed at once, one "
        "thread each, on 1 BLAS thread (default 1: no split; same seed and N, same bits); "
        "refused for batch norm and dropout",
    )


def parse_workers(text: str) -> int:
    """``--workers``'s value: a whole number, 1 or more."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of workers (1, 2, ...), got {text!r}")
    return int(text)


def check_cores(args: argparse.Namespace) -> None:
    """``--workers`` with ``--threads``: each worker's products run on 1 BLAS thread, so only
    ``--threads auto`` (the default) or 1 agree with more than one worker."""
    if args.workers > 1 and args.threads not in ("auto", 1):
        raise ValueError(
            f"--workers {args.workers} runs each worker's products on 1 BLAS thread; "
            f"--threads {args.threads} asks otherwise: leave --threads out (or give 1)"
        )
