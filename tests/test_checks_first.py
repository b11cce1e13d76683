"""Class 3 of issue 13: arguments and their combinations are checked before any work.

Before, each case below began work and then failed (a bare assert after 5 steps, a whole
epoch before EarlyStopping noticed, an epoch trained and lost to a read-only directory,
NumPy's messages, a memory traceback), or was silently ignored (``--early-stopping 0``,
``--momentum`` with plain SGD, ``--sizes`` with ``nn diagnose --model``).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import nn
import nn.cli
from nn.cli import main

rng = np.random.default_rng(0)
X = rng.random((40, 3)).astype(np.float32)
y = np.arange(40) % 3


class Counting(nn.Callback):
    """Fails the test if training starts."""

    def on_step_end(self, network, epoch, step, loss):
        raise AssertionError("a step ran before the arguments were refused")


LIBRARY = [
    ("checkpoint_every without checkpoint", {"checkpoint_every": 5}, ValueError,
     "but no checkpoint was given"),
    ("EarlyStopping on val_loss without validation", {"callbacks": [nn.EarlyStopping()]},
     ValueError, "watches val_loss, which this fit will not produce: there is no validation"),
    ("EarlyStopping on accuracy of real targets", None, ValueError, "targets are not classes"),
    ("a checkpoint into /proc", {"checkpoint": "/proc/ck.npz"}, ValueError,
     "no file can be created in /proc"),
    ("validation_split NaN", {"validation_split": float("nan")}, ValueError, "validation_split"),
    ("validation_split inf", {"validation_split": float("inf")}, ValueError, "validation_split"),
    ("validation_split a string", {"validation_split": "0.1"}, TypeError, "validation_split"),
    ("validation_split an array", {"validation_split": np.array([0.1])}, TypeError,
     "validation_split"),
    ("callbacks None", {"callbacks": None}, TypeError, "callbacks must be a list"),
    ("a callback class", {"callbacks": [nn.EarlyStopping]}, TypeError,
     "is the class EarlyStopping, not a callback: pass an instance"),
    ("a callback without hooks", {"callbacks": [object()]}, TypeError, "has no on_train_begin"),
    ("resume from a device", {"resume": "/dev/null"}, ValueError, "not a regular file"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "kwargs", "error", "says"), LIBRARY, ids=[c[0] for c in LIBRARY])
def test_fit_refuses_before_any_step(what, kwargs, error, says, tmp_path):
    net = nn.mlp([3, 4, 3], seed=0)
    before = [p.copy() for _, p, _ in net.parameters()]
    Y = y
    if kwargs is None:  # real-valued targets: no accuracy to watch
        kwargs, Y = {"callbacks": [nn.EarlyStopping("accuracy")]}, rng.random((40, 3))
    callbacks = kwargs.pop("callbacks", []) if isinstance(kwargs.get("callbacks"), list) else None
    args = {"epochs": 2, "batch_size": 4, "lr": 1.0, "verbose": False, **kwargs}
    if callbacks is not None:
        args["callbacks"] = [*callbacks, Counting()]
    with pytest.raises(error, match=says):
        net.fit(X, Y, **args)
    assert all(
        a.tobytes() == b.tobytes() for a, b in zip(before, (p for _, p, _ in net.parameters()))
    )


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: nn.SGD("3.0"), "lr must be a number"),
        (lambda: nn.SGD(3.0, momentum=True), "momentum must be a number in .0, 1., got bool"),
        (lambda: nn.SGD(3.0, momentum=0.9, nesterov="yes"), "nesterov must be True or False"),
        (lambda: nn.Adam(beta1="0.9"), "beta1 must be a number"),
        (lambda: nn.RMSProp(eps=float("nan")), "eps must be a finite number"),
        (lambda: nn.SGD(1.0, weight_decay="0"), "weight_decay must be a number"),
        (lambda: nn.StepDecay(10, factor="0.5"), "factor must be a number"),
        (lambda: nn.CosineDecay(10, final=None), "final must be a number"),
        (lambda: nn.Dropout("0.5"), "rate .* must be a number"),
        (lambda: nn.LeakyReLU(float("inf")), "alpha must be a finite number"),
        (lambda: nn.EarlyStopping(min_delta="0.1"), "min_delta must be a number"),
        (lambda: nn.EarlyStopping(restore_best="no"), "restore_best must be True or False"),
        (lambda: nn.mlp([3, 4, 3], dropout="0.2"), "dropout .* must be a number"),
    ],
)
def test_settings_that_are_numbers_must_be_given_as_numbers(make, says):
    with pytest.raises((TypeError, ValueError), match=says):
        make()


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a command loads its data (or a model) before refusing its options."""

    def work(*args, **kwargs):
        raise AssertionError("the command started work before checking its options")

    for module in ("nn.cli.train", "nn.cli.diagnose"):
        monkeypatch.setattr(f"{module}.load_dataset", work)
    monkeypatch.setattr("nn.cli.diagnose.load", work)


