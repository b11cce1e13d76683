"""Regenerate every number and figure of docs/questions.md.

    python benchmarks/questions.py            # about two minutes on 2 cores
    python benchmarks/questions.py --json results.json

It runs three experiments on the data that ship with the package and then rewrites the blocks
between ``<!-- questions:NAME -->`` and ``<!-- /questions:NAME -->`` in docs/questions.md
(tables) and the PNG files in docs/images/ (figures). Prose outside the blocks is left alone.

1. ``speed``: Nielsen's ch. 5 speed of learning, ``||dC/db^l||`` of each hidden layer averaged
   over the first 1,000 training digits, for [784, 30 x h, 10] with h = 1..4, at
   initialization (mean over 10 seeds) and over 500 epochs of full-batch gradient descent on
   those 1,000 digits (Nielsen's ``fig/generate_gradient.py``, without his L2 term).
2. ``init``: the seed network [784, 30, 10] trained 30 epochs (mini-batches of 10) from
   N(0, 1) and from N(0, 1/n_in) weights, with the squared error and with the cross-entropy:
   test accuracy per epoch and the share of saturated hidden units.
3. ``xor``: how many epochs (full-batch steps) [2, 3, 1] needs to classify the four XOR points,
   by learning rate and initializer, over 10 seeds, capped at 50,000.
"""

from __future__ import annotations

import os

# One BLAS thread: the small products here gain nothing from more, the numbers then do not
# depend on the machine's core count, and the run is not slowed by other busy processes.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import nn  # noqa: E402
from nn.core.registry import ACTIVATIONS, LOSSES, snake_case  # noqa: E402
from nn.diagnostics.measure import Diagnostics, speed_of_learning  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "questions.md"
IMAGES = ROOT / "docs" / "images"

#: Nielsen's numbers for the same networks (network2.py: N(0, 1/n_in) weights, cross-entropy,
#: 1,000 MNIST training images), the first rows of fig/norms_during_training_{2,3,4}_layers.json
#: in his repository mnielsen/neural-networks-and-deep-learning.
NIELSEN = {
    2: [0.0657, 0.309],
    3: [0.0118, 0.0600, 0.283],
    4: [0.00298, 0.0171, 0.0695, 0.285],
}


def available(kind: str, name: str) -> bool:
    table = ACTIVATIONS if kind == "activation" else LOSSES
    return name in {snake_case(k) for k in table}


def configs() -> list[dict]:
    """The network families compared in experiment 1 (those this build of nn knows)."""
    out = [
        {
            "label": "sigmoid, N(0, 1/n_in), squared error",
            "file": "speed_of_learning_sigmoid_squared_error.png",
            "activation": "sigmoid",
            "loss": "squared_error",
            "init": "scaled_normal",
            "lr": 3.0,
            # the figure over training is drawn in Nielsen's setting when this build has it
            "curves": not available("loss", "cross_entropy"),
        },
    ]
    if available("loss", "cross_entropy"):
        out.append(
            {
                "label": "sigmoid, N(0, 1/n_in), cross-entropy (Nielsen's setting)",
                "file": "speed_of_learning_sigmoid.png",
                "curves": True,
                "activation": "sigmoid",
                "loss": "cross_entropy",
                "init": "scaled_normal",
                "lr": 0.1,
            }
        )
    if available("activation", "relu") and available("loss", "cross_entropy"):
        out.append(
            {
                "label": "ReLU, He init, sigmoid output, cross-entropy",
                "file": "speed_of_learning_relu.png",
                "curves": True,
                "activation": "relu",
                "output_activation": "sigmoid",
                "loss": "cross_entropy",
                "init": "he_normal",
                "lr": 0.1,
            }
        )
    return out


def build(sizes: list[int], cfg: dict, seed: int) -> nn.Network:
    kwargs = {"init": cfg["init"], "seed": seed}
    if "output_activation" in cfg:
        kwargs["output_activation"] = cfg["output_activation"]
    return nn.mlp(sizes, cfg["activation"], cfg["loss"], **kwargs)


