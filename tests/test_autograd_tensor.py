"""nn.autograd.tensor: every operation's gradient against finite differences, in float64.

Each check takes the scalar ``L = sum(op(inputs) * G)`` with a random upstream gradient ``G``,
so ``backward`` starts from ``dL/d(out) = G`` and every entry of every input's gradient is
compared with the fourth-order centered difference of ``L`` (``conftest.numeric_gradient``).
Shapes are non-square (no two axes of the same length unless broadcasting needs it), so a
transposed or mis-summed gradient cannot pass by accident.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_gradient
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import nn
from nn.autograd import functions as F
from nn.autograd.tensor import Tensor, kept_shape, unbroadcast

TOL = 1e-8  # a wrong gradient errs by its own size; finite differences by about 1e-11


def error(got, expected):
    """Largest difference relative to the largest entry: a gradient that is exactly 0 where
    finite differences give 1e-14 is not an error (CS231n's entrywise ratio would say so)."""
    scale = max(np.abs(expected).max(initial=0.0), np.abs(got).max(initial=0.0), 1e-300)
    return float(np.abs(got - expected).max(initial=0.0)) / scale


def check_op(op, *arrays, seed=0, tol=TOL):
    """Engine gradients of ``sum(op(*tensors) * G)`` equal finite differences, for each input."""
    rng = np.random.default_rng(seed)
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tensors = [Tensor(a) for a in arrays]
    out = op(*tensors)
    G = rng.standard_normal(out.shape)
    (out * G).sum().backward()
    for k, (a, t) in enumerate(zip(arrays, tensors)):

        def f(a=a):
            # a is nudged in place by numeric_gradient; rebuild from the nudged arrays
            return float((op(*[Tensor(b) for b in arrays]).data * G).sum())

        assert t.grad.shape == a.shape, k
        assert error(t.grad, numeric_gradient(f, a)) < tol, f"input {k}"


def rnd(*shape, seed=1, low=None):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x if low is None else rng.uniform(low, low + 2.0, shape)


# ---------------------------------------------------------------- broadcasting arithmetic
BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),  # a bias over the batch
    ((3, 4), (3, 1)),  # keepdims-shaped: one number per row
    ((1, 4), (3, 1)),  # both stretched
    ((2, 3, 4), (3, 1)),  # an axis added in front and one stretched
    ((5, 2), ()),  # a scalar
]


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_arithmetic_broadcasts_and_sums_gradients_back(op, shapes):
    fn = {
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
        "/": lambda x, y: x / y,
    }[op]
    # away from 0 for division, where finite differences of 1/x lose accuracy
    a = rnd(*shapes[0], seed=2, low=0.5 if op == "/" else None)
    b = rnd(*shapes[1], seed=3, low=0.5)
    check_op(fn, a, b)
    check_op(lambda x, y: fn(y, x), a, b)  # the other way round


@settings(max_examples=25, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4),
    seed=st.integers(0, 2**16),
)
def test_any_broadcast_of_a_product_has_gradients_of_the_operands_shapes(shapes, seed):
    (s1, s2), _ = shapes
    rng = np.random.default_rng(seed)
    check_op(lambda x, y: x * y + x, rng.standard_normal(s1), rng.standard_normal(s2), seed=seed)


def test_numbers_and_arrays_on_the_left_give_constants():
    x = Tensor(rnd(3, 2))
    for out in (2.0 - x, 3.0 / (x * x + 1.0), np.ones((3, 2)) * x, 1.0 + x, 2.0 * x):
        assert isinstance(out, Tensor) and out.shape == (3, 2)
    check_op(lambda t: 2.0 - 3.0 / (t * t + 1.0) + np.arange(2.0) * t, rnd(3, 2))


def test_unbroadcast_sums_over_added_and_stretched_axes():
    g = np.arange(24.0).reshape(2, 3, 4)
    assert np.array_equal(unbroadcast(g, (3, 4)), g.sum(axis=0))
    assert np.array_equal(unbroadcast(g, (3, 1)), g.sum(axis=(0, 2))[:, None])
    assert np.array_equal(unbroadcast(g, (1, 1, 4)), g.sum(axis=(0, 1))[None, None])
    assert unbroadcast(g, ()).shape == () and unbroadcast(g, ()) == g.sum()
    assert unbroadcast(g, (2, 3, 4)) is not None and np.array_equal(unbroadcast(g, g.shape), g)


