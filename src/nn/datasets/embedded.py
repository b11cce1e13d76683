"""The embedded digits: 10,000 real MNIST digits shipped inside the package, usable offline.

The data file stays at ``nn/data/digits.npz``, beside its README (provenance and license); it
is built by ``tools/make_digits.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nn.datasets.common import Split, float_dtype, to_xy

__all__ = ["digits"]

DIGITS_PATH = Path(__file__).resolve().parents[1] / "data" / "digits.npz"


def digits(*, dtype: object = np.float32, flatten: bool = True) -> tuple[Split, Split]:
    """10,000 real MNIST digits that ship with the package: 8,000 to train on, 2,000 to test.

    The split is stored in ``nn/data/digits.npz`` itself (made by ``tools/make_digits.py``;
    see ``nn/data/README.md``), so it is the same on every machine. It is stratified: each
    digit makes up the same share of both halves (from 863 fives to 1,127 ones in all).
    These are a sample of MNIST, not its official split: accuracies here are not comparable
    with published MNIST results (use :func:`mnist` for those). License: CC BY-SA 3.0 (MNIST).

    Parameters
    ----------
    dtype : floating dtype, default numpy.float32
    flatten : bool, default True
        Return images as rows of 784 pixels (for dense layers) instead of 28 x 28 grids.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_train`` of shape (8000, 784), or (8000, 28, 28) when ``flatten=False``, with grey
        levels scaled to [0, 1] (0 = background, 1 = ink); ``y_train`` of shape (8000,), int64
        digits 0..9. The test arrays have 2,000 rows.
    """
    dt = float_dtype(dtype)
    if not DIGITS_PATH.is_file():
        raise FileNotFoundError(
            f"the embedded digits are missing: {DIGITS_PATH} does not exist. The package was "
            "installed without its data files; reinstall it, or rebuild the file with "
            "`python tools/make_digits.py` from a source checkout."
        )
    with np.load(DIGITS_PATH, allow_pickle=False) as f:
        train = to_xy(f["train_images"], f["train_labels"], dt, flatten)
        test = to_xy(f["test_images"], f["test_labels"], dt, flatten)
    return train, test
