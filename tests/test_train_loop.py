"""The loop outside the model: ``nn.train.fit``, and ``Network.fit`` as its convenience.

``nn.train.fit(net, ...)`` and ``net.fit(...)`` must train to the same bits; the loop must
be the few lines a reader expects (one permutation per epoch from the seed's generator, the
validation split drawn first, then ``train_step`` per mini-batch); and the helpers that moved
out of ``nn.core.network`` (the epoch line, ``duration``, the validation split) keep working.
"""

from __future__ import annotations

import inspect
import re
import warnings

import numpy as np
import pytest
from conftest import InterruptAt

import nn
import nn.train
from nn.core.errors import Diverged
from nn.train.loop import split_off_validation
from nn.train.progress import duration, epoch_line


def data(n=41, n_in=4, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, n_in)).astype(np.float32), rng.integers(0, n_out, n)


def weights(net):
    return [p.tobytes() for _, p, _ in net.parameters()]


def without_seconds(history):
    return {k: v for k, v in history.items() if k != "seconds"}


# ---------------------------------------------------------------- the two entry points
CONFIGS = {
    "plain": (lambda: nn.mlp([4, 6, 3], seed=1), {"lr": 1.0}),
    "split": (lambda: nn.mlp([4, 6, 3], seed=1), {"lr": 0.5, "validation_split": 0.25}),
    "dropout": (
        lambda: nn.mlp([4, 8, 3], dropout=0.3, seed=2),
        {"optimizer": "adam", "validation_split": 0.2},
    ),
    "validation_data": (lambda: nn.mlp([4, 5, 3], seed=3), {"lr": 2.0, "validation": True}),
}


def options(config, X, y):
    kw = dict(config)
    if kw.pop("optimizer", None) == "adam":
        kw["optimizer"] = nn.Adam(0.01)  # a fresh optimizer (it keeps state) for every run
    if kw.pop("validation", False):
        kw["validation_data"] = (X[:9], y[:9])
    return kw


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_nn_train_fit_and_network_fit_train_to_the_same_bits(name):
    make, config = CONFIGS[name]
    X, y = data()
    a, b = make(), make()
    h_a = nn.train.fit(
        a, X, y, epochs=3, batch_size=4, seed=7, verbose=False, **options(config, X, y)
    )
    h_b = b.fit(X, y, epochs=3, batch_size=4, seed=7, verbose=False, **options(config, X, y))
    assert weights(a) == weights(b)
    assert without_seconds(h_a) == without_seconds(h_b)
    assert len(h_a["epoch"]) == 3 and h_a["loss"][-1] != h_a["loss"][0]  # it trained
    if "dropout" in name:  # the dropout masks were drawn alike too
        states = [
            [str(layer.rng.bit_generator.state) for layer in n.layers if hasattr(layer, "rng")]
            for n in (a, b)
        ]
        assert states[0] == states[1] and states[0]


