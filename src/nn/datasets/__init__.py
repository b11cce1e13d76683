"""Datasets: toy 2-D problems, the embedded digits, and IDX files (MNIST, Fashion-MNIST).

The code lives in :mod:`nn.datasets.mnist_loaders` for now; this package re-exports its
public names so ``nn.datasets.<name>`` keeps working.
"""

from nn.datasets.mnist_loaders import (  # noqa: F401
    DIGITS_PATH,
    DOWNLOAD_TIMEOUT,
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_SHA256,
    FASHION_MNIST_URL,
    IDX_FILES,
    MAX_DOWNLOAD_BYTES,
    MAX_IDX_BYTES,
    MNIST_SHA256,
    MNIST_URL,
    SYSTEM_DATA_DIR,
    DownloadError,
    IDXError,
    PathLike,
    Seed,
    Split,
    __all__,
    as_generator,
    circles,
    digits,
    fashion_mnist,
    mnist,
    moons,
    read_idx,
    spirals,
    write_idx,
    xor,
)
