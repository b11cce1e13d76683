"""benchmarks/handwritten.py computes what ``Network.train_step`` computes.

``compare.py`` reports the handwritten NumPy loop as the floor NumPy code reaches; that
claim is only worth something if the loop does the same arithmetic as nn. Here both start
from the same weights and take the same mini-batches, for every kind of configuration the
loop knows, and must agree on the loss, the number of correct rows and every parameter
after each step (float32, so to float32 rounding).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import nn

ROOT = Path(__file__).resolve().parents[1]


def _load_handwritten():
    spec = importlib.util.spec_from_file_location(
        "handwritten", ROOT / "benchmarks" / "handwritten.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("handwritten", module)
    spec.loader.exec_module(module)
    return module


handwritten = _load_handwritten()

CASES = [
    # sizes, activation, loss, batch size, lr
    ((12, 7, 5), "sigmoid", "squared_error", 4, 3.0),
    ((12, 9, 6, 4), "relu", "softmax_cross_entropy", 8, 0.1),
    ((12, 16, 16, 3), "relu", "softmax_cross_entropy", 5, 0.5),
    ((12, 8, 6, 4), "sigmoid", "softmax_cross_entropy", 6, 0.5),
    ((12, 9, 4), "relu", "squared_error", 4, 0.05),
]


@pytest.mark.parametrize(("sizes", "activation", "loss", "bs", "lr"), CASES)
def test_handwritten_loop_follows_network_train_step(sizes, activation, loss, bs, lr):
    rng = np.random.default_rng(0)
    n = 3 * bs + 2  # a short last batch too
    X = rng.standard_normal((n, sizes[0])).astype(np.float32)
    labels = rng.integers(0, sizes[-1], n)
    T = np.eye(sizes[-1], dtype=np.float32)[labels]
    net = nn.mlp(sizes, activation, loss, seed=1)
    dense = [layer for layer in net.layers if isinstance(layer, nn.Dense)]
    loop = handwritten.HandwrittenLoop(
        [d.W for d in dense], [d.b for d in dense], activation, loss, bs, lr
    )
    opt = nn.SGD(lr)
    order = rng.permutation(n)
    for i in range(0, n, bs):
        idx = order[i : i + bs]
        a, net_loss = net.train_step(X[idx], T[idx], opt)
        loop_loss, loop_correct = loop.step(X[idx], T[idx], labels[idx])
        assert loop_loss == pytest.approx(net_loss, rel=1e-5)
        assert loop_correct == int(np.count_nonzero(a.argmax(axis=1) == labels[idx]))
        for d, W, b in zip(dense, loop.W, loop.b):
            np.testing.assert_allclose(W, d.W, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(b, d.b, rtol=1e-5, atol=1e-6)
    # outputs of the last layer: sigmoid activations, or logits for softmax cross-entropy
    np.testing.assert_allclose(loop.predict(X), net.raw_outputs(X), rtol=1e-5, atol=1e-6)


def test_handwritten_epoch_matches_its_steps():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((23, 6)).astype(np.float32)
    labels = rng.integers(0, 3, 23)
    T = np.eye(3, dtype=np.float32)[labels]
    W = [
        rng.standard_normal((6, 5)).astype(np.float32),
        rng.standard_normal((5, 3)).astype(np.float32),
    ]
    b = [np.zeros(5, np.float32), np.zeros(3, np.float32)]
    a = handwritten.HandwrittenLoop(W, b, "relu", "softmax_cross_entropy", 4, 0.2)
    c = handwritten.HandwrittenLoop(W, b, "relu", "softmax_cross_entropy", 4, 0.2)
    order = rng.permutation(23)
    mean_loss, accuracy = a.epoch(X, T, labels, order)
    total, right = 0.0, 0
    for i in range(0, 23, 4):
        idx = order[i : i + 4]
        loss, ok = c.step(X[idx], T[idx], labels[idx])
        total, right = total + loss * len(idx), right + ok
    assert mean_loss == pytest.approx(total / 23)
    assert accuracy == right / 23
    for p, q in zip(a.W + a.b, c.W + c.b):
        assert p.tobytes() == q.tobytes()


def test_handwritten_loop_refuses_what_it_does_not_know():
    W, b = [np.zeros((2, 2), np.float32)], [np.zeros(2, np.float32)]
    with pytest.raises(ValueError, match="activation"):
        handwritten.HandwrittenLoop(W, b, "tanh", "squared_error", 2, 0.1)
    with pytest.raises(ValueError, match="loss"):
        handwritten.HandwrittenLoop(W, b, "relu", "cross_entropy", 2, 0.1)
