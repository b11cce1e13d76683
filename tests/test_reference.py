"""nn.reference: the slow routes give backprop's gradients, and `nn bench backprop` reports them."""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import rel_error
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn import reference
from nn.bench import backprop as bench
from nn.bench import report, timing
from nn.cli import main
from nn.reference import chain_rule, plain

PURE_MODULES = ("plain", "finite_differences", "chain_rule", "backprop")
REFERENCE_DIR = Path(reference.__file__).parent
SIZES = ([3, 2], [4, 3, 2], [3, 4, 2, 3], [2, 3, 3, 2, 2])


def _problem(sizes, batch=5, seed=0):
    """A float64 network with its batch, and the gradients ``Network.gradients`` gives."""
    rng = np.random.default_rng(seed)
    net = nn.mlp(sizes, dtype=np.float64, seed=rng)
    X = rng.standard_normal((batch, sizes[0]))
    T = rng.random((batch, sizes[-1]))
    net.gradients(X, T)
    expected = [g.copy() for _, _, g in net.parameters()]
    return net, X, T, expected


def _pure_routes(net, X, T):
    params, Xl, Tl = reference.from_network(net), X.tolist(), T.tolist()
    return {
        "chain_rule": reference.as_arrays(reference.chain_rule_gradients(params, Xl, Tl)),
        "backprop": reference.as_arrays(reference.backprop_gradients(params, Xl, Tl)),
    }


def _worst(got, expected):
    return max(rel_error(g, e) for g, e in zip(got, expected))


# ---------------------------------------------------------------- same gradients
@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_analytic_routes_equal_network_gradients(sizes):
    net, X, T, expected = _problem(sizes)
    routes = _pure_routes(net, X, T)
    routes["per_example"] = reference.per_example_gradients(net, X, T)
    routes["matrix"] = reference.matrix_gradients(net, X, T)
    for name, got in routes.items():
        assert [g.shape for g in got] == [e.shape for e in expected], name
        assert _worst(got, expected) < 1e-10, name


@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_finite_differences_equal_network_gradients(sizes):
    net, X, T, expected = _problem(sizes)
    params = reference.from_network(net)
    before = reference.as_arrays(params)
    fd4 = reference.finite_difference_gradients(params, X.tolist(), T.tolist(), order=4)
    assert _worst(reference.as_arrays(fd4), expected) < 1e-6  # CS231n's elementwise error
    # The default centered difference: its error, about 1e-11, relative to the gradient's size.
    fd2 = reference.as_arrays(reference.finite_difference_gradients(params, X.tolist(), T.tolist()))
    scale = max(np.abs(e).max() for e in expected)
    assert max(np.abs(g - e).max() for g, e in zip(fd2, expected)) < 1e-7 * scale
    # every nudged weight was put back exactly
    assert all(np.array_equal(a, b) for a, b in zip(before, reference.as_arrays(params)))


@settings(max_examples=15, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=5),
    batch=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_every_route_agrees_on_random_shapes(sizes, batch, seed):
    net, X, T, expected = _problem(sizes, batch, seed)
    routes = _pure_routes(net, X, T)
    routes["per_example"] = reference.per_example_gradients(net, X, T)
    for name, got in routes.items():
        assert _worst(got, expected) < 1e-10, (name, sizes, batch)
    params = reference.from_network(net)
    fd = reference.finite_difference_gradients(params, X.tolist(), T.tolist(), order=4)
    # Relative to the largest gradient entry: entries near zero have no relative accuracy.
    scale = max(np.abs(e).max() for e in expected) or 1.0
    err = max(np.abs(g - e).max() for g, e in zip(reference.as_arrays(fd), expected))
    assert err < 1e-6 * scale, (sizes, batch)


def test_backprop_of_one_example_is_its_share_of_the_batch_gradient():
    net, X, T, _ = _problem([3, 4, 2], batch=1)
    grads = reference.backprop.backprop(reference.from_network(net), X[0], T[0])
    expected = [g for _, _, g in net.parameters()]
    assert _worst(reference.as_arrays(grads), expected) < 1e-12


def test_loss_and_forward_equal_the_network():
    net, X, T, _ = _problem([3, 4, 2])
    params = reference.from_network(net)
    assert math.isclose(
        plain.loss(params, X.tolist(), T.tolist()), net.gradients(X, T), rel_tol=1e-13
    )
    _, activations = reference.forward(params, X[0].tolist())
    np.testing.assert_allclose(activations[-1], net.predict(X[:1])[0], rtol=1e-13)


def test_pure_sigmoid_is_stable_and_equals_nn_sigmoid():
    z = np.linspace(-1000, 1000, 41)
    assert [plain.sigmoid(float(v)) for v in z] == pytest.approx(nn.sigmoid(z), rel=1e-15, abs=0)
    assert plain.sigmoid(-1000.0) == 0.0 and plain.sigmoid(1000.0) == 1.0
    assert plain.sigmoid_prime(0.0) == 0.25


