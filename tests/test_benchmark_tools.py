"""The machinery of the load benchmark: time limits, the competing process, the claims, and
the note that skips a CPU-dependent claim. Nothing here times nn."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))

import compare  # noqa: E402
import conditions  # noqa: E402
import kernels  # noqa: E402
import load  # noqa: E402


class Spinner(compare.Contender):
    """A contender whose epochs never end, and one whose epochs end at once."""

    def __init__(self, name, forever):
        self.name, self.forever = name, forever

    def epoch(self):
        while self.forever:
            pass

    def warmup(self):
        pass


def test_a_contender_over_its_time_limit_is_stopped_and_reported_as_such():
    slow, quick = Spinner("slow", True), Spinner("quick", False)
    budget = compare.Budget([slow, quick], limit=0.2)
    start = time.perf_counter()
    assert budget.run(slow, slow.epoch, "epoch 1") is None
    assert time.perf_counter() - start < 5  # stopped, not left to run
    assert budget.run(quick, quick.epoch, "epoch 1") is not None
    rows = {c.name: compare.row(c, [], budget, 100) for c in (slow, quick)}
    assert rows["slow"]["over_time_limit"] == "over its 0.2 s limit while epoch 1"
    assert rows["slow"]["seconds_per_epoch"] is None and "over_time_limit" not in rows["quick"]
    text = "\n".join(
        compare.format_config({"describe": "(x)", "rows": rows, "ratios": {}, "notes": []})
    )
    assert "slow     over its 0.2 s limit while epoch 1, after 0 epochs" in text


def test_the_competitor_is_a_busy_process_started_and_stopped_by_the_benchmark():
    with conditions.Competitor(1) as competitor:
        (proc,) = competitor.procs
        assert proc.poll() is None  # running
    assert proc.poll() is not None and competitor.procs == []


def test_the_conditions_name_what_a_figure_depends_on():
    c = conditions.conditions()
    assert {"cpu", "avx512", "cores", "load_average", "blas", "env", "versions"} <= set(c)
    text = conditions.describe(c)
    assert "load average" in text and "BLAS:" in text and "cores" in text


def test_load_claims_compare_nn_loaded_with_idle_and_with_pytorch():
    def rows(nn, torch):
        out = {"nn": {"seconds_per_epoch": nn}}
        out["pytorch"] = (
            {"seconds_per_epoch": torch}
            if torch
            else {"over_time_limit": "over", "seconds_per_epoch": None}
        )
        return {"rows": out}

    entry = {"idle": rows(1.0, 2.0), "loaded": rows(1.2, 6.0)}
    assert load.claims(entry) == {"nn loaded/idle": pytest.approx(1.2), "pytorch/nn loaded": 5.0}
    entry["loaded"] = rows(1.2, None)
    assert load.claims(entry)["pytorch/nn loaded"] == float("inf")


def test_the_avx512_claim_is_skipped_with_a_note_on_other_cpus(monkeypatch, capsys):
    monkeypatch.setattr(kernels, "has_avx512", lambda: False)
    monkeypatch.setattr(
        kernels, "bound", lambda *a: pytest.fail("measured on a CPU without AVX-512")
    )
    assert kernels.main([]) == 0
    out = capsys.readouterr().out
    assert "skipped" in out and "no AVX-512" in out and "do not apply to this CPU" in out


def test_compare_sets_no_thread_variable_that_would_make_auto_stand_aside():
    source = Path(compare.__file__).read_text()
    assert "os.environ.setdefault" not in source and "os.environ[" not in source
