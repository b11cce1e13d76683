"""The training path's speed mechanisms change no numbers.

* the first layer skips ``dx`` while training (``need_dx=False``, ``can_skip_dx``);
* ``Dense`` writes ``dW``/``db`` into the same arrays every step (no allocation per batch);
* fused elementwise passes (``Dense`` bias in place, ``Sigmoid.backward``) give the same bits
  as the plain formulas;
* float32 stays float32 through the whole step.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nn


def _batch(rng, n=7, n_in=5, n_out=3, dtype=np.float64):
    return rng.random((n, n_in)).astype(dtype), rng.random((n, n_out)).astype(dtype)


# ---------------------------------------------------------------- skipping dx of layer 0
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_skipping_the_input_gradient_leaves_every_parameter_gradient_bit_identical(dtype):
    rng = np.random.default_rng(0)
    X, Y = _batch(rng, dtype=dtype)
    net = nn.mlp([5, 4, 3], seed=1, dtype=dtype)
    da = net.loss.gradient(net.forward(X, training=True), Y)
    dX = net.backward(da)
    with_dx = [g.copy() for _, _, g in net.parameters()]
    assert dX.shape == X.shape
    net.forward(X, training=True)
    assert net.backward(da, need_dx=False) is None
    for g, g_ref in zip([g for _, _, g in net.parameters()], with_dx):
        assert g.tobytes() == g_ref.tobytes()


def test_dense_backward_without_dx_fills_the_same_gradients():
    rng = np.random.default_rng(1)
    layer = nn.Dense(6, 4, rng=rng, dtype=np.float64)
    x, dy = rng.standard_normal((5, 6)), rng.standard_normal((5, 4))
    layer.forward(x)
    dx = layer.backward(dy)
    dW, db = layer.dW.copy(), layer.db.copy()
    np.testing.assert_allclose(dx, dy @ layer.W.T, rtol=1e-12)
    assert layer.backward(dy, need_dx=False) is None
    np.testing.assert_array_equal(layer.dW, dW)
    np.testing.assert_array_equal(layer.db, db)
    np.testing.assert_allclose(dW, x.T @ dy, rtol=1e-12)  # BP4
    np.testing.assert_allclose(db, dy.sum(axis=0), rtol=1e-12)  # BP3


class _Scale(nn.Layer):
    """A user layer written to the bare protocol: ``backward(dy)`` only, no can_skip_dx,
    and (as the original Dense did) a new gradient array assigned on every backward."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.params = {"s": np.ones(n)}
        self.grads = {"s": np.zeros(n)}
        self.calls = 0

    def forward(self, x, *, training=False):
        self.x = x
        return x * self.params["s"]

    def backward(self, dy):
        self.calls += 1
        self.grads["s"] = (dy * self.x).sum(axis=0)
        return dy * self.params["s"]


def test_a_user_layer_without_can_skip_dx_is_called_the_old_way_and_trains():
    rng = np.random.default_rng(2)
    X, Y = _batch(rng, n=12, n_in=3, n_out=2)
    user = _Scale(3)
    net = nn.Network(
        [user, nn.Dense(3, 2, rng=0, dtype=np.float64), nn.Sigmoid()], nn.SquaredError()
    )
    net.forward(X, training=True)
    dX = net.backward(net.loss.gradient(net.forward(X, training=True), Y))
    assert dX.shape == X.shape and user.calls == 1
    assert net.backward(net.loss.gradient(net.forward(X, training=True), Y), need_dx=False) is None
    assert user.calls == 2
    # fit hands the optimizer each step's new gradient array, so the user layer learns:
    # two full-batch epochs equal two manual steps
    ref = copy.deepcopy(net)
    for _ in range(2):
        ref.gradients(X, Y)
        nn.SGD(0.5).step(ref.parameters())
    net.fit(X, Y, epochs=2, batch_size=len(X), lr=0.5, seed=0, verbose=False)
    for (_, p, _), (_, p_ref, _) in zip(net.parameters(), ref.parameters()):
        np.testing.assert_allclose(p, p_ref, rtol=1e-10)
    assert not np.allclose(user.params["s"], 1.0)


