"""Nielsen's ``mnist_loader.py`` (*Neural Networks and Deep Learning*, ch. 1), over nn.datasets.

His loader reads ``mnist.pkl.gz``: MNIST's 60,000 training images split into 50,000 to train
on and 10,000 for validation, and the 10,000 test images. By default this one reads the
digits that ship with the package instead (:func:`nn.datasets.digits`, works offline): a
sample of 10,000 MNIST digits, 8,000 for training and 2,000 for testing, of which the last
1,000 training digits are held out as validation data as he held out 10,000. So by default
``load_data_wrapper()`` gives 7,000 / 1,000 / 2,000 examples, not his 50,000 / 10,000 /
10,000, and accuracies are not comparable with his to the digit.

For his sizes, read full MNIST from its IDX files with ``load_data_wrapper(path=DIR)`` (a
directory holding them) or ``load_data_wrapper(dataset="mnist")`` (looked for, or downloaded,
as by :func:`nn.datasets.mnist`); the last 10,000 training images are then the validation
data. ``dataset="fashion-mnist"`` reads Fashion-MNIST the same way.
"""

from __future__ import annotations

import numpy as np

from nn.datasets import digits, fashion_mnist, mnist
from nn.datasets.common import PathLike

__all__ = ["load_data", "load_data_wrapper", "vectorized_result"]

#: Training examples held out as ``validation_data``: his 10,000 for MNIST's 60,000 training
#: images, 1,000 of the 8,000 embedded ones.
VALIDATION_SIZE = {"digits": 1_000, "mnist": 10_000, "fashion-mnist": 10_000}

Arrays = tuple[np.ndarray, np.ndarray]


def load_data(
    path: PathLike | None = None, dataset: str | None = None
) -> tuple[Arrays, Arrays, Arrays]:
    """``(training_data, validation_data, test_data)``, each ``(images, labels)`` arrays.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A directory with the IDX files of MNIST (or of ``dataset``); giving it makes the
        default dataset ``"mnist"``.
    dataset : {"digits", "mnist", "fashion-mnist"}, optional
        Default ``"digits"`` (the embedded sample, see the module docstring), or ``"mnist"``
        when ``path`` is given.

    Returns
    -------
    training_data, validation_data, test_data : (ndarray, ndarray)
        ``images`` of shape (n, 784), float32 grey levels in [0, 1] (as in his pickle), and
        ``labels`` of shape (n,), int64 classes 0..9. ``n`` is 7,000 / 1,000 / 2,000 for the
        digits, 50,000 / 10,000 / 10,000 for MNIST.
    """
    name = dataset or ("mnist" if path is not None else "digits")
    if name not in VALIDATION_SIZE:
        raise ValueError(f"dataset must be one of {', '.join(VALIDATION_SIZE)}; got {name!r}")
    if name == "digits":
        if path is not None:
            raise ValueError(
                "the digits are embedded in the package: give path=... only with "
                "dataset='mnist' or 'fashion-mnist' (or leave dataset out)"
            )
        (X, y), test = digits()
    else:
        (X, y), test = (mnist if name == "mnist" else fashion_mnist)(path)
    keep = len(X) - VALIDATION_SIZE[name]
    if keep < 1:
        raise ValueError(
            f"{name} has {len(X):,} training images, not more than the "
            f"{VALIDATION_SIZE[name]:,} held out for validation"
        )
    return (X[:keep], y[:keep]), (X[keep:], y[keep:]), test


def load_data_wrapper(
    path: PathLike | None = None, dataset: str | None = None
) -> tuple[
    list[tuple[np.ndarray, np.ndarray]], list[tuple[np.ndarray, int]], list[tuple[np.ndarray, int]]
]:
    """The data in his format for :meth:`nn.book.network.Network.SGD`.

    Parameters
    ----------
    path, dataset
        As for :func:`load_data`: by default the embedded digits, 7,000 / 1,000 / 2,000.

    Returns
    -------
    training_data : list of (x, y)
        ``x`` of shape (784, 1), float32; ``y`` of shape (10, 1), float64, one-hot
        (:func:`vectorized_result`).
    validation_data, test_data : list of (x, int)
        ``x`` of shape (784, 1); the class as an int.
    """
    (X, y), (Xv, yv), (Xt, yt) = load_data(path, dataset)
    # rows of the arrays reshaped: views, so the lists cost little beyond the arrays
    training_data = [(x.reshape(-1, 1), vectorized_result(j)) for x, j in zip(X, y)]
    validation_data = [(x.reshape(-1, 1), int(j)) for x, j in zip(Xv, yv)]
    test_data = [(x.reshape(-1, 1), int(j)) for x, j in zip(Xt, yt)]
    return training_data, validation_data, test_data


def vectorized_result(j: int) -> np.ndarray:
    """A (10, 1) column with 1.0 in position ``j`` and zeros elsewhere: his target for class j."""
    e = np.zeros((10, 1))
    e[j] = 1.0
    return e
