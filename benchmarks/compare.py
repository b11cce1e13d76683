"""nn against PyTorch, scikit-learn and the matrix products alone, in one run, on Fashion-MNIST.

Usage::

    python benchmarks/compare.py                     # every configuration, 3 timed epochs each
    python benchmarks/compare.py --runs 3            # 3 separate runs, medians (the docs' table)
    python benchmarks/compare.py --configs b --epochs 5 --json out.json
    python benchmarks/compare.py --quick             # 10,000 examples, (a) and (b): a check

For each configuration of ``configs.py`` ((a) the seed's [784, 30, 10] sigmoid network with
squared error and mini-batches of 10; (b) [784, 256, 128, 10] and (c) [784, 1024, 1024, 10],
ReLU with softmax cross-entropy) it trains, by plain mini-batch SGD on the 60,000 float32
training images:

* **nn**: ``Network.fit``, one epoch per call, the way a user calls it (so with its default
  ``threads="auto"``: the thread policy of ``nn.train.threads``; the report says what it chose);
* **nn-1**: the same on one BLAS thread (``threads=1``);
* **pytorch**: the same shapes and optimizer in eager mode (``torch.optim.SGD``, a shuffled
  index per epoch, ``loss.item()`` per step as a training loop reports it), starting from the
  same weights as nn;
* **sklearn**: ``MLPClassifier(solver="sgd", momentum=0, alpha=0)`` one ``partial_fit`` per
  epoch, where it can express the configuration (it cannot do (a): its output layer is always
  softmax/log-loss);
* **numpy**: a plain-NumPy loop written for speed (``handwritten.py``: everything
  preallocated and in place, no layers, no checks), from the same weights; a test holds it to
  ``Network.train_step``. ``numpy/bound`` is how close straightforward NumPy code gets to the
  products here, ``nn/numpy`` what nn's structure costs on top;
* **bound**: the matrix products of a training step and nothing else: per mini-batch (a
  contiguous slice of the data, no shuffling), ``z = x @ W`` for every layer, then
  ``dW = x.T @ delta`` for every layer and ``dx = delta @ W.T`` for every layer but the first,
  all into preallocated arrays. No bias, activation, loss or update: a floor no
  implementation of the same step on the same BLAS can go under.

The two yardsticks, numpy and bound, run on ``--yardstick-threads`` BLAS threads (default 1,
so that ``nn-1/bound`` compares nn with its products on one core, and no yardstick stalls
when the machine is busy). Every contender has ``--time-limit`` seconds per configuration
(warm-up and epochs together): one that runs out is stopped and reported as over its limit,
with the epochs it finished, so the slowest contender cannot decide whether the run ends.

The contenders take turns epoch by epoch (the order rotates every round), so a slow spell
of a shared machine hits them alike; each figure is the median over the timed epochs. Other
processes on the machine still add noise: trust the ratios more than the seconds, and
``--runs 3`` for figures you quote. Each contender first trains, untimed, on 2,000 examples.

The header states the conditions (``conditions.py``): CPU model and AVX-512, cores, load
average at the start (and the report's last line at the end), the BLAS with its kernel and
default thread count (threadpoolctl), PyTorch's threads. No thread variable is set here: a
``OPENBLAS_NUM_THREADS`` in the environment would also make nn's auto policy stand aside.
Environments that set ``OPENBLAS_CORETYPE`` force an older kernel; run with ``env -u
OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`` to let OpenBLAS pick the machine's own (the header
says which kernel ran).

Prediction throughput (``net.predict`` against ``model(X)`` under ``torch.inference_mode``)
is timed on the 10,000 test images, and the peak memory of training (c) is measured in a
separate process by ``memory.py`` (see its docstring for the method).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

_THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from conditions import OverTime, conditions, describe, load_average, time_limit  # noqa: E402
from configs import CONFIGS, Config  # noqa: E402
from handwritten import HandwrittenLoop  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import nn  # noqa: E402
from nn.train.threads import ThreadPolicy  # noqa: E402

WARMUP = 2000  # examples trained on, untimed, before the timed epochs


# ------------------------------------------------------------------------------ contenders
class Contender:
    """One way of training a configuration: ``epoch()`` trains once over the data."""

    name = "?"

    def epoch(self) -> None:
        raise NotImplementedError

    def warmup(self) -> None:
        """Train briefly so that first-call costs (allocation, thread start) are not timed."""

    def accuracy(self) -> float | None:
        return None

    def predict(self) -> Callable[[], Any] | None:
        """A function that predicts the whole test set, or None."""
        return None


class NNContender(Contender):
    """``Network.fit`` with ``threads`` (``"auto"``: named nn; a number k: nn-k)."""

    def __init__(
        self, cfg: Config, data: dict[str, np.ndarray], seed: int, threads: str | int = "auto"
    ) -> None:
        self.cfg, self.data = cfg, data
        self.name = "nn" if threads == "auto" else f"nn-{threads}"
        self.net = build_nn(cfg, seed)
        self.rng = np.random.default_rng(seed)
        self.policy = ThreadPolicy(threads)  # what it chose in the last epoch: str(policy)

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        bs, lr = self.cfg.batch_size, self.cfg.lr
        self.net.fit(
            X, y, epochs=1, batch_size=bs, lr=lr, seed=self.rng, verbose=False,
            threads=self.policy,
        )  # fmt: skip

    def warmup(self) -> None:
        self._fit(self.data["X"][:WARMUP], self.data["y"][:WARMUP])

    def epoch(self) -> None:
        self._fit(self.data["X"], self.data["y"])

    def accuracy(self) -> float | None:
        return self.net.evaluate(self.data["X_test"], self.data["y_test"])["accuracy"]

    def predict(self) -> Callable[[], Any]:
        X_test = self.data["X_test"]
        return lambda: self.net.predict(X_test)


def build_nn(cfg: Config, seed: int) -> nn.Network:
    """The configuration as an ``nn`` network (raises ValueError if nn lacks a piece)."""
    return nn.mlp(cfg.sizes, cfg.activation, cfg.loss, seed=seed)


class TorchContender(Contender):
    name = "pytorch"

    def __init__(self, cfg: Config, data: dict[str, np.ndarray], seed: int, start: Any) -> None:
        import torch

        self.torch, self.cfg = torch, cfg
        torch.set_num_threads(_THREADS)
        torch.manual_seed(seed)
        self.gen = torch.Generator().manual_seed(seed)
        layers: list[Any] = []
        pairs = list(zip(cfg.sizes[:-1], cfg.sizes[1:]))
        for i, (n_in, n_out) in enumerate(pairs):
            layers.append(torch.nn.Linear(n_in, n_out))
            if cfg.activation == "sigmoid":
                layers.append(torch.nn.Sigmoid())
            elif i < len(pairs) - 1:  # ReLU between layers; logits out for cross-entropy
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        if start is not None:  # nn's initial weights, so both start from the same point
            linears = [m for m in self.model if isinstance(m, torch.nn.Linear)]
            with torch.no_grad():
                for lin, (W, b) in zip(linears, start):
                    lin.weight.copy_(torch.from_numpy(W.T))
                    lin.bias.copy_(torch.from_numpy(b))
        self.X = torch.from_numpy(data["X"])
        self.y = torch.from_numpy(data["y"])
        self.X_test = torch.from_numpy(data["X_test"])
        self.y_test = torch.from_numpy(data["y_test"])
        self.opt = torch.optim.SGD(self.model.parameters(), lr=cfg.lr)
        if cfg.loss == "squared_error":  # nn's C = (1/n) sum 1/2 ||a - y||^2, on one-hot targets
            self.targets = torch.nn.functional.one_hot(self.y, cfg.sizes[-1]).float()

            def loss_fn(out: Any, idx: Any) -> Any:
                diff = out - self.targets[idx]
                return 0.5 * (diff * diff).sum() / len(idx)

        else:
            ce = torch.nn.CrossEntropyLoss()

            def loss_fn(out: Any, idx: Any) -> Any:
                return ce(out, self.y[idx])

        self.loss_fn = loss_fn

    def _epoch(self, n: int) -> None:
        torch, bs = self.torch, self.cfg.batch_size
        order = torch.randperm(n, generator=self.gen)
        total = 0.0
        for i in range(0, n, bs):
            idx = order[i : i + bs]
            self.opt.zero_grad(set_to_none=True)
            loss = self.loss_fn(self.model(self.X[idx]), idx)
            loss.backward()
            self.opt.step()
            total += loss.item()

    def warmup(self) -> None:
        self._epoch(WARMUP)

    def epoch(self) -> None:
        self._epoch(len(self.X))

    def accuracy(self) -> float:
        with self.torch.inference_mode():
            pred = self.model(self.X_test).argmax(1)
        return float((pred == self.y_test).float().mean())

    def predict(self) -> Callable[[], Any]:
        def run() -> Any:
            with self.torch.inference_mode():
                return self.model(self.X_test)

        return run


class SklearnContender(Contender):
    name = "sklearn"

    def __init__(self, cfg: Config, data: dict[str, np.ndarray], seed: int) -> None:
        from sklearn.neural_network import MLPClassifier

        if cfg.loss != "softmax_cross_entropy" or cfg.activation != "relu":
            raise ValueError("MLPClassifier's output is always softmax with log-loss")
        self.data = data
        self.clf = MLPClassifier(
            hidden_layer_sizes=cfg.sizes[1:-1],
            activation="relu",
            solver="sgd",
            batch_size=cfg.batch_size,
            learning_rate_init=cfg.lr,
            momentum=0.0,
            nesterovs_momentum=False,
            alpha=0.0,
            shuffle=True,
            random_state=seed,
        )
        self.classes = np.arange(cfg.sizes[-1])

    def warmup(self) -> None:
        self.clf.partial_fit(self.data["X"][:WARMUP], self.data["y"][:WARMUP], classes=self.classes)

    def epoch(self) -> None:
        self.clf.partial_fit(self.data["X"], self.data["y"])

    def accuracy(self) -> float:
        return float(self.clf.score(self.data["X_test"], self.data["y_test"]))

    def predict(self) -> Callable[[], Any]:
        return lambda: self.clf.predict_proba(self.data["X_test"])


class NumpyContender(Contender):
    """The handwritten NumPy loop of ``handwritten.py``, from nn's starting weights."""

    name = "numpy"

    def __init__(
        self, cfg: Config, data: dict[str, np.ndarray], seed: int, start: list[Any], threads: int
    ) -> None:
        self.data, self.rng, self.threads = data, np.random.default_rng(seed), threads
        self.X = np.ascontiguousarray(data["X"], dtype=np.float32)
        self.T = np.eye(cfg.sizes[-1], dtype=np.float32)[data["y"]]
        weights, biases = zip(*start)
        self.loop = HandwrittenLoop(
            weights, biases, cfg.activation, cfg.loss, cfg.batch_size, cfg.lr
        )

    def _epoch(self, n: int) -> None:
        with threadpool_limits(limits=self.threads, user_api="blas"):
            self.loop.epoch(self.X, self.T, self.data["y"], self.rng.permutation(n))

    def warmup(self) -> None:
        self._epoch(WARMUP)

    def epoch(self) -> None:
        self._epoch(len(self.X))

    def accuracy(self) -> float:
        pred = self.loop.predict(self.data["X_test"]).argmax(axis=1)
        return float(np.mean(pred == self.data["y_test"]))


