"""Same seed, same bits: across separate processes, not just within one."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np

import nn

SCRIPT = """
import hashlib, sys
import numpy as np
import nn
seed, dtype = int(sys.argv[1]), sys.argv[2]
(X, y), _ = nn.datasets.digits()
net = nn.mlp([784, 30, 10], seed=seed, dtype=dtype)
net.fit(X[:2000], y[:2000], epochs=2, batch_size=10, lr=3.0, seed=seed, verbose=False)
print(hashlib.sha256(b"".join(p.tobytes() for _, p, _ in net.parameters())).hexdigest())
"""


def train_in_subprocess(seed: int, dtype: str, **env: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(seed), dtype],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return out.stdout.strip()


def test_same_seed_gives_identical_weight_bytes_in_two_processes():
    for dtype in ("float32", "float64"):
        first, second = train_in_subprocess(0, dtype), train_in_subprocess(0, dtype)
        assert len(first) == 64 and first == second
    assert train_in_subprocess(1, "float32") != train_in_subprocess(0, "float32")


def test_this_process_agrees_with_a_fresh_one_and_one_blas_thread_is_reproducible():
    (X, y), _ = nn.datasets.digits()
    net = nn.mlp([784, 30, 10], seed=0)
    net.fit(X[:2000], y[:2000], epochs=2, batch_size=10, lr=3.0, seed=0, verbose=False)
    here = hashlib.sha256(b"".join(p.tobytes() for _, p, _ in net.parameters())).hexdigest()
    assert here == train_in_subprocess(0, "float32")
    single = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    assert train_in_subprocess(0, "float32", **single) == train_in_subprocess(
        0, "float32", **single
    )


def test_float32_and_float64_runs_agree_to_float32_rounding_at_first():
    """Not bit-identical (different arithmetic), but the same computation."""
    (X, y), _ = nn.datasets.digits()
    nets = [nn.mlp([784, 30, 10], seed=0, dtype=d) for d in (np.float32, np.float64)]
    for net in nets:
        net.fit(X[:200], y[:200], epochs=1, batch_size=10, lr=3.0, seed=0, verbose=False)
    w32, w64 = nets[0].layers[0].W, nets[1].layers[0].W
    assert w32.tobytes() != w64.astype(np.float32).tobytes()
    assert np.abs(w32 - w64).max() < 1e-4 * np.abs(w64).max()