# ---------------------------------------------------------------- the chain rule's cost
def test_chain_rule_makes_the_counted_number_of_calls(monkeypatch):
    calls = 0
    original = chain_rule.dC_da

    def counting(layer, j, ex):
        nonlocal calls
        calls += 1
        return original(layer, j, ex)

    monkeypatch.setattr(chain_rule, "dC_da", counting)  # the recursion calls it by this name
    for sizes, batch in (([2, 3, 4], 1), ([2, 3, 2, 3, 2], 3)):
        calls = 0
        net, X, T, _ = _problem(sizes, batch)
        reference.chain_rule_gradients(reference.from_network(net), X.tolist(), T.tolist())
        assert calls == chain_rule.recursion_calls(sizes, batch)
    # [2, 3, 4]: (3 + 1) * 4 top-layer parameters make 1 call each, (2 + 1) * 3 below make 1 + 4
    assert chain_rule.recursion_calls([2, 3, 4], 1) == 16 + 45
    # each added layer of 4 units multiplies the work by about 4 (exactly 4 in the limit)
    deep = [chain_rule.recursion_calls([4] * (d + 1), 1) for d in range(6, 9)]
    assert 3.9 < deep[1] / deep[0] < 4.1 and 3.9 < deep[2] / deep[1] < 4.1


