"""The ``nn`` command: demo, train, evaluate, gradcheck, and ``python -m nn``."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

import nn
from nn.cli import digit_art, main


def test_demo_reaches_its_promised_accuracy(capsys):
    """The README promises at least 92% on the held-out digits within 10 epochs."""
    assert main(["demo", "--quiet"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("Test accuracy"))
    accuracy = float(line.split()[2].rstrip("%")) / 100
    assert accuracy >= 0.92, line
    assert "after 10 epochs" in line
    assert out.count("true ") == 6  # six digits drawn with their labels
    assert "Next:" in out


def test_demo_epoch_lines_show_test_accuracy(capsys):
    assert main(["demo", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "val_accuracy" in out


def test_no_command_runs_the_demo(monkeypatch):
    calls = []
    monkeypatch.setattr("nn.cli.cmd_demo", lambda args: calls.append(args) or 0)
    assert main([]) == 0
    assert len(calls) == 1 and calls[0].epochs == 10


def test_digit_art_draws_ink_where_the_image_has_ink():
    img = np.zeros((28, 28))
    img[:, 14] = 1.0
    art = digit_art(img)
    assert len(art) == 10 and all(len(row) == 20 for row in art)
    assert all(row[10] == "@" and row[0] == " " for row in art)


def test_train_save_evaluate_round_trip(tmp_path, capsys):
    path = tmp_path / "xor.npz"
    argv = ["train", "--dataset", "xor", "--sizes", "2,3,1", "--epochs", "1500"]
    argv += ["--batch-size", "4", "--lr", "3", "--quiet", "--save", str(path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Test accuracy 100.00%" in out and path.exists()
    assert main(["evaluate", str(path), "--dataset", "xor"]) == 0
    assert "accuracy 100.00%" in capsys.readouterr().out
    assert nn.load(path).n_in == 2


def test_train_moons_with_float64(capsys):
    argv = ["train", "--dataset", "moons", "--epochs", "30", "--lr", "1", "--dtype", "float64"]
    assert main([*argv, "--quiet"]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert float(line.split()[2].rstrip("%")) >= 85.0, line


def test_gradcheck_command_prints_a_table_and_passes(capsys):
    assert main(["gradcheck", "--sizes", "4,5,3"]) == 0
    out = capsys.readouterr().out
    assert "0.W" in out and "2.b" in out and ": ok" in out


def test_user_errors_exit_2_with_a_message(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    assert main(["evaluate", str(bad)]) == 2
    assert "nn: error:" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="does not fit"):
        main(["train", "--dataset", "xor", "--sizes", "3,3,1"])


@pytest.mark.parametrize("args", [["-m", "nn", "--help"], ["-m", "nn", "train", "--help"]])
def test_python_dash_m(args):
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True)
    assert "usage: nn" in out.stdout


def test_console_script_is_installed():
    exe = shutil.which("nn")
    if exe is None:
        pytest.skip("the package is not installed with its console script")
    out = subprocess.run([exe, "gradcheck", "--sizes", "3,2"], capture_output=True, text=True)
    assert out.returncode == 0 and "worst relative error" in out.stdout
