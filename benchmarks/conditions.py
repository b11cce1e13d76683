"""What a benchmark's figures depend on, and the tools to measure under stated conditions.

* :func:`conditions` records the machine as the run found it: CPU model and whether it has
  AVX-512 (OpenBLAS's fastest float32 kernels need it), cores, load average, the BLAS with
  its kernel and thread count as threadpoolctl reports them, ``OPENBLAS_CORETYPE`` if set,
  and the versions of NumPy, PyTorch and scikit-learn; :func:`describe` prints them.
* :class:`Competitor` is a competing CPU-bound process (``python -c "while True: pass"``, no
  network, no files), started and stopped by the benchmark: the busy machine of a learner's
  laptop, made reproducible.
* :func:`time_limit` stops whatever runs in it after a number of seconds (``SIGALRM``), so the
  slowest contender of a benchmark cannot decide whether the run finishes: it is reported
  as over its limit instead.
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Competitor", "OverTime", "conditions", "describe", "has_avx512", "time_limit"]


def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def has_avx512() -> bool | None:
    """Whether the CPU has AVX-512 (``avx512f``); None where /proc/cpuinfo cannot say."""
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx512f" in line for line in f)
    except OSError:
        return None


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def blas() -> list[dict[str, Any]]:
    """NumPy's BLAS (and any other loaded) as threadpoolctl reports it."""
    import numpy  # noqa: F401  (loads the BLAS)
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "version", "architecture", "num_threads", "threading_layer")
    return [{k: i.get(k) for k in keys} for i in threadpool_info() if i["user_api"] == "blas"]


def conditions() -> dict[str, Any]:
    """The machine as it is now: what a figure measured on it depends on."""
    import numpy as np

    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("torch", "sklearn"):
        if name in sys.modules:  # only those the benchmark imported
            versions[name] = sys.modules[name].__version__
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu_model(),
        "avx512": has_avx512(),
        "cores": cores,
        "load_average": load_average(),
        "blas": blas(),
        "env": {
            k: os.environ[k]
            for k in (
                "OPENBLAS_CORETYPE",
                "OPENBLAS_L2_SIZE",
                "OPENBLAS_NUM_THREADS",
                "OMP_NUM_THREADS",
                "MKL_NUM_THREADS",
            )
            if k in os.environ
        },  # fmt: skip
        "versions": versions,
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def describe(c: dict[str, Any]) -> str:
    """The conditions as three lines for a benchmark's header."""
    avx = {True: "AVX-512", False: "no AVX-512", None: "AVX-512 unknown"}[c["avx512"]]
    libs = "; ".join(
        f"{b['internal_api']} {b['version']}, kernel {b['architecture']}, "
        f"{b['num_threads']} threads by default"
        for b in c["blas"]
    )
    env = ", ".join(f"{k}={v}" for k, v in c["env"].items()) or "no BLAS variables set"
    versions = ", ".join(f"{k} {v}" for k, v in c["versions"].items())
    return (
        f"{c['cpu']} ({avx}), {c['cores']} cores; load average {c['load_average']} at start\n"
        f"BLAS: {libs or 'not found by threadpoolctl'}; {env}\n{versions}"
    )


class Competitor:
    """``n`` CPU-bound processes competing for the cores while the ``with`` block runs.

    Each is ``python -c "while True: pass"``: pure computation, no network, no files. They
    are started on entry and killed on exit (by their own process ids, whatever happens).
    """

    def __init__(self, n: int = 1) -> None:
        self.n = n
        self.procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Competitor:
        code = "while True: pass"
        self.procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(self.n)]
        time.sleep(0.5)  # let them get going
        return self

    def __exit__(self, *exc: object) -> None:
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()
        self.procs = []


class OverTime(Exception):
    """Raised inside :func:`time_limit`'s block when its time is up."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`OverTime` in the block after ``seconds`` (main thread, POSIX only).

    NumPy and PyTorch calls are not cut in the middle: Python raises it as soon as the
    running call returns, so a stalled contender stops within one of its steps.
    """
    if seconds <= 0:
        raise OverTime
    if not hasattr(signal, "setitimer"):  # pragma: no cover - no SIGALRM: no limit
        yield
        return

    def alarm(signum: int, frame: object) -> None:
        raise OverTime

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
