"""The gradient checker's verdict: each entry over the tolerance is measured again at eps/3 and
eps/10, and is a mismatch only when backprop is off by 10x more than the three disagree."""

import numpy as np
import pytest

import nn
from nn.check.gradcheck import (
    DISAGREEMENT_MARGIN,
    RECHECK_FRACTION,
    RECHECK_LIMIT,
    GradCheckReport,
    GradCheckRow,
)
from nn.cli import main
from nn.layers.dense import Dense


def _unresolved_max_abs(report, tol=1e-6):
    """The largest absolute error over the entries over tol that are not mismatches."""
    errs = [r.abs_errors[(r.rel_errors > tol) & ~report.failures_in(r, tol)] for r in report.rows]
    return max(float(e.max(initial=0.0)) for e in errs)


def _drop_first_bias_gradient(monkeypatch, n_in):
    """Plant a bug: the first layer forgets the gradient of its bias entry 0."""
    backward = Dense.backward

    def buggy(self, dy, *, need_dx=True):
        out = backward(self, dy, need_dx=need_dx)
        if self.n_in == n_in:
            self.grads["b"][0] = 0.0
        return out

    monkeypatch.setattr(Dense, "backward", buggy)


def test_a_dropped_bias_gradient_is_flagged_at_a_large_loss(monkeypatch):
    # targets x1000 make the loss 3.8e5; unit 0 saturated (b = 16) has a true bias gradient of
    # -8.4e-6, while the finite differences are good to 3e-8 there
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((8, 5)), rng.random((8, 3)) * 1000
    net = nn.mlp([5, 4, 3], "sigmoid", output_activation="identity", seed=0, dtype=np.float64)
    net.layers[0].b[0] = 16.0
    good = nn.check_gradients(net, X, Y)
    assert net.evaluate(X, Y)["loss"] == pytest.approx(3.8e5, rel=0.05)
    assert good.passed(), str(good)
    _drop_first_bias_gradient(monkeypatch, n_in=5)
    bad = nn.check_gradients(net, X, Y)
    assert not bad.passed()
    row = bad.rows[1]
    assert row.key == "0.b" and bad.failures_in(row).tolist() == [True, False, False, False]
    assert row.abs_errors[0] == pytest.approx(8.4e-6, rel=0.02)
    assert row.abs_errors[0] > DISAGREEMENT_MARGIN * row.spreads[0]
    assert "MISMATCH" in bad.verdict() and "check the backward of 0.b" in bad.verdict()


@pytest.fixture(scope="module")
def confident_xor():
    """XOR trained with cross-entropy, then weights x2: loss 2e-8, outputs within 1e-9 of 0/1."""
    X, y = nn.datasets.xor()
    net = nn.mlp([2, 3, 1], seed=0, loss="cross_entropy", dtype=np.float64)
    net.fit(X, y, epochs=20000, batch_size=4, lr=3.0, seed=0, verbose=False)
    for layer in net.layers:
        for p in layer.params.values():
            p *= 2
    return net, X, y


@pytest.mark.parametrize("order", [2, 4])
def test_a_confident_cross_entropy_network_passes(confident_xor, order):
    # round-off happens in log(a) with a near 1, far above the loss's own 1e-8 scale
    net, X, y = confident_xor
    assert net.evaluate(X, y)["loss"] == pytest.approx(2.1e-8, rel=0.1)
    report = nn.check_gradients(net, X, y, order=order)
    assert report.max_rel_error > 1e-6  # so the verdict had something to judge
    assert report.passed(), str(report)
    verdict = report.verdict()
    assert ": ok (" in verdict and "round-off" in verdict and "MISMATCH" not in verdict
    assert ("try order=4" in verdict) == (order == 2)


def test_finite_differences_all_near_zero_do_not_condemn_a_tiny_gradient(confident_xor):
    # weights x3: nudging 0.W[0] changes the loss by less than a's float64 resolution, so the
    # finite differences (at any step) are ~0 while backprop's 1.6e-14 is right (checked in
    # extended precision). The floor is at a's scale; one at the loss's (3e-12) would be 1e-10
    # times too small and call this entry wrong.
    net, X, y = confident_xor
    net = net.copy()
    for layer in net.layers:
        for p in layer.params.values():
            p *= 1.5
    report = nn.check_gradients(net, X, y, order=2)
    row = report.rows[0]
    assert row.abs_errors[0] == pytest.approx(1.6e-14, rel=0.05)
    loss_scale = np.finfo(float).eps * net.evaluate(X, y)["loss"] / report.eps
    assert report.round_off > row.abs_errors[0] > 1e6 * loss_scale
    assert report.passed(), str(report)


