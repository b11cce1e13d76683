"""The playground without a browser or a server: settings, data, training, frames, the code."""

from __future__ import annotations

import base64
import contextlib
import io
import json

import numpy as np
import pytest

import nn
from nn.playground import settings as st
from nn.playground.code import python_code
from nn.playground.data import DATASETS, GRID, N_POINTS, lattice, make_data
from nn.playground.doctor import ask_the_doctor
from nn.playground.engine import L1SGD, Trainer
from nn.playground.frame import THUMB, frame, quantize, setup
from nn.playground.session import Session


# ------------------------------------------------------------------ settings
def test_defaults_round_trip_through_the_url():
    assert st.parse({}) == st.DEFAULTS
    s = st.parse({"dataset": "spiral", "hidden": "8,1,3", "features": "sinx2,x1", "lr": "0.03"})
    assert s.hidden == (8, 1, 3) and s.features == ("x1", "sinx2")  # the network's order
    assert st.parse(st.to_query(s)) == s
    assert st.parse({"hidden": ""}).hidden == ()
    assert st.parse({"show_test": "1"}).show_test is True


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"dataset": "nope"}, ["dataset", "circle", "'nope'"]),
        ({"lr": "-1"}, ["lr", "more than 0", "'-1'"]),
        ({"lr": "nan"}, ["lr", "'nan'"]),
        ({"lr": "1e999"}, ["lr"]),
        ({"lr": "banana"}, ["lr", "'banana'"]),
        ({"noise": "51"}, ["noise", "0 to 50", "51"]),
        ({"batch": "0"}, ["batch", "1 to 100"]),
        ({"ratio": "5.5"}, ["ratio", "whole number"]),
        ({"hidden": "9"}, ["hidden", "1 to 8", "9"]),
        ({"hidden": "1,1,1,1,1,1,1"}, ["hidden", "7 layers", "at most 6"]),
        ({"hidden": "2,,x"}, ["hidden", "'x'"]),
        ({"features": ""}, ["features", "at least one"]),
        ({"features": "x1,x3"}, ["features", "'x3'"]),
        ({"activation": "softmax"}, ["activation", "tanh"]),
        ({"init": "zeros"}, ["init", "he_normal"]),
        ({"lrr": "3"}, ["unknown setting 'lrr'", "lr"]),
        ({"show_test": "yes"}, ["show_test", "0, 1"]),
        ({"problem": "regression"}, ["dataset 'circle'", "plane, bumps"]),
        ({"problem": "regression", "dataset": "plane"}, ["cross_entropy", "squared_error"]),
        ({"dataset": "bumps"}, ["dataset 'bumps'", "classification"]),
        ({"seed": "-3"}, ["seed", "-3"]),
    ],
)
def test_bad_settings_say_which_and_what_is_allowed(query, words):
    with pytest.raises(st.SettingsError) as info:
        st.parse(query)
    for word in words:
        assert word in str(info.value)


def test_every_bad_setting_is_named_at_once():
    with pytest.raises(st.SettingsError) as info:
        st.parse({"dataset": "nope", "lr": "0", "speed": "warp", "batch": [1]})
    message = str(info.value)
    assert all(key in message for key in ("dataset", "lr", "speed", "batch must be given as text"))


# ------------------------------------------------------------------ data
@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_data_set_fills_the_picture_and_splits(name):
    problem = "regression" if name in st.REGRESSION else "classification"
    loss = "squared_error"
    s = st.parse({"dataset": name, "problem": problem, "loss": loss, "ratio": "30", "noise": "20"})
    data = make_data(s)
    assert data.points.shape == (N_POINTS, 2) and data.n_train == 150
    inside = np.abs(data.points).max(axis=1) < 6.0  # the picture shows [-6, 6]^2
    assert 3.0 < np.abs(data.points).max() and inside.mean() > 0.98
    assert data.X_train.shape == (150, 2) and data.X_test.shape == (350, 2)
    if problem == "classification":
        assert set(np.unique(data.targets)) == {0, 1}
    else:
        assert data.targets.shape == (N_POINTS, 1)
    assert data.grid.shape == (GRID * GRID, 2)


def test_features_are_computed_on_the_placed_points():
    s = st.parse({"features": "x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2"})
    data = make_data(s)
    x1, x2 = data.points[: data.n_train, 0], data.points[: data.n_train, 1]
    expected = np.column_stack([x1, x2, x1 * x1, x2 * x2, x1 * x2, np.sin(x1), np.sin(x2)])
    np.testing.assert_array_equal(data.X_train, expected)
    grid = lattice()
    assert grid[0].tolist() == [-6.0, 6.0] and grid[-1].tolist() == [6.0, -6.0]  # image order


