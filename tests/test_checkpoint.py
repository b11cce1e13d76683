"""Checkpoints: a resumed run ends bit for bit where an uninterrupted one does."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
from conftest import InterruptAt

import nn
from nn.train.checkpoint import CheckpointError


class Momentum(nn.Optimizer):
    """Classical momentum, keeping its velocity in ``self.state`` as nn's optimizers do."""

    def __init__(self, lr, mu=0.9):
        super().__init__(lr)
        self.mu = mu

    def step(self, parameters):
        self.iterations += 1
        for key, param, grad in parameters:
            v = self.state.setdefault(key, {"v": np.zeros_like(param)})["v"]
            v *= self.mu
            v -= self.lr * grad
            param += v

    def config(self):
        return {"lr": self.lr, "mu": self.mu}


class Noise(nn.Layer):
    """Adds Gaussian noise while training, from its own generator (like dropout would)."""

    def __init__(self, scale=0.1, seed=0):
        super().__init__()
        self.scale, self.rng = scale, np.random.default_rng(seed)

    def forward(self, x, *, training=False):
        if not training:
            return x
        return x + self.scale * self.rng.standard_normal(x.shape).astype(x.dtype)

    def backward(self, dy):
        return dy

    def config(self):
        return {"scale": self.scale}


def data():
    rng = np.random.default_rng(0)
    return rng.random((50, 4)).astype(np.float32), rng.integers(0, 3, 50)


def make(kind="sgd"):
    if kind == "noise":
        d1 = nn.Dense(4, 6, rng=1)
        layers = [d1, nn.Sigmoid(), Noise(), nn.Dense(6, 3, rng=2), nn.Sigmoid()]
        return nn.Network(layers, nn.SquaredError()), {"lr": 1.0}
    net = nn.mlp([4, 6, 3], seed=1)
    return net, ({"optimizer": Momentum(0.5)} if kind == "momentum" else {"lr": 1.0})


def weights(net):
    return [p.tobytes() for _, p, _ in net.parameters()]


def run(kind, epochs=4, **kwargs):
    X, y = data()
    net, opt = make(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingInterrupted)
        h = net.fit(
            X, y, epochs=epochs, batch_size=7, seed=3, verbose=False,
            validation_data=(X, y), **opt, **kwargs,
        )  # fmt: skip
    return net, h


def same_history(a, b):
    keys = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")
    return all(a[k] == b[k] for k in keys)


@pytest.mark.parametrize("kind", ["sgd", "momentum", "noise"])
@pytest.mark.parametrize("stop_at", [1, 10, 14, 17])  # 8 steps per epoch: 14 is mid-epoch 2
def test_interrupted_and_resumed_equals_uninterrupted(tmp_path, kind, stop_at):
    full, h_full = run(kind)
    path = tmp_path / "ck.npz"
    part, h_part = run(kind, checkpoint=path, callbacks=[InterruptAt(stop_at)])
    assert h_part["stopped"]["step"] == stop_at
    resumed, h_res = run(kind, checkpoint=path, resume=True)  # a fresh network and optimizer
    assert weights(resumed) == weights(full)
    assert same_history(h_res, h_full) and "stopped" not in h_res


def test_resume_from_a_checkpoint_written_every_n_steps_as_after_a_crash(tmp_path):
    """A hard crash (no chance to save) loses only the steps since the last checkpoint."""
    path, crash_copy = tmp_path / "ck.npz", tmp_path / "crash.npz"

    class CopyAt(nn.Callback):
        def on_step_end(self, network, epoch, step, loss):
            if step == 12:  # the checkpoint of step 12 was just written
                shutil.copy(path, crash_copy)

    full, h_full = run("momentum")
    run("momentum", checkpoint=path, checkpoint_every=4, callbacks=[CopyAt()])
    resumed, h_res = run("momentum", checkpoint=crash_copy, resume=True)
    assert weights(resumed) == weights(full) and same_history(h_res, h_full)