def test_a_bias_gets_its_gradient_summed_over_the_batch():
    x, b = Tensor(rnd(5, 3)), Tensor(rnd(3))
    G = rnd(5, 3, seed=4)
    (x + b).backward(G)
    assert np.array_equal(b.grad, G.sum(axis=0))  # BP3's sum over the batch
    assert np.array_equal(x.grad, G)


@pytest.mark.parametrize("k", [2, 3, -1, 0.5])
def test_power(k):
    check_op(lambda t: t**k, rnd(4, 3, low=0.5))


# ---------------------------------------------------------------- matrix product
@pytest.mark.parametrize(
    "sa,sb",
    [
        ((5, 3), (3, 4)),
        ((1, 3), (3, 2)),
        ((2, 5, 3), (3, 4)),
        ((2, 5, 3), (2, 3, 4)),
        ((3, 2), (1, 2, 4)),
    ],
    ids=str,
)
def test_matmul(sa, sb):
    check_op(lambda x, y: x @ y, rnd(*sa, seed=5), rnd(*sb, seed=6))


def test_matmul_gradients_are_bp2_and_bp4():
    x, W = Tensor(rnd(5, 3)), Tensor(rnd(3, 4, seed=2))
    G = rnd(5, 4, seed=3)
    (x @ W).backward(G)
    assert np.allclose(W.grad, x.data.T @ G, rtol=1e-15, atol=0)  # BP4: a_in^T delta
    assert np.allclose(x.grad, G @ W.data.T, rtol=1e-15, atol=0)  # BP2: delta W^T


def test_matmul_refuses_vectors_with_a_message():
    with pytest.raises(ValueError, match=r"reshape a vector to \(1, n\)"):
        Tensor(rnd(3)) @ Tensor(rnd(3, 2))


# ---------------------------------------------------------------- reductions
AXES = [None, 0, 1, -1, (0, 2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "max"])
def test_reductions(name, axis, keepdims):
    x = rnd(2, 3, 4, seed=7)
    out = getattr(Tensor(x), name)(axis=axis, keepdims=keepdims)
    assert np.allclose(out.data, getattr(x, name)(axis=axis, keepdims=keepdims), rtol=1e-15)
    check_op(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), x)


def test_max_shares_the_gradient_between_ties():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]])
    x.max(axis=1).backward(np.array([1.0, 2.0]))
    assert np.array_equal(x.grad, [[0.0, 0.5, 0.5], [2.0, 0.0, 0.0]])


def test_kept_shape():
    assert kept_shape((2, 3, 4), None) == (1, 1, 1)
    assert kept_shape((2, 3, 4), -1) == (2, 3, 1)
    assert kept_shape((2, 3, 4), (0, 2)) == (1, 3, 1)


# ---------------------------------------------------------------- elementwise functions
@pytest.mark.parametrize(
    "name,x",
    [
        ("exp", rnd(3, 4)),
        ("log", rnd(3, 4, low=0.2)),
        ("tanh", rnd(3, 4)),
        ("sigmoid", rnd(3, 4)),
        ("neg", rnd(3, 4)),
        ("relu", rnd(3, 4)),  # no entry within 1e-2 of the kink at 0 (seed 1)
        ("leaky_relu", rnd(3, 4)),
        ("clip", rnd(3, 4)),
    ],
)
def test_elementwise_functions(name, x):
    assert np.abs(x).min() > 1e-2  # finite differences would straddle a kink
    fn = {
        "neg": lambda t: -t,
        "leaky_relu": lambda t: t.leaky_relu(0.1),
        "clip": lambda t: t.clip(-0.5, 0.7),
    }.get(name, lambda t: getattr(t, name)())
    check_op(fn, x)


