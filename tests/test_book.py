"""nn.book: Nielsen's ``network.py`` and ``mnist_loader.py`` over the library.

Two claims are held here. (1) ``net.SGD(...)`` is the library's ``fit``: the same seed gives
the same weights, bit for bit. (2) It is his algorithm: a transcription of his ``network.py``
(per-example column-vector backprop, gradients summed over the mini-batch), started from the
same weights and fed the same mini-batches, ends within float rounding of it. Not bit for
bit, and that is expected: he adds the examples' outer products one at a time, the library
gets the same sums from one matrix product (and applies the 1/m before the sum, in ``dC/da``),
so the roundings differ in the last bits.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

import nn
from nn.book import mnist_loader, network
from nn.datasets import write_idx


@pytest.fixture(scope="module")
def full():
    return mnist_loader.load_data_wrapper()


@pytest.fixture(scope="module")
def data(full):
    training, validation, test = full
    return training[:400], validation[:100], test[:150]


def rows(pairs):
    """His pairs as the library's arrays: X (n, 784) and labels (n,)."""
    X = np.stack([x.ravel() for x, _ in pairs])
    y = np.array([int(np.argmax(t)) if np.ndim(t) else t for _, t in pairs])
    return X, y


# ---------------------------------------------------------------- his code, transcribed
def his_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def his_feedforward(weights, biases, a):
    for b, w in zip(biases, weights):
        a = his_sigmoid(np.dot(w, a) + b)
    return a


def his_backprop(weights, biases, x, y):
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    activation, activations, zs = x, [x], []
    for b, w in zip(biases, weights):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = his_sigmoid(z)
        activations.append(activation)
    sp = his_sigmoid(zs[-1]) * (1 - his_sigmoid(zs[-1]))
    delta = (activations[-1] - y) * sp  # BP1
    nabla_b[-1], nabla_w[-1] = delta, np.dot(delta, activations[-2].T)
    for layer in range(2, len(weights) + 1):
        sp = his_sigmoid(zs[-layer]) * (1 - his_sigmoid(zs[-layer]))
        delta = np.dot(weights[-layer + 1].T, delta) * sp  # BP2
        nabla_b[-layer], nabla_w[-layer] = delta, np.dot(delta, activations[-layer - 1].T)
    return nabla_b, nabla_w


def his_update_mini_batch(weights, biases, mini_batch, eta):
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    for x, y in mini_batch:
        db, dw = his_backprop(weights, biases, x, y)
        nabla_b = [nb + d for nb, d in zip(nabla_b, db)]
        nabla_w = [nw + d for nw, d in zip(nabla_w, dw)]
    weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(weights, nabla_w)]
    biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(biases, nabla_b)]
    return weights, biases


def max_rel(a, b):
    return max(float(np.max(np.abs(x - y)) / max(np.max(np.abs(x)), 1e-12)) for x, y in zip(a, b))


# ---------------------------------------------------------------- the network
def test_his_attributes_in_his_shapes_and_init():
    net = network.Network([784, 30, 10], seed=0)
    assert net.num_layers == 3 and net.sizes == [784, 30, 10]
    assert [w.shape for w in net.weights] == [(30, 784), (10, 30)]
    assert [b.shape for b in net.biases] == [(30, 1), (10, 1)]
    assert all(w.dtype == np.float64 for w in net.weights)
    lib = nn.mlp([784, 30, 10], init="normal", seed=0, dtype=np.float64)
    for w, b, dense in zip(net.weights, net.biases, lib.layers[::2]):
        np.testing.assert_array_equal(w, dense.W.T)  # his N(0, 1) is init="normal"
        np.testing.assert_array_equal(b[:, 0], dense.b)
    w = net.weights[0]
    assert abs(w.std() - 1.0) < 0.01 and abs(w.mean()) < 0.01


def test_weights_and_biases_are_views_of_the_library_arrays():
    net = network.Network([4, 3, 2], seed=0)
    dense = net.layers_with_weights()
    net.weights[0][2, 1] = 7.5  # his w^1_{jk}: to unit j=2 from input k=1
    net.biases[1][0, 0] = -2.0
    assert dense[0].W[1, 2] == 7.5 and dense[1].b[0] == -2.0
    W_before = dense[0].W
    new_w = [np.full((3, 4), 0.25), np.arange(6.0).reshape(2, 3)]
    net.weights = new_w  # his update_mini_batch assigns whole lists
    net.biases = [np.ones((3, 1)), np.zeros((2, 1))]
    assert dense[0].W is W_before  # copied in place: an optimizer holding it sees the change
    np.testing.assert_array_equal(dense[1].W, new_w[1].T)
    np.testing.assert_array_equal(dense[0].b, np.ones(3))
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(3, 4\)"):
        net.weights = [np.zeros((4, 3)), np.zeros((2, 3))]  # the library's orientation
    with pytest.raises(ValueError, match="expected 2 arrays"):
        net.biases = [np.zeros((3, 1))]


