"""Optimizers against steps computed by hand, weight decay, clipping, schedules, state."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import nn
from nn.core.registry import OPTIMIZERS

# The quadratic C(w) = 1/2 (1 * w_1^2 + 4 * w_2^2): gradient g = c * w with c = [1, 4],
# started from w0 = [1, -2], so g0 = [1, -8]. Every expected value below is worked out from
# the update rule by hand, step by step.
C = np.array([1.0, 4.0])
W0 = [1.0, -2.0]


def descend(opt: nn.Optimizer, steps: int) -> list[np.ndarray]:
    """``w`` after each of ``steps`` optimizer steps on the quadratic (a 1-D tensor "0.w")."""
    w = np.array(W0)
    out = []
    for _ in range(steps):
        opt.step([("0.w", w, C * w)])
        out.append(w.copy())
    return out


def test_sgd_by_hand():
    # w <- w - 0.1 g:  [1, -2] - 0.1 [1, -8] = [0.9, -1.2]
    #                  [0.9, -1.2] - 0.1 [0.9, -4.8] = [0.81, -0.72]
    w1, w2 = descend(nn.SGD(0.1), 2)
    np.testing.assert_allclose(w1, [0.9, -1.2], rtol=1e-15)
    np.testing.assert_allclose(w2, [0.81, -0.72], rtol=1e-15)


def test_momentum_by_hand():
    # v <- 0.9 v - 0.1 g;  w <- w + v
    # 1: v = -0.1 [1, -8] = [-0.1, 0.8];                  w = [0.9, -1.2]
    # 2: g = [0.9, -4.8], v = [-0.09 - 0.09, 0.72 + 0.48] = [-0.18, 1.2];  w = [0.72, 0]
    # 3: g = [0.72, 0],   v = [-0.162 - 0.072, 1.08] = [-0.234, 1.08];     w = [0.486, 1.08]
    opt = nn.SGD(0.1, momentum=0.9)
    w1, w2, w3 = descend(opt, 3)
    np.testing.assert_allclose(w1, [0.9, -1.2], rtol=1e-14)
    np.testing.assert_allclose(w2, [0.72, 0.0], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(w3, [0.486, 1.08], rtol=1e-14)
    np.testing.assert_allclose(opt.state["0.w"]["velocity"], [-0.234, 1.08], rtol=1e-14)


def test_nesterov_by_hand():
    # v <- 0.9 v - 0.1 g;  w <- w + 0.9 v - 0.1 g
    # 1: v = [-0.1, 0.8];  w = [1 - 0.09 - 0.1, -2 + 0.72 + 0.8] = [0.81, -0.48]
    # 2: g = [0.81, -1.92], v = [-0.09 - 0.081, 0.72 + 0.192] = [-0.171, 0.912]
    #    w = [0.81 - 0.1539 - 0.081, -0.48 + 0.8208 + 0.192] = [0.5751, 0.5328]
    w1, w2 = descend(nn.SGD(0.1, momentum=0.9, nesterov=True), 2)
    np.testing.assert_allclose(w1, [0.81, -0.48], rtol=1e-14)
    np.testing.assert_allclose(w2, [0.5751, 0.5328], rtol=1e-14)


def test_rmsprop_by_hand():
    # s <- 0.9 s + 0.1 g^2;  w <- w - 0.01 g / sqrt(s)   (eps = 1e-8 is below the tolerance)
    # 1: s = [0.1, 6.4]; the step is 0.01 sign(g) / sqrt(0.1) = 0.0316227766 in each coordinate
    #    w = [0.968377224, -1.968377224]
    # 2: g = [0.968377224, -7.873508894]
    #    s = [0.09 + 0.1 * 0.937754...,  5.76 + 0.1 * 61.99214...] = [0.183775445, 11.959214231]
    #    w = w - 0.01 g / sqrt(s) = [0.968377224 - 0.022589198, -1.968377224 + 0.022767587]
    w1, w2 = descend(nn.RMSProp(0.01, rho=0.9), 2)
    step1 = 0.01 / math.sqrt(0.1)
    np.testing.assert_allclose(w1, [1 - step1, -2 + step1], rtol=1e-7)
    g1 = C * w1
    s2 = 0.9 * np.array([0.1, 6.4]) + 0.1 * g1**2
    np.testing.assert_allclose(s2, [0.183775444873, 11.959214230537], rtol=1e-10)
    np.testing.assert_allclose(w2, [0.945788026246, -1.945609636862], rtol=1e-7)


def test_adam_by_hand():
    # m <- 0.9 m + 0.1 g;  v <- 0.999 v + 0.001 g^2;  t = 1, 2, ...
    # 1: m = [0.1, -0.8], v = [0.001, 0.064]; m_hat = m / 0.1 = g, v_hat = v / 0.001 = g^2,
    #    so the step is 0.1 * g / |g| = 0.1 sign(g):  w = [0.9, -1.9]
    # 2: g = [0.9, -7.6]; m = [0.09 + 0.09, -0.72 - 0.76] = [0.18, -1.48]
    #    v = [0.000999 + 0.00081, 0.063936 + 0.05776] = [0.001809, 0.121696]
    #    m_hat = m / (1 - 0.81) = [0.947368421, -7.789473684]
    #    v_hat = v / (1 - 0.998001) = [0.904952476, 60.878439220]
    #    w = w - 0.1 m_hat / sqrt(v_hat) = [0.9 - 0.099587770, -1.9 + 0.099833514]
    opt = nn.Adam(0.1)
    w1, w2, w3 = descend(opt, 3)
    np.testing.assert_allclose(w1, [0.9, -1.9], rtol=1e-8)
    np.testing.assert_allclose(opt.state["0.w"]["m"], [0.242041223061, -2.052066594390], rtol=1e-9)
    m_hat = np.array([0.18, -1.48]) / 0.19
    v_hat = np.array([0.001809, 0.121696]) / 0.001999
    np.testing.assert_allclose(w2, w1 - 0.1 * m_hat / np.sqrt(v_hat), rtol=1e-7)
    np.testing.assert_allclose(w2, [0.800412229712, -1.800166485863], rtol=1e-8)
    np.testing.assert_allclose(w3, [0.701586274504, -1.700623391664], rtol=1e-8)
    assert opt.iterations == 3


# ---------------------------------------------------------------- weight decay
def test_weight_decay_is_the_stated_formula_on_weights_and_spares_biases():
    """SGD: W <- (1 - lr * weight_decay) W - lr dC0/dW; b <- b - lr dC0/db."""
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(3, 2)), rng.normal(size=2)
    gW, gb = rng.normal(size=(3, 2)), rng.normal(size=2)
    W0, b0 = W.copy(), b.copy()
    lr, lam, n = 0.5, 5.0, 50_000  # Nielsen's lambda on his training-set size
    nn.SGD(lr, weight_decay=lam / n).step([("0.W", W, gW), ("0.b", b, gb)])
    np.testing.assert_allclose(W, (1 - lr * lam / n) * W0 - lr * gW, rtol=1e-15)
    np.testing.assert_array_equal(b, b0 - lr * gb)


@pytest.mark.parametrize("name", ["SGD", "RMSProp", "Adam"])
def test_weight_decay_adds_its_term_to_the_gradient_of_every_optimizer(name):
    """With decay, each optimizer behaves as without it on the gradient g + wd * W."""
    rng = np.random.default_rng(1)
    W, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    kwargs = {"momentum": 0.9} if name == "SGD" else {}
    cls = OPTIMIZERS[name]
    with_decay, without = cls(0.01, weight_decay=0.1, **kwargs), cls(0.01, **kwargs)
    Wa, Wb = W.copy(), W.copy()
    for _ in range(3):
        with_decay.step([("0.W", Wa, g)])
        without.step([("0.W", Wb, g + 0.1 * Wb)])
    np.testing.assert_allclose(Wa, Wb, rtol=1e-14)


# ---------------------------------------------------------------- clipping
def test_clipping_caps_the_global_norm_over_all_parameters():
    W, b = np.zeros((2, 2)), np.zeros(2)
    gW, gb = np.full((2, 2), 3.0), np.array([4.0, 4.0])  # global norm sqrt(36 + 32) = sqrt(68)
    nn.SGD(1.0, clip_norm=2.0).step([("0.W", W, gW), ("0.b", b, gb)])
    step = np.concatenate([-W.ravel(), -b])
    assert np.linalg.norm(step) == pytest.approx(2.0, rel=1e-14)
    # the direction is kept: each gradient scaled by 2 / sqrt(68)
    np.testing.assert_allclose(-W, gW * 2 / math.sqrt(68), rtol=1e-14)
    np.testing.assert_allclose(-b, gb * 2 / math.sqrt(68), rtol=1e-14)
    assert gW[0, 0] == 3.0  # the layers' gradients are left as they were


def test_clipping_leaves_small_gradients_alone_and_survives_huge_float32_ones():
    w, g = np.zeros(3), np.array([0.1, 0.2, 0.2])  # norm 0.3
    nn.SGD(1.0, clip_norm=1.0).step([("0.w", w, g)])
    np.testing.assert_array_equal(w, -g)
    w32, g32 = np.zeros(4, np.float32), np.full(4, 1e30, np.float32)  # g.g overflows float32
    nn.SGD(1.0, clip_norm=1.0).step([("0.w", w32, g32)])
    assert w32.dtype == np.float32
    np.testing.assert_allclose(w32, -0.5, rtol=1e-6)


# ---------------------------------------------------------------- schedules
def test_step_decay_values():
    s = nn.StepDecay(every=3, factor=0.5)
    assert [s(t) for t in range(8)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_cosine_decay_values():
    s = nn.CosineDecay(total=4, final=0.1)
    assert s(0) == 1.0
    assert s(1) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi / 4)) / 2, rel=1e-15)
    assert s(2) == pytest.approx(0.55, rel=1e-15)  # halfway: (1 + final) / 2
    assert s(4) == pytest.approx(0.1) and s(100) == pytest.approx(0.1)


def test_the_schedule_sets_each_steps_learning_rate():
    """Constant gradient 1: each step moves w by exactly lr * schedule(t)."""
    opt = nn.SGD(2.0, schedule=nn.StepDecay(every=2, factor=0.5))
    w = np.zeros(1)
    moves = []
    for _ in range(5):
        before = w.copy()
        opt.step([("0.w", w, np.ones(1))])
        moves.append(float(before[0] - w[0]))
    assert moves == [2.0, 2.0, 1.0, 1.0, 0.5]
    assert opt.learning_rate() == 0.5 and opt.iterations == 5


# ---------------------------------------------------------------- state
def test_state_is_per_parameter_and_keyed_uniquely():
    net = nn.mlp([3, 4, 2], seed=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    net.gradients(rng.random((5, 3)), rng.random((5, 2)))
    opt = nn.Adam()
    opt.step(net.parameters())
    assert set(opt.state) == {"0.W", "0.b", "2.W", "2.b"}
    arrays = [a for s in opt.state.values() for a in s.values()]
    assert len({id(a) for a in arrays}) == len(arrays) == 8
    assert opt.state["0.W"]["m"].shape == (3, 4) and opt.state["2.b"]["v"].shape == (2,)


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.SGD(0.5, momentum=0.9, nesterov=True, weight_decay=1e-3, clip_norm=1.0),
        lambda: nn.RMSProp(0.01, schedule=nn.StepDecay(every=2)),
        lambda: nn.Adam(0.01, schedule=nn.CosineDecay(total=6, final=0.1), weight_decay=1e-4),
    ],
)
def test_state_dict_restores_an_optimizer_exactly(make):
    rng = np.random.default_rng(2)
    X, y = rng.random((40, 3)), rng.integers(0, 2, 40)
    net = nn.mlp([3, 5, 2], "tanh", "softmax_cross_entropy", seed=0, dtype=np.float64)

    def steps(network, opt, k):
        for i in range(k):
            network.gradients(X[i * 8 : i * 8 + 8], y[i * 8 : i * 8 + 8])
            opt.step(network.parameters())

    opt = make()
    steps(net, opt, 2)
    saved, saved_net = opt.state_dict(), net.copy()
    json.dumps(saved["config"])  # plain JSON, so a checkpoint can store it
    assert saved["iterations"] == 2 and saved["type"] == type(opt).__name__
    steps(net, opt, 3)
    restored = nn.Optimizer.from_state_dict(saved)
    assert type(restored) is type(opt) and restored.config() == opt.config()
    steps(saved_net, restored, 3)
    for (_, a, _), (_, b, _) in zip(net.parameters(), saved_net.parameters()):
        assert a.tobytes() == b.tobytes()
    with pytest.raises(ValueError, match="cannot be loaded"):
        nn.SGD(0.1).load_state_dict(nn.Adam().state_dict())


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: nn.SGD(0.1, momentum=1.0), "momentum"),
        (lambda: nn.SGD(0.1, nesterov=True), "nesterov"),
        (lambda: nn.SGD(0.1, weight_decay=-1), "weight_decay"),
        (lambda: nn.SGD(0.1, clip_norm=0), "clip_norm"),
        (lambda: nn.Adam(beta1=1.0), "beta1"),
        (lambda: nn.RMSProp(eps=0), "eps"),
        (lambda: nn.SGD(0.1, schedule=lambda t: 1.0), "Schedule"),
        (lambda: nn.StepDecay(every=0), "every"),
        (lambda: nn.CosineDecay(total=10, final=2), "final"),
    ],
)
def test_bad_settings_are_refused_with_a_message(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_optimizers_train_a_network_with_fit():
    (X, y), (Xt, yt) = nn.datasets.digits()
    for opt in (nn.SGD(0.05, momentum=0.9), nn.RMSProp(0.001), nn.Adam(0.001)):
        net = nn.mlp([784, 30, 10], "relu", "softmax_cross_entropy", init="he_normal", seed=0)
        net.fit(X[:2000], y[:2000], epochs=2, batch_size=32, optimizer=opt, seed=0, verbose=False)
        assert net.evaluate(Xt, yt)["accuracy"] > 0.8, opt
