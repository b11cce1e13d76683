"""docs/backprop.md stays true: its code quotes, its examples, its equation labels.

* Each quote (a ``python`` block right under a line "From `FILE`, `QUALNAME`:") must still be
  in that function of that file, verbatim (see ``doc_tools.check_quote``).
* Each other ``python`` block runs and prints what the page shows.
* Each equation label has a test named after it in ``tests/test_equations.py`` and a row in
  the page's closing table, and the labels that ``src/nn`` cites exist on the page.

The checker is tested too, on deliberately wrong quotes and examples, so it can fail.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
from doc_tools import ROOT, Example, Quote, check_example, check_quote, fenced_blocks, parse

import nn

DOC = ROOT / "docs" / "backprop.md"
TEXT = DOC.read_text()
QUOTES, EXAMPLES, LABELS = parse(TEXT)
EQUATION_TESTS = ROOT / "tests" / "test_equations.py"
# How src/nn cites an equation of the page: BP2, FP2, SQ2, MB2, ...
CITATION = re.compile(r"\b((?:FP|SQ|CR|OC|BP|MB|SG|VG|LS)[0-9]+b?)\b")


# ---------------------------------------------------------------------------- the page
@pytest.mark.parametrize("quote", QUOTES, ids=lambda q: f"line{q.line}-{q.qualname}")
def test_quote_is_still_in_the_code(quote):
    problem = check_quote(quote, ROOT, "docs/backprop.md")
    assert problem is None, problem


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"line{e.line}")
def test_example_prints_what_the_page_shows(example):
    problem = check_example(example, f"docs/backprop.md example at line {example.line}")
    assert problem is None, problem


def test_every_example_states_its_output():
    for example in EXAMPLES:
        has_comments = any(
            line.startswith("print(") and "# " in line for line in example.code.splitlines()
        )
        assert example.output is not None or has_comments, f"example at line {example.line}"
        assert example.output is None or "OUTPUT" not in example.output, example.line


def test_the_page_quotes_the_whole_training_path():
    quoted = {(q.path, q.qualname) for q in QUOTES}
    for needed in [
        ("src/nn/layers/activations.py", "Sigmoid.backward"),
        ("src/nn/layers/dense.py", "Dense.forward"),
        ("src/nn/layers/dense.py", "Dense.backward"),
        ("src/nn/core/network.py", "Network.forward"),
        ("src/nn/core/network.py", "Network.backward"),
        ("src/nn/losses.py", "SquaredError.gradient"),
        ("src/nn/optim/optimizers.py", "Optimizer.step"),
        ("src/nn/optim/optimizers.py", "SGD.update"),
    ]:
        assert needed in quoted, needed


def test_each_backprop_equation_is_followed_by_its_code():
    """Between the heading of BPk and the next heading there is a quote citing BPk."""
    sections = re.split(r"^### ", TEXT, flags=re.MULTILINE)
    for k in range(1, 5):
        (section,) = [s for s in sections if s.startswith(f"BP{k}:")]
        quoted = [b.code for b, above in fenced_blocks(section) if above.startswith("From `")]
        assert any(f"BP{k}" in code for code in quoted), f"section BP{k} quotes no line citing it"
        assert section.index(f"\\text{{(BP{k})}}") < section.index("\nFrom `"), k


def test_notation_table_names_what_the_code_has():
    """Every `Class.attribute` of the notation table exists after a forward and backward pass."""
    table = TEXT[TEXT.index("## 1. Notation") : TEXT.index("## 2.")]
    names = re.findall(r"`([A-Z]\w*)\.(\w+)`", table)
    assert len(names) >= 8
    net = nn.mlp([3, 4, 2], seed=0)
    a = net.forward(np.ones((5, 3)))
    net.backward(net.loss.gradient(a, np.zeros((5, 2))))
    objects = {"Dense": net.layers[0], "Sigmoid": net.layers[1], "Network": net}
    objects["SGD"] = nn.SGD(1.0)
    for cls, attr in names:
        assert hasattr(objects[cls], attr), f"the notation table names {cls}.{attr}"


def test_labels_are_unique_and_named_consistently():
    names = [label.name for label in LABELS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    for n in ("BP1", "BP2", "BP3", "BP4"):
        assert n in names
    assert all(CITATION.fullmatch(n) for n in names), names


def equation_test_names() -> list[str]:
    tree = ast.parse(EQUATION_TESTS.read_text())
    return [
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    ]


def test_every_label_has_a_test_named_after_it():
    names = equation_test_names()
    for label in LABELS:
        prefix = f"test_{label.name.lower()}_"
        assert any(n.startswith(prefix) for n in names), (
            f"equation ({label.name}) at docs/backprop.md line {label.line} has no "
            f"{prefix}... test in tests/test_equations.py"
        )


def test_every_equation_test_names_a_label():
    labels = {label.name.lower() for label in LABELS}
    for name in equation_test_names():
        assert name.split("_")[1] in labels, f"{name} names no equation of docs/backprop.md"


def test_closing_table_lists_every_label_with_its_test():
    names = set(equation_test_names())
    rows = [line for line in TEXT.splitlines() if line.startswith("| (")]
    by_label = {re.match(r"\| \((\w+)\)", row).group(1): row for row in rows}
    assert set(by_label) == {label.name for label in LABELS}
    for label, row in by_label.items():
        cited = re.findall(r"`(test_\w+)`", row)
        assert cited and all(c in names for c in cited), row
        assert all(c.startswith(f"test_{label.lower()}_") for c in cited), row


def test_the_code_cites_the_labels_of_the_page():
    labels = {label.name for label in LABELS}
    cited: dict[str, set[str]] = {}
    for path in sorted((ROOT / "src" / "nn").rglob("*.py")):
        for name in CITATION.findall(path.read_text()):
            cited.setdefault(name, set()).add(path.name)
    unknown = {name: files for name, files in cited.items() if name not in labels}
    assert not unknown, f"src/nn cites equations docs/backprop.md does not have: {unknown}"
    for name in ("BP1", "BP2", "BP3", "BP4", "FP2", "SQ2", "MB2", "SG2"):
        assert name in cited, f"no comment in src/nn cites ({name})"


def math_spans(text: str) -> list[tuple[int, str]]:
    """(line, source) of every math block and every inline $...$ outside code."""
    spans = [(b.line, b.code) for b, _ in fenced_blocks(text) if b.lang == "math"]
    in_code = False
    for i, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            in_code = not in_code
            continue
        if not in_code:
            without_code = re.sub(r"`[^`]*`", "", line)
            spans += [(i, m) for m in re.findall(r"\$([^$]+)\$", without_code)]
    return spans


def test_math_is_safe_for_github():
    """Balanced braces and \\left/\\right; no $$ (math blocks are fenced); no \\\\ inline."""
    assert "$$" not in TEXT
    for line, src in math_spans(TEXT):
        depth = 0
        for ch in re.sub(r"\\[{}]", "", src):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, f"line {line}: unbalanced braces in {src!r}"
        assert depth == 0, f"line {line}: unbalanced braces in {src!r}"
        left, right = (len(re.findall(rf"\\{w}(?![a-zA-Z])", src)) for w in ("left", "right"))
        assert left == right, f"line {line}: \\left without \\right in {src!r}"
        if "\n" not in src:
            assert "\\\\" not in src and "|" not in src, f"line {line}: {src!r}"


# ---------------------------------------------------------------------------- the checker
SOURCE = '''
class Thing:
    def method(self, x):
        """Docstring."""
        y = x + 1  # BP9
        for i in range(3):
            y += i
        return y


def helper(z):
    return z * 2
'''


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(SOURCE)
    return tmp_path


def quote(code: str, qualname: str = "Thing.method", path: str = "pkg/mod.py") -> Quote:
    return Quote(path, qualname, code, line=12)


@pytest.mark.parametrize(
    "code",
    [
        "y = x + 1  # BP9\nfor i in range(3):\n    y += i\n",
        "    for i in range(3):\n        y += i\n",  # any common indentation
        "def method(self, x):\n# ...\ny = x + 1  # BP9\n# ...\nreturn y\n",  # elisions
    ],
)
def test_checker_accepts_faithful_quotes(repo, code):
    assert check_quote(quote(code), repo) is None


def test_checker_reports_a_changed_line_with_its_replacement(repo):
    problem = check_quote(quote("y = x + 2  # BP9\n"), repo, "doc.md")
    assert problem is not None
    assert "doc.md, line 12" in problem and "pkg/mod.py Thing.method" in problem
    assert "y = x + 2  # BP9" in problem  # the quoted line that drifted
    assert "y = x + 1  # BP9" in problem  # and the line the code has now


@pytest.mark.parametrize(
    "code,why",
    [
        ("y += i\nfor i in range(3):\n", "order"),  # lines present, order wrong
        ("y = x + 1  # BP9\nreturn y\n", "order"),  # not consecutive
        ("for i in range(3):\ny += i\n", "no longer"),  # indentation inside the quote lost
        ("return z * 2\n", "no longer"),  # a line of another function
        ("return y\n# ...\ny = x + 1  # BP9\n", "order"),  # elided pieces out of order
    ],
)
def test_checker_rejects_unfaithful_quotes(repo, code, why):
    problem = check_quote(quote(code), repo)
    assert problem is not None and why in problem


def test_checker_rejects_missing_files_and_definitions(repo):
    assert "does not exist" in check_quote(quote("x\n", path="pkg/gone.py"), repo)
    assert "gone" in check_quote(quote("x\n", qualname="Thing.other"), repo)
    assert check_quote(quote("return z * 2\n", qualname="helper"), repo) is None


def test_parse_finds_quotes_examples_outputs_and_labels():
    text = "\n".join(
        [
            "From `pkg/mod.py`, `helper`:",
            "```python",
            "return z * 2",
            "```",
            "",
            "```python",
            "print(1 + 1)",
            "```",
            "",
            "```text",
            "2",
            "```",
            "```python",
            "print(3)  # 3",
            "```",
            "some prose",
            "```text",
            "not an output: prose came between",
            "```",
            "```math",
            r"a = b \qquad \text{(XY1)}",
            "```",
        ]
    )
    quotes, examples, labels = parse(text)
    assert [(q.path, q.qualname, q.code) for q in quotes] == [
        ("pkg/mod.py", "helper", "return z * 2\n")
    ]
    assert [(e.code, e.output) for e in examples] == [
        ("print(1 + 1)\n", "2\n"),
        ("print(3)  # 3\n", None),
    ]
    assert [(label.name, label.line) for label in labels] == [("XY1", 20)]


def test_checker_of_examples_catches_wrong_output():
    assert check_example(Example("print(1 + 1)\n", "2\n", 1)) is None
    assert check_example(Example("print(1 + 1)  # 2\n", None, 1)) is None
    problem = check_example(Example("print(1 + 1)\n", "3\n", 1), "ex")
    assert problem is not None and "-3" in problem and "+2" in problem
    assert check_example(Example("print(1 + 1)  # 3\n", None, 1)) is not None
    assert check_example(Example("x = 1\n", None, 1)) is not None  # states nothing