def test_feedforward_backprop_and_update_are_his(data):
    training, _, _ = data
    net = network.Network([784, 30, 10], seed=1)
    W, B = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    x, y = training[0]
    out = net.feedforward(x)
    assert out.shape == (10, 1)
    np.testing.assert_allclose(out, his_feedforward(W, B, x), rtol=1e-12, atol=1e-15)
    batch_out = net.feedforward(np.hstack([training[0][0], training[1][0]]))  # (784, 2)
    np.testing.assert_allclose(batch_out[:, :1], out, rtol=1e-12, atol=1e-15)

    nabla_b, nabla_w = net.backprop(x, y)
    his_b, his_w = his_backprop(W, B, x, y)
    assert [b.shape for b in nabla_b] == [(30, 1), (10, 1)]
    assert [w.shape for w in nabla_w] == [(30, 784), (10, 30)]
    assert max_rel(nabla_b, his_b) < 1e-12 and max_rel(nabla_w, his_w) < 1e-12
    assert np.abs(his_w[1]).max() > 1e-6  # a gradient worth comparing

    np.testing.assert_array_equal(net.cost_derivative(out, y), out - y)

    net.update_mini_batch(training[:10], 3.0)
    his_W, his_B = his_update_mini_batch(W, B, training[:10], 3.0)
    assert max_rel(net.weights, his_W) < 1e-12 and max_rel(net.biases, his_B) < 1e-12
    assert max_rel(net.weights, W) > 1e-6  # it did move


def test_sgd_gives_the_library_fits_weights_bit_for_bit(data, capsys):
    training, _, test = data
    book = network.Network([784, 30, 10], seed=3)
    book.SGD(training, 2, 10, 3.0, test_data=test)
    # the same generator draws the initial weights, then each epoch's order
    rng = np.random.default_rng(3)
    lib = nn.mlp([784, 30, 10], init="normal", seed=rng, dtype=np.float64)
    X, y = rows(training)
    Y = np.stack([t.ravel() for _, t in training])  # his one-hot columns as rows
    lib.fit(X, Y, epochs=2, batch_size=10, lr=3.0, seed=rng, verbose=False)
    for mine, dense in zip(book.weights, lib.layers[::2]):
        assert np.array_equal(mine, dense.W.T)
    for mine, dense in zip(book.biases, lib.layers[::2]):
        assert np.array_equal(mine[:, 0], dense.b)
    # an explicit seed for the shuffling is fit's seed
    book = network.Network([784, 30, 10], seed=3)
    book.SGD(training, 1, 10, 3.0, seed=11)
    lib = nn.mlp([784, 30, 10], init="normal", seed=3, dtype=np.float64)
    lib.fit(X, y, epochs=1, batch_size=10, lr=3.0, seed=11, verbose=False)  # labels: same bits
    assert np.array_equal(book.weights[0], lib.layers[0].W.T)


def test_sgd_is_his_algorithm_to_float_rounding(data):
    training, _, _ = data
    rng = np.random.default_rng(5)
    book = network.Network([784, 30, 10], seed=rng)
    W, B = [w.copy() for w in book.weights], [b.copy() for b in book.biases]
    orders = copy.deepcopy(rng)  # the generator as SGD will find it
    book.SGD(training, 2, 10, 3.0)
    for _ in range(2):  # his loop, with the library's order instead of random.shuffle
        shuffled = [training[i] for i in orders.permutation(len(training))]
        for k in range(0, len(shuffled), 10):
            W, B = his_update_mini_batch(W, B, shuffled[k : k + 10], 3.0)
    assert max_rel(book.weights, W) < 1e-13 and max_rel(book.biases, B) < 1e-13  # ~5e-16
    assert max_rel(W, [w.copy() for w in network.Network([784, 30, 10], seed=5).weights]) > 0.01


