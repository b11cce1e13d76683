"""Mistakes on the ``nn`` command line: one ``nn: error:`` line, status 2, before any work."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest

import nn
import nn.cli.options
from nn.cli import main

DOCS_JSON = Path(__file__).resolve().parents[1] / "docs" / "data" / "why-backprop-is-fast.json"


@pytest.fixture
def no_work(monkeypatch):
    """Make loading data (train, diagnose) and timing (bench) fail the test if reached."""

    def work(*args, **kwargs):
        raise AssertionError("the command started work before checking its options")

    for module in ("nn.cli.train", "nn.cli.diagnose", "nn.cli.evaluate"):
        monkeypatch.setattr(f"{module}.load_dataset", work)
    monkeypatch.setattr("nn.bench.report.measure", work)
    monkeypatch.setattr("nn.bench.report.format_report", work)


def _error(capsys) -> str:
    """The single line the command wrote to stderr, which must be an ``nn: error:``."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nn: error: "), err
    return lines[0]


@pytest.mark.parametrize("option", ["--save", "--checkpoint", "--plot"])
def test_train_output_in_a_missing_directory_fails_before_training(option, no_work, capsys):
    path = "/nonexistent/dir/m.npz"
    assert main(["train", option, path, "--epochs", "1"]) == 2
    line = _error(capsys)
    assert f"{option} {path}" in line and "mkdir -p /nonexistent/dir" in line


@pytest.mark.parametrize("option", ["--save", "--checkpoint", "--plot"])
def test_train_output_that_is_a_directory_fails_before_training(option, tmp_path, no_work, capsys):
    assert main(["train", option, str(tmp_path)]) == 2
    assert "is a directory" in _error(capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["diagnose", "--json", "/nonexistent/dir/r.json"],
        ["bench", "backprop", "--json", "/nonexistent/dir/r.json", "--sizes", "3,2"],
        ["bench", "backprop", "--plot", "/nonexistent/dir/p.png", "--from-json", str(DOCS_JSON)],
    ],
)
def test_other_output_files_are_checked_before_any_work(argv, no_work, capsys):
    assert main(argv) == 2
    line = _error(capsys)
    assert "/nonexistent/dir" in line and "does not exist" in line


def test_plots_directory_that_is_a_file_is_refused_before_any_work(tmp_path, no_work, capsys):
    target = tmp_path / "taken"
    target.write_text("a file")
    assert main(["diagnose", "--plots", str(target / "pictures")]) == 2
    assert "not a directory" in _error(capsys)
    assert main(["diagnose", "--plots", str(target)]) == 2
    assert "is a file" in _error(capsys)


@pytest.mark.parametrize("where", [["missing", "m.npz"], ["a_directory"]])
def test_save_errors_name_the_users_path_not_the_temporary_file(where, tmp_path):
    (tmp_path / "a_directory").mkdir()
    path = tmp_path.joinpath(*where)
    with pytest.raises(OSError) as caught:
        nn.mlp([2, 3, 1], seed=0).save(str(path))
    assert str(path) in str(caught.value) and ".part" not in str(caught.value)
    assert isinstance(caught.value, (FileNotFoundError, IsADirectoryError))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a_directory"]  # nothing left behind


