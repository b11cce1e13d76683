"""Write the notebooks of docs/notebooks/ from the cells below: ``python tools/make_notebooks.py``.

The notebooks are generated so that they stay reviewable (this file is their source) and carry
no outputs: every run of them gives the same files. The standard library is all it needs.
``tests/test_notebooks.py`` checks that the committed notebooks equal what this script writes,
and runs each of them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY = ROOT / "docs" / "notebooks"


def setup(*imports: str) -> str:
    """The first code cell: the Colab install line (commented out), inline plots, imports."""
    lines = [
        "# In Colab, or anywhere nn is not installed yet, uncomment the next line:",
        '# !pip install "nn[plot] @ git+<this repository\'s URL>"',
        "%matplotlib inline",
        *sorted(imports),
    ]
    return "\n".join([*lines, *([""] if imports else []), "import nn"])


SEED_NETWORK = [
    (
        "md",
        """\
# 1. The seed network learns to read digits

The network of Nielsen's chapter 1: 784 inputs (the pixels of a 28x28 image), 30 sigmoid
hidden units, 10 sigmoid outputs (one per digit), squared-error loss, plain stochastic
gradient descent. The digits are 10,000 real MNIST images shipped inside the package, so this
runs offline. Every step is small so that the notebook runs in seconds; the full run is
`nn demo` on the command line.""",
    ),
    ("code", setup("import matplotlib.pyplot as plt")),
    (
        "md",
        """\
## The data

`nn.datasets.digits()` gives 8,000 training and 2,000 test images, each flattened to 784
values in [0, 1], and their labels 0 to 9.""",
    ),
    (
        "code",
        """\
(X, y), (X_test, y_test) = nn.datasets.digits()
print(X.shape, y.shape, X_test.shape)

fig, axes = plt.subplots(1, 8, figsize=(8, 1.4))
for ax, image, label in zip(axes, X, y):
    ax.imshow(image.reshape(28, 28), cmap="gray_r")
    ax.set_title(int(label))
    ax.axis("off")
plt.show()""",
    ),
    (
        "md",
        """\
## The network

`nn.mlp([784, 30, 10])` is the list `[Dense(784, 30), Sigmoid(), Dense(30, 10), Sigmoid()]`.
Before any training it guesses: about 10% of the test digits right.""",
    ),
    (
        "code",
        """\
net = nn.mlp([784, 30, 10], seed=0)
print(net.summary())
print("before training:", net.evaluate(X_test, y_test))""",
    ),
    (
        "md",
        """\
## Training

Three epochs over 3,000 images, mini-batches of 10, learning rate 3.0 (the book's values; the
book runs 30 epochs over 50,000 images). The labels can be given as integers: the loss compares
the outputs with their one-hot rows.""",
    ),
    (
        "code",
        """\
history = net.fit(X[:3000], y[:3000], epochs=3, batch_size=10, lr=3.0, seed=0, verbose=False)
print("loss per epoch:", [round(v, 4) for v in history["loss"]])
print("after training:", net.evaluate(X_test, y_test))""",
    ),
    (
        "md",
        """\
## What it reads

The network's answer is the output unit with the largest activation. Below, a few test digits
with the network's answer; the ones it gets wrong are marked in red.""",
    ),
    (
        "code",
        """\
guesses = net.predict(X_test[:16]).argmax(axis=1)
fig, axes = plt.subplots(2, 8, figsize=(8, 2.6))
for ax, image, label, guess in zip(axes.flat, X_test, y_test, guesses):
    ax.imshow(image.reshape(28, 28), cmap="gray_r")
    ax.set_title(int(guess), color="black" if guess == label else "red")
    ax.axis("off")
plt.show()""",
    ),
    (
        "md",
        """\
Try: more epochs, all 8,000 images, a learning rate of 0.3 or 30, or 100 hidden units.""",
    ),
]