def test_elementwise_values_match_the_library():
    z = rnd(4, 3)
    t = Tensor(z)
    assert np.array_equal(t.sigmoid().data, nn.sigmoid(z))
    assert np.array_equal(t.relu().data, nn.relu(z))
    assert np.array_equal(t.leaky_relu(0.1).data, nn.leaky_relu(z, 0.1))
    assert np.array_equal(t.tanh().data, nn.tanh(z))


def test_kinks_use_the_library_s_derivatives_at_zero():
    for name, expected in (("relu", 0.0), ("leaky_relu", 0.01)):
        x = Tensor(np.zeros((1, 2)))
        getattr(x, name)().sum().backward()
        assert np.array_equal(x.grad, np.full((1, 2), expected)), name
    x = Tensor([[-2.0, 0.0, 1.0, 3.0]])
    x.clip(0.0, 1.0).sum().backward()
    assert np.array_equal(x.grad, [[0.0, 1.0, 1.0, 0.0]])  # bounds count as inside


# ---------------------------------------------------------------- shapes and indexing
def test_reshape_and_transpose():
    x = rnd(2, 3, 4)
    check_op(lambda t: t.reshape(4, 6), x)
    check_op(lambda t: t.reshape((6, 4)).T, x)
    check_op(lambda t: t.transpose(1, 2, 0), x)
    assert Tensor(x).transpose(1, 2, 0).shape == (3, 4, 2)


@pytest.mark.parametrize(
    "index",
    [
        (slice(1, 3),),
        (np.array([0, 2, 2, 1]),),  # a row picked twice gets both gradients
        (slice(None), 1),
        (np.array([0, 1, 3]), np.array([2, 0, 2])),  # one entry per (row, column) pair
        (rnd(4, 3) > 0,),  # a boolean mask
    ],
    ids=["slice", "repeated rows", "column", "pairs", "mask"],
)
def test_indexing(index):
    check_op(lambda t: t[index if len(index) > 1 else index[0]], rnd(4, 3))


# ---------------------------------------------------------------- the walk
def test_a_node_used_twice_gets_the_sum_of_its_gradients():
    x = Tensor(rnd(3, 2))
    y = x * x + x.exp()  # paths through both operands of * and through exp
    y.sum().backward()
    assert np.allclose(x.grad, 2 * x.data + np.exp(x.data), rtol=1e-15)


def test_backward_twice_gives_the_same_gradients():
    x, W = Tensor(rnd(3, 2)), Tensor(rnd(2, 4))
    loss = (x @ W).sigmoid().sum()
    loss.backward()
    first = W.grad.copy()
    loss.backward()
    assert np.array_equal(W.grad, first)


def test_backward_checks_the_shape_of_its_starting_gradient():
    with pytest.raises(ValueError, match="shape"):
        Tensor(rnd(3, 2)).exp().backward(np.ones(3))


def test_everything_is_float64():
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    assert x.data.dtype == np.float64
    assert (x * np.float32(2)).sum().data.dtype == np.float64


def test_a_deep_graph_does_not_hit_the_recursion_limit():
    x = Tensor(1.0)
    y = x
    for _ in range(5000):
        y = y + x
    y.backward()
    assert x.grad == 5001.0


def test_pow_refuses_a_tensor_exponent():
    with pytest.raises(TypeError, match="exponent"):
        Tensor(2.0) ** Tensor(3.0)


# ---------------------------------------------------------------- composites
def test_softmax_and_log_softmax_match_the_library_and_finite_differences():
    z = rnd(4, 3) * 5
    assert np.allclose(F.softmax(Tensor(z)).data, nn.softmax(z), rtol=1e-14, atol=0)
    assert np.allclose(F.log_softmax(Tensor(z)).data, nn.log_softmax(z), rtol=1e-14, atol=0)
    check_op(F.softmax, z)
    check_op(F.log_softmax, z)
    check_op(lambda t: F.softmax(t, axis=0), z)


def test_log_softmax_does_not_overflow():
    z = Tensor([[1000.0, 0.0, -1000.0]])
    out = F.log_softmax(z)
    out.sum().backward()
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(z.grad))
