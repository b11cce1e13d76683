"""The two estimators: :class:`NNClassifier` and :class:`NNRegressor`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets

from nn.core.labels import predicted_labels
from nn.sklearn.base import ACTIVATIONS, SKLEARN_NAME, BaseNN

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["NNClassifier", "NNRegressor"]


def _accuracy(network: Network, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of ``X`` whose predicted class index is ``y``: the early-stopping score."""
    return float(np.mean(predicted_labels(network.predict(X)) == y))


def _r2(network: Network, X: np.ndarray, Y: np.ndarray) -> float:
    """R^2 of the network's predictions of ``Y``: the early-stopping score."""
    return float(r2_score(Y, network.predict(X)))


def _output_name(name: str | None, default: str, allowed: dict[str, str]) -> str:
    """This library's name of an ``output_activation`` given in either naming."""
    if name is None:
        return default
    if name not in allowed:
        known = ", ".join(repr(k) for k in allowed)
        raise ValueError(f"output_activation must be None or one of {known}, got {name!r}")
    return allowed[name]


def _gives_probabilities(estimator: NNClassifier) -> bool:
    """``predict_proba`` exists for the log-loss (whose outputs are probabilities) only."""
    return estimator.loss in ("auto", "log_loss")


class NNClassifier(ClassifierMixin, BaseNN):
    """A classifier that trains an :func:`nn.mlp`, with ``MLPClassifier``'s parameters.

    Two classes give one output unit (logistic), more give one unit per class (softmax),
    as in scikit-learn. The loss is the log-loss, or the seed network's squared error.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default (100,)
        Units of each hidden layer, as in scikit-learn.
    activation : str, default "relu"
        Activation of the hidden layers: ``"identity"``, ``"logistic"`` (= ``"sigmoid"``),
        ``"tanh"``, ``"relu"``, or ``"leaky_relu"``.
    solver : {"adam", "sgd", "rmsprop"}, default "adam"
        :class:`nn.Adam`, :class:`nn.SGD` (with ``momentum`` and ``nesterovs_momentum``),
        or :class:`nn.RMSProp`. scikit-learn's ``"lbfgs"`` is not offered.
    alpha : float, default 1e-4
        Strength of the L2 penalty, as in scikit-learn: trained with ``weight_decay = alpha /
        batch_size`` (see :mod:`nn.sklearn.base`).
    batch_size : int or "auto", default "auto"
        Mini-batch size; "auto" is ``min(200, n_samples)``.
    learning_rate_init : float, default 1e-3
        The optimizer's learning rate (constant).
    max_iter : int, default 200
        Epochs at most.
    random_state : int, RandomState or None
        Seed of the weights, the shuffling, the dropout masks and the validation split.
    tol : float, default 1e-4
    n_iter_no_change : int, default 10
        Stop when the training loss (or the validation accuracy with ``early_stopping``) has
        not improved by ``tol`` for more than ``n_iter_no_change`` epochs in a row.
    verbose : bool, default False
        Print a line of metrics per epoch.
    warm_start : bool, default False
        Train the fitted network further on the next ``fit`` (new optimizer state, as in
        scikit-learn); ``loss_curve_`` and ``t_`` go on, ``n_iter_`` counts this fit.
    momentum : float, default 0.9
    nesterovs_momentum : bool, default True
        For ``solver="sgd"``.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the data (stratified), stop on its accuracy and
        keep the best epoch's weights.
    validation_fraction : float, default 0.1
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        For ``solver="adam"`` (``epsilon`` for ``"rmsprop"`` too).
    loss : {"auto", "log_loss", "squared_error"}, default "auto"
        Only in this library. "auto" is "log_loss" (softmax or logistic outputs, the
        cross-entropy). "squared_error" is the seed network's ``C = 1/2 ||a - y||^2`` on
        one-hot targets, with logistic outputs unless ``output_activation`` says otherwise;
        its outputs are not probabilities, so it has no ``predict_proba``. The seed network
        of Nielsen's chapter 1 is ``NNClassifier((30,), "logistic", loss="squared_error",
        solver="sgd", momentum=0, learning_rate_init=3.0, batch_size=10, alpha=0,
        init="scaled_normal")``.
    output_activation : str, optional
        Only with ``loss="squared_error"``: the activation of the output layer.
    init : str, default "glorot_uniform"
        Only in this library: the initializer of every layer's weights (names in
        :mod:`nn.layers.initializers`). scikit-learn draws from a Glorot uniform too, with
        nonzero biases (and a smaller range for logistic units); here biases start at 0.
    dropout : float, default 0
        Only in this library: the rate of a :class:`nn.Dropout` after each hidden layer.
    dtype : {None, "float32", "float64"}, default None
        Only in this library: the precision of the weights and of the arithmetic. None
        follows the data, as scikit-learn does: float32 ``X`` trains in float32 (several
        times faster), anything else in float64.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix of layer ``i``, shape ``(n_in, n_out)``: the
        network's own arrays (``z = x @ W + b``), in scikit-learn's layout.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` of shape ``(n_out,)``.
    loss_curve_ : list of float
        The training loss of each epoch, penalty included (as scikit-learn's).
    loss_, best_loss_, validation_scores_, best_validation_score_ : as in scikit-learn
    n_iter_ : int
        Epochs run.
    t_ : int
        Training examples seen.
    n_features_in_, feature_names_in_, n_layers_, n_outputs_ : as in scikit-learn
    out_activation_ : str
        "softmax", "logistic", or the name of the squared-error network's output activation.
    network_ : nn.Network
        The trained network, for :func:`nn.diagnose`, plots or export.
    history_ : dict
        What :meth:`nn.Network.fit` returned.
    """

    def fit(self, X: Any, y: Any) -> NNClassifier:
        """Train on ``X`` of shape (n_samples, n_features) and labels ``y`` of shape (n_samples,).

        Returns
        -------
        self
        """
        self._check_numbers()
        X, y = self._validate(X, y, reset=True, dtype=self._input_dtypes())
        check_classification_targets(y)
        classes, labels = np.unique(y, return_inverse=True)
        previous = getattr(self, "classes_", None)
        if self.warm_start and previous is not None and not np.array_equal(previous, classes):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the previous "
                f"call to fit. Previously got {previous}, `y` has {classes}"
            )
        self.classes_ = classes
        k = len(self.classes_)
        if k < 2:
            raise ValueError(
                f"{type(self).__name__} needs examples of at least 2 classes to learn from; "
                f"y has 1 class ({self.classes_[0]!r})"
            )
        n_out = 1 if k == 2 else k  # scikit-learn's layout: one logistic unit for two classes
        loss, output = self._losses(k)
        self.out_activation_ = SKLEARN_NAME.get(output, output)
        self._fit_network(
            X,
            labels,
            n_out=n_out,
            loss=loss,
            output_activation=None if loss == "softmax_cross_entropy" else output,
            score=_accuracy,
            stratify=True,
        )
        return self

    def _losses(self, n_classes: int) -> tuple[str, str]:
        """This library's loss and output activation for ``loss`` and ``n_classes``."""
        if self.loss in ("auto", "log_loss"):
            if self.output_activation is not None:
                raise ValueError(
                    f"output_activation={self.output_activation!r} needs "
                    "loss='squared_error'; the log-loss fixes the outputs (softmax, or "
                    "logistic for two classes)"
                )
            if n_classes == 2:
                return "cross_entropy", "sigmoid"
            return "softmax_cross_entropy", "softmax"
        if self.loss == "squared_error":
            allowed = {**ACTIVATIONS, "softmax": "softmax"}
            return "squared_error", _output_name(self.output_activation, "sigmoid", allowed)
        raise ValueError(f"loss must be 'auto', 'log_loss' or 'squared_error', got {self.loss!r}")

    @available_if(_gives_probabilities)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class, shape (n_samples, n_classes), columns as ``classes_``."""
        p = self._outputs(X)
        if p.shape[1] == 1:
            return np.hstack([1 - p, p])
        return p

    @available_if(_gives_probabilities)
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``, shape (n_samples, n_classes)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most likely class of each example, shape (n_samples,)."""
        labels = predicted_labels(self._outputs(X))  # checks that fit ran first
        return self.classes_[labels]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class NNRegressor(RegressorMixin, BaseNN):
    """A regressor that trains an :func:`nn.mlp`, with ``MLPRegressor``'s parameters.

    The loss is the squared error ``C = (1/n) sum 1/2 ||a - y||^2`` (:class:`nn.SquaredError`;
    for one output it is scikit-learn's, which divides by the number of outputs too) and
    the output layer is linear unless ``output_activation`` says otherwise. ``y`` may have
    several columns (one output unit each).

    Parameters
    ----------
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate_init, max_iter,
    random_state, tol, n_iter_no_change, verbose, warm_start, momentum, nesterovs_momentum,
    early_stopping, validation_fraction, beta_1, beta_2, epsilon, init, dropout, dtype
        As for :class:`NNClassifier`; with ``early_stopping`` the score is R^2 and the split
        is not stratified.
    loss : {"auto", "squared_error"}, default "auto"
        The squared error either way.
    output_activation : str, optional
        Activation of the output layer (default ``"identity"``), e.g. ``"logistic"`` for
        targets in (0, 1).

    Attributes
    ----------
    coefs_, intercepts_, loss_curve_, loss_, best_loss_, validation_scores_,
    best_validation_score_, n_iter_, t_, n_features_in_, n_layers_, n_outputs_,
    out_activation_, network_, history_
        As for :class:`NNClassifier`.
    """

    def fit(self, X: Any, y: Any) -> NNRegressor:
        """Train on ``X`` of shape (n_samples, n_features) and targets ``y`` of shape
        (n_samples,) or (n_samples, n_outputs).

        Returns
        -------
        self
        """
        self._check_numbers()
        X, y = self._validate(
            X, y, reset=True, dtype=self._input_dtypes(), multi_output=True, y_numeric=True
        )
        if self.loss not in ("auto", "squared_error"):
            raise ValueError(f"loss must be 'auto' or 'squared_error', got {self.loss!r}")
        output = _output_name(self.output_activation, "identity", ACTIVATIONS)
        self.out_activation_ = SKLEARN_NAME.get(output, output)
        Y = y.reshape(len(y), -1)  # (n, n_outputs): one column is real values, not labels
        self._fit_network(
            X,
            Y,
            n_out=Y.shape[1],
            loss="squared_error",
            output_activation=output,
            score=_r2,
            stratify=False,
        )
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, shape (n_samples,) for one output, else (n_samples, n_outputs).

        float64 whatever ``dtype`` the network computes in, as scikit-learn's regressors.
        """
        a = self._outputs(X).astype(np.float64, copy=False)
        return a.ravel() if a.shape[1] == 1 else a

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"multioutput": True}
