"""nn's recurrent layers against PyTorch's fused nn.RNN / nn.LSTM / nn.GRU, one training step.

Usage::

    python benchmarks/recurrent_speed.py                   # threads 1 and 2, every cell and batch
    python benchmarks/recurrent_speed.py --threads 1 --cells lstm --batches 32
    python benchmarks/recurrent_speed.py --json docs/data/recurrent_speed.json

The model is the character model of docs/recurrent.md at benchmark size: an embedding of 65
tokens into 64 numbers, a recurrent layer of 128 units, a dense layer back to 65 logits at every
step, softmax cross-entropy averaged over the steps, plain SGD; sequences of 25 steps, float32,
mini-batches of 1 and of 32. One *training step* is a forward pass, the loss, the backward
pass through time and the update:

* **nn**: ``Network.train_step`` on ``[Embedding, RNN/LSTM/GRU, TimeDense]`` with
  ``SequenceCrossEntropy``;
* **torch**: ``nn.Embedding``, ``nn.RNN(tanh)/nn.LSTM/nn.GRU(batch_first=True)``, ``nn.Linear``,
  ``F.cross_entropy``, ``torch.optim.SGD``, eager mode (PyTorch's CPU kernels for these layers
  are its fused ones: one ATen op per layer and direction, gates in one product);
* **products**: the plain matrix products of a fused step and nothing else, on preallocated
  arrays (the input projection, one ``(batch, H) @ (H, G * H)`` per step, the output layer; in
  backward one product per step through ``Wh^T`` and the weight gradients, the embedding's
  one-hot product): what an implementation that fuses the gates costs on the same BLAS before
  any elementwise work. (nn's own products are the same multiplications, cut gate by gate and
  in column blocks, which OpenBLAS runs faster: see :mod:`nn.functional.recurrent_fast_shared`.)

Each thread count runs in its own process, with ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``
and ``MKL_NUM_THREADS`` set before NumPy loads and ``torch.set_num_threads`` to the same
number. With one thread the three contenders are timed in turn in that process (round robin,
median of the samples: :func:`nn.bench.timing.time_routes`), so load from other jobs hits
them alike. With more, each contender gets a process of its own, one after the other: after
a call, a library's idle threads keep spinning for a while (OpenBLAS's and libgomp's), and in a
shared process they take the cores from the other library's threads (PyTorch's LSTM step at
batch 32 measured 8 to 100 ms that way on 2 cores, against 4.1 ms alone). On a shared machine
trust the ratios more than the milliseconds. The header prints the load average
(``os.getloadavg``) before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

V, E, H, T = 65, 64, 128, 25
CELLS = ("rnn", "lstm", "gru")
BATCHES = (1, 32)


# ------------------------------------------------------------------------------ contenders
def nn_step(cell: str, batch: int, seed: int = 0):
    """nn's training step on a fixed random batch, as a call with no arguments."""
    import numpy as np

    import nn
    from nn.layers.embedding import Embedding
    from nn.layers.recurrent import GRU, LSTM, RNN
    from nn.layers.time_dense import TimeDense
    from nn.losses_sequence import SequenceCrossEntropy

    rng = np.random.default_rng(seed)
    layer = {"rnn": RNN, "lstm": LSTM, "gru": GRU}[cell]
    net = nn.Network(
        [Embedding(V, E, rng=rng), layer(E, H, rng=rng), TimeDense(H, V, rng=rng)],
        SequenceCrossEntropy(),
    )
    X = rng.integers(0, V, (batch, T)).astype(np.float32)
    Y = np.eye(V, dtype=np.float32)[rng.integers(0, V, (batch, T))]
    opt = nn.SGD(0.01)
    return lambda: net.train_step(X, Y, opt)