BACKPROP_BY_HAND = [
    (
        "md",
        """\
# 2. Backprop by hand, against the gradient checker

A small network, `[Dense(4, 5), Sigmoid(), Dense(5, 3), Sigmoid()]` with squared error, its
forward and backward passes written out in NumPy, equation by equation (BP1 to BP4 of
docs/backprop.md), then compared with the library's layers and with two independent
references: finite differences and the autograd engine.""",
    ),
    ("code", setup("import numpy as np")),
    (
        "code",
        """\
rng = np.random.default_rng(0)
net = nn.mlp([4, 5, 3], seed=0, dtype=np.float64)
X = rng.standard_normal((6, 4))  # 6 examples, batch first
Y = np.eye(3)[rng.integers(0, 3, size=6)]  # one-hot targets, (6, 3)

dense1, _, dense2, _ = net.layers
W1, b1 = dense1.params["W"], dense1.params["b"]  # (4, 5), (5,)
W2, b2 = dense2.params["W"], dense2.params["b"]  # (5, 3), (3,)""",
    ),
    (
        "md",
        """\
## Forward

`z = x @ W + b` (batch-first rows: the transpose of the book's `W x + b`), then `a = sigmoid(z)`.
The cost is the mean over the batch of `1/2 ||a - y||^2`.""",
    ),
    (
        "code",
        """\
z1 = X @ W1 + b1
a1 = nn.sigmoid(z1)
z2 = a1 @ W2 + b2
a2 = nn.sigmoid(z2)
n = len(X)
C = 0.5 * ((a2 - Y) ** 2).sum(axis=1).mean()
print("cost by hand:   ", C)
print("cost of the net:", net.loss.value(net.forward(X), Y))""",
    ),
    (
        "md",
        """\
## Backward

* BP1: the output error, `delta2 = dC/da2 * sigmoid'(z2)`, with `dC/da2 = (a2 - y) / n`
  (the cost is a mean).
* BP2: the error one layer down, `delta1 = (delta2 @ W2.T) * sigmoid'(z1)`.
* BP3: `dC/db = delta`, summed over the batch.
* BP4: `dC/dW = a_in.T @ delta`.""",
    ),
    (
        "code",
        """\
delta2 = (a2 - Y) / n * nn.sigmoid_prime(z2)  # BP1
delta1 = (delta2 @ W2.T) * nn.sigmoid_prime(z1)  # BP2
by_hand = {
    "W2": a1.T @ delta2,  # BP4
    "b2": delta2.sum(axis=0),  # BP3
    "W1": X.T @ delta1,  # BP4
    "b1": delta1.sum(axis=0),  # BP3
}

net.gradients(X, Y)  # the library's backward pass fills each layer's grads
library = {
    "W2": dense2.grads["W"],
    "b2": dense2.grads["b"],
    "W1": dense1.grads["W"],
    "b1": dense1.grads["b"],
}
for name in by_hand:
    print(name, "largest difference:", np.abs(by_hand[name] - library[name]).max())""",
    ),
    (
        "md",
        """\
## The gradient checker

`nn.check_gradients` nudges every weight up and down and measures how the cost moves (a
finite difference, in float64). It knows nothing of backprop, so it is an independent
opinion.""",
    ),
    ("code", "print(nn.check_gradients(net, X, Y))"),
    (
        "md",
        """\
## A third opinion: the autograd engine

`nn.autograd` finds the gradients by itself from the forward pass alone (docs/autograd.md).
It agrees with backprop to round-off, far more tightly than finite differences can.""",
    ),
    ("code", 'print(nn.check_gradients(net, X, Y, reference="autograd"))'),
    (
        "md",
        """\
## A bug, caught

A sigmoid whose backward pass forgets the `(1 - a)` of `sigmoid'(z) = a (1 - a)`. Its forward
pass is right, so the cost looks normal; the checker says which gradients are wrong.""",
    ),
    (
        "code",
        """\
class ForgetfulSigmoid(nn.Sigmoid):
    def backward(self, dy):
        return dy * self.a  # wrong: sigma'(z) is a (1 - a)


buggy = nn.Network(
    [nn.Dense(4, 5, rng=0), ForgetfulSigmoid(), nn.Dense(5, 3, rng=1), nn.Sigmoid()],
    nn.SquaredError(),
)
report = nn.check_gradients(buggy, X, Y)
print(report)""",
    ),
]

