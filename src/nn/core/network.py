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
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core import registry
from nn.core.errors import Diverged
from nn.core.labels import class_labels, predicted_labels
from nn.core.layer import Layer
from nn.core.loss import Loss, value_and_gradient
from nn.core.network_shapes import NetworkShapes
from nn.core.validation import check_positive_int

if TYPE_CHECKING:  # pragma: no cover
    from nn.optim.optimizers import Optimizer
    from nn.train.callbacks import Callback
    from nn.train.safeguards import TrainingRun
    from nn.train.threads import ThreadPolicy

__all__ = ["Network", "History"]

#: What ``fit`` returns: per-epoch lists under "epoch", "loss", "accuracy", "val_loss",
#: "val_accuracy", "seconds" (and what callbacks add); "stopped" (a dict) if it ended early.
History = dict[str, Any]


class Network(NetworkShapes):
    """A feed-forward network: ``layers`` applied in order, then ``loss``.

    What it knows about shapes (:attr:`input_shape`, :meth:`output_shape`, :meth:`summary`,
    ``n_in``, ``n_out``) and the checks of data against them (:meth:`checked_inputs`,
    :meth:`checked_targets`) are in :class:`nn.core.network_shapes.NetworkShapes`.

    Parameters
    ----------
    layers : sequence of Layer
        For Nielsen's networks: ``[Dense, Sigmoid, Dense, Sigmoid, ...]`` (see :func:`nn.mlp`).
    loss : Loss
        The cost ``C`` of the last layer's output, e.g. :class:`nn.SquaredError`.
    input_shape : tuple of int, optional
        The shape of one input example, e.g. ``(1, 28, 28)``, for a network whose first
        layer takes any shape (an activation, a per-channel scale). By default the first
        layer's own :attr:`~nn.core.layer.Layer.input_shape` (``(784,)`` for ``Dense(784,
        30)``), if it has one.

    Attributes
    ----------
    layers : list of Layer
        The layers, input to output.
    loss : Loss
    metadata : dict
        Plain facts about the model (names to str, number, bool or None) that :meth:`save`
        writes and :func:`nn.load` reads back; ``nn train --save`` records ``dataset`` here.
        Empty for a new network.

    Raises
    ------
    ValueError
        If the layers do not fit together: a layer refuses the shape the one before it gives.
    """

    def __init__(
        self, layers: Sequence[Layer], loss: Loss, *, input_shape: Sequence[int] | None = None
    ) -> None:
        self.layers = list(layers)
        self.loss = loss
        self.metadata: dict[str, Any] = {}
        if not self.layers:
            raise ValueError("Network needs at least one layer")
        self.set_input_shape(input_shape)  # and check that the layers fit together

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
        first = getattr(self.layers[0], "input_shape", None)
        shape = ""
        if self._input_shape is not None and self._input_shape != first:  # as describe() does
            shape = f", input_shape={self._input_shape}"
        return f"Network([\n{inner}\n], loss={self.loss!r}{shape})"

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
        threads: str | int | ThreadPolicy | None = "auto",
        workers: int = 1,
    ) -> History:
        """Train by mini-batch stochastic gradient descent: :func:`nn.train.fit` on this network.

        Each epoch shuffles the training set and runs :meth:`train_step` on each mini-batch of
        ``batch_size``. Every argument is checked before any work starts. The loop lives
        outside the model, in :mod:`nn.train.loop`, whose ``fit`` documents it in full.

        Parameters
        ----------
        X : ndarray of shape (n, n_in)
        Y : ndarray of shape (n, n_out), or (n,) integer class labels
            One-hot rows, real-valued rows, or class labels ``0 .. n_out - 1``.
        epochs, batch_size : int
            ``epochs`` counts the whole run: a resumed run stops after epoch ``epochs``.
        lr : float, optional
            Learning rate for plain :class:`nn.SGD`; give either ``lr`` or ``optimizer``.
        optimizer : Optimizer, optional
        validation_data : (X_val, Y_val), optional
            Evaluated after every epoch (Nielsen's demo passes the test set here).
        validation_split : float, default 0
            Fraction of ``(X, Y)`` held out as validation data instead, drawn from ``seed``.
        seed : int or Generator, optional
            Source of the shuffling and the split; the same seed gives the same bits.
        verbose : bool
            A line of metrics after each epoch, and a progress bar on a terminal.
        validation_name : str, default "val"
            Prefix of the validation figures in those lines (``"test"`` for a test set).
        callbacks : sequence of Callback
        checkpoint : path, optional
            Where to write checkpoints (:mod:`nn.train.checkpoint`).
        checkpoint_every : int or "epoch"
            Steps between checkpoints, or "epoch" (the default): the end of each epoch.
        resume : bool or path
            Continue the run saved in that checkpoint (True: in ``checkpoint`` if it
            exists); the result is identical bit for bit to an uninterrupted run.
        threads : "auto" (measured: :mod:`nn.train.threads`), int, or None (leave the BLAS alone)
        workers : int, default 1
            Shards of each mini-batch computed at once, one thread each (:mod:`nn.train.parallel`).

        Returns
        -------
        History
            Per epoch: ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``seconds``;
            ``"stopped"`` if training diverged or was interrupted (a warning says so too).

        Raises
        ------
        TypeError, ValueError, FileNotFoundError, nn.CheckpointError
            For a bad argument or checkpoint to resume from, before any work.
        """
        from nn.train.loop import fit  # the loop lives outside the model (nn.train)

        return fit(
            self, X, Y, epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer,
            validation_data=validation_data, validation_split=validation_split, seed=seed,
            verbose=verbose, validation_name=validation_name, callbacks=callbacks, resume=resume,
            checkpoint=checkpoint, checkpoint_every=checkpoint_every, threads=threads,
            workers=workers,
        )  # fmt: skip

    def train_step(
        self, X: np.ndarray, T: np.ndarray, optimizer: Optimizer, run: TrainingRun | None = None
    ) -> tuple[np.ndarray, float]:
        """One step of mini-batch gradient descent: forward, loss, backward, update.

        ``fit`` runs this for every mini-batch, and so does the replay of a diverged run
        (:mod:`nn.train.safeguards`); the work before the update is :meth:`step_gradients`.

        Parameters
        ----------
        X : ndarray of shape (batch, n_in)
            Inputs, already of the network's dtype.
        T : ndarray of shape (batch, n_out)
            Targets as rows (one-hot for classes).
        optimizer : Optimizer
        run : TrainingRun, optional
            Told when the update starts (``run.updating``).

        Returns
        -------
        a, loss : ndarray of shape (batch, n_out), float
            The outputs and the loss of the batch, before the update.

        Raises
        ------
        Diverged
            If the loss is NaN or infinite, checked before the update: the weights stay.
        """
        a, loss = self.step_gradients(X, T)
        if not math.isfinite(loss):  # checked before the update is applied
            raise Diverged(f"the loss became {loss}")
        if run is not None:
            run.updating = True  # the weights are changing from here to the end of the step
        optimizer.step(self.parameters())
        return a, loss

    def step_gradients(self, X: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, float]:
        """:meth:`train_step` before its update: forward, loss and (for a finite loss)
        backward into every layer's ``grads``; ``(a, loss)``. Also each shard's of ``workers``."""
        a = self.forward(X, training=True)
        loss, da = value_and_gradient(self.loss, a, T)  # C and dC/da (one pass where it can)
        if math.isfinite(loss):
            self.backward(da, need_dx=False)
        return a, loss

    # ------------------------------------------------------------------ using it
    def predict(self, X: np.ndarray, *, batch_size: int | None = None) -> np.ndarray:
        """Network outputs for ``X`` (prediction mode: dropout and the like are off).

        Parameters
        ----------
        X : ndarray of shape (n, n_in)
        batch_size : int, optional
            Examples per forward pass; by default :meth:`prediction_batch`'s (at most 4096,
            fewer where the layers would hold more than 256 MiB at once).

        Returns
        -------
        ndarray of shape (n, n_out)
            The output layer's activations; for a loss on logits such as
            :class:`nn.SoftmaxCrossEntropy`, the loss's ``output`` of them (probabilities).
        """
        if batch_size is not None:
            batch_size = check_positive_int("batch_size", batch_size)
        return self.loss.output(self.raw_outputs(X, batch_size))

    def raw_outputs(self, X: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """The last layer's outputs in prediction mode (logits for a ``takes_logits`` loss).

        ``batch_size`` as in :meth:`predict`.
        """
        X = self.checked_inputs(X, allow_empty=True)
        if len(X) == 0:
            return self.forward(X)  # (0, n_out)
        if batch_size is None:
            batch_size = self.prediction_batch(X.shape[1:])
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


registry.register(registry.NETWORKS, Network)  # what nn.load builds a model file into
