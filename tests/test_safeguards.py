"""fit stops cleanly: divergence keeps the last finite weights, Ctrl-C keeps the last step."""

from __future__ import annotations

import os
import signal
import threading
import warnings

import numpy as np
import pytest
from conftest import InterruptAt

import nn
import nn.cli
from nn.train.safeguards import all_finite


class Identity(nn.Layer):
    """A linear output, so squared error on large inputs really blows up (sigmoids saturate)."""

    def forward(self, x, *, training=False):
        return x

    def backward(self, dy):
        return dy


class Recorder(nn.Callback):
    """Copies of the weights after every step, indexed by step number."""

    def __init__(self):
        self.weights = {}

    def on_train_begin(self, network, history):
        self.weights[0] = params(network)

    def on_step_end(self, network, epoch, step, loss):
        self.weights[step] = params(network)


def params(net):
    return [p.copy() for _, p, _ in net.parameters()]


def same(a, b):
    return len(a) == len(b) and all(x.tobytes() == y.tobytes() for x, y in zip(a, b))


def linear_problem(dtype=np.float32):
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((64, 3)) * 10).astype(dtype)
    Y = X @ np.array([[1.0], [2.0], [-1.0]], dtype=dtype)
    net = nn.Network([nn.Dense(3, 1, rng=0, dtype=dtype), Identity()], nn.SquaredError())
    return net, X, Y


def fit_recording(net, X, Y, **kwargs):
    rec = Recorder()
    with pytest.warns(nn.TrainingDiverged) as caught:
        h = net.fit(X, Y, verbose=False, callbacks=[rec], **kwargs)
    return h, rec, str(caught[0].message)


# ---------------------------------------------------------------- divergence
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_learning_rate_100_diverges_and_keeps_the_last_finite_weights(dtype):
    net, X, Y = linear_problem(dtype)
    h, rec, message = fit_recording(net, X, Y, epochs=50, batch_size=8, lr=100.0, seed=0)
    stopped = h["stopped"]
    assert stopped["reason"] == "diverged" and stopped["message"] == message
    k = stopped["step"]  # the step whose loss was not finite; its update never ran
    assert max(rec.weights) == k - 1
    assert all_finite(net) and same(params(net), rec.weights[k - 1])
    epoch, batch = (k - 1) // 8 + 1, (k - 1) % 8 + 1
    assert f"epoch {epoch}, step {k} (mini-batch {batch} of 8)" in message
    assert "learning rate is too high" in message and "lr=10" in message
    assert len(h["epoch"]) == epoch - 1  # the history of the epochs completed before it
    assert len(h["loss"]) == epoch - 1 and all(np.isfinite(h["loss"]))


def test_an_update_that_overflows_is_found_by_replay():
    # lr = 1e38: the first update turns finite gradients into inf weights; the loss only
    # shows it at the next step, after the update. The run replays and keeps step 0.
    net, X, Y = linear_problem()
    h, rec, message = fit_recording(net, X, Y, epochs=3, batch_size=8, lr=1e38, seed=0)
    assert h["stopped"]["step"] == 1 and "its update made 0.W, 0.b non-finite" in message
    assert not all(np.isfinite(p).all() for p in rec.weights[1])  # it really overflowed
    assert same(params(net), rec.weights[0])


class InjectInf(nn.SGD):
    """SGD whose update at one iteration puts +inf into the first layer's bias."""

    def __init__(self, lr, at):
        super().__init__(lr)
        self.at = at

    def step(self, parameters):
        parameters = list(parameters)
        super().step(parameters)  # counts the step in self.iterations
        if self.iterations == self.at:
            parameters[1][1][0] = np.inf  # "0.b"


def test_a_hidden_inf_weight_is_found_and_the_run_rewound_to_the_step_before():
    # An inf bias in front of a sigmoid gives sigmoid(inf) = 1: the loss stays finite, so
    # only the periodic weight check sees it; replay finds the exact step.
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 2)).astype(np.float32) + 0.5, rng.integers(0, 2, 40)
    net = nn.mlp([2, 3, 1], seed=0)
    h, rec, message = fit_recording(
        net, X, y, epochs=6, batch_size=8, optimizer=InjectInf(0.5, at=13), seed=0
    )
    assert all(np.isfinite(loss) for loss in h["loss"])  # the loss never showed it
    assert h["stopped"]["step"] == 13 and "its update made 0.b non-finite" in message
    assert "epoch 3, step 13 (mini-batch 3 of 5)" in message
    assert same(params(net), rec.weights[12])
    assert h["epoch"] == [1, 2]  # rows of epochs 3.. (computed with the inf) are dropped


def test_the_periodic_weight_check_finds_a_hidden_inf_long_before_the_end():
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 2)).astype(np.float32) + 0.5, rng.integers(0, 2, 40)
    net = nn.mlp([2, 3, 1], seed=0)
    h, rec, message = fit_recording(
        net, X, y, epochs=10, batch_size=1, optimizer=InjectInf(0.5, at=13), seed=0
    )  # 400 steps; weights are checked every 100 steps at least
    assert max(rec.weights) == 99  # the check after step 100 stopped it, not step 400
    assert h["stopped"]["step"] == 13 and same(params(net), rec.weights[12])


