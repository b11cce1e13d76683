"""``nn bench conv`` and ``nn pictures``: the declarations, for :mod:`nn.cli` to call.

Their options and work live in :mod:`nn.bench.conv` and :mod:`nn.cli.pictures`; this module
only declares them, so that ``import nn.cli`` leaves ``nn.bench`` and matplotlib unloaded
until a command runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from nn.cli.options import check_matplotlib
from nn.io.paths import check_output_file

__all__ = ["add_bench_conv", "add_pictures", "cmd_bench_conv"]


def cmd_bench_conv(args: argparse.Namespace) -> int:
    """Time one convolution's gradient three ways (:mod:`nn.bench.conv`)."""
    from nn.bench import conv

    if args.plot is not None:
        check_output_file("--plot", args.plot)
        check_matplotlib("--plot")
    if args.json is not None and not args.from_json:
        check_output_file("--json", args.json)
    return conv.run(args)


def add_bench_conv(what: Any) -> None:
    """Declare ``nn bench conv`` on the subcommands of ``nn bench``."""
    from nn.bench.conv import add_arguments

    cv = what.add_parser(
        "conv",
        help="seconds per gradient of a convolution: pure Python, NumPy loops, im2col",
        description="Time one convolution's forward and backward pass by three routes on "
        "ladders of image sizes, channels and kernels, and on LeNet-5's layers; print the "
        "seconds, the speed-ups and how each grows. See docs/cnn.md.",
    )
    add_arguments(cv)
    cv.set_defaults(func=cmd_bench_conv)


def add_pictures(sub: Any) -> None:
    """Declare ``nn pictures MODEL``."""
    from nn.cli.pictures import add_arguments, cmd_pictures

    pic = sub.add_parser(
        "pictures",
        help="draw a saved CNN: its filters, the feature maps of an image, its worst mistakes",
        description="Write filters.png, feature_maps.png and most_wrong.png for a CNN saved "
        "by `nn train --cnn ... --save` (needs matplotlib). See docs/cnn.md.",
    )
    add_arguments(pic)
    pic.set_defaults(func=cmd_pictures)
