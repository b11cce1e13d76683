"""The recurrent layers, Embedding, TimeDense and SequenceCrossEntropy: gradients against finite
differences on random non-square shapes, the state carried and cut on purpose, and networks of
them checked by check_gradients, saved, loaded and resumed."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import check_layer, numeric_gradient, rel_error

import nn
from nn.layers.embedding import Embedding
from nn.layers.recurrent import GRU, LSTM, RNN
from nn.layers.time_dense import TimeDense
from nn.losses_sequence import SequenceCrossEntropy

LAYERS = (RNN, LSTM, GRU)
# (batch, T, n_in, n_hidden): batch != n_in != n_hidden, several lengths
SHAPES = [(3, 1, 4, 5), (2, 5, 3, 4), (4, 8, 6, 3)]


def randomized(cls, n_in, n_hidden, seed=0, **kw):
    """A float64 layer with every parameter random (biases too), so no gradient is trivial."""
    layer = cls(n_in, n_hidden, rng=seed, dtype=np.float64, **kw)
    rng = np.random.default_rng(seed + 100)
    for p in layer.params.values():
        p[...] = rng.standard_normal(p.shape) * 0.6
    return layer


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_layer_gradients_equal_finite_differences(cls, shape, return_sequences):
    B, T, D, H = shape
    layer = randomized(cls, D, H, return_sequences=return_sequences)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, T, D))
    # a random start: with zeros, one step would give Wh (and the LSTM's forget gate) a
    # gradient of exactly 0, which finite differences only see as round-off
    layer.initial_state = tuple(rng.standard_normal((B, H)) for _ in range(layer.n_states))
    # elementwise 1e-6: without return_sequences the gradient of the first steps has faded
    # to ~1e-6 after 8 steps, where the finite differences' round-off (~1e-13) is 1e-7 of it
    check_layer(layer, x, rng, tol=1e-6)
    G = rng.standard_normal(layer.forward(x).shape)
    layer.forward(x)
    layer.backward(G)
    analytic = {"x": layer.backward(G), **{k: g.copy() for k, g in layer.grads.items()}}
    for name, value in {"x": x, **layer.params}.items():  # normwise, every tensor: 1e-8
        numeric = numeric_gradient(lambda: float((layer.forward(x) * G).sum()), value)
        assert np.abs(analytic[name] - numeric).max() < 1e-8 * np.abs(numeric).max(), name
    assert layer.grad_norms_through_time.shape == (T,)


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_gradient_of_the_initial_state(cls):
    layer = randomized(cls, 3, 4)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 3))
    layer.initial_state = tuple(rng.standard_normal((2, 4)) for _ in range(layer.n_states))
    G = rng.standard_normal((2, 5, 4))
    layer.forward(x)
    layer.backward(G)
    for k, s in enumerate(layer.initial_state):
        numeric = numeric_gradient(lambda: float((layer.forward(x) * G).sum()), s)
        assert rel_error(layer.grad_initial_state[k], numeric) < 1e-8


def test_float32_layers_compute_in_float32():
    for cls in LAYERS:
        layer = cls(3, 4, rng=0)
        y = layer.forward(np.ones((2, 5, 3)))
        assert y.dtype == np.float32 and y.shape == (2, 5, 4)
        dx = layer.backward(np.ones_like(y))
        assert dx.dtype == np.float32 and all(g.dtype == np.float32 for g in layer.grads.values())


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_state_carried_on_purpose_continues_the_sequence(cls):
    """Two chunks with the state carried give the outputs of the whole sequence; with the
    gradient of the final state handed back too, the gradients of the whole sequence."""
    whole = randomized(cls, 3, 4)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 9, 3))
    G = rng.standard_normal((2, 9, 4))
    y = whole.forward(x)
    whole.backward(G)
    chunk = randomized(cls, 3, 4)
    y1 = chunk.forward(x[:, :4]).copy()
    chunk.carry_state()
    y2 = chunk.forward(x[:, 4:])
    np.testing.assert_allclose(np.concatenate([y1, y2], axis=1), y, rtol=0, atol=1e-14)
    # truncated BPTT: the second chunk's gradient stops at its initial state ...
    chunk.backward(G[:, 4:])
    late = {k: g.copy() for k, g in chunk.grads.items()}
    handed_back = chunk.grad_initial_state
    # ... unless it is handed back to the first chunk on purpose
    chunk.reset_state()
    chunk.forward(x[:, :4])
    chunk.grad_final_state = handed_back
    chunk.backward(G[:, :4])
    for k in whole.grads:
        np.testing.assert_allclose(chunk.grads[k] + late[k], whole.grads[k], atol=1e-12)
    chunk.grad_final_state = None
    chunk.forward(x[:, :4])
    chunk.backward(G[:, :4])
    truncated = sum(float(np.abs(chunk.grads[k] + late[k] - whole.grads[k]).max()) for k in late)
    assert truncated > 1e-3  # what truncation drops is not nothing


def test_state_cut_on_purpose_and_refused_when_it_does_not_fit():
    layer = LSTM(3, 4, rng=0)
    x = np.ones((2, 5, 3))
    fresh = layer.forward(x).copy()
    layer.carry_state()
    assert not np.allclose(layer.forward(x), fresh)
    layer.reset_state()
    np.testing.assert_array_equal(layer.forward(x), fresh)
    layer.carry_state()
    with pytest.raises(ValueError, match=r"reset_state\(\)"):
        layer.forward(np.ones((3, 5, 3)))  # another batch size
    with pytest.raises(ValueError, match="no forward pass yet"):
        RNN(3, 4).carry_state()


def test_wrong_shapes_are_refused_with_the_shape_expected():
    layer = GRU(3, 4)
    with pytest.raises(ValueError, match=r"\(batch, T, 3\)"):
        layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(T, 3\)"):
        layer.output_shape((5, 2))
    assert layer.output_shape((7, 3)) == (7, 4)
    assert GRU(3, 4, return_sequences=False).output_shape((7, 3)) == (4,)
    with pytest.raises(ValueError, match="init"):
        RNN(3, 4, init="zeros")


def test_initializations():
    lstm = LSTM(3, 5, rng=0)
    b = lstm.params["b"].reshape(4, 5)
    assert np.all(b[1] == 1) and np.all(b[[0, 2, 3]] == 0)  # forget gate open
    rnn = RNN(3, 6, init="orthogonal", rng=0, dtype=np.float64)
    np.testing.assert_allclose(np.linalg.svd(rnn.params["Wh"], compute_uv=False), 1, atol=1e-12)
    k = 1 / np.sqrt(6)
    assert np.abs(RNN(3, 6, rng=0).params["Wh"]).max() <= k


# ---------------------------------------------------------------------------- Embedding
def test_embedding_looks_up_rows_and_its_gradient_adds_them_up():
    emb = Embedding(5, 3, rng=0, dtype=np.float64)
    ids = np.array([[0, 2, 2], [4, 0, 2]])
    np.testing.assert_array_equal(emb.forward(ids.astype(np.float32)), emb.W[ids])
    dy = np.random.default_rng(0).standard_normal((2, 3, 3))
    assert emb.backward(dy, need_dx=False) is None
    expected = np.zeros((5, 3))
    np.add.at(expected, ids.reshape(-1), dy.reshape(-1, 3))
    np.testing.assert_allclose(emb.dW, expected, rtol=1e-14)
    assert np.all(emb.dW[[1, 3]] == 0)  # tokens that did not occur
    assert emb.output_shape((7,)) == (7, 3)


@pytest.mark.parametrize("bad", [5, -1, 1.5, np.nan])
def test_embedding_refuses_ids_that_are_not_tokens(bad):
    with pytest.raises(ValueError, match="token ids, whole numbers from 0 to 4"):
        Embedding(5, 3).forward(np.array([[0, 1, bad]]))


def test_time_dense_is_a_dense_layer_at_every_step():
    layer = TimeDense(4, 3, rng=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    check_layer(layer, rng.standard_normal((2, 5, 4)), rng)
    x = rng.standard_normal((2, 5, 4))
    np.testing.assert_allclose(layer.forward(x)[:, 2], x[:, 2] @ layer.W + layer.b, rtol=1e-14)
    assert layer.output_shape((5, 4)) == (5, 3) and layer.input_shape is None


# ---------------------------------------------------------------------------- the loss
def sequence_targets(rng, B, T, V, lengths):
    Y = np.eye(V)[rng.integers(0, V, (B, T))]
    for row, n in enumerate(lengths):
        Y[row, n:] = 0  # padding
    return Y


def test_sequence_loss_is_the_mean_over_real_steps_and_ignores_padding():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 5))
    Y = sequence_targets(rng, 3, 4, 5, lengths=[4, 2, 1])
    loss = SequenceCrossEntropy()
    logp = a - np.log(np.exp(a).sum(-1, keepdims=True))
    assert np.isclose(loss.value(a, Y), -(Y * logp).sum() / 7)
    g = loss.gradient(a, Y)
    assert np.all(g[1, 2:] == 0) and np.all(g[2, 1:] == 0)  # padding sends nothing back
    numeric = numeric_gradient(lambda: loss.value(a, Y), a)
    real = Y.sum(-1) > 0
    assert rel_error(g[real], numeric[real]) < 1e-9
    assert np.abs(numeric[~real]).max() < 1e-12
    value, both = loss.value_and_gradient(a, Y)
    assert value == loss.value(a, Y) and np.array_equal(both, g)
    # changing a padded logit changes nothing
    a2 = a.copy()
    a2[2, 3] += 10
    assert loss.value(a2, Y) == loss.value(a, Y)
    np.testing.assert_allclose(loss.output(a).sum(-1), 1)


# ---------------------------------------------------------------------------- networks
def char_network(cls, V=6, E=4, H=5, seed=0, dtype=np.float64):
    return nn.Network(
        [Embedding(V, E, rng=seed, dtype=dtype), cls(E, H, rng=seed, dtype=dtype),
         TimeDense(H, V, rng=seed, dtype=dtype)],
        SequenceCrossEntropy(),
    )  # fmt: skip


def char_data(n=12, T=7, V=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, V, (n, T)).astype(np.float64)
    lengths = rng.integers(2, T + 1, n)
    Y = sequence_targets(rng, n, T, V, lengths)
    return X, Y


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_check_gradients_passes_on_a_character_network(cls):
    X, Y = char_data()
    net = char_network(cls)
    rng = np.random.default_rng(5)
    for layer in net.layers:  # every bias random too: no gradient trivially 0
        for p in layer.params.values():
            p[...] = rng.standard_normal(p.shape) * 0.5
    report = nn.check_gradients(net, X, Y)
    assert report.passed(), report.verdict()
    assert report.max_rel_error < 1e-6


def test_check_gradients_catches_a_wrong_recurrent_gradient(monkeypatch):
    X, Y = char_data()
    net = char_network(GRU)
    original = GRU.backward

    def wrong(self, dy, *, need_dx=True):
        dx = original(self, dy, need_dx=need_dx)
        self.grads["Wh"] *= 1.01  # a 1% error in one tensor
        return dx

    monkeypatch.setattr(GRU, "backward", wrong)
    report = nn.check_gradients(net, X, Y)
    assert not report.passed()


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_train_save_load_and_resume_to_the_same_bits(cls, tmp_path):
    X, Y = char_data(n=20)
    net = char_network(cls, dtype=np.float32)
    net.fit(X, Y, epochs=4, batch_size=6, optimizer=nn.Adam(0.01), seed=1, verbose=False)
    path = tmp_path / "m.npz"
    net.save(str(path))
    back = nn.load(str(path))
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    assert [type(layer) for layer in back.layers] == [type(layer) for layer in net.layers]
    assert back.layers[1].config() == net.layers[1].config()

    ck = tmp_path / "ck.npz"
    first = char_network(cls, dtype=np.float32)
    kw = dict(batch_size=6, seed=1, verbose=False, checkpoint=str(ck))
    first.fit(X, Y, epochs=2, optimizer=nn.Adam(0.01), **kw)
    resumed = char_network(cls, dtype=np.float32)
    resumed.fit(X, Y, epochs=4, optimizer=nn.Adam(0.01), resume=True, **kw)
    for (_, p, _), (_, q, _) in zip(net.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p, q)


def test_diagnostics_record_the_gradient_through_time():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 9, 2))
    Y = X[:, :3, 0].sum(axis=1, keepdims=True)  # depends on the first steps only
    net = nn.Network(
        [RNN(2, 6, return_sequences=False, rng=0), nn.Dense(6, 1, rng=0)], nn.SquaredError()
    )
    diag = nn.Diagnostics(X[:10], Y[:10], every=2)
    net.fit(X, Y, epochs=2, batch_size=10, lr=0.1, seed=0, verbose=False, callbacks=[diag])
    steps, norms = diag.through_time(1)
    assert list(steps) == [1, 2, 4, 6] and norms.shape == (4, 9)
    layer = net.layers[0]
    np.testing.assert_allclose(norms[-1], layer.grad_norms_through_time[::-1])
    assert diag.records[0]["layers"][0]["grad_through_time"] is None  # step 0: no gradient
    assert diag.records[1]["layers"][1]["grad_through_time"] is None  # Dense has no time
