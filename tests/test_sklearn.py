"""The scikit-learn estimators: scikit-learn's own checks, its layouts, its arithmetic.

The strongest test here trains one step from the same weights with scikit-learn's
``MLPClassifier``/``MLPRegressor`` and with ours: the weights, the loss and the predictions
agree to rounding, which holds ``alpha``'s mapping, the losses and ``coefs_``' layout at once.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import nn  # noqa: E402
from nn.sklearn import NNClassifier, NNRegressor  # noqa: E402

quiet = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: The seed network of Nielsen's chapter 1 as an estimator (squared error, sigmoid, SGD 3.0).
SEED = dict(
    hidden_layer_sizes=(30,),
    activation="logistic",
    loss="squared_error",
    solver="sgd",
    momentum=0,
    learning_rate_init=3.0,
    batch_size=10,
    alpha=0,
    init="scaled_normal",
)


@quiet
@parametrize_with_checks(
    [
        NNClassifier(),
        NNRegressor(),
        NNClassifier(**SEED, max_iter=30),
        NNRegressor(dtype="float32", activation="tanh", dropout=0.1),
    ]
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def _data(n_classes: int, n: int = 30, n_features: int = 5):
    return make_classification(
        n_samples=n,
        n_features=n_features,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )


def _one_step_each(sk, ours, X, y):
    """One full-batch SGD step from the same weights, taken by scikit-learn and by us."""
    first = {"classes": np.unique(y)} if isinstance(sk, MLPClassifier) else {}
    sk.partial_fit(X, y, **first)  # builds its weights and takes a step
    start = [a.copy() for a in sk.coefs_ + sk.intercepts_]
    sk.partial_fit(X, y)  # the step compared
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)  # builds ours
        for mine, theirs in zip(ours.coefs_ + ours.intercepts_, start):
            mine[...] = theirs  # coefs_ are the network's own arrays
        ours.fit(X, y)  # warm_start: one epoch = one step from scikit-learn's weights
    return start


@pytest.mark.parametrize("n_classes", [2, 3])
def test_one_step_equals_mlpclassifier(n_classes):
    X, y = _data(n_classes)
    kw = dict(
        hidden_layer_sizes=(7, 4),
        activation="tanh",
        solver="sgd",
        momentum=0,
        alpha=0.3,
        batch_size=len(X),
        learning_rate_init=0.1,
        random_state=0,
    )
    sk, ours = MLPClassifier(**kw), NNClassifier(**kw, max_iter=1, warm_start=True)
    start = _one_step_each(sk, ours, X, y)
    for mine, theirs in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
    # scikit-learn's loss is the log-loss plus (alpha / 2n) sum ||W||^2 at the start weights
    penalty = 0.5 * 0.3 / len(X) * sum(float((W**2).sum()) for W in start[:3])
    assert ours.history_["loss"][-1] + penalty == pytest.approx(sk.loss_curve_[-1], abs=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-12)
    assert ours.out_activation_ == sk.out_activation_
    assert ours.n_layers_ == sk.n_layers_ and ours.n_outputs_ == sk.n_outputs_


def test_one_step_equals_mlpregressor():
    X, y = make_regression(n_samples=25, n_features=6, noise=0.1, random_state=1)
    y = y / y.std()
    kw = dict(
        hidden_layer_sizes=(3,),
        activation="logistic",
        solver="sgd",
        momentum=0,
        alpha=0.05,
        batch_size=len(X),
        learning_rate_init=0.05,
        random_state=0,
    )
    sk, ours = MLPRegressor(**kw), NNRegressor(**kw, max_iter=1, warm_start=True)
    _one_step_each(sk, ours, X, y)
    for mine, theirs in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.predict(X), sk.predict(X), atol=1e-12)
    assert ours.predict(X).shape == (len(X),)


@quiet
def test_fitted_attributes_have_scikit_learns_layouts():
    X, y = _data(4, n=60, n_features=6)
    clf = NNClassifier((5, 3), max_iter=3, random_state=0).fit(X, y)
    assert [W.shape for W in clf.coefs_] == [(6, 5), (5, 3), (3, 4)]
    assert [b.shape for b in clf.intercepts_] == [(5,), (3,), (4,)]
    assert clf.n_features_in_ == 6 and clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    assert clf.t_ == 3 * 60 and clf.out_activation_ == "softmax"
    assert list(clf.classes_) == [0, 1, 2, 3]
    # the forward pass by hand from coefs_ and intercepts_ is predict_proba
    a = X
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        z = a @ W + b
        a = np.maximum(z, 0) if i < 2 else nn.softmax(z)
    np.testing.assert_allclose(clf.predict_proba(X), a, rtol=1e-12)
    # coefs_ are the network's weights, not copies
    clf.coefs_[-1][...] = 0
    clf.intercepts_[-1][...] = [0, 0, 5, 0]
    assert (clf.predict(X) == 2).all()


@quiet
def test_binary_labels_of_any_type_and_one_output_unit():
    X, y = _data(2)
    labels = np.array(["no", "yes"])[y]
    clf = NNClassifier((4,), max_iter=5, random_state=0).fit(X, labels)
    assert clf.coefs_[-1].shape == (4, 1) and clf.out_activation_ == "logistic"
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(X)) <= {"no", "yes"}
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


@quiet
def test_same_random_state_same_bits_and_another_differs():
    X, y = _data(3)
    a = NNClassifier((8,), max_iter=4, random_state=7, dropout=0.2).fit(X, y)
    b = NNClassifier((8,), max_iter=4, random_state=7, dropout=0.2).fit(X, y)
    c = NNClassifier((8,), max_iter=4, random_state=8, dropout=0.2).fit(X, y)
    for Wa, Wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(Wa, Wb)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_stops_as_mlpclassifier_does_when_the_loss_stalls():
    X, y = _data(3, n=40)
    kw = dict(hidden_layer_sizes=(4,), tol=10.0, n_iter_no_change=3, random_state=0)
    ours = NNClassifier(**kw).fit(X, y)
    sk = MLPClassifier(**kw).fit(X, y)
    assert ours.n_iter_ == sk.n_iter_ == 5  # 1 epoch sets the best, then 4 > 3 without
    assert ours.best_loss_ == min(ours.loss_curve_)


@quiet
def test_early_stopping_keeps_the_best_epoch():
    (X, y), _ = nn.datasets.digits()
    X, y = X[:600], y[:600]
    clf = NNClassifier(
        (16,), early_stopping=True, n_iter_no_change=2, max_iter=40, random_state=0
    ).fit(X, y)
    assert clf.best_loss_ is None and len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.n_iter_ < 40
    assert 0.5 < clf.best_validation_score_ <= 1


@quiet
def test_in_a_pipeline_and_a_grid_search():
    (X, y), (Xt, yt) = nn.datasets.digits()
    X, y = X[:900], y[:900]
    pipe = make_pipeline(StandardScaler(), NNClassifier((32,), max_iter=15, random_state=0))
    search = GridSearchCV(pipe, {"nnclassifier__alpha": [1e-4, 1.0]}, cv=3).fit(X, y)
    assert search.best_params_["nnclassifier__alpha"] in (1e-4, 1.0)
    assert search.cv_results_["mean_test_score"].min() > 0.6
    assert search.score(Xt[:500], yt[:500]) > 0.8
    assert isinstance(search.best_estimator_[-1].network_, nn.Network)


@quiet
def test_the_seed_network_as_an_estimator_learns_digits():
    (X, y), (Xt, yt) = nn.datasets.digits()
    clf = NNClassifier(**SEED, max_iter=3, random_state=0).fit(X[:3000], y[:3000])
    assert clf.out_activation_ == "logistic" and clf.coefs_[-1].shape == (30, 10)
    assert isinstance(clf.network_.loss, nn.SquaredError)
    assert not hasattr(clf, "predict_proba")  # squared-error outputs are not probabilities
    assert clf.score(Xt, yt) > 0.85


@quiet
def test_regressor_takes_several_outputs():
    X, Y = make_regression(n_samples=50, n_features=4, n_targets=3, random_state=0)
    reg = NNRegressor((8,), max_iter=5, random_state=0, dtype="float32").fit(X, Y / Y.std())
    assert reg.coefs_[-1].shape == (8, 3) and reg.coefs_[0].dtype == np.float32
    assert reg.predict(X).shape == (50, 3) and reg.predict(X).dtype == np.float64


@quiet
def test_dtype_follows_the_data_as_in_scikit_learn_unless_given():
    X, y = _data(3)
    for data, given, expected in [
        (np.float32, None, np.float32),
        (np.float64, None, np.float64),
        (np.int64, None, np.float64),
        (np.float64, "float32", np.float32),
    ]:
        clf = NNClassifier((4,), max_iter=1, dtype=given).fit(X.astype(data), y)
        assert clf.coefs_[0].dtype == expected and clf.network_.dtype == expected
        assert clf.predict_proba(X).dtype == expected  # any input, in the network's dtype


@pytest.mark.parametrize(
    "params, message",
    [
        ({"solver": "lbfgs"}, "mini-batch gradient descent only"),
        ({"activation": "swish"}, "activation must be one of"),
        ({"output_activation": "tanh"}, "needs loss='squared_error'"),
        ({"loss": "hinge"}, "loss must be"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes must be positive"),
        ({"max_iter": 0}, "max_iter must be an integer >= 1"),
        ({"dtype": "float16"}, "dtype must be"),
        ({"random_state": -1}, "random_state must be"),
    ],
)
def test_bad_parameters_are_named_at_fit(params, message):
    X, y = _data(3)
    clf = NNClassifier(**params)  # scikit-learn's rule: __init__ checks nothing
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)


@quiet
def test_warm_start_refuses_other_classes():
    X, y = _data(3)
    clf = NNClassifier((4,), max_iter=2, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X, np.where(y == 2, 5, y))
    clone(clf).fit(X, np.where(y == 2, 5, y))  # a fresh one is fine


def test_import_nn_does_not_load_scikit_learn():
    code = "import nn, sys; print(any(m.split('.')[0] == 'sklearn' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
