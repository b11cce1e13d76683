"""docs/autograd.md stays true: its quotes of the engines, its examples, its drawn graph.

* Each quote (a ``python`` block right under a line "From `FILE`, `QUALNAME`:") must still be
  in that function of that file, verbatim (``doc_tools.check_quote``).
* Each other ``python`` block runs and prints what the page shows.
* The graph of section 4 is exactly what ``nn.autograd.draw.graph_table`` prints for
  ``small_network()``.
"""

from __future__ import annotations

import re

import pytest
from doc_tools import ROOT, check_example, check_quote, fenced_blocks, parse, source_of

from nn.autograd.draw import graph_table, small_network

DOC = ROOT / "docs" / "autograd.md"
TEXT = DOC.read_text()
QUOTES, EXAMPLES, _ = parse(TEXT)


@pytest.mark.parametrize("quote", QUOTES, ids=lambda q: f"line{q.line}-{q.qualname}")
def test_quote_is_still_in_the_code(quote):
    problem = check_quote(quote, ROOT, "docs/autograd.md")
    assert problem is None, problem


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"line{e.line}")
def test_example_prints_what_the_page_shows(example):
    problem = check_example(example, f"docs/autograd.md example at line {example.line}")
    assert problem is None, problem


def test_every_example_states_its_output():
    for example in EXAMPLES:
        has_comments = any(
            line.startswith("print(") and "# " in line for line in example.code.splitlines()
        )
        assert example.output is not None or has_comments, f"example at line {example.line}"


def test_the_page_draws_exactly_what_graph_table_prints():
    cost, _ = small_network()
    table = graph_table(cost)
    drawn = [b.code.rstrip("\n") for b, _ in fenced_blocks(TEXT) if b.lang == "text"]
    assert table in drawn
    assert table.count("\n") == 27  # a header, a rule and a row for each of the 26 nodes


def test_the_page_quotes_both_walks_and_the_rules_behind_bp1_to_bp4():
    quoted = {(q.path, q.qualname) for q in QUOTES}
    for needed in [
        ("src/nn/autograd/scalar.py", "Value.__mul__"),
        ("src/nn/autograd/scalar.py", "Value.backward"),
        ("src/nn/autograd/scalar.py", "topological_order"),
        ("src/nn/autograd/tensor.py", "Tensor.backward"),
        ("src/nn/autograd/tensor.py", "Tensor.__matmul__"),
        ("src/nn/autograd/tensor.py", "Tensor.__add__"),
        ("src/nn/autograd/tensor.py", "unbroadcast"),
        ("src/nn/autograd/tensor.py", "Tensor.sigmoid"),
        ("src/nn/autograd/rules.py", "dense"),
    ]:
        assert needed in quoted, needed
    cited = " ".join(q.code for q in QUOTES)
    for label in ("BP1", "BP2", "BP3", "BP4"):
        assert label in cited, f"no quoted line of the engines cites {label}"


def test_the_side_by_side_table_names_lines_the_code_has():
    """Each `Class.method`: `code` cell of the table names a line that is in that method."""
    table = TEXT[TEXT.index("| equation | by hand") : TEXT.index("On a `Dense` layer")]
    cells = re.findall(r"`([\w.]+)`: `([^`]+)`", table)
    assert len(cells) >= 9
    files = {
        "Sigmoid": "src/nn/layers/activations.py",
        "Dense": "src/nn/layers/dense.py",
        "Network": "src/nn/core/network.py",
    }
    for qualname, code in cells:
        path = files.get(qualname.split(".")[0], "src/nn/autograd/tensor.py")
        source = "\n".join(source_of(ROOT / path, qualname))
        for piece in code.split("; "):
            assert piece in source, f"{qualname} has no {piece!r}"


def test_math_is_safe_for_github():
    assert "$$" not in TEXT
    for block, _ in fenced_blocks(TEXT):
        if block.lang == "math":
            assert block.code.count("{") == block.code.count("}"), block.line