def test_resuming_with_more_epochs_extends_the_run(tmp_path):
    full, h_full = run("sgd", epochs=6)
    path = tmp_path / "ck.npz"
    run("sgd", epochs=3, checkpoint=path)
    longer, h_longer = run("sgd", epochs=6, checkpoint=path, resume=True)
    assert weights(longer) == weights(full) and same_history(h_longer, h_full)


def test_resume_true_without_a_file_starts_afresh_and_a_missing_path_is_an_error(tmp_path):
    full, _ = run("sgd")
    fresh, _ = run("sgd", checkpoint=tmp_path / "new.npz", resume=True)
    assert weights(fresh) == weights(full)
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        run("sgd", resume=tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="no checkpoint was given"):
        run("sgd", resume=True)


def test_resume_refuses_a_different_run(tmp_path):
    path = tmp_path / "ck.npz"
    run("sgd", checkpoint=path, callbacks=[InterruptAt(5)])
    X, y = data()
    same = {"seed": 3, "validation_data": (X, y)}
    cases = [
        (nn.mlp([4, 7, 3], seed=1), X, y, 7, {"lr": 1.0}, "different network"),
        (nn.mlp([4, 6, 3], seed=1), X + 1, y, 7, {"lr": 1.0}, "different training data"),
        (nn.mlp([4, 6, 3], seed=1), X, y, 5, {"lr": 1.0},
         "batch_size=7, and this run has batch_size=5"),
        (nn.mlp([4, 6, 3], seed=1), X, y, 7, {"optimizer": Momentum(1.0)},
         "optimizer='SGD', and this run has optimizer='Momentum'"),
        (nn.mlp([4, 6, 3], seed=1), X, y, 7, {"lr": 1.0, "seed": 4},
         "seed=3, and this run has seed=4"),
    ]  # fmt: skip
    for net, Xc, yc, bs, opt, match in cases:
        before = weights(net)
        with pytest.raises(CheckpointError, match=match):
            net.fit(Xc, yc, epochs=2, batch_size=bs, resume=path, verbose=False, **{**same, **opt})
        assert weights(net) == before  # refused before any work


def test_a_failed_checkpoint_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    run("sgd", epochs=1, checkpoint=path)
    before = path.read_bytes()
    real = np.savez

    def savez(file, **arrays):
        real(file, **arrays)
        raise OSError("disk full")  # after writing a partial temporary file

    monkeypatch.setattr(np, "savez", savez)
    with pytest.raises(OSError, match="disk full"):
        run("sgd", epochs=1, checkpoint=path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.npz"]


@pytest.mark.parametrize("cut", [0, 100, -30])
def test_a_damaged_checkpoint_is_refused(tmp_path, cut):
    path = tmp_path / "ck.npz"
    run("sgd", checkpoint=path, callbacks=[InterruptAt(5)])
    path.write_bytes(path.read_bytes()[:cut] if cut else b"not a zip")
    with pytest.raises(CheckpointError):
        run("sgd", checkpoint=path, resume=True)


def test_a_model_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "model.npz"
    nn.mlp([4, 6, 3], seed=1).save(path)
    with pytest.raises(CheckpointError, match="not an nn checkpoint"):
        run("sgd", resume=path)


def _train(tmp_path, *extra):
    cmd = [sys.executable, "-m", "nn", "train", "--dataset", "digits", "--epochs", "3"]
    cmd += ["--quiet", "--seed", "1", *extra]
    return cmd


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_ctrl_c_in_nn_train_then_resume_gives_the_uninterrupted_model(tmp_path):
    ref, out = tmp_path / "ref.npz", tmp_path / "out.npz"
    ck = tmp_path / "ck.npz"
    done = subprocess.run(_train(tmp_path, "--save", str(ref)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    proc = subprocess.Popen(
        _train(tmp_path, "--checkpoint", str(ck), "--checkpoint-every", "100"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not ck.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err  # stopped by Ctrl-C, cleanly
    assert "Traceback" not in err and "interrupted in epoch" in err and "--resume" in err
    resumed = subprocess.run(
        _train(tmp_path, "--checkpoint", str(ck), "--resume", "--save", str(out)),
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming from" in resumed.stdout
    a, b = nn.load(ref), nn.load(out)
    assert weights(a) == weights(b)