def test_an_interrupt_after_a_hidden_inf_reports_the_divergence():
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 2)).astype(np.float32) + 0.5, rng.integers(0, 2, 40)
    net, rec = nn.mlp([2, 3, 1], seed=0), Recorder()
    with pytest.warns(nn.TrainingDiverged):
        h = net.fit(
            X, y, epochs=6, batch_size=8, optimizer=InjectInf(0.5, at=3), seed=0,
            verbose=False, callbacks=[rec, InterruptAt(5)],
        )  # fmt: skip
    assert h["stopped"]["reason"] == "diverged" and h["stopped"]["step"] == 3
    assert same(params(net), rec.weights[2])


def test_divergence_writes_a_checkpoint_of_the_last_finite_state(tmp_path):
    net, X, Y = linear_problem()
    path = tmp_path / "ck.npz"
    h, rec, message = fit_recording(
        net, X, Y, epochs=50, batch_size=8, lr=100.0, seed=0, checkpoint=path
    )
    assert str(path) in message
    k = h["stopped"]["step"]
    with np.load(path) as f:
        saved = [f["param/0.W"], f["param/0.b"]]
    assert same(saved, rec.weights[k - 1])


def test_divergence_can_be_made_an_error():
    net, X, Y = linear_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error", nn.TrainingDiverged)
        with pytest.raises(nn.TrainingDiverged, match="diverged"):
            net.fit(X, Y, epochs=50, batch_size=8, lr=100.0, verbose=False)
    assert all_finite(net)


def test_a_sane_learning_rate_does_not_trigger_anything():
    net, X, Y = linear_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = net.fit(X / 10, Y / 10, epochs=5, batch_size=8, lr=0.01, seed=0, verbose=False)
    assert "stopped" not in h and h["loss"][-1] < h["loss"][0]


# ---------------------------------------------------------------- Ctrl-C
def test_keyboard_interrupt_returns_the_last_completed_step():
    rng = np.random.default_rng(0)
    X, y = rng.random((30, 4)).astype(np.float32), rng.integers(0, 3, 30)
    net, rec = nn.mlp([4, 5, 3], seed=0), Recorder()
    with pytest.warns(nn.TrainingInterrupted, match="after step 9 .*checkpoint=PATH"):
        h = net.fit(
            X, y, epochs=5, batch_size=4, lr=1.0, verbose=False, callbacks=[rec, InterruptAt(9)]
        )
    assert h["stopped"]["reason"] == "interrupted" and h["stopped"]["step"] == 9
    assert h["epoch"] == [1]  # epoch 2 was under way
    assert same(params(net), rec.weights[9])


class SigintDuringUpdate(nn.SGD):
    """Sends itself SIGINT (twice) between updating one tensor and the next."""

    def __init__(self, lr, at):
        super().__init__(lr)
        self.at, self.calls = at, 0

    def step(self, parameters):
        self.calls += 1
        for i, (_key, param, grad) in enumerate(parameters):
            param -= self.lr * grad
            if self.calls == self.at and i == 0:
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C must wait too


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_sigint_in_the_middle_of_an_update_lets_the_update_finish():
    rng = np.random.default_rng(0)
    X, y = rng.random((30, 4)).astype(np.float32), rng.integers(0, 3, 30)
    net, rec = nn.mlp([4, 5, 3], seed=0), Recorder()
    before = signal.getsignal(signal.SIGINT)
    with pytest.warns(nn.TrainingInterrupted):
        h = net.fit(
            X, y, epochs=5, batch_size=4, optimizer=SigintDuringUpdate(1.0, at=6),
            verbose=False, callbacks=[rec],
        )  # fmt: skip
    assert h["stopped"]["step"] == 6 and max(rec.weights) == 6
    # every tensor got the whole update of step 6 (its gradients are still in grads)
    expected = [w - 1.0 * g for w, (_, _, g) in zip(rec.weights[5], net.parameters())]
    assert same(params(net), expected)
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_sigint_stops_at_the_step_boundary_and_writes_the_checkpoint(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.random((30, 4)).astype(np.float32), rng.integers(0, 3, 30)

    class SendSigint(nn.Callback):
        def on_step_end(self, network, epoch, step, loss):
            if step == 11:
                os.kill(os.getpid(), signal.SIGINT)  # arrives here, acted on after callbacks

    net, rec, path = nn.mlp([4, 5, 3], seed=0), Recorder(), tmp_path / "ck.npz"
    with pytest.warns(nn.TrainingInterrupted, match="resume=True"):
        h = net.fit(
            X, y, epochs=5, batch_size=4, lr=1.0, verbose=False, checkpoint=path,
            callbacks=[rec, SendSigint()],
        )  # fmt: skip
    assert h["stopped"]["step"] == 11 and path.exists()
    assert same(params(net), rec.weights[11])


def test_nn_train_reports_divergence_and_saves_nothing(tmp_path, monkeypatch, capsys):
    def linear_mlp(sizes, **kwargs):  # sigmoids saturate instead of diverging: go linear
        layers = [nn.Dense(sizes[0], sizes[-1], rng=0), Identity()]
        return nn.Network(layers, nn.SquaredError())

    monkeypatch.setattr("nn.cli.options.mlp", linear_mlp)  # where nn train looks it up
    path = tmp_path / "m.npz"
    argv = ["train", "--dataset", "moons", "--lr", "100", "--quiet", "--save", str(path)]
    assert nn.cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "nn: Training diverged in epoch 1" in err and "lr=10 or smaller" in err
    assert "the model was not saved" in err and not path.exists()
