"""The README's Fashion-MNIST result: its command, and (with ``-m slow``) its reproduction."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

from nn.cli import main

ROOT = Path(__file__).resolve().parent.parent


def readme_command() -> str:
    """The one ``nn train --dataset fashion-mnist ...`` command in the README's results."""
    text = (ROOT / "README.md").read_text()
    found = re.findall(r"^nn train --dataset fashion-mnist .*$", text, flags=re.MULTILINE)
    assert len(found) == 1, found
    return found[0]


def test_readme_and_benchmark_give_the_same_command():
    spec = importlib.util.spec_from_file_location("accuracy", ROOT / "benchmarks" / "accuracy.py")
    accuracy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(accuracy)
    assert readme_command() == accuracy.command("fashion-mnist", accuracy.BEST)


@pytest.mark.slow
def test_readme_command_reaches_90_percent_on_fashion_mnist(capsys):
    from nn.datasets import fashion_mnist

    try:
        fashion_mnist(download=False)
    except FileNotFoundError:
        pytest.skip("Fashion-MNIST files not installed")
    argv = shlex.split(readme_command())[1:]  # drop the program name
    assert main([*argv, "--quiet"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("Test accuracy"), line
    assert float(line.split()[2].rstrip("%")) >= 90.0, line