def test_the_ok_line_quotes_the_errors_of_the_unresolved_entries_only():
    # normal init and inputs x30 saturate most hidden units: tiny gradients, relative errors
    # over 1e-6 where absolute errors are ~4e-13, while elsewhere they reach 2.4e-9
    rng = np.random.default_rng(1)
    net = nn.mlp([5, 20, 3], init="normal", seed=0, dtype=np.float64)
    X, Y = rng.standard_normal((8, 5)) * 30, rng.random((8, 3))
    report = nn.check_gradients(net, X, Y)
    assert report.passed(), str(report)
    quoted = _unresolved_max_abs(report)
    assert report.max_abs_error > 1000 * quoted
    assert f"absolute errors of those entries at most {quoted:.2e})" in report.verdict()


def test_a_row_without_per_entry_errors_cannot_pass():
    row = GradCheckRow("0.W", "Dense", (2, 2), 4, 0.5, 0.1)
    report = GradCheckReport(rows=(row,), eps=1e-3, order=4)
    assert not report.passed()
    assert "NOT CHECKED" in report.verdict() and "0.W carry no per-entry errors" in str(report)
    quiet = GradCheckRow("0.W", "Dense", (2, 2), 4, 1e-9, 1e-12)
    assert GradCheckReport(rows=(quiet,), eps=1e-3, order=4).passed()


def test_a_relu_kink_is_not_called_a_mismatch(capsys):
    argv = ["gradcheck", "--activation", "relu", "--sizes", "10,20,20,4", "--seed", "5"]
    assert main(argv) == 0
    verdict = capsys.readouterr().out.splitlines()[-1]
    assert "worst relative error 1.75e-02" in verdict  # the kink's error is still shown
    assert "MISMATCH" not in verdict and "kink of ReLU" in verdict
    # advises a step the check did not use (it used 1e-3, 3.3e-4 and 1e-4)
    assert "try eps=1e-05 (--eps 1e-05)" in verdict
    assert main([*argv, "--eps", "1e-5"]) == 0
    assert "kink" not in capsys.readouterr().out


def test_only_the_recheck_cap_is_measured_again_and_the_rest_cannot_pass():
    rng = np.random.default_rng(1)
    net = nn.mlp([5, 20, 3], init="normal", seed=0, dtype=np.float64)
    X, Y = rng.standard_normal((8, 5)) * 100, rng.random((8, 3))
    full = nn.check_gradients(net, X, Y)
    measured = sum(int(np.sum(~np.isnan(r.spreads))) for r in full.rows)
    assert full.passed() and measured > 2, str(full)
    capped = nn.check_gradients(net, X, Y, recheck=2)
    assert sum(int(np.sum(~np.isnan(r.spreads))) for r in capped.rows) == 2
    assert not capped.passed()
    verdict = capped.verdict()
    assert "NOT CHECKED" in verdict and f"recheck={measured} (--recheck {measured})" in verdict
    # a tolerance below the one the check measured again at leaves entries unjudged too
    assert not full.passed(1e-9) and "pass tol=1e-09 to check_gradients" in full.verdict(1e-9)


class _NanDense(Dense):
    """Backprop that writes NaN into one weight gradient."""

    def backward(self, dy, *, need_dx=True):
        out = super().backward(dy, need_dx=need_dx)
        self.grads["W"][0, 0] = np.nan
        return out


class _CliffDense(Dense):
    """A forward pass that gives NaN once W[0, 0] grows past its value at the start."""

    def forward(self, x, *, training=False):
        y = super().forward(x, training=training)
        return y * np.nan if self.W[0, 0] > self.w00 else y


