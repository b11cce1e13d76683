"""A third opinion: every layer and loss gives the same gradients by hand as through the engine.

The layers' ``backward`` methods were derived by hand; the tensor engine derives the same
gradients from the forward formulas alone (``nn.autograd.rules``). Finite differences agree
with either to about 1e-7 at best; the two analytic routes must agree to about 1e-12, in
float64, on random non-square shapes with a random upstream gradient. Then whole networks:
``nn.autograd.engine_gradients`` equals ``Network.gradients`` and ``Network.backward``'s
``dC/dX``.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_third_opinion_recurrent import SEQUENCE_LAYERS, SEQUENCE_LOSSES

import nn
from nn.autograd import LAYER_RULES, LOSS_RULES, NoRuleError, Tensor, engine_gradients
from nn.autograd.rules import layer_rule, loss_rule
from nn.core import registry

TOL = 1e-12  # relative to the largest entry of the gradient
SEEDS = range(3)


def error(got, expected):
    """Largest difference relative to the largest entry (0 for two zero arrays)."""
    scale = max(np.abs(expected).max(initial=0.0), np.abs(got).max(initial=0.0), 1e-300)
    return float(np.abs(np.asarray(got) - expected).max(initial=0.0)) / scale


def shapes(rng):
    """(batch, n_in, n_out), three different sizes, so no transpose passes by accident."""
    return tuple(int(n) for n in rng.choice(np.arange(2, 9), size=3, replace=False))


LAYERS = {
    "Dense": lambda n_in, n_out, rng: nn.Dense(n_in, n_out, rng=rng, dtype=np.float64),
    "Sigmoid": lambda n_in, n_out, rng: nn.Sigmoid(),
    "Tanh": lambda n_in, n_out, rng: nn.Tanh(),
    "ReLU": lambda n_in, n_out, rng: nn.ReLU(),
    "LeakyReLU": lambda n_in, n_out, rng: nn.LeakyReLU(0.1),
    "Identity": lambda n_in, n_out, rng: nn.Identity(),
    "Softmax": lambda n_in, n_out, rng: nn.Softmax(),
    "Dropout": lambda n_in, n_out, rng: nn.Dropout(0.4, rng=rng),
}
LOSSES = ["SquaredError", "CrossEntropy", "CategoricalCrossEntropy", "SoftmaxCrossEntropy"]
#: Layers of images, (batch, C, H, W): each built for C channels, checked on non-square images.
IMAGE_LAYERS = {
    "Conv2D": lambda C, rng: nn.Conv2D(C, 3, 3, stride=2, padding=1, rng=rng, dtype=np.float64),
    "MaxPool2D": lambda C, rng: nn.MaxPool2D(3, stride=2),
    "AvgPool2D": lambda C, rng: nn.AvgPool2D(2, stride=1),
    "Flatten": lambda C, rng: nn.Flatten(),
    "BatchNorm": lambda C, rng: nn.BatchNorm(C, dtype=np.float64),
}


def library_classes(table):
    return {name for name, cls in table.items() if cls.__module__.startswith("nn.")}


def test_every_layer_and_loss_of_the_library_has_a_rule_and_a_case_here():
    # A layer that lands without a rule fails here: add it to nn.autograd.rules and to LAYERS.
    # Sequence layers and losses have their cases in test_third_opinion_recurrent.py.
    layers = set(LAYERS) | set(SEQUENCE_LAYERS) | set(IMAGE_LAYERS)
    losses = set(LOSSES) | set(SEQUENCE_LOSSES)
    assert library_classes(registry.LAYERS) == layers == {c.__name__ for c in LAYER_RULES}
    assert library_classes(registry.LOSSES) == losses == {c.__name__ for c in LOSS_RULES}


def layer_both_ways(layer, x, G):
    """(output, dx, grads) by the layer's own backward, and the same through the engine."""
    y = layer.forward(x, training=True)
    dx = layer.backward(G)
    hand = (y, dx, {k: g.copy() for k, g in layer.grads.items()})
    xt = Tensor(x)
    params = {k: Tensor(p) for k, p in layer.params.items()}
    out = layer_rule(layer).tensor(layer, xt, params)
    (out * G).sum().backward()
    return hand, (out.data, xt.grad, {k: t.grad for k, t in params.items()})


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_gradients_by_hand_equal_the_engine(name, seed):
    rng = np.random.default_rng(seed)
    batch, n_in, n_out = shapes(rng)
    layer = LAYERS[name](n_in, n_out, rng)
    x = 3 * rng.standard_normal((batch, n_in))
    out_shape = (batch, n_out if layer.params else n_in)
    G = rng.standard_normal(out_shape)  # a random dC/dy
    (y, dx, grads), (ye, dxe, gradse) = layer_both_ways(layer, x, G)
    assert y.shape == ye.shape == out_shape
    assert error(ye, y) < TOL, "forward"
    assert dx.shape == x.shape and error(dx, dxe) < TOL, "dx"
    assert set(grads) == set(gradse) == set(layer.params)
    for k in grads:
        assert grads[k].shape == layer.params[k].shape and error(grads[k], gradse[k]) < TOL, k


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(IMAGE_LAYERS))
def test_image_layer_gradients_by_hand_equal_the_engine(name, seed):
    rng = np.random.default_rng(seed)
    batch, C, H = shapes(rng)
    layer = IMAGE_LAYERS[name](C, rng)
    for param in layer.params.values():  # biases, gamma and beta away from 0 and 1
        param[...] = rng.standard_normal(param.shape)
    x = 3 * rng.standard_normal((batch, C, H + 1, H + 3))
    G = rng.standard_normal(layer.forward(x, training=True).shape)
    (y, dx, grads), (ye, dxe, gradse) = layer_both_ways(layer, x, G)
    assert y.shape == ye.shape and error(ye, y) < TOL, "forward"
    assert dx.shape == x.shape and error(dx, dxe) < TOL, "dx"
    for k in grads:
        assert error(grads[k], gradse[k]) < TOL, k