# ------------------------------------------------------------------ training
def test_training_lowers_the_loss_and_counts_epochs():
    t = Trainer(st.parse({"dataset": "xor", "hidden": "8,8"}))
    before = t.losses()
    assert t.train(250) == 250  # 25 steps of 10 per epoch of 250 training points
    assert t.step == 250 and t.epoch == 10 and t.epochs_done == 10.0
    after = t.losses()
    assert after[0] < 0.5 * before[0] and after[1] < 0.5 * before[1]


def test_the_seed_setup_learns_slower_than_a_fast_one():
    slow = Trainer(st.parse({"activation": "sigmoid", "init": "normal", "loss": "squared_error"}))
    fast = Trainer(st.parse({"activation": "tanh", "init": "glorot_uniform"}))
    slow.train(1000)
    fast.train(1000)

    def accuracy(t):  # on the test points
        p = t.network.predict(t.data.X_test)[:, 0] > 0.5
        return np.mean(p == t.data.Y_test)

    assert accuracy(fast) > 0.95 and accuracy(slow) < 0.75


def test_reset_gives_the_same_start_and_retune_keeps_the_weights():
    t = Trainer(st.DEFAULTS)
    W0 = t.network.layers[0].params["W"].copy()
    t.train(7)
    t.retune(st.parse({"lr": "0.01", "batch": "3", "reg": "l1", "reg_rate": "0.1"}))
    assert isinstance(t.optimizer, L1SGD) and t.optimizer.lr == 0.01
    assert not np.array_equal(t.network.layers[0].params["W"], W0) and t.step == 7
    t.reset()
    np.testing.assert_array_equal(t.network.layers[0].params["W"], W0)
    assert t.step == 0 and t.diverged is None


@pytest.mark.parametrize("activation", st.ACTIVATIONS)
@pytest.mark.parametrize("loss", st.LOSSES)
def test_every_activation_init_and_loss_builds_trains_and_draws(activation, loss):
    for init in sorted(nn.layers.initializers.INITIALIZERS):
        s = st.parse({"activation": activation, "loss": loss, "init": init, "hidden": "3"})
        t = Trainer(s)
        t.train(3)
        json.dumps(frame(t, 1, 3, True), allow_nan=False)
    t = Trainer(st.parse({"activation": activation, "hidden": "", "features": "x1x2"}))
    t.train(3)  # no hidden layer: logistic regression on one feature
    assert len(frame(t, 1, 3, True)["neurons"]) == 1


def test_divergence_is_caught_and_said_in_words():
    s = st.parse(
        {"problem": "regression", "dataset": "plane", "loss": "squared_error", "lr": "100"}
    )
    t = Trainer(s)
    done = t.train(10_000)
    assert done < 10_000 and t.diverged is not None
    assert "diverged at step" in t.diverged and "learning rate 100" in t.diverged
    assert t.train(5) == 0  # it stays stopped
    body = json.dumps(frame(t, 1, done, False), allow_nan=False)  # NaN becomes null
    assert "diverged" in body


def test_l1_adds_the_sign_of_the_weights_to_their_gradients():
    W, b = np.array([[0.5, -2.0]]), np.array([1.0, -1.0])
    gW, gb = np.zeros_like(W), np.zeros_like(b)
    L1SGD(0.1, l1=0.3).step([("0.W", W, gW), ("0.b", b, gb)])
    np.testing.assert_allclose(W, [[0.5 - 0.03, -2.0 + 0.03]])
    np.testing.assert_array_equal(b, [1.0, -1.0])  # biases are not penalized


# ------------------------------------------------------------------ what the page gets
def test_quantize_maps_minus_one_to_one_and_marks_nan():
    q = base64.b64decode(quantize(np.array([-1.0, 0.0, 1.0, 7.0, -np.inf, np.nan])))
    assert list(q) == [0, 127, 254, 254, 0, 255]


def test_a_frame_has_every_picture_and_the_seeds_questions():
    t = Trainer(st.parse({"hidden": "3,2", "activation": "relu", "init": "he_normal"}))
    t.train(5)
    f = frame(t, 4, 5, True)
    json.dumps(f, allow_nan=False)
    assert [len(layer) for layer in f["neurons"]] == [3, 2, 1]
    assert all(len(base64.b64decode(p)) == THUMB * THUMB for layer in f["neurons"] for p in layer)
    output = np.frombuffer(base64.b64decode(f["output"]), np.uint8).reshape(GRID, GRID)
    thumb = np.frombuffer(base64.b64decode(f["neurons"][-1][0]), np.uint8)
    np.testing.assert_array_equal(output[::2, ::2].ravel(), thumb)  # every other point
    assert (f["frame"], f["step"], f["steps_per_update"], f["playing"]) == (4, 5, 5, True)
    assert len(f["speed"]) == 3 and all(v > 0 for v in f["speed"])
    speeds = nn.diagnostics.measure.speed_of_learning(t.network, t.X, t.T)
    np.testing.assert_allclose(f["speed"], speeds)
    assert f["saturated"][:2] == [None, None] and f["saturated"][2] is not None  # sigmoid out
    assert f["dead"][2] is None and all(0 <= d <= 1 for d in f["dead"][:2])  # ReLU layers
    assert [np.shape(W) for W in f["weights"]] == [(2, 3), (3, 2), (2, 1)]
    s = setup(t)
    assert s["layers"] == [2, 3, 2, 1] and len(s["train"]) == 250 and len(s["test"]) == 250
    assert st.parse(s["settings"]) == t.settings


