"""docs/recurrent.md stays true: its code quotes, its examples, its equation labels.

The same checks as tests/test_backprop_doc.py (whose checker, doc_tools, is tested there): each
quote is still in its function, each other python block prints what the page shows, each
labelled equation has a test named after it in tests/test_recurrent_equations.py and a row in
the closing table, and every label src/nn cites is on the page.
"""

from __future__ import annotations

import ast
import re

import pytest
from doc_tools import ROOT, check_example, check_quote, fenced_blocks, parse

DOC = ROOT / "docs" / "recurrent.md"
TEXT = DOC.read_text()
QUOTES, EXAMPLES, LABELS = parse(TEXT)
EQUATION_TESTS = ROOT / "tests" / "test_recurrent_equations.py"
CITATION = re.compile(r"\b((?:RNN|BPTT|VT|CLIP|LSTM|GRU)[0-9]+)\b")


@pytest.mark.parametrize("quote", QUOTES, ids=lambda q: f"line{q.line}-{q.qualname}")
def test_quote_is_still_in_the_code(quote):
    problem = check_quote(quote, ROOT, "docs/recurrent.md")
    assert problem is None, problem


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"line{e.line}")
def test_example_prints_what_the_page_shows(example):
    problem = check_example(example, f"docs/recurrent.md example at line {example.line}")
    assert problem is None, problem


def test_the_page_has_no_placeholders_left():
    assert not re.findall(r"^[A-Z_]{4,}$", TEXT, flags=re.MULTILINE)  # a line such as LM_TABLE


def test_the_page_quotes_bptt_the_cells_and_clipping():
    quoted = {(q.path, q.qualname) for q in QUOTES}
    for needed in [
        ("src/nn/functional/recurrent.py", "rnn_step_forward"),
        ("src/nn/functional/recurrent.py", "rnn_step_backward"),
        ("src/nn/functional/recurrent.py", "sequence_backward"),
        ("src/nn/functional/recurrent.py", "lstm_step_backward"),
        ("src/nn/functional/recurrent.py", "gru_step_backward"),
        ("src/nn/functional/recurrent_fast.py", "rnn_backward"),
        ("src/nn/optim/optimizers.py", "Optimizer.step"),
    ]:
        assert needed in quoted, needed


def test_each_equation_is_followed_by_its_code():
    """Every label the code cites is quoted, after its equation, in a block that cites it."""
    blocks = fenced_blocks(TEXT)
    lines = TEXT.splitlines()
    for label in LABELS:
        if label.name in ("VT1", "VT2"):  # measured, not computed by a line of its own
            continue
        quoted_after = [
            b.code
            for b, above in blocks
            if above.startswith("From `") and b.line > label.line and label.name in b.code
        ]
        assert quoted_after, (
            f"({label.name}) at line {label.line} is followed by no quote citing it"
        )
    assert lines  # the page is not empty


def equation_test_names() -> list[str]:
    tree = ast.parse(EQUATION_TESTS.read_text())
    return [
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    ]


def test_labels_are_unique_and_each_has_a_test_and_a_row():
    names = [label.name for label in LABELS]
    assert len(names) == len(set(names)) and len(names) == 14, names
    tests = equation_test_names()
    rows = {
        re.match(r"\| \((\w+)\)", r).group(1): r for r in TEXT.splitlines() if r.startswith("| (")
    }
    assert set(rows) == set(names)
    for name in names:
        prefix = f"test_{name.lower()}_"
        assert any(t.startswith(prefix) for t in tests), f"({name}) has no {prefix}... test"
        cited = re.findall(r"`(test_\w+)`", rows[name])
        assert cited and all(c in tests and c.startswith(prefix) for c in cited), rows[name]
    for t in tests:
        assert t.split("_")[1].upper() in names, f"{t} names no equation of docs/recurrent.md"


def test_the_code_cites_only_labels_of_the_page():
    labels = {label.name for label in LABELS}
    cited: dict[str, set[str]] = {}
    for path in sorted((ROOT / "src" / "nn").rglob("*.py")):
        for name in CITATION.findall(path.read_text()):
            cited.setdefault(name, set()).add(path.name)
    unknown = {name: files for name, files in cited.items() if name not in labels}
    assert not unknown, f"src/nn cites equations docs/recurrent.md does not have: {unknown}"
    for name in ("RNN1", "BPTT1", "BPTT2", "BPTT3", "BPTT4", "LSTM3", "GRU3", "CLIP1"):
        assert name in cited, f"no comment in src/nn cites ({name})"
