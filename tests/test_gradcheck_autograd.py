"""check_gradients(reference="autograd"): the tensor engine as an exact reference.

Both routes are exact to rounding, so every layer and loss of the library must agree with the
engine to 1e-10 of each tensor's largest entry, and a planted bug far smaller than finite
differences can see (1e-7 relative) must be called a mismatch, naming the layer whose
backward departs from the engine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from nn.check.gradcheck import AUTOGRAD_TOL, REFERENCES
from nn.cli import main
from nn.layers.activations import Sigmoid
from nn.layers.dense import Dense
from nn.losses import SquaredError


def _dense(n_in, n_out, rng):
    return nn.Dense(n_in, n_out, rng=rng, dtype=np.float64)


def _network(kind, rng):
    """A float64 network with non-square sizes, its batch and its targets."""
    batch, n_in, hidden, n_out = 7, 5, 6, 3
    d = lambda i, o: _dense(i, o, rng)  # noqa: E731
    layers, loss = {
        "sigmoid-squared": ([d(n_in, hidden), nn.Sigmoid(), d(hidden, n_out), nn.Sigmoid()],
                            nn.SquaredError()),
        "tanh-dropout-cross": ([d(n_in, hidden), nn.Tanh(), nn.Dropout(0.3, rng=rng),
                                d(hidden, n_out), nn.Sigmoid()], nn.CrossEntropy()),
        "relu-leaky-softmax": ([d(n_in, hidden), nn.ReLU(), d(hidden, hidden + 1),
                                nn.LeakyReLU(0.2), d(hidden + 1, n_out), nn.Softmax()],
                               nn.CategoricalCrossEntropy()),
        "identity-dropout-fused": ([d(n_in, hidden), nn.Identity(), nn.Dropout(0.5, rng=rng),
                                    d(hidden, n_out)], nn.SoftmaxCrossEntropy()),
    }[kind]  # fmt: skip
    X = 2 * rng.standard_normal((batch, n_in))
    Y = rng.integers(0, n_out, batch) if "soft" in kind else rng.random((batch, n_out))
    return nn.Network(layers, loss), X, Y


KINDS = ["sigmoid-squared", "tanh-dropout-cross", "relu-leaky-softmax", "identity-dropout-fused"]


def _sigmoid_net():
    """[5, 4, 3, 2] of sigmoids with squared error: layers 1, 3 and 5 are Sigmoids."""
    rng = np.random.default_rng(0)
    net = nn.mlp([5, 4, 3, 2], seed=0, dtype=np.float64)
    return net, rng.standard_normal((8, 5)), rng.random((8, 2))


def _plant(monkeypatch, cls, factor, only=None):
    """``cls.backward`` returns its result times ``factor`` (on layers where ``only`` holds)."""
    backward = cls.backward

    def buggy(self, dy, **kwargs):
        out = backward(self, dy, **kwargs)
        return out if (only is not None and not only(self)) or out is None else out * factor

    monkeypatch.setattr(cls, "backward", buggy)


# ---------------------------------------------------------------- healthy networks pass
def test_the_networks_here_hold_every_layer_and_loss_of_the_library():
    # the dense family's layers and losses; tests/test_third_opinion.py holds the engine to
    # every class that registers, and this check runs whatever the engine knows
    nets = [_network(kind, np.random.default_rng(0))[0] for kind in KINDS]
    layers = {type(layer).__name__ for net in nets for layer in net.layers}
    assert layers == {"Dense", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Identity", "Softmax",
                      "Dropout"}  # fmt: skip
    assert {type(net.loss).__name__ for net in nets} == {
        "SquaredError", "CrossEntropy", "CategoricalCrossEntropy", "SoftmaxCrossEntropy"
    }  # fmt: skip


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind", KINDS)
def test_every_layer_and_loss_passes_against_the_engine(kind, seed):
    net, X, Y = _network(kind, np.random.default_rng(seed))
    report = nn.check_gradients(net, X, Y, reference="autograd")
    assert report.passed(), str(report)
    assert report.reference == "autograd" and report.tol == AUTOGRAD_TOL
    keys = [r.key for r in report.rows]
    assert keys == [key for key, _, _ in net.parameters()] + ["X"]
    assert [r.checked for r in report.rows] == [p.size for _, p, _ in net.parameters()] + [X.size]
    # exact to rounding: five orders of magnitude under the tolerance
    assert 0 < report.max_rel_error < 1e-14 and report.departure == ""
    assert str(report).endswith("(compared with: the autograd engine, exact to rounding): ok")


def test_the_input_row_is_the_gradient_network_backward_returns():
    net, X, Y = _network("tanh-dropout-cross", np.random.default_rng(1))
    report = nn.check_gradients(net, X, Y, reference="autograd")
    row = report.rows[-1]
    assert (row.key, row.layer, row.shape, row.checked) == ("X", "input", X.shape, X.size)
    assert row.max_abs_error < 1e-16 and row.rel_errors.shape == (X.size,)


def test_a_float32_network_is_checked_in_float64_and_left_untouched():
    net = nn.mlp([4, 5, 3], "tanh", "softmax_cross_entropy", seed=0)  # float32
    before = [p.copy() for _, p, _ in net.parameters()]
    X, y = np.random.default_rng(0).standard_normal((6, 4)), np.arange(6) % 3
    report = nn.check_gradients(net, X, y, reference="autograd")
    assert report.passed() and report.max_rel_error < 1e-14, str(report)
    assert all(np.array_equal(a, p) for a, (_, p, _) in zip(before, net.parameters()))
    assert all(p.dtype == np.float32 for _, p, _ in net.parameters())


# ---------------------------------------------------------------- planted bugs are caught
def test_a_sigmoid_backward_off_by_1e_6_is_a_mismatch_at_that_layer(monkeypatch):
    net, X, Y = _sigmoid_net()
    _plant(monkeypatch, Sigmoid, 1 + 1e-6)
    report = nn.check_gradients(net, X, Y, reference="autograd")
    assert not report.passed()
    # every entry of every tensor is off, by 1e-6 for each sigmoid between it and the loss
    assert all(report.failures_in(r).all() for r in report.rows)
    worst = {r.key: r.max_rel_error for r in report.rows}
    expected = {"4.W": 1e-6, "4.b": 1e-6, "2.W": 2e-6, "2.b": 2e-6, "0.W": 3e-6, "0.b": 3e-6}
    assert worst == pytest.approx({**expected, "X": 3e-6}, rel=1e-4)
    verdict = report.verdict()
    assert verdict.startswith("worst relative error ") and "the autograd engine" in verdict
    assert "MISMATCH: a gradient is wrong: " in verdict
    assert "over 1e-10 of the largest entry of their tensor" in verdict
    assert verdict.endswith(
        "first parts from the engine at the backward of layer 5 (Sigmoid): check it"
    )


def test_the_departure_names_the_layer_whose_backward_is_wrong(monkeypatch):
    net, X, Y = _sigmoid_net()
    # only the middle sigmoid (3 units) is wrong: the layers above it agree with the engine
    _plant(monkeypatch, Sigmoid, 1 + 1e-6, only=lambda layer: layer.a.shape[1] == 3)
    report = nn.check_gradients(net, X, Y, reference="autograd")
    assert report.departure == "the backward of layer 3 (Sigmoid)"
    failing = [r.key for r in report.rows if report.failures_in(r).any()]
    assert failing == ["0.W", "0.b", "2.W", "2.b", "X"]  # below it only


def test_a_wrong_input_gradient_alone_is_caught_in_the_input_row(monkeypatch):
    # Dense's dx of the first layer: no parameter's gradient depends on it, only "X" does
    net, X, Y = _sigmoid_net()
    _plant(monkeypatch, Dense, 1 + 1e-6, only=lambda layer: layer.n_in == 5)
    report = nn.check_gradients(net, X, Y, reference="autograd")
    assert [r.key for r in report.rows if report.failures_in(r).any()] == ["X"]
    assert report.departure == "the backward of layer 0 (Dense)"
    assert nn.check_gradients(net, X, Y).passed()  # finite differences never look at dC/dX


def test_a_wrong_loss_gradient_is_blamed_on_the_loss(monkeypatch):
    net, X, Y = _sigmoid_net()
    gradient = SquaredError.gradient
    monkeypatch.setattr(SquaredError, "gradient", lambda self, a, y: gradient(self, a, y) * 1.001)
    report = nn.check_gradients(net, X, Y, reference="autograd")
    assert not report.passed()
    assert report.departure == "the gradient of the loss SquaredError"


def test_a_bug_finite_differences_cannot_see_the_engine_can(monkeypatch):
    # the story of docs/autograd.md, section 7, told with its numbers
    net, X, Y = _sigmoid_net()
    _plant(monkeypatch, Sigmoid, 1 + 1e-7)
    by_fd = nn.check_gradients(net, X, Y)
    assert by_fd.passed(), str(by_fd)  # within its 1e-6
    assert by_fd.verdict() == "worst relative error 1.50e-07 (order 4, eps=0.001): ok"
    by_engine = nn.check_gradients(net, X, Y, reference="autograd")
    assert not by_engine.passed()
    verdict = " ".join(by_engine.verdict().split())
    shown = _docs_block_after("The engine does not (one line, wrapped here):")
    assert verdict == " ".join(shown.split())


def _docs_block_after(line):
    """The fenced block right after ``line`` in docs/autograd.md."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "autograd.md").read_text()
    after = text[text.index(line) + len(line) :]
    return after.split("```text\n", 1)[1].split("```", 1)[0]