class BoundContender(Contender):
    """The matrix products of every training step, into preallocated arrays, nothing else."""

    name = "bound"

    def __init__(self, cfg: Config, data: dict[str, np.ndarray], seed: int, threads: int) -> None:
        rng = np.random.default_rng(seed)
        self.X, bs, self.threads = data["X"], cfg.batch_size, threads
        pairs = list(zip(cfg.sizes[:-1], cfg.sizes[1:]))
        # N(0, 1/n_in) weights keep the values O(1): no inf/NaN, no denormals to slow BLAS
        self.W = [(rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32) for i, o in pairs]
        self.z = [np.empty((bs, o), np.float32) for _, o in pairs]  # forward outputs
        self.dx = [np.empty((bs, i), np.float32) for i, _ in pairs]  # backward outputs
        self.dW = [np.empty_like(W) for W in self.W]
        self.bs = bs

    def _epoch(self, n: int) -> None:
        with threadpool_limits(limits=self.threads, user_api="blas"):
            self._products(n)

    def _products(self, n: int) -> None:
        X, W, z, dx, dW = self.X, self.W, self.z, self.dx, self.dW
        for i in range(0, n, self.bs):
            x = X[i : i + self.bs]
            m = len(x)
            ins = [x]
            for k, Wk in enumerate(W):  # forward: z = x @ W
                np.matmul(ins[-1], Wk, out=z[k][:m])
                ins.append(z[k][:m])
            delta = z[-1][:m]  # stands in for dC/dz of the output layer
            for k in range(len(W) - 1, -1, -1):  # backward: dW = x.T delta, dx = delta W.T
                np.matmul(ins[k].T, delta, out=dW[k])
                if k > 0:
                    np.matmul(delta, W[k].T, out=dx[k][:m])
                    delta = dx[k][:m]

    def warmup(self) -> None:
        self._epoch(WARMUP)

    def epoch(self) -> None:
        self._epoch(len(self.X))