def test_a_run_stopped_by_network_fit_resumes_with_nn_train_fit(tmp_path):
    X, y = data()
    make = CONFIGS["dropout"][0]

    def train(net, entry, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", nn.TrainingInterrupted)
            return entry(
                net, X, y, epochs=4, batch_size=4, optimizer=nn.Adam(0.01), seed=5,
                validation_split=0.2, verbose=False, **kw,
            )  # fmt: skip

    full = make()
    h_full = train(full, nn.Network.fit)
    path = tmp_path / "ck.npz"
    h_part = train(make(), nn.Network.fit, checkpoint=path, checkpoint_every=3,
                   callbacks=[InterruptAt(13)])  # fmt: skip
    assert h_part["stopped"]["step"] == 13  # mid-epoch 2 (33 examples: 9 steps per epoch)
    resumed = make()
    h_res = train(resumed, nn.train.fit, checkpoint=path, checkpoint_every=3, resume=True)
    assert weights(resumed) == weights(full)
    assert without_seconds(h_res) == without_seconds(h_full)


def test_network_fit_has_the_signature_and_the_parameters_of_nn_train_fit():
    loop = inspect.signature(nn.train.fit)
    method = inspect.signature(nn.Network.fit)
    assert list(loop.parameters)[0] == "network"
    assert [p for n, p in loop.parameters.items() if n != "network"] == [
        p for n, p in method.parameters.items() if n != "self"
    ]

    def documented(func):  # the names of numpydoc's Parameters section
        doc = inspect.cleandoc(func.__doc__)
        section = doc.split("Parameters\n")[1].split("Returns\n")[0]
        found = re.findall(r"^(\w+(?:, \w+)*) :", section, flags=re.MULTILINE)
        return [name for entry in found for name in entry.split(", ")]

    assert documented(nn.train.fit) == ["network", *documented(nn.Network.fit)]
    assert documented(nn.Network.fit) == [n for n in method.parameters if n != "self"]


# ---------------------------------------------------------------- what the loop is
def test_the_loop_is_one_permutation_per_epoch_and_a_train_step_per_mini_batch():
    """The loop written out by hand, as a reader of loop.py would expect it to run."""
    X, y = data(n=23)
    net, by_hand = nn.mlp([4, 6, 3], seed=1), nn.mlp([4, 6, 3], seed=1)
    history = nn.train.fit(
        net, X, y, epochs=3, batch_size=5, lr=1.0, seed=4, validation_split=0.2, verbose=False
    )
    rng, opt = np.random.default_rng(4), nn.SGD(1.0)
    split = rng.permutation(23)  # drawn first: round(0.2 * 23) = 5 examples held out
    held_out, kept = split[:5], split[5:]
    Xt, Tt = X[kept], np.eye(3, dtype=np.float32)[y[kept]]
    losses = []
    for _ in range(3):
        order, total = rng.permutation(18), 0.0  # one permutation per epoch
        for i in range(0, 18, 5):  # the last mini-batch holds 3
            idx = order[i : i + 5]
            _, loss = by_hand.train_step(Xt[idx], Tt[idx], opt)
            total += loss * len(idx)
        losses.append(total / 18)
    assert weights(net) == weights(by_hand)
    assert history["loss"] == losses
    assert history["val_loss"][-1] == net.evaluate(X[held_out], y[held_out])["loss"]


class Delegate:
    """Not a Network: only the methods and attributes the loop documents it uses."""

    def __init__(self, net):
        self.net, self.layers, self.steps = net, net.layers, 0

    def checked_inputs(self, X, name="X", allow_empty=False):
        return self.net.checked_inputs(X, name=name, allow_empty=allow_empty)

    def checked_targets(self, Y, n, name="Y"):
        return self.net.checked_targets(Y, n, name=name)

    def parameters(self):
        return self.net.parameters()

    def train_step(self, X, T, optimizer, run=None):
        self.steps += 1
        return self.net.train_step(X, T, optimizer, run)

    def evaluate(self, X, Y):
        return self.net.evaluate(X, Y)


def test_fit_trains_any_object_with_the_network_interface():
    X, y = data()
    inner, reference = nn.mlp([4, 6, 3], seed=1), nn.mlp([4, 6, 3], seed=1)
    duck = Delegate(inner)
    h = nn.train.fit(duck, X, y, epochs=2, batch_size=8, lr=1.0, seed=0,
                     validation_split=0.25, verbose=False)  # fmt: skip
    h_ref = reference.fit(X, y, epochs=2, batch_size=8, lr=1.0, seed=0,
                          validation_split=0.25, verbose=False)  # fmt: skip
    assert duck.steps == 2 * 4  # 31 training examples in mini-batches of 8
    assert weights(inner) == weights(reference)
    assert without_seconds(h) == without_seconds(h_ref)


def test_arguments_are_checked_in_order_before_any_work():
    X, y = data()
    net = nn.mlp([4, 6, 3], seed=1)
    before = weights(net)
    cases = [  # each has every later mistake too: the first one is reported
        ({"epochs": 0, "batch_size": 0}, ValueError, "epochs"),
        ({"epochs": 1, "batch_size": 0}, ValueError, "batch_size"),
        ({"lr": None, "seed": "x"}, ValueError, "exactly one of lr"),
        ({"lr": -1.0, "seed": "x"}, ValueError, "lr must be"),
        ({"seed": "x", "validation_name": 3}, TypeError, "seed must be"),
        ({"validation_name": 3, "checkpoint": 5}, TypeError, "validation_name"),
        ({"checkpoint": 5, "validation_split": 2.0}, TypeError, "checkpoint must be"),
        ({"resume": "/no/such/ck.npz", "validation_split": 2.0}, FileNotFoundError, "resume"),
        ({"validation_split": 0.2, "validation_data": (X,)}, ValueError, "not both"),
        ({"validation_split": 2.0}, ValueError, r"must be in \(0, 1\)"),
        ({"validation_data": (X,)}, TypeError, "validation_data must be a pair"),
    ]
    for kw, error, message in cases:
        full = {"epochs": 1, "batch_size": 2, "lr": 1.0, "verbose": False, **kw}
        with pytest.raises(error, match=message):
            nn.train.fit(net, X, y, **full)
        with pytest.raises(error, match=message):
            net.fit(X, y, **full)
    assert weights(net) == before


# ---------------------------------------------------------------- warnings name the caller
def diverging():
    X = np.random.default_rng(0).standard_normal((40, 3)).astype(np.float32) * 10
    net = nn.Network([nn.Dense(3, 2, rng=0)], nn.SquaredError())
    return net, X, X[:, :2] * 3


@pytest.mark.parametrize("entry", ["nn.train.fit", "Network.fit"])
@pytest.mark.parametrize("how", ["diverged", "interrupted", "interrupted, then diverged"])
def test_the_stop_warning_points_at_the_line_that_called_fit(entry, how):
    net, X, Y = diverging()
    fit = nn.train.fit if entry == "nn.train.fit" else nn.Network.fit
    kw = {"epochs": 5, "batch_size": 8, "lr": 100.0, "seed": 0, "verbose": False}
    if how == "interrupted":
        kw.update(lr=1e-3, callbacks=[InterruptAt(2)])
    elif how.startswith("interrupted"):  # the weights are inf by then: the replay finds it
        kw.update(lr=1e39, callbacks=[InterruptAt(1)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        history = fit(net, X, Y, **kw)
    category = nn.TrainingInterrupted if how == "interrupted" else nn.TrainingDiverged
    assert [w.category for w in caught] == [category]
    assert history["stopped"]["reason"] == how.split(", then ")[-1]
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)


def test_train_step_raises_diverged_before_the_update():
    net, X, Y = diverging()
    X[0, 0] = np.inf  # an inf input: the loss is not finite
    before = weights(net)
    with pytest.raises(Diverged, match="the loss became"), np.errstate(invalid="ignore"):
        net.train_step(X[:4], Y[:4], nn.SGD(0.1))
    assert weights(net) == before
    assert nn.train.safeguards.Diverged is Diverged  # the old name still works


# ---------------------------------------------------------------- the moved helpers
def test_split_off_validation_holds_out_the_first_of_one_permutation():
    X, y = data(n=10)
    T = np.eye(3, dtype=np.float32)[y]
    Xt, Tt, labels, (Xv, yv) = split_off_validation(X, T, y, y, 0.3, None, np.random.default_rng(3))
    order = np.random.default_rng(3).permutation(10)
    assert Xv.tobytes() == X[order[:3]].tobytes() and yv.tolist() == y[order[:3]].tolist()
    assert Xt.tobytes() == X[order[3:]].tobytes() and Tt.tobytes() == T[order[3:]].tobytes()
    assert labels.tolist() == y[order[3:]].tolist()
    # real-valued targets: no labels, and Y_val keeps the caller's format
    Y = np.random.default_rng(1).random((10, 2))
    _, _, none, (_, Yv) = split_off_validation(X, Y, None, Y, 0.5, None, np.random.default_rng(0))
    assert none is None and Yv.shape == (5, 2)


@pytest.mark.parametrize(
    ("fraction", "validation_data", "message"),
    [
        (0.2, ("X", "Y"), "not both"),
        (1.0, None, "1.0 of 10 examples gives 10"),
        (0.01, None, "gives 0 for validation"),
        (-0.5, None, r"must be in \(0, 1\)"),
    ],
)
def test_split_off_validation_refuses_what_leaves_a_side_empty(fraction, validation_data, message):
    X, y = data(n=10)
    with pytest.raises(ValueError, match=message):
        split_off_validation(X, y, y, y, fraction, validation_data, np.random.default_rng(0))


def test_the_epoch_line_shows_what_the_history_has():
    history = {
        "epoch": [1, 2], "loss": [0.5, 0.25], "accuracy": [None, 0.875],
        "val_loss": [None, 0.3125], "val_accuracy": [None, 0.75], "seconds": [1.0, 0.0423],
    }  # fmt: skip
    assert epoch_line(history, 30) == (
        "Epoch 2/30: loss 0.2500, accuracy 0.8750, val_loss 0.3125, val_accuracy 0.7500 (42 ms)"
    )
    assert "test_loss 0.3125, test_accuracy 0.7500" in epoch_line(history, 30, "test")
    regression = {k: v[:1] for k, v in history.items()}
    assert epoch_line(regression, 3) == "Epoch 1/3: loss 0.5000 (1.0 s)"


def test_fit_prints_the_epoch_line_and_the_resume_line(tmp_path, capsys):
    X, y = data()
    path = tmp_path / "ck.npz"
    nn.train.fit(nn.mlp([4, 6, 3], seed=1), X, y, epochs=1, batch_size=8, lr=1.0, seed=0,
                 checkpoint=path, validation_data=(X, y), validation_name="test")  # fmt: skip
    first = capsys.readouterr().out.splitlines()
    assert len(first) == 1 and re.fullmatch(
        r"Epoch 1/1: loss \d\.\d{4}, accuracy \d\.\d{4}, test_loss \d\.\d{4}, "
        r"test_accuracy \d\.\d{4} \(.+\)",
        first[0],
    )
    nn.train.fit(nn.mlp([4, 6, 3], seed=1), X, y, epochs=2, batch_size=8, lr=1.0, seed=0,
                 checkpoint=path, resume=True, validation_data=(X, y))  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Resuming from {path}: epoch 2, 6 steps done"
    assert lines[1].startswith("Epoch 2/2: loss ") and len(lines) == 2
    nn.train.fit(nn.mlp([4, 6, 3], seed=1), X, y, epochs=2, batch_size=8, lr=1.0, seed=0,
                 checkpoint=path, resume=True, validation_data=(X, y))  # fmt: skip
    assert capsys.readouterr().out.splitlines() == [
        f"The run in {path} finished after epoch 2 of 2: nothing left to train"
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(2.34, "2.3 s"), (0.9996, "1.0 s"), (0.0123, "12 ms"), (1e-6, "< 0.01 ms")],
)
def test_duration_from_its_new_home(seconds, text):
    assert duration(seconds) == text