WHY_SLOW = [
    (
        "md",
        """\
# 3. Why training is slow: the diagnostics and their plots

Nielsen's chapter 5: in a deep sigmoid network the early layers learn far more slowly than the
late ones, because each layer down multiplies the error by `W.T` and by `sigmoid'(z) <= 1/4`.
`nn.Diagnostics` measures it while training; `nn.plots` draws it; `nn.diagnose` reads it and
says what it sees. docs/questions.md has the full experiments.""",
    ),
    ("code", setup()),
    (
        "code",
        """\
(X, y), _ = nn.datasets.digits()
X, y = X[:1000], y[:1000]  # small, to keep the notebook quick
probe = (X[:200], y[:200])""",
    ),
    (
        "md",
        """\
## Four sigmoid layers

`Diagnostics` records, every few steps, each layer's `||dC/db||` (the speed at which its
biases learn), its update-to-weight ratio and its saturated units.""",
    ),
    (
        "code",
        """\
deep = nn.mlp([784, 30, 30, 30, 30, 10], seed=0)
diag = nn.Diagnostics(*probe, every=10)
deep.fit(X, y, epochs=1, batch_size=10, lr=0.1, seed=0, callbacks=[diag], verbose=False)
print("accuracy on the probe after one epoch:", diag.records[-1]["probe_accuracy"])
nn.plots.speed_of_learning(diag, title="sigmoid, N(0, 1/n_in)")  # a Figure, shown""",
    ),
    (
        "md",
        """\
The first layer's line sits far below the last one's: its biases learn many times more
slowly.

## ReLU and He initialization

ReLU's derivative is 1 where the unit is on, and He's initialization keeps the size of the
signal from layer to layer: the lines come together, and in the same epoch the network learns.""",
    ),
    (
        "code",
        """\
relu = nn.mlp(
    [784, 30, 30, 30, 30, 10],
    "relu",
    "softmax_cross_entropy",
    init="he_normal",
    seed=0,
)
diag_relu = nn.Diagnostics(*probe, every=10)
relu.fit(X, y, epochs=1, batch_size=10, lr=0.1, seed=0, callbacks=[diag_relu], verbose=False)
print("accuracy on the probe after one epoch:", diag_relu.records[-1]["probe_accuracy"])
nn.plots.speed_of_learning(diag_relu, title="ReLU, He")""",
    ),
    (
        "md",
        """\
## The doctor

`nn.diagnose` trains a copy of a network for a short probe, measures it, and says what is
wrong and what to try (the command line's `nn diagnose`). Here it sees the slow first layer of
the sigmoid network.""",
    ),
    (
        "code",
        """\
fresh = nn.mlp([784, 30, 30, 30, 30, 10], seed=0)
report = nn.diagnose(fresh, X, y, lr=0.1, steps=100, probe_size=200, experiments=False)
print(report)""",
    ),
]

TOOLBOX = [
    (
        "md",
        """\
# 4. The wider toolbox

What the library adds beyond the seed network: better losses and initializations, optimizers
with momentum, dropout, a validation split with early stopping, a summary of the layers, and
saving and loading.""",
    ),
    ("code", setup("import numpy as np")),
    (
        "code",
        """\
(X, y), (X_test, y_test) = nn.datasets.digits()
X, y = X[:2000], y[:2000]""",
    ),
    (
        "md",
        """\
## A modern network

ReLU hidden units with He initialization, dropout after each hidden layer, and a softmax
output fused with its cross-entropy loss. `summary()` lists the layers, their output shapes and
their parameters.""",
    ),
    (
        "code",
        """\
net = nn.mlp(
    [784, 64, 10],
    "relu",
    "softmax_cross_entropy",
    init="he_normal",
    dropout=0.2,
    seed=0,
)
print(net.summary())""",
    ),
    (
        "md",
        """\
## Optimizers and early stopping

`Adam` instead of plain SGD (`nn.SGD(lr, momentum=0.9)` and `nn.RMSProp` are the others).
A fifth of the training set is held out; `EarlyStopping` stops when its loss has not improved
for two epochs and puts back the best weights.""",
    ),
    (
        "code",
        """\
history = net.fit(
    X,
    y,
    epochs=8,
    batch_size=32,
    optimizer=nn.Adam(1e-3),
    validation_split=0.2,
    callbacks=[nn.EarlyStopping(patience=2)],
    seed=0,
    verbose=False,
)
print("epochs run:", len(history["loss"]))
print("test:", net.evaluate(X_test, y_test))
nn.plots.learning_curves(history)""",
    ),
    (
        "md",
        """\
## Saving and loading

`save` writes an `.npz` file (the weights, and a JSON description of the layers; never a
pickle); `nn.load` rebuilds the network, which gives the same predictions.""",
    ),
    (
        "code",
        """\
import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as directory:
    path = str(Path(directory) / "digits.npz")
    net.save(path)
    again = nn.load(path)
print("same predictions:", np.array_equal(net.predict(X_test), again.predict(X_test)))""",
    ),
]