def _tanh_net_with_first_layer(cls):
    ref = nn.mlp([5, 4, 3], "tanh", seed=0, dtype=np.float64)
    first = cls(5, 4, dtype=np.float64)
    first.W[...], first.b[...] = ref.layers[0].W, ref.layers[0].b
    first.w00 = float(first.W[0, 0])
    rng = np.random.default_rng(0)
    return (
        nn.Network([first, *ref.layers[1:]], ref.loss),
        rng.standard_normal((7, 5)),
        rng.random((7, 3)),
    )


def test_a_nan_gradient_is_a_mismatch_that_says_not_finite():
    # NaN > tol is False: before, this passed with "worst relative error nan ...: ok"
    net, X, Y = _tanh_net_with_first_layer(_NanDense)
    report = nn.check_gradients(net, X, Y)
    assert not report.passed() and np.isnan(report.max_rel_error)
    assert report.failures_in(report.rows[0]).sum() == 1
    assert report.verdict().endswith(
        "MISMATCH: not finite: backprop gave inf/NaN for 1 of 20 entries of 0.W; "
        "check the backward of 0.W"
    )
    # the NaN entry need not be among those checked
    sampled = nn.check_gradients(net, X, Y, max_entries=1, seed=3)
    assert not sampled.passed() and "not finite" in sampled.verdict()


def test_a_finite_difference_that_is_not_finite_is_a_mismatch():
    net, X, Y = _tanh_net_with_first_layer(_CliffDense)
    report = nn.check_gradients(net, X, Y)
    assert not report.passed() and report.rows[0].nonfinite_fds == 1
    assert "the finite difference is inf/NaN for 1 of 20 entries of 0.W" in report.verdict()


def test_a_weight_or_a_loss_that_is_not_finite_stops_the_check_plainly():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((7, 5)), rng.random((7, 3))
    net = nn.mlp([5, 4, 3], "tanh", seed=0, dtype=np.float64)
    net.layers[0].W[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"parameters not finite: 0.W \(1 of 20 entries\)"):
        nn.check_gradients(net, X, Y)
    net = nn.mlp([5, 4, 3], "tanh", output_activation="identity", seed=0, dtype=np.float64)
    net.layers[2].W[...] *= 1e160  # squared outputs overflow to inf
    with pytest.raises(ValueError, match="loss at these weights is inf: the check cannot run"):
        nn.check_gradients(net, X, Y)


@pytest.mark.parametrize(
    ("activation", "loss", "fix"),
    [
        ("tanh", "cross_entropy", "sigmoid"),
        ("relu", "cross_entropy", "sigmoid"),
        ("tanh", "categorical_cross_entropy", "softmax"),
    ],
)
def test_the_cli_refuses_outputs_the_loss_clips(capsys, activation, loss, fix):
    # before: MISMATCH "off by up to 6.10e+15 ... check the backward of ...", exit 1; nn.mlp
    # now refuses the pairing, so nn train and nn diagnose refuse it too
    for command in ("gradcheck", "train", "diagnose"):
        argv = [command, "--activation", activation, "--loss", loss]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"(--output-activation {fix})" in err
        assert f"loss={loss!r} takes outputs in (0, 1)" in err, err
        assert f"{activation} output layer" in err
    assert (
        main(["gradcheck", "--activation", activation, "--loss", loss, "--output-activation", fix])
        == 0
    )
    assert ": ok" in capsys.readouterr().out


def test_mlp_refuses_outputs_a_cross_entropy_would_clip():
    with pytest.raises(ValueError, match="output_activation='sigmoid'"):
        nn.mlp([4, 3, 2], "tanh", "cross_entropy")
    with pytest.raises(ValueError, match="an identity output layer"):
        nn.mlp([4, 3, 2], "sigmoid", "cross_entropy", output_activation="identity")
    with pytest.raises(ValueError, match="output_activation='softmax'"):
        nn.mlp([4, 3, 2], "relu", "categorical_cross_entropy")
    assert isinstance(
        nn.mlp([4, 3, 2], "tanh", "cross_entropy", output_activation="sigmoid"), nn.Network
    )
    assert isinstance(
        nn.mlp([4, 3, 2], "relu", "categorical_cross_entropy", output_activation="softmax"),
        nn.Network,
    )