# ---------------------------------------------------------------- no NumPy in the pure routes
def test_pure_modules_import_nothing_but_the_standard_library_and_each_other():
    allowed = {"__future__", "math", "collections", "typing"}
    for name in PURE_MODULES:
        tree = ast.parse((REFERENCE_DIR / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                roots = [node.module or ""]
            else:
                continue
            for root in roots:
                pure = root.startswith("nn.reference.") and root.split(".")[2] in PURE_MODULES
                assert pure or root.split(".")[0] in allowed, f"{name}.py imports {root}"


BLOCKED_NUMPY = """
import importlib.abc, json, sys, types

class NoNumpy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError("numpy is blocked in this test")

sys.meta_path.insert(0, NoNumpy())
# Bare packages, so nn/__init__.py (which needs NumPy) does not run.
for pkg, path in (("nn", {nn!r}), ("nn.reference", {ref!r})):
    module = types.ModuleType(pkg)
    module.__path__ = [path]
    sys.modules[pkg] = module
from nn.reference.backprop import backprop_gradients
from nn.reference.chain_rule import chain_rule_gradients
from nn.reference.finite_differences import finite_difference_gradients
params, X, Y = json.loads(sys.stdin.read())
out = [f(params, X, Y) for f in (backprop_gradients, chain_rule_gradients)]
out.append(finite_difference_gradients(params, X, Y, order=4))
assert "numpy" not in sys.modules
print(json.dumps(out))
"""


def test_pure_routes_run_with_numpy_blocked():
    net, X, T, expected = _problem([3, 4, 2], batch=3)
    code = BLOCKED_NUMPY.format(nn=str(REFERENCE_DIR.parent), ref=str(REFERENCE_DIR))
    data = json.dumps([reference.from_network(net), X.tolist(), T.tolist()])
    result = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    bp, cr, fd = json.loads(result.stdout)
    assert _worst(reference.as_arrays(bp), expected) < 1e-10
    assert _worst(reference.as_arrays(cr), expected) < 1e-10
    assert _worst(reference.as_arrays(fd), expected) < 1e-6


# ---------------------------------------------------------------- conversions and errors
def test_from_network_and_to_network_round_trip_exactly():
    net = nn.mlp([5, 4, 3, 2], seed=1)  # float32: every value is a float64 exactly
    params = reference.from_network(net)
    assert plain.sizes_of(params) == [5, 4, 3, 2] == list(reference.network_sizes(net))
    assert isinstance(params[0][0][0][0], float)
    back = reference.to_network(params)
    assert back.dtype == np.float64
    for (_, p, _), (_, q, _) in zip(net.parameters(), back.parameters()):
        assert np.array_equal(p, q)


def test_from_network_rejects_other_networks():
    wrong = [
        nn.Network([nn.Dense(3, 2)], nn.SquaredError()),  # no sigmoid
        nn.Network([nn.Sigmoid(), nn.Dense(3, 2)], nn.SquaredError()),  # the wrong order
    ]
    for net in wrong:
        with pytest.raises(ValueError, match="Dense \\+ Sigmoid"):
            reference.from_network(net)


def test_bad_shapes_say_what_is_wrong():
    params = reference.from_network(nn.mlp([3, 2], seed=0))
    with pytest.raises(ValueError, match="3 inputs"):
        reference.backprop_gradients(params, [[0.0, 1.0]], [[0.0, 1.0]])
    with pytest.raises(ValueError, match="same number"):
        reference.chain_rule_gradients(params, [[0.0, 1.0, 2.0]], [])
    with pytest.raises(ValueError, match="2 outputs"):
        reference.finite_difference_gradients(params, [[0.0, 1.0, 2.0]], [[1.0]])
    with pytest.raises(ValueError, match="order must be 2 or 4"):
        reference.finite_difference_gradients(params, [[0.0, 1.0, 2.0]], [[1.0, 0.0]], order=3)
    with pytest.raises(ValueError, match="expected"):
        reference.to_network([([[1.0, 2.0], [3.0]], [0.0, 0.0])])


# ---------------------------------------------------------------- the benchmark
def test_fit_exponent_recovers_a_power_law():
    W = np.array([10.0, 30.0, 100.0, 1000.0])
    assert bench.fit_exponent(W, 3e-6 * W**1.7) == pytest.approx(1.7)
    with pytest.raises(ValueError, match="two different sizes"):
        bench.fit_exponent([5.0, 5.0], [1.0, 2.0])


def test_predict_seconds_scales_the_nearest_measurements_by_the_operation_count():
    assert bench.predict_seconds([], 100) is None
    assert bench.predict_seconds([(100, 2.0)], 300) == pytest.approx(6.0)
    # the fastest seconds per operation among the three nearest sizes below: 1 s / 200
    history = [(10, 5.0), (50, 1.0), (100, 0.9), (200, 1.0), (800, 10.0)]
    assert bench.predict_seconds(history, 400) == pytest.approx(2.0)
    # a size below every measurement uses the smallest one
    assert bench.predict_seconds(history, 5) == pytest.approx(2.5)


def test_time_routes_samples_a_slow_call_at_most_three_times_counting_its_first_run():
    # timing.sample_count is the rule both here and in measure_ladder's announcement of a slow route
    runs = {"slow": 0, "fast": 0}

    def slow() -> None:
        runs["slow"] += 1
        time.sleep(0.11)  # over the 0.1 s after which a call is slow

    def fast() -> None:
        runs["fast"] += 1

    timed = bench.time_routes({"slow": slow, "fast": fast}, repeats=5)
    samples, number = timed["slow"]
    assert number == 1 and len(samples) == timing.sample_count(0.11, 5) == 3
    assert runs["slow"] == 3  # its warm-up run is the first sample, not thrown away
    samples, number = timed["fast"]
    assert len(samples) == timing.sample_count(1e-6, 5) == 5 and runs["fast"] == 1 + 5 * number
    assert timing.sample_count(None, 5) == 5 and timing.sample_count(2.0, 2) == 2


def test_measure_ladder_skips_routes_predicted_over_budget():
    history: dict = {}
    rows = bench.measure_ladder(
        "t", [[2, 2], [3, 3, 3]], batch=2, budget=1e-9, repeats=2, history=history
    )
    assert [r.route for r in rows[: len(bench.ROUTES)]] == [r.name for r in bench.ROUTES]
    # nothing measured yet, yet every route is predicted: each was first timed on [1, 1]
    assert all(r.seconds is None and "budget" in r.skipped for r in rows)
    assert all(r.predicted_seconds > 1e-9 for r in rows)
    for route in bench.ROUTES:
        ((cost, seconds),) = history[route.name]
        assert cost == route.cost([1, 1], 2) and seconds > 0
    rows = bench.measure_ladder("t", [[2, 2]], batch=2, budget=60, repeats=2, history=history)
    assert all(r.seconds > 0 and len(r.samples) == 2 and r.skipped is None for r in rows)


def test_calibration_networks_keep_the_depth_and_stay_below_the_network():
    assert bench.calibration_networks([784, 30, 10]) == [
        [min(s, cap) for s in (784, 30, 10)] for cap in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
    ]
    assert bench.calibration_networks([4, 4, 4, 4]) == [[1] * 4, [2] * 4]
    assert bench.calibration_networks([1, 1]) == []


def test_a_large_network_alone_is_predicted_and_its_slow_routes_skipped():
    # [784, 100, 10] is the network docs/why-backprop-is-fast.md suggests timing on its own: the
    # unmemoized chain rule takes over a second there, finite differences hours. Nothing is
    # measured before it, so the prediction comes from calibration on small networks.
    chain, matrix = bench.ROUTES[1], bench.ROUTES[4]
    history: dict = {}
    lines: list[str] = []
    rows = bench.measure_ladder(
        "t",
        [[784, 100, 10]],
        routes=[chain, matrix],
        budget=0.05,
        repeats=2,
        history=history,
        progress=lines.append,
    )
    by = {r.route: r for r in rows}
    assert by["chain_rule"].seconds is None and by["chain_rule"].predicted_seconds > 0.05
    assert "budget 0.05 s" in by["chain_rule"].skipped
    # its calibration stopped below the budget, on networks of the same depth
    assert all(cost < chain.cost([784, 100, 10], 10) for cost, _ in history["chain_rule"])
    assert by["matrix_numpy"].seconds > 0 and by["matrix_numpy"].skipped is None
    assert "skipped chain_rule (~" in lines[-1]


def test_a_route_expected_to_take_over_a_second_announces_itself():
    # a route measured at 2 s before (the history says so) is announced before it is timed
    instant = bench.Route("fake", "fake route", lambda net, X, T: lambda: None, lambda s, b: 1)
    lines: list[str] = []
    history = {"fake": [(1, 2.0)]}
    bench.measure_ladder(
        "t",
        [[2, 2]],
        routes=[instant],
        budget=10,
        repeats=5,
        history=history,
        progress=lines.append,
    )
    assert lines[0] == "  t [2, 2]: fake route, about 2 s a gradient x 3 samples ..."
    assert len(lines) == 2


def test_exponent_rows_read_growth_from_measurements():
    rows = []
    for n in (2, 4, 8, 16):
        sizes = [n] * 5
        w = bench.n_weights(sizes)
        rows.append(
            {
                "ladder": "width",
                "route": "finite_differences",
                "sizes": sizes,
                "weights": w,
                "seconds": 1e-9 * w**2,
            }
        )
    for d in (1, 2, 3):
        rows.append(
            {
                "ladder": "depth",
                "route": "chain_rule",
                "sizes": [4] * (d + 1),
                "weights": 20 * d,
                "seconds": 3.0**d,
            }
        )
    by_route = {e["route"]: e for e in report.exponent_rows(rows)}
    assert by_route["finite_differences"]["exponent"] == pytest.approx(2.0)
    assert by_route["chain_rule"]["per_layer"] == pytest.approx(3.0)
    w, t = np.array([20.0, 40.0, 60.0]), np.array([3.0, 9.0, 27.0])
    assert by_route["chain_rule"]["exponent_depth"] == pytest.approx(
        np.polyfit(np.log(w), np.log(t), 1)[0]
    )
    assert by_route["backprop_python"]["exponent"] is None


def test_cli_bench_prints_tables_and_writes_json_and_plot(tmp_path, capsys):
    out_json, out_png = tmp_path / "bench.json", tmp_path / "bench.png"
    argv = ["bench", "backprop", "--sizes", "3,2", "--sizes", "4,3,2", "--batch", "2"]
    argv += ["--repeats", "2", "--compare-batches", "2", "--json", str(out_json)]
    pytest.importorskip("matplotlib")
    assert main([*argv, "--plot", str(out_png)]) == 0
    printed = capsys.readouterr().out
    assert "chain rule, unmemoized" in printed and "-> memoized" in printed
    assert "the cost of generality" in printed and "scalar engine, pure Python" in printed
    assert "Per-example loop against mini-batch" in printed
    assert out_png.stat().st_size > 10_000
    saved = json.loads(out_json.read_text())
    assert "nn bench backprop --sizes 3,2 --sizes 4,3,2 --batch 2" in saved["command"]
    assert {"cpu", "cores", "load_average_start", "numpy"} <= set(saved["machine"])
    rows = saved["measurements"]
    assert len(rows) == 2 * len(bench.ROUTES)
    assert {(tuple(r["sizes"]), r["weights"]) for r in rows} == {((3, 2), 8), ((4, 3, 2), 23)}
    assert all(r["batch"] == 2 and r["seconds"] > 0 for r in rows)
    (comparison,) = saved["comparisons"]
    assert comparison["sizes"] == [784, 30, 10] and comparison["batch"] == 2
    assert comparison["speedup"] == pytest.approx(
        comparison["per_example_seconds"] / comparison["matrix_seconds"]
    )
    # the saved run reports the same tables without measuring again
    assert main(["bench", "backprop", "--from-json", str(out_json)]) == 0
    again = capsys.readouterr().out
    assert again.strip() == printed.split("\n\nmeasurements written")[0].strip()


def test_cli_bench_rejects_bad_options(capsys):
    assert main(["bench", "backprop", "--sizes", "3"]) == 2
    assert "input and an output size" in capsys.readouterr().err
    assert main(["bench", "backprop", "--budget", "0"]) == 2
    assert "--budget" in capsys.readouterr().err


def test_benchmark_script_runs_the_same_command():
    script = Path(__file__).parents[1] / "benchmarks" / "backprop.py"
    result = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "--budget" in result.stdout and "--from-json" in result.stdout