# ------------------------------------------------------------------ experiment 1
def experiment_speed(X: np.ndarray, y: np.ndarray, Xt, yt, seeds: int = 10) -> dict:
    X1000, y1000 = X[:1000], y[:1000]
    results: dict = {"at_init": [], "training": []}
    for cfg in configs():
        for h in (1, 2, 3, 4):
            sizes = [784] + [30] * h + [10]
            speeds = np.array(
                [speed_of_learning(build(sizes, cfg, s), X1000, y1000) for s in range(seeds)]
            )
            mean = speeds.mean(axis=0)
            results["at_init"].append(
                {
                    "config": cfg["label"],
                    "hidden": h,
                    "mean": mean.tolist(),
                    "min": speeds.min(axis=0).tolist(),
                    "max": speeds.max(axis=0).tolist(),
                }
            )
        for h in (2, 3, 4) if cfg["curves"] else ():  # over training, one seed, as Nielsen
            sizes = [784] + [30] * h + [10]
            net = build(sizes, cfg, 0)
            diag = Diagnostics(Xt[:200], yt[:200], every=5)
            # full batch: each step's gradient is the average over the 1,000 digits, as Nielsen's
            net.fit(
                X1000,
                y1000,
                epochs=500,
                batch_size=1000,
                lr=cfg["lr"],
                seed=0,
                verbose=False,
                callbacks=[diag],
            )
            series = [diag.series("delta_norm", layer)[1].tolist() for layer in range(1, h + 2)]
            results["training"].append(
                {
                    "config": cfg["label"],
                    "file": cfg["file"],
                    "hidden": h,
                    "lr": cfg["lr"],
                    "steps": diag.series("delta_norm", 1)[0].tolist(),
                    "delta_norm": series,
                    "final_accuracy": net.evaluate(Xt, yt)["accuracy"],
                }
            )
    return results


def _ratio(first: float, last: float) -> str:
    """``first / last`` as ``1/24`` (or ``1/1.3``, ``2.1`` when the first layer is faster)."""
    r = last / first
    if r >= 10:
        return f"1/{r:.0f}"
    return f"1/{r:.1f}" if r >= 1 else f"{1 / r:.1f}"


SPEED_HEAD = (
    "| network | hidden 1 | hidden 2 | hidden 3 | hidden 4 | output | hidden 1 / last hidden |"
)


def table_speed(results: dict) -> str:
    lines = []
    by_config: dict[str, list] = {}
    for row in results["at_init"]:
        by_config.setdefault(row["config"], []).append(row)
    for config, rows in by_config.items():
        lines += [
            f"**{config}**",
            "",
            SPEED_HEAD,
            "|---|---|---|---|---|---|---|",
        ]
        for row in rows:
            h, mean = row["hidden"], row["mean"]
            cells = [f"{v:.3g}" for v in mean[:-1]] + [""] * (4 - h) + [f"{mean[-1]:.3g}"]
            ratio = _ratio(mean[0], mean[h - 1]) if h > 1 else "-"
            lines.append(
                f"| [784, {', '.join(['30'] * h)}, 10] | " + " | ".join(cells) + f" | {ratio} |"
            )
        lines.append("")
    lines += [
        "**Nielsen, ch. 5** (MNIST, sigmoid, N(0, 1/n_in), cross-entropy, one seed)",
        "",
        SPEED_HEAD,
        "|---|---|---|---|---|---|---|",
    ]
    for h, vals in NIELSEN.items():
        cells = [f"{v:.3g}" for v in vals] + [""] * (4 - h) + ["-"]
        lines.append(
            f"| [784, {', '.join(['30'] * h)}, 10] | "
            + " | ".join(cells)
            + f" | {_ratio(vals[0], vals[-1])} |"
        )
    return "\n".join(lines)


def figure_speed(results: dict) -> list[str]:
    from matplotlib.figure import Figure

    names = []
    by_config: dict[str, list] = {}
    for row in results["training"]:
        by_config.setdefault(row["config"], []).append(row)
    for config, rows in by_config.items():
        fig = Figure(figsize=(13, 3.8), layout="constrained")
        axes = fig.subplots(1, len(rows), sharey=True)
        for ax, row in zip(axes, rows):
            for layer, values in enumerate(row["delta_norm"][:-1], start=1):
                steps = np.array(row["steps"])
                v = np.array(values, dtype=float)
                keep = np.isfinite(v) & (v > 0)
                ax.plot(steps[keep], v[keep], label=f"hidden layer {layer}")
            ax.set(
                yscale="log",
                xlabel="epoch (one full-batch step)",
                title=f"{row['hidden']} hidden layers",
            )
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize="small")
        axes[0].set_ylabel("||dC/db|| (speed of learning)")
        fig.suptitle(f"Speed of learning during training: {config}, eta = {rows[0]['lr']:g}")
        name = rows[0]["file"]
        fig.savefig(IMAGES / name, dpi=100)
        names.append(name)
    return names


