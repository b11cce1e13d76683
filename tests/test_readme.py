"""The README's Python examples run, and print exactly what their comments say."""

from __future__ import annotations

import contextlib
import importlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[tuple[str, list[str]]]:
    """Each Python block, with the lines of the ``text`` block right after it (if any)."""
    found = re.findall(r"```python\n(.*?)```\n(?:\n```text\n(.*?)```)?", text, flags=re.DOTALL)
    return [(code, table.splitlines()) for code, table in found]


def expected_output(block: str, table: list[str]) -> list[str]:
    """The trailing comment of every top-level ``print(...)`` line, in order; a comment
    saying "the table below" stands for the lines of the text block after the example, and
    an example without commented prints must print exactly that text block."""
    expected = []
    for line in block.splitlines():
        if line.startswith("print(") and "# " in line:
            comment = line.rsplit("# ", 1)[1].strip()
            expected += table if comment == "the table below" else [comment]
    return expected or table  # no commented print: the text block is the whole output


BLOCKS = python_blocks(README.read_text())


def test_readme_has_its_examples():
    assert len(BLOCKS) >= 2
    assert len(BLOCKS[0][0].strip().splitlines()) < 15  # the first example stays short


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs_and_prints_what_it_says(index):
    block, table = BLOCKS[index]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, f"README block {index}", "exec"), {"__name__": "__readme__"})
    printed = out.getvalue().splitlines()
    expected = expected_output(block, table)
    if expected:
        assert printed == expected
    else:
        assert printed, "the example printed nothing"


def test_every_test_the_guarantees_section_names_exists():
    text = README.read_text()
    section = text.split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    files = {p.stem: p.read_text() for p in README.parent.glob("tests/test_*.py")}
    names = set(re.findall(r"\b(test_\w+)", section)) - set(files)  # functions, not files
    assert len(names) >= 15
    missing = sorted(n for n in names if not any(f"def {n}(" in t for t in files.values()))
    assert not missing, missing


def _quick_start_commands() -> list[str]:
    """The shell lines of the README's quick start, comments stripped."""
    text = README.read_text()
    section = re.search(r"^## Quick start$(.*?)^## ", text, flags=re.DOTALL | re.MULTILINE)
    assert section, "the README has no '## Quick start' section"
    blocks = re.findall(r"```bash\n(.*?)```", section.group(1), flags=re.DOTALL)
    return [line.split("  #")[0].strip() for b in blocks for line in b.splitlines() if line]


def test_ci_runs_the_readme_test_command_word_for_word():
    # CI must test what a newcomer gets: the same install (extras) and the same test command.
    install, test = _quick_start_commands()
    assert install.startswith("pip install .") and test.startswith("pip install ")
    ci = (README.parent / ".ci" / "run").read_text()
    lines = [line.strip() for line in ci.splitlines() if not line.lstrip().startswith("#")]
    assert test in lines


def test_every_module_the_readme_names_exists():
    # "What is where" and the moved-modules table must follow the code when it moves again
    src = README.parent / "src"
    text = README.read_text()
    paths = set(re.findall(r"`(nn/[\w/]+(?:\.py)?)`", text))
    assert len(paths) > 15
    missing = [p for p in sorted(paths) if not (src / p).exists()]
    assert missing == []
    # the "before" column of the moved-modules table names modules that are gone on purpose
    now = re.sub(r"^\| `nn\.[^|]*\|", "|", text, flags=re.MULTILINE)
    dotted = set(re.findall(r"`(nn(?:\.[a-z_]+)+)`", now))

    for name in sorted(dotted - {"nn.py"}):  # nn.py: the seed's script, not a module
        parts = name.split(".")
        for k in range(len(parts), 0, -1):  # the longest importable prefix, then attributes
            try:
                obj = importlib.import_module(".".join(parts[:k]))
            except ModuleNotFoundError:
                continue
            for attr in parts[k:]:
                obj = getattr(obj, attr)
            break
        else:
            raise AssertionError(f"README names {name}, which does not exist")
