"""``nn pictures MODEL``: what a saved CNN learned, as PNG files (needs matplotlib).

Three pictures (:mod:`nn.diagnostics.cnn_plots`): ``filters.png``, the kernels of its first
convolution; ``feature_maps.png``, one test image through every layer that keeps images;
``most_wrong.png``, the test images it gets most wrong.
"""

from __future__ import annotations

import argparse
import os

from nn.cli.images import shaped_for
from nn.cli.options import (
    DATASETS,
    check_matplotlib,
    check_model_inputs,
    dataset_of,
    load_dataset,
)
from nn.datasets import FASHION_MNIST_CLASSES
from nn.io.model_file import load
from nn.io.paths import check_output_dir

__all__ = ["add_arguments", "cmd_pictures"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``nn pictures``."""
    parser.add_argument("model", help="path of a CNN saved by `nn train --cnn ... --save`")
    parser.add_argument("--dir", default=".", help="directory for the PNG files (default .)")
    parser.add_argument("--dataset", choices=DATASETS, help="default: the model's own")
    parser.add_argument("--data-dir", metavar="DIR", help="directory with the IDX files")
    parser.add_argument("--image", type=int, default=0, help="test image for feature_maps.png")
    parser.add_argument("--seed", type=int, default=0)


def cmd_pictures(args: argparse.Namespace) -> int:
    """Write filters.png, feature_maps.png and most_wrong.png for a saved CNN."""
    check_output_dir("--dir", args.dir)
    check_matplotlib("nn pictures")
    os.makedirs(args.dir, exist_ok=True)
    from nn.diagnostics import cnn_plots

    net = load(args.model)
    if not cnn_plots.conv_layers(net):
        raise ValueError(f"{args.model} has no convolution: nn pictures draws CNNs")
    dataset = dataset_of(net, args.model, args.dataset)
    _, (Xt, yt) = load_dataset(dataset, data_dir=args.data_dir, seed=args.seed)
    check_model_inputs(net, args.model, dataset, Xt.shape[1])
    Xt = shaped_for(net, Xt)
    if not 0 <= args.image < len(Xt):
        raise ValueError(f"--image must be in [0, {len(Xt) - 1}], got {args.image}")
    names = FASHION_MNIST_CLASSES if dataset == "fashion-mnist" else None
    paths = [
        os.path.join(args.dir, f) for f in ("filters.png", "feature_maps.png", "most_wrong.png")
    ]
    cnn_plots.filters(net, path=paths[0])
    cnn_plots.feature_maps(net, Xt[args.image], path=paths[1])
    cnn_plots.most_wrong(net, Xt, yt, class_names=names, path=paths[2])
    print(f"Pictures of {args.model} on {dataset} written to {args.dir}: "
          f"{', '.join(os.path.basename(p) for p in paths)}")  # fmt: skip
    return 0
