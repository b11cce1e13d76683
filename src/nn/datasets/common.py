"""What every loader in :mod:`nn.datasets` shares: argument types and the ``(X, y)`` convention.

Every loader returns batch-first NumPy arrays: inputs ``X`` as floats of the ``dtype`` asked
for and class labels ``y`` as int64 integers.
"""

from __future__ import annotations

import os

import numpy as np

PathLike = str | os.PathLike
Split = tuple[np.ndarray, np.ndarray]

__all__ = ["PathLike", "Split", "float_dtype", "to_xy"]


def float_dtype(dtype: object) -> np.dtype:
    """``dtype`` as a NumPy dtype if it is a floating-point type; ValueError otherwise."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(
            f"dtype must be a floating-point type such as numpy.float32 or numpy.float64, "
            f"found {dt}"
        )
    return dt


def to_xy(images: np.ndarray, labels: np.ndarray, dt: np.dtype, flatten: bool) -> Split:
    """uint8 images (n, 28, 28) -> X in [0, 1], (n, 784) or (n, 28, 28); labels -> int64."""
    X = images.reshape(len(images), -1) if flatten else images
    X = X.astype(dt)  # a copy, so dividing in place leaves the caller's array alone
    X /= 255
    return X, labels.astype(np.int64)