def test_a_nan_gradient_is_a_mismatch_that_says_not_finite(monkeypatch):
    net, X, Y = _sigmoid_net()
    _plant(monkeypatch, Sigmoid, np.nan, only=lambda layer: layer.a.shape[1] == 2)
    report = nn.check_gradients(net, X, Y, reference="autograd")
    assert not report.passed() and np.isnan(report.max_rel_error)
    assert "MISMATCH: not finite: backprop gave inf/NaN for 20 of 20 entries of 0.W;" in str(report)
    assert "; backprop gave inf/NaN for 6 of 6 entries of 4.W; " in str(report)
    assert str(report).endswith(
        "parts from the engine at the backward of layer 5 (Sigmoid): check it"
    )


# ---------------------------------------------------------------- settings and refusals
class _Swish(nn.Layer, register=False):
    """A layer the engine has no rule for; its own backward is right."""

    def forward(self, x, *, training=False):
        self.x = x
        return x * nn.sigmoid(x)

    def backward(self, dy):
        s = nn.sigmoid(self.x)
        return dy * (s + self.x * s * (1 - s))


def test_a_layer_the_engine_does_not_know_is_refused_pointing_to_finite_differences():
    rng = np.random.default_rng(0)
    net = nn.Network([_dense(3, 4, rng), _Swish(), _dense(4, 2, rng)], nn.SquaredError())
    X, Y = rng.standard_normal((5, 3)), rng.random((5, 2))
    with pytest.raises(ValueError, match="does not know the layer 1 _Swish") as caught:
        nn.check_gradients(net, X, Y, reference="autograd")
    assert "reference='finite_differences'" in str(caught.value)
    assert nn.check_gradients(net, X, Y).passed()  # which does check it


