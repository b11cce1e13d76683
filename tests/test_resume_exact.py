"""Class 2 of issue 13: a resume continues exactly, or is refused saying why.

Before: the checkpoint kept the optimizer's settings but never compared them (a resume with
another --lr trained a mix of two runs, exit status 0), EarlyStopping's state was lost (a
resumed run ended at another epoch with other weights), a finished run "resumed" at epoch 31
of 30, --checkpoint overwrote a saved model, nn evaluate called a checkpoint "not a model",
and temporary files of killed writes stayed forever.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from conftest import InterruptAt

import nn
import nn.cli
from nn.io.npz import atomic_write, nn_file_kind
from nn.train.checkpoint import CheckpointError


def data():
    rng = np.random.default_rng(0)
    X = rng.random((80, 4)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 1).astype(np.int64) + (X[:, 2] > 0.7)


def weights(net):
    return [p.tobytes() for _, p, _ in net.parameters()]


def fit(net, optimizer, *, callbacks=(), **kwargs):
    X, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingInterrupted)
        kw = {"epochs": 6, "validation_split": 0.25, **kwargs}
        return net.fit(
            X, y, batch_size=8, optimizer=optimizer, seed=3, verbose=False,
            callbacks=list(callbacks), **kw,
        )  # fmt: skip


# ---------------------------------------------------------------- settings, compared in full
OTHER = [
    ("lr", nn.SGD(0.5, momentum=0.9), "lr=0.3, and this run has lr=0.5"),
    ("momentum", nn.SGD(0.3, momentum=0.8), "momentum=0.9, and this run has momentum=0.8"),
    ("nesterov", nn.SGD(0.3, momentum=0.9, nesterov=True), "nesterov=False"),
    ("weight_decay", nn.SGD(0.3, momentum=0.9, weight_decay=1e-4), "weight_decay=0.0"),
    ("clip_norm", nn.SGD(0.3, momentum=0.9, clip_norm=1.0), "clip_norm=None"),
    ("schedule", nn.SGD(0.3, momentum=0.9, schedule=nn.CosineDecay(60)), "schedule=None"),
    ("optimizer", nn.Adam(0.3), "optimizer='SGD', and this run has optimizer='Adam'"),
]


@pytest.mark.parametrize(("setting", "optimizer", "says"), OTHER, ids=[o[0] for o in OTHER])
def test_a_resume_with_another_optimizer_setting_is_refused_naming_it(
    tmp_path, setting, optimizer, says
):
    path = tmp_path / "ck.npz"
    fit(nn.mlp([4, 6, 3], seed=1), nn.SGD(0.3, momentum=0.9), checkpoint=path,
        callbacks=[InterruptAt(10)])  # fmt: skip
    net = nn.mlp([4, 6, 3], seed=1)
    before = weights(net)
    with pytest.raises(CheckpointError, match=f"^.*{says}") as caught:
        fit(net, optimizer, checkpoint=path, resume=True)
    assert caught.value.setting == setting and weights(net) == before


def test_a_resume_with_another_callback_setting_or_data_is_refused(tmp_path):
    path = tmp_path / "ck.npz"
    fit(nn.mlp([4, 6, 3], seed=1), nn.SGD(0.3), checkpoint=path,
        callbacks=[nn.EarlyStopping(patience=2), InterruptAt(10)])  # fmt: skip
    cases = [
        ({"callbacks": [nn.EarlyStopping(patience=3)]}, "EarlyStopping.patience=2"),
        ({"callbacks": []}, "callbacks="),
        ({"callbacks": [nn.EarlyStopping(patience=2)], "validation_split": 0.5},
         "validation_split=0.25, and this run has validation_split=0.5"),
    ]  # fmt: skip
    for kwargs, says in cases:
        with pytest.raises(CheckpointError, match=says):
            fit(nn.mlp([4, 6, 3], seed=1), nn.SGD(0.3), checkpoint=path, resume=True, **kwargs)


# ---------------------------------------------------------------- early stopping, resumed
def early_run(**kwargs):
    net, stopper = nn.mlp([4, 6, 3], seed=1), nn.EarlyStopping(patience=2)
    extra = kwargs.pop("callbacks", [])
    h = fit(net, nn.SGD(0.5), callbacks=[stopper, *extra], epochs=40, **kwargs)  # best: 11
    return net, h, stopper


def test_the_uninterrupted_early_stopping_run_stops_early():
    _, h, stopper = early_run()
    assert (stopper.best_epoch, stopper.stopped_epoch) == (11, 13)  # waited 2 after its best


@pytest.mark.parametrize("where", ["before the best epoch", "after it", "after the stop"])
def test_a_run_with_early_stopping_resumed_ends_as_the_uninterrupted_one(tmp_path, where):
    full, h_full, s_full = early_run()
    steps_per_epoch = 8  # 60 training examples in mini-batches of 8
    at = {
        "before the best epoch": (s_full.best_epoch - 1) * steps_per_epoch - 3,
        "after it": s_full.best_epoch * steps_per_epoch + 2,
        "after the stop": None,
    }[where]
    path = tmp_path / "ck.npz"
    callbacks = [InterruptAt(at)] if at is not None else []
    early_run(checkpoint=path, callbacks=callbacks)
    resumed, h_res, s_res = early_run(checkpoint=path, resume=True)
    assert weights(resumed) == weights(full)  # the best epoch's weights, restored
    assert h_res["val_loss"] == h_full["val_loss"] and h_res["epoch"] == h_full["epoch"]
    assert (s_res.best_epoch, s_res.stopped_epoch) == (s_full.best_epoch, s_full.stopped_epoch)


# ---------------------------------------------------------------- a finished run
def test_a_finished_run_resumed_has_nothing_left_to_train(tmp_path, capsys):
    path = tmp_path / "ck.npz"
    X, y = data()
    kw = {"batch_size": 8, "lr": 1.0, "seed": 0, "checkpoint": path}
    done = nn.mlp([4, 6, 3], seed=1)
    h = nn.train.fit(done, X, y, epochs=3, verbose=False, **kw)
    again = nn.mlp([4, 6, 3], seed=1)
    h2 = nn.train.fit(again, X, y, epochs=3, resume=True, **kw)
    out = capsys.readouterr().out
    assert out.strip() == f"The run in {path} finished after epoch 3 of 3: nothing left to train"
    assert "epoch 4" not in out and weights(again) == weights(done) and h2["loss"] == h["loss"]
    with pytest.raises(ValueError, match="past epoch 2 already .3 epochs done.; give epochs=3"):
        nn.train.fit(nn.mlp([4, 6, 3], seed=1), X, y, epochs=2, resume=True, **kw)


# ---------------------------------------------------------------- the command line
def train(tmp_path, *extra):
    argv = ["train", "--dataset", "moons", "--sizes", "2,8,1", "--epochs", "2", "--quiet"]
    return nn.cli.main([*argv, "--checkpoint", str(tmp_path / "ck.npz"), *extra])


@pytest.mark.parametrize(
    ("first", "then", "says"),
    [
        ([], ["--lr", "0.5"], "--lr: --checkpoint .* with lr 3, and this command gives 0.5"),
        (["--optimizer", "momentum"], ["--optimizer", "momentum", "--momentum", "0.5"],
         r"--momentum \(or --optimizer\): .* with momentum 0.9, and this command gives 0.5"),
        ([], ["--weight-decay", "1e-4"],
         "--weight-decay: .* weight_decay 0, and this command gives 0.0001"),
        ([], ["--clip-norm", "5"],
         "--clip-norm: .* with clip_norm not given, and this command gives 5"),
        (["--schedule", "cosine"], ["--schedule", "cosine", "--epochs", "4"],
         "--schedule .* cosine over 40 steps, and this command gives cosine over 80 steps"),
        ([], ["--batch-size", "20"], "--batch-size: .* batch_size 10, and this command gives 20"),
        ([], ["--seed", "1"], "--seed: .* seed 0, and this command gives 1"),
        ([], ["--sizes", "2,9,1"], "--sizes, --activation.*: .*a different network"),
    ],
)  # fmt: skip
def test_nn_train_refuses_a_resume_with_another_option_naming_it_and_both_values(
    tmp_path, capsys, first, then, says
):
    assert train(tmp_path, *first) == 0
    capsys.readouterr()
    assert train(tmp_path, *then, "--resume") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nn: error: "), err
    assert re.search(says, err), err


def test_checkpoint_and_save_never_overwrite_the_other_kind_of_file(tmp_path, capsys):
    model, ck = tmp_path / "m.npz", tmp_path / "ck.npz"
    nn.mlp([2, 8, 1], seed=0).save(model)
    before = model.read_bytes()
    argv = ["train", "--dataset", "moons", "--sizes", "2,8,1", "--epochs", "1", "--quiet"]
    assert nn.cli.main([*argv, "--checkpoint", str(model)]) == 2
    assert "that is a saved nn model, which writing checkpoints there would replace" in (
        capsys.readouterr().err
    )
    assert model.read_bytes() == before
    with pytest.raises(ValueError, match="saved nn model"):  # and in the library
        nn.mlp([2, 8, 1], seed=0).fit(*nn.datasets.moons(), epochs=1, batch_size=10, lr=1.0,
                                      checkpoint=model, verbose=False)  # fmt: skip
    assert model.read_bytes() == before
    assert nn.cli.main([*argv, "--checkpoint", str(ck)]) == 0
    assert nn.cli.main([*argv, "--save", str(ck)]) == 2
    assert "that is the checkpoint of a training run" in capsys.readouterr().err
    assert nn.cli.main([*argv, "--save", str(ck), "--checkpoint", str(ck)]) == 2
    assert "--save and --checkpoint are both" in capsys.readouterr().err
    assert nn_file_kind(ck) == "checkpoint"


def test_evaluating_a_checkpoint_says_what_it_is_and_what_to_do(tmp_path, capsys):
    assert train(tmp_path) == 0
    capsys.readouterr()
    assert nn.cli.main(["evaluate", str(tmp_path / "ck.npz")]) == 2
    err = capsys.readouterr().err
    assert "is an nn checkpoint (the state of a training run" in err and "--resume --save" in err
    with pytest.raises(nn.ModelFileError, match="is an nn checkpoint"):
        nn.load(tmp_path / "ck.npz")


def test_temporary_files_of_killed_writes_are_removed_by_the_next_write(tmp_path):
    """A writer killed with SIGKILL cannot clean up; the next write to the path does."""
    target = tmp_path / "m.npz"
    code = (
        "import os, sys, nn\n"
        "from nn.io.npz import atomic_write\n"
        "def write(f):\n"
        "    f.write(b'partial'); f.flush(); os.kill(os.getpid(), 9)\n"
        f"atomic_write({str(target)!r}, write)\n"
    )
    for _ in range(2):  # the second write removes the first one's leftover before its own
        assert subprocess.run([sys.executable, "-c", code]).returncode == -9
        stale = [p.name for p in tmp_path.iterdir()]
        assert len(stale) == 1 and stale[0].startswith(".m.npz.") and stale[0].endswith(".part")
    live = tmp_path / f".m.npz.{os.getppid()}-0123456789ab.part"  # a running process's: kept
    live.write_bytes(b"in progress")
    atomic_write(target, lambda f: f.write(b"complete"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "m.npz"])
    assert target.read_bytes() == b"complete"
