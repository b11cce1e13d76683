"""Test accuracy and training time: the seed's network against the best configuration.

Run from the repository root::

    python benchmarks/accuracy.py                    # all four rows, about 5 minutes
    python benchmarks/accuracy.py --json out.json    # the same, also written as JSON
    python benchmarks/accuracy.py --dataset digits   # only the embedded digits

Each row is one ``nn train`` command, run through the same code (``nn.cli.train_from_args``)
and printed in full, so any number in the table can be reproduced by pasting its command.
"time" is the wall time of ``Network.fit`` (including the per-epoch evaluation that prints the
test accuracy), not data loading. The machine's load average is printed with the table:
this repository is developed on a shared 2-core machine, and time figures taken while other
work runs are slower than on an idle one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time

import numpy as np

from nn.cli import build_parser, train_from_args

#: The seed's network: [784, 30, 10], sigmoid, squared error, SGD with eta = 3.0 and
#: mini-batches of 10, 10 epochs (every default of ``nn train``).
SEED = "--sizes 784,30,10 --epochs 10"

#: The best configuration found (README, "Results"): two ReLU layers with dropout, softmax
#: cross-entropy on logits, He init, Adam with a cosine schedule, inputs standardized.
BEST = (
    "--sizes 784,512,256,10 --activation relu --loss softmax_cross_entropy --init he_normal "
    "--optimizer adam --lr 0.001 --schedule cosine --batch-size 128 --epochs 30 "
    "--dropout 0.2 --standardize"
)

ROWS = [
    ("digits", "seed network", SEED),
    ("digits", "best configuration", BEST),
    ("fashion-mnist", "seed network", SEED),
    ("fashion-mnist", "best configuration", BEST),
]


def command(dataset: str, options: str) -> str:
    """The ``nn train`` command line of a row."""
    return f"nn train --dataset {dataset} {options} --seed 0"


def run(dataset: str, options: str) -> dict[str, object]:
    """Train one row's network and return what the table shows."""
    argv = ["train", "--dataset", dataset, *shlex.split(options), "--seed", "0", "--quiet"]
    args = build_parser().parse_args(argv)
    result = train_from_args(args)
    return {
        "dataset": dataset,
        "command": command(dataset, options),
        "epochs": len(result.history["epoch"]),
        "test_accuracy": result.test_accuracy,
        "test_loss": result.test_loss,
        "train_seconds": round(result.seconds, 2),
        "median_epoch_seconds": round(float(np.median(result.history["seconds"])), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--dataset", choices=["digits", "fashion-mnist"], help="only this one")
    opts = parser.parse_args(argv)
    environment = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    rows = []
    for dataset, name, options in ROWS:
        if opts.dataset and dataset != opts.dataset:
            continue
        print(f"running: {command(dataset, options)}", file=sys.stderr, flush=True)
        rows.append({"network": name, **run(dataset, options)})
    environment["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    print(f"{'dataset':<14} {'network':<19} {'epochs':>6} {'test accuracy':>13} {'time':>8}")
    for r in rows:
        acc = f"{r['test_accuracy']:.2%}"
        print(
            f"{r['dataset']:<14} {r['network']:<19} {r['epochs']:>6} {acc:>13} "
            f"{r['train_seconds']:>7.1f}s"
        )
    print("\ncommands:")
    for r in rows:
        print(f"  {r['command']}")
    print(
        f"\nload average {environment['load_average_start']} at start, "
        f"{environment['load_average_end']} at end, on {environment['cpu_count']} CPUs; "
        f"OPENBLAS_NUM_THREADS={environment['OPENBLAS_NUM_THREADS']}",
    )
    if opts.json:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        with open(opts.json, "w") as f:
            json.dump({"date": stamp, "environment": environment, "rows": rows}, f, indent=2)
        print(f"written to {opts.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