def test_settings_of_finite_differences_are_refused_with_the_engine():
    net, X, Y = _sigmoid_net()
    with pytest.raises(ValueError, match=r"^eps \(--eps\), recheck \(--recheck\): settings"):
        nn.check_gradients(net, X, Y, reference="autograd", eps=1e-4, recheck=3)
    with pytest.raises(ValueError, match="reference must be one of 'finite_differences', 'autog"):
        nn.check_gradients(net, X, Y, reference="torch")
    assert REFERENCES == ("finite_differences", "autograd")


def test_the_report_says_which_reference_it_used_and_judges_at_its_own_tolerance(monkeypatch):
    net, X, Y = _sigmoid_net()
    by_fd = nn.check_gradients(net, X, Y)
    assert by_fd.reference == "finite_differences" and "autograd" not in str(by_fd)
    assert "(order 4, eps=0.001)" in by_fd.verdict()
    _plant(monkeypatch, Sigmoid, 1 + 1e-8)
    report = nn.check_gradients(net, X, Y, reference="autograd")
    assert str(report).startswith("compared with: the autograd engine (exact to rounding)")
    assert not report.passed()  # at the check's 1e-10, not at finite differences' 1e-6
    assert report.passed(1e-6) and report.verdict(1e-6).endswith(": ok")
    assert nn.check_gradients(net, X, Y, reference="autograd", tol=1e-6).passed()


def test_the_default_check_does_not_load_the_engine():
    code = (
        "import sys, numpy as np, nn\n"
        "net = nn.mlp([3, 2], seed=0, dtype=np.float64)\n"
        "X, Y = np.ones((2, 3)), np.zeros((2, 2))\n"
        "nn.check_gradients(net, X, Y)\n"
        "print('nn.autograd' in sys.modules)\n"
        "nn.check_gradients(net, X, Y, reference='autograd')\n"
        "print('nn.autograd' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


# ---------------------------------------------------------------- the command line
def test_cli_gradcheck_against_the_engine(capsys, monkeypatch):
    assert main(["gradcheck", "--reference", "autograd", "--sizes", "4,5,3"]) == 0
    out = capsys.readouterr().out
    assert "compared with: the autograd engine (exact to rounding)" in out
    assert "\nX          input      7x4" in out and out.rstrip().endswith("exact to rounding): ok")
    assert main(["gradcheck", "--reference", "autograd", "--max-entries", "3"]) == 2
    assert "max_entries (--max-entries): settings of the finite differences" in (
        capsys.readouterr().err
    )
    _plant(monkeypatch, Sigmoid, 1 + 1e-7)
    assert main(["gradcheck", "--sizes", "4,5,3"]) == 0  # finite differences: within 1e-6
    capsys.readouterr()
    assert main(["gradcheck", "--reference", "autograd", "--sizes", "4,5,3"]) == 1
    assert "at the backward of layer 3 (Sigmoid): check it" in capsys.readouterr().out
