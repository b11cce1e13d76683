"""docs/convolution.md stays true: its code quotes, its examples, its equation labels."""

from __future__ import annotations

import re

import pytest
from doc_tools import ROOT, check_example, check_quote, parse

DOC = ROOT / "docs" / "convolution.md"
TEXT = DOC.read_text()
QUOTES, EXAMPLES, LABELS = parse(TEXT)
SOURCES = [
    ROOT / "src/nn/functional/conv.py",
    ROOT / "src/nn/functional/pooling.py",
    ROOT / "src/nn/functional/normalization.py",
    ROOT / "src/nn/reference/conv.py",
]
CITATION = re.compile(r"\(([CPN][0-9])\)")


@pytest.mark.parametrize("quote", QUOTES, ids=lambda q: f"line{q.line}-{q.qualname}")
def test_quote_is_still_in_the_code(quote):
    problem = check_quote(quote, ROOT, "docs/convolution.md")
    assert problem is None, problem


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"line{e.line}")
def test_example_prints_what_the_page_shows(example):
    problem = check_example(example, f"docs/convolution.md example at line {example.line}")
    assert problem is None, problem


def test_the_page_quotes_both_twins_forward_and_backward():
    quoted = {(q.path, q.qualname) for q in QUOTES}
    for needed in [
        ("src/nn/functional/conv.py", "conv_forward_naive"),
        ("src/nn/functional/conv.py", "conv_backward_naive"),
        ("src/nn/functional/conv.py", "conv_forward_im2col"),
        ("src/nn/functional/conv.py", "conv_backward_im2col"),
        ("src/nn/functional/conv.py", "im2col"),
        ("src/nn/functional/conv.py", "col2im"),
        ("src/nn/functional/pooling.py", "max_pool_backward_naive"),
        ("src/nn/functional/normalization.py", "batchnorm_backward"),
    ]:
        assert needed in quoted, needed


def test_every_label_the_code_cites_is_defined_once_and_tabled():
    defined = [label.name for label in LABELS]
    assert len(defined) == len(set(defined)), "a label is defined twice"
    cited = {m for path in SOURCES for m in CITATION.findall(path.read_text())}
    assert cited == set(defined), cited ^ set(defined)
    table = TEXT[TEXT.index("## Equations and their tests") :]
    for name in defined:
        assert re.search(rf"\b{name}\b", table), f"{name} has no row in the closing table"


def test_each_equation_is_followed_by_code_that_cites_it():
    """After each label's math block, some quote on the page cites the label."""
    for label in LABELS:
        after = [q for q in QUOTES if q.line > label.line]
        assert any(f"({label.name})" in q.code for q in after), label.name


def test_a_quote_that_drifted_is_caught():
    drifted = QUOTES[0].__class__(QUOTES[0].path, QUOTES[0].qualname, "out = 42  # (C1)\n", 1)
    assert "drifted" in check_quote(drifted, ROOT, "docs/convolution.md")
