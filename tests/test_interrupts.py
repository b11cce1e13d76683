"""Class 1 of issue 13, interrupts: Ctrl-C is held until the run's state is safe on disk.

Each test here failed before: a second Ctrl-C during the checkpoint write or the model save
escaped as KeyboardInterrupt (no checkpoint, no saved model), and a Ctrl-C in the middle of a
forward pass let a dropout layer draw the aborted step's mask, so the resumed run differed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import nn
import nn.cli
from nn.io.npz import nn_file_kind
from nn.train.interrupts import HeldInterrupts

MAIN_THREAD = threading.current_thread() is threading.main_thread()
signals = pytest.mark.skipif(os.name != "posix" or not MAIN_THREAD, reason="sends SIGINT")


class Kick(nn.Layer):
    """Passes its input on; at one training call, interrupts from inside the forward pass.

    ``how="signal"`` sends itself SIGINT twice (a first and a second Ctrl-C, both landing
    after the dropout layer before it has drawn its mask); ``how="raise"`` raises
    ``KeyboardInterrupt`` itself, as a layer's own code could.
    """

    def __init__(self, at: int = -1, how: str = "signal"):
        super().__init__()
        self.at, self.how, self.calls = at, how, 0

    def forward(self, x, *, training=False):
        if training:
            self.calls += 1
            if self.calls == self.at:
                if self.how == "raise":
                    raise KeyboardInterrupt
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGINT)
        return x

    def backward(self, dy):
        return dy


def data():
    rng = np.random.default_rng(0)
    return rng.random((60, 4)).astype(np.float32), rng.integers(0, 3, 60)


def network(at=-1, how="signal"):
    layers = [nn.Dense(4, 8, rng=1), nn.Sigmoid(), nn.Dropout(0.5, rng=2), Kick(at, how)]
    return nn.Network([*layers, nn.Dense(8, 3, rng=3), nn.Sigmoid()], nn.SquaredError())


def fit(net, **kwargs):
    X, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingInterrupted)
        return net.fit(X, y, epochs=3, batch_size=8, lr=1.0, seed=4, verbose=False, **kwargs)


def weights(net):
    return [p.tobytes() for _, p, _ in net.parameters()]


@signals
@pytest.mark.parametrize("how", ["signal", "raise"])
@pytest.mark.parametrize("at", [3, 8, 9])  # 8 steps per epoch: 9 is the first of epoch 2
def test_an_interrupt_inside_a_forward_pass_resumes_to_the_uninterrupted_bits(tmp_path, how, at):
    full = network()
    h_full = fit(full)
    path = tmp_path / "ck.npz"
    h_part = fit(network(at, how), checkpoint=path)
    assert h_part["stopped"]["reason"] == "interrupted"
    # held (signal): the step completes; raised inside it: the run is replayed to the one before
    assert h_part["stopped"]["step"] == (at if how == "signal" else at - 1)
    resumed = network()
    h_res = fit(resumed, checkpoint=path, resume=True)
    assert weights(resumed) == weights(full)
    assert h_res["loss"] == h_full["loss"] and "stopped" not in h_res


@signals
def test_a_second_ctrl_c_while_the_checkpoint_is_written_is_held(tmp_path, monkeypatch):
    """The checkpoint of the interrupted run is complete, and fit returns normally."""
    path = tmp_path / "ck.npz"
    real = np.savez
    sent = []

    def savez(file, **arrays):
        if not sent:  # the first write: the one of the interrupted run
            os.kill(os.getpid(), signal.SIGINT)
            sent.append(1)
        real(file, **arrays)

    monkeypatch.setattr(np, "savez", savez)
    net = network()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingInterrupted)
        X, y = data()
        h = net.fit(
            X, y, epochs=3, batch_size=8, lr=1.0, seed=4, verbose=False, checkpoint=path,
            callbacks=[Interrupt(5)],
        )  # fmt: skip
    assert h["stopped"]["step"] == 5 and nn_file_kind(path) == "checkpoint"
    monkeypatch.setattr(np, "savez", real)
    resumed = network()
    fit(resumed, checkpoint=path, resume=True)
    full = network()
    fit(full)
    assert weights(resumed) == weights(full)


class Interrupt(nn.Callback):
    """Sends SIGINT after step ``at``: the first Ctrl-C."""

    def __init__(self, at):
        self.at = at

    def on_step_end(self, network, epoch, step, loss):
        if step == self.at:
            os.kill(os.getpid(), signal.SIGINT)


@signals
def test_guards_nest_and_put_the_handler_back():
    before = signal.getsignal(signal.SIGINT)
    with HeldInterrupts() as outer:
        with HeldInterrupts() as inner:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            assert inner.count == 2 and outer.count == 2
        assert outer.requested and signal.getsignal(signal.SIGINT).__self__ is outer
    assert signal.getsignal(signal.SIGINT) is before


# ---------------------------------------------------------------- real signals, twice
TRIALS = 16


def _train(tmp_path, i, *extra):
    cmd = [sys.executable, "-m", "nn", "train", "--dataset", "digits", "--sizes", "784,100,10"]
    cmd += ["--quiet", "--seed", "1", *extra]
    return cmd


def _start(cmd):
    # a job started from a non-interactive shell ignores SIGINT: give the child the default
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _trial(tmp_path, i, delay, gap):
    """One ``nn train`` with a checkpoint and a save, sent SIGINT twice, ``gap`` s apart."""
    ck, model = tmp_path / f"ck{i}.npz", tmp_path / f"m{i}.npz"
    extra = ["--checkpoint", str(ck), "--checkpoint-every", "40", "--save", str(model)]
    proc = _start(_train(tmp_path, i, "--epochs", "2", *extra))
    deadline = time.monotonic() + 60
    while not ck.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)  # somewhere in the run after the first checkpoint
    proc.send_signal(signal.SIGINT)
    time.sleep(gap)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err, nn_file_kind(ck), nn_file_kind(model)


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_ctrl_c_twice_a_few_ms_apart_still_leaves_a_checkpoint_and_a_saved_model(tmp_path):
    """Before: in 11 of 16 trials the second signal escaped as KeyboardInterrupt."""
    timing = random.Random(13)
    plans = [(timing.uniform(0.0, 0.1), timing.uniform(0.002, 0.003)) for _ in range(TRIALS)]
    results: dict[int, tuple] = {}

    def run(i):
        results[i] = _trial(tmp_path, i, *plans[i])

    for batch in range(0, TRIALS, 4):  # four at a time, each on its own clock
        threads = [threading.Thread(target=run, args=(i,)) for i in range(batch, batch + 4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    bad = {i: r for i, r in results.items() if r[0] != 130 or "Traceback" in r[1]}
    bad |= {i: r for i, r in results.items() if r[2:] != ("checkpoint", "model")}
    assert not bad, bad
    assert all("--resume to continue" in r[1] for r in results.values())
    # and the checkpoint of one of them resumes to the uninterrupted run's bits
    ref, out = tmp_path / "ref.npz", tmp_path / "out.npz"
    done = subprocess.run(_train(tmp_path, 0, "--epochs", "2", "--save", str(ref)))
    assert done.returncode == 0
    resumed = subprocess.run(
        _train(tmp_path, 0, "--epochs", "2", "--checkpoint", str(tmp_path / "ck0.npz"),
               "--checkpoint-every", "40", "--resume", "--save", str(out)),
        capture_output=True, text=True,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert weights(nn.load(ref)) == weights(nn.load(out))


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_ctrl_c_after_training_waits_for_the_model_to_be_saved(tmp_path, monkeypatch, capsys):
    """A Ctrl-C while the model is saved (after a complete run): saved, then exit 130."""
    model = tmp_path / "m.npz"
    real = nn.Network.save

    def save(self, path):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
        real(self, path)

    monkeypatch.setattr(nn.Network, "save", save)
    argv = ["train", "--dataset", "xor", "--epochs", "2", "--quiet", "--save", str(model)]
    assert nn.cli.main(argv) == 130
    assert nn_file_kind(model) == "model"
    assert "interrupted after training ended; the model was saved" in capsys.readouterr().err
