"""The doctor's and the benchmark's modules import each other acyclically, at top level,
and share no private names (a cycle broken by an import inside a function hides the order
in which modules must load)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "nn"
MODULES = [
    "findings_base.py",
    "findings.py",
    "findings_lr.py",
    "doctor.py",
    "reference/timing.py",
    "reference/predict.py",
    "reference/bench.py",
]


def _nn_imports(path: Path) -> list[tuple[ast.ImportFrom, bool]]:
    """Every ``from nn... import`` in ``path``, with whether it sits inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += [
                (n, True)
                for n in ast.walk(node)
                if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("nn")
            ]
    inner = {id(n) for n, _ in found}
    found += [
        (n, False)
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        and (n.module or "").startswith("nn")
        and id(n) not in inner
    ]
    return found


@pytest.mark.parametrize("name", MODULES)
def test_no_private_names_cross_modules_and_no_imports_inside_functions(name):
    for node, in_function in _nn_imports(SRC / name):
        private = [a.name for a in node.names if a.name.startswith("_")]
        assert not private, f"{name} imports private {private} from {node.module}"
        # a lazy import of a sibling module is how a cycle gets hidden
        sibling = node.module in ("nn.findings", "nn.findings_lr", "nn.findings_base") or (
            node.module or ""
        ).startswith("nn.reference")
        assert not (in_function and sibling), f"{name} imports {node.module} inside a function"


def test_findings_exports_still_work():
    import nn.findings as findings
    from nn.findings_base import Finding

    assert findings.Finding is Finding and "dead_units" in findings.FINDINGS
    assert callable(findings.examine) and findings.Rerun is not None
