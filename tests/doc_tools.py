"""Keep a Markdown document honest: quoted code, runnable examples, equation labels.

Used by ``tests/test_backprop_doc.py`` on ``docs/backprop.md``. Three kinds of content are
recognized:

* **Quotes.** A fenced ``python`` block directly below a caption line

  ``From `src/nn/layers.py`, `Dense.backward`:``

  (visible, so the reader learns where the lines come from) claims that its lines appear,
  verbatim and consecutively, in the source of that function or class (found with :mod:`ast`,
  so line numbers may move freely). Only a common indentation is ignored, so a method body may
  be quoted flush left. A line ``# ...`` splits a quote into pieces that must appear in that
  order, with anything in between (a docstring, say).
* **Examples.** Every other fenced ``python`` block is run. If a fenced ``text`` block follows
  it (only blank lines between), that block is exactly what it must print; otherwise each
  top-level ``print(...)  # value`` line says what it prints, as in the README.
* **Equation labels.** ``\\text{(BP1)}`` inside a fenced ``math`` block labels that equation.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

QUOTE_MARKER = re.compile(r"^From `([^`\s]+\.py)`, `([\w.]+)`:\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")
LABEL = re.compile(r"\\text\{\(([A-Z]+[0-9]+[a-z]?)\)\}")
ELISION = "# ..."


@dataclass(frozen=True)
class Block:
    """A fenced code block: its info string, its text, the 1-based lines of its two fences."""

    lang: str
    code: str
    line: int
    end: int


@dataclass(frozen=True)
class Quote:
    """A block that quotes ``qualname`` in ``path`` (relative to the repository root)."""

    path: str
    qualname: str
    code: str
    line: int


@dataclass(frozen=True)
class Example:
    """A runnable block and the output it must print (None: use its print-line comments)."""

    code: str
    output: str | None
    line: int


@dataclass(frozen=True)
class Label:
    """An equation label and the line of the ``math`` block that defines it."""

    name: str
    line: int


def fenced_blocks(text: str) -> list[tuple[Block, str]]:
    """Every fenced block with the line just above its opening fence ("" at the top)."""
    lines = text.splitlines()
    blocks: list[tuple[Block, str]] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].rstrip() != "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"line {start + 1}: fenced block never closed")
        above = lines[start - 1] if start > 0 else ""
        blocks.append((Block(m.group(1), "\n".join(body) + "\n", start + 1, i + 1), above))
        i += 1
    return blocks


def parse(text: str) -> tuple[list[Quote], list[Example], list[Label]]:
    """Split a Markdown document into its quotes, examples and equation labels."""
    lines = text.splitlines()
    blocks = fenced_blocks(text)
    quotes: list[Quote] = []
    examples: list[Example] = []
    labels: list[Label] = []
    for k, (block, above) in enumerate(blocks):
        if block.lang == "math":
            labels += [Label(name, block.line) for name in LABEL.findall(block.code)]
        if block.lang != "python":
            continue
        m = QUOTE_MARKER.match(above)
        if m:
            quotes.append(Quote(m.group(1), m.group(2), block.code, block.line))
            continue
        output = None
        if k + 1 < len(blocks):
            nxt = blocks[k + 1][0]
            between = lines[block.end : nxt.line - 1]
            if nxt.lang == "text" and all(not s.strip() for s in between):
                output = nxt.code
        examples.append(Example(block.code, output, block.line))
    return quotes, examples, labels


# ---------------------------------------------------------------------------- quotes
def source_of(path: Path, qualname: str) -> list[str]:
    """The source lines of function or class ``qualname`` (``"Dense.backward"``) in ``path``.

    Raises
    ------
    LookupError
        If the file has no such definition.
    """
    text = path.read_text()
    nodes: list[ast.stmt] = ast.parse(text).body
    node: ast.stmt | None = None
    for part in qualname.split("."):
        node = next(
            (
                n
                for n in nodes
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and n.name == part
            ),
            None,
        )
        if node is None:
            raise LookupError(f"{path.name} defines no {qualname!r} (no {part!r} found)")
        nodes = node.body  # type: ignore[attr-defined]
    assert node is not None and node.end_lineno is not None
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return text.splitlines()[first - 1 : node.end_lineno]


def _pieces(code: str) -> list[list[str]]:
    """The quoted lines, split at ``# ...`` lines, each piece dedented, outer blanks dropped."""
    pieces: list[list[str]] = [[]]
    for line in code.splitlines():
        if line.strip() == ELISION:
            pieces.append([])
        else:
            pieces[-1].append(line)
    out = []
    for piece in pieces:
        lines = textwrap.dedent("\n".join(piece)).strip("\n").splitlines()
        if lines:
            out.append([s.rstrip() for s in lines])
    return out


