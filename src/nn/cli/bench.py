"""``nn bench``: how fast backprop is against the slow ways to the same gradient."""

from __future__ import annotations

import argparse


def cmd_bench(args: argparse.Namespace) -> int:
    """Time backprop against the slow ways to the same gradient (``nn.reference``)."""
    from nn.reference import report

    return report.run(args)
