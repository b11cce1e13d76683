"""The ``nn`` command: demo, train, evaluate, gradcheck, and ``python -m nn``."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import nn
from nn.cli import build_parser, digit_art, main, train_from_args
from nn.diagnostics import doctor
from nn.layers.initializers import DEFAULT_INIT
from nn.train.progress import duration


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
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "test_accuracy" in out
    assert "val_" not in out  # the figures are the test set's, and say so


def test_train_epoch_lines_name_the_set_they_measure(capsys):
    argv = ["train", "--dataset", "moons", "--sizes", "2,8,1", "--epochs", "2", "--lr", "1"]
    result = train_from_args(build_parser().parse_args(argv))
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("Epoch 2/2")]
    assert len(lines) == 1 and "test_loss" in lines[0] and "test_accuracy" in lines[0], out
    assert "val_" not in out
    # the history keeps its keys; the last test_accuracy printed is the final test accuracy
    assert result.history["val_accuracy"][-1] == result.test_accuracy
    assert f"test_accuracy {result.test_accuracy:.4f}" in lines[0]
    assert main([*argv, "--validation-split", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "val_loss" in out and "val_accuracy" in out and "test_" not in out


@pytest.mark.parametrize(
    "seconds,text",
    [
        (0.9996, "1.0 s"),  # 999.6 ms rounds to 1000 ms: a second
        (0.9994, "999 ms"),
        (0.00999, "10 ms"),
        (0.0000123, "0.012 ms"),
        (0.00001, "0.01 ms"),
        (0.000009, "0.009 ms"),
        (0.000004, "< 0.01 ms"),  # 0.004 ms: 0.00 to two decimals
        (1e-9, "< 0.01 ms"),
        (0.0, "< 0.01 ms"),
        (61.26, "61.3 s"),
    ],
)
def test_duration_rounds_before_it_chooses_the_unit(seconds, text):
    assert duration(seconds) == text


def test_fast_epochs_do_not_print_zero_seconds(capsys):
    assert duration(2.34) == "2.3 s" and duration(0.04) == "40 ms"
    assert duration(0.0003) == "0.3 ms" and duration(0.0123) == "12 ms"
    argv = ["train", "--dataset", "xor", "--sizes", "2,3,1", "--epochs", "3", "--batch-size", "4"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "0.0 s" not in out and "0.00 s" not in out
    epoch_times = re.findall(r"^Epoch \d/3: .* \(([\d.]+) (ms|s)\)$", out, flags=re.M)
    assert len(epoch_times) == 3 and all(float(t) > 0 for t, _ in epoch_times), out


def test_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    X, y = nn.datasets.xor()
    for stderr, shown in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr(sys, "stderr", stderr)
        nn.mlp([2, 3, 1], seed=0).fit(X, y, epochs=2, batch_size=2, lr=1.0, seed=0)
        assert ("it/s" in stderr.getvalue() or "batch/s" in stderr.getvalue()) is shown
        assert "Epoch 2/2: loss" in capsys.readouterr().out  # the metrics line is kept


def test_train_help_shows_the_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split("options:", 1)[1].split())  # unwrapped
    for option, default in [
        ("--dataset", "digits"),
        ("--epochs", "10"),
        ("--batch-size", "10"),
        ("--activation", "sigmoid"),
        ("--loss", "squared_error"),
        ("--init", DEFAULT_INIT),
    ]:
        after = text.split(f"{option} ", 1)[1].split(" --", 1)[0]
        assert f"(default: {default})" in after, (option, after)


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


def test_a_saved_model_remembers_its_dataset(tmp_path, capsys):
    path = tmp_path / "moons.npz"
    argv = ["train", "--dataset", "moons", "--sizes", "2,8,1", "--epochs", "2", "--lr", "1"]
    assert main([*argv, "--quiet", "--save", str(path)]) == 0
    assert nn.load(path).metadata == {"dataset": "moons", "init": "scaled_normal"}
    capsys.readouterr()
    assert main(["evaluate", str(path)]) == 0  # no --dataset: the recorded one
    out, err = capsys.readouterr()
    assert f"{path} on moons (" in out and err == ""
    assert main(["evaluate", str(path), "--dataset", "circles"]) == 0
    out, err = capsys.readouterr()
    assert f"{path} on circles (" in out
    assert err == f"nn: warning: {path} was trained on moons, not circles\n"


def test_diagnose_a_saved_model_on_its_dataset_and_with_its_init(tmp_path, monkeypatch, capsys):
    path = tmp_path / "moons.npz"
    argv = ["train", "--dataset", "moons", "--sizes", "2,8,1", "--epochs", "2", "--lr", "1"]
    assert main([*argv, "--init", "he_normal", "--quiet", "--save", str(path)]) == 0
    assert nn.load(path).metadata == {"dataset": "moons", "init": "he_normal"}
    seen = {}
    real = doctor.diagnose

    def spy(*args, **kwargs):
        seen.update(kwargs, n_in=args[1].shape[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(doctor, "diagnose", spy)
    capsys.readouterr()
    main(["diagnose", "--model", str(path), "--steps", "20", "--no-experiments"])
    out, err = capsys.readouterr()
    assert f"Diagnosing the model in {path} on moons." in out and err == "", err
    assert seen["init"] == "he_normal" and seen["n_in"] == 2
    main(["diagnose", "--model", str(path), "--dataset", "circles", "--steps", "20"])
    out, err = capsys.readouterr()
    assert "on circles." in out
    assert err == f"nn: warning: {path} was trained on moons, not circles\n"


def test_models_without_a_recorded_dataset_still_load_and_default_to_digits(tmp_path, capsys):
    path = tmp_path / "old.npz"
    net = nn.mlp([784, 5, 10], seed=0)
    net.save(path)  # no metadata: the file is what versions before it wrote
    with np.load(path) as f:
        assert "metadata" not in json.loads(f["__nn_model__"].tobytes())
    assert nn.load(path).metadata == {}
    assert main(["evaluate", str(path)]) == 0
    assert f"{path} on digits (2,000 test examples)" in capsys.readouterr().out


@pytest.mark.parametrize("metadata", [["digits"], {"dataset": ["a", "list"]}, "digits"])
def test_metadata_must_be_plain_values(tmp_path, metadata):
    net = nn.mlp([2, 3, 1], seed=0)
    net.metadata = metadata
    with pytest.raises(ValueError, match="metadata"):
        net.save(tmp_path / "bad.npz")
    net.metadata = {}
    net.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as f:
        arrays = {k: f[k] for k in f.files}
    description = json.loads(arrays["__nn_model__"].tobytes())
    description["metadata"] = metadata
    arrays["__nn_model__"] = np.frombuffer(json.dumps(description).encode(), np.uint8)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(nn.ModelFileError, match="metadata"):
        nn.load(tmp_path / "bad.npz")


def test_train_moons_with_float64(capsys):
    argv = ["train", "--dataset", "moons", "--epochs", "30", "--lr", "1", "--dtype", "float64"]
    assert main([*argv, "--quiet"]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert float(line.split()[2].rstrip("%")) >= 85.0, line


def test_gradcheck_command_prints_a_table_and_passes(capsys):
    assert main(["gradcheck", "--sizes", "4,5,3"]) == 0
    out = capsys.readouterr().out
    assert "0.W" in out and "2.b" in out and ": ok" in out


def test_gradcheck_of_a_saved_saturated_network_is_ok(tmp_path, capsys):
    # tiny gradients of saturated units have large relative errors within round-off
    net = nn.mlp([12, 8, 3], seed=3, dtype=np.float64)
    net.layers[0].b[:4] = 16.0
    nn.save(net, tmp_path / "saturated.npz")
    assert main(["gradcheck", "--model", str(tmp_path / "saturated.npz")]) == 0
    verdict = capsys.readouterr().out.splitlines()[-1]
    assert ": ok (" in verdict and "order=4" not in verdict


def test_user_errors_exit_2_with_a_message(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    assert main(["evaluate", str(bad)]) == 2
    assert "nn: error:" in capsys.readouterr().err
    assert main(["train", "--dataset", "xor", "--sizes", "3,3,1"]) == 2
    assert "nn: error: --sizes 3,3,1 does not fit" in capsys.readouterr().err


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


def test_train_says_when_the_network_did_not_learn(capsys):
    assert main(["train", "--epochs", "1", "--lr", "1e9"]) == 0
    captured = capsys.readouterr()
    assert "Test accuracy 10.00%" in captured.out
    assert "did not learn" in captured.err and "nn diagnose" in captured.err
    assert main(["train", "--epochs", "1"]) == 0
    captured = capsys.readouterr()
    assert "did not learn" not in captured.err, captured.err