def test_the_doctor_reads_a_copy_and_tells_the_seeds_setup_from_a_fast_one():
    t = Trainer(st.parse({"activation": "sigmoid", "init": "normal", "loss": "squared_error"}))
    W = t.network.layers[0].params["W"].copy()
    report = ask_the_doctor(t)
    np.testing.assert_array_equal(t.network.layers[0].params["W"], W)
    assert not report["ok"] and report["step"] == 0
    assert "loss_at_guessing_level" in {f["id"] for f in report["findings"]}
    assert all(f["meaning"] and f["evidence"] and f["suggestion"] for f in report["findings"])
    assert "Probe:" in report["report"]
    fast = ask_the_doctor(Trainer(st.DEFAULTS))
    assert fast["ok"] and fast["findings"] == []


# ------------------------------------------------------------------ "show as Python"
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"dataset": "xor", "reg": "l1", "reg_rate": "0.001", "batch": "7", "ratio": "30"},
        {
            "dataset": "moons",
            "reg": "l2",
            "reg_rate": "0.01",
            "noise": "20",
            "features": "x1,sinx1",
        },
        {"dataset": "spiral", "features": "x1,x2,x1sq,x2sq,x1x2", "hidden": "5", "seed": "9"},
        {"dataset": "gauss", "activation": "sigmoid", "init": "normal", "loss": "squared_error"},
        {"problem": "regression", "dataset": "bumps", "loss": "squared_error", "lr": "0.03"},
    ],
)
def test_the_python_code_runs_and_ends_on_the_pages_weights_bit_for_bit(query):
    s = st.parse(query)
    t = Trainer(s)
    epochs = 2
    t.train(epochs * -(-t.data.n_train // s.batch))
    assert (t.epoch, t.position) == (epochs, 0)
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(python_code(s, epochs), "<playground>", "exec"), namespace)
    page, script = t.network.layers, namespace["net"].layers
    for a, b in zip(page, script):
        for key in a.params:
            assert a.params[key].tobytes() == b.params[key].tobytes()
    train, test = t.losses()
    assert f"train loss {train:.4f}, test loss {test:.4f}" in printed.getvalue()
    assert "speed of learning per layer" in printed.getvalue()


# ------------------------------------------------------------------ pacing
def test_a_session_sends_no_frame_while_two_wait_to_be_drawn():
    session = Session(st.DEFAULTS, "x")
    first = session.messages(since_frame=10.0)
    assert [e for e, _ in first] == ["setup", "frame"]
    assert session.messages(since_frame=0.5) == []  # nothing new to show
    session.control("step")
    (event, body), *_ = session.messages(since_frame=0.5)  # frame 1 not drawn: one may go
    assert event == "frame" and body["frame"] == 2 and body["step"] == 1
    session.control("step")
    assert session.messages(since_frame=0.5) == []  # frames 1 and 2 not drawn
    session.acknowledge(2)  # the page drew 2 (and dropped 1)
    (event, body), *_ = session.messages(since_frame=0.5)
    assert body["frame"] == 3 and body["step"] == 2 and body["steps_per_update"] == 1
    session.control("step")
    assert session.messages(since_frame=0.001) == []  # at most FPS frames a second
    assert session.messages(since_frame=2.0) != []  # ... and one after STALL seconds anyway
    session.control("reset")
    session.acknowledge(4)
    (event, body), *_ = session.messages(since_frame=0.5)
    assert body["step"] == 0 and body["run"] == 2  # the page clears its curves


def test_live_settings_keep_training_and_others_start_again():
    session = Session(st.DEFAULTS, "x")
    session.control("step")
    assert session.apply(st.parse({"lr": "0.3", "speed": "max"})) is False
    assert session.trainer.step == 1 and session.trainer.optimizer.lr == 0.3
    data = session.trainer.data
    assert session.apply(st.parse({"activation": "relu"})) is True
    assert session.trainer.step == 0 and session.trainer.data is data  # same points
    assert session.apply(st.parse({"activation": "relu", "noise": "10"})) is True
    assert session.trainer.data is not data
    with pytest.raises(st.SettingsError, match="action"):
        session.control("jump")
