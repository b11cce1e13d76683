"""A character-level language model from scratch: the bigram, the RNN, the GRU and the LSTM.

Usage::

    python benchmarks/language_model.py                  # trains the three (about 25 minutes)
    python benchmarks/language_model.py --dir models     # keep the models there; a model
                                                         # already there is evaluated, not retrained
    python benchmarks/language_model.py --epochs 3 --cells rnn lstm

The data are the 88,799 US Census 1990 surnames that ship with nn (``nn.datasets.names``), split
once into 79,919 training and 8,880 held-out names (no name in both). Each recurrent model is
trained by the ``nn train`` command printed before it runs (``--dataset names --cell CELL``,
hidden 128, embedding 32, Adam 0.003 with a cosine schedule, gradient norm clipped at 5,
mini-batches of 32, 10 epochs), and scored as ``nn evaluate`` scores it. The bigram is counted
(``nn.models.bigram.bigram_network``, add-one smoothing): the best a model that sees only the
current character can do on the training names. The table gives the held-out loss per
character (nats, and bits: divided by ln 2), and each model's names, sampled as
``nn generate MODEL --n 10 --temperature 0.8`` samples them.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile

import nn
from nn.datasets.census_names import names_dataset
from nn.models.bigram import bigram_network
from nn.models.sampling import generate

CELLS = ("rnn", "gru", "lstm")


def train_command(cell: str, path: str, epochs: int) -> list[str]:
    """The ``nn train`` command of one recurrent model."""
    return [
        "nn", "train", "--dataset", "names", "--cell", cell, "--hidden", "128",
        "--embedding", "32", "--optimizer", "adam", "--lr", "0.003", "--batch-size", "32",
        "--epochs", str(epochs), "--schedule", "cosine", "--clip-norm", "5", "--quiet",
        "--save", path,
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", help="where the models are kept (default: a temporary folder)")
    parser.add_argument("--cells", nargs="+", choices=CELLS, default=list(CELLS))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples", type=int, default=10, help="names sampled per model")
    args = parser.parse_args(argv)
    folder = args.dir or tempfile.mkdtemp(prefix="nn-names-")
    os.makedirs(folder, exist_ok=True)
    (X, Y), (Xt, Yt), vocabulary = names_dataset()
    models = {"bigram": bigram_network(X, Y)}
    for cell in args.cells:
        path = os.path.join(folder, f"{cell}.npz")
        if not os.path.exists(path):
            command = train_command(cell, path, args.epochs)
            print("$", " ".join(command), flush=True)
            env = dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"))
            subprocess.run([sys.executable, "-m", "nn", *command[1:]], check=True, env=env)
        models[cell] = nn.load(path)
    print(f"\nload average {os.getloadavg()[0]:.2f}; held-out: {len(Xt):,} names")
    print("| model | parameters | held-out loss (nats/char) | bits/char | training loss |")
    print("|---|---|---|---|---|")
    for name, net in models.items():
        held_out, train = net.evaluate(Xt, Yt)["loss"], net.evaluate(X, Y)["loss"]
        size = sum(p.size for _, p, _ in net.parameters())
        print(
            f"| {name.upper() if name != 'bigram' else 'bigram (counts)'} | {size:,} | "
            f"{held_out:.4f} | {held_out / math.log(2):.3f} | {train:.4f} |"
        )
    for name, net in models.items():
        words = generate(net, vocabulary, args.samples, temperature=0.8, seed=0)
        print(f"\n{name}, temperature 0.8: " + ", ".join(words))
    return 0


if __name__ == "__main__":
    sys.exit(main())
