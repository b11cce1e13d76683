"""Cross-entropy losses: values by hand, gradients, the cancellations, the fused softmax."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import numeric_gradient, rel_error

import nn

LOSSES = [nn.SquaredError, nn.CrossEntropy, nn.CategoricalCrossEntropy, nn.SoftmaxCrossEntropy]


def probabilities(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Rows of a softmax: what a categorical cross-entropy receives."""
    return nn.softmax(rng.normal(size=shape))


def one_hot(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return np.eye(k)[rng.integers(0, k, n)]


# ---------------------------------------------------------------- values by hand
def test_cross_entropy_value_by_hand():
    a = np.array([[0.5, 0.8], [0.1, 0.25]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    # per unit -[y ln a + (1-y) ln(1-a)]: ln 2, -ln 0.2, -ln 0.9, ln 4; mean over 2 examples
    expected = (np.log(2) - np.log(0.2) - np.log(0.9) + np.log(4)) / 2
    assert nn.CrossEntropy().value(a, y) == pytest.approx(expected, rel=1e-14)


def test_categorical_cross_entropy_value_by_hand():
    a = np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]])
    y = np.array([[1.0, 0, 0], [0, 0, 1.0]])
    expected = (-np.log(0.7) - np.log(0.5)) / 2  # -ln of the true class's probability, mean
    assert nn.CategoricalCrossEntropy().value(a, y) == pytest.approx(expected, rel=1e-14)


