"""Peak resident memory while ``Network.fit`` trains on Fashion-MNIST.

Usage::

    python benchmarks/memory.py --config c            # one epoch of (c), prints one JSON line

Method (Linux): the baseline is the resident set size (``VmRSS`` in ``/proc/self/status``)
after ``import numpy, nn`` and before any data is loaded. The training split is then loaded
(the test split is dropped), the kernel's high-water mark is reset by writing ``5`` to
``/proc/self/clear_refs``, the network trains for ``--epochs`` epochs, and the peak is
``VmHWM`` read right after. So the peak covers training only, not the loader's transient
copies; those are reported apart as ``load_peak_mb``. Where ``clear_refs`` cannot be written
(or off Linux) the peak falls back to ``resource.getrusage(...).ru_maxrss``, which includes
loading, and ``"peak_covers"`` says so.

The figure of merit is ``ratio = (peak - baseline) / (training set bytes + parameter bytes)``
with both in float32; issue 7's target is at most 1.3. It runs in its own process (compare.py
starts it with ``subprocess``) so nothing else in the process pollutes the measurement.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys

_THREADS = str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _THREADS)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from configs import CONFIGS  # noqa: E402

import nn  # noqa: E402

MB = 1024 * 1024


def _status_kb(field: str) -> int | None:
    """A ``kB`` field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``), or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _ru_maxrss_kb() -> int:
    scale = 1024 if sys.platform == "darwin" else 1  # bytes on macOS, kB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // scale


def _reset_peak() -> bool:
    """Reset the kernel's high-water mark of the resident set (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure(config: str, epochs: int, n: int | None) -> dict[str, object]:
    """Train ``config`` for ``epochs`` epochs and return the memory figures (in MB)."""
    cfg = CONFIGS[config]
    gc.collect()
    baseline_kb = _status_kb("VmRSS") or _ru_maxrss_kb()
    (X, y), test = nn.datasets.fashion_mnist()
    del test
    if n is not None:
        X, y = X[:n].copy(), y[:n].copy()
    gc.collect()
    load_peak_kb = _status_kb("VmHWM") or _ru_maxrss_kb()
    net = nn.mlp(cfg.sizes, cfg.activation, cfg.loss, seed=0)
    param_bytes = sum(p.nbytes for _, p, _ in net.parameters())
    reset = _reset_peak()
    net.fit(X, y, epochs=epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=0, verbose=False)
    peak_kb = (_status_kb("VmHWM") if reset else None) or _ru_maxrss_kb()
    budget = X.astype(np.float32, copy=False).nbytes + param_bytes
    extra = peak_kb * 1024 - baseline_kb * 1024
    return {
        "config": config,
        "epochs": epochs,
        "examples": len(X),
        "baseline_mb": baseline_kb / 1024,
        "load_peak_mb": load_peak_kb / 1024,
        "train_peak_mb": peak_kb / 1024,
        "train_set_mb": X.nbytes / MB,
        "params_mb": param_bytes / MB,
        "extra_mb": extra / MB,
        "ratio": extra / budget,
        "peak_covers": "training only" if reset else "loading and training (ru_maxrss)",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="c")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--n", type=int, default=None, help="training examples (default all)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.config, args.epochs, args.n)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
