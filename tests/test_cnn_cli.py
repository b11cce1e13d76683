"""The command line with CNNs: train, evaluate, diagnose, gradcheck, pictures, bench conv."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

import nn
from nn.bench import conv as bench_conv
from nn.cli import build_parser, main
from nn.cli.conv import add_bench_conv, add_pictures, cmd_bench_conv
from nn.cli.gradcheck import cmd_gradcheck
from nn.cli.pictures import add_arguments, cmd_pictures

TINY = "conv4k5 pool4 dense10"
TRAIN = ["train", "--dataset", "digits", "--cnn", TINY, "--epochs", "1", "--batch-size", "50",
         "--optimizer", "adam", "--quiet"]  # fmt: skip


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("cnn") / "cnn.npz"
    assert main([*TRAIN, "--save", str(path)]) == 0
    return path


def test_train_builds_the_described_cnn_and_saves_it(saved, capsys):
    net = nn.load(saved)
    assert net.input_shape == (1, 28, 28) and net.metadata["dataset"] == "digits"
    assert [type(layer).__name__ for layer in net.layers] == [
        "Conv2D", "MaxPool2D", "ReLU", "Flatten", "Dense",
    ]  # fmt: skip
    assert type(net.loss).__name__ == "SoftmaxCrossEntropy"


def test_train_prints_the_description_and_a_test_accuracy(capsys):
    assert main([*TRAIN, "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert f"network {TINY}" in out and "Test accuracy" in out
    accuracy = float(out.split("Test accuracy ")[1].split("%")[0])
    assert accuracy > 60  # one epoch of a 4-filter CNN on 8,000 digits


def test_evaluate_takes_a_saved_cnn(saved, capsys):
    assert main(["evaluate", str(saved)]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_cnn_options_that_cannot_apply_say_why(capsys):
    assert main([*TRAIN[:2], "moons", *TRAIN[3:]]) == 2
    assert "--cnn takes images" in capsys.readouterr().err
    assert main([*TRAIN, "--standardize"]) == 2
    assert "--standardize" in capsys.readouterr().err
    assert main([*TRAIN[:4], "conv4 10", *TRAIN[5:]]) == 2
    assert "'conv4': conv needs a kernel size" in capsys.readouterr().err


def test_gradcheck_checks_a_saved_cnn_and_a_described_one(saved, capsys):
    assert main(["gradcheck", "--model", str(saved), "--batch", "3", "--max-entries", "20"]) == 0
    assert "Conv2D" in capsys.readouterr().out
    args = build_parser().parse_args(["gradcheck", "--batch", "4"])
    args.cnn, args.image = "conv3k3s2p1 bn pool2 dense4 dense3", "2,9,8"  # (--cnn, not wired)
    assert cmd_gradcheck(args) == 0
    assert "BatchNorm" in capsys.readouterr().out


def test_diagnose_runs_a_cnn_probe(capsys):
    argv = ["diagnose", "--dataset", "digits", "--cnn", TINY, "--steps", "30", "--every", "10",
            "--batch-size", "20", "--optimizer", "adam", "--no-experiments"]  # fmt: skip
    code = main(argv)
    out = capsys.readouterr().out
    assert code in (0, 1) and "cnn('conv4k5 pool4 dense10'" in out


def test_pictures_writes_three_pngs(saved, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert cmd_pictures(parser.parse_args([str(saved), "--dir", str(tmp_path / "pics")])) == 0
    for name in ("filters.png", "feature_maps.png", "most_wrong.png"):
        assert (tmp_path / "pics" / name).stat().st_size > 5_000, name


def test_bench_conv_prints_the_speedups_and_writes_json_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    parser = argparse.ArgumentParser()
    bench_conv.add_arguments(parser)
    out_json, out_png = tmp_path / "conv.json", tmp_path / "conv.png"
    args = parser.parse_args(["--ladder", "channels", "--budget", "0.05", "--repeats", "2",
                              "--json", str(out_json), "--plot", str(out_png)])  # fmt: skip
    assert cmd_bench_conv(args) == 0
    printed = capsys.readouterr().out
    assert "python -> im2col" in printed and "Growth" in printed
    result = json.loads(out_json.read_text())
    rows = result["measurements"]
    assert len(rows) == 3 * len(bench_conv.LADDERS["channels"][1])
    fast = [r for r in rows if r["route"] == "im2col"]
    assert all(r["seconds"] > 0 for r in fast)  # the fast route is never over the budget
    skipped = [r for r in rows if r["seconds"] is None]
    assert skipped and all(r["predicted_seconds"] > 0.05 for r in skipped)
    assert out_png.stat().st_size > 10_000
    args = parser.parse_args(["--from-json", str(out_json)])
    assert cmd_bench_conv(args) == 0 and capsys.readouterr().out.strip() == printed.strip()


def test_growth_reads_the_slope_of_a_power_law():
    case = {"N": 1, "C": 1, "F": 1, "k": 3, "pad": 1}
    rows = [{"ladder": "image", "route": "im2col", "seconds": 1e-6 * h**2,
             "case": {**case, "H": h}} for h in (4, 8, 16)]  # fmt: skip
    assert bench_conv.growth(rows, "image", "im2col") == pytest.approx(2.0)
    assert bench_conv.growth(rows[:1], "image", "im2col") is None


def test_the_lenet_ladder_is_the_benchmarked_network():
    conv1, conv2 = bench_conv.LADDERS["lenet"][1]
    net = nn.cnn(seed=0)
    assert net.layers[0].W.shape == (conv1.F, conv1.C, conv1.k, conv1.k)
    assert net.layers[3].W.shape == (conv2.F, conv2.C, conv2.k, conv2.k)
    assert np.prod(net.output_shape((1, 28, 28))) == 10


def test_the_declarations_add_the_two_commands_to_a_parser(saved, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    parser = argparse.ArgumentParser(prog="nn")
    sub = parser.add_subparsers(dest="command")
    add_pictures(sub)
    bench = sub.add_parser("bench").add_subparsers(dest="benchmark")
    add_bench_conv(bench)
    args = parser.parse_args(["bench", "conv", "--ladder", "kernel", "--budget", "0.01",
                              "--repeats", "1"])  # fmt: skip
    assert args.func(args) == 0 and "kernel" in capsys.readouterr().out
    args = parser.parse_args(["pictures", str(saved), "--dir", str(tmp_path)])
    assert args.func(args) == 0 and (tmp_path / "filters.png").exists()
