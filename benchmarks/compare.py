"""nn against PyTorch, scikit-learn and the matrix products alone, in one run, on Fashion-MNIST.

Usage::

    python benchmarks/compare.py                     # every configuration, 3 timed epochs each
    python benchmarks/compare.py --runs 3            # 3 separate runs, medians (the docs' table)
    python benchmarks/compare.py --configs b --epochs 5 --json out.json

For each configuration of ``configs.py`` ((a) the seed's [784, 30, 10] sigmoid network with
squared error and mini-batches of 10; (b) [784, 256, 128, 10] and (c) [784, 1024, 1024, 10],
ReLU with softmax cross-entropy) it trains, by plain mini-batch SGD on the 60,000 float32
training images:

* **nn**: ``Network.fit``, one epoch per call, the way a user calls it;
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

The contenders take turns epoch by epoch (the order rotates every round), so a slow spell
of a shared machine hits them alike; each figure is the median over the timed epochs. Other
processes on the machine still add noise: trust the ratios more than the seconds, and
``--runs 3`` for figures you quote. Each contender first trains, untimed, on 2,000 examples.

The BLAS is limited to the machine's cores (``OMP_NUM_THREADS`` and friends, set before
NumPy loads, and ``torch.set_num_threads``); the header says which OpenBLAS kernel runs (via
threadpoolctl, if installed). Environments that set ``OPENBLAS_CORETYPE`` force an older
kernel; run with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`` to let OpenBLAS pick the
machine's own, and say which you used.

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
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, str(_THREADS))

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from configs import CONFIGS, Config  # noqa: E402
from handwritten import HandwrittenLoop  # noqa: E402

import nn  # noqa: E402

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
    name = "nn"

    def __init__(self, cfg: Config, data: dict[str, np.ndarray], seed: int) -> None:
        self.cfg, self.data = cfg, data
        self.net = build_nn(cfg, seed)
        self.rng = np.random.default_rng(seed)

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        bs, lr = self.cfg.batch_size, self.cfg.lr
        self.net.fit(X, y, epochs=1, batch_size=bs, lr=lr, seed=self.rng, verbose=False)

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
        self, cfg: Config, data: dict[str, np.ndarray], seed: int, start: list[Any]
    ) -> None:
        self.data, self.rng = data, np.random.default_rng(seed)
        self.X = np.ascontiguousarray(data["X"], dtype=np.float32)
        self.T = np.eye(cfg.sizes[-1], dtype=np.float32)[data["y"]]
        weights, biases = zip(*start)
        self.loop = HandwrittenLoop(
            weights, biases, cfg.activation, cfg.loss, cfg.batch_size, cfg.lr
        )

    def _epoch(self, n: int) -> None:
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

    def __init__(self, cfg: Config, data: dict[str, np.ndarray], seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.X, bs = data["X"], cfg.batch_size
        pairs = list(zip(cfg.sizes[:-1], cfg.sizes[1:]))
        # N(0, 1/n_in) weights keep the values O(1): no inf/NaN, no denormals to slow BLAS
        self.W = [(rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32) for i, o in pairs]
        self.z = [np.empty((bs, o), np.float32) for _, o in pairs]  # forward outputs
        self.dx = [np.empty((bs, i), np.float32) for i, _ in pairs]  # backward outputs
        self.dW = [np.empty_like(W) for W in self.W]
        self.bs = bs

    def _epoch(self, n: int) -> None:
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
def blas_info() -> str:
    """Which BLAS and kernel NumPy uses, with how many threads."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return f"threadpoolctl not installed; OMP/OPENBLAS_NUM_THREADS={_THREADS}"
    parts = []
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            parts.append(
                f"{info.get('internal_api')} {info.get('version')} "
                f"kernel {info.get('architecture')}, {info.get('num_threads')} threads"
            )
    return "; ".join(parts) or "no BLAS found by threadpoolctl"