def test_max_pool_by_hand_and_engine_send_a_tied_windows_gradient_to_its_first_maximum():
    layer = nn.MaxPool2D(2)
    x = np.zeros((1, 1, 4, 4))  # a flat background: every window ties
    x[0, 0, 2:, 2:] = [[1.0, 1.0], [0.0, 1.0]]
    G = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    (_, dx, _), (_, dxe, _) = layer_both_ways(layer, x, G)
    expected = np.zeros((4, 4))
    expected[[0, 0, 2, 2], [0, 2, 0, 2]] = G.ravel()  # the top-left of each window
    np.testing.assert_array_equal(dx[0, 0], expected)
    np.testing.assert_array_equal(dxe[0, 0], expected)
    # the engine's own max shares a tie's gradient equally; pooling must not
    shared = Tensor(x[0, 0, :2, :2].ravel())
    shared.max().backward()
    assert shared.grad.tolist() == [0.25] * 4


def test_the_scalar_engine_says_it_has_no_rule_for_images():
    with pytest.raises(NoRuleError, match="tensor engine"):
        layer_rule(nn.Conv2D(1, 1, 1)).scalar(nn.Conv2D(1, 1, 1), [[]], {})


def test_dropout_replays_the_mask_and_drops_something():
    rng = np.random.default_rng(0)
    layer = nn.Dropout(0.5, rng=1)
    x, G = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    (_, dx, _), (_, dxe, _) = layer_both_ways(layer, x, G)
    assert np.count_nonzero(dx == 0) > 5  # the test means something: units were dropped
    assert np.array_equal(dx == 0, dxe == 0) and error(dx, dxe) < TOL


