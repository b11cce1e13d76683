"""Dropout, early stopping, the validation split, and the Glorot/He initializers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import InterruptAt, check_layer

import nn
from nn.layers.initializers import INITIALIZERS, WEIGHT_VARIANCE


# ---------------------------------------------------------------- dropout
def test_dropout_keeps_the_expected_activation_and_drops_the_stated_fraction():
    x = np.full((2000, 50), 2.0)
    y = nn.Dropout(0.3, rng=0).forward(x, training=True)
    # each entry is 2 / 0.7 with probability 0.7, else 0: mean 2, standard deviation of the
    # mean of 100,000 entries 2 * sqrt(0.3 / 0.7) / sqrt(1e5) = 0.0041, so 0.02 is 5 sigma
    assert y.mean() == pytest.approx(2.0, abs=0.02)
    assert np.mean(y == 0) == pytest.approx(0.3, abs=0.01)  # 5 sigma = 0.0072
    assert set(np.unique(y)) == {0.0, 2.0 / 0.7}


def test_dropout_is_the_identity_in_prediction():
    x = np.random.default_rng(0).normal(size=(7, 5))
    layer = nn.Dropout(0.5, rng=0)
    assert layer.forward(x) is x
    assert layer.backward(x) is x
    net = nn.mlp([5, 8, 8, 3], "relu", dropout=0.5, seed=0)
    plain = nn.mlp([5, 8, 8, 3], "relu", seed=0)  # same seed, same weights
    assert [type(ly).__name__ for ly in net.layers] == [
        *("Dense", "ReLU", "Dropout", "Dense", "ReLU", "Dropout", "Dense", "ReLU")
    ]
    assert net.predict(x).tobytes() == plain.predict(x).tobytes()
    assert not np.array_equal(net.forward(x, training=True), plain.forward(x, training=True))


class FixedMaskDropout(nn.Dropout):
    """The same mask on every forward, so finite differences see one function."""

    def forward(self, x, *, training=False):
        self.rng = np.random.default_rng(123)
        return super().forward(x, training=training)


@pytest.mark.parametrize("shape", [(6, 4), (3, 9)])
def test_dropout_backward_matches_finite_differences(shape):
    rng = np.random.default_rng(shape[1])
    layer = FixedMaskDropout(0.4)
    # dropped units have gradient exactly 0, compared with round-off (~1e-13) against the
    # relative error's 1e-8 floor; a wrong mask still gives errors of about 1
    check_layer(layer, rng.normal(size=shape), rng, tol=1e-4)
    assert (layer.mask == 0).any()  # the check did cover dropped units


def test_dropout_training_is_reproducible_from_the_seed():
    rng = np.random.default_rng(0)
    X, y = rng.random((60, 4)), rng.integers(0, 3, 60)

    def run():
        net = nn.mlp([4, 8, 3], "relu", "softmax_cross_entropy", dropout=0.3, seed=5)
        net.fit(X, y, epochs=2, batch_size=16, optimizer=nn.Adam(), seed=1, verbose=False)
        return net.layers[0].W.tobytes()

    assert run() == run()


def test_dropout_rate_is_checked():
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        nn.Dropout(1.0)
    with pytest.raises(ValueError, match="dropout"):
        nn.mlp([2, 3, 2], dropout=-0.1)


# ---------------------------------------------------------------- early stopping
class FakeNetwork:
    """Just enough of a Network for a callback: one parameter we set by hand."""

    def __init__(self):
        self.w = np.zeros(3)

    def parameters(self):
        yield "0.W", self.w, np.zeros(3)


def test_early_stopping_logic_on_a_scripted_history():
    net, es = FakeNetwork(), nn.EarlyStopping(patience=2)
    history = {"val_loss": []}
    es.on_train_begin(net, history)
    stops = []
    for epoch, loss in enumerate([3.0, 2.0, 1.5, 1.7, 1.6, 1.4], start=1):
        net.w[:] = epoch  # the weights "of epoch k" are all k
        history["val_loss"].append(loss)
        stops.append(bool(es.on_epoch_end(net, epoch, history)))
        if stops[-1]:
            break
    es.on_train_end(net, history)
    assert stops == [False, False, False, False, True]  # 1.7 and 1.6 do not beat 1.5
    assert (es.best_epoch, es.best, es.stopped_epoch) == (3, 1.5, 5)
    np.testing.assert_array_equal(net.w, [3.0, 3.0, 3.0])


def test_early_stopping_min_delta_and_accuracy_mode():
    net, es = FakeNetwork(), nn.EarlyStopping("val_accuracy", patience=1, min_delta=0.01)
    history = {"val_accuracy": []}
    es.on_train_begin(net, history)
    for epoch, acc in enumerate([0.80, 0.805], start=1):  # +0.005 is not an improvement
        history["val_accuracy"].append(acc)
        stop = es.on_epoch_end(net, epoch, history)
    assert stop and es.best_epoch == 1


def test_early_stopping_in_fit_restores_the_best_epochs_weights():
    """Validation labels are the training labels flipped, so fitting one worsens the other."""
    rng = np.random.default_rng(0)
    X = rng.random((80, 4))
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    net = nn.mlp([4, 6, 2], "tanh", "softmax_cross_entropy", seed=0, dtype=np.float64)

    class Snapshots(nn.Callback):
        weights: list[list[np.ndarray]] = []

        def on_epoch_end(self, network, epoch, history):
            self.weights.append([p.copy() for _, p, _ in network.parameters()])

    snaps, es = Snapshots(), nn.EarlyStopping(patience=3)
    history = net.fit(
        X,
        y,
        epochs=50,
        batch_size=8,
        optimizer=nn.SGD(0.5),
        validation_data=(X, 1 - y),
        seed=0,
        verbose=False,
        callbacks=[snaps, es],  # snapshots taken before early stopping acts
    )
    val = history["val_loss"]
    best = int(np.argmin(val)) + 1
    assert val[-1] > val[best - 1]  # it did get worse
    assert es.best_epoch == best and len(val) == best + 3 < 50
    for (_, p, _), saved in zip(net.parameters(), snaps.weights[best - 1]):
        np.testing.assert_array_equal(p, saved)
    assert net.evaluate(X, 1 - y)["loss"] == pytest.approx(val[best - 1], rel=1e-12)


def test_early_stopping_without_validation_data_says_what_to_do():
    net = nn.mlp([2, 2], seed=0)
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="validation_split"):
        net.fit(X, y, epochs=2, batch_size=2, lr=0.1, verbose=False, callbacks=[nn.EarlyStopping()])


# ---------------------------------------------------------------- validation split
def test_validation_split_holds_out_a_seeded_fraction():
    rng = np.random.default_rng(0)
    X, y = rng.random((50, 3)), rng.integers(0, 2, 50)

    class Count(nn.Callback):
        steps = 0

        def on_step_end(self, network, epoch, step, loss):
            self.steps += 1

    def run(seed):
        net, count = nn.mlp([3, 4, 2], seed=0), Count()
        h = net.fit(X, y, epochs=1, batch_size=10, lr=1.0, validation_split=0.2, seed=seed,
                    verbose=False, callbacks=[count])  # fmt: skip
        return h, count.steps

    h1, steps = run(3)
    assert steps == 4  # 40 training examples, batches of 10
    assert h1["val_loss"][0] is not None and h1["val_accuracy"][0] is not None
    h2, _ = run(3)
    h3, _ = run(4)
    assert h1["val_loss"] == h2["val_loss"] and h1["loss"] == h2["loss"]
    assert h1["val_loss"] != h3["val_loss"]
    # the held-out rows are those the seed's first permutation puts first
    held = np.random.default_rng(3).permutation(50)[:10]
    net = nn.mlp([3, 4, 2], seed=0)
    net.fit(X, y, epochs=1, batch_size=10, lr=1.0, validation_split=0.2, seed=3, verbose=False)
    assert net.evaluate(X[held], y[held])["loss"] == pytest.approx(h1["val_loss"][0], rel=1e-6)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"validation_split": 1.0}, "validation_split"),
        ({"validation_split": 0.01}, "at least one"),
        ({"validation_split": 0.2, "validation_data": (np.zeros((2, 3)), [0, 1])}, "not both"),
    ],
)
def test_validation_split_errors(kwargs, match):
    net = nn.mlp([3, 2], seed=0)
    X, y = np.zeros((10, 3)), np.zeros(10, int)
    with pytest.raises(ValueError, match=match):
        net.fit(X, y, epochs=1, batch_size=2, lr=1.0, verbose=False, **kwargs)


# ---------------------------------------------------------------- initializers
@pytest.mark.parametrize(
    "name,std",
    [
        ("glorot_uniform", np.sqrt(2 / 700)),
        ("glorot_normal", np.sqrt(2 / 700)),
        ("he_uniform", np.sqrt(2 / 400)),
        ("he_normal", np.sqrt(2 / 400)),
    ],
)
def test_glorot_and_he_have_the_stated_spread_and_zero_biases(name, std):
    layer = nn.Dense(400, 300, init=name, rng=0, dtype=np.float64)
    assert np.std(layer.W) == pytest.approx(std, rel=0.01)  # 120,000 draws: 0.2% sampling error
    assert abs(np.mean(layer.W)) < 0.01 * std
    np.testing.assert_array_equal(layer.b, np.zeros(300))
    if name.endswith("uniform"):
        assert np.abs(layer.W).max() <= np.sqrt(3) * std  # U(-l, l) has std l / sqrt(3)
    net = nn.mlp([5, 4, 2], init=name, seed=0)
    assert np.all(net.layers[0].b == 0)


@pytest.mark.parametrize("name", list(INITIALIZERS))
def test_weight_variance_table_matches_what_each_initializer_draws(name):
    # the doctor ranks inits by this table: it must say what the initializers do
    layer = nn.Dense(400, 300, init=name, rng=0, dtype=np.float64)
    assert np.var(layer.W) == pytest.approx(WEIGHT_VARIANCE[name](400, 300), rel=0.02)
    assert set(WEIGHT_VARIANCE) == set(INITIALIZERS)


def test_gradient_checker_handles_dropout_networks():
    net = nn.mlp([5, 6, 4, 3], "tanh", "softmax_cross_entropy", dropout=0.3, seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(7, 5)), rng.integers(0, 3, 7)
    state = net.layers[2].rng.bit_generator.state
    report = nn.check_gradients(net, X, y)
    # without replaying the masks every error is about 1 (absolute errors in the hundreds);
    # the W after a dropout has exact-zero rows, where round-off meets the 1e-8 floor
    assert report.passed(1e-5), str(report)
    assert max(r.max_abs_error for r in report.rows) < 1e-11, str(report)
    assert net.layers[2].rng.bit_generator.state == state  # the network itself is untouched


def test_resuming_adam_with_a_schedule_and_dropout_is_bit_identical(tmp_path):
    """A checkpoint of (config, state, iterations) and the dropout generators is enough."""
    rng = np.random.default_rng(0)
    X, y = rng.random((60, 4)), rng.integers(0, 3, 60)

    def fit(net, **kwargs):
        opt = nn.Adam(0.01, schedule=nn.CosineDecay(total=30), weight_decay=1e-3, clip_norm=1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", nn.TrainingInterrupted)
            return net.fit(X, y, epochs=4, batch_size=8, optimizer=opt, validation_split=0.2,
                           seed=3, verbose=False, **kwargs)  # fmt: skip

    def make():
        return nn.mlp([4, 6, 3], "relu", "softmax_cross_entropy", dropout=0.3, seed=1)

    whole = make()
    h_whole = fit(whole)
    path = tmp_path / "run.npz"
    cut = make()
    fit(cut, checkpoint=path, callbacks=[InterruptAt(9)])
    resumed = make()
    h = fit(resumed, checkpoint=path, resume=True)
    for (_, a, _), (_, b, _) in zip(whole.parameters(), resumed.parameters()):
        assert a.tobytes() == b.tobytes()
    assert h["val_loss"] == h_whole["val_loss"]
