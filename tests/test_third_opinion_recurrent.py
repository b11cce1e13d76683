"""A third opinion on backpropagation through time: the tensor engine, given only the forward
step of each recurrent layer (nn.autograd.sequence_rules), finds the same gradients as the
layers' hand-derived BPTT, to 1e-12, on random non-square shapes and several lengths."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from nn.autograd import NoRuleError, Tensor, engine_gradients
from nn.autograd.rules import layer_rule, loss_rule
from nn.autograd.tensor import stack

TOL = 1e-12

#: The sequence layers of the library, built as (n_in, n_out, rng) -> layer, float64.
SEQUENCE_LAYERS = {
    "RNN": lambda i, o, rng: nn.RNN(i, o, rng=rng, dtype=np.float64),
    "LSTM": lambda i, o, rng: nn.LSTM(i, o, rng=rng, dtype=np.float64),
    "GRU": lambda i, o, rng: nn.GRU(i, o, rng=rng, dtype=np.float64),
    "TimeDense": lambda i, o, rng: nn.TimeDense(i, o, rng=rng, dtype=np.float64),
    "Embedding": lambda i, o, rng: nn.Embedding(i, o, rng=rng, dtype=np.float64),
}
SEQUENCE_LOSSES = ["SequenceCrossEntropy"]


def error(got, expected):
    scale = max(np.abs(expected).max(initial=0.0), np.abs(got).max(initial=0.0), 1e-300)
    return float(np.abs(np.asarray(got) - expected).max(initial=0.0)) / scale


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("T", [1, 3, 6])
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_bptt_by_hand_equals_the_engine(name, T, return_sequences):
    rng = np.random.default_rng(T)
    B, D, H = 3, 4, 5
    layer = SEQUENCE_LAYERS[name](D, H, rng)
    layer.return_sequences = return_sequences
    for p in layer.params.values():
        p[...] = rng.standard_normal(p.shape) * 0.7
    layer.initial_state = tuple(rng.standard_normal((B, H)) for _ in range(layer.n_states))
    x = rng.standard_normal((B, T, D))
    y = layer.forward(x)
    G = rng.standard_normal(y.shape)
    dx = layer.backward(G)
    xt = Tensor(x)
    params = {k: Tensor(v) for k, v in layer.params.items()}
    out = layer_rule(layer).tensor(layer, xt, params)
    (out * G).sum().backward()
    assert error(out.data, y) < TOL
    assert error(xt.grad, dx) < TOL
    for k in params:
        assert error(params[k].grad, layer.grads[k]) < TOL, k


def test_a_character_network_equals_the_engine():
    rng = np.random.default_rng(0)
    V = 6
    net = nn.Network(
        [nn.Embedding(V, 4, rng=rng, dtype=np.float64), nn.GRU(4, 5, rng=rng, dtype=np.float64),
         nn.TimeDense(5, V, rng=rng, dtype=np.float64)],
        nn.SequenceCrossEntropy(),
    )  # fmt: skip
    X = rng.integers(0, V, (4, 7)).astype(np.float64)
    Y = np.eye(V)[rng.integers(0, V, (4, 7))]
    Y[1, 3:] = 0  # padding
    net.gradients(X, Y)
    got = engine_gradients(net, X, Y)
    for key, _, g in net.parameters():
        assert error(got[key], g) < TOL, key


def test_the_sequence_loss_equals_the_engine():
    rng = np.random.default_rng(1)
    a = 3 * rng.standard_normal((3, 4, 5))
    y = np.eye(5)[rng.integers(0, 5, (3, 4))]
    y[0, 2:] = 0
    loss = nn.SequenceCrossEntropy()
    at = Tensor(a)
    C = loss_rule(loss).tensor(at, y)
    C.backward()
    assert abs(float(C.data) - loss.value(a, y)) < TOL * loss.value(a, y)
    assert error(at.grad, loss.gradient(a, y)) < TOL


def test_stack_hands_each_part_its_slice():
    rng = np.random.default_rng(2)
    parts = [Tensor(rng.standard_normal((2, 3))) for _ in range(4)]
    out = stack(parts, axis=1)
    G = rng.standard_normal(out.shape)
    (out * G).sum().backward()
    assert out.shape == (2, 4, 3)
    for t, p in enumerate(parts):
        np.testing.assert_array_equal(p.grad, G[:, t])


def test_the_scalar_engine_says_it_takes_rows_not_sequences():
    layer = nn.RNN(2, 3, dtype=np.float64)
    with pytest.raises(NoRuleError, match="sequences"):
        layer_rule(layer).scalar(layer, [[0.0, 1.0]], {})
    with pytest.raises(NoRuleError, match="sequences"):
        loss_rule(nn.SequenceCrossEntropy()).scalar([[0.0]], [[1.0]])
