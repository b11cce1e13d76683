"""The seed network's pieces: sigmoid, Dense, SquaredError, SGD, Network, mlp."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from conftest import check_layer, numeric_gradient, rel_error
from hypothesis import given, settings
from hypothesis import strategies as st

import nn


# ---------------------------------------------------------------- sigmoid
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_at_extremes(dtype):
    z = np.array([-1000, -100, -50, 0, 50, 100, 1000], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = nn.sigmoid(z)
        p = nn.sigmoid_prime(z)
    assert s.dtype == dtype and p.dtype == dtype
    assert s[0] == 0 and s[-1] == 1 and s[3] == 0.5
    assert np.all(np.isfinite(p)) and p[3] == 0.25 and p[0] == 0 and p[-1] == 0


def test_sigmoid_matches_textbook_formula_and_keeps_small_values():
    z = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(nn.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15, atol=0)
    # full relative precision far in the left tail, where 1 - sigmoid(-z) would lose it
    assert nn.sigmoid(np.array(-700.0)) == pytest.approx(np.exp(-700.0), rel=1e-12)


def test_sigmoid_prime_is_the_derivative_and_bounded_by_a_quarter():
    z = np.random.default_rng(0).normal(0, 4, size=50)
    s, h = nn.sigmoid, 1e-3  # elementwise fourth-order difference
    fd = (-s(z + 2 * h) + 8 * s(z + h) - 8 * s(z - h) + s(z - 2 * h)) / (12 * h)
    assert rel_error(nn.sigmoid_prime(z), fd) < 1e-9
    np.testing.assert_allclose(nn.sigmoid_prime_from_output(nn.sigmoid(z)), nn.sigmoid_prime(z))
    assert nn.sigmoid_prime(np.linspace(-10, 10, 10001)).max() <= 0.25


# ---------------------------------------------------------------- layers
@pytest.mark.parametrize("batch,n_in,n_out", [(7, 5, 3), (1, 4, 6), (3, 1, 2)])
def test_dense_gradients_match_finite_differences(batch, n_in, n_out):
    rng = np.random.default_rng(batch * 100 + n_in)
    layer = nn.Dense(n_in, n_out, rng=rng, dtype=np.float64)
    check_layer(layer, rng.standard_normal((batch, n_in)), rng)


def test_sigmoid_layer_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    check_layer(nn.Sigmoid(), rng.normal(0, 3, size=(6, 4)), rng)


@settings(max_examples=25, deadline=None)
@given(
    batch=st.integers(1, 6),
    n_in=st.integers(1, 6),
    n_out=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_dense_gradients_on_random_shapes(batch, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    check_layer(
        nn.Dense(n_in, n_out, rng=rng, dtype=np.float64), rng.standard_normal((batch, n_in)), rng
    )


def test_dense_shapes_and_dtype():
    layer = nn.Dense(4, 3, rng=0)
    assert layer.W.shape == (4, 3) and layer.b.shape == (3,) and layer.W.dtype == np.float32
    y = layer.forward(np.ones((5, 4), np.float32))
    assert y.shape == (5, 3) and y.dtype == np.float32
    layer.backward(np.ones((5, 3), np.float32))
    assert layer.dW.shape == (4, 3) and layer.db.shape == (3,) and layer.dW.dtype == np.float32


def test_initializers_have_the_stated_spread():
    rng = np.random.default_rng(0)
    W, _ = nn.Dense(400, 300, init="normal", rng=rng).W, None
    assert np.std(W) == pytest.approx(1.0, rel=0.02)
    W = nn.Dense(400, 300, init="scaled_normal", rng=rng).W
    assert np.std(W) == pytest.approx(1 / np.sqrt(400), rel=0.02)
    with pytest.raises(ValueError, match="known initializer"):
        nn.Dense(2, 2, init="nope")


# ---------------------------------------------------------------- loss
def test_squared_error_value_and_gradient_by_hand():
    a = np.array([[0.5, 1.0], [0.0, 0.25]])
    y = np.array([[1.0, 1.0], [0.0, 0.75]])
    loss = nn.SquaredError()
    # (1/2) * (1/2 * 0.25 + 1/2 * 0.25) = 0.125
    assert loss.value(a, y) == pytest.approx(0.125, abs=1e-15)
    np.testing.assert_allclose(loss.gradient(a, y), (a - y) / 2)


def test_squared_error_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    a, y = rng.random((5, 3)), rng.random((5, 3))
    loss = nn.SquaredError()
    fd = numeric_gradient(lambda: loss.value(a, y), a)
    assert rel_error(loss.gradient(a, y), fd) < 1e-8


def test_loss_is_a_mean_so_duplicating_the_batch_changes_nothing():
    net = nn.mlp([3, 4, 2], seed=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    X, Y = rng.random((5, 3)), rng.random((5, 2))
    c1 = net.gradients(X, Y)
    g1 = net.layers[0].dW.copy()
    c2 = net.gradients(np.vstack([X, X]), np.vstack([Y, Y]))
    assert c2 == pytest.approx(c1, rel=1e-14)
    np.testing.assert_allclose(net.layers[0].dW, g1, rtol=1e-13)


# ---------------------------------------------------------------- network
@pytest.mark.parametrize("sizes", [[5, 4, 3], [3, 7, 2, 4], [2, 3, 3, 3, 1], [6, 2]])
def test_network_gradients_pass_the_gradient_checker(sizes):
    rng = np.random.default_rng(len(sizes))
    net = nn.mlp(sizes, seed=rng, dtype=np.float64)
    X = rng.standard_normal((7, sizes[0]))
    Y = rng.random((7, sizes[-1]))
    report = nn.check_gradients(net, X, Y)
    assert len(report.rows) == 2 * (len(sizes) - 1)
    assert report.max_rel_error < 1e-7, str(report)
    assert nn.check_gradients(net, X, Y, order=2).max_rel_error < 1e-5


class _BadSigmoid(nn.Sigmoid):
    def backward(self, dy):
        return dy * self.a  # forgot the (1 - a) factor


def test_gradient_checker_catches_a_wrong_backward():
    net = nn.Network([nn.Dense(3, 4, rng=0, dtype=np.float64), _BadSigmoid()], nn.SquaredError())
    rng = np.random.default_rng(0)
    report = nn.check_gradients(net, rng.standard_normal((5, 3)), rng.random((5, 4)))
    assert not report.passed()
    assert report.max_rel_error > 1e-2
    assert "MISMATCH" in str(report)


def _saturated_network():
    """A float64 [12, 8, 3] whose first four hidden units are saturated, sigmoid'(16) ~ 1e-7,
    so the weights into them have gradients near 1e-8: a trained network has many such."""
    rng = np.random.default_rng(3)
    net = nn.mlp([12, 8, 3], seed=rng, dtype=np.float64)
    net.layers[0].b[:4] = 16.0
    return net, rng.standard_normal((5, 12)), rng.random((5, 3))


@pytest.mark.parametrize("order", [4, 2])
def test_gradient_checker_passes_tiny_gradients_within_round_off(order):
    net, X, Y = _saturated_network()
    report = nn.check_gradients(net, X, Y, order=order)
    # relative errors over 1e-6 exist, but only where the absolute error is round-off
    assert report.max_rel_error > 1e-6 and not report.failures().size
    assert report.passed(1e-6), str(report)
    verdict = str(report).splitlines()[-1]
    assert ": ok (" in verdict and "round-off on gradients near zero" in verdict
    assert "MISMATCH" not in verdict and "kink" not in verdict
    # never advises what it used: order 4 already is the better stencil
    assert bool(re.search(r"\btry\b", verdict)) == (order == 2)  # the word, not "entry"


class _SlightlyOffSigmoid(nn.Sigmoid):
    def backward(self, dy):
        return super().backward(dy) * (1 + 1e-4)


@pytest.mark.parametrize("factor", [None, "slight"])
def test_gradient_checker_still_flags_wrong_backwards_next_to_tiny_gradients(factor):
    net, X, Y = _saturated_network()
    bad = _SlightlyOffSigmoid() if factor else _BadSigmoid()
    net = nn.Network([net.layers[0], bad, *net.layers[2:]], nn.SquaredError())
    report = nn.check_gradients(net, X, Y)
    assert not report.passed()
    verdict = str(report).splitlines()[-1]
    assert "MISMATCH" in verdict and "check the backward of 0.W, 0.b" in verdict
    if factor:  # off by 1e-4: relative errors 5e-5 (within the finite differences' noise)
        # on every gradient large enough to see
        assert report.failures().max() == pytest.approx(5e-5, rel=1e-3)
        assert report.failures().min() == pytest.approx(5e-5, rel=0.1)


def test_gradient_checker_advice_never_repeats_what_it_used():
    rng = np.random.default_rng(5)
    net = nn.mlp([10, 20, 20, 4], "relu", seed=rng, dtype=np.float64)
    X, Y = rng.standard_normal((7, 10)), rng.random((7, 4))
    for eps in (1e-3, 1e-2):  # kinks within 2 eps: advises a step below eps/10, its smallest
        verdict = nn.check_gradients(net, X, Y, eps=eps).verdict()
        assert "kink" in verdict and f"try eps={eps / 100:g} (--eps {eps / 100:g})" in verdict
    net, X, Y = _saturated_network()
    assert "try order=4" in nn.check_gradients(net, X, Y, order=2).verdict()
    assert not re.search(r"\btry\b", nn.check_gradients(net, X, Y).verdict())


def test_gradient_checker_works_on_float32_networks_and_leaves_them_alone():
    net = nn.mlp([4, 5, 3], seed=0)  # float32
    W0 = net.layers[0].W.copy()
    rng = np.random.default_rng(0)
    report = nn.check_gradients(net, rng.random((6, 4)), rng.random((6, 3)))
    assert report.passed(1e-6)
    assert net.layers[0].W.dtype == np.float32
    np.testing.assert_array_equal(net.layers[0].W, W0)


def test_backward_reuses_deltas_layer_by_layer():
    """The delta handed to layer l is exactly W^{l+1} applied to the delta of layer l+1."""
    rng = np.random.default_rng(5)
    net = nn.mlp([4, 3, 2], seed=1, dtype=np.float64)
    X, Y = rng.random((6, 4)), rng.random((6, 2))
    net.gradients(X, Y)
    dense0, sig0, dense1, sig1 = net.layers
    a = net.forward(X, training=True)
    delta_L = (a - Y) / 6 * nn.sigmoid_prime(dense1.forward(sig0.forward(dense0.forward(X))))
    np.testing.assert_allclose(dense1.db, delta_L.sum(0), rtol=1e-12)  # BP1 + BP3
    delta_1 = (delta_L @ dense1.W.T) * nn.sigmoid_prime(dense0.forward(X))  # BP2
    np.testing.assert_allclose(dense0.db, delta_1.sum(0), rtol=1e-12)
    np.testing.assert_allclose(dense0.dW, X.T @ delta_1, rtol=1e-12)  # BP4


def test_sgd_step_is_w_minus_lr_times_gradient():
    net = nn.mlp([3, 2], seed=0, dtype=np.float64)
    X, Y = np.eye(3), np.zeros((3, 2))
    net.gradients(X, Y)
    W, dW = net.layers[0].W.copy(), net.layers[0].dW.copy()
    nn.SGD(0.5).step(net.parameters())
    np.testing.assert_array_equal(net.layers[0].W, W - 0.5 * dW)
    with pytest.raises(ValueError, match="lr"):
        nn.SGD(0)


def test_same_seed_same_bits_and_different_seed_differs():
    rng = np.random.default_rng(0)
    X, y = rng.random((50, 4)).astype(np.float32), rng.integers(0, 3, 50)

    def run(seed):
        net = nn.mlp([4, 6, 3], seed=seed)
        net.fit(X, y, epochs=3, batch_size=7, lr=1.0, seed=seed, verbose=False)
        return [p.copy() for _, p, _ in net.parameters()]

    a, b, c = run(3), run(3), run(4)
    for pa, pb in zip(a, b):
        assert pa.tobytes() == pb.tobytes()
    assert any(pa.tobytes() != pc.tobytes() for pa, pc in zip(a, c))


def test_integer_labels_and_one_hot_targets_train_identically():
    rng = np.random.default_rng(0)
    X, y = rng.random((30, 4)), rng.integers(0, 3, 30)
    nets = [nn.mlp([4, 5, 3], seed=1, dtype=np.float64) for _ in range(2)]
    h1 = nets[0].fit(X, y, epochs=2, batch_size=4, lr=1.0, seed=0, verbose=False)
    h2 = nets[1].fit(X, np.eye(3)[y], epochs=2, batch_size=4, lr=1.0, seed=0, verbose=False)
    assert h1["loss"] == h2["loss"] and h1["accuracy"] == h2["accuracy"]
    np.testing.assert_array_equal(nets[0].layers[0].W, nets[1].layers[0].W)


def test_xor_learns_at_a_fixed_seed():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    net = nn.mlp([2, 3, 1], seed=0)
    history = net.fit(X, y, epochs=2000, batch_size=4, lr=3.0, seed=0, verbose=False)
    assert history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal(net.classify(X), y)
    assert history["loss"][-1] < 0.01 < history["loss"][0]


def test_history_records_every_epoch():
    rng = np.random.default_rng(0)
    X, y = rng.random((20, 3)), rng.integers(0, 2, 20)
    net = nn.mlp([3, 4, 2], seed=0)
    h = net.fit(X, y, epochs=3, batch_size=8, lr=0.5, validation_data=(X, y), verbose=False)
    assert h["epoch"] == [1, 2, 3]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "seconds"):
        assert len(h[key]) == 3 and all(v is not None for v in h[key])
    assert h["val_loss"][-1] == pytest.approx(net.evaluate(X, y)["loss"])


def test_regression_targets_have_no_accuracy():
    rng = np.random.default_rng(0)
    X, Y = rng.random((10, 2)), rng.random((10, 2)) * 0.5 + 0.2
    net = nn.mlp([2, 3, 2], seed=0)
    h = net.fit(X, Y, epochs=1, batch_size=5, lr=0.1, verbose=False)
    assert h["accuracy"] == [None]
    assert net.evaluate(X, Y)["accuracy"] is None


@pytest.mark.parametrize(
    "X,Y,match",
    [
        (np.zeros((5, 3)), np.zeros(4, int), "rows"),
        (np.zeros((5, 2)), np.zeros(5, int), "features"),
        (np.zeros(5), np.zeros(5, int), "shape"),
        (np.zeros((5, 3)), np.full(5, 7), "labels"),
        (np.zeros((5, 3)), np.zeros((5, 4)), "width"),
        (np.zeros((5, 3)), np.zeros(5), "integer class labels"),
    ],
)
def test_bad_inputs_get_clear_errors(X, Y, match):
    net = nn.mlp([3, 4, 3], seed=0)
    with pytest.raises((ValueError, TypeError), match=match):
        net.fit(X, Y, epochs=1, batch_size=2, lr=1.0, verbose=False)


def test_fit_needs_exactly_one_of_lr_and_optimizer():
    net = nn.mlp([2, 1], seed=0)
    X, y = np.zeros((2, 2)), np.array([0, 1])
    with pytest.raises(ValueError, match="exactly one"):
        net.fit(X, y, epochs=1, batch_size=1, verbose=False)
    with pytest.raises(ValueError, match="epochs"):
        net.fit(X, y, epochs=0, batch_size=1, lr=1.0, verbose=False)


def test_mlp_builds_nielsens_network():
    net = nn.mlp([784, 30, 10])
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Dense", "Sigmoid", "Dense", "Sigmoid"]
    assert isinstance(net.loss, nn.SquaredError)
    assert (net.n_in, net.n_out) == (784, 10)
    with pytest.raises(ValueError, match="activation"):
        nn.mlp([2, 2], activation="swish")
    with pytest.raises(ValueError, match="sizes"):
        nn.mlp([3])


def test_callbacks_see_every_step_and_can_stop():
    class Stopper(nn.Callback):
        def __init__(self):
            self.steps = 0

        def on_step_end(self, network, epoch, step, loss):
            self.steps += 1

        def on_epoch_end(self, network, epoch, history):
            return epoch == 2

    cb = Stopper()
    X, y = np.zeros((10, 2)), np.zeros(10, int)
    h = nn.mlp([2, 2], seed=0).fit(
        X, y, epochs=5, batch_size=3, lr=1.0, verbose=False, callbacks=[cb]
    )
    assert h["epoch"] == [1, 2] and cb.steps == 8
