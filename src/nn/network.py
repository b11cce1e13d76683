"""The network: a list of layers and a loss, trained by backpropagation.

Backpropagation as dynamic programming
--------------------------------------
The gradient of the loss with respect to a weight deep in the network is a product of
derivatives along every path from that weight to the loss. Computed weight by weight, the
downstream part of that product is recomputed for every weight (see ``nn.reference`` for
that slow way). Backprop computes it once per layer instead: ``delta^l = dC/dz^l`` is built
from ``delta^{l+1}`` (BP2), and every weight gradient of layer ``l`` is read off ``delta^l``
(BP3, BP4). :meth:`Network.backward` is that memoized recursion: one walk over the layers in
reverse, each layer handing its ``dC/dx`` to the layer below. docs/backprop.md derives the
four equations, counts the operations both ways (OC1, OC2) and quotes the lines below.

Relation to Nielsen's ``network.py``: his ``backprop(x, y)`` handles one column-vector example
and ``update_mini_batch`` loops over the batch; here every line works on the whole batch at
once, stacked as rows (batch-first), which is the same arithmetic done by matrix products.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from nn.callbacks import Callback
from nn.layers import Layer
from nn.losses import Loss
from nn.optimizers import SGD, Optimizer

__all__ = ["Network", "History"]

#: What ``fit`` returns: per-epoch lists under "epoch", "loss", "accuracy", "val_loss",
#: "val_accuracy" and "seconds" (plus whatever callbacks add).
History = dict[str, list[Any]]


class Network:
    """A feed-forward network: ``layers`` applied in order, then ``loss``.

    Parameters
    ----------
    layers : sequence of Layer
        For Nielsen's networks: ``[Dense, Sigmoid, Dense, Sigmoid, ...]`` (see :func:`nn.mlp`).
    loss : Loss
        The cost ``C`` of the last layer's output, e.g. :class:`nn.SquaredError`.

    Attributes
    ----------
    layers : list of Layer
        The layers, input to output.
    loss : Loss
    """

    def __init__(self, layers: Sequence[Layer], loss: Loss) -> None:
        self.layers = list(layers)
        self.loss = loss
        if not self.layers:
            raise ValueError("Network needs at least one layer")

    # ------------------------------------------------------------------ structure
    def parameters(self) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """Every parameter tensor with its gradient, as ``(key, param, grad)``.

        ``key`` is ``"<layer index>.<name>"`` (``"0.W"``, ``"0.b"``, ``"2.W"``, ...): unique in
        the network, so optimizers can keep per-parameter state under it.
        """
        for i, layer in enumerate(self.layers):
            for name, param in layer.params.items():
                yield f"{i}.{name}", param, layer.grads[name]

    @property
    def dtype(self) -> np.dtype:
        """dtype of the parameters (float32 unless built otherwise)."""
        for _, param, _ in self.parameters():
            return param.dtype
        return np.dtype(np.float32)

    @property
    def n_in(self) -> int | None:
        """Number of input features the first layer with weights expects."""
        for layer in self.layers:
            if hasattr(layer, "n_in"):
                return int(layer.n_in)
        return None

    @property
    def n_out(self) -> int | None:
        """Width of the output (the last layer with a known output size)."""
        for layer in reversed(self.layers):
            if hasattr(layer, "n_out"):
                return int(layer.n_out)
        return None

    def copy(self, dtype: np.dtype | type | None = None) -> Network:
        """A deep copy, optionally with every parameter cast to ``dtype``."""
        net = copy.deepcopy(self)
        if dtype is not None:
            for layer in net.layers:
                for name, param in layer.params.items():
                    layer.params[name] = param.astype(dtype)
                    layer.grads[name] = np.zeros_like(layer.params[name])
        return net

    def __repr__(self) -> str:
        inner = ",\n".join(f"    {layer!r}" for layer in self.layers)
        return f"Network([\n{inner}\n], loss={self.loss!r})"

    # ------------------------------------------------------------------ the math
    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        """Feed a batch through every layer.

        Parameters
        ----------
        X : ndarray of shape (batch, n_in)
        training : bool
            Passed to each layer (dropout, for one, behaves differently when training).

        Returns
        -------
        ndarray of shape (batch, n_out)
            The output activations ``a^L``. Each layer keeps its cache for :meth:`backward`.
        """
        a = X
        for layer in self.layers:
            a = layer.forward(a, training=training)
        return a

    def backward(self, da: np.ndarray) -> np.ndarray:
        """Backpropagate ``dC/da^L`` through the layers of the last :meth:`forward`.

        Parameters
        ----------
        da : ndarray of shape (batch, n_out)
            Gradient of the loss with respect to the network's output (``loss.gradient``).

        Returns
        -------
        ndarray of shape (batch, n_in)
            Gradient of the loss with respect to the input. On the way, every layer's
            ``grads`` is filled.

        Notes
        -----
        The dynamic programming: ``d`` is computed once per layer and reused by the layer
        below. Through an activation layer it becomes ``delta = d (.) sigma'(z)`` (BP1 at the
        top, the second half of BP2 below); through a dense layer it gives ``dW`` and ``db``
        (BP4, BP3) and becomes ``delta @ W.T`` (the first half of BP2).
        """
        d = da
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d

    def gradients(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Compute the loss on a batch and fill every layer's ``grads`` with its gradient.

        Parameters
        ----------
        X : ndarray of shape (batch, n_in)
        Y : ndarray of shape (batch, n_out), or (batch,) integer class labels

        Returns
        -------
        float
            The loss ``C`` of the batch, before any update.
        """
        X = self._inputs(X)
        T = self._targets(Y, len(X))
        a = self.forward(X, training=True)
        self.backward(self.loss.gradient(a, T))
        return self.loss.value(a, T)

    # ------------------------------------------------------------------ training
    def fit(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        epochs: int,
        batch_size: int,
        lr: float | None = None,
        optimizer: Optimizer | None = None,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        seed: int | np.random.Generator | None = None,
        verbose: bool = True,
        callbacks: Sequence[Callback] = (),
    ) -> History:
        """Train by mini-batch stochastic gradient descent.

        Each epoch shuffles the training set, splits it into mini-batches of ``batch_size``
        (the last one may be smaller), and for each one runs forward, backward and an
        optimizer step.

        Parameters
        ----------
        X : ndarray of shape (n, n_in)
            Training inputs.
        Y : ndarray of shape (n, n_out), or (n,) integer class labels
            Targets: one-hot rows, real-valued rows, or class labels ``0 .. n_out - 1``
            (for a single output unit, labels 0 and 1).
        epochs, batch_size : int
        lr : float, optional
            Learning rate for plain :class:`nn.SGD`; give either ``lr`` or ``optimizer``.
        optimizer : Optimizer, optional
        validation_data : (X_val, Y_val), optional
            Evaluated after every epoch (Nielsen's demo passes the test set here).
        seed : int or Generator, optional
            Source of the shuffling; the same seed gives the same weights bit for bit.
        verbose : bool
            Show a progress bar per epoch and a line of metrics after it.
        callbacks : sequence of Callback

        Returns
        -------
        History
            Per epoch: ``loss`` and ``accuracy`` on the training set (running averages over
            the epoch's mini-batches, so they cost nothing extra; accuracy is None for
            targets that are not classes), ``val_loss`` and ``val_accuracy`` (None without
            validation data), and ``seconds`` spent in the epoch.
        """
        if (lr is None) == (optimizer is None):
            raise ValueError("fit: give exactly one of lr=... (plain SGD) or optimizer=...")
        for name, value in (("epochs", epochs), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"fit: {name} must be a positive integer, got {value!r}")
        opt = optimizer if optimizer is not None else SGD(lr)  # type: ignore[arg-type]
        X = self._inputs(X)
        T = self._targets(Y, len(X))
        labels = _class_labels(Y, T)  # None when the targets are not classes
        if validation_data is not None:
            Xv, Yv = validation_data
            Xv = self._inputs(Xv, name="validation X")
            self._targets(Yv, len(Xv), name="validation Y")  # check before any work is done
        rng = np.random.default_rng(seed)
        n = len(X)
        history: History = {
            "epoch": [],
            "loss": [],
            "accuracy": [],
            "val_loss": [],
            "val_accuracy": [],
            "seconds": [],
        }
        for cb in callbacks:
            cb.on_train_begin(self, history)
        step = 0
        try:
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                order = rng.permutation(n)
                loss_sum, correct = 0.0, 0
                batches = range(0, n, batch_size)
                bar = tqdm(
                    batches,
                    desc=f"Epoch {epoch}/{epochs}",
                    unit="batch",
                    leave=False,
                    disable=not verbose,
                )
                stop = False
                for i in bar:
                    idx = order[i : i + batch_size]
                    xb, tb = X[idx], T[idx]  # (batch, n_in), (batch, n_out)
                    a = self.forward(xb, training=True)
                    loss = self.loss.value(a, tb)
                    self.backward(self.loss.gradient(a, tb))
                    opt.step(self.parameters())
                    step += 1
                    loss_sum += loss * len(idx)
                    if labels is not None:
                        correct += int(np.count_nonzero(_predicted_labels(a) == labels[idx]))
                    for cb in callbacks:
                        cb.on_step_end(self, epoch, step, loss)
                history["epoch"].append(epoch)
                history["loss"].append(loss_sum / n)
                history["accuracy"].append(correct / n if labels is not None else None)
                if validation_data is not None:
                    scores = self.evaluate(*validation_data)
                    history["val_loss"].append(scores["loss"])
                    history["val_accuracy"].append(scores["accuracy"])
                else:
                    history["val_loss"].append(None)
                    history["val_accuracy"].append(None)
                history["seconds"].append(time.perf_counter() - start)
                if verbose:
                    tqdm.write(_epoch_line(history, epochs))
                for cb in callbacks:
                    stop = bool(cb.on_epoch_end(self, epoch, history)) or stop
                if stop:
                    break
        finally:
            for cb in callbacks:
                cb.on_train_end(self, history)
        return history

    # ------------------------------------------------------------------ using it
    def predict(self, X: np.ndarray, *, batch_size: int = 4096) -> np.ndarray:
        """Network outputs for ``X`` (prediction mode: dropout and the like are off).

        Parameters
        ----------
        X : ndarray of shape (n, n_in)
        batch_size : int
            Examples per forward pass; bounds the memory used on large inputs.

        Returns
        -------
        ndarray of shape (n, n_out)
        """
        X = self._inputs(X)
        outs = [self.forward(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
        return np.concatenate(outs) if len(outs) != 1 else outs[0]

    def classify(self, X: np.ndarray) -> np.ndarray:
        """Predicted class of each example: the arg-max output, or output > 0.5 for one unit.

        Returns
        -------
        ndarray of shape (n,), int64
        """
        return _predicted_labels(self.predict(X))

    def evaluate(self, X: np.ndarray, Y: np.ndarray) -> dict[str, float | None]:
        """Loss and accuracy on a data set.

        Returns
        -------
        dict
            ``{"loss": C, "accuracy": fraction correct}``; accuracy is None when ``Y`` is not
            class labels or one-hot rows.
        """
        X = self._inputs(X)
        T = self._targets(Y, len(X))
        a = self.predict(X)
        labels = _class_labels(Y, T)
        accuracy = None
        if labels is not None:
            accuracy = float(np.mean(_predicted_labels(a) == labels))
        return {"loss": self.loss.value(a, T), "accuracy": accuracy}

    def save(self, path: str) -> None:
        """Save to an ``.npz`` file that :func:`nn.load` reads back (see :mod:`nn.serialize`)."""
        from nn.serialize import save

        save(self, path)

    # ------------------------------------------------------------------ checks
    def _inputs(self, X: np.ndarray, name: str = "X") -> np.ndarray:
        """``X`` as a 2-D array of the network's dtype (copied only when the dtype differs)."""
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold numbers, got an array of dtype {X.dtype}")
        if X.ndim != 2:
            raise ValueError(
                f"{name} must have shape (n_examples, n_features), got shape {X.shape}; "
                "flatten images first, e.g. X.reshape(len(X), -1)"
            )
        n_in = self.n_in
        if n_in is not None and X.shape[1] != n_in:
            raise ValueError(
                f"{name} has {X.shape[1]} features per example but the first layer expects {n_in}"
            )
        return X.astype(self.dtype, copy=False)

    def _targets(self, Y: np.ndarray, n: int, name: str = "Y") -> np.ndarray:
        """Targets as ``(n, n_out)`` rows of the network's dtype; class labels become one-hot."""
        Y = np.asarray(Y)
        if len(Y) != n:
            raise ValueError(f"{name} has {len(Y)} rows but X has {n}; they must match")
        n_out = self.n_out
        if Y.ndim == 1:
            if Y.dtype.kind not in "biu":
                raise TypeError(
                    f"{name} is 1-D, so it must hold integer class labels, got dtype {Y.dtype}; "
                    "pass Y.astype(int) or one row of targets per example"
                )
            k = n_out if n_out is not None else int(Y.max()) + 1
            if k == 1:  # one output unit: labels 0/1 are the targets themselves
                if Y.size and (Y.min() < 0 or Y.max() > 1):
                    raise ValueError(f"{name}: with one output unit labels must be 0 or 1")
                return Y.reshape(-1, 1).astype(self.dtype)
            if Y.size and (Y.min() < 0 or Y.max() >= k):
                raise ValueError(
                    f"{name} holds class labels from {Y.min()} to {Y.max()} but the output "
                    f"layer has {k} units, so labels must be 0 .. {k - 1}"
                )
            T = np.zeros((len(Y), k), dtype=self.dtype)
            T[np.arange(len(Y)), Y] = 1
            return T
        if Y.ndim != 2:
            raise ValueError(f"{name} must be 1-D class labels or 2-D target rows, got {Y.shape}")
        if n_out is not None and Y.shape[1] != n_out:
            raise ValueError(
                f"{name} rows have width {Y.shape[1]} but the output layer has {n_out} units"
            )
        return Y.astype(self.dtype, copy=False)


def _class_labels(Y: np.ndarray, T: np.ndarray) -> np.ndarray | None:
    """The class of each example when the targets are classes, else None."""
    Y = np.asarray(Y)
    if Y.ndim == 1:
        return Y.astype(np.int64)
    if T.shape[1] == 1:
        ok = np.isin(T, (0, 1)).all()
        return T[:, 0].astype(np.int64) if ok else None
    one_hot = np.isin(T, (0, 1)).all() and (T.sum(axis=1) == 1).all()
    return T.argmax(axis=1) if one_hot else None


def _predicted_labels(a: np.ndarray) -> np.ndarray:
    """Arg-max of each output row, or ``a > 0.5`` for a single output unit."""
    if a.shape[1] == 1:
        return (a[:, 0] > 0.5).astype(np.int64)
    return a.argmax(axis=1)


def _epoch_line(history: History, epochs: int) -> str:
    """One line of metrics for the epoch just finished."""
    parts = [f"Epoch {history['epoch'][-1]}/{epochs}: loss {history['loss'][-1]:.4f}"]
    if history["accuracy"][-1] is not None:
        parts.append(f"accuracy {history['accuracy'][-1]:.4f}")
    if history["val_loss"][-1] is not None:
        parts.append(f"val_loss {history['val_loss'][-1]:.4f}")
    if history["val_accuracy"][-1] is not None:
        parts.append(f"val_accuracy {history['val_accuracy'][-1]:.4f}")
    parts.append(f"({history['seconds'][-1]:.1f} s)")
    return ", ".join(parts[:-1]) + " " + parts[-1]
