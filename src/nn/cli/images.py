"""How ``--cnn`` sees the image datasets: 784 pixels as one 1x28x28 image, and its defaults.

The datasets load their images as rows of 784 pixels (what an mlp takes); a CNN takes each as
a ``(1, 28, 28)`` image. :func:`as_images` reshapes them for ``nn train --cnn`` and
``nn diagnose --cnn``, :func:`shaped_for` for a saved network whose input shape says so
(``nn evaluate``, ``nn diagnose --model``, ``nn pictures``).
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

import numpy as np

from nn.layers.initializers import DEFAULT_INIT
from nn.models.cnn import default_init

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["IMAGE_SHAPE", "as_images", "built_init", "cnn_options", "shaped_for"]

#: The image datasets: ``--cnn`` takes their examples as (1, 28, 28) images.
IMAGE_SHAPE = {"digits": (1, 28, 28), "mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28)}


def cnn_options(args: argparse.Namespace) -> tuple[str, str, str]:
    """The activation, loss and initializer of ``--cnn``: as given, else ReLU, softmax
    cross-entropy, and :func:`nn.models.cnn.default_init` of the activation (He for ReLU)."""
    activation = args.activation or "relu"
    init = getattr(args, "init", None) or default_init(activation)
    return activation, args.loss or "softmax_cross_entropy", init


def built_init(args: argparse.Namespace) -> str:
    """The initializer the options build the network with (the doctor never suggests it)."""
    if getattr(args, "cnn", None):
        return cnn_options(args)[2]
    return args.init or DEFAULT_INIT


def as_images(args: argparse.Namespace, *arrays: np.ndarray | None) -> list[np.ndarray | None]:
    """With ``--cnn``, each ``(n, 784)`` array as ``(n, 1, 28, 28)`` images; else unchanged.

    Raises
    ------
    ValueError
        If ``--cnn`` is given for a dataset of points rather than images.
    """
    if not getattr(args, "cnn", None):
        return list(arrays)
    shape = IMAGE_SHAPE.get(args.dataset)
    if shape is None:
        raise ValueError(
            f"--cnn takes images, and {args.dataset} is points in the plane; use it with "
            f"{', '.join(IMAGE_SHAPE)}"
        )
    if getattr(args, "standardize", False):
        raise ValueError(
            "--standardize folds its scaling into a first dense layer; a convolution's zero "
            "padding would not fold, and --cnn's pixels in [0, 1] need no scaling: leave it out"
        )
    return [None if a is None else a.reshape(len(a), *shape) for a in arrays]


def shaped_for(net: Network, X: np.ndarray) -> np.ndarray:
    """``X`` of shape (n, 784) as the network's examples: (n, 1, 28, 28) for a saved CNN.

    Unchanged when the network takes vectors, or when the sizes do not match (the input
    check then says what is wrong).
    """
    shape = net.input_shape
    if shape is not None and len(shape) > 1 and X.ndim == 2 and math.prod(shape) == X.shape[1]:
        return X.reshape(len(X), *shape)
    return X
