"""The doctor across time: vanishing and exploding gradients through the steps of a recurrent
layer, named with their numbers and a remedy that fits the layer (by its traits)."""

from __future__ import annotations

import numpy as np

import nn
from nn.datasets.adding import GUESS_LOSS, adding_problem
from nn.diagnostics.findings.base import FINDINGS


def probe(layer, X, y, *, steps=40, lr=0.003):
    H = layer.n_hidden
    net = nn.Network([layer, nn.Dense(H, 1, rng=0)], nn.SquaredError())
    return nn.diagnose(
        net, X, y, optimizer=nn.Adam(lr, clip_norm=1.0), batch_size=32, steps=steps,
        probe_size=100, experiments=False,
    )  # fmt: skip


def found(report, key):
    return next((f for f in report.findings if f.id == key), None)


def test_an_rnn_on_a_long_adding_problem_is_told_its_gradient_vanishes_through_time():
    X, y = adding_problem(1500, 40, seed=0)
    report = probe(nn.RNN(2, 16, return_sequences=False, rng=0), X, y)
    f = found(report, "vanishing_gradients_through_time")
    assert f is not None, report
    assert f.numbers["T"] == 40 and f.numbers["reach"] < 1e-3 and f.numbers["per_step"] < 0.9
    assert f.numbers["sigma_max_Wh"] > 0
    assert "of 40 steps" in f.evidence and "per step back" in f.evidence
    assert "--cell lstm" in f.suggestion and "orthogonal" in f.suggestion
    assert "vanishing_gradients_through_time" in FINDINGS


def test_a_gated_layer_is_told_to_open_its_gates_not_to_become_an_lstm():
    X, y = adding_problem(1500, 60, seed=0)
    report = probe(nn.LSTM(2, 8, return_sequences=False, rng=0), X, y, steps=20)
    f = found(report, "vanishing_gradients_through_time")
    assert f is not None, report
    assert "--cell lstm" not in f.suggestion and "forget-gate bias" in f.suggestion
    assert "the cell state c" in f.suggestion  # the layer's memory_path, read as a trait


def test_exploding_gradients_through_time_are_named_with_clipping():
    rng = np.random.default_rng(0)
    X = np.zeros((600, 30, 2))  # the state stays at 0, where tanh' = 1: pure Wh^k
    y = rng.standard_normal((600, 1))
    layer = nn.RNN(2, 8, return_sequences=False, init="orthogonal", rng=0)
    layer.params["Wh"] *= 2.0  # every singular value 2
    report = probe(layer, X, y, steps=10, lr=1e-6)
    f = found(report, "exploding_gradients_through_time")
    assert f is not None, report
    assert f.numbers["reach"] > 1e3 and abs(f.numbers["sigma_max_Wh"] - 2) < 1e-5
    assert "--clip-norm" in f.suggestion


def test_a_loss_at_every_step_keeps_the_through_time_rules_silent():
    (X, Y), _, _ = nn.datasets.names_dataset()
    net = nn.char_rnn(27, cell="rnn", hidden=16, embedding=8, seed=0)
    report = nn.diagnose(
        net, X[:2000], Y[:2000], optimizer=nn.Adam(0.01), batch_size=32, steps=20,
        probe_size=100, experiments=False,
    )  # fmt: skip
    ids = {f.id for f in report.findings}
    assert not ids & {"vanishing_gradients_through_time", "exploding_gradients_through_time"}
    records = report.run.diagnostics.through_time(2)[1]  # layer 2: the RNN (1 is Embedding)
    assert records.shape[1] == 14 and np.isfinite(records).all()


def test_the_adding_problem_costs_guessing_at_the_mean():
    X, y = adding_problem(20000, 10, seed=1)
    assert X.shape == (20000, 10, 2) and np.all(X[:, :, 1].sum(axis=1) == 2)
    assert np.all(X[:, :5, 1].sum(axis=1) == 1)  # one marker in each half
    assert abs(0.5 * np.mean((y - 1.0) ** 2) - GUESS_LOSS) < 2e-3


def test_the_gradient_through_time_is_drawn_for_each_network(tmp_path):
    import pytest

    pytest.importorskip("matplotlib")
    X, y = adding_problem(200, 12, seed=0)
    diags = {}
    for name, cls in (("RNN", nn.RNN), ("GRU", nn.GRU)):
        net = nn.Network([cls(2, 4, return_sequences=False, rng=0), nn.Dense(4, 1, rng=0)],
                         nn.SquaredError())  # fmt: skip
        diags[name] = nn.Diagnostics(X[:20], y[:20], every=3)
        net.fit(X, y, epochs=1, batch_size=20, lr=0.01, verbose=False, callbacks=[diags[name]])
    path = tmp_path / "time.png"
    fig = nn.plots.gradient_through_time(diags, path=path)
    assert path.stat().st_size > 1000
    start, end = fig.axes[0], fig.axes[1]
    assert [line.get_label() for line in start.lines] == ["RNN", "GRU"]
    first = start.lines[0].get_ydata()
    assert len(first) == 12 and first[0] == 1.0  # divided by the last step's gradient
    assert end.lines[0].get_gid() == "RNN@9"  # the last recorded step
    flat = X.reshape(200, -1)
    plain = nn.Diagnostics(flat[:20], y[:20])
    nn.Network([nn.Dense(24, 1)], nn.SquaredError()).fit(
        flat, y, epochs=1, batch_size=20, lr=0.01, verbose=False, callbacks=[plain]
    )
    with pytest.raises(ValueError, match="no recurrent layer"):
        nn.plots.gradient_through_time({"dense": plain})


def test_guessing_a_padded_sequence_is_each_positions_character_frequencies():
    from nn.diagnostics.statistics import guessing_loss

    Y = np.zeros((4, 3, 2))
    Y[:, 0, 0] = 1  # position 0: always character 0
    Y[:2, 1, 0] = Y[2:, 1, 1] = 1  # position 1: half and half
    # position 2: padding everywhere
    expected = (0 + 4 * np.log(2)) / 8  # nats per real step
    assert abs(guessing_loss(nn.SequenceCrossEntropy(), Y) - expected) < 1e-9
