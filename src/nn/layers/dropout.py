"""Inverted dropout as a layer: random units silenced while training, none in prediction.

While training, each unit's activation is kept with probability ``p = 1 - rate`` and set to 0
otherwise, independently per example and per step, and the kept ones are divided by ``p``
("inverted" dropout). The division keeps the expected activation unchanged,
``E[mask * x / p] = p * x / p = x``, so in prediction the layer is simply the identity and the
weights need no rescaling afterwards (Nielsen ch. 3 halves the weights instead; the two are the
same in expectation). Backward multiplies by the same mask: a silenced unit passes no gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.core.layer import Layer

__all__ = ["Dropout"]


class Dropout(Layer):
    """Inverted dropout: ``y = x * mask / (1 - rate)`` in training, ``y = x`` in prediction.

    Parameters
    ----------
    rate : float
        Probability of dropping each unit, in [0, 1). 0 makes the layer the identity.
    rng : numpy.random.Generator or int or None
        Source of the masks (an int is a seed). ``None`` draws fresh entropy. The generator is
        not saved with a model; a loaded model gets a fresh one (prediction never uses it).

    Attributes
    ----------
    mask : ndarray of the shape of the last training input, or None
        The last training mask, already scaled: entries ``0`` or ``1 / (1 - rate)``.
    """

    is_random = True  # draws a mask from self.rng on every training forward pass

    def __init__(self, rate: float, *, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        rate = float(rate)
        if not 0.0 <= rate < 1.0:
            raise ValueError(
                f"Dropout: rate is the probability of dropping a unit and must be in [0, 1), "
                f"got {rate!r}"
            )
        self.rate = rate
        self.rng = np.random.default_rng(rng)
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """Drop units at random when ``training``, else pass ``x`` through.

        Parameters
        ----------
        x : ndarray of shape (batch, n), or (batch, *shape) for any shape
            Every entry is a unit, dropped on its own.
        training : bool
            True inside :meth:`nn.Network.fit` (and ``gradients``), False in ``predict``.

        Returns
        -------
        ndarray of the shape of ``x``
        """
        if not training or self.rate == 0.0:
            self.mask = None
            return x
        keep = 1.0 - self.rate
        dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        # the shape of x: 1/keep where kept, 0 where dropped
        self.mask = (self.rng.random(x.shape, dtype=dtype) < keep) * dtype.type(1.0 / keep)
        return x * self.mask

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """``dx = dy * mask``: the same units that were silenced pass no gradient."""
        return dy if self.mask is None else dy * self.mask

    def config(self) -> dict[str, Any]:
        return {"rate": self.rate}
