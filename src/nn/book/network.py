"""Nielsen's ``network.py`` (*Neural Networks and Deep Learning*, ch. 1) over this library.

Every name of his module is here, with his signatures and his data format::

    from nn.book import mnist_loader, network

    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network.Network([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)  # Epoch 0: 1790 / 2000 ...

``Network`` is a thin layer: the weights live in an :class:`nn.Network` built by
``nn.mlp(sizes, init="normal", dtype=numpy.float64)`` (his N(0, 1) initialization, in his
float64), kept as :attr:`Network.model`, and training runs :meth:`nn.Network.fit`. So
``net.SGD(...)`` gives the same weights, bit for bit, as the library's own fit with the same
seed (tests/test_book.py), and within float rounding the weights of his own code given the
same initial weights and the same mini-batches.

Where it departs from his code
------------------------------
* **Storage.** The library keeps each layer's ``W`` as ``(n_in, n_out)`` (rows are examples:
  ``z = x @ W + b``). :attr:`Network.weights` shows them in his orientation, ``(n_out, n_in)``,
  and :attr:`Network.biases` as his ``(n_out, 1)`` columns; both are views of the library's
  arrays, so writing into them (``net.weights[0][0, 0] = 0.5``) changes the network, and so
  does assigning a whole list (``net.weights = [...]``).
* **Arithmetic.** His ``update_mini_batch`` calls ``backprop`` once per example and adds up
  the gradients; here the mini-batch goes through the network as one matrix (docs/backprop.md,
  sections 2 and 7). The sums are the same, added in another order,
  so weights agree with his to float rounding, not bit for bit (a relative difference of
  about 5e-16 after two epochs in tests/test_book.py).
  :meth:`Network.backprop` still takes and returns one example in his shapes.
* **Randomness.** His code draws from the global ``np.random`` and shuffles the caller's list
  in place with ``random.shuffle``. Here ``Network(sizes, seed=...)`` seeds one generator
  that draws the initial weights and then the order of every epoch, and the caller's list is
  left as it is. Without a seed every run differs, as in his code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from nn.core.layer import Layer
from nn.core.network import History
from nn.core.network import Network as LibraryNetwork
from nn.functional.activations import sigmoid, sigmoid_prime
from nn.models.mlp import mlp
from nn.optim.optimizers import SGD
from nn.train.callbacks import Callback

__all__ = ["Network", "sigmoid", "sigmoid_prime"]

#: One example in his format: ``x`` a column of ``n_in`` inputs and ``y`` either a one-hot
#: column of ``n_out`` (his training data) or the class as an int (his test data).
Example = tuple[np.ndarray, Any]


class Network:
    """Nielsen's ``Network``: sigmoid layers of ``sizes`` units and the quadratic cost.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input first: ``[784, 30, 10]``.
    seed : int or numpy.random.Generator, optional
        Seeds the generator that draws the initial weights and then shuffles every epoch of
        :meth:`SGD` (not in his code, which uses global state; see the module docstring).

    Attributes
    ----------
    num_layers : int
    sizes : list of int
    model : nn.Network
        The library's network that holds the weights and does the arithmetic: ``Dense``
        and ``Sigmoid`` layers, ``SquaredError`` loss, float64. ``net.model.save(path)``
        writes a file that ``nn evaluate`` reads.
    rng : numpy.random.Generator
    history : History or None
        What :meth:`nn.Network.fit` returned for the last :meth:`SGD` call.
    """

    def __init__(
        self, sizes: Sequence[int], *, seed: int | np.random.Generator | None = None
    ) -> None:
        self.num_layers = len(sizes)
        self.sizes = list(sizes)
        self.rng = np.random.default_rng(seed)
        # his np.random.randn for weights and biases is N(0, 1), in float64
        self.model: LibraryNetwork = mlp(
            self.sizes, "sigmoid", "squared_error", init="normal", seed=self.rng, dtype=np.float64
        )
        self.history: History | None = None

    # ------------------------------------------------------------------ his attributes
    def layers_with_weights(self) -> list[Layer]:
        """The library's dense layers, input first (one per entry of :attr:`weights`)."""
        return [layer for layer in self.model.layers if layer.params]

    @property
    def biases(self) -> list[np.ndarray]:
        """Each layer's biases as his column vector: a view of shape ``(n_out, 1)``."""
        return [layer.params["b"].reshape(-1, 1) for layer in self.layers_with_weights()]

    @biases.setter
    def biases(self, values: Iterable[np.ndarray]) -> None:
        self._assign("biases", "b", [np.asarray(b) for b in values], transpose=False)

    @property
    def weights(self) -> list[np.ndarray]:
        """Each layer's weights in his orientation: a view of shape ``(n_out, n_in)``.

        ``weights[l][j, k]`` is his ``w^l_jk``, from unit ``k`` of one layer to unit ``j`` of
        the next; the library's ``W`` (``(n_in, n_out)``) is its transpose.
        """
        return [layer.params["W"].T for layer in self.layers_with_weights()]

    @weights.setter
    def weights(self, values: Iterable[np.ndarray]) -> None:
        self._assign("weights", "W", [np.asarray(w) for w in values], transpose=True)

    def _assign(self, what: str, key: str, values: list[np.ndarray], transpose: bool) -> None:
        """Copy his arrays into the library's, in place (an optimizer may hold them)."""
        layers = self.layers_with_weights()
        if len(values) != len(layers):
            raise ValueError(
                f"{what}: expected {len(layers)} arrays, one per layer, got {len(values)}"
            )
        for number, (layer, value) in enumerate(zip(layers, values)):
            target = layer.params[key]
            mine = target.T if transpose else target.reshape(-1, 1)
            if value.shape != mine.shape:
                raise ValueError(
                    f"{what}[{number}] must have shape {mine.shape} (his orientation), "
                    f"got {value.shape}"
                )
            mine[...] = value

    # ------------------------------------------------------------------ his methods
    def feedforward(self, a: np.ndarray) -> np.ndarray:
        """Return the output of the network if ``a`` is input.

        Parameters
        ----------
        a : ndarray of shape (n_in, 1)
            One example as a column (or ``(n_in, k)``: ``k`` examples as columns).

        Returns
        -------
        ndarray of shape (n_out, 1), or (n_out, k)
        """
        columns = np.asarray(a).reshape(self.sizes[0], -1)
        return self.model.predict(columns.T).T  # the library takes examples as rows

    def SGD(  # noqa: N802 - his name
        self,
        training_data: Iterable[Example],
        epochs: int,
        mini_batch_size: int,
        eta: float,
        test_data: Iterable[Example] | None = None,
        *,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        """Train by mini-batch stochastic gradient descent, as his ``SGD``.

        After each epoch it prints ``Epoch j: correct / n_test`` when ``test_data`` is given
        (slower: the test set is evaluated every epoch), else ``Epoch j complete``; ``j``
        counts from 0, as in his code.

        Parameters
        ----------
        training_data : iterable of (x, y)
            ``x`` of shape (n_in, 1); ``y`` of shape (n_out, 1) (one-hot for classes), or
            the class as an int.
        epochs, mini_batch_size : int
        eta : float
            The learning rate.
        test_data : iterable of (x, y), optional
            ``y`` the class as an int (his format), or a one-hot column.
        seed : int or Generator, optional
            Source of the shuffling; by default the network's own generator :attr:`rng`.

        Notes
        -----
        Like his, this returns None; the library's per-epoch figures (loss, accuracy,
        seconds) are kept in :attr:`history`.
        """
        X, Y = stack(training_data)
        test_data = list(test_data) if test_data is not None else []  # zip objects too
        tests = stack(test_data) if test_data else None  # his `if test_data:`
        self.history = self.model.fit(
            X,
            Y,
            epochs=epochs,
            batch_size=mini_batch_size,
            lr=eta,
            seed=self.rng if seed is None else seed,
            verbose=False,  # the lines below are his
            callbacks=[EpochLines(self, tests)],
        )

    def update_mini_batch(self, mini_batch: Iterable[Example], eta: float) -> None:
        """One step of gradient descent on one mini-batch, with learning rate ``eta``.

        His loop over the examples becomes one pass of the whole batch
        (:meth:`nn.Network.train_step`); the step is ``w <- w - (eta / m) sum_x dC_x/dw``
        either way, for a mini-batch of ``m`` examples.
        """
        X, Y = stack(mini_batch)
        X = self.model.checked_inputs(X)
        self.model.train_step(X, self.model.checked_targets(Y, len(X)), SGD(eta))

    def backprop(self, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The gradient of the cost ``C_x = 1/2 ||a - y||^2`` of one example.

        Parameters
        ----------
        x : ndarray of shape (n_in, 1)
        y : ndarray of shape (n_out, 1), or the class as an int

        Returns
        -------
        (nabla_b, nabla_w)
            Lists, one entry per layer, shaped like :attr:`biases` (``(n_out, 1)``) and
            :attr:`weights` (``(n_out, n_in)``); copies, computed by the library's backward pass.
        """
        X, Y = stack([(x, y)])
        self.model.gradients(X, Y)  # a batch of one: the mean over it is C_x itself
        layers = self.layers_with_weights()
        nabla_b = [layer.grads["b"].reshape(-1, 1).copy() for layer in layers]
        nabla_w = [layer.grads["W"].T.copy() for layer in layers]
        return nabla_b, nabla_w

    def evaluate(self, test_data: Iterable[Example]) -> int:
        """The number of test inputs whose largest output is the right class.

        Parameters
        ----------
        test_data : iterable of (x, y)
            ``y`` the class as an int, or a one-hot column.
        """
        return correct_answers(self.model, *stack(test_data))

    def cost_derivative(self, output_activations: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``dC_x/da`` for the quadratic cost: ``a - y``."""
        return output_activations - y


def stack(data: Iterable[Example]) -> tuple[np.ndarray, np.ndarray]:
    """His list of ``(x, y)`` columns as the library's batch-first arrays.

    Parameters
    ----------
    data : iterable of (x, y)
        ``x`` of shape (n_in, 1) (or (n_in,)); every ``y`` a column (or row) of ``n_out``
        targets, or every ``y`` an int class.

    Returns
    -------
    X : ndarray of shape (n, n_in)
        The inputs as rows, in their own dtype.
    Y : ndarray of shape (n, n_out), or (n,) int64 classes
    """
    pairs = list(data)  # his Python 3 ports pass zip objects
    if not pairs:
        raise ValueError("no examples: give a non-empty list of (x, y) pairs")
    X = np.stack([np.ravel(x) for x, _ in pairs])
    ys = [y for _, y in pairs]
    if all(np.ndim(y) == 0 for y in ys):
        return X, np.asarray(ys, dtype=np.int64)
    return X, np.stack([np.ravel(y) for y in ys])


def correct_answers(model: LibraryNetwork, X: np.ndarray, Y: np.ndarray) -> int:
    """How many rows of ``X`` get their largest output at the right class (his ``evaluate``)."""
    labels = Y if Y.ndim == 1 else Y.argmax(axis=1)
    return int(np.count_nonzero(model.predict(X).argmax(axis=1) == labels))


class EpochLines(Callback):
    """Prints his per-epoch line during :meth:`Network.SGD`.

    Parameters
    ----------
    book : Network
    tests : (X, Y) or None
        The test data, stacked once (see :func:`stack`).
    """

    def __init__(self, book: Network, tests: tuple[np.ndarray, np.ndarray] | None) -> None:
        self.book, self.tests = book, tests

    def on_epoch_end(self, network: LibraryNetwork, epoch: int, history: History) -> None:
        """Print ``Epoch j: correct / n_test`` or ``Epoch j complete`` (``j = epoch - 1``)."""
        if self.tests is None:
            print(f"Epoch {epoch - 1} complete")
        else:
            correct = correct_answers(network, *self.tests)
            print(f"Epoch {epoch - 1}: {correct} / {len(self.tests[0])}")
