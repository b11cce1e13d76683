"""``nn bench``: how fast backprop is against the slow ways to the same gradient."""

from __future__ import annotations

import argparse

from nn.cli.options import check_matplotlib
from nn.io.paths import check_output_file


def cmd_bench(args: argparse.Namespace) -> int:
    """Time backprop against the slow ways to the same gradient (``nn.reference``)."""
    from nn.bench import report

    # checked before minutes of timing are spent
    # "" too: an error, not "do not write"
    if args.plot is not None:
        check_output_file("--plot", args.plot)  # a typo first: no matplotlib needed
        check_matplotlib("--plot")
    if args.json is not None and not args.from_json:
        check_output_file("--json", args.json)
    return report.run(args)