# ------------------------------------------------------------------ experiment 2
def experiment_init(X, y, Xt, yt, epochs: int = 30) -> list[dict]:
    runs = []
    losses = [("squared_error", 3.0)]
    if available("loss", "cross_entropy"):
        losses.append(("cross_entropy", 0.5))
    for loss, lr in losses:
        for init in ("normal", "scaled_normal"):
            net = nn.mlp([784, 30, 10], "sigmoid", loss, init=init, seed=0)
            diag = Diagnostics(Xt[:500], yt[:500], every=len(X) // 10)  # once per epoch
            start = time.perf_counter()
            history = net.fit(
                X,
                y,
                epochs=epochs,
                batch_size=10,
                lr=lr,
                seed=0,
                verbose=False,
                validation_data=(Xt, yt),
                callbacks=[diag],
            )
            recs = [r for r in diag.records if r["step"] % (len(X) // 10) == 0]  # epoch ends
            runs.append(
                {
                    "loss": loss,
                    "init": init,
                    "lr": lr,
                    "accuracy": history["val_accuracy"],
                    "hidden_saturated": [r["layers"][0]["saturated"] for r in recs],
                    "output_wrong_saturated": [r["wrong_saturated"] for r in recs],
                    "seconds": time.perf_counter() - start,
                }
            )
    return runs


def table_init(runs: list[dict]) -> str:
    show = [1, 2, 3, 5, 10, 20, 30]
    head = "| loss, init (eta) | " + " | ".join(f"epoch {e}" for e in show) + " |"
    lines = ["Test accuracy on the 2,000 held-out digits:", "", head, "|---|" + "---|" * len(show)]
    for r in runs:
        acc = [f"{100 * r['accuracy'][e - 1]:.1f}%" for e in show if e <= len(r["accuracy"])]
        lines.append(
            f"| {r['loss']}, {INIT_NAMES[r['init']]} ({r['lr']:g}) | " + " | ".join(acc) + " |"
        )
    lines += [
        "",
        "Saturated hidden units (sigmoid output outside [0.01, 0.99]) and output units "
        "saturated at the wrong end, on 500 held-out digits:",
        "",
        "| loss, init | hidden: start | after epoch 1 | after epoch 30 "
        "| wrong outputs: start | after epoch 1 |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        s, w = r["hidden_saturated"], r["output_wrong_saturated"]
        lines.append(
            f"| {r['loss']}, {INIT_NAMES[r['init']]} | {100 * s[0]:.1f}% | {100 * s[1]:.1f}% | "
            f"{100 * s[-1]:.1f}% | {100 * w[0]:.1f}% | {100 * w[1]:.1f}% |"
        )
    return "\n".join(lines)


INIT_NAMES = {"normal": "N(0, 1)", "scaled_normal": "N(0, 1/n_in)"}


def figure_init(runs: list[dict]) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4), layout="constrained")
    ax_acc, ax_sat = fig.subplots(1, 2)
    for i, r in enumerate(runs):
        label = f"{r['loss']}, {INIT_NAMES[r['init']]}"
        style = "-" if r["init"] == "scaled_normal" else "--"
        epochs = np.arange(1, len(r["accuracy"]) + 1)
        ax_acc.plot(
            epochs,
            100 * np.array(r["accuracy"]),
            style,
            color=f"C{i // 2}",
            marker="o",
            ms=3,
            label=label,
        )
        ax_sat.plot(
            np.arange(len(r["hidden_saturated"])),
            100 * np.array(r["hidden_saturated"]),
            style,
            color=f"C{i // 2}",
            marker="o",
            ms=3,
            label=label,
        )
    ax_acc.set(
        xlabel="epoch", ylabel="test accuracy (%)", title="[784, 30, 10]: accuracy per epoch"
    )
    ax_sat.set(xlabel="epoch", ylabel="saturated hidden units (%)", title="hidden units saturated")
    for ax in (ax_acc, ax_sat):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    fig.savefig(IMAGES / "seed_init_and_loss.png", dpi=100)
    return "seed_init_and_loss.png"


# ------------------------------------------------------------------ experiment 3
def epochs_to_solve(lr: float, init: str, loss: str, seed: int, cap: int) -> int | None:
    """Full-batch steps until [2, 3, 1] classifies all four XOR points right, or None."""
    X, y = nn.datasets.xor()
    net = nn.mlp([2, 3, 1], "sigmoid", loss, init=init, seed=seed)
    T = y.reshape(-1, 1).astype(np.float32)
    opt = nn.SGD(lr)
    for epoch in range(cap + 1):
        a = net.forward(X, training=True)
        if np.array_equal(a[:, 0] > 0.5, y == 1):
            return epoch
        net.backward(net.loss.gradient(a, T))
        opt.step(net.parameters())
    return None


XOR_LRS = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


def experiment_xor(seeds: int = 10, cap: int = 50_000) -> list[dict]:
    rows = []
    losses = ["squared_error"] + (["cross_entropy"] if available("loss", "cross_entropy") else [])
    for loss in losses:
        for init in ("normal", "scaled_normal"):
            for lr in XOR_LRS:
                epochs = [epochs_to_solve(lr, init, loss, s, cap) for s in range(seeds)]
                rows.append({"loss": loss, "init": init, "lr": lr, "epochs": epochs})
    return rows


def table_xor(rows: list[dict], seeds: int = 10, cap: int = 50_000) -> str:
    lines = [
        "| loss, init | " + " | ".join(f"eta = {lr:g}" for lr in XOR_LRS) + " |",
        "|---|" + "---|" * len(XOR_LRS),
    ]
    for loss, init in dict.fromkeys((r["loss"], r["init"]) for r in rows):
        cells = []
        for lr in XOR_LRS:
            e = next(
                r["epochs"] for r in rows if (r["loss"], r["init"], r["lr"]) == (loss, init, lr)
            )
            solved = [v for v in e if v is not None]
            med = f"{int(np.median(solved)):,}" if solved else "-"
            cells.append(f"{med} ({len(solved)}/{seeds})")
        lines.append(f"| {loss}, {INIT_NAMES[init]} | " + " | ".join(cells) + " |")
    failures = [i for r in rows for i, e in enumerate(r["epochs"]) if e is None]
    lines += [
        "",
        f"Each cell: the median number of epochs over the seeds that solved XOR within {cap:,} "
        "epochs, and how many of the seeds did.",
    ]
    if failures:
        worst = max(set(failures), key=failures.count)
        cells = sum(1 for r in rows if r["epochs"][worst] is None)
        lines[-1] += f" Seed {worst} fails in {cells} of the {len(rows)} cells."
    return "\n".join(lines)


# ------------------------------------------------------------------ the doctor
def doctor_output(argv: list[str]) -> str:
    """What `nn diagnose ARGS` prints, as a Markdown code block."""
    import contextlib
    import io

    from nn.cli import main as nn_main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        nn_main(["diagnose", *argv])
    return "```text\n$ nn diagnose " + " ".join(argv) + "\n" + buffer.getvalue().rstrip() + "\n```"


def findings_table() -> str:
    from nn.diagnostics.findings.rules import FINDINGS

    lines = ["| identifier | what it means |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in FINDINGS.items()]
    return "\n".join(lines)


# ------------------------------------------------------------------ the document
def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- questions:{name} -->).*?(<!-- /questions:{name} -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"docs/questions.md has no block <!-- questions:{name} -->")
    return pattern.sub(lambda m: m.group(1) + "\n" + body + "\n" + m.group(2), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write every number to this file")
    parser.add_argument(
        "--only",
        choices=["speed", "init", "xor", "doctor"],
        action="append",
        help="run only these experiments (default: all)",
    )
    args = parser.parse_args(argv)
    only = set(args.only or ["speed", "init", "xor", "doctor"])
    IMAGES.mkdir(parents=True, exist_ok=True)
    (X, y), (Xt, yt) = nn.datasets.digits()
    text = DOC.read_text()
    results: dict = {}
    start = time.perf_counter()
    if "speed" in only:
        t = time.perf_counter()
        results["speed"] = experiment_speed(X, y, Xt, yt)
        text = replace_block(text, "speed", table_speed(results["speed"]))
        figure_speed(results["speed"])
        print(f"speed: {time.perf_counter() - t:.0f} s", file=sys.stderr)
    if "init" in only:
        t = time.perf_counter()
        results["init"] = experiment_init(X, y, Xt, yt)
        text = replace_block(text, "init", table_init(results["init"]))
        figure_init(results["init"])
        print(f"init: {time.perf_counter() - t:.0f} s", file=sys.stderr)
    if "xor" in only:
        t = time.perf_counter()
        results["xor"] = experiment_xor()
        text = replace_block(text, "xor", table_xor(results["xor"]))
        print(f"xor: {time.perf_counter() - t:.0f} s", file=sys.stderr)
    if "doctor" in only:
        text = replace_block(text, "findings", findings_table())
        text = replace_block(text, "doctor-normal", doctor_output(["--init", "normal"]))
        text = replace_block(text, "doctor-deep", doctor_output(["--sizes", "784,30,30,30,30,10"]))
    DOC.write_text(text)
    print(f"docs/questions.md and docs/images/ rewritten in {time.perf_counter() - start:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