def test_sgd_prints_his_epoch_lines_with_the_right_counts(full, capsys):
    training, test = full[0][:2000], full[2][:150]
    book = network.Network([784, 30, 10], seed=4)
    assert book.SGD(training, 3, 10, 3.0, test_data=test) is None  # as his: nothing to echo
    lines = capsys.readouterr().out.splitlines()
    assert [re.fullmatch(r"Epoch (\d): (\d+) / 150", line) is not None for line in lines] == [
        True
    ] * 3
    counts = [int(line.split()[2]) for line in lines]
    assert [int(line.split()[1][:-1]) for line in lines] == [0, 1, 2]  # his j counts from 0
    # the same run through the library, measuring the test set after every epoch
    rng = np.random.default_rng(4)
    lib = nn.mlp([784, 30, 10], init="normal", seed=rng, dtype=np.float64)
    X, y = rows(training)
    history = lib.fit(
        X, y, epochs=3, batch_size=10, lr=3.0, seed=rng, verbose=False,
        validation_data=rows(test),
    )  # fmt: skip
    assert counts == [round(a * 150) for a in history["val_accuracy"]]
    assert counts[-1] == book.evaluate(test)
    assert counts[-1] == sum(int(np.argmax(book.feedforward(x)) == t) for x, t in test)
    assert counts[-1] > 100  # it learned: 150 random guesses get about 15
    assert book.history["epoch"] == [1, 2, 3]


def test_sgd_without_test_data_prints_epoch_complete(data, capsys):
    training, _, _ = data
    book = network.Network([784, 30, 10], seed=0)
    book.SGD(iter(training[:50]), 2, 10, 3.0)  # a zip object works as in his Python 3 ports
    assert capsys.readouterr().out == "Epoch 0 complete\nEpoch 1 complete\n"
    book.SGD(training[:50], 1, 10, 3.0, test_data=[])  # his `if test_data:`
    assert capsys.readouterr().out == "Epoch 0 complete\n"
    with pytest.raises(ValueError, match="no examples"):
        book.SGD([], 1, 10, 3.0)


def test_evaluate_takes_int_labels_or_one_hot_columns(data):
    training, validation, _ = data
    net = network.Network([784, 30, 10], seed=0)
    one_hot = [(x, mnist_loader.vectorized_result(t)) for x, t in validation]
    assert net.evaluate(validation) == net.evaluate(one_hot)
    X, y = rows(validation)
    assert net.evaluate(validation) == int(np.sum(net.model.predict(X).argmax(axis=1) == y))


# ---------------------------------------------------------------- the loader
def test_load_data_wrapper_gives_his_format_from_the_embedded_digits():
    training, validation, test = mnist_loader.load_data_wrapper()
    assert (len(training), len(validation), len(test)) == (7000, 1000, 2000)
    x, y = training[0]
    assert x.shape == (784, 1) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert y.shape == (10, 1) and y.sum() == 1.0 and y.dtype == np.float64
    assert isinstance(validation[0][1], int) and isinstance(test[0][1], int)
    (X, labels), (Xt, yt) = nn.datasets.digits()
    np.testing.assert_array_equal(training[6999][0].ravel(), X[6999])
    assert int(np.argmax(training[6999][1])) == labels[6999]
    np.testing.assert_array_equal(validation[0][0].ravel(), X[7000])  # his held-out tail
    assert [t for _, t in test] == list(yt)
    arrays = mnist_loader.load_data()
    assert [a[0].shape for a in arrays] == [(7000, 784), (1000, 784), (2000, 784)]


def test_mnist_idx_files_from_a_directory(tmp_path):
    rng = np.random.default_rng(0)
    n_train, n_test = 10_003, 5  # his 10,000 held out, 3 left to train on
    files = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, array in files.items():
        write_idx(tmp_path / name, array)
    training, validation, test = mnist_loader.load_data_wrapper(path=tmp_path)
    assert (len(training), len(validation), len(test)) == (3, 10_000, 5)
    labels = files["train-labels-idx1-ubyte"]
    assert [int(np.argmax(t)) for _, t in training] == list(labels[:3])
    assert [t for _, t in validation[:3]] == list(labels[3:6])
    np.testing.assert_array_equal(
        training[0][0].ravel() * 255, files["train-images-idx3-ubyte"][0].ravel()
    )


def test_loader_errors():
    with pytest.raises(ValueError, match="dataset must be one of digits, mnist, fashion-mnist"):
        mnist_loader.load_data(dataset="cifar")
    with pytest.raises(ValueError, match="embedded"):
        mnist_loader.load_data(path="/tmp", dataset="digits")
    assert mnist_loader.vectorized_result(3)[:, 0].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def test_importing_nn_does_not_load_the_book():
    import subprocess
    import sys

    code = "import nn, sys; print(any(m.startswith('nn.book') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