COMMAND = [
    (["train", "--checkpoint-every", "5"], "--checkpoint-every says how often"),
    (["train", "--sizes", "784,1000000000,10"], "--sizes 784,1000000000,10: that network has "
     "795,000,000,010 parameters, 2.9 TiB in float32"),
    (["train", "--sizes", "784,0,10"], "every layer needs at least one unit"),
    (["train", "--early-stopping", "0", "--validation-split", "0.1"],
     "--early-stopping (epochs without improvement) must be a positive integer"),
    (["train", "--momentum", "0.9"], "--momentum 0.9 has no effect with --optimizer sgd"),
    (["train", "--optimizer", "adam", "--momentum", "0.5"], "has no effect with --optimizer adam"),
    (["train", "--optimizer", "momentum", "--momentum", "1.5"], "--momentum must be"),
    (["train", "--validation-split", "1.0"], "--validation-split is the fraction"),
    (["train", "--validation-split", "nan"], "--validation-split is the fraction"),
    (["train", "--validation-split", "-0.1"], "--validation-split is the fraction"),
    (["train", "--weight-decay", "-1"], "--weight-decay must be"),
    (["train", "--clip-norm", "0"], "--clip-norm must be"),
    (["train", "--dropout", "1"], "--dropout must be"),
    (["train", "--schedule", "linear"], "--schedule 'linear' is not understood"),
    (["train", "--seed", "-1"], "--seed must be 0 or more"),
    (["train", "--checkpoint", "/proc/ck.npz"], "no file can be created in /proc"),
    (["train", "--save", "{fifo}"], "not a regular file"),  # never /dev/null: root could lose it
    (["diagnose", "--model", "m.npz", "--sizes", "784,30,10", "--activation", "relu"],
     "--sizes, --activation describe a new network, but --model gives a saved one"),
    (["diagnose", "--model", "m.npz", "--dtype", "float64"], "--dtype describe a new network"),
    (["diagnose", "--every", "0"], "--every must be a positive integer"),
    (["train", "--dataset", "names", "--sizes", "14,30,27", "--loss", "squared_error"],
     "--sizes, --loss describe a dense network, but --dataset names trains a character model"),
    (["train", "--dataset", "names", "--hidden", "0"], "--hidden must be a positive integer"),
    (["diagnose", "--momentum", "0.5"], "has no effect with --optimizer sgd"),
    (["gradcheck", "--model", "m.npz", "--sizes", "3,2"], "--sizes describe a random network"),
    (["gradcheck", "--sizes", "5,100000000,3"], "that network has"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "says"), COMMAND, ids=[" ".join(c[0]) for c in COMMAND])
def test_the_command_refuses_before_loading_anything(argv, says, no_work, capsys, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    argv = [a.replace("{fifo}", str(fifo)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nn: error: "), err
    assert says in lines[0], lines[0]


def test_the_classes_of_each_dataset_are_those_it_loads():
    """``--sizes`` is checked against these before loading: they must be the data's."""
    from nn.cli.options import DATASET_CLASSES, DATASETS, load_dataset
    from nn.cli.sequence import SEQUENCE_DATASETS

    assert set(DATASET_CLASSES) | set(SEQUENCE_DATASETS) == set(DATASETS)
    for name in ("digits", "xor", "moons", "circles", "spirals"):  # mnist's files may be absent
        (_, y), (_, yt) = load_dataset(name)
        assert int(max(y.max(), yt.max())) + 1 == DATASET_CLASSES[name], name
