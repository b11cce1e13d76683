"""``--help`` works for every command and subcommand (a stray ``%`` in a help string broke one)."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from nn.cli import build_parser, main


def _command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list:
    """Every path of subcommand names below ``parser``, found by walking argparse's tree."""
    paths = [prefix]
    for action in parser._actions:  # argparse keeps no public list of subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                paths += _command_paths(child, (*prefix, name))
    return paths


PATHS = _command_paths(build_parser())


def test_the_walk_finds_every_command():
    names = {p[0] for p in PATHS if p}
    assert {"demo", "train", "evaluate", "diagnose", "gradcheck", "bench"} <= names
    assert ("bench", "backprop") in PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "nn")
def test_help_of_every_command_prints_and_exits_0(path, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*path, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ")
    assert "--help" in out
    for name in path:
        assert name in out.splitlines()[0]  # the usage line names the command


def test_python_dash_m_nn_help_runs_in_a_fresh_process():
    done = subprocess.run(
        [sys.executable, "-m", "nn", "gradcheck", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "--recheck" in done.stdout
