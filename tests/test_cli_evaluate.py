"""``nn evaluate``: the confusion matrix, per-class accuracy and the worst mistakes."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nn
from nn.cli import main
from nn.diagnostics.confusion import (
    answer_scores,
    confident_mistakes,
    confusion_matrix,
    format_confusion,
    per_class_accuracy,
)


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    """A [784, 30, 10] network after one epoch on the digits (about 90%: mistakes to show)."""
    (X, y), _ = nn.datasets.digits()
    net = nn.mlp([784, 30, 10], seed=0)
    net.fit(X, y, epochs=1, batch_size=10, lr=3.0, seed=0, verbose=False)
    net.metadata["dataset"] = "digits"
    path = tmp_path_factory.mktemp("models") / "digits.npz"
    net.save(str(path))
    return path, nn.load(str(path))


def table_rows(out: str) -> np.ndarray:
    """The counts of the confusion matrix printed in ``out``."""
    lines = out.split("columns the network's answers\n", 1)[1].splitlines()[1:]
    rows = []
    for line in lines:
        if " | " not in line:
            break
        rows.append([int(c.replace(",", "")) for c in line.split(" | ")[0].split()[1:]])
    return np.array(rows)


def test_confusion_matrix_and_per_class_accuracy_are_printed(digits_model, capsys):
    path, net = digits_model
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    _, (Xt, yt) = nn.datasets.digits()
    predicted = net.classify(Xt)
    expected = np.zeros((10, 10), int)
    for t, p in zip(yt, predicted):
        expected[t, p] += 1
    np.testing.assert_array_equal(table_rows(out), expected)  # rows true, columns answers
    accuracy = float(re.search(r"accuracy (\d+\.\d+)%", out).group(1)) / 100
    assert accuracy == pytest.approx(np.trace(expected) / len(yt), abs=5e-5)
    for c in range(10):
        share = expected[c, c] / expected[c].sum()
        assert f"{share:7.1%} of {expected[c].sum():,}" in out
    assert "true \\ net" in out and "mistakes" not in out  # none asked for


def test_misclassified_lists_the_surest_mistakes_with_art(digits_model, capsys):
    path, net = digits_model
    assert main(["evaluate", str(path), "--misclassified", "5"]) == 0
    out = capsys.readouterr().out
    _, (Xt, yt) = nn.datasets.digits()
    outputs = net.predict(Xt)
    answers = outputs.argmax(axis=1)
    wrong = [i for i in range(len(yt)) if answers[i] != yt[i]]
    surest = sorted(wrong, key=lambda i: -outputs[i, answers[i]])[:5]
    listed = [int(i) for i in re.findall(r"test example +(\d+):", out)]
    assert listed == surest
    assert f"The 5 mistakes (of {len(wrong):,}) the network is surest of" in out
    first = surest[0]
    assert f"true {yt[first]}, net {answers[first]} ({outputs[first, answers[first]]:.3f})" in out
    captions = re.findall(r"true (\d), net (\d) \(!\)", out)  # under the terminal art
    assert captions == [(str(yt[i]), str(answers[i])) for i in surest]
    art = [line for line in out.splitlines() if "@" in line]
    assert len(art) >= 10 and max(len(line) for line in art) <= 80  # fits a terminal


def test_misclassified_png_is_drawn(digits_model, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path, _ = digits_model
    png = tmp_path / "mistakes.png"
    argv = ["evaluate", str(path), "--misclassified", "3", "--misclassified-png", str(png)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"The 3 mistakes drawn in {png}" in out and "test example" in out
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert main(["evaluate", str(path), "--misclassified-png", str(png)]) == 0
    out = capsys.readouterr().out
    assert f"The 24 mistakes drawn in {png}" in out and "test example " not in out


def test_a_two_class_model_on_points(tmp_path, capsys):
    path = tmp_path / "moons.npz"
    argv = ["train", "--dataset", "moons", "--sizes", "2,8,1", "--epochs", "2", "--lr", "1"]
    assert main([*argv, "--quiet", "--save", str(path)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(path), "--misclassified", "2"]) == 0
    out = capsys.readouterr().out
    assert table_rows(out).shape == (2, 2) and table_rows(out).sum() == 200
    assert len(re.findall(r"test example +\d+ at \(", out)) == 2  # points, not art
    assert main(["evaluate", str(path), "--misclassified-png", str(tmp_path / "m.png")]) == 2
    assert "points in the plane" in capsys.readouterr().err
    assert not (tmp_path / "m.png").exists()


def test_no_mistakes(tmp_path, capsys):
    path = tmp_path / "xor.npz"
    argv = ["train", "--dataset", "xor", "--sizes", "2,3,1", "--epochs", "1500"]
    assert main([*argv, "--batch-size", "4", "--lr", "3", "--quiet", "--save", str(path)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(path), "--misclassified", "3"]) == 0
    assert "No mistakes: every test example is classified right." in capsys.readouterr().out


@pytest.mark.parametrize("n", ["0", "-2"])
def test_misclassified_must_be_positive(digits_model, n, capsys):
    assert main(["evaluate", str(digits_model[0]), "--misclassified", n]) == 2
    assert "--misclassified" in capsys.readouterr().err


def test_png_path_is_checked_before_the_model_is_read(tmp_path, capsys):
    missing_model = tmp_path / "nothing.npz"
    argv = ["evaluate", str(missing_model), "--misclassified-png", "/nonexistent/dir/m.png"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--misclassified-png /nonexistent/dir/m.png" in err and "does not exist" in err


# ---------------------------------------------------------------- the functions behind it
def test_confusion_matrix_counts_every_example():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    m = confusion_matrix(labels, predicted)
    np.testing.assert_array_equal(m, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert confusion_matrix(labels, predicted, 4).shape == (4, 4)
    acc = per_class_accuracy(confusion_matrix(labels, predicted, 4))
    np.testing.assert_allclose(acc[:3], [0.5, 1.0, 2 / 3])
    assert np.isnan(acc[3])  # no examples of class 3
    with pytest.raises(ValueError, match="one length"):
        confusion_matrix(labels, predicted[:-1])


def test_format_confusion_names_the_classes():
    m = np.array([[1200, 3], [0, 0]])
    text = format_confusion(m, ["T-shirt/top", "Trouser"])
    lines = text.splitlines()
    assert lines[1].split() == ["true", "\\", "net", "0", "1", "|", "accuracy"]
    assert lines[2].startswith("0 T-shirt/top") and "1,200" in lines[2]
    assert lines[2].endswith("99.8% of 1,203")
    assert lines[3].startswith("1 Trouser") and lines[3].endswith("- (no examples)")
    assert len({line.index("|") for line in lines[1:]}) == 1  # the columns line up


def test_confident_mistakes_and_answer_scores():
    outputs = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    labels = np.array([0, 0, 0, 1, 0])
    np.testing.assert_allclose(answer_scores(outputs), [0.9, 0.8, 0.7, 0.6, 0.9])
    np.testing.assert_array_equal(confident_mistakes(outputs, labels, 10), [4, 1, 2, 3])
    np.testing.assert_array_equal(confident_mistakes(outputs, labels, 2), [4, 1])
    single = np.array([[0.9], [0.2], [0.45]])  # one sigmoid unit: class 1 above 0.5
    np.testing.assert_allclose(answer_scores(single), [0.9, 0.8, 0.55])
    np.testing.assert_array_equal(confident_mistakes(single, np.array([0, 1, 1]), 5), [0, 1, 2])