def loss_inputs(name, rng, batch, n):
    """Outputs in the loss's domain, and targets (not one-hot: rows need not sum to 1)."""
    if name == "CrossEntropy":
        return rng.uniform(0.05, 0.95, (batch, n)), rng.random((batch, n))
    if name == "CategoricalCrossEntropy":
        return nn.softmax(rng.standard_normal((batch, n))), rng.random((batch, n))
    scale = 3.0 if name == "SoftmaxCrossEntropy" else 1.0
    return scale * rng.standard_normal((batch, n)), rng.random((batch, n))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", LOSSES)
def test_loss_gradients_by_hand_equal_the_engine(name, seed):
    rng = np.random.default_rng(seed)
    batch, n, _ = shapes(rng)
    loss = getattr(nn, name)()
    a, y = loss_inputs(name, rng, batch, n)
    at = Tensor(a)
    C = loss_rule(loss).tensor(at, y)
    C.backward()
    assert C.shape == ()
    assert abs(float(C.data) - loss.value(a, y)) < TOL * abs(loss.value(a, y))
    assert error(loss.gradient(a, y), at.grad) < TOL
    value, gradient = loss.value_and_gradient(a, y)  # the fused path training takes
    assert error(gradient, at.grad) < TOL and value == pytest.approx(float(C.data), rel=TOL)


# ---------------------------------------------------------------- whole networks
def network(kind, rng):
    """A float64 network of every layer family, with random non-square sizes."""
    batch, n_in, n_out = shapes(rng)
    hidden = int(rng.integers(2, 7))
    d = lambda i, o: nn.Dense(i, o, rng=rng, dtype=np.float64)  # noqa: E731
    layers = {
        "sigmoid-squared": [d(n_in, hidden), nn.Sigmoid(), d(hidden, n_out), nn.Sigmoid()],
        "tanh-dropout-cross": [d(n_in, hidden), nn.Tanh(), nn.Dropout(0.3, rng=rng),
                               d(hidden, n_out), nn.Sigmoid()],
        "relu-softmax-categorical": [d(n_in, hidden), nn.ReLU(), d(hidden, hidden + 1),
                                     nn.LeakyReLU(0.2), d(hidden + 1, n_out), nn.Softmax()],
        "identity-fused": [d(n_in, hidden), nn.Identity(), nn.Dropout(0.5, rng=rng),
                           d(hidden, n_out)],
    }[kind]  # fmt: skip
    loss = {
        "squared": nn.SquaredError(),
        "cross": nn.CrossEntropy(),
        "categorical": nn.CategoricalCrossEntropy(),
        "fused": nn.SoftmaxCrossEntropy(),
    }
    net = nn.Network(layers, loss[kind.rsplit("-", 1)[1]])
    X = rng.standard_normal((batch, n_in))
    labels = rng.integers(0, n_out, batch)
    Y = labels if kind.endswith(("categorical", "fused")) else rng.random((batch, n_out))
    return net, X, Y


