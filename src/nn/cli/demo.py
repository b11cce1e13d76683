"""``nn demo``: the seed's network learns the embedded digits, and draws some of them."""

from __future__ import annotations

import argparse
import time

import numpy as np

from nn import datasets
from nn.cli.cores import check_cores
from nn.core.validation import check_positive_int
from nn.models.mlp import mlp
from nn.train.threads import ThreadPolicy


def digit_art(image: np.ndarray) -> list[str]:
    """A 28x28 grey-level image in [0, 1] as 10 lines of 20 characters.

    MNIST centres each digit in the middle 20x20 pixels, so only those are drawn; each
    character covers two pixel rows (terminal cells are about twice as tall as wide).
    """
    img = np.asarray(image, dtype=np.float64).reshape(28, 28)[4:24, 4:24]
    pairs = (img[0::2] + img[1::2]) / 2  # (10, 20)
    ramp = " .:-=+*#%@"
    idx = np.clip((pairs * (len(ramp) - 1)).round().astype(int), 0, len(ramp) - 1)
    return ["".join(ramp[i] for i in row) for row in idx]


def show_digits(
    images: np.ndarray, labels: np.ndarray, predicted: np.ndarray, per_row: int = 3
) -> str:
    """Digits side by side, ``per_row`` at a time, each with its true and predicted label."""
    blocks = []
    for start in range(0, len(images), per_row):
        arts = [digit_art(img) for img in images[start : start + per_row]]
        lines = ["   ".join(art[r] for art in arts).rstrip() for r in range(10)]
        captions = []
        for t, p in zip(labels[start : start + per_row], predicted[start : start + per_row]):
            captions.append(f"true {t}, net {p}{'' if t == p else ' (!)'}".ljust(20))
        lines.append("   ".join(captions).rstrip())
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def cmd_demo(args: argparse.Namespace) -> int:
    """The seed's network learns the embedded digits."""
    check_positive_int("--epochs", args.epochs)
    check_cores(args)
    (X, y), (Xt, yt) = datasets.digits()
    print(
        "The seed network: [784, 30, 10], sigmoid units, squared-error loss, trained by SGD\n"
        f"with mini-batches of 10 and eta = 3.0 on {len(X):,} handwritten digits; accuracy is\n"
        f"measured on {len(Xt):,} digits it never trains on.\n"
    )
    net = mlp([784, 30, 10], seed=args.seed)
    threads = ThreadPolicy(args.threads)
    start = time.perf_counter()
    history = net.fit(
        X,
        y,
        epochs=args.epochs,
        batch_size=10,
        lr=3.0,
        validation_data=(Xt, yt),
        seed=args.seed,
        verbose=not args.quiet,
        validation_name="test",
        threads=threads,
        workers=args.workers,
    )
    seconds = time.perf_counter() - start
    acc = history["val_accuracy"][-1]
    n = len(history["epoch"])
    print(f"\nTest accuracy {acc:.2%} after {n} epoch{'s' * (n != 1)} ({seconds:.1f} s).")
    print(f"{threads.summary()}\n")
    rng = np.random.default_rng(args.seed)
    pick = rng.choice(len(Xt), size=6, replace=False)
    print(show_digits(Xt[pick], yt[pick], net.classify(Xt[pick])))
    print(
        "\nNext: `nn train --init normal` starts from N(0, 1) weights and learns slower; "
        "`nn --help` lists the rest."
    )
    return 0