def _find(piece: list[str], source: list[str], start: int) -> int:
    """Index just past the first window of ``source`` at or after ``start`` equal to ``piece``
    up to a common indentation, or -1."""
    size = len(piece)
    for i in range(start, len(source) - size + 1):
        window = textwrap.dedent("\n".join(source[i : i + size])).splitlines()
        if [s.rstrip() for s in window] == piece:
            return i + size
    return -1


def check_quote(quote: Quote, root: Path = ROOT, doc: str = "the document") -> str | None:
    """None if the quote is still in the code, else a message saying what drifted and where."""
    where = f"{doc}, line {quote.line}: the quote of {quote.path} {quote.qualname}"
    path = root / quote.path
    if not path.is_file():
        return f"{where} names a file that does not exist"
    try:
        source = source_of(path, quote.qualname)
    except LookupError as err:
        return f"{where} names a definition that is gone: {err}"
    pieces = _pieces(quote.code)
    if not pieces:
        return f"{where} is empty"
    pos = 0
    for piece in pieces:
        end = _find(piece, source, pos)
        if end < 0:
            # The first quoted line that is not in the code, and the nearest line that is.
            present = {s.strip() for s in source}
            missing = next((s for s in piece if s.strip() not in present), None)
            if missing is None:
                detail = "every line is still there, but no longer in this order or together:"
                detail += "\n    " + "\n    ".join(piece)
            else:
                near = difflib.get_close_matches(
                    missing.strip(), [s.strip() for s in source if s.strip()], n=1, cutoff=0.0
                )
                detail = f"this quoted line is no longer in the code:\n    {missing.strip()}"
                if near:
                    detail += f"\n  the closest line the code has now:\n    {near[0]}"
            return (
                f"{where} has drifted from the code; {detail}\n"
                f"  Update the quote (and the derivation around it if the math changed)."
            )
        pos = end
    return None


# ---------------------------------------------------------------------------- examples
def expected_from_comments(code: str) -> list[str]:
    """The trailing comment of every top-level ``print(...)`` line, in order."""
    return [
        line.rsplit("# ", 1)[1].strip()
        for line in code.splitlines()
        if line.startswith("print(") and "# " in line
    ]


def run_example(example: Example, name: str = "example") -> tuple[str, dict]:
    """Run an example in a fresh namespace; return what it printed and the namespace."""
    out = io.StringIO()
    namespace: dict = {"__name__": "__doc_example__"}
    with contextlib.redirect_stdout(out):
        exec(compile(example.code, name, "exec"), namespace)
    return out.getvalue(), namespace


def check_example(example: Example, name: str = "example") -> str | None:
    """None if the example prints what the document says, else a message with the difference."""
    printed, _ = run_example(example, name)
    if example.output is not None:
        expected = example.output.rstrip("\n").splitlines()
    else:
        expected = expected_from_comments(example.code)
        if not expected:
            return None if printed else f"{name} printed nothing and states no output"
    got = printed.rstrip("\n").splitlines()
    if [s.rstrip() for s in got] == [s.rstrip() for s in expected]:
        return None
    diff = "\n".join(
        difflib.unified_diff(expected, got, "document says", "code prints", lineterm="")
    )
    return f"{name} does not print what the document says:\n{diff}"
