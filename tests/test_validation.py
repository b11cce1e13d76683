"""Bad input gets a clear error before any work: argument, what was found, what was expected."""

# ruff: noqa: E501  (the table of cases reads best one case per line)

from __future__ import annotations

import numpy as np
import pytest

import nn
from nn.cli import main

RNG = np.random.default_rng(0)
X = RNG.random((5, 3))
y = np.array([0, 1, 2, 1, 0])


def with_value(arr, index, value):
    arr = arr.copy()
    arr[index] = value
    return arr


# (what, X, Y, fit keyword arguments, exception, fragments the message must contain)
CASES = [
    ("lengths differ", X, y[:4], {}, ValueError, ["Y has 4 rows", "X has 5"]),
    ("feature count", X[:, :2], y, {}, ValueError, ["X has 2 features", "expects 3"]),
    ("X is 1-D", X[:, 0], y, {}, ValueError, ["X must have shape (n_examples, n_features)", "(5,)"]),
    ("images", X.reshape(5, 3, 1), y, {}, ValueError, ["(5, 3, 1)", "reshape(len(X), -1)"]),
    ("label too big", X, with_value(y, 4, 7), {}, ValueError, ["Y", "0 to 7", "3 units", "0 .. 2"]),
    ("negative label", X, with_value(y, 1, -1), {}, ValueError, ["from -1 to 2", "0 .. 2"]),
    ("one-hot width", X, np.eye(4)[y], {}, ValueError, ["Y rows have width 4", "3 units", "np.eye(3)"]),
    ("float labels", X, y.astype(float), {}, TypeError, ["Y", "integer class labels", "float64", "Y.astype(int)"]),
    ("fractional labels", X, y + 0.5, {}, TypeError, ["integer class labels", "reshape(-1, 1)"]),
    ("NaN in X", with_value(X, (2, 1), np.nan), y, {}, ValueError, ["X holds 1 NaN", "row 2, column 1", "finite"]),
    ("inf in X", with_value(X, (4, 0), -np.inf), y, {}, ValueError, ["X holds 1 inf", "row 4, column 0"]),
    ("NaN in Y", X, with_value(np.eye(3)[y], (3, 2), np.nan), {}, ValueError, ["Y holds 1 NaN", "row 3, column 2"]),
    ("NaN label", X, with_value(y.astype(float), 0, np.nan), {}, ValueError, ["Y holds 1 NaN", "row 0"]),
    ("overflows float32", X * 1e300, y, {}, ValueError, ["too large for float32", "float64"]),
    ("empty", np.zeros((0, 3)), np.zeros(0, int), {}, ValueError, ["X is empty", "at least one"]),
    ("objects", np.array([[1, 2, "a"]] * 5, dtype=object), y, {}, TypeError, ["X has dtype object", "numbers"]),
    ("strings", X.astype(str), y, {}, TypeError, ["X holds strings", "numbers"]),
    ("string labels", X, np.array(list("abcab")), {}, TypeError, ["Y holds strings", "np.unique"]),
    ("ragged", [[1, 2, 3], [1, 2]] * 2 + [[1, 2, 3]], y, {}, ValueError, ["X could not be made", "same length"]),
    ("None", None, y, {}, TypeError, ["X must be an array of numbers", "None"]),
    ("complex", X.astype(complex), y, {}, TypeError, ["real numbers", "complex128"]),
    ("scalar Y", X, np.int64(3), {}, ValueError, ["Y must be an array", "scalar"]),
    ("epochs 0", X, y, {"epochs": 0}, ValueError, ["epochs must be a positive integer", "got 0"]),
    ("epochs float", X, y, {"epochs": 2.0}, TypeError, ["epochs", "float 2.0", "write 2"]),
    ("batch 0", X, y, {"batch_size": 0}, ValueError, ["batch_size must be a positive", "got 0"]),
    ("batch str", X, y, {"batch_size": "10"}, TypeError, ["batch_size", "str '10'"]),
    ("lr 0", X, y, {"lr": 0}, ValueError, ["lr must be a positive finite number", "got 0"]),
    ("lr negative", X, y, {"lr": -0.1}, ValueError, ["lr", "got -0.1"]),
    ("lr nan", X, y, {"lr": float("nan")}, ValueError, ["lr", "got nan"]),
    ("lr str", X, y, {"lr": "0.1"}, TypeError, ["lr must be a positive number", "str '0.1'"]),
    ("optimizer class", X, y, {"lr": None, "optimizer": nn.SGD}, TypeError, ["Optimizer instance", "nn.SGD(lr=0.1)"]),
    ("seed", X, y, {"seed": -1}, ValueError, ["seed must be an int >= 0", "-1"]),
    ("validation pair", X, y, {"validation_data": X}, TypeError, ["validation_data must be a pair"]),
    ("validation features", X, y, {"validation_data": (X[:, :2], y)}, ValueError, ["validation X has 2 features"]),
    ("validation labels", X, y, {"validation_data": (X, y + 5)}, ValueError, ["validation Y holds class labels"]),
    ("checkpoint dir", X, y, {"checkpoint": "/nonexistent/d/ck.npz"}, ValueError, ["checkpoint /nonexistent/d/ck.npz", "does not exist"]),
    ("checkpoint_every", X, y, {"checkpoint": "ck.npz", "checkpoint_every": 0}, ValueError, ["checkpoint_every", "got 0"]),
]  # fmt: skip


