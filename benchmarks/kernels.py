"""OpenBLAS's AVX-512 kernel against the AVX2 one that ``OPENBLAS_CORETYPE=Haswell`` forces.

Usage::

    python benchmarks/kernels.py                  # (b) and (c), 3 epochs of products each
    python benchmarks/kernels.py --n 10000        # a quicker check

Some environments set ``OPENBLAS_CORETYPE`` (and ``OPENBLAS_L2_SIZE``), because older
OpenBLAS builds misbehave on some processors without them; on a CPU with AVX-512 that forces
the AVX2 (Haswell) kernel instead of the SkylakeX one OpenBLAS would pick. This script runs
``compare.py``'s products-only bound of (b) and (c), on one BLAS thread, in two fresh
processes: with both variables unset, and with ``OPENBLAS_CORETYPE=Haswell``; it prints the
kernel each process ran (threadpoolctl) and the seconds per epoch.

The claim depends on the CPU: on one without AVX-512 there is no SkylakeX kernel to lose,
so the script says so and measures nothing (exit status 0).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from conditions import cpu_model, has_avx512  # noqa: E402


def bound(env: dict[str, str], args: argparse.Namespace) -> dict[str, object]:
    """compare.py's bound in a fresh process with ``env``: kernel and seconds per config."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bound.json")
        cmd = [sys.executable, os.path.join(HERE, "compare.py"), "--contenders", "bound"]
        cmd += ["--configs", args.configs, "--epochs", str(args.epochs), "--predict-reps", "0"]
        cmd += ["--no-memory", "--json", path] + (["--n", str(args.n)] if args.n else [])
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        with open(path) as f:
            res = json.load(f)
    kernels = sorted({str(b["architecture"]) for b in res["conditions"]["blas"]})
    seconds = {c["config"]: c["rows"]["bound"]["seconds_per_epoch"] for c in res["configs"]}
    return {"kernel": ", ".join(kernels), "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="b,c", help="comma-separated, from a, b, c")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs (median)")
    parser.add_argument("--n", type=int, default=None, help="training examples (default all)")
    args = parser.parse_args(argv)
    if not has_avx512():
        print(
            f"kernels.py: skipped: {cpu_model()} has no AVX-512 (or /proc/cpuinfo cannot say), "
            "so OpenBLAS has no SkylakeX kernel to run here and OPENBLAS_CORETYPE=Haswell "
            "costs nothing; the figures in docs/performance.md about it do not apply to this CPU"
        )
        return 0
    clean = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    runs = {
        "unset": bound(clean, args),
        "Haswell": bound({**clean, "OPENBLAS_CORETYPE": "Haswell"}, args),
    }
    print(f"kernels.py: {cpu_model()} (AVX-512); products only (compare.py's bound), 1 thread")
    for name, run in runs.items():
        secs = ", ".join(f"({c}) {s:.3f} s" for c, s in run["seconds"].items())  # type: ignore[union-attr]
        print(f"  OPENBLAS_CORETYPE {name:7}: kernel {run['kernel']}; per epoch {secs}")
    for c, s in runs["Haswell"]["seconds"].items():  # type: ignore[union-attr]
        print(f"  ({c}) Haswell / own kernel = {s / runs['unset']['seconds'][c]:.2f}")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
