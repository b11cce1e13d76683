"""Do BLAS thread counts change the trained weights? Hashes of the weights per thread count.

Each run is a fresh process training with seed 0; equal hashes mean identical bits.

    python benchmarks/reproducibility.py

Backs the README's "Guarantees": within one thread count the bits repeat (also a test:
tests/test_reproducibility.py); across thread counts they may not, depending on whether
OpenBLAS splits the matrix products of that network size between threads.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

SCRIPT = """
import hashlib, sys
import nn
hidden, dtype = int(sys.argv[1]), sys.argv[2]
(X, y), _ = nn.datasets.digits()
net = nn.mlp([784, hidden, 10], seed=0, dtype=dtype)
net.fit(X[:4000], y[:4000], epochs=2, batch_size=10, lr=1.0, seed=0, verbose=False)
print(hashlib.sha256(b"".join(p.tobytes() for _, p, _ in net.parameters())).hexdigest()[:16])
"""


def run(hidden: int, dtype: str, threads: str) -> str:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
    cmd = [sys.executable, "-c", SCRIPT, str(hidden), dtype]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="Trains [784, 30, 10] and [784, 100, 10] in float32 and float64, twice per "
        "thread count (1 and 2), each in a fresh process: 16 short trainings.",
    )
    parser.parse_args(argv)
    for hidden in (30, 100):
        for dtype in ("float32", "float64"):
            hashes = {t: [run(hidden, dtype, t), run(hidden, dtype, t)] for t in ("1", "2")}
            repeat = all(a == b for a, b in hashes.values())
            across = hashes["1"][0] == hashes["2"][0]
            print(
                f"[784, {hidden}, 10] {dtype}: 1 thread {hashes['1'][0]}, 2 threads "
                f"{hashes['2'][0]}; repeats within a thread count: {repeat}; "
                f"same across thread counts: {across}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