@pytest.mark.parametrize("what,X,Y,kwargs,exc,fragments", CASES, ids=[c[0] for c in CASES])
def test_fit_rejects_bad_input_before_any_work(what, X, Y, kwargs, exc, fragments):
    net = nn.mlp([3, 4, 3], seed=0)
    before = [p.copy() for _, p, _ in net.parameters()]
    args = {"epochs": 1, "batch_size": 2, "lr": 1.0, "verbose": False, **kwargs}
    with pytest.raises(exc) as info:
        net.fit(X, Y, **args)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))
    assert all(a.tobytes() == p.tobytes() for a, (_, p, _) in zip(before, net.parameters()))


def test_one_output_unit_takes_labels_0_and_1_only():
    net = nn.mlp([3, 2, 1], seed=0)
    with pytest.raises(ValueError, match="one unit, so labels must be 0 or 1"):
        net.fit(X, y, epochs=1, batch_size=2, lr=1.0, verbose=False)
    h = net.fit(X, y % 2 == 0, epochs=1, batch_size=2, lr=1.0, verbose=False)  # bools are fine
    assert h["accuracy"][0] is not None


def test_evaluate_predict_and_gradients_check_the_same_way():
    net = nn.mlp([3, 4, 3], seed=0)
    with pytest.raises(ValueError, match="X has 2 features per example but the first layer"):
        net.predict(X[:, :2])
    with pytest.raises(ValueError, match="X holds 1 NaN"):
        net.evaluate(with_value(X, (0, 0), np.nan), y)
    with pytest.raises(TypeError, match="integer class labels"):
        net.gradients(X, y.astype(float))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        net.predict(X, batch_size=0)
    assert net.predict(np.zeros((0, 3))).shape == (0, 3)  # predicting nothing is allowed


def test_integers_and_booleans_are_accepted_as_inputs():
    net = nn.mlp([3, 4, 3], seed=0, dtype=np.float64)
    a = net.predict((X * 10).astype(np.int16))
    b = net.predict((X * 10).astype(np.int16).astype(np.float64))
    assert a.dtype == np.float64 and np.array_equal(a, b)
    net.predict(X > 0.5)


def test_large_finite_inputs_whose_sum_overflows_are_accepted_and_nan_still_found():
    """The finiteness check sums the data in one pass; a sum that overflows float32 must not
    be taken for an inf, and a NaN or inf among huge values must still be found."""
    net = nn.mlp([3, 4, 3], seed=0)
    big = np.full((5, 3), 3e38, dtype=np.float32)  # finite, but the sum is inf in float32
    assert net.checked_inputs(big) is big
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match="X holds 1 (NaN|inf)"):
            net.checked_inputs(with_value(big, (4, 2), bad))


def test_a_network_with_nan_weights_is_refused_before_training():
    net = nn.mlp([3, 4, 3], seed=0)
    net.layers[0].W[0, 0] = np.nan
    with pytest.raises(ValueError, match="weights hold NaN or infinite values before training"):
        net.fit(X, y, epochs=1, batch_size=2, lr=1.0, verbose=False)


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["train", "--epochs", "0"], "--epochs must be a positive integer (1 or more), got 0"),
        (["train", "--batch-size", "-5"], "--batch-size must be a positive integer"),
        (["train", "--lr", "0"], "--lr must be a positive finite number"),
        (["train", "--lr", "nan"], "--lr must be a positive finite number"),
        (["train", "--resume"], "--resume continues from --checkpoint PATH"),
        (["train", "--checkpoint-every", "0", "--checkpoint", "c.npz"], "--checkpoint-every"),
        (["demo", "--epochs", "-1"], "--epochs must be a positive integer"),
        (["gradcheck", "--sizes", "5,x,3"], "--sizes must be integers separated by commas"),
        (["gradcheck", "--batch", "0"], "--batch must be a positive integer"),
    ],
)
def test_cli_rejects_bad_options_with_a_message(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("nn: error: ") and fragment in err and "Traceback" not in err


def test_cli_evaluate_on_the_wrong_dataset_says_so(tmp_path, capsys):
    path = tmp_path / "xor.npz"
    nn.mlp([2, 3, 1], seed=0).save(path)
    assert main(["evaluate", str(path), "--dataset", "digits"]) == 2
    assert "takes 2 inputs but digits examples have 784 features" in capsys.readouterr().err
