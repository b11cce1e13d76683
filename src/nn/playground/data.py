"""The playground's data: 500 points of an ``nn.datasets`` set, placed in the square
[-6, 6]^2, split into training and test points, and turned into the chosen input features.

Every data set comes from :mod:`nn.datasets` and is moved into the picture by one affine map
(``X = scale * (X - centre)``), so that its points span about [-5, 5] as in the TensorFlow
Playground; the features (``x1``, ``x1 * x2``, ``sin(x1)``, ...) are computed on those
coordinates. :mod:`nn.playground.code` writes the same steps as Python, line for line, and a
test checks that they give the same bits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nn import datasets
from nn.playground.settings import Settings

__all__ = ["DATASETS", "DOMAIN", "FEATURES", "GRID", "N_POINTS", "Data", "DataSet", "make_data"]

N_POINTS = 500
#: The picture shows [-DOMAIN, DOMAIN]^2, sampled on a GRID x GRID lattice.
DOMAIN = 6.0
GRID = 50


@dataclass(frozen=True)
class DataSet:
    """How one data set of the page is drawn from :mod:`nn.datasets`.

    Attributes
    ----------
    function : str
        Name of the generator in :mod:`nn.datasets`.
    noise_base, noise_per_percent : float
        The generator's ``noise`` argument is ``noise_base + noise_per_percent * noise``,
        ``noise`` being the page's 0-50 slider (what the noise means, a spread of points or
        of angles or of targets, is the generator's: see its docstring).
    extra : tuple of (str, object)
        Other keyword arguments of the generator.
    centre : tuple of float
        Subtracted from the points before scaling.
    scale : float
    label : str
        What the page calls it.
    """

    function: str
    noise_base: float
    noise_per_percent: float
    extra: tuple[tuple[str, object], ...]
    centre: tuple[float, float]
    scale: float
    label: str

    def noise(self, percent: int) -> float:
        """The generator's ``noise`` for the slider's value."""
        return round(self.noise_base + self.noise_per_percent * percent, 6)


DATASETS = {
    "circle": DataSet("circles", 0.0, 0.004, (), (0.0, 0.0), 5.0, "Circle"),
    "xor": DataSet("xor", 0.0, 0.004, (), (0.5, 0.5), 10.0, "Exclusive or"),
    "gauss": DataSet("gaussians", 0.15, 0.005, (), (0.0, 0.0), 5.0, "Gaussian"),
    "spiral": DataSet("spirals", 0.0, 0.01, (("classes", 2),), (0.0, 0.0), 5.0, "Spiral"),
    "moons": DataSet("moons", 0.0, 0.004, (), (0.5, 0.25), 3.5, "Moons"),
    "plane": DataSet("plane", 0.0, 0.01, (), (0.0, 0.0), 5.0, "Plane"),
    "bumps": DataSet("bumps", 0.0, 0.01, (), (0.0, 0.0), 5.0, "Bumps"),
}

#: Input features: the expression as :mod:`nn.playground.code` writes it, and the function
#: (on the columns ``x1``, ``x2`` of the placed points) that computes exactly that.
FEATURES: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "x1": ("x1", lambda x1, x2: x1),
    "x2": ("x2", lambda x1, x2: x2),
    "x1sq": ("x1 * x1", lambda x1, x2: x1 * x1),
    "x2sq": ("x2 * x2", lambda x1, x2: x2 * x2),
    "x1x2": ("x1 * x2", lambda x1, x2: x1 * x2),
    "sinx1": ("np.sin(x1)", lambda x1, x2: np.sin(x1)),
    "sinx2": ("np.sin(x2)", lambda x1, x2: np.sin(x2)),
}


@dataclass
class Data:
    """The points and features of one setup.

    Attributes
    ----------
    points : ndarray of shape (500, 2)
        Placed points, the training points first.
    targets : ndarray of shape (500,) int64 labels, or (500, 1) real targets
    n_train : int
    X_train, X_test : ndarray of shape (n, n_features)
        Features of the training and test points.
    grid : ndarray of shape (GRID * GRID, n_features)
        Features of the lattice the pictures are drawn on, row by row from the top
        (``x2 = +DOMAIN``) and left to right, as an image is stored.
    """

    points: np.ndarray
    targets: np.ndarray
    n_train: int
    X_train: np.ndarray
    X_test: np.ndarray
    grid: np.ndarray

    @property
    def Y_train(self) -> np.ndarray:
        return self.targets[: self.n_train]

    @property
    def Y_test(self) -> np.ndarray:
        return self.targets[self.n_train :]


def place(X: np.ndarray, spec: DataSet) -> np.ndarray:
    """``scale * (X - centre)``, in X's dtype (what the generated code writes)."""
    cx, cy = spec.centre
    if cx == cy == 0.0:
        return spec.scale * X
    if cx == cy:
        return spec.scale * (X - cx)
    return spec.scale * (X - np.array([cx, cy], dtype=X.dtype))


def features(P: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The named features of placed points ``P`` (n, 2), as columns (n, len(names))."""
    x1, x2 = P[:, 0], P[:, 1]
    return np.column_stack([FEATURES[name][1](x1, x2) for name in names])


def lattice() -> np.ndarray:
    """The GRID x GRID lattice over the picture, (GRID * GRID, 2), float32, image order."""
    ticks = np.linspace(-DOMAIN, DOMAIN, GRID, dtype=np.float32)
    x1, x2 = np.meshgrid(ticks, ticks[::-1])  # rows from the top: x2 falls
    return np.column_stack([x1.ravel(), x2.ravel()])


def generate(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """The placed points and targets of ``settings``' data set (before the split)."""
    spec = DATASETS[settings.dataset]
    make = getattr(datasets, spec.function)
    kwargs = dict(spec.extra, noise=spec.noise(settings.noise), seed=settings.seed)
    if spec.function == "xor":
        kwargs["n"] = N_POINTS
        X, y = make(**kwargs)
    else:
        X, y = make(N_POINTS, **kwargs)
    return place(X, spec), y


def n_train(settings: Settings) -> int:
    """How many of the points are for training: ``ratio`` percent of them."""
    return N_POINTS * settings.ratio // 100


def make_data(settings: Settings) -> Data:
    """The points, split and features of ``settings``."""
    P, y = generate(settings)
    n = n_train(settings)
    F = features(P, settings.features)
    return Data(P, y, n, F[:n], F[n:], features(lattice(), settings.features))
