"""What people expect of a command: ``--version``, options listed by ``--help``, ``--plot``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import nn
from nn.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"nn {nn.__version__}\n"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1) == nn.__version__


def test_demo_help_lists_and_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = capsys.readouterr().out
    demo = next(
        a.choices["demo"] for a in build_parser()._actions if getattr(a, "choices", None)
    )  # argparse keeps no public list of subparsers
    for action in demo._actions:
        option = action.option_strings[-1]
        assert option in out
        assert action.help, f"{option} has no help text"
        assert " ".join(action.help.split()[:3]) in " ".join(out.split())


def test_demo_options_without_the_command_run_the_demo(monkeypatch):
    calls = []
    monkeypatch.setattr("nn.cli.cmd_demo", lambda args: calls.append(args) or 0)
    assert main(["--epochs", "2", "--quiet"]) == 0
    assert calls[0].command == "demo" and calls[0].epochs == 2 and calls[0].quiet


def test_train_plot_draws_the_learning_curves(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "curves.png"
    argv = ["train", "--dataset", "moons", "--sizes", "2,8,1", "--epochs", "3", "--lr", "1"]
    assert main([*argv, "--quiet", "--plot", str(png)]) == 0
    assert f"Learning curves written to {png}" in capsys.readouterr().out
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_train_plot_of_a_run_stopped_before_its_first_epoch(tmp_path, monkeypatch, capsys):
    from nn.cli.train import plot_history

    args = build_parser().parse_args(["train", "--plot", str(tmp_path / "c.png")])
    plot_history(args, {"epoch": []})
    assert "no epoch finished" in capsys.readouterr().err
    assert not (tmp_path / "c.png").exists()


def test_summary_of_a_saved_model(tmp_path, capsys):
    path = tmp_path / "moons.npz"
    argv = ["train", "--dataset", "moons", "--sizes", "2,8,1", "--epochs", "1", "--lr", "1"]
    assert main([*argv, "--quiet", "--save", str(path)]) == 0
    capsys.readouterr()
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path} (dataset: moons, init: scaled_normal)\n\n")
    assert nn.load(str(path)).summary() in out
    assert re.search(r"total +33\n", out)  # 2*8 + 8 + 8*1 + 1 parameters
    unsaved = nn.mlp([3, 2], seed=0)
    unsaved.save(str(tmp_path / "bare.npz"))
    assert main(["summary", str(tmp_path / "bare.npz")]) == 0
    assert capsys.readouterr().out.startswith(f"{tmp_path / 'bare.npz'}\n\n")
    assert main(["summary", str(tmp_path / "missing.npz")]) == 2
    assert "no model file" in capsys.readouterr().err
