"""``nn train`` with the wider toolbox: optimizers, schedules, dropout, early stopping."""

from __future__ import annotations

import argparse

import pytest

import nn
from nn.cli import build_parser, main, make_optimizer, make_schedule


def test_train_digits_with_the_modern_toolbox(tmp_path, capsys):
    path = tmp_path / "m.npz"
    argv = ["train", "--dataset", "digits", "--sizes", "784,32,10", "--activation", "relu"]
    argv += ["--loss", "softmax_cross_entropy", "--init", "he_normal", "--optimizer", "adam"]
    argv += ["--lr", "0.003", "--batch-size", "64", "--epochs", "4", "--dropout", "0.1"]
    argv += ["--schedule", "cosine"]
    argv += ["--validation-split", "0.1", "--early-stopping", "2", "--standardize"]
    argv += ["--weight-decay", "1e-5", "--quiet", "--save", str(path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("Test accuracy"))
    accuracy = float(line.split()[2].rstrip("%")) / 100
    assert accuracy >= 0.9, out
    assert "Adam(" in out and "CosineDecay" in out and "Early stopping" in out
    # the saved model has the scaling folded in: it reads raw pixels and scores the same
    _, (Xt, yt) = nn.datasets.digits()
    assert nn.load(path).evaluate(Xt, yt)["accuracy"] == pytest.approx(accuracy, abs=5e-5)
    assert [type(ly).__name__ for ly in nn.load(path).layers] == [
        "Dense",
        "ReLU",
        "Dropout",
        "Dense",
    ]


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov", "rmsprop"])
def test_train_with_each_optimizer_on_moons(optimizer, capsys):
    argv = ["train", "--dataset", "moons", "--sizes", "2,16,1", "--activation", "tanh"]
    argv += ["--output-activation", "sigmoid", "--loss", "cross_entropy", "--init"]
    argv += ["glorot_uniform", "--optimizer", optimizer, "--epochs", "40", "--quiet"]
    argv += ["--lr", "0.01" if optimizer == "rmsprop" else "0.1", "--clip-norm", "5"]
    assert main(argv) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert float(line.split()[2].rstrip("%")) >= 85.0, line


def test_early_stopping_needs_a_validation_split(capsys):
    assert main(["train", "--dataset", "xor", "--early-stopping", "3"]) == 2
    assert "--validation-split" in capsys.readouterr().err


def test_optimizer_and_schedule_options_build_what_they_say():
    parse = build_parser().parse_args
    args = parse(["train", "--optimizer", "nesterov", "--momentum", "0.8", "--epochs", "4"])
    args.schedule = "step:2:0.1"
    opt = make_optimizer(args, steps_per_epoch=50)
    assert isinstance(opt, nn.SGD) and opt.nesterov and opt.momentum == 0.8 and opt.lr == 0.3
    assert opt.schedule.every == 100 and opt.schedule.factor == 0.1  # 2 epochs of 50 steps
    assert make_optimizer(parse(["train", "--optimizer", "adam"]), 10).lr == 0.001
    assert make_schedule("cosine", epochs=3, steps_per_epoch=7).total == 21
    assert make_schedule(None, 3, 7) is None and make_schedule("constant", 3, 7) is None
    with pytest.raises(ValueError, match="step:EPOCHS"):
        make_schedule("linear", 3, 7)


def test_train_and_diagnose_read_the_shared_options_alike():
    parse = build_parser().parse_args
    train, probe = vars(parse(["train"])), vars(parse(["diagnose"]))
    own = {"model", "steps", "every", "probe_size", "no_experiments", "json", "plots"}
    assert set(probe) - set(train) == own  # every other diagnose option is one of train's
    shared = set(probe) - own - {"func", "command"}
    assert len(shared) == 23 and all(probe[k] == train[k] for k in shared - {"dataset"})
    # diagnose chooses its dataset after reading --model (the one it learned, else digits)
    assert train["dataset"] == "digits" and probe["dataset"] is None
    argv = ["--optimizer", "nesterov", "--momentum", "0.7", "--clip-norm", "2", "--sizes", "2,8,1"]
    argv += ["--weight-decay", "1e-4", "--dropout", "0.3", "--standardize", "--dtype", "float64"]
    argv += ["--dataset", "moons"]
    train, probe = parse(["train", *argv, "--epochs", "1"]), parse(["diagnose", *argv])
    assert all(getattr(probe, k) == getattr(train, k) for k in shared)
    probe_opt = make_optimizer(
        argparse.Namespace(**{**vars(probe), "schedule": None, "epochs": 1}), 1
    )
    assert repr(probe_opt) == repr(make_optimizer(train, 1))
    assert "momentum=0.7" in repr(probe_opt) and "clip_norm=2" in repr(probe_opt)


def test_gradcheck_command_knows_the_new_losses(capsys):
    argv = ["gradcheck", "--sizes", "4,5,3", "--activation", "tanh"]
    assert main([*argv, "--loss", "softmax_cross_entropy"]) == 0
    assert ": ok" in capsys.readouterr().out