def test_a_saved_model_whose_outputs_the_loss_clips_is_refused(tmp_path, capsys):
    rng = np.random.default_rng(0)  # built by hand: nn.mlp refuses this pairing
    layers = [nn.Dense(4, 3, rng=rng, dtype=np.float64), nn.Tanh()]
    layers += [nn.Dense(3, 2, rng=rng, dtype=np.float64), nn.Tanh()]
    net = nn.Network(layers, nn.CrossEntropy())
    nn.save(net, tmp_path / "m.npz")
    assert main(["gradcheck", "--model", str(tmp_path / "m.npz")]) == 2
    assert "it cannot be checked as it is" in capsys.readouterr().err


def test_the_default_recheck_cap_covers_a_relu_network_with_many_kinked_entries():
    # kinks at hidden units put whole weight columns over tol: 82 entries, over the old cap
    # of 50 (then "NOT CHECKED", exit 1); the default now measures them all again
    rng = np.random.default_rng(3)
    net = nn.mlp([100, 30, 10], "relu", seed=rng, dtype=np.float64)
    X, Y = rng.standard_normal((10, 100)), rng.random((10, 10))
    report = nn.check_gradients(net, X, Y)
    measured = sum(int(np.sum(~np.isnan(r.spreads))) for r in report.rows)
    assert measured == 82 and report.passed(), str(report)
    checked = sum(r.checked for r in report.rows)
    assert report.recheck == max(RECHECK_LIMIT, int(np.ceil(RECHECK_FRACTION * checked)))
    assert "kink of ReLU" in report.verdict()
    old = nn.check_gradients(net, X, Y, recheck=50)
    assert not old.passed() and "rerun with recheck=82 (--recheck 82)" in old.verdict()


def test_the_round_off_example_names_the_layers_the_network_has():
    rng = np.random.default_rng(1)
    relu = nn.mlp([60, 20, 5], "relu", seed=rng, dtype=np.float64)
    X, Y = rng.standard_normal((10, 60)), rng.random((10, 5))
    verdict = nn.check_gradients(relu, X, Y).verdict()
    assert "round-off on gradients near zero, e.g. of dead ReLU units" in verdict
    assert "saturated" not in verdict
    rng = np.random.default_rng(1)
    sig = nn.mlp([5, 20, 3], init="normal", dropout=0.5, seed=0, dtype=np.float64)
    verdict = nn.check_gradients(
        sig, rng.standard_normal((8, 5)) * 30, rng.random((8, 3))
    ).verdict()
    assert "e.g. of saturated Sigmoid units or units dropped by Dropout" in verdict


def _saturated_tanh(bug):
    """tanh [50, 30, 10] with weights x8: most units saturated, gradients down to 1e-8."""
    net = nn.mlp([50, 30, 10], "tanh", seed=0, dtype=np.float64)
    for layer in net.layers:
        if isinstance(layer, Dense):
            layer.W[...] *= 8
    rng = np.random.default_rng(0)
    return net, 3 * rng.standard_normal((10, 50)), rng.random((10, 10))


def test_a_small_bug_on_a_tiny_gradient_is_caught_when_the_two_best_steps_agree(monkeypatch):
    # 0.W[0, 0]'s gradient is 2.6e-8; the finite difference at eps is off by 8.6e-13, at eps/3
    # by 2.4e-12, at eps/10 by 1.1e-11. Backprop off by 0.1% (2.6e-11) was judged against the
    # eps/10 step and a floor 10x the round-off: "ok". Now against |fd(eps) - fd(eps/3)| and
    # the floor (1.1e-11) itself.
    net, X, Y = _saturated_tanh(None)
    good = nn.check_gradients(net, X, Y)
    assert good.passed(), str(good)
    backward = Dense.backward

    def buggy(self, dy, *, need_dx=True):
        out = backward(self, dy, need_dx=need_dx)
        if self.n_in == 50:
            self.grads["W"][0, 0] *= 1 + 1e-3
        return out

    monkeypatch.setattr(Dense, "backward", buggy)
    bad = nn.check_gradients(net, X, Y)
    row = bad.rows[0]
    assert row.abs_errors[0] == pytest.approx(2.6e-11, rel=0.05)
    assert bad.round_off < row.abs_errors[0] and bad.failures_in(row).sum() == 1
    assert "MISMATCH: a gradient is wrong: 1 entry of 0.W" in bad.verdict()
