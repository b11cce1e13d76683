"""What :class:`~nn.sklearn.NNClassifier` and :class:`~nn.sklearn.NNRegressor` share: the
parameters, their checks, and training an :func:`nn.mlp` with :meth:`nn.Network.fit` the way
scikit-learn's ``MLPClassifier`` trains its network.

How scikit-learn's parameters become this library's
-----------------------------------------------------
``alpha``
    scikit-learn adds ``(alpha / 2m) sum ||W||^2`` to the loss of a mini-batch of ``m``
    examples, so its gradient gains ``(alpha / m) W``. :class:`nn.Adam` and :class:`nn.SGD`
    add ``weight_decay * W`` (weights only, never biases, like scikit-learn), so
    ``weight_decay = alpha / batch_size``. The two agree on every mini-batch but an epoch's
    last one when it is smaller (scikit-learn then decays it by ``alpha / m`` with the
    smaller ``m``).
``tol``, ``n_iter_no_change``, ``early_stopping``
    scikit-learn's rule (:class:`nn.sklearn.stopping.ConvergenceMonitor`): training stops
    once the training loss (or, with ``early_stopping``, the validation score: accuracy, or
    R^2) has failed to improve by ``tol`` for more than ``n_iter_no_change`` epochs in a row;
    with ``early_stopping`` the best epoch's weights are kept.
``loss_curve_``
    The training loss per epoch as scikit-learn reports it: the mean loss over the epoch's
    mini-batches (``history_["loss"]``) plus the penalty ``(alpha / 2m) sum ||W||^2``, here
    with the weights at the end of the epoch.
``random_state``
    One seed for everything random: the initial weights, the shuffling of every epoch, the
    validation split and the dropout masks are drawn from independent streams spawned from
    it (:class:`numpy.random.SeedSequence`), so the same ``random_state`` gives the same
    network bit for bit.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from nn.models.mlp import mlp
from nn.optim.optimizers import SGD, Adam, Optimizer, RMSProp
from nn.sklearn.stopping import ConvergenceMonitor

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["ACTIVATIONS", "BaseNN"]

#: ``activation`` names: scikit-learn's ("logistic" is the sigmoid) and this library's.
ACTIVATIONS = {
    "identity": "identity",
    "logistic": "sigmoid",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "leaky_relu": "leaky_relu",
}
#: ``out_activation_`` as scikit-learn names it, from this library's name.
SKLEARN_NAME = {"sigmoid": "logistic"}
SOLVERS = ("adam", "sgd", "rmsprop")


class BaseNN(BaseEstimator):
    """The shared parameters and training of the two estimators (documented on
    :class:`~nn.sklearn.NNClassifier`)."""

    def __init__(
        self,
        hidden_layer_sizes: int | tuple[int, ...] = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        loss: str = "auto",
        output_activation: str | None = None,
        init: str = "glorot_uniform",
        dropout: float = 0.0,
        dtype: str | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.loss = loss
        self.output_activation = output_activation
        self.init = init
        self.dropout = dropout
        self.dtype = dtype

    # ------------------------------------------------------------------ checks
    def _input_dtypes(self) -> Any:
        """What ``fit`` converts ``X`` to: ``dtype``, or (None) float32 kept, else float64."""
        if self.dtype is None:
            return [np.float64, np.float32]  # scikit-learn's check_array: the first if neither
        if str(self.dtype) not in ("float32", "float64"):
            raise ValueError(f"dtype must be None, 'float32' or 'float64', got {self.dtype!r}")
        return np.dtype(self.dtype)

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else list(sizes)
        if any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}"
            )
        return [int(s) for s in sizes]

    def _hidden_activation(self) -> str:
        if self.activation not in ACTIVATIONS:
            known = ", ".join(repr(k) for k in ACTIVATIONS)
            raise ValueError(f"activation must be one of {known}, got {self.activation!r}")
        return ACTIVATIONS[self.activation]

    def _check_numbers(self) -> None:
        checks = [
            ("max_iter", self.max_iter, 1, None, True),
            ("n_iter_no_change", self.n_iter_no_change, 1, None, True),
            ("alpha", self.alpha, 0.0, None, False),
            ("tol", self.tol, 0.0, None, False),
            ("learning_rate_init", self.learning_rate_init, np.nextafter(0, 1), None, False),
            ("validation_fraction", self.validation_fraction, 0.0, 1.0, False),
            ("dropout", self.dropout, 0.0, 1.0, False),
        ]
        for name, value, lo, hi, integer in checks:
            kind = numbers.Integral if integer else numbers.Real
            ok = isinstance(value, kind) and not isinstance(value, bool)
            if not (ok and value >= lo and (hi is None or value < hi)):
                want = f"an integer >= {lo}" if integer else f"a number >= {lo:g}"
                want += "" if hi is None else f" and < {hi:g}"
                raise ValueError(f"{name} must be {want}, got {value!r}")
        if self.solver not in SOLVERS:
            extra = (
                " (nn trains by mini-batch gradient descent only)" if self.solver == "lbfgs" else ""
            )
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}{extra}")

    def _seeds(self) -> tuple[np.random.SeedSequence, np.random.SeedSequence, int]:
        """Independent seeds of the initial weights (and dropout), the shuffling, the split."""
        state = self.random_state
        if isinstance(state, np.random.RandomState):
            entropy: int | None = int(state.randint(np.iinfo(np.int32).max))
        elif state is None or (isinstance(state, numbers.Integral) and state >= 0):
            entropy = None if state is None else int(state)
        else:
            raise ValueError(
                f"random_state must be None, an int >= 0 or a numpy RandomState, got {state!r}"
            )
        init, shuffle, split = np.random.SeedSequence(entropy).spawn(3)
        return init, shuffle, int(split.generate_state(1)[0])

    def _optimizer(self, weight_decay: float) -> Optimizer:
        lr = self.learning_rate_init
        if self.solver == "adam":
            return Adam(
                lr,
                beta1=self.beta_1,
                beta2=self.beta_2,
                eps=self.epsilon,
                weight_decay=weight_decay,
            )
        if self.solver == "rmsprop":
            return RMSProp(lr, eps=self.epsilon, weight_decay=weight_decay)
        nesterov = bool(self.nesterovs_momentum) and self.momentum > 0
        return SGD(lr, momentum=self.momentum, nesterov=nesterov, weight_decay=weight_decay)

    def _validate(self, X: Any, y: Any = None, *, reset: bool, **kwargs: Any) -> Any:
        """scikit-learn's input checks (``validate_data``, or before 1.6 the method)."""
        try:
            from sklearn.utils.validation import validate_data
        except ImportError:  # scikit-learn < 1.6
            no_y = "no_validation" if y is None and not reset else y
            return self._validate_data(X, no_y, reset=reset, **kwargs)
        if y is None and not reset:
            return validate_data(self, X, reset=False, **kwargs)
        return validate_data(self, X, y, reset=reset, **kwargs)

    # ------------------------------------------------------------------ training
    def _fit_network(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        n_out: int,
        loss: str,
        output_activation: str | None,
        score: Callable[[Network, np.ndarray, np.ndarray], float],
        stratify: bool,
    ) -> None:
        """Build the network (in ``X``'s dtype), train it, and set the fitted attributes."""
        hidden = self._hidden_sizes()
        activation = self._hidden_activation()
        init_seed, shuffle_seed, split_seed = self._seeds()
        held_out = None
        if self.early_stopping:
            X, Y, held_out = self._hold_out(X, Y, split_seed, stratify)
        batch_size = self._batch_size(len(X))
        sizes = [X.shape[1], *hidden, n_out]
        net = self._warm_network(sizes)
        if net is None:
            net = mlp(
                sizes,
                activation,
                loss,
                output_activation=output_activation,
                init=self.init,
                dropout=self.dropout,
                seed=init_seed,
                dtype=X.dtype,
            )
        weight_decay = self.alpha / batch_size  # scikit-learn's alpha (module docstring)
        monitor = ConvergenceMonitor(
            self.tol,
            self.n_iter_no_change,
            weight_decay / 2,
            None if held_out is None else (lambda network: score(network, *held_out)),
        )
        if net is getattr(self, "network_", None) and self.best_loss_ is not None:
            monitor.best_loss = self.best_loss_  # warm start: the best loss so far stands
        history = net.fit(
            X,
            Y,
            epochs=self.max_iter,
            batch_size=batch_size,
            optimizer=self._optimizer(weight_decay),
            seed=shuffle_seed,
            verbose=bool(self.verbose),
            callbacks=[monitor],
        )
        self._set_fitted(net, history, monitor, len(X))

    def _hold_out(
        self, X: np.ndarray, Y: np.ndarray, seed: int, stratify: bool
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """``(X, Y)`` to train on, and the ``validation_fraction`` held out for early stopping."""
        X, Xv, Y, Yv = train_test_split(
            X,
            Y,
            test_size=self.validation_fraction,
            random_state=seed,
            stratify=Y if stratify else None,
        )
        if len(Xv) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the "
                "size of your dataset."
            )
        return X, Y, (Xv, Yv)

    def _warm_network(self, sizes: list[int]) -> Network | None:
        """With ``warm_start``, the fitted network to train further (None on a first fit)."""
        if not (self.warm_start and hasattr(self, "network_")):
            return None
        shapes = [W.shape for W in self.coefs_]
        if shapes != list(zip(sizes[:-1], sizes[1:])):
            raise ValueError(
                f"warm_start=True trains the fitted network further, whose layers are "
                f"{[shapes[0][0], *(s[1] for s in shapes)]}, but the data and "
                f"hidden_layer_sizes ask for {sizes}; set warm_start=False to start afresh"
            )
        return self.network_

    def _batch_size(self, n: int) -> int:
        if self.batch_size == "auto":
            return min(200, n)
        size = self.batch_size
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise ValueError(f"batch_size must be 'auto' or a positive integer, got {size!r}")
        if not 1 <= size <= n:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                "clipped",
                stacklevel=4,
            )
        return int(np.clip(size, 1, n))

    def _set_fitted(self, net: Network, history: dict, monitor: ConvergenceMonitor, n: int) -> None:
        warm = net is getattr(self, "network_", None)  # then the curve and t_ go on
        self.network_ = net
        self.history_ = history
        dense = [layer for layer in net.layers if "W" in layer.params]
        self.coefs_ = [layer.params["W"] for layer in dense]  # (n_in, n_out), as scikit-learn's
        self.intercepts_ = [layer.params["b"] for layer in dense]  # (n_out,)
        self.n_layers_ = len(dense) + 1
        self.n_outputs_ = int(net.n_out)
        self.n_iter_ = len(history["epoch"])  # of this fit, as in scikit-learn
        self.t_ = (self.t_ if warm else 0) + self.n_iter_ * n
        self.loss_curve_ = (self.loss_curve_ if warm else []) + monitor.loss_curve
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else float("nan")
        self.validation_scores_ = monitor.validation_scores
        if self.early_stopping:
            self.best_loss_ = None
            self.best_validation_score_ = monitor.best_score
        else:
            self.best_loss_ = monitor.best_loss
            self.best_validation_score_ = None
        if not monitor.stopped and "stopped" not in history and self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _outputs(self, X: Any) -> np.ndarray:
        """The network's ``predict`` on checked inputs; (n, n_outputs_)."""
        check_is_fitted(self)
        X = self._validate(X, reset=False, dtype=self.network_.dtype)
        return self.network_.predict(X)
