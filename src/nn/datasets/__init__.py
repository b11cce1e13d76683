"""Datasets: toy 2-D problems, the embedded digits, and IDX files (MNIST, Fashion-MNIST).

Every loader returns batch-first NumPy arrays: inputs ``X`` as floats and class labels ``y`` as
int64 integers (one-hot encoding, where a loss wants it, is left to the caller).

* Toy problems that fit on a plot: :func:`xor`, :func:`moons`, :func:`circles`, :func:`spirals`,
  :func:`gaussians` (classes, in :mod:`nn.datasets.toy`); :func:`plane` and :func:`bumps`
  (regression, real targets of shape (n, 1), in :mod:`nn.datasets.toy_regression`). Their
  randomness comes only from the ``seed`` argument (see :func:`as_generator`): the same seed
  gives the same bits.
* :func:`digits`: 10,000 real MNIST digits shipped inside the package (``nn/data/digits.npz``),
  split once into 8,000 training and 2,000 test examples; works offline.
  In :mod:`nn.datasets.embedded`.
* :func:`mnist` and :func:`fashion_mnist`: the full 60,000/10,000 sets, read from IDX files
  found on disk or downloaded once and checked against SHA-256 sums.
  In :mod:`nn.datasets.mnist_loaders`.
* :func:`read_idx` / :func:`write_idx`: the IDX file format itself. In :mod:`nn.datasets.idx`.
* Sequences: :func:`names` (the US Census 1990 name lists, shipped inside the package) and
  :func:`names_dataset` (them as next-character prediction, :mod:`nn.datasets.sequences`), in
  :mod:`nn.datasets.census_names`; :func:`adding_problem`, the long-range task of
  docs/recurrent.md, in :mod:`nn.datasets.adding`.

Only NumPy and the standard library are used here, so each module can be read on its own.

To point the loaders elsewhere, pass ``path`` or ``base_url``, or set ``NN_DATA``,
``NN_MNIST_URL`` or ``NN_FASHION_MNIST_URL``: those are the supported ways. The constants
re-exported here (``SYSTEM_DATA_DIR``, ``DOWNLOAD_TIMEOUT``, ``MNIST_SHA256``, ...) are for
reading: the loaders read them from the module that defines them, so assigning
``nn.datasets.SYSTEM_DATA_DIR`` changes nothing. A test that must change one patches that
module, e.g. ``monkeypatch.setattr(nn.datasets.mnist_loaders, "SYSTEM_DATA_DIR", tmp_path)``.
"""

# The modules are not called digits.py or mnist.py: nn.datasets.digits and nn.datasets.mnist
# are the functions, and a submodule of the same name would be hidden behind them.
# Constants and type aliases are importable from here but, as always, not part of __all__.
from nn.datasets.adding import adding_problem
from nn.datasets.census_names import names, names_dataset, names_split
from nn.datasets.common import PathLike, Split  # noqa: F401
from nn.datasets.embedded import DIGITS_PATH, digits  # noqa: F401
from nn.datasets.idx import MAX_IDX_BYTES, IDXError, read_idx, write_idx  # noqa: F401
from nn.datasets.mnist_loaders import (  # noqa: F401
    DOWNLOAD_TIMEOUT,
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_SHA256,
    FASHION_MNIST_URL,
    IDX_FILES,
    MAX_DOWNLOAD_BYTES,
    MNIST_SHA256,
    MNIST_URL,
    SYSTEM_DATA_DIR,
    DownloadError,
    fashion_mnist,
    mnist,
)
from nn.datasets.toy import (  # noqa: F401
    Seed,
    as_generator,
    circles,
    gaussians,
    moons,
    spirals,
    xor,
)
from nn.datasets.toy_regression import bumps, plane

__all__ = [
    "FASHION_MNIST_CLASSES",
    "DownloadError",
    "IDXError",
    "adding_problem",
    "as_generator",
    "bumps",
    "circles",
    "digits",
    "fashion_mnist",
    "gaussians",
    "mnist",
    "moons",
    "names",
    "names_dataset",
    "names_split",
    "plane",
    "read_idx",
    "spirals",
    "write_idx",
    "xor",
]