def torch_step(cell: str, batch: int, seed: int = 0):
    """PyTorch's training step on a fixed random batch."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    rnn = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    model = torch.nn.ModuleList(
        [torch.nn.Embedding(V, E), rnn(E, H, batch_first=True), torch.nn.Linear(H, V)]
    )
    emb, rec, lin = model
    x = torch.randint(0, V, (batch, T))
    y = torch.randint(0, V, (batch, T))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        out, _ = rec(emb(x))
        loss = F.cross_entropy(lin(out).reshape(-1, V), y.reshape(-1))
        loss.backward()
        opt.step()
        return loss.item()

    return step


def products_step(cell: str, batch: int, seed: int = 0):
    """The plain matrix products of a fused training step, into preallocated arrays."""
    import numpy as np

    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    rng = np.random.default_rng(seed)
    f32 = np.float32

    def r(*shape):
        return rng.standard_normal(shape).astype(f32)

    N = batch * T
    x, Wx, Wh, Wo = r(N, E), r(E, G * H), r(H, G * H), r(H, V)
    onehot, dy = r(N, V), r(N, V)
    A, hs, dA, dhs = r(N, G * H), r(N, H), r(N, G * H), r(N, H)
    h, a, dh = r(batch, H), r(batch, G * H), r(batch, H)
    WhT = np.ascontiguousarray(Wh.T)
    out = {k: np.empty(s, f32) for k, s in (("z", (N, V)), ("dWo", (H, V)), ("dx", (N, E)))}
    dWx, dWh, dWemb = np.empty((E, G * H), f32), np.empty((H, G * H), f32), np.empty((V, E), f32)

    def step() -> None:
        np.matmul(x, Wx, out=A)  # every input step in one product
        for _ in range(T):
            np.matmul(h, Wh, out=a)
        np.matmul(hs, Wo, out=out["z"])
        np.matmul(hs.T, dy, out=out["dWo"])
        np.matmul(dy, Wo.T, out=dhs)
        for _ in range(T):
            np.matmul(a, WhT, out=dh)
        np.matmul(x.T, dA, out=dWx)
        np.matmul(hs.T, dA, out=dWh)
        np.matmul(dA, Wx.T, out=out["dx"])
        np.matmul(onehot.T, out["dx"], out=dWemb)

    return step


CONTENDERS = {"nn": nn_step, "torch": torch_step, "products": products_step}


# ------------------------------------------------------------------------------ one process
def worker(threads: int, cells, batches, repeats: int, names=tuple(CONTENDERS)) -> dict:
    """Time the contenders ``names`` on every (cell, batch) in this process; the BLAS has
    ``threads``."""
    import numpy as np

    from nn.bench.timing import time_routes

    torch_version = None
    if "torch" in names:  # only then: its thread pool is not loaded into the others' processes
        import torch

        torch.set_num_threads(threads)
        torch_version = torch.__version__
    rows = []
    for cell in cells:
        for batch in batches:
            calls = {name: CONTENDERS[name](cell, batch) for name in names}
            for call in calls.values():  # warm-up: caches, BLAS buffers, allocator
                for _ in range(20):
                    call()
            timed = time_routes(calls, repeats=repeats, min_sample=0.05)
            ms = {name: 1e3 * statistics.median(s) for name, (s, _) in timed.items()}
            rows.append({"cell": cell, "batch": batch, "threads": threads, "ms": ms})
    return {"numpy": np.__version__, "torch": torch_version, "rows": rows}


def run_worker(threads: int, args: argparse.Namespace, names) -> dict:
    """Run :func:`worker` for ``names`` in a fresh process whose BLAS has ``threads``."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, __file__, "--worker", str(threads), "--repeats", str(args.repeats)]
    cmd += ["--cells", *args.cells, "--batches", *map(str, args.batches), "--names", *names]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def measure(threads: int, args: argparse.Namespace) -> dict:
    """Every contender with ``threads``: in one process (one thread), or one process each."""
    if threads == 1:
        return run_worker(1, args, list(CONTENDERS))
    parts = [run_worker(threads, args, [name]) for name in CONTENDERS]
    rows = parts[0]["rows"]
    for part in parts[1:]:
        for row, other in zip(rows, part["rows"]):
            row["ms"].update(other["ms"])
    torch_version = next(p["torch"] for p in parts if p["torch"])
    return {"numpy": parts[0]["numpy"], "torch": torch_version, "rows": rows}


def table(rows: list[dict]) -> str:
    """A Markdown table: ms per step for nn, torch and the products, and the ratios."""
    lines = [
        "| cell | batch | threads | nn (ms) | torch (ms) | products (ms) | torch / nn "
        "| nn / products |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ms = r["ms"]
        lines.append(
            f"| {r['cell'].upper()} | {r['batch']} | {r['threads']} | {ms['nn']:.2f} | "
            f"{ms['torch']:.2f} | {ms['products']:.2f} | {ms['torch'] / ms['nn']:.2f} | "
            f"{ms['nn'] / ms['products']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cells", nargs="+", choices=CELLS, default=list(CELLS))
    parser.add_argument("--batches", type=int, nargs="+", default=list(BATCHES))
    parser.add_argument("--repeats", type=int, default=15, help="samples per contender")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--names", nargs="+", default=list(CONTENDERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.cells, args.batches, args.repeats, args.names)))
        return 0
    load_before = os.getloadavg()
    start = time.perf_counter()
    results = [measure(k, args) for k in args.threads]
    rows = [row for res in results for row in res["rows"]]
    load_after = os.getloadavg()
    print(
        f"numpy {results[0]['numpy']}, torch {results[0]['torch']}, {os.cpu_count()} cores; "
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}; "
        f"{time.perf_counter() - start:.0f} s"
    )
    print(f"character model: vocabulary {V}, embedding {E}, hidden {H}, sequences of {T}, float32")
    print(table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load": [load_before, load_after], "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
