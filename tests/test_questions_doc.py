"""docs/questions.md stays true: its examples run and print what it shows, its tables and
figures exist (they are written by ``python benchmarks/questions.py``)."""

from __future__ import annotations

import re

import pytest
from doc_tools import ROOT, check_example, check_quote, parse

DOC = ROOT / "docs" / "questions.md"
TEXT = DOC.read_text()
QUOTES, EXAMPLES, _ = parse(TEXT)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"line{e.line}")
def test_example_prints_what_the_page_shows(example):
    problem = check_example(example, f"docs/questions.md example at line {example.line}")
    assert problem is None, problem


@pytest.mark.parametrize("quote", QUOTES, ids=lambda q: f"line{q.line}-{q.qualname}")
def test_quote_is_still_in_the_code(quote):
    problem = check_quote(quote, ROOT, "docs/questions.md")
    assert problem is None, problem


def test_every_generated_block_is_filled_and_every_figure_exists():
    blocks = re.findall(r"<!-- questions:([\w-]+) -->\n(.*?)<!-- /questions:\1 -->", TEXT, re.S)
    names = {name for name, _ in blocks}
    assert names == {"doctor-normal", "doctor-deep", "findings", "speed", "init", "xor"}
    assert all(body.strip() for _, body in blocks), "run python benchmarks/questions.py"
    for image in re.findall(r"\]\((images/[\w.-]+)\)", TEXT):
        assert (DOC.parent / image).is_file(), image


def test_the_findings_table_lists_every_finding():
    from nn.diagnostics.findings.rules import FINDINGS

    for key in FINDINGS:
        assert f"| `{key}` |" in TEXT
