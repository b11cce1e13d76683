"""Class 5 of issue 13: settings that cannot learn are not called healthy.

Before: ``nn.mlp([784, 30, 10], "sigmoid", "categorical_cross_entropy")`` was accepted (16.5%
after 10 epochs) and ``nn diagnose`` said "No problems found" about it; XOR at 50% got "the
network did not learn, nn diagnose ... says why" from ``nn train``, then "No problems found"
from ``nn diagnose`` with the same options (its probe was another, longer run).
"""

from __future__ import annotations

import shlex

import numpy as np
import pytest

import nn
import nn.cli
from nn.cli import main
from nn.diagnostics.probe import run_probe


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (([784, 30, 10], "sigmoid", "categorical_cross_entropy"), "needs softmax outputs"),
        (([2, 4, 1], "tanh", "softmax_cross_entropy"), "a softmax over a single output unit"),
        (([2, 4, 1], "relu", "categorical_cross_entropy"), "softmax"),
    ],
)
def test_pairings_that_cannot_learn_are_refused(args, says):
    with pytest.raises(ValueError, match=says):
        nn.mlp(*args)


def test_the_command_refuses_them_too_before_loading_any_data(capsys, monkeypatch):
    def work(*args, **kwargs):
        raise AssertionError("the data was loaded before the pairing was refused")

    for module in ("nn.cli.train", "nn.cli.diagnose"):
        monkeypatch.setattr(f"{module}.load_dataset", work)
    argv = ["--loss", "categorical_cross_entropy", "--output-activation", "sigmoid"]
    for command in ("train", "diagnose"):
        assert main([command, *argv]) == 2
        assert "needs softmax outputs" in capsys.readouterr().err


def test_the_doctor_flags_a_loss_that_falls_while_the_predictions_do_not():
    """Built by hand, past mlp's check: the probe's loss goes to 0.0005 (guessing: 2.29)."""
    (X, y), (Xt, yt) = nn.datasets.digits()
    layers = [nn.Dense(784, 30, rng=0), nn.Sigmoid(), nn.Dense(30, 10, rng=1), nn.Sigmoid()]
    net = nn.Network(layers, nn.CategoricalCrossEntropy())
    report = nn.diagnose(net, X, y, lr=3.0, probe=(Xt[:500], yt[:500]), experiments=False)
    assert [f.id for f in report.findings] == ["loss_misfit"], str(report)
    assert "No problems found" not in str(report)


def note(capsys, argv):
    """Run ``nn train argv``; return its "did not learn" note's diagnose command, or None."""
    assert main(["train", *argv, "--quiet"]) == 0
    err = capsys.readouterr().err
    if "the network did not learn" not in err:
        return None
    return err.split("`")[1]


@pytest.mark.parametrize(
    "argv",
    [
        ["--dataset", "xor"],  # 10 epochs of 1 step: too short
        ["--dataset", "xor", "--sizes", "2,2,1", "--epochs", "300"],  # stuck: lr too low
        ["--dataset", "xor", "--sizes", "2,2,1", "--epochs", "300", "--seed", "1"],
    ],
)
def test_a_run_nn_train_says_did_not_learn_is_never_healthy_to_the_doctor(argv, capsys):
    command = note(capsys, argv)
    assert command is not None and command.startswith("nn diagnose ") and "--steps" in command
    assert main(shlex.split(command)[1:]) == 1  # a problem found
    out = capsys.readouterr().out
    assert "No problems found" not in out and "problem" in out


def test_the_short_xor_run_is_told_it_is_too_short(capsys):
    command = note(capsys, ["--dataset", "xor"])
    assert command == "nn diagnose --dataset xor --steps 10"
    main(shlex.split(command)[1:])
    assert "the run is too short: 10 steps" in capsys.readouterr().out


def test_the_probe_of_nn_trains_steps_is_that_run_again_bit_for_bit(tmp_path, capsys):
    path = tmp_path / "m.npz"
    argv = ["train", "--dataset", "moons", "--sizes", "2,5,1", "--epochs", "3", "--quiet"]
    assert main([*argv, "--seed", "2", "--save", str(path)]) == 0
    (X, y), (Xt, yt) = nn.datasets.moons(seed=2), nn.datasets.moons(seed=3)
    fresh = nn.mlp([2, 5, 1], seed=2)
    steps = 3 * 20  # 200 examples in mini-batches of 10
    probe = run_probe(fresh, X, y, (Xt, yt), optimizer=nn.SGD(3.0), batch_size=10, steps=steps,
                      every=10, seed=2)  # fmt: skip
    trained = nn.load(path)
    assert all(
        a.tobytes() == b.tobytes()
        for (_, a, _), (_, b, _) in zip(probe.network.parameters(), trained.parameters())
    )
    assert np.array_equal(probe.network.predict(Xt), trained.predict(Xt))
