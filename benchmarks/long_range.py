"""Where the RNN stops learning and the LSTM does not: the adding problem with a growing lag.

Usage::

    python benchmarks/long_range.py                       # T = 10 20 40 80, about 5 minutes
    python benchmarks/long_range.py --lengths 10 20 40 80 160 --steps 3000
    python benchmarks/long_range.py --plot loss.png --gradient-plot gradient.png --json out.json

For each sequence length ``T`` and each cell (RNN, GRU, LSTM) it trains
``[<cell>(2, 32, return_sequences=False), Dense(32, 1)]`` under ``nn.SquaredError`` on the adding
problem (:func:`nn.datasets.adding.adding_problem`: add the two marked numbers of the sequence,
one marked in each half), with Adam (learning rate 0.003, gradient norm clipped at 1), for a
fixed budget of ``--steps`` mini-batches of 32 fresh sequences, and reports the loss on 1,000
held-out sequences. Predicting 1 whatever the input costs 0.0833 (guessing): a loss there means
the network never found the marked numbers, because the gradient from the last step did not
reach them. A cell counts as having learned when its loss is under a tenth of guessing.

It also records, with :class:`nn.Diagnostics`, ``||dC/dh_t||`` for every step of the longest
sequences, and draws it step by step back (``--gradient-plot``, with
``nn.plots.gradient_through_time``): the seed's "why are the gradients so tiny?" across time.
With ``--doctor`` it also runs ``nn.diagnose`` (300 steps) on a fresh RNN and a fresh LSTM at
the longest ``T`` and prints what the doctor says about their gradients through time. Every run
is seeded: the same command prints the same table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

import nn
from nn.datasets.adding import GUESS_LOSS, adding_problem

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
HIDDEN, BATCH, LR = 32, 32, 0.003


def train_one(cell: str, T: int, steps: int, seed: int) -> tuple[float, nn.Diagnostics, float]:
    """Held-out loss, the diagnostics and the seconds of one cell trained on length ``T``."""
    X, y = adding_problem(steps * BATCH, T, seed=seed)
    X_test, y_test = adding_problem(1000, T, seed=seed + 1)
    rng = np.random.default_rng(seed)
    net = nn.Network(
        [CELLS[cell](2, HIDDEN, return_sequences=False, rng=rng),
         nn.Dense(HIDDEN, 1, init="glorot_uniform", rng=rng)],
        nn.SquaredError(),
    )  # fmt: skip
    diag = nn.Diagnostics(X_test[:200], y_test[:200], every=max(1, steps // 10))
    start = time.perf_counter()
    net.fit(
        X, y, epochs=1, batch_size=BATCH, optimizer=nn.Adam(LR, clip_norm=1.0), seed=seed,
        verbose=False, callbacks=[diag],
    )  # fmt: skip
    seconds = time.perf_counter() - start
    return float(net.evaluate(X_test, y_test)["loss"]), diag, seconds


def doctor(T: int, seed: int) -> None:
    """Print the doctor's findings through time for a fresh RNN and LSTM on length ``T``."""
    X, y = adding_problem(12000, T, seed=seed)
    for cell in ("rnn", "lstm"):
        rng = np.random.default_rng(seed)
        net = nn.Network(
            [CELLS[cell](2, HIDDEN, return_sequences=False, rng=rng),
             nn.Dense(HIDDEN, 1, init="glorot_uniform", rng=rng)],
            nn.SquaredError(),
        )  # fmt: skip
        report = nn.diagnose(
            net, X, y, optimizer=nn.Adam(LR, clip_norm=1.0), batch_size=BATCH, steps=300,
            experiments=False, seed=seed,
        )  # fmt: skip
        print(f"\nnn.diagnose, {cell.upper()} on the adding problem, T={T}:")
        for finding in report.findings:
            if finding.id.endswith("_through_time"):
                print(finding)


def table(lengths: list[int], cells: list[str], losses: dict) -> str:
    head = "| T | " + " | ".join(c.upper() for c in cells) + " |"
    lines = [head, "|---" * (len(cells) + 1) + "|"]
    for T in lengths:
        cols = []
        for c in cells:
            loss = losses[c][T]
            mark = "learned" if loss < 0.1 * GUESS_LOSS else "partly"
            mark = "at guessing" if loss > 0.9 * GUESS_LOSS else mark
            cols.append(f"{loss:.4f} ({mark})")
        lines.append(f"| {T} | " + " | ".join(cols) + " |")
    return "\n".join(lines)


def plot_losses(lengths: list[int], losses: dict, steps: int, path: str) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for cell, by_length in losses.items():
        ax.semilogy(lengths, [by_length[T] for T in lengths], "o-", label=cell.upper())
    ax.axhline(GUESS_LOSS, color="k", ls="--", lw=1, label=f"guessing ({GUESS_LOSS:.4f})")
    ax.set(xlabel="sequence length T", ylabel="held-out loss", xscale="log")
    ax.set_xticks(lengths, [str(T) for T in lengths])
    ax.set_title(f"the adding problem after {steps} steps")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 20, 40, 80])
    parser.add_argument("--cells", nargs="+", choices=list(CELLS), default=list(CELLS))
    parser.add_argument("--steps", type=int, default=1500, help="mini-batches per run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="PNG", help="held-out loss against T")
    parser.add_argument("--gradient-plot", metavar="PNG", help="||dC/dh|| steps back, longest T")
    parser.add_argument("--json", metavar="FILE", help="write the losses as JSON")
    parser.add_argument("--doctor", action="store_true", help="nn.diagnose at the longest T")
    args = parser.parse_args(argv)
    print(
        f"adding problem: hidden {HIDDEN}, {args.steps} steps of {BATCH}, Adam {LR}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    losses: dict[str, dict[int, float]] = {c: {} for c in args.cells}
    longest: dict[str, nn.Diagnostics] = {}
    for T in args.lengths:
        for cell in args.cells:
            loss, diag, seconds = train_one(cell, T, args.steps, args.seed)
            losses[cell][T] = loss
            if T == max(args.lengths):
                longest[cell.upper()] = diag
            print(f"  T={T:4d} {cell:4s} held-out loss {loss:.4f} ({seconds:.0f} s)", flush=True)
    print(table(args.lengths, args.cells, losses))
    if args.plot:
        plot_losses(args.lengths, losses, args.steps, args.plot)
    if args.gradient_plot:
        nn.plots.gradient_through_time(
            longest, title=f"||dC/dh|| step by step back, adding problem T={max(args.lengths)}",
            path=args.gradient_plot,
        )  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"steps": args.steps, "losses": losses}, f, indent=1)
    if args.doctor:
        doctor(max(args.lengths), args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