@pytest.mark.parametrize(
    "argv",
    [
        ["bench", "backprop", "--from-json", str(DOCS_JSON), "--plot", "x.png"],
        ["diagnose", "--plots", "pictures"],
        ["train", "--plot", "curves.png"],
        ["evaluate", "no-such-model.npz", "--misclassified-png", "m.png"],
    ],
)
def test_missing_matplotlib_is_one_error_line_before_any_work(
    argv, monkeypatch, tmp_path, no_work, capsys
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert 'pip install "nn[plot]"' in _error(capsys)
    assert not os.listdir(tmp_path)


def test_a_data_dir_that_does_not_exist_is_an_error(monkeypatch, no_work, capsys):
    def loaded(*args, **kwargs):
        raise AssertionError("the system copy was loaded instead")

    monkeypatch.setattr(nn.datasets, "fashion_mnist", loaded)
    argv = ["--dataset", "fashion-mnist", "--data-dir", "/nonexistent"]
    monkeypatch.setattr("nn.cli.train.load_dataset", nn.cli.options.load_dataset)
    assert main(["train", *argv]) == 2
    assert "--data-dir /nonexistent: no such directory" in _error(capsys)
    assert main(["train", "--dataset", "digits", "--data-dir", "/tmp"]) == 2
    assert "--data-dir is for the IDX files of mnist and fashion-mnist" in _error(capsys)


def test_dataset_not_found_tells_cli_users_about_data_dir(monkeypatch, tmp_path, capsys):
    loaders = nn.datasets.mnist_loaders
    monkeypatch.setattr(loaders, "SYSTEM_DATA_DIR", tmp_path / "system")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NN_DATA", raising=False)
    no_download = functools.partial(loaders.mnist, download=False)
    monkeypatch.setattr(nn.datasets, "mnist", no_download)
    # the library's own message speaks of its path argument ...
    with pytest.raises(FileNotFoundError, match="as the path argument"):
        no_download(tmp_path)
    # ... the command's, of its option
    assert main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "MNIST was not found" in err and "with --data-dir DIR" in err
    assert f"{tmp_path}  (--data-dir)" in err and "path argument" not in err


@pytest.mark.parametrize("command", ["train", "diagnose"])
@pytest.mark.parametrize(
    ("sizes", "says"),
    [
        ("784", "needs at least two integers, the input width and the output width"),
        (",,", "needs at least two integers, the input width and the output width"),
        ("784,x,10", "must be integers separated by commas"),
        ("784,30,3", "must start with 784 (inputs) and end with 10 (classes)"),
    ],
)
def test_bad_sizes_exit_2_with_an_error_line(command, sizes, says, capsys):
    # status 2, not 1: for nn diagnose, 1 means "a problem was found in the network"
    assert main([command, "--sizes", sizes]) == 2
    line = _error(capsys)
    assert line.startswith("nn: error: --sizes") and says in line


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--save", "{tmp}/m.npz/"],
        ["train", "--checkpoint", "{tmp}/c.npz/"],
        ["diagnose", "--json", "{tmp}/out.json/"],
        ["bench", "backprop", "--json", "{tmp}/r.json/", "--sizes", "3,2"],
    ],
)
def test_a_file_path_ending_in_a_separator_is_refused_before_any_work(
    argv, tmp_path, no_work, capsys
):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    line = _error(capsys)
    assert "ends with" in line and "file name" in line, line
    assert not os.listdir(tmp_path)


def test_plots_into_a_dangling_symlink_is_refused_before_any_work(tmp_path, no_work, capsys):
    (tmp_path / "dl").symlink_to(tmp_path / "gone")
    assert main(["diagnose", "--plots", str(tmp_path / "dl")]) == 2
    assert "not a directory" in _error(capsys)
    assert main(["diagnose", "--plots", str(tmp_path / "dl" / "pictures")]) == 2
    assert "not a directory" in _error(capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--save", "~/m.npz"],
        ["train", "--checkpoint", "~/c.npz"],
        ["diagnose", "--json", "~/r.json"],
        ["diagnose", "--plots", "~/pictures"],
    ],
)
def test_a_quoted_tilde_is_explained_not_created(argv, tmp_path, monkeypatch, no_work, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    line = _error(capsys)
    assert "did not expand" in line and "$HOME" in line and "mkdir" not in line, line
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--save", ""],
        ["train", "--checkpoint", ""],
        ["diagnose", "--json", ""],
        ["diagnose", "--plots", ""],
        ["bench", "backprop", "--json", "", "--sizes", "3,2"],
        ["bench", "backprop", "--plot", "", "--from-json", str(DOCS_JSON)],
    ],
)
def test_an_empty_output_path_is_an_error(argv, no_work, capsys):
    assert main(argv) == 2
    assert "empty" in _error(capsys)
