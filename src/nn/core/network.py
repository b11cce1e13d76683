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
import math
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from nn.core import registry
from nn.core.labels import class_labels, count_correct, predicted_labels
from nn.core.layer import Layer
from nn.core.loss import Loss, value_and_gradient
from nn.core.validation import (
    check_inputs,
    check_learning_rate,
    check_positive_int,
    check_seed,
    check_targets,
)
from nn.optim.optimizers import SGD, Optimizer
from nn.train.callbacks import Callback
from nn.train.checks import check_checkpoint_options, check_validation_data
from nn.train.safeguards import Diverged, TrainingRun

__all__ = ["Network", "History"]

#: What ``fit`` returns: per-epoch lists under "epoch", "loss", "accuracy", "val_loss",
#: "val_accuracy" and "seconds" (plus whatever callbacks add), and "stopped" (a dict) when
#: training ended early because it diverged or was interrupted.
History = dict[str, Any]


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
    metadata : dict
        Plain facts about the model (names to str, number, bool or None) that :meth:`save`
        writes and :func:`nn.load` reads back; ``nn train --save`` records ``dataset`` here.
        Empty for a new network.
    """

    def __init__(self, layers: Sequence[Layer], loss: Loss) -> None:
        self.layers = list(layers)
        self.loss = loss
        self.metadata: dict[str, Any] = {}
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

    def backward(self, da: np.ndarray, *, need_dx: bool = True) -> np.ndarray | None:
        """Backpropagate ``dC/da^L`` through the layers of the last :meth:`forward`.

        Parameters
        ----------
        da : ndarray of shape (batch, n_out)
            Gradient of the loss with respect to the network's output (``loss.gradient``).
        need_dx : bool, default True
            False when the gradient with respect to the input is not wanted (training): the
            first layer then skips computing it if it can (its ``can_skip_dx``, see
            :mod:`nn.layers.dense`) and None is returned. The parameters' gradients are the same.

        Returns
        -------
        ndarray of shape (batch, n_in), or None
            Gradient of the loss with respect to the input (None if ``need_dx`` is False).
            On the way, every layer's ``grads`` is filled.

        Notes
        -----
        The dynamic programming: ``d`` is computed once per layer and reused by the layer
        below. Through an activation layer it becomes ``delta = d (.) sigma'(z)`` (BP1 at the
        top, the second half of BP2 below); through a dense layer it gives ``dW`` and ``db``
        (BP4, BP3) and becomes ``delta @ W.T`` (the first half of BP2).
        """
        d = da
        for layer in reversed(self.layers[1:]):
            d = layer.backward(d)
        first = self.layers[0]
        if need_dx or not getattr(first, "can_skip_dx", False):
            d = first.backward(d)
            return d if need_dx else None
        first.backward(d, need_dx=False)  # dC/dX of the data: never used, never computed
        return None

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
        X = self.checked_inputs(X)
        T = self.checked_targets(Y, len(X))
        a = self.forward(X, training=True)
        self.backward(self.loss.gradient(a, T), need_dx=False)
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
        validation_split: float = 0.0,
        seed: int | np.random.Generator | None = None,
        verbose: bool = True,
        validation_name: str = "val",
        callbacks: Sequence[Callback] = (),
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int | str = "epoch",
        resume: bool | str | os.PathLike[str] = False,
    ) -> History:
        """Train by mini-batch stochastic gradient descent.

        Each epoch shuffles the training set, splits it into mini-batches of ``batch_size``
        (the last one may be smaller), and for each one runs forward, backward and an
        optimizer step. Every argument is checked before any work starts.

        Parameters
        ----------
        X : ndarray of shape (n, n_in)
            Training inputs.
        Y : ndarray of shape (n, n_out), or (n,) integer class labels
            Targets: one-hot rows, real-valued rows, or class labels ``0 .. n_out - 1``
            (for a single output unit, labels 0 and 1).
        epochs, batch_size : int
            ``epochs`` counts the whole run: a resumed run stops after epoch ``epochs``.
        lr : float, optional
            Learning rate for plain :class:`nn.SGD`; give either ``lr`` or ``optimizer``.
        optimizer : Optimizer, optional
        validation_data : (X_val, Y_val), optional
            Evaluated after every epoch (Nielsen's demo passes the test set here).
        validation_split : float, default 0
            Fraction of ``(X, Y)`` to hold out as validation data instead, in (0, 1): before
            training, a random permutation drawn from ``seed`` (first thing from the same
            generator as the shuffling) puts ``round(validation_split * n)`` examples in the
            validation set and trains on the rest, so the same seed gives the same split. Not
            stratified. Give this or ``validation_data``, not both. Resuming such a run
            needs the same int ``seed``, since the split is drawn again from it.
        seed : int or Generator, optional
            Source of the shuffling (and of the validation split); the same seed gives the
            same weights bit for bit.
        verbose : bool
            Show a line of metrics after each epoch, and a progress bar during it when
            output goes to a terminal (or a notebook), not to a file or pipe.
        validation_name : str, default "val"
            Prefix of the validation figures in those lines: ``"test"`` when
            ``validation_data`` is the test set, so that they are not taken for a held-out
            validation set. The history keys stay ``val_loss`` and ``val_accuracy``.
        callbacks : sequence of Callback
        checkpoint : path, optional
            Write a checkpoint there (atomically) every ``checkpoint_every`` and when
            training ends, is interrupted or diverges (see :mod:`nn.train.checkpoint`).
        checkpoint_every : int or "epoch"
            A number of optimizer steps, or "epoch" (the default) for the end of each epoch.
        resume : bool or path
            A path: continue the run saved in that checkpoint. True: continue from
            ``checkpoint`` if that file exists, else start afresh. The data, ``batch_size``,
            network and optimizer type must be those of the interrupted run; ``seed`` is then
            replaced by the saved generator state. The result is identical bit for bit to an
            uninterrupted run.

        Returns
        -------
        History
            Per epoch: ``loss`` and ``accuracy`` on the training set (running averages over
            the epoch's mini-batches, so they cost nothing extra; accuracy is None for
            targets that are not classes), ``val_loss`` and ``val_accuracy`` (None without
            validation data), and ``seconds`` spent in the epoch. When training stopped
            early because the loss or a weight became NaN or inf, or because of Ctrl-C,
            ``history["stopped"]`` says so (see :mod:`nn.train.safeguards`), a
            :class:`nn.TrainingDiverged` or :class:`nn.TrainingInterrupted` warning is
            issued, and the network keeps the weights of the last finite, completed step.

        Raises
        ------
        TypeError, ValueError
            For a bad argument (see :mod:`nn.core.validation`), before any work.
        FileNotFoundError
            If ``resume`` names a file that does not exist.
        nn.CheckpointError
            If the checkpoint to resume from is damaged or was written by another run.
        """
        epochs = check_positive_int("epochs", epochs)
        batch_size = check_positive_int("batch_size", batch_size)
        if (lr is None) == (optimizer is None):
            raise ValueError("fit: give exactly one of lr=... (plain SGD) or optimizer=...")
        if optimizer is not None and not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"optimizer must be an Optimizer instance such as nn.SGD(lr=0.1), got {optimizer!r}"
            )
        opt = optimizer if optimizer is not None else SGD(check_learning_rate("lr", lr))
        check_seed("seed", seed)
        if not isinstance(validation_name, str):
            raise TypeError(
                f"validation_name must be a str such as 'test', got {validation_name!r}"
            )
        path, every, resume_from = check_checkpoint_options(checkpoint, checkpoint_every, resume)
        X = self.checked_inputs(X)
        T = self.checked_targets(Y, len(X))
        labels = class_labels(Y, T)  # None when the targets are not classes
        rng = np.random.default_rng(seed)
        if validation_split:
            X, T, labels, validation_data = _split_off_validation(
                X, T, labels, np.asarray(Y), validation_split, validation_data, rng
            )
        if validation_data is not None:
            Xv, Yv = check_validation_data(validation_data)
            Xv = self.checked_inputs(Xv, name="validation X")
            self.checked_targets(Yv, len(Xv), name="validation Y")
        run = TrainingRun(
            self, opt, X, T, labels, batch_size=batch_size, seed=rng, checkpoint=path,
            every=every, resume_from=resume_from,
        )  # fmt: skip
        history = run.history
        if verbose and resume_from is not None:
            tqdm.write(f"Resuming from {resume_from}: epoch {run.epoch}, {run.step} steps done")
        n = len(X)
        for cb in callbacks:
            cb.on_train_begin(self, history)
        try:
            # fit reports NaN and inf itself (safeguards.py), so NumPy's warnings are noise,
            # and a warning turned into an error must not cut an update in half.
            with run, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                while run.epoch <= epochs:
                    start = time.perf_counter()
                    order = run.begin_epoch()
                    bar = tqdm(
                        range(run.batch * batch_size, n, batch_size),
                        desc=f"Epoch {run.epoch}/{epochs}",
                        unit="batch",
                        total=run.n_batches,
                        initial=run.batch,
                        leave=False,
                        disable=None if verbose else True,  # None: off when not a TTY
                    )
                    for i in bar:
                        idx = order[i : i + batch_size]
                        a, loss = self.train_step(X[idx], T[idx], opt, run)
                        run.step_done(loss, len(idx), count_correct(a, labels, idx))
                        for cb in callbacks:
                            cb.on_step_end(self, run.epoch, run.step, loss)
                        if run.stop_requested:
                            raise KeyboardInterrupt
                    scores: dict[str, float | None] = {"loss": None, "accuracy": None}
                    if validation_data is not None:
                        scores = self.evaluate(*validation_data)
                    epoch = run.epoch
                    run.close_epoch(
                        {
                            "epoch": epoch,
                            "loss": run.loss_sum / n,
                            "accuracy": run.correct / n if labels is not None else None,
                            "val_loss": scores["loss"],
                            "val_accuracy": scores["accuracy"],
                            "seconds": time.perf_counter() - start,
                        }
                    )
                    if verbose:
                        tqdm.write(_epoch_line(history, epochs, validation_name))
                    stop = False
                    for cb in callbacks:
                        stop = bool(cb.on_epoch_end(self, epoch, history)) or stop
                    if run.stop_requested:
                        raise KeyboardInterrupt
                    if stop:
                        break
                run.finish()
        except KeyboardInterrupt:
            run.interrupted()
        except Diverged as err:
            run.diverged(err)
        finally:
            for cb in callbacks:
                cb.on_train_end(self, history)
        return history

    def train_step(
        self, X: np.ndarray, T: np.ndarray, optimizer: Optimizer, run: TrainingRun | None = None
    ) -> tuple[np.ndarray, float]:
        """One step of mini-batch gradient descent: forward, loss, backward, update.

        ``fit`` runs this for every mini-batch, and so does the replay that finds the step at
        which training diverged (:mod:`nn.train.safeguards`): one training step, written once.

        Parameters
        ----------
        X : ndarray of shape (batch, n_in)
            Inputs, already of the network's dtype.
        T : ndarray of shape (batch, n_out)
            Targets as rows (one-hot for classes).
        optimizer : Optimizer
        run : TrainingRun, optional
            Told when the update starts, so a second Ctrl-C waits for it to finish.

        Returns
        -------
        a : ndarray of shape (batch, n_out)
            The outputs before the update.
        loss : float
            The loss of the batch before the update.

        Raises
        ------
        Diverged
            If the loss is NaN or infinite; it is checked before the update, so the weights
            are left as they were.
        """
        a = self.forward(X, training=True)
        loss, da = value_and_gradient(self.loss, a, T)  # C and dC/da (one pass where it can)
        if not math.isfinite(loss):  # checked before the update is applied
            raise Diverged(f"the loss became {loss}")
        self.backward(da, need_dx=False)
        if run is not None:
            run.updating = True  # a second Ctrl-C waits for the update to finish
        optimizer.step(self.parameters())
        return a, loss

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
            The output layer's activations; for a loss on logits such as
            :class:`nn.SoftmaxCrossEntropy`, the loss's ``output`` of them (probabilities).
        """
        batch_size = check_positive_int("batch_size", batch_size)
        return self.loss.output(self.raw_outputs(X, batch_size))

    def raw_outputs(self, X: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """The last layer's outputs in prediction mode (logits for a ``takes_logits`` loss)."""
        X = self.checked_inputs(X, allow_empty=True)
        if len(X) == 0:
            return self.forward(X)  # (0, n_out)
        outs = [self.forward(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
        return np.concatenate(outs) if len(outs) != 1 else outs[0]

    def classify(self, X: np.ndarray) -> np.ndarray:
        """Predicted class of each example: the arg-max output, or output > 0.5 for one unit.

        Returns
        -------
        ndarray of shape (n,), int64
        """
        return predicted_labels(self.predict(X))

    def evaluate(self, X: np.ndarray, Y: np.ndarray) -> dict[str, float | None]:
        """Loss and accuracy on a data set.

        Returns
        -------
        dict
            ``{"loss": C, "accuracy": fraction correct}``; accuracy is None when ``Y`` is not
            class labels or one-hot rows.
        """
        X = self.checked_inputs(X)
        T = self.checked_targets(Y, len(X))
        a = self.raw_outputs(X)  # what the loss takes: activations, or logits
        labels = class_labels(Y, T)
        accuracy = None
        if labels is not None:
            accuracy = float(np.mean(predicted_labels(self.loss.output(a)) == labels))
        return {"loss": self.loss.value(a, T), "accuracy": accuracy}

    def save(self, path: str) -> None:
        """Save to an ``.npz`` file that :func:`nn.load` reads back (:mod:`nn.io.model_file`)."""
        from nn.io.model_file import save

        save(self, path)

    # ------------------------------------------------------------------ checks
    def checked_inputs(
        self, X: np.ndarray, name: str = "X", allow_empty: bool = False
    ) -> np.ndarray:
        """``X`` checked against what the first layer takes, as an array of the dtype.

        Every entry point (``fit``, ``evaluate``, ``predict``, the gradient checker, the
        diagnostics) checks its data through this, so a mistake gets the same message
        wherever it is made (:func:`nn.core.validation.check_inputs`). ``name`` is how the
        argument is called in messages; ``allow_empty`` accepts zero examples (``predict``).
        """
        return check_inputs(X, self.n_in, self.dtype, name=name, allow_empty=allow_empty)

    def checked_targets(self, Y: np.ndarray, n: int, name: str = "Y") -> np.ndarray:
        """Targets checked as ``(n, n_out)`` rows of the dtype; class labels become one-hot.

        ``n`` is the number of examples of the matching inputs; ``name`` is how the argument
        is called in messages (:func:`nn.core.validation.check_targets`).
        """
        return check_targets(Y, n, self.n_out, self.dtype, name=name)


registry.register(registry.NETWORKS, Network)  # what nn.load builds a model file into


def _split_off_validation(
    X: np.ndarray,
    T: np.ndarray,
    labels: np.ndarray | None,
    Y: np.ndarray,
    fraction: float,
    validation_data: tuple[np.ndarray, np.ndarray] | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[np.ndarray, np.ndarray]]:
    """Hold out ``round(fraction * n)`` random examples: (X, T, labels) to train on, and
    ``(X_val, Y_val)`` with ``Y_val`` in the caller's format."""
    if validation_data is not None:
        raise ValueError("fit: give validation_data or validation_split, not both")
    fraction = float(fraction)
    n_val = round(fraction * len(X))
    if not 0.0 < fraction < 1.0 or not 1 <= n_val < len(X):
        raise ValueError(
            f"fit: validation_split must be in (0, 1) and leave at least one example on each "
            f"side; {fraction!r} of {len(X)} examples gives {n_val} for validation"
        )
    order = rng.permutation(len(X))
    val, train = order[:n_val], order[n_val:]
    kept = None if labels is None else labels[train]
    return X[train], T[train], kept, (X[val], Y[val])


def _epoch_line(history: History, epochs: int, validation_name: str = "val") -> str:
    """One line of metrics for the epoch just finished."""
    parts = [f"Epoch {history['epoch'][-1]}/{epochs}: loss {history['loss'][-1]:.4f}"]
    if history["accuracy"][-1] is not None:
        parts.append(f"accuracy {history['accuracy'][-1]:.4f}")
    if history["val_loss"][-1] is not None:
        parts.append(f"{validation_name}_loss {history['val_loss'][-1]:.4f}")
    if history["val_accuracy"][-1] is not None:
        parts.append(f"{validation_name}_accuracy {history['val_accuracy'][-1]:.4f}")
    parts.append(f"({duration(history['seconds'][-1])})")
    return ", ".join(parts[:-1]) + " " + parts[-1]


def duration(seconds: float) -> str:
    """``seconds`` for a person: ``"1.2 s"``, ``"43 ms"``, ``"0.31 ms"`` (never ``"0.0 s"``).

    Each value is rounded as it will be shown before its unit is chosen, so 0.9996 s is
    ``"1.0 s"``, not ``"1000 ms"``.

    Parameters
    ----------
    seconds : float
        A duration, not negative.

    Returns
    -------
    str
        Seconds with one decimal from 1 s, whole milliseconds from 10 ms, two significant
        digits below, and ``"< 0.01 ms"`` for what would round to 0.00 ms.
    """
    ms = seconds * 1000
    if round(ms) >= 1000:
        return f"{seconds:.1f} s"
    if float(f"{ms:.2g}") >= 10:
        return f"{ms:.0f} ms"
    return f"{ms:.2g} ms" if ms >= 0.005 else "< 0.01 ms"
