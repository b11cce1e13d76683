"""nn.datasets as a package: the public names of the single module it replaced, plus the
data sets added since (:data:`ADDED`)."""

from __future__ import annotations

import types

from nn import datasets as ds
from nn.datasets import (
    adding,
    census_names,
    common,
    embedded,
    idx,
    mnist_loaders,
    toy,
    toy_regression,
)

# Every public name of the former nn/datasets.py, and the module that defines it now.
HOMES = {
    "Seed": toy,
    "as_generator": toy,
    "circles": toy,
    "moons": toy,
    "spirals": toy,
    "xor": toy,
    "DIGITS_PATH": embedded,
    "digits": embedded,
    "IDXError": idx,
    "MAX_IDX_BYTES": idx,
    "read_idx": idx,
    "write_idx": idx,
    "DOWNLOAD_TIMEOUT": mnist_loaders,
    "DownloadError": mnist_loaders,
    "FASHION_MNIST_CLASSES": mnist_loaders,
    "FASHION_MNIST_SHA256": mnist_loaders,
    "FASHION_MNIST_URL": mnist_loaders,
    "IDX_FILES": mnist_loaders,
    "MAX_DOWNLOAD_BYTES": mnist_loaders,
    "MNIST_SHA256": mnist_loaders,
    "MNIST_URL": mnist_loaders,
    "SYSTEM_DATA_DIR": mnist_loaders,
    "fashion_mnist": mnist_loaders,
    "mnist": mnist_loaders,
    "PathLike": common,
    "Split": common,
}
#: Public names added after the move to a package (for the playground's data sets).
ADDED = {"gaussians": toy, "plane": toy_regression, "bumps": toy_regression}
# ... and for the recurrent networks' sequences.
ADDED |= {
    "adding_problem": adding,
    "names": census_names,
    "names_dataset": census_names,
    "names_split": census_names,
}


def test_public_names_are_those_of_the_old_module():
    public = {
        name
        for name, value in vars(ds).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(HOMES) | set(ADDED)
    for name, home in {**HOMES, **ADDED}.items():
        assert getattr(ds, name) is getattr(home, name), name


def test_all_is_the_old_one_plus_the_added_data_sets():
    assert ds.__all__ == [
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
    namespace: dict = {}
    exec("from nn.datasets import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(ds.__all__)


def test_loaders_are_not_hidden_by_submodules():
    from nn.datasets import digits, mnist

    assert isinstance(mnist, types.FunctionType) and mnist is mnist_loaders.mnist
    assert isinstance(digits, types.FunctionType) and digits is embedded.digits
