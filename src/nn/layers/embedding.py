"""The lookup table of a language model: :class:`Embedding`, token ids to vectors.

``Embedding(n_tokens, n_out)`` holds a matrix ``W`` of shape ``(n_tokens, n_out)``, one row per
token, and maps a batch of id sequences ``(batch, T)`` to ``(batch, T, n_out)`` by picking rows:
``y[x, t] = W[ids[x, t]]``. That is a dense layer fed one-hot vectors, ``onehot(ids) @ W``, done
without building the one-hot matrix; its gradient is therefore that dense layer's BP4,
``dW = onehot(ids)^T dy``: the rows of ``dy`` added into the rows of the tokens that produced
them. Backward computes it as that product (one-hot built there), which is much faster than
adding row by row (``np.add.at``) and exact: each entry is a sum of the same terms.

The ids arrive as numbers of any dtype (a network's inputs are floats); they must be whole
numbers in ``0 .. n_tokens - 1``. There is no gradient with respect to an id, so backward
returns zeros there (or nothing, when asked for no ``dx``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.core.layer import Layer

__all__ = ["Embedding"]


def _check_size(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Embedding: {name} must be a positive integer, got {value!r}")
    return int(value)


class Embedding(Layer):
    """Token ids ``(batch, T)`` to vectors ``(batch, T, n_out)``: rows of ``W``.

    Parameters
    ----------
    n_tokens : int
        Size of the vocabulary: ids run from 0 to ``n_tokens - 1``.
    n_out : int
        Length of each token's vector.
    rng : numpy.random.Generator or int or None
        Source of the initial ``W``, drawn from N(0, 1) as PyTorch does.
    dtype : numpy dtype, default float32
    weights : ndarray of shape (n_tokens, n_out), optional
        A table to start from, used as it is (not copied), instead of drawing one: what
        :func:`nn.load` passes (:meth:`from_arrays`).

    Attributes
    ----------
    W : ndarray of shape (n_tokens, n_out)
    dW : ndarray of shape (n_tokens, n_out)
        ``dC/dW`` after ``backward``.
    """

    can_skip_dx = True  # ids have no gradient; the first layer is not asked for one
    #: Trait: the inputs are token ids, not measurements, so their scale means nothing (the
    #: doctor does not ask for them to be standardized).
    takes_ids = True

    def __init__(
        self,
        n_tokens: int,
        n_out: int,
        *,
        rng: np.random.Generator | int | None = None,
        dtype: np.dtype | type = np.float32,
        weights: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.n_tokens = _check_size("n_tokens", n_tokens)
        self.n_out = _check_size("n_out", n_out)
        if weights is None:
            W = np.random.default_rng(rng).standard_normal((self.n_tokens, self.n_out))
            weights = W.astype(dtype)
        self.params = {"W": weights}  # a stored table (from_arrays) is used as it is
        # np.zeros, not zeros_like: fresh zero pages cost no memory until backward writes them
        self.grads = {"W": np.zeros(weights.shape, weights.dtype)}
        self.ids: np.ndarray | None = None

    W = property(lambda self: self.params["W"])
    dW = property(lambda self: self.grads["W"])

    def token_ids(self, x: np.ndarray) -> np.ndarray:
        """``x`` as integer ids, checked: whole numbers in ``0 .. n_tokens - 1``.

        Raises
        ------
        ValueError
            Naming the first id that is not one.
        """
        x = np.asarray(x)
        bad = ~np.isfinite(x) if x.dtype.kind in "fc" else np.zeros(x.shape, dtype=bool)
        ids = np.where(bad, 0, x).astype(np.intp)
        bad |= (ids != x) | (ids < 0) | (ids >= self.n_tokens)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{self!r} takes token ids, whole numbers from 0 to {self.n_tokens - 1}; "
                f"got {x[where]!r} at {where}"
            )
        return ids

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """The rows of ``W`` for the ids ``x``.

        Parameters
        ----------
        x : ndarray of shape (batch, T), or any shape of ids
        training : bool
            Unused.

        Returns
        -------
        ndarray of shape (*x.shape, n_out)
        """
        self.ids = self.token_ids(x)
        return self.params["W"][self.ids]

    def backward(self, dy: np.ndarray, *, need_dx: bool = True) -> np.ndarray | None:
        """``dW = onehot(ids)^T dy`` (BP4 of a dense layer fed one-hot rows).

        Parameters
        ----------
        dy : ndarray of shape (*ids.shape, n_out)

        Returns
        -------
        ndarray of zeros of the ids' shape (an id has no gradient), or None
        """
        if self.ids is None:
            raise ValueError("Embedding: backward needs a forward pass first")
        W = self.params["W"]
        ids = self.ids.reshape(-1)
        onehot = np.zeros((ids.size, self.n_tokens), dtype=W.dtype)  # (batch * T, n_tokens)
        onehot[np.arange(ids.size), ids] = 1
        np.matmul(onehot.T, np.asarray(dy, W.dtype).reshape(ids.size, -1), out=self.grads["W"])
        return np.zeros(self.ids.shape, dtype=W.dtype) if need_dx else None

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(*input_shape, n_out)``: a vector per id."""
        return (*tuple(input_shape), self.n_out)

    def config(self) -> dict[str, Any]:
        return {"n_tokens": self.n_tokens, "n_out": self.n_out}

    @classmethod
    def from_arrays(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Embedding:
        """The layer around a stored table ``W`` (not copied), drawing none."""
        return cls(**config, weights=arrays["W"])

    @classmethod
    def param_shapes(cls, **config: Any) -> dict[str, tuple[int, ...]]:
        n_tokens = _check_size("n_tokens", config.get("n_tokens"))
        return {"W": (n_tokens, _check_size("n_out", config.get("n_out")))}