def test_softmax_cross_entropy_value_by_hand():
    z = np.array([[0.0, np.log(3.0)], [1000.0, -1000.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    # example 1: softmax = [1/4, 3/4], cost ln 4; example 2: cost lse - z_2 = 1000 + 1000
    expected = (np.log(4.0) + 2000.0) / 2
    assert nn.SoftmaxCrossEntropy().value(z, y) == pytest.approx(expected, rel=1e-14)


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("loss_cls", LOSSES)
@pytest.mark.parametrize("shape", [(5, 3), (2, 7), (1, 1)])
def test_loss_gradients_match_finite_differences(loss_cls, shape):
    rng = np.random.default_rng(shape[0] * 10 + shape[1])
    loss = loss_cls()
    if loss_cls is nn.SoftmaxCrossEntropy:
        a, y = rng.normal(0, 3, size=shape), rng.random(shape)  # logits; any targets
    elif loss_cls is nn.CategoricalCrossEntropy:
        a, y = probabilities(rng, shape), rng.random(shape)
    else:
        a, y = rng.uniform(0.05, 0.95, size=shape), rng.random(shape)
    fd = numeric_gradient(lambda: loss.value(a, y), a, eps=1e-5)
    assert rel_error(loss.gradient(a, y), fd) < 1e-7


@pytest.mark.parametrize("loss_cls", LOSSES)
def test_every_loss_is_a_mean_over_the_batch(loss_cls):
    rng = np.random.default_rng(4)
    a, y = probabilities(rng, (4, 3)), one_hot(rng, 4, 3)
    loss = loss_cls()
    twice_a, twice_y = np.vstack([a, a]), np.vstack([y, y])
    assert loss.value(twice_a, twice_y) == pytest.approx(loss.value(a, y), rel=1e-14)
    np.testing.assert_allclose(loss.gradient(twice_a, twice_y)[:4], loss.gradient(a, y) / 2)


def test_sigmoid_backward_of_cross_entropy_is_a_minus_y_over_n():
    """Nielsen ch. 3: with cross-entropy, the output delta has no sigma'(z) factor."""
    rng = np.random.default_rng(5)
    z, y = rng.normal(0, 3, size=(6, 4)), rng.random((6, 4))
    layer = nn.Sigmoid()
    a = layer.forward(z)
    delta = layer.backward(nn.CrossEntropy().gradient(a, y))
    np.testing.assert_allclose(delta, (a - y) / 6, rtol=1e-12, atol=1e-16)
    # with the squared error the factor sigma'(z) = a (1 - a) stays: the learning slowdown
    delta_se = layer.backward(nn.SquaredError().gradient(a, y))
    np.testing.assert_allclose(delta_se, (a - y) / 6 * a * (1 - a), rtol=1e-12)


def test_softmax_backward_of_categorical_cross_entropy_is_a_minus_y_over_n():
    rng = np.random.default_rng(6)
    z, y = rng.normal(0, 2, size=(5, 3)), one_hot(rng, 5, 3)
    layer = nn.Softmax()
    a = layer.forward(z)
    delta = layer.backward(nn.CategoricalCrossEntropy().gradient(a, y))
    np.testing.assert_allclose(delta, (a - y) / 5, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("targets", ["one_hot", "distributions"])
def test_fused_softmax_cross_entropy_equals_the_unfused_chain(targets):
    """Value and gradient w.r.t. the logits, against Softmax then CategoricalCrossEntropy."""
    rng = np.random.default_rng(7)
    z = rng.normal(0, 3, size=(6, 5))
    y = one_hot(rng, 6, 5) if targets == "one_hot" else probabilities(rng, (6, 5))
    softmax, cce, fused = nn.Softmax(), nn.CategoricalCrossEntropy(), nn.SoftmaxCrossEntropy()
    a = softmax.forward(z)
    chain_value = cce.value(a, y)
    chain_grad = softmax.backward(cce.gradient(a, y))
    assert fused.value(z, y) == pytest.approx(chain_value, rel=1e-12)
    np.testing.assert_allclose(fused.gradient(z, y), chain_grad, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(fused.gradient(z, y), (a - y) / 6, rtol=1e-12, atol=1e-16)
    np.testing.assert_array_equal(fused.output(z), a)


# ---------------------------------------------------------------- guards
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probabilities_of_exactly_0_and_1_give_no_warnings(dtype):
    a = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.5]], dtype=dtype)
    y = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for loss in (nn.CrossEntropy(), nn.CategoricalCrossEntropy()):
            v, g = loss.value(a, y), loss.gradient(a, y)
            assert np.isfinite(v) and np.all(np.isfinite(g)) and g.dtype == dtype
        ce = nn.CrossEntropy().value(a, y)
        fused = nn.SoftmaxCrossEntropy()
        big = np.array([[1000.0, -1000.0, 0.0]], dtype=dtype)
        vf, gf = fused.value(big, y[:1]), fused.gradient(big, y[:1])
    # Example 1 has two certain and wrong units (a=0 with y=1, a=1 with y=0), each costing
    # -ln(epsneg) (16.6 in float32, 36.7 in float64), and a=0.5 costing ln 2; in example 2
    # the certain units are right and cost (almost) nothing, a=0.5 costs ln 2.
    cap = -np.log(np.finfo(dtype).epsneg)
    assert ce == pytest.approx((2 * cap + 2 * np.log(2)) / 2, rel=1e-5)
    cce = nn.CategoricalCrossEntropy().value(a, y)  # -ln(tiny) for example 1, -ln 1 for 2
    assert cce == pytest.approx(-np.log(np.finfo(dtype).tiny) / 2, rel=1e-5)
    assert vf == 0.0 and np.all(np.isfinite(gf))


# ---------------------------------------------------------------- in networks
@pytest.mark.parametrize(
    "activation,loss,output_activation",
    [
        ("sigmoid", "cross_entropy", None),
        ("tanh", "categorical_cross_entropy", "softmax"),
        ("tanh", "softmax_cross_entropy", None),
        ("leaky_relu", "squared_error", "identity"),
    ],
)
def test_networks_with_each_loss_pass_the_gradient_checker(activation, loss, output_activation):
    rng = np.random.default_rng(8)
    net = nn.mlp(
        [5, 6, 4],
        activation,
        loss,
        output_activation=output_activation,
        seed=rng,
        dtype=np.float64,
    )
    X, y = rng.standard_normal((9, 5)), rng.integers(0, 4, 9)
    report = nn.check_gradients(net, X, y)
    assert report.max_rel_error < 1e-7, str(report)


def test_fused_loss_network_outputs_logits_but_predicts_probabilities():
    net = nn.mlp([4, 5, 3], "relu", "softmax_cross_entropy", seed=0, dtype=np.float64)
    assert [type(ly).__name__ for ly in net.layers] == ["Dense", "ReLU", "Dense"]
    X = np.random.default_rng(0).normal(size=(6, 4))
    logits = net.forward(X)
    p = net.predict(X)
    np.testing.assert_allclose(p, nn.softmax(logits))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_array_equal(net.classify(X), logits.argmax(axis=1))
    y = np.array([0, 1, 2, 0, 1, 2])
    scores = net.evaluate(X, y)
    assert scores["loss"] == pytest.approx(nn.SoftmaxCrossEntropy().value(logits, np.eye(3)[y]))
    assert scores["accuracy"] == np.mean(logits.argmax(axis=1) == y)


def test_mlp_refuses_a_softmax_before_the_fused_loss():
    with pytest.raises(ValueError, match="logits"):
        nn.mlp([3, 4, 2], "relu", "softmax_cross_entropy", output_activation="softmax")
    net = nn.mlp([3, 4, 2], "relu", "categorical_cross_entropy", output_activation="softmax")
    assert [type(ly).__name__ for ly in net.layers] == ["Dense", "ReLU", "Dense", "Softmax"]


@pytest.mark.parametrize(
    "loss", ["cross_entropy", "categorical_cross_entropy", "softmax_cross_entropy"]
)
def test_losses_round_trip_through_save_and_load(tmp_path, loss):
    out = {"categorical_cross_entropy": "softmax", "cross_entropy": "sigmoid"}.get(loss)
    net = nn.mlp([4, 3, 2], "tanh", loss, output_activation=out, dropout=0.5, seed=1)
    net.save(tmp_path / "m.npz")
    back = nn.load(tmp_path / "m.npz")
    assert type(back.loss) is type(net.loss)
    assert [type(ly) for ly in back.layers] == [type(ly) for ly in net.layers]
    assert back.layers[2].rate == 0.5
    X = np.random.default_rng(0).random((5, 4))
    assert back.predict(X).tobytes() == net.predict(X).tobytes()


# ---------------------------------------------------------------- value and gradient at once
@pytest.mark.parametrize("loss_cls", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 80.0])
def test_value_and_gradient_gives_the_bits_of_value_and_gradient(loss_cls, dtype, scale):
    rng = np.random.default_rng(3)
    loss = loss_cls()
    if loss.takes_logits:
        a = (scale * rng.standard_normal((6, 4))).astype(dtype)  # logits, some far apart
    else:
        a = rng.uniform(0.01, 0.99, (6, 4)).astype(dtype)
    y = np.eye(4, dtype=dtype)[rng.integers(0, 4, 6)]
    y[0] = 0.25  # a probability row too
    value, gradient = loss.value_and_gradient(a, y)
    assert value == loss.value(a, y)
    assert gradient.dtype == loss.gradient(a, y).dtype
    assert gradient.tobytes() == loss.gradient(a, y).tobytes()
    assert nn.losses.value_and_gradient(loss, a, y)[0] == value


def test_value_and_gradient_accepts_a_loss_with_only_value_and_gradient():
    class HalfSquares:  # the loss protocol without value_and_gradient
        takes_logits = False

        def output(self, a):
            return a

        def value(self, a, y):
            return 0.5 * float(((a - y) ** 2).sum()) / len(a)

        def gradient(self, a, y):
            return (a - y) / len(a)

    a, y = np.array([[1.0, 2.0]]), np.array([[0.0, 4.0]])
    value, gradient = nn.losses.value_and_gradient(HalfSquares(), a, y)
    assert value == 2.5
    np.testing.assert_array_equal(gradient, [[1.0, -2.0]])
    net = nn.Network([nn.Dense(2, 2, rng=0, dtype=np.float64)], HalfSquares())
    twin = nn.Network([nn.Dense(2, 2, rng=0, dtype=np.float64)], nn.SquaredError())
    for model in (net, twin):
        model.fit(np.eye(2), np.eye(2), epochs=3, batch_size=1, lr=0.1, seed=0, verbose=False)
    np.testing.assert_allclose(net.layers[0].W, twin.layers[0].W, rtol=1e-12)


def test_a_subclass_that_changes_softmax_cross_entropy_is_trained_with_its_own_methods():
    class Smoothed(nn.SoftmaxCrossEntropy):  # label smoothing, by overriding value and gradient
        def value(self, a, y):
            return super().value(a, 0.9 * y + 0.025)

        def gradient(self, a, y):
            return super().gradient(a, 0.9 * y + 0.025)

    rng = np.random.default_rng(4)
    a, y = rng.standard_normal((5, 4)), np.eye(4)[rng.integers(0, 4, 5)]
    loss = Smoothed()
    value, gradient = loss.value_and_gradient(a, y)
    assert value == loss.value(a, y) != nn.SoftmaxCrossEntropy().value(a, y)
    np.testing.assert_array_equal(gradient, loss.gradient(a, y))
