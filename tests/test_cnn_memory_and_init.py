"""A CNN's predictions in batches that fit in memory, and the --init a CNN is built with."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import nn
from nn.cli import main
from nn.core import network_shapes
from nn.core.shapes import walk_shapes
from nn.layers.conv import Conv2D

WIDE = "conv8k3p1 pool2 conv16k3p1 pool2 dense10"


def test_a_dense_network_predicts_in_batches_of_4096_as_before():
    net = nn.mlp([784, 100, 10])
    assert net.prediction_batch((784,)) == network_shapes.PREDICT_BATCH == 4096


def test_a_convolution_counts_its_im2col_columns():
    conv = Conv2D(8, 16, 3, padding=1)
    # input 8*14*14, padded 8*16*16, columns 8*9 per output pixel (14*14), output 16*14*14 twice
    assert conv.working_floats((8, 14, 14)) == 1568 + 2048 + 72 * 196 + 2 * 3136


def test_the_prediction_batch_adds_up_every_layer():
    """Each layer keeps its cache while the layers after it run: the counts add up."""
    net = nn.cnn(WIDE, seed=0)
    shapes = walk_shapes(net.layers, (1, 28, 28))
    total = sum(
        network_shapes.working_floats(*args) for args in zip(net.layers, shapes, shapes[1:])
    )
    assert total > net.layers[0].working_floats((1, 28, 28)) + net.layers[3].working_floats(
        (8, 14, 14)
    )  # the two convolutions, and the rest
    assert net.prediction_batch((1, 28, 28)) == (256 * 2**20) // (4 * total) < 4096
    fashion = nn.cnn("conv32k3p1 bn pool2 conv64k3p1 bn pool2 dense128 dense10", seed=0)
    assert 100 < fashion.prediction_batch((1, 28, 28)) < 400
    lstm = nn.char_rnn(27, cell="lstm", hidden=128, embedding=32, seed=0)
    assert lstm.layers[1].working_floats((14, 32)) == 14 * (32 + 12 * 128)


@pytest.mark.parametrize("which", ["lenet", "lstm"])
def test_predict_holds_its_peak_under_the_budget_and_gives_the_same_outputs(which, monkeypatch):
    rng = np.random.default_rng(0)
    if which == "lenet":
        net, X = nn.cnn(seed=0), rng.random((600, 1, 28, 28), dtype=np.float32)
    else:
        net = nn.char_rnn(27, cell="lstm", hidden=128, embedding=32, seed=0)
        X = rng.integers(0, 27, (3000, 14)).astype(np.float32)
    tracemalloc.start()
    whole = net.predict(X, batch_size=4096)
    _, peak_whole = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    budget = 4 * 2**20
    monkeypatch.setattr(network_shapes, "PREDICT_BYTES", budget)
    batch = net.prediction_batch(X.shape[1:])
    assert 1 <= batch < len(X)
    net.predict(X[:batch])  # caches of the first batch in place, as after any prediction
    tracemalloc.start()
    cut = net.predict(X)
    _, peak_cut = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    np.testing.assert_allclose(cut, whole, rtol=1e-5, atol=1e-7)
    assert peak_whole > 4 * budget  # all of them at once
    # the budget; the batches' outputs, their concatenation and the loss's output of them
    assert peak_cut < budget + 3 * cut.nbytes


def test_predict_still_refuses_a_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        nn.cnn(WIDE, seed=0).predict(np.zeros((2, 1, 28, 28), np.float32), batch_size=0)


@pytest.mark.parametrize("init", ["glorot_normal", "scaled_normal", "he_uniform"])
def test_cnn_takes_an_initializer_for_every_weighted_layer(init):
    from nn.layers.initializers import WEIGHT_VARIANCE

    net = nn.cnn("conv64k5 pool2 dense300 dense10", seed=0, init=init, dtype=np.float64)
    conv, dense = net.layers[0], net.layers[-3]
    want = WEIGHT_VARIANCE[init]
    assert np.var(conv.params["W"]) == pytest.approx(want(25, 64 * 25), rel=0.2)  # fan-in C k k
    assert np.var(dense.params["W"]) == pytest.approx(want(*dense.params["W"].shape), rel=0.05)


def test_cnn_default_init_is_he_for_relu_and_glorot_otherwise():
    assert nn.models.cnn.default_init("relu") == "he_normal"
    assert nn.models.cnn.default_init("tanh") == "glorot_uniform"
    with pytest.raises(ValueError, match="init='xavier' is not a known initializer"):
        nn.cnn(WIDE, init="xavier")


def test_train_cnn_honours_init_and_records_the_init_it_used(tmp_path, capsys):
    base = ["train", "--dataset", "digits", "--cnn", "conv4k5 pool4 dense10", "--epochs", "1",
            "--batch-size", "50", "--quiet"]  # fmt: skip
    for extra, recorded in (([], "he_normal"), (["--init", "glorot_normal"], "glorot_normal")):
        path = tmp_path / f"{recorded}.npz"
        assert main([*base, *extra, "--save", str(path)]) == 0
        assert nn.load(path).metadata["init"] == recorded
    capsys.readouterr()


def test_diagnose_names_the_cnns_real_initializer(capsys):
    argv = ["diagnose", "--dataset", "digits", "--cnn", "conv4k5 pool4 dense10", "--steps", "20",
            "--every", "10", "--batch-size", "20", "--no-experiments",
            "--init", "glorot_uniform"]  # fmt: skip
    assert main(argv) in (0, 1)
    out = capsys.readouterr().out
    assert "init='glorot_uniform'" in out and "--init glorot_uniform" not in out


def test_cnn_pools_before_an_increasing_activation_only():
    """max(f(a), f(b)) = f(max(a, b)) for an increasing f: the trait decides, not the name."""
    names = lambda net: [type(layer).__name__ for layer in net.layers]  # noqa: E731
    assert names(nn.cnn("conv4k5 pool2 dense10", activation="tanh"))[:3] == [
        "Conv2D", "MaxPool2D", "Tanh",
    ]  # fmt: skip
    assert names(nn.cnn("conv4k5 avgpool2 dense10"))[:3] == ["Conv2D", "ReLU", "AvgPool2D"]
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "identity"):
        act = nn.core.registry.lookup(nn.core.registry.ACTIVATIONS, name, "activation")()
        assert act.is_increasing
        pooled = nn.MaxPool2D(2).forward(x)
        np.testing.assert_allclose(act.forward(pooled), nn.MaxPool2D(2).forward(act.forward(x)))