def test_a_first_layer_that_is_not_a_layer_subclass_works():
    """Duck typing: an object with forward/backward/params/grads and nothing else."""

    class Flip:
        params: dict = {}
        grads: dict = {}

        def forward(self, x, *, training=False):
            return -x

        def backward(self, dy):
            return -dy

        def config(self):
            return {}

    rng = np.random.default_rng(3)
    X, Y = _batch(rng, n=8, n_in=4, n_out=2)
    net = nn.Network(
        [Flip(), nn.Dense(4, 2, rng=0, dtype=np.float64), nn.Sigmoid()], nn.SquaredError()
    )
    net.gradients(X, Y)
    ref = nn.Network([nn.Dense(4, 2, rng=0, dtype=np.float64), nn.Sigmoid()], nn.SquaredError())
    ref.gradients(-X, Y)
    np.testing.assert_allclose(net.layers[1].dW, ref.layers[0].dW, rtol=1e-12)
    hist = net.fit(X, Y, epochs=2, batch_size=3, lr=1.0, seed=0, verbose=False)
    assert len(hist["loss"]) == 2


# ---------------------------------------------------------------- reused gradient arrays
def test_gradient_arrays_are_reused_and_never_alias_between_calls():
    rng = np.random.default_rng(4)
    (X1, Y1), (X2, Y2) = _batch(rng), _batch(rng)
    net = nn.mlp([5, 4, 3], seed=7, dtype=np.float64)
    arrays = [g for _, _, g in net.parameters()]
    net.gradients(X1, Y1)
    first = [g.copy() for _, _, g in net.parameters()]
    net.gradients(X2, Y2)
    second = [g.copy() for _, _, g in net.parameters()]
    # the same array objects hold the newest gradients ...
    assert all(g is a for (_, _, g), a in zip(net.parameters(), arrays))
    # ... and each call's result is that batch's gradient, untouched by the other call
    for (X, Y), got in zip(((X1, Y1), (X2, Y2)), (first, second)):
        fresh = nn.mlp([5, 4, 3], seed=7, dtype=np.float64)
        fresh.gradients(X, Y)
        for g, g_ref in zip(got, [g for _, _, g in fresh.parameters()]):
            np.testing.assert_array_equal(g, g_ref)
    assert any(not np.array_equal(a, b) for a, b in zip(first, second))


def test_dense_gradients_are_not_views_of_each_other_or_of_the_parameters():
    layer = nn.Dense(4, 3, rng=0)
    arrays = [layer.W, layer.b, layer.dW, layer.db]
    for i, a in enumerate(arrays):
        for b in arrays[i + 1 :]:
            assert not np.shares_memory(a, b)


def test_a_smaller_last_batch_gives_the_plain_formulas():
    """fit's last mini-batch is smaller; the reused arrays must not keep stale rows."""
    rng = np.random.default_rng(5)
    X, Y = _batch(rng, n=10)
    net = nn.mlp([5, 4, 3], seed=2, dtype=np.float64)
    net.gradients(X, Y)  # a full batch first
    net.gradients(X[:3], Y[:3])
    dense0 = net.layers[0]
    x_small = X[:3]
    a = net.forward(x_small, training=True)
    da = net.loss.gradient(a, Y[:3])
    d = da
    for layer in reversed(net.layers[1:]):
        d = layer.backward(d)
    np.testing.assert_allclose(dense0.dW, x_small.T @ d, rtol=1e-12)
    np.testing.assert_allclose(dense0.db, d.sum(axis=0), rtol=1e-12)


# ---------------------------------------------------------------- fused passes, same bits
def test_dense_forward_is_x_at_w_plus_b_bit_for_bit():
    rng = np.random.default_rng(6)
    layer = nn.Dense(7, 5, rng=rng)
    x = rng.random((9, 7)).astype(np.float32)
    assert layer.forward(x).tobytes() == (x @ layer.W + layer.b).tobytes()