KINDS = ["sigmoid-squared", "tanh-dropout-cross", "relu-softmax-categorical", "identity-fused"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_engine_gradients_equal_network_gradients(kind, seed):
    net, X, Y = network(kind, np.random.default_rng(seed))
    T = net.checked_targets(Y, len(X))
    a = net.forward(X, training=True)  # draws the dropout masks the engine replays
    dX = net.backward(net.loss.gradient(a, T))
    hand = {key: g.copy() for key, _, g in net.parameters()}
    got = engine_gradients(net, X, Y)
    assert list(got) == [*hand, "X"]
    for key, g in hand.items():
        assert got[key].shape == g.shape and error(got[key], g) < TOL, key
    assert error(got["X"], dX) < TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_engine_gradients_equal_a_cnns_gradients(seed):
    rng = np.random.default_rng(seed)
    net = nn.cnn("conv3k3p1 bn pool2 conv4k2s2 avgpool2 dropout0.3 5 3", (2, 9, 8), seed=rng,
                 dtype=np.float64)  # fmt: skip
    for layer in net.layers:
        for param in layer.params.values():
            param[...] += 0.1 * rng.standard_normal(param.shape)
    X, y = rng.standard_normal((4, 2, 9, 8)), np.arange(4) % 3
    T = net.checked_targets(y, len(X))
    a = net.forward(X, training=True)
    dX = net.backward(net.loss.gradient(a, T))
    hand = {key: g.copy() for key, _, g in net.parameters()}
    got = engine_gradients(net, X, y)
    for key, g in hand.items():
        if key == "0.b":  # a bias before batch norm: its mean is subtracted, its gradient is 0
            assert np.abs(g).max() < 1e-14 and np.abs(got[key]).max() < 1e-14
        else:
            assert error(got[key], g) < TOL, key
    assert error(got["X"], dX) < TOL


def test_engine_gradients_leave_the_network_untouched():
    net, X, Y = network("tanh-dropout-cross", np.random.default_rng(5))
    net.gradients(X, Y)
    before = [(p.copy(), g.copy()) for _, p, g in net.parameters()]
    masks = [getattr(layer, "mask", None) for layer in net.layers]
    engine_gradients(net, X, Y)
    for (p0, g0), (_, p, g) in zip(before, net.parameters()):
        assert np.array_equal(p0, p) and np.array_equal(g0, g)
    assert all(m is getattr(layer, "mask", None) for m, layer in zip(masks, net.layers))


def test_a_float32_network_is_checked_in_float64():
    net = nn.mlp([4, 5, 3], "tanh", "softmax_cross_entropy", seed=0)  # float32
    X, y = np.random.default_rng(0).standard_normal((6, 4)), np.arange(6) % 3
    net.gradients(X, y)
    got = engine_gradients(net, X, y)
    for key, _, g in net.parameters():
        assert got[key].dtype == np.float64 and error(got[key], g) < 1e-5, key


# ---------------------------------------------------------------- what the engine refuses
class Swish(nn.Layer):
    def forward(self, x, *, training=False):
        return x * nn.sigmoid(x)


class ShiftedSigmoid(nn.Sigmoid):
    """A subclass that changes the math: it must not borrow Sigmoid's rule."""


@pytest.mark.parametrize("layer", [Swish(), ShiftedSigmoid()], ids=["new", "subclass"])
def test_a_layer_the_engine_does_not_know_is_named(layer):
    net = nn.Network([nn.Dense(3, 2, dtype=np.float64), layer], nn.SquaredError())
    with pytest.raises(NoRuleError, match=rf"layer 1 {type(layer).__name__} .*LAYER_RULES"):
        engine_gradients(net, np.ones((2, 3)), np.zeros((2, 2)))


def test_a_loss_the_engine_does_not_know_is_named():
    class Hinge(nn.Loss, register=False):
        pass

    net = nn.Network([nn.Dense(3, 2, dtype=np.float64)], Hinge())
    with pytest.raises(NoRuleError, match="loss Hinge .*LOSS_RULES"):
        engine_gradients(net, np.ones((2, 3)), np.zeros((2, 2)))


def test_dropout_with_no_mask_to_replay_says_what_to_do():
    net = nn.Network([nn.Dense(3, 2, dtype=np.float64), nn.Dropout(0.5)], nn.SquaredError())
    X, Y = np.ones((4, 3)), np.zeros((4, 2))
    net.predict(X)  # a prediction pass keeps no mask
    with pytest.raises(ValueError, match=r"network.gradients\(X, Y\)"):
        engine_gradients(net, X, Y)
    net.gradients(X[:2], Y[:2])  # a mask of another batch
    with pytest.raises(ValueError, match="shape"):
        engine_gradients(net, X, Y)
    net.gradients(X, Y)
    assert set(engine_gradients(net, X, Y)) == {"0.W", "0.b", "X"}


def test_dropout_at_rate_zero_needs_no_mask():
    net = nn.Network([nn.Dense(3, 2, dtype=np.float64), nn.Dropout(0.0)], nn.SquaredError())
    X, Y = np.ones((4, 3)), np.zeros((4, 2))
    net.gradients(X, Y)
    assert error(engine_gradients(net, X, Y)["0.W"], net.layers[0].dW) < TOL
