"""Batch normalization as a layer, :class:`BatchNorm`, for dense and convolutional layers.

The math, with a step-by-step backward pass beside the short one, is in
:mod:`nn.functional.normalization`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.core.layer import Layer
from nn.functional.normalization import BatchNormCache, batchnorm_backward, batchnorm_forward

__all__ = ["BatchNorm"]


class BatchNorm(Layer):
    """Normalize each feature over the batch, then scale by ``gamma`` and shift by ``beta``.

    A feature is axis 1: a unit of ``(batch, n)``, or a channel of ``(batch, C, H, W)``
    (normalized over the batch and all its pixels). Place it after a ``Dense`` or ``Conv2D``
    and before the activation, as Ioffe and Szegedy do.

    Parameters
    ----------
    n_features : int
        ``n`` or ``C``.
    momentum : float, default 0.9
        Weight of the old value in the running averages:
        ``running = momentum * running + (1 - momentum) * batch statistic``.
    eps : float, default 1e-5
        Added to the variance before the square root.
    dtype : numpy dtype, default float32

    Attributes
    ----------
    gamma, beta : ndarray of shape (n_features,)
        The parameters, starting at 1 and 0 (the layer starts as a pure standardization).
    buffers : dict
        ``running_mean`` and ``running_var`` (shape (n_features,)): the averages of the
        training batches' statistics, used in prediction. Not trained by gradient descent
        but saved with the model and in checkpoints. The running variance is the unbiased
        one (times ``m / (m - 1)``), as PyTorch keeps it.

    Notes
    -----
    In training (``forward(x, training=True)``) each batch is normalized by its own mean and
    variance, so an example's output depends on the rest of its batch, and the running
    averages move; in prediction the running averages are used, so ``predict`` gives each
    example the same output whatever batch it is in.
    """

    mixes_examples = True  # training statistics are the batch's: no batch split (workers)

    def __init__(
        self,
        n_features: int,
        *,
        momentum: float = 0.9,
        eps: float = 1e-5,
        dtype: np.dtype | type = np.float32,
    ) -> None:
        super().__init__()
        if (
            isinstance(n_features, bool)
            or not isinstance(n_features, (int, np.integer))
            or (n_features < 1)
        ):
            raise ValueError(
                f"BatchNorm: n_features must be a positive integer, got {n_features!r}"
            )
        if not 0.0 <= float(momentum) < 1.0:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1), got {momentum!r}")
        if not float(eps) > 0.0:
            raise ValueError(f"BatchNorm: eps must be positive, got {eps!r}")
        self.n_features, self.momentum, self.eps = int(n_features), float(momentum), float(eps)
        dtype = np.dtype(dtype)
        self.params = {"gamma": np.ones(n_features, dtype), "beta": np.zeros(n_features, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.buffers = {
            "running_mean": np.zeros(n_features, dtype),
            "running_var": np.ones(n_features, dtype),
        }
        self.cache: BatchNormCache | None = None

    gamma = property(lambda self: self.params["gamma"])
    beta = property(lambda self: self.params["beta"])

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """Normalize by the batch's statistics (``training``) or the running averages.

        Parameters
        ----------
        x : ndarray of shape (batch, n_features) or (batch, n_features, H, W)

        Returns
        -------
        ndarray of the shape of ``x``
        """
        gamma = self.params["gamma"]
        x = np.asarray(x, dtype=gamma.dtype)
        if x.ndim < 2 or x.shape[1] != self.n_features:
            raise ValueError(
                f"{self!r} normalizes axis 1 of {self.n_features} features, got inputs of "
                f"shape {x.shape}"
            )
        if not training:
            run = self.buffers
            y, self.cache, _, _ = batchnorm_forward(
                x, gamma, self.params["beta"], self.eps, run["running_mean"], run["running_var"]
            )
            return y
        y, self.cache, mean, var = batchnorm_forward(x, gamma, self.params["beta"], self.eps)
        m = x.size // self.n_features
        keep = self.momentum
        self.buffers["running_mean"] *= keep
        self.buffers["running_mean"] += (1.0 - keep) * mean
        self.buffers["running_var"] *= keep
        self.buffers["running_var"] += (1.0 - keep) * var * (m / max(m - 1, 1))  # unbiased
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Fill ``dgamma`` and ``dbeta``; return ``dC/dx`` (N3 after a training forward pass)."""
        if self.cache is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        dx, dgamma, dbeta = batchnorm_backward(
            np.asarray(dy, self.params["gamma"].dtype), self.cache
        )
        self.grads["gamma"][...] = dgamma
        self.grads["beta"][...] = dbeta
        return dx

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The input's shape, whose first axis must hold ``n_features``."""
        shape = tuple(input_shape)
        if not shape or shape[0] != self.n_features:
            raise ValueError(
                f"{self!r} takes examples of shape ({self.n_features},) or "
                f"({self.n_features}, H, W), got {shape}"
            )
        return shape

    def config(self) -> dict[str, Any]:
        return {"n_features": self.n_features, "momentum": self.momentum, "eps": self.eps}

    @classmethod
    def param_shapes(cls, **config: Any) -> dict[str, tuple[int, ...]]:
        n = config.get("n_features")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"BatchNorm: n_features must be a positive integer, got {n!r}")
        return {"gamma": (int(n),), "beta": (int(n),)}

    @classmethod
    def buffer_shapes(cls, **config: Any) -> dict[str, tuple[int, ...]]:
        """Shape of each buffer of ``cls(**config)``: the two running averages."""
        (n,) = cls.param_shapes(**config)["gamma"]
        return {"running_mean": (n,), "running_var": (n,)}
