"""docs/cnn.md's Fashion-MNIST CNN: its command, and (with ``-m slow``) its reproduction."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from nn.cli import main

DOC = Path(__file__).resolve().parent.parent / "docs" / "cnn.md"


def documented_command() -> str:
    """The one ``nn train --dataset fashion-mnist --cnn ...`` line of docs/cnn.md."""
    found = re.findall(r"^nn train --dataset fashion-mnist --cnn .*$", DOC.read_text(), re.M)
    assert len(found) == 1, found
    return found[0]


def test_the_documented_command_is_a_cnn_run_that_can_be_parsed():
    from nn.cli import build_parser

    args = build_parser().parse_args(shlex.split(documented_command())[1:])
    assert args.cnn and args.dataset == "fashion-mnist" and args.seed == 0


@pytest.mark.slow
def test_the_documented_cnn_reaches_92_percent_on_fashion_mnist(capsys):
    from nn.datasets import fashion_mnist

    try:
        fashion_mnist(download=False)
    except FileNotFoundError:
        pytest.skip("Fashion-MNIST files not installed")
    assert main(shlex.split(documented_command())[1:]) == 0
    out = capsys.readouterr().out
    accuracy = float(re.search(r"Test accuracy ([0-9.]+)%", out).group(1))
    print(out.splitlines()[-1])  # the accuracy and the time it took, for the record
    assert accuracy >= 92.0, out


def test_the_pages_examples_print_what_it_shows():
    from doc_tools import check_example, parse

    _, examples, _ = parse(DOC.read_text())
    assert examples
    for example in examples:
        problem = check_example(example, f"docs/cnn.md example at line {example.line}")
        assert problem is None, problem
