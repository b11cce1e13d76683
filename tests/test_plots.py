"""Pictures are drawn without a display (skipped when matplotlib is not installed)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.colors import to_rgb  # noqa: E402

import nn  # noqa: E402
from nn import plots  # noqa: E402
from nn.diagnostics.doctor import diagnose  # noqa: E402
from nn.diagnostics.measure import Diagnostics  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def is_png(path) -> bool:
    with open(path, "rb") as f:
        return f.read(8) == PNG and os.path.getsize(path) > 5000


@pytest.fixture(scope="module")
def moons_run():
    X, y = nn.datasets.moons(seed=0)
    net = nn.mlp([2, 8, 1], seed=0)
    diag = Diagnostics(X[:100], y[:100], every=20)
    history = net.fit(
        X,
        y,
        epochs=5,
        batch_size=10,
        lr=3.0,
        seed=0,
        verbose=False,
        callbacks=[diag],
        validation_data=nn.datasets.moons(seed=1),
    )
    return net, X, y, diag, history


def test_every_picture_is_written(moons_run, tmp_path):
    net, X, y, diag, history = moons_run
    fig = plots.learning_curves(history, path=tmp_path / "curves.png")
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]  # training and validation
    fig = plots.loss_curve(diag, path=tmp_path / "loss.png")
    assert len(fig.axes[0].lines) == 3  # mini-batches, probe, guessing
    fig = plots.speed_of_learning(diag, path=tmp_path / "speed.png")
    assert len(fig.axes[0].lines) == 2  # one per dense layer
    start = nn.mlp([2, 8, 1], seed=0)
    fig = plots.activation_histograms([("start", start), ("end", net)], X, path=tmp_path / "a.png")
    assert len(fig.axes) == 4
    assert "saturated" in fig.axes[0].get_title()
    plots.decision_boundary(net, X, y, resolution=40, path=tmp_path / "boundary.png")
    pair = [("start", start), ("end", net)]
    plots.decision_boundaries(pair, X, y, resolution=40, path=tmp_path / "seq.png")
    digits_net = nn.mlp([784, 30, 10], seed=0)
    fig = plots.first_layer_weights(digits_net, max_units=5, path=tmp_path / "w.png")
    assert [len(ax.images) for ax in fig.axes] == [1] * 5 + [0]  # and the colour bar
    assert "largest |weight|" in fig.axes[-1].get_ylabel()
    for name in ("curves", "loss", "speed", "a", "boundary", "seq", "w"):
        assert is_png(tmp_path / f"{name}.png"), name


def test_decision_boundary_of_a_multiclass_network(tmp_path):
    X, y = nn.datasets.spirals(seed=0)
    net = nn.mlp([2, 10, 3], seed=0)
    fig = plots.decision_boundary(net, X, y, path=tmp_path / "s.png")
    assert is_png(tmp_path / "s.png") and len(fig.axes) == 1  # the legend names the colours
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["class 0", "class 1", "class 2"]
    dots = [h.get_facecolor()[0][:3] for h in legend.legend_handles]
    assert np.allclose(dots, [to_rgb(f"C{k}") for k in range(3)])  # the regions' colours too


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_every_colour_is_named(moons_run):
    """A legend or a colour bar says what each colour of every picture means."""
    net, X, y, diag, history = moons_run
    fig = plots.decision_boundary(net, X, y, resolution=30)
    assert legend_texts(fig.axes[0]) == ["output 0.5", "class 0", "class 1"]
    assert len(fig.axes) == 2 and "network output" in fig.axes[1].get_ylabel()  # colour bar
    start = nn.mlp([2, 8, 1], seed=0)
    fig = plots.decision_boundaries([("start", start), ("end", net)], X, y, resolution=30)
    assert len(fig.axes) == 3 and fig.axes[2].get_ylabel() == "network output"  # one bar
    assert legend_texts(fig.axes[0]) == ["output 0.5", "class 0", "class 1"]
    fig = plots.learning_curves(history, validation_name="test")
    assert legend_texts(fig.axes[0]) == ["training loss", "test loss"]
    assert legend_texts(fig.axes[1]) == ["training accuracy", "test accuracy"]
    fig = plots.learning_curves(history)
    assert legend_texts(fig.axes[0]) == ["training loss", "validation loss"]
    for fig in (plots.loss_curve(diag), plots.speed_of_learning(diag)):
        assert len(legend_texts(fig.axes[0])) == len(fig.axes[0].lines)


def test_misclassified_images(tmp_path):
    (X, y), _ = nn.datasets.digits()
    fig = plots.misclassified(
        X[:3], y[:3], [9, 9, 9], [0.9, 0.8, 0.7], class_names=list("abcdefghij"),
        path=tmp_path / "m.png",
    )  # fmt: skip
    assert is_png(tmp_path / "m.png")
    assert [len(ax.images) for ax in fig.axes] == [1, 1, 1, 0]  # three images, a colour bar
    assert fig.axes[0].get_title() == f"true {'abcdefghij'[y[0]]}\nnet j (0.90)"
    assert fig.axes[-1].get_ylabel() == "pixel"
    with pytest.raises(ValueError, match="no images"):
        plots.misclassified(X[:0], [], [])
    with pytest.raises(ValueError, match="not"):
        plots.misclassified(np.zeros((2, 5)), [0, 1], [1, 0])


def test_pictures_refuse_networks_they_cannot_draw():
    with pytest.raises(ValueError, match="2-D inputs"):
        plots.decision_boundary(nn.mlp([3, 2, 1], seed=0), np.zeros((4, 3)), np.zeros(4, int))
    with pytest.raises(ValueError, match="28 x 28"):
        plots.first_layer_weights(nn.mlp([5, 2, 1], seed=0))


def test_report_plots_for_a_2d_problem(tmp_path):
    X, y = nn.datasets.circles(seed=0)
    report = diagnose(
        nn.mlp([2, 8, 1], seed=0), X, y, lr=3.0, steps=90, snapshot_steps=(0, 10, 30, 90)
    )
    paths = plots.report_plots(report, tmp_path / "pics")
    names = sorted(os.path.basename(p) for p in paths)
    assert names == [
        "activations.png",
        "decision_boundaries.png",
        "loss.png",
        "speed_of_learning.png",
        "update_ratio.png",
    ]
    assert all(is_png(p) for p in paths)


def test_no_display_and_no_pyplot(tmp_path):
    """In a fresh process with no DISPLAY: the pictures are written and pyplot never loads."""
    code = (
        "import sys, nn\n"
        "from nn import plots\n"
        "X, y = nn.datasets.moons(seed=0)\n"
        "net = nn.mlp([2, 4, 1], seed=0)\n"
        f"plots.decision_boundary(net, X, y, resolution=40, path={str(tmp_path / 'b.png')!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
    assert is_png(tmp_path / "b.png")
