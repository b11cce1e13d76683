"""Feature scaling: fitted on the training set, applied unchanged to every other set.

Both scalers are affine maps ``x' = (x - shift) * scale`` applied column by column:

* :class:`Standardizer`: ``shift`` the mean, ``scale = 1 / std``, so each feature of the
  training set has mean 0 and standard deviation 1;
* :class:`MinMaxScaler`: ``shift`` the minimum, ``scale = 1 / (max - min)``, so each feature
  of the training set spans [0, 1].

The statistics come from the training set only (``fit``), and the same ``shift`` and ``scale``
are applied to validation and test data (``transform``): computing them on the test set would
leak it into training. A feature that is constant in the training set gets ``scale = 1``.

Because the map is affine, it can be folded into the first dense layer after training
(:meth:`AffineScaler.fold_into`), since

    ((x - s) * c) @ W + b  =  x @ (c[:, None] * W) + (b - (s * c) @ W).

The network then takes raw inputs, and a saved model needs no scaler beside it.
"""

from __future__ import annotations

import numpy as np

from nn.layers.dense import Dense

__all__ = ["AffineScaler", "MinMaxScaler", "Standardizer"]


class AffineScaler:
    """Base of the scalers: ``transform(X) = (X - shift) * scale``, with (n_features,) arrays.

    Attributes
    ----------
    shift, scale : ndarray of shape (n_features,) or (1,), float64
        Set by :meth:`fit`; shape (1,) when one statistic is shared by every feature.
    """

    shift: np.ndarray | None = None
    scale: np.ndarray | None = None

    def _statistics(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def fit(self, X: np.ndarray) -> AffineScaler:
        """Compute ``shift`` and ``scale`` from the training inputs ``X`` (n, n_features)."""
        X = _as_matrix(X, "fit")
        shift, spread = self._statistics(X)
        self.shift = shift
        self.scale = 1.0 / np.where(spread > 0, spread, 1.0)  # constant feature: leave it
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``(X - shift) * scale`` in ``X``'s float dtype; X and the result are (n, n_features)."""
        if self.shift is None or self.scale is None:
            raise RuntimeError(f"{type(self).__name__}: call fit(X_train) before transform")
        X = _as_matrix(X, "transform")
        if self.shift.shape[0] not in (1, X.shape[1]):
            raise ValueError(
                f"{type(self).__name__} was fitted on {self.shift.shape[0]} features; "
                f"X has {X.shape[1]}"
            )
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
        return (X - self.shift.astype(dtype)) * self.scale.astype(dtype)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def fold_into(self, layer: Dense) -> None:
        """Absorb this scaling into ``layer``, the first layer, so it takes unscaled inputs.

        ``W <- scale[:, None] * W`` and ``b <- b - (shift * scale) @ W``, in ``layer``'s
        dtype: afterwards ``layer.forward(x)`` equals the old ``layer.forward(transform(x))``
        up to rounding. Do it once, after training.
        """
        if self.shift is None or self.scale is None:
            raise RuntimeError(f"{type(self).__name__}: call fit(X_train) before fold_into")
        W = layer.params["W"].astype(np.float64)
        scale = np.broadcast_to(self.scale, (W.shape[0],))
        shift = np.broadcast_to(self.shift, (W.shape[0],))
        b = layer.params["b"] - (shift * scale) @ W
        layer.params["W"][...] = scale[:, None] * W  # in place: optimizers keep their arrays
        layer.params["b"][...] = b


class Standardizer(AffineScaler):
    """Scale each feature to mean 0 and standard deviation 1 on the training set.

    Parameters
    ----------
    per_feature : bool, default True
        One mean and standard deviation per column. False uses a single mean and standard
        deviation over all entries: for images this keeps the pixels' relative brightness,
        and a border pixel that is almost always 0 is not blown up by its tiny spread.
    """

    def __init__(self, per_feature: bool = True) -> None:
        self.per_feature = bool(per_feature)

    def _statistics(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        axis = 0 if self.per_feature else None
        mean = np.atleast_1d(X.mean(axis=axis, dtype=np.float64))
        std = np.atleast_1d(X.std(axis=axis, dtype=np.float64))
        return mean, std


class MinMaxScaler(AffineScaler):
    """Scale each feature to [0, 1] on the training set (test values may fall outside)."""

    def _statistics(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = X.min(axis=0).astype(np.float64)
        return lo, X.max(axis=0).astype(np.float64) - lo


def _as_matrix(X: np.ndarray, what: str) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "biuf" or len(X) == 0:
        raise ValueError(
            f"{what}: X must be a non-empty 2-D array of numbers (n_examples, n_features), "
            f"got shape {X.shape} and dtype {X.dtype}"
        )
    return X