def median_time(fn: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_contenders(
    cfg: Config, data: dict[str, np.ndarray], skip: set[str], seed: int
) -> tuple[list[Contender], list[str]]:
    """Every contender of a configuration that can run here, and notes on those that cannot."""
    contenders: list[Contender] = []
    notes: list[str] = []
    start = None
    if "nn" not in skip:
        try:
            c = NNContender(cfg, data, seed)
            contenders.append(c)
            dense = [layer for layer in c.net.layers if hasattr(layer, "W")]
            start = [(layer.W.copy(), layer.b.copy()) for layer in dense]
        except ValueError as err:
            notes.append(f"nn skipped: {err}")
    if "pytorch" not in skip:
        try:
            contenders.append(TorchContender(cfg, data, seed, start))
        except ImportError:
            notes.append("pytorch skipped: not installed (pip install torch)")
    if "sklearn" not in skip:
        try:
            contenders.append(SklearnContender(cfg, data, seed))
        except ImportError:
            notes.append("sklearn skipped: not installed (pip install scikit-learn)")
        except ValueError as err:
            notes.append(f"sklearn skipped: {err}")
    if "numpy" not in skip and start is not None:
        contenders.append(NumpyContender(cfg, data, seed, start))
    if "bound" not in skip:
        contenders.append(BoundContender(cfg, data, seed))
    return contenders, notes


def run_config(
    cfg: Config, data: dict[str, np.ndarray], args: argparse.Namespace
) -> dict[str, Any]:
    """Time every contender of ``cfg``, interleaved epoch by epoch."""
    contenders, notes = make_contenders(cfg, data, set(args.skip), args.seed)
    for c in contenders:
        c.warmup()
    times: dict[str, list[float]] = {c.name: [] for c in contenders}
    for r in range(args.epochs):
        k = r % len(contenders)  # rotate who goes first
        for c in contenders[k:] + contenders[:k]:
            start = time.perf_counter()
            c.epoch()
            times[c.name].append(time.perf_counter() - start)
    n = len(data["X"])
    result: dict[str, Any] = {"config": cfg.name, "describe": cfg.describe(), "notes": notes}
    rows = {}
    for c in contenders:
        sec = statistics.median(times[c.name])
        rows[c.name] = {
            "seconds_per_epoch": sec,
            "best_seconds": min(times[c.name]),
            "epoch_times": times[c.name],
            "samples_per_second": n / sec,
            "test_accuracy": c.accuracy(),
        }
    # prediction throughput, interleaved too
    predictors = {c.name: c.predict() for c in contenders}
    predictors = {k: f for k, f in predictors.items() if f is not None}
    pred_times: dict[str, list[float]] = {k: [] for k in predictors}
    for f in predictors.values():
        f()
    for _ in range(args.predict_reps):
        for k, f in predictors.items():
            pred_times[k].append(median_time(f, 1))
    for k in predictors:
        rows[k]["predict_samples_per_second"] = len(data["X_test"]) / statistics.median(
            pred_times[k]
        )
    result["rows"] = rows
    result["ratios"] = ratios(rows)
    return result


def ratios(rows: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Speed-up of nn over PyTorch and sklearn; nn's time over the bound's and the numpy
    loop's; the numpy loop's over the bound's; nn's prediction throughput over PyTorch's."""
    out: dict[str, float] = {}
    if "nn" not in rows:
        return out
    t = rows["nn"]["seconds_per_epoch"]
    for peer in ("pytorch", "sklearn"):
        if peer in rows:
            out[f"{peer}/nn"] = rows[peer]["seconds_per_epoch"] / t
    if "bound" in rows:
        out["nn/bound"] = t / rows["bound"]["seconds_per_epoch"]
    if "numpy" in rows:
        out["nn/numpy"] = t / rows["numpy"]["seconds_per_epoch"]
        if "bound" in rows:
            out["numpy/bound"] = (
                rows["numpy"]["seconds_per_epoch"] / rows["bound"]["seconds_per_epoch"]
            )
    # the same from each contender's fastest epoch: less hit by other processes' bursts
    best = rows["nn"]["best_seconds"]
    if "pytorch" in rows:
        out["best: pytorch/nn"] = rows["pytorch"]["best_seconds"] / best
    if "bound" in rows:
        out["best: nn/bound"] = best / rows["bound"]["best_seconds"]
    if "numpy" in rows and "bound" in rows:
        out["best: numpy/bound"] = rows["numpy"]["best_seconds"] / rows["bound"]["best_seconds"]
    if "pytorch" in rows and "predict_samples_per_second" in rows["pytorch"]:
        out["predict nn/pytorch"] = (
            rows["nn"]["predict_samples_per_second"] / rows["pytorch"]["predict_samples_per_second"]
        )
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
def format_report(results: dict[str, Any], title: str) -> str:
    lines = [title]
    for res in results["configs"]:
        lines.append("")
        lines.append(res["describe"])
        lines.append(
            f"  {'':8} {'s/epoch':>9} {'best':>7} {'samples/s':>11} {'test acc':>9} "
            f"{'predict/s':>11}"
        )
        for name, row in res["rows"].items():
            acc = row["test_accuracy"]
            pred = row.get("predict_samples_per_second")
            lines.append(
                f"  {name:8} {row['seconds_per_epoch']:9.3f} {row['best_seconds']:7.3f} "
                f"{row['samples_per_second']:11,.0f} "
                f"{'' if acc is None else f'{acc:9.4f}':>9} "
                f"{'' if pred is None else f'{pred:11,.0f}':>11}"
            )
        main = {k: v for k, v in res["ratios"].items() if not k.startswith("best")}
        best = {k[6:]: v for k, v in res["ratios"].items() if k.startswith("best")}
        if main:
            lines.append("  " + ", ".join(f"{k} = {v:.2f}" for k, v in main.items()))
        if best:
            lines.append(
                "  (from the best epochs: "
                + ", ".join(f"{k} = {v:.2f}" for k, v in best.items())
                + ")"
            )
        for note in res["notes"]:
            lines.append(f"  note: {note}")
    mem = results.get("memory")
    if mem:
        lines.append("")
        lines.append(
            f"memory, ({mem['config']}) one epoch: peak {mem['train_peak_mb']:.0f} MB, baseline "
            f"{mem['baseline_mb']:.0f} MB, extra {mem['extra_mb']:.0f} MB = {mem['ratio']:.2f} x "
            f"(training set {mem['train_set_mb']:.0f} MB + parameters {mem['params_mb']:.1f} MB); "
            f"peak covers {mem['peak_covers']}; loading peaked at {mem['load_peak_mb']:.0f} MB"
        )
    return "\n".join(lines)


def median_results(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-figure medians over separate runs (ratios: the median of each run's ratio)."""
    out = {"header": runs[0]["header"], "configs": [], "runs": len(runs)}
    for i, first in enumerate(runs[0]["configs"]):
        per_run = [r["configs"][i] for r in runs]
        rows: dict[str, Any] = {}
        for name in first["rows"]:
            rows[name] = {}
            for key, value in first["rows"][name].items():
                if key == "epoch_times":
                    rows[name][key] = [t for r in per_run for t in r["rows"][name][key]]
                elif value is not None:
                    rows[name][key] = statistics.median(r["rows"][name][key] for r in per_run)
                else:
                    rows[name][key] = None
        ratio_keys = first["ratios"]
        out["configs"].append(
            {
                "config": first["config"],
                "describe": first["describe"],
                "notes": first["notes"],
                "rows": rows,
                "ratios": {
                    k: statistics.median(r["ratios"][k] for r in per_run) for k in ratio_keys
                },
                "ratios_per_run": {k: [r["ratios"][k] for r in per_run] for k in ratio_keys},
            }
        )
    mems = [r["memory"] for r in runs if r.get("memory")]
    if mems:
        out["memory"] = dict(mems[0])
        for key in ("baseline_mb", "train_peak_mb", "extra_mb", "ratio", "load_peak_mb"):
            out["memory"][key] = statistics.median(m[key] for m in mems)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="a,b,c", help="comma-separated, from a, b, c")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per contender")
    parser.add_argument("--n", type=int, default=None, help="training examples (default all)")
    parser.add_argument("--skip", default="", help="contenders to leave out, e.g. sklearn")
    parser.add_argument("--predict-reps", type=int, default=7)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    parser.add_argument("--runs", type=int, default=1, help="separate runs; report medians")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    args.skip = [s for s in args.skip.split(",") if s]
    names = [c for c in args.configs.split(",") if c]
    for c in names:
        if c not in CONFIGS:
            parser.error(f"unknown configuration {c!r}; choose from {', '.join(CONFIGS)}")

    if args.runs > 1:
        runs = []
        child = [a for a in (argv if argv is not None else sys.argv[1:])]
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
        results = {"header": header(args), "configs": []}
        data = load_data(args.n)
        for c in names:
            results["configs"].append(run_config(CONFIGS[c], data, args))
            print(f"({c}) done", file=sys.stderr, flush=True)
        if "c" in names and not args.no_memory and "nn" not in args.skip:
            results["memory"] = run_memory("c")
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


def header(args: argparse.Namespace) -> str:
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    versions = [f"numpy {np.__version__}"]
    try:
        import torch

        versions.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    except ImportError:
        pass
    try:
        import sklearn

        versions.append(f"scikit-learn {sklearn.__version__}")
    except ImportError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"compare.py: Fashion-MNIST, float32, {args.epochs} timed epochs per contender "
        f"(median), {_THREADS} cores\n"
        f"{', '.join(versions)}\nBLAS: {blas_info()}; "
        f"{'env ' + str(env) if env else 'OPENBLAS_CORETYPE unset'}\n"
        f"load average at start {load} (other processes share the machine)"
    )


def load_data(n: int | None) -> dict[str, np.ndarray]:
    (X, y), (X_test, y_test) = nn.datasets.fashion_mnist()
    if n is not None:
        X, y = X[:n], y[:n]
    return {"X": X, "y": y, "X_test": X_test, "y_test": y_test}


if __name__ == "__main__":
    raise SystemExit(main())