COLLECTION = [
    (
        "md",
        """\
# 5. The collection: more networks

Each new kind of network in the library gets a short section here.

## A character model of names

A recurrent network reads a surname one character at a time and predicts the next one:
`Embedding`, a `GRU` (or `RNN`, `LSTM`) and a dense layer at every step, trained through time
(docs/recurrent.md). A few epochs on a few hundred names make it a poor speller, but a
speller of names already.""",
    ),
    ("code", setup("import matplotlib.pyplot as plt", "import numpy as np")),
    (
        "code",
        """\
from nn.models.sampling import generate

(X, Y), (X_test, Y_test), vocabulary = nn.datasets.names_dataset()
print(X.shape, Y.shape)  # (names, steps) ids in; (names, steps, 27) next characters out

X, Y = X[:800], Y[:800]
model = nn.char_rnn(len(vocabulary), cell="gru", hidden=32, embedding=8, seed=0)
print("before:", generate(model, vocabulary, n=5, seed=0))
history = model.fit(X, Y, epochs=3, batch_size=32, optimizer=nn.Adam(1e-2), seed=0, verbose=False)
print("loss per epoch:", [round(v, 3) for v in history["loss"]])
print("after: ", generate(model, vocabulary, n=5, seed=0))""",
    ),
    (
        "md",
        """\
## XOR on the scalar autograd engine

The same ideas with no NumPy at all: every number a `Value` that remembers how it was made, and
`backward()` walks the graph (docs/autograd.md). A 2-4-1 network learns XOR.""",
    ),
    (
        "code",
        """\
from nn.autograd import scalar_net

X_xor, y_xor = nn.datasets.xor(np.float64)
targets = [[float(t)] for t in y_xor]
model = scalar_net.MLP([2, 4, 1], "tanh", "sigmoid", seed=3)
losses = scalar_net.fit(model, X_xor.tolist(), targets, loss="cross_entropy", lr=0.5, epochs=300)
print("loss: first", round(losses[0], 3), "last", round(losses[-1], 3))
for x, out in zip(X_xor.tolist(), model(X_xor.tolist())):
    print(x, "->", round(out[0].data, 3))

plt.plot(losses)
plt.xlabel("epoch")
plt.ylabel("cross-entropy")
plt.show()""",
    ),
]

NOTEBOOKS = {
    "01_seed_network.ipynb": SEED_NETWORK,
    "02_backprop_by_hand.ipynb": BACKPROP_BY_HAND,
    "03_why_training_is_slow.ipynb": WHY_SLOW,
    "04_toolbox.ipynb": TOOLBOX,
    "05_collection.ipynb": COLLECTION,
}


def build(cells: list[tuple[str, str]]) -> dict:
    """A notebook (nbformat 4.5) of ``cells`` (kind, source): no outputs, fixed cell ids."""
    built = []
    for i, (kind, source) in enumerate(cells):
        cell = {
            "cell_type": "markdown" if kind == "md" else "code",
            "id": f"cell-{i:02d}",  # fixed ids: the same file on every run
            "metadata": {},
            "source": source.splitlines(keepends=True),
        }
        if kind != "md":
            cell.update(execution_count=None, outputs=[])
        built.append(cell)
    return {
        "cells": built,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def render(cells: list[tuple[str, str]]) -> str:
    """The text of the ``.ipynb`` file for ``cells``: JSON as Jupyter writes it."""
    return json.dumps(build(cells), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        (DIRECTORY / name).write_text(render(cells), encoding="utf-8")
        print(DIRECTORY / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
