"""The autograd engines as routes of ``nn bench backprop``: the same gradients as the
hand-written routes they are timed against, and a table of what generality costs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import nn
from nn.bench import backprop as bench
from nn.bench import tables
from nn.bench.timing import random_batch
from nn.cli import main
from nn.reference import as_arrays

DOCS_JSON = Path(__file__).resolve().parents[1] / "docs" / "data" / "why-backprop-is-fast.json"


def _gradients(route, sizes, batch=4, seed=0):
    """What one call of ``route`` returns, as arrays in ``network.parameters()`` order."""
    network = nn.mlp(sizes, dtype=np.float64, seed=seed)
    X, T = random_batch(sizes, batch, seed)
    got = route.make(network, X, T)()
    if isinstance(got, dict):  # the engines: keyed like parameters(), and "X"
        return [got[key] for key, _, _ in network.parameters()]
    return as_arrays(got) if not isinstance(got[0], np.ndarray) else got


@pytest.mark.parametrize("sizes", [[3, 2], [4, 3, 2], [2, 5, 3, 4]], ids=str)
@pytest.mark.parametrize("engine", bench.ENGINES, ids=lambda r: r.name)
def test_each_engine_gives_the_gradients_of_the_route_it_is_timed_against(engine, sizes):
    by_hand = {r.name: r for r in bench.ROUTES}[engine.against]
    expected = _gradients(by_hand, sizes)
    got = _gradients(engine, sizes)
    assert [g.shape for g in got] == [e.shape for e in expected]
    for g, e in zip(got, expected):
        assert np.abs(g - e).max() <= 1e-13 * np.abs(e).max()


def test_the_routes_are_the_chain_then_the_engines_each_against_a_route_of_the_chain():
    assert [r.name for r in bench.CHAIN] == [
        "finite_differences", "chain_rule", "backprop_python", "per_example_numpy",
        "matrix_numpy",
    ]  # fmt: skip
    assert {r.name: r.against for r in bench.ENGINES} == {
        "scalar_engine": "backprop_python",
        "tensor_engine": "matrix_numpy",
    }
    assert bench.ROUTES == bench.CHAIN + bench.ENGINES


def _row(route, sizes, seconds, ladder="width", samples=None):
    return {
        "ladder": ladder,
        "route": route,
        "sizes": sizes,
        "weights": bench.n_weights(sizes),
        "batch": 10,
        "seconds": seconds,
        "samples": samples or ([seconds] * 3 if seconds else []),
        "predicted_seconds": 9.0 if seconds is None else None,
    }


def test_the_cost_of_generality_table_divides_each_engine_by_its_route():
    rows = [
        _row("backprop_python", [2, 2], 0.002),
        _row("scalar_engine", [2, 2], 0.05),
        _row("matrix_numpy", [2, 2], 4e-5),
        _row("tensor_engine", [2, 2], 2e-4, samples=[3e-4, 1e-4, 2e-4]),  # median 2e-4
        _row("backprop_python", [8, 8], 0.02),
        _row("scalar_engine", [8, 8], None),  # skipped: predicted over budget
        _row("matrix_numpy", [8, 8], 5e-5),
        _row("tensor_engine", [8, 8], 6e-5),
    ]
    lines = tables.format_report(_result(rows)).splitlines()
    start = lines.index("**width** ladder, the cost of generality: the fastest sample of each "
                        "engine and of the hand-written route it is timed against, and their "
                        "ratio:")  # fmt: skip
    header, _, small, large = lines[start + 2 : start + 6]
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "network", "backprop, pure Python", "scalar engine, pure Python", "engine / by hand",
        "mini-batch matrix, NumPy", "tensor engine, NumPy", "engine / by hand",
    ]  # fmt: skip
    cells = lambda line: [c.strip() for c in line.strip("|").split("|")]  # noqa: E731
    # the fastest samples, and their ratio: load only ever adds time
    assert cells(small) == ["[2, 2]", "2 ms", "50 ms", "25x", "40 µs", "100 µs", "2.5x"]
    assert cells(large) == ["[8, 8]", "20 ms", "skip (~9 s)", "-", "50 µs", "60 µs", "1.2x"]
    # only the routes timed get a column; the chain's speed-ups need the whole chain
    seconds = lines[lines.index("**width** ladder, seconds per gradient:") + 2]
    order = ["backprop_python", "matrix_numpy", "scalar_engine", "tensor_engine"]  # as ROUTES
    assert cells(seconds)[2:] == [bench.LABELS[name] for name in order]
    first = lines[lines.index("**width** ladder, seconds per gradient:") + 4]
    assert cells(first) == ["[2, 2]", "6", "2 ms", "40 µs", "50 ms", "200 µs*"]  # medians
    assert not any("speed-up" in line for line in lines)


def _result(rows):
    return {
        "command": "nn bench backprop",
        "machine": {
            "cpu": "cpu", "cores": 2, "python": "3", "numpy": "2", "thread_settings": {},
            "load_average_start": 1.0, "load_average_end": 1.0, "seconds_total": 1.0,
        },
        "settings": {"batch": 10, "repeats": 3, "budget": 5.0},
        "measurements": rows,
        "comparisons": [],
    }  # fmt: skip


def test_a_run_saved_before_the_engines_is_reported_as_before():
    printed = tables.format_report(json.loads(DOCS_JSON.read_text()))
    assert "engine" not in printed and "cost of generality" not in printed
    assert "| FD -> chain rule | -> memoized | -> NumPy | -> mini-batch |" in printed


def test_cli_times_only_the_routes_asked_for(tmp_path, capsys):
    out_json = tmp_path / "bench.json"
    argv = ["bench", "backprop", "--sizes", "3,2", "--batch", "2", "--repeats", "2"]
    argv += ["--compare-batches", "", "--route", "matrix_numpy", "--route", "tensor_engine"]
    assert main([*argv, "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    saved = json.loads(out_json.read_text())
    assert "--route matrix_numpy --route tensor_engine" in saved["command"]
    assert "--compare-batches '' --json" in saved["command"]  # as a shell would take it
    assert [r["route"] for r in saved["measurements"]] == ["matrix_numpy", "tensor_engine"]
    assert all(r["seconds"] > 0 for r in saved["measurements"])
    assert "the cost of generality" in printed and "tensor engine, NumPy" in printed
    assert "scalar engine" not in printed and "finite differences" not in printed


# ---------------------------------------------------------------- docs/autograd.md, section 8
ROOT = Path(__file__).resolve().parents[1]
COST_JSON = ROOT / "docs" / "data" / "cost-of-generality.json"


def _section_8():
    text = (ROOT / "docs" / "autograd.md").read_text()
    return text[text.index("## 8. The cost of generality, measured") :]


def test_the_docs_tables_are_what_the_command_prints_from_its_json():
    section = _section_8()
    result = json.loads(COST_JSON.read_text())
    printed = tables.format_report(result)
    shown = [block for block in section.split("\n\n") if block.startswith("|")]
    assert len(shown) == 2  # the width ladder and the seed's network
    for block in shown:
        assert block in printed
    # the command and the conditions quoted are the run's
    assert f"```bash\n{result['command']}\n```" in section
    m = result["machine"]
    assert f"was {m['load_average_start']}\n  at the start and {m['load_average_end']}" in section
    assert f"The run took {m['seconds_total']} s." in section


def test_every_ratio_the_docs_quote_is_in_the_tables():
    section = _section_8()
    prose = "\n\n".join(b for b in section.split("\n\n") if not b.startswith(("|", "```")))
    quoted = re.findall(r"(\d+\.\d+)x", prose)
    assert len(quoted) >= 12
    printed = tables.format_report(json.loads(COST_JSON.read_text()))
    ratios = set(re.findall(r"\| +([\d.]+)x \|", printed))
    assert set(quoted) <= ratios, set(quoted) - ratios
