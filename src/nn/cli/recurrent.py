"""``nn bench recurrent``: the subcommand's declaration, for :mod:`nn.cli` to call.

Its options and measurements live in :mod:`nn.bench.recurrent`; this module only declares it,
so that ``import nn.cli`` leaves ``nn.bench`` unloaded until the command runs.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_bench_recurrent", "cmd_bench_recurrent"]


def cmd_bench_recurrent(args: argparse.Namespace) -> int:
    """Time BPTT in pure Python, in NumPy step by step, and fused (:mod:`nn.bench.recurrent`)."""
    from nn.bench.recurrent import run

    if args.repeats < 1 or not args.budget > 0:
        raise ValueError("--repeats must be at least 1 and --budget positive")
    if args.json is not None:
        from nn.io.paths import check_output_file

        check_output_file("--json", args.json)
    return run(args)


def add_bench_recurrent(what: Any) -> None:
    """Declare ``nn bench recurrent`` on the subcommands of ``nn bench``."""
    from nn.bench.recurrent import add_arguments

    rec = what.add_parser(
        "recurrent",
        help="seconds per BPTT pass: pure Python, NumPy step by step, NumPy fused",
        description="Time one forward and backward pass through time of a recurrent layer by "
        "three routes on ladders of sequence lengths and widths. See docs/recurrent.md.",
    )
    add_arguments(rec)
    rec.set_defaults(func=cmd_bench_recurrent)