def test_sigmoid_backward_is_dy_times_sigma_prime_bit_for_bit():
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64):
        z = rng.normal(0, 3, size=(6, 5)).astype(dtype)
        dy = rng.standard_normal((6, 5)).astype(dtype)
        layer = nn.Sigmoid()
        a = layer.forward(z)
        delta = layer.backward(dy)
        assert delta.dtype == dtype
        assert delta.tobytes() == (dy * nn.sigmoid_prime_from_output(a)).tobytes()
        assert layer.backward(dy) is not dy  # a new array: the caller's dy is left alone


def test_relu_backward_is_dy_times_relu_prime_bit_for_bit():
    rng = np.random.default_rng(8)
    for dtype in (np.float32, np.float64):
        z = rng.normal(0, 1, size=(6, 5)).astype(dtype)
        z[0, :2] = 0.0  # the kink: relu'(0) = 0
        dy = rng.standard_normal((6, 5)).astype(dtype)
        dy[1, :3] = [-0.0, np.inf, np.nan]  # signed zeros, inf and NaN pass as the formula says
        layer = nn.ReLU()
        layer.forward(z)
        with np.errstate(invalid="ignore"):  # inf * 0 is NaN in both
            delta, plain = layer.backward(dy), dy * nn.relu_prime(z)
        assert delta.dtype == dtype and delta.tobytes() == plain.tobytes()


def test_a_relu_subclass_with_its_own_derivative_gets_it():
    class HalfReLU(nn.ReLU):
        derivative = staticmethod(lambda z: 0.5 * nn.relu_prime(z))

    layer = HalfReLU()
    layer.forward(np.array([[1.0, -1.0]]))
    assert layer.backward(np.array([[2.0, 2.0]])).tolist() == [[1.0, 0.0]]


# ---------------------------------------------------------------- float32 end to end
class _DtypeSpy(nn.Layer):
    """Wraps a layer and records the dtype of everything that passes through it."""

    def __init__(self, inner, seen):
        super().__init__()
        self.inner, self.seen = inner, seen
        self.params, self.grads = inner.params, inner.grads
        self.can_skip_dx = getattr(inner, "can_skip_dx", False)

    def forward(self, x, *, training=False):
        y = self.inner.forward(x, training=training)
        self.seen += [x.dtype, y.dtype]
        return y

    def backward(self, dy, **kw):
        dx = self.inner.backward(dy, **kw)
        self.seen += [dy.dtype] + ([] if dx is None else [dx.dtype])
        self.seen += [g.dtype for g in self.inner.grads.values()]
        return dx


def test_a_float32_network_computes_in_float32_only():
    rng = np.random.default_rng(8)
    X = rng.random((20, 5)).astype(np.float32)
    y = rng.integers(0, 3, 20)
    seen: list = []
    base = nn.mlp([5, 4, 3], seed=0)
    net = nn.Network([_DtypeSpy(layer, seen) for layer in base.layers], base.loss)
    net.fit(X, y, epochs=2, batch_size=6, lr=1.0, seed=0, verbose=False)
    assert seen and set(seen) == {np.dtype(np.float32)}
    assert all(p.dtype == np.float32 for _, p, _ in net.parameters())


def test_a_dense_layer_computes_in_its_own_dtype_whatever_it_is_fed():
    rng = np.random.default_rng(9)
    layer = nn.Dense(6, 4, rng=0)  # float32
    x64, dy64 = rng.random((5, 6)), rng.random((5, 4))
    z = layer.forward(x64)
    dx = layer.backward(dy64)
    assert z.dtype == dx.dtype == layer.dW.dtype == layer.db.dtype == np.float32
    x32, dy32 = x64.astype(np.float32), dy64.astype(np.float32)
    np.testing.assert_array_equal(z, x32 @ layer.W + layer.b)
    np.testing.assert_array_equal(layer.dW, x32.T @ dy32)


def test_a_batch_of_one_gives_the_outer_product():
    rng = np.random.default_rng(10)
    layer = nn.Dense(7, 3, rng=0, dtype=np.float64)
    x, dy = rng.random((1, 7)), rng.random((1, 3))
    layer.forward(x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.dW, np.outer(x[0], dy[0]), rtol=1e-14)
    np.testing.assert_array_equal(layer.db, dy[0])