# ------------------------------------------------------------------------------ running
CONTENDERS = ("nn", "nn-1", "pytorch", "sklearn", "numpy", "bound")


def median_time(fn: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_contenders(
    cfg: Config, data: dict[str, np.ndarray], names: list[str], args: argparse.Namespace
) -> tuple[list[Contender], list[str]]:
    """The contenders ``names`` of a configuration that can run here, and notes on the rest.

    ``nn`` is ``Network.fit`` as a user calls it (``threads="auto"``), ``nn-K`` the same on K
    BLAS threads; every contender starts from nn's initial weights.
    """
    contenders: list[Contender] = []
    notes: list[str] = []
    try:
        dense = [layer for layer in build_nn(cfg, args.seed).layers if hasattr(layer, "W")]
        start = [(layer.W.copy(), layer.b.copy()) for layer in dense]
    except ValueError as err:
        return [], [f"nn cannot build this configuration: {err}"]
    for name in names:
        try:
            if name == "nn" or name.startswith("nn-"):
                threads = "auto" if name == "nn" else int(name[3:])
                contenders.append(NNContender(cfg, data, args.seed, threads))
            elif name == "pytorch":
                contenders.append(TorchContender(cfg, data, args.seed, start))
            elif name == "sklearn":
                contenders.append(SklearnContender(cfg, data, args.seed))
            elif name == "numpy":
                t = args.yardstick_threads
                contenders.append(NumpyContender(cfg, data, args.seed, start, t))
            elif name == "bound":
                contenders.append(BoundContender(cfg, data, args.seed, args.yardstick_threads))
            else:
                notes.append(f"{name} skipped: no such contender")
        except ImportError:
            package = {"pytorch": "torch", "sklearn": "scikit-learn"}.get(name, name)
            notes.append(f"{name} skipped: not installed (pip install {package})")
        except ValueError as err:
            notes.append(f"{name} skipped: {err}")
    return contenders, notes


class Budget:
    """Each contender's seconds left of ``limit`` for one configuration."""

    def __init__(self, contenders: list[Contender], limit: float) -> None:
        self.limit = limit
        self.left = {c.name: limit for c in contenders}
        self.over: dict[str, str] = {}  # name -> what it was doing when time ran out

    def run(self, c: Contender, fn: Callable[[], Any], doing: str) -> float | None:
        """Seconds ``fn()`` took, or None if ``c`` ran out of time (then it is out)."""
        start = time.perf_counter()
        try:
            with time_limit(self.left[c.name]):
                fn()
        except OverTime:
            self.over[c.name] = doing
            return None
        seconds = time.perf_counter() - start
        self.left[c.name] -= seconds
        return seconds


def run_config(
    cfg: Config, data: dict[str, np.ndarray], args: argparse.Namespace
) -> dict[str, Any]:
    """Time every contender of ``cfg``, interleaved epoch by epoch, each within its limit."""
    contenders, notes = make_contenders(cfg, data, args.contenders, args)
    budget = Budget(contenders, args.time_limit)
    for c in contenders:
        budget.run(c, c.warmup, "warming up")
    times: dict[str, list[float]] = {c.name: [] for c in contenders}
    for r in range(args.epochs):
        alive = [c for c in contenders if c.name not in budget.over]
        k = r % max(1, len(alive))  # rotate who goes first
        for c in alive[k:] + alive[:k]:
            seconds = budget.run(c, c.epoch, f"epoch {len(times[c.name]) + 1}")
            if seconds is not None:
                times[c.name].append(seconds)
    result: dict[str, Any] = {"config": cfg.name, "describe": cfg.describe(), "notes": notes}
    rows = {c.name: row(c, times[c.name], budget, len(data["X"])) for c in contenders}
    predict_throughput(contenders, rows, budget, data, args.predict_reps)
    result["rows"] = rows
    result["ratios"] = ratios(rows)
    return result


def row(c: Contender, times: list[float], budget: Budget, n: int) -> dict[str, Any]:
    """A contender's figures: median and best epoch, or how far it got within its limit."""
    out: dict[str, Any] = {"epoch_times": times, "seconds_per_epoch": None, "best_seconds": None}
    if c.name in budget.over:
        out["over_time_limit"] = f"over its {budget.limit:g} s limit while {budget.over[c.name]}"
    elif times:
        sec = statistics.median(times)
        out.update(seconds_per_epoch=sec, best_seconds=min(times), samples_per_second=n / sec)
        out["test_accuracy"] = c.accuracy()
    if isinstance(c, NNContender):
        out["threads"] = str(c.policy)  # what the thread policy chose in the last epoch
    return out


def predict_throughput(
    contenders: list[Contender],
    rows: dict[str, dict[str, Any]],
    budget: Budget,
    data: dict[str, np.ndarray],
    reps: int,
) -> None:
    """Samples per second of predicting the test set, interleaved, into ``rows``."""
    predictors = {c: c.predict() for c in contenders if c.name not in budget.over and reps}
    predictors = {c: f for c, f in predictors.items() if f is not None}
    pred_times: dict[str, list[float]] = {c.name: [] for c in predictors}
    for c, f in predictors.items():
        budget.run(c, f, "predicting")
    for _ in range(reps):
        for c, f in predictors.items():
            if c.name not in budget.over:
                seconds = budget.run(c, f, "predicting")
                if seconds is not None:
                    pred_times[c.name].append(seconds)
    for name, ts in pred_times.items():
        if ts and name not in budget.over:
            rows[name]["predict_samples_per_second"] = len(data["X_test"]) / statistics.median(ts)


def ratios(rows: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Speed-up of nn over PyTorch and sklearn; nn's (and nn-1's) time over the bound's and
    the numpy loop's; the numpy loop's over the bound's; nn's prediction throughput over
    PyTorch's. Contenders without a time (over their limit) give no ratio."""
    sec = {k: r["seconds_per_epoch"] for k, r in rows.items() if r["seconds_per_epoch"]}
    best = {k: r["best_seconds"] for k, r in rows.items() if r["best_seconds"]}
    pairs = [
        ("pytorch", "nn"), ("sklearn", "nn"), ("nn", "bound"), ("nn-1", "bound"),
        ("nn", "numpy"), ("numpy", "bound"), ("nn", "nn-1"),
    ]  # fmt: skip
    out = {f"{a}/{b}": sec[a] / sec[b] for a, b in pairs if a in sec and b in sec}
    # the same from each contender's fastest epoch: less hit by other processes' bursts
    for a, b in (("pytorch", "nn"), ("nn", "bound"), ("nn-1", "bound"), ("numpy", "bound")):
        if a in best and b in best:
            out[f"best: {a}/{b}"] = best[a] / best[b]
    pred = {k: r.get("predict_samples_per_second") for k, r in rows.items()}
    if pred.get("nn") and pred.get("pytorch"):
        out["predict nn/pytorch"] = pred["nn"] / pred["pytorch"]
    return out


def run_memory(config: str) -> dict[str, Any] | None:
    """Peak RSS of training ``config``, measured by memory.py in a fresh process."""
    cmd = [sys.executable, os.path.join(HERE, "memory.py"), "--config", config]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"memory measurement failed:\n{proc.stderr.strip()[-800:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ output
def _num(x: float | None, fmt: str, width: int) -> str:
    return f"{'' if x is None else format(x, fmt):>{width}}"


def format_config(res: dict[str, Any]) -> list[str]:
    """The table of one configuration: a row per contender, the ratios, the notes."""
    lines = ["", res["describe"]]
    lines.append(
        f"  {'':8} {'s/epoch':>9} {'best':>7} {'samples/s':>11} {'test acc':>9} {'predict/s':>11}"
    )
    for name, r in res["rows"].items():
        if r["seconds_per_epoch"] is None:
            done = len(r["epoch_times"])
            why = r.get("over_time_limit", "no epoch timed")
            lines.append(f"  {name:8} {why}, after {done} epoch{'s' if done != 1 else ''}")
            continue
        lines.append(
            f"  {name:8} {r['seconds_per_epoch']:9.3f} {r['best_seconds']:7.3f} "
            f"{_num(r.get('samples_per_second'), ',.0f', 11)} "
            f"{_num(r.get('test_accuracy'), '.4f', 9)} "
            f"{_num(r.get('predict_samples_per_second'), ',.0f', 11)}"
        )
    main = {k: v for k, v in res["ratios"].items() if not k.startswith("best")}
    best = {k[6:]: v for k, v in res["ratios"].items() if k.startswith("best")}
    if main:
        lines.append("  " + ", ".join(f"{k} = {v:.2f}" for k, v in main.items()))
    if best:
        lines.append(
            "  (from the best epochs: " + ", ".join(f"{k} = {v:.2f}" for k, v in best.items()) + ")"
        )
    for name, r in res["rows"].items():
        if "threads" in r:
            lines.append(f"  {name}: {r['threads']}")
    lines += [f"  note: {note}" for note in res["notes"]]
    return lines


def format_report(results: dict[str, Any], title: str) -> str:
    lines = [title]
    for res in results["configs"]:
        lines += format_config(res)
    mem = results.get("memory")
    if mem:
        lines.append("")
        lines.append(
            f"memory, ({mem['config']}) one epoch: peak {mem['train_peak_mb']:.0f} MB, baseline "
            f"{mem['baseline_mb']:.0f} MB, extra {mem['extra_mb']:.0f} MB = {mem['ratio']:.2f} x "
            f"(training set {mem['train_set_mb']:.0f} MB + parameters {mem['params_mb']:.1f} MB); "
            f"peak covers {mem['peak_covers']}; loading peaked at {mem['load_peak_mb']:.0f} MB"
        )
    if "load_end" in results:
        lines.append(f"\nload average at the end {results['load_end']}")
    return "\n".join(lines)


def _median(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def median_results(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-figure medians over separate runs (ratios: the median of each run's ratio); a
    figure missing from a run (a contender over its limit) is left out of its median."""
    out = {"header": runs[0]["header"], "conditions": runs[0].get("conditions"), "configs": []}
    out["runs"], out["load_end"] = len(runs), runs[-1].get("load_end")
    for i, first in enumerate(runs[0]["configs"]):
        per_run = [r["configs"][i] for r in runs]
        rows: dict[str, Any] = {}
        for name, first_row in first["rows"].items():
            got = [r["rows"].get(name, {}) for r in per_run]
            rows[name] = {"epoch_times": [t for g in got for t in g.get("epoch_times", [])]}
            keys = set().union(*(g.keys() for g in got))
            for key in keys - {"epoch_times", "threads", "over_time_limit"}:
                rows[name][key] = _median([g.get(key) for g in got])
            overs = [g["over_time_limit"] for g in got if "over_time_limit" in g]
            if overs:
                rows[name]["over_time_limit"] = f"{overs[0]} (in {len(overs)} of {len(runs)} runs)"
            if "threads" in first_row:
                rows[name]["threads"] = " | ".join(g.get("threads", "?") for g in got)
        keys = list(dict.fromkeys(k for r in per_run for k in r["ratios"]))  # in order
        out["configs"].append(
            {
                "config": first["config"],
                "describe": first["describe"],
                "notes": first["notes"],
                "rows": rows,
                "ratios": {k: _median([r["ratios"].get(k) for r in per_run]) for k in keys},
                "ratios_per_run": {k: [r["ratios"].get(k) for r in per_run] for k in keys},
            }
        )
    mems = [r["memory"] for r in runs if r.get("memory")]
    if mems:
        out["memory"] = dict(mems[0])
        for key in ("baseline_mb", "train_peak_mb", "extra_mb", "ratio", "load_peak_mb"):
            out["memory"][key] = statistics.median(m[key] for m in mems)
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="a,b,c", help="comma-separated, from a, b, c")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per contender")
    parser.add_argument("--n", type=int, default=None, help="training examples (default all)")
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDERS),
        help="comma-separated, from nn (auto threads), nn-K (K BLAS threads), pytorch, "
        "sklearn, numpy, bound (default: %(default)s)",
    )
    parser.add_argument("--skip", default="", help="contenders to leave out, e.g. sklearn")
    parser.add_argument(
        "--yardstick-threads",
        type=int,
        default=1,
        help="BLAS threads of the numpy and bound yardsticks (default 1)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="seconds per contender and configuration, warm-up, epochs and predictions "
        "together; past it the contender is stopped and reported as over (default 60)",
    )
    parser.add_argument("--predict-reps", type=int, default=7)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    parser.add_argument("--runs", type=int, default=1, help="separate runs; report medians")
    parser.add_argument(
        "--quick", action="store_true", help="a check, not figures: --n 10000 --configs a,b"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.configs = args.n or 10_000, "a,b" if args.configs == "a,b,c" else args.configs
    skip = {s for s in args.skip.split(",") if s}
    args.contenders = [c for c in args.contenders.split(",") if c and c not in skip]
    args.names = [c for c in args.configs.split(",") if c]
    for c in args.names:
        if c not in CONFIGS:
            parser.error(f"unknown configuration {c!r}; choose from {', '.join(CONFIGS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.runs > 1:
        runs = []
        child = list(argv if argv is not None else sys.argv[1:])
        for k in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "run.json")
                cmd = [sys.executable, os.path.abspath(__file__), *_without_runs(child)]
                cmd += ["--json", path]
                print(f"run {k + 1}/{args.runs} ...", file=sys.stderr, flush=True)
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
                with open(path) as f:
                    runs.append(json.load(f))
        results = median_results(runs)
        title = f"{results['header']}\nmedians of {args.runs} runs"
    else:
        data = load_data(args.n)
        for module in ("torch", "sklearn"):  # loaded first, so the header names them
            try:
                __import__(module)
            except ImportError:
                pass
        results = {"conditions": conditions(), "configs": []}
        results["header"] = header(args, results["conditions"])
        for c in args.names:
            results["configs"].append(run_config(CONFIGS[c], data, args))
            print(f"({c}) done", file=sys.stderr, flush=True)
        if "c" in args.names and not args.no_memory and "nn" in args.contenders:
            results["memory"] = run_memory("c")
        results["load_end"] = load_average()
        title = results["header"]
    print(format_report(results, title))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


def _without_runs(argv: list[str]) -> list[str]:
    out, skip_next = [], False
    for a in argv:
        if skip_next:
            skip_next = False
        elif a == "--runs":
            skip_next = True
        elif a.startswith("--runs=") or a == "--json" or a.startswith("--json="):
            skip_next = a == "--json"
        else:
            out.append(a)
    return out


def header(args: argparse.Namespace, cond: dict[str, Any]) -> str:
    torch_threads = ""
    if "torch" in sys.modules:
        torch_threads = f"; PyTorch on {sys.modules['torch'].get_num_threads()} threads"
    n = f"{args.n:,}" if args.n else "all 60,000"
    return (
        f"compare.py: Fashion-MNIST ({n} training images), float32, {args.epochs} timed "
        f"epochs per contender (median), limit {args.time_limit:g} s per contender\n"
        f"{describe(cond)}\n"
        f"numpy and bound on {args.yardstick_threads} BLAS thread(s){torch_threads}"
    )


def load_data(n: int | None) -> dict[str, np.ndarray]:
    (X, y), (X_test, y_test) = nn.datasets.fashion_mnist()
    if n is not None:
        X, y = X[:n], y[:n]
    return {"X": X, "y": y, "X_test": X_test, "y_test": y_test}


if __name__ == "__main__":
    raise SystemExit(main())
