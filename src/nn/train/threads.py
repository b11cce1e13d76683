"""How many BLAS threads training uses: measured on this machine, now, rather than guessed.

NumPy hands every matrix product to its BLAS (OpenBLAS in NumPy's wheels), which starts one
thread per core and splits each large enough product between them. On an idle machine that
speeds large products up. On a machine where something else runs (a browser, an editor: any
learner's laptop), one of those threads waits for a core while the others spin, waiting for
it, at every product; a step is several products and an epoch thousands of steps, so an
epoch can take a hundred times longer (issue 14: 38 s instead of 0.3 s on 2 cores).

``fit(threads="auto")``, the default, therefore decides, once per run and again when the
machine changes (:class:`ThreadPolicy`):

1. **The user's choice stands.** If the BLAS already runs one thread, or the environment sets
   its thread count (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ... :data:`ENV_VARS`),
   nothing is changed.
2. **Small products run on one thread**, unmeasured: when the largest matrix product of a
   step has fewer than :data:`SMALL` multiply-adds, waking a second thread costs about what
   it could save.
3. **Otherwise it measures**: training steps of a copy of the network (the real one, its
   optimizer and every random generator of the run are untouched) on 1 thread and on the
   BLAS's ``N``, in turns, a few times (once, when ``N`` is already many times slower);
   ``N`` if its median step is :data:`GAIN` times faster. The answer is kept for the
   process, per shape of network and batch, for :data:`RECHECK` seconds.
4. **It keeps watching.** On ``N`` threads, two blocks of steps in a row :data:`SLOW` times
   slower than the measured step (or than the fastest block since) mean that something else
   now runs: it measures again, and falls back to 1 thread if 1 is now faster. If the trial
   still says ``N``, a block of the real steps runs on 1 thread and the faster of the two
   paces wins (a few trial steps can fall in a quiet moment, and callbacks slow every step
   alike); if ``N`` still wins, its slower pace becomes the one to hold. On 1 thread after
   ``N`` lost, it measures again every :data:`RECHECK` seconds, since the machine may be
   free again.

**Workers.** ``fit(..., workers=N)`` (:mod:`nn.train.parallel`) gives the cores to N threads
that each run a shard of the mini-batch, so the BLAS is set to 1 thread per worker for the
run (``threads`` must then be ``"auto"`` or 1), and the summary says so. Auto never splits
the batch on its own: that changes the rounding of every step (the bits of a run), so it is
asked for explicitly; choosing ``workers`` by measurement, as auto chooses threads, would be
the natural next step.

The thread count can change the rounding of a product (OpenBLAS may split it otherwise), so
the same seed gives the same bits with the same thread count: ``threads=1`` (or any int)
fixes it; a run in which auto changed the count midway says so (:meth:`ThreadPolicy.summary`).
The limits are set through threadpoolctl and restored when training ends. threadpoolctl is an
optional extra (``pip install "nn[threads]"``; the library's own dependencies are NumPy and
tqdm): without it, auto leaves the BLAS as it is and says so, and an explicit count is refused
before any work.
"""

from __future__ import annotations

import copy
import os
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.errors import Diverged
from nn.core.validation import check_positive_int

if TYPE_CHECKING:  # pragma: no cover
    from threadpoolctl import ThreadpoolController

    from nn.core.network import Network
    from nn.optim.optimizers import Optimizer

__all__ = ["ENV_VARS", "ThreadPolicy", "blas_threads", "check_threads"]

#: Variables through which a user sets the BLAS's thread count; auto leaves such a choice alone.
ENV_VARS = (
    "OPENBLAS_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
#: Multiply-adds of a step's largest product below which one thread is used unmeasured: about
#: 20 microseconds of arithmetic on one core, of the order of what waking and joining another
#: thread costs (OpenBLAS itself keeps products under 262,144 on one thread).
SMALL = 1_000_000
#: How much faster N threads must be than 1 to be chosen: a margin over timing noise, since
#: threads are also what stalls when the machine gets busy.
GAIN = 1.1
#: A block of steps this many times slower than the fastest block (twice in a row) is a
#: change of the machine, not noise.
SLOW = 3.0
#: Seconds after which a measurement is taken again (on 1 thread: has the machine come free?).
RECHECK = 30.0
#: Blocks of steps between which the watch looks at the clock last about this long.
BLOCK = 0.01
#: Turns of 1 and N threads in a measurement, and the seconds it may take at most.
REPEATS, BUDGET = 5, 0.5

_MEASURED: dict[tuple[Any, ...], Measurement] = {}  # per process: (shapes, batch, N) -> last
_CONTROLLER: ThreadpoolController | None = None  # see _blas


@dataclass(frozen=True)
class Measurement:
    """Median seconds per training step on 1 thread and on ``n``, and when it was taken."""

    one: float
    many: float
    n: int
    at: float  # time.monotonic()

    def best(self) -> int:
        return self.n if self.many * GAIN < self.one else 1

    def __str__(self) -> str:
        return f"a step took {_ms(self.one)} on 1 thread, {_ms(self.many)} on {self.n}"


#: What to install for the thread policy (an optional extra, see the module docstring).
INSTALL = 'pip install "nn[threads]" (or pip install threadpoolctl)'


def check_threads(value: Any) -> str | int | None:
    """``fit``'s ``threads``: ``"auto"``, None (leave the BLAS as it is) or a positive int.

    An int needs threadpoolctl to set the count; without it the error says what to install.
    """
    if value is None or value == "auto":
        return value
    if isinstance(value, str):
        raise ValueError(f"threads must be 'auto', None or a positive integer, got {value!r}")
    n = check_positive_int("threads", value)
    if _blas() is None:
        raise ValueError(f"threads={n} needs threadpoolctl to set the BLAS's threads: {INSTALL}")
    return n


def blas_threads() -> int | None:
    """How many threads the BLAS libraries loaded in this process use now (the most of them);
    None when threadpoolctl is not installed to say."""
    ctl = _blas()
    if ctl is None:
        return None
    return max((lib.num_threads for lib in ctl.lib_controllers), default=1)


class ThreadPolicy:
    """The BLAS threads of a training run: what was asked, what was chosen and why.

    Parameters
    ----------
    setting : "auto", int or None
        ``"auto"``: decide as the module's docstring says; an int: that many threads for the
        whole run; None: leave the BLAS as it is. Pass a ThreadPolicy as ``fit``'s ``threads``
        to read afterwards what it chose (``print(policy)``).

    Attributes
    ----------
    threads : int or None
        The thread count in force (None before training).
    changes : list of str
        What auto changed during the run, one sentence each.
    """

    def __init__(self, setting: str | int | None = "auto") -> None:
        self.setting = check_threads(setting)
        self.workers = 1  # fit's workers: more than 1 means 1 BLAS thread each (parallel.py)
        self.threads: int | None = None
        self.reason = ""
        self.changes: list[str] = []
        self.next_check: float = float("inf")  # the loop calls check() from this step on
        self._limits, self._limited_to = ExitStack(), 0
        self._watch: _Watch | None = None
        self._first: int | None = None

    def __repr__(self) -> str:
        return f"ThreadPolicy({self.setting!r})"

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """One line: ``"BLAS threads: 2 (auto: a step took ...)"``, and any change since."""
        if self.threads is None:
            return f"BLAS threads: {self.reason or f'not chosen yet ({self.setting!r})'}"
        if self.workers > 1:
            return f"BLAS threads: {self.reason}"
        first = self._first if self._first is not None else self.threads
        return "; ".join([f"BLAS threads: {first} ({self._first_reason})", *self.changes])

    # ------------------------------------------------------------------ a run
    def start(
        self, network: Network, optimizer: Optimizer, X: np.ndarray, T: np.ndarray, batch: int
    ) -> None:
        """Choose the thread count of a run on ``(X, T)`` in mini-batches of ``batch``."""
        self._ctl = _blas()
        self.changes, self.next_check, self._watch = [], float("inf"), None
        n = blas_threads()
        if n is None:  # no threadpoolctl: nothing to read or set (an int was refused earlier)
            self.threads, self.reason = None, f"left as they are; to let nn choose: {INSTALL}"
        elif self.workers > 1:  # the cores go to the workers (fit's check_split allowed it)
            self._use(1, f"1 per worker, {self.workers} workers (batch split)")
        elif self.setting is None:
            self._use(n, "left as they were: threads=None")
        elif self.setting != "auto":
            self._use(self.setting, "as asked")
        elif n == 1:
            self._use(1, "auto: the BLAS was already set to 1")
        elif any(v in os.environ for v in ENV_VARS):
            name = next(v for v in ENV_VARS if v in os.environ)
            self._use(n, f"auto leaves them: {name}={os.environ[name]} is set")
        elif (size := _largest_product(network, min(batch, len(X))))[0] < SMALL:
            shape = " x ".join(map(str, size[1]))
            self._use(1, f"auto: a step's largest product, {shape}, is too small for threads")
        else:
            self._watch = _Watch(network, optimizer, X, T, min(batch, len(X)), n)
            self._decide(self._watch.measurement(fresh=False), step=0)
        self._first, self._first_reason = self.threads, self.reason

    def begin_epoch(self, step: int) -> None:
        """Start timing a block at ``step`` (the end of an epoch is not a step's time)."""
        if self._watch is not None:
            self._watch.restart(step)
            self.next_check = step + self._watch.block

    def check(self, step: int, epoch: int) -> str | None:
        """Called by the loop at step ``next_check``; a sentence if the thread count changed."""
        watch = self._watch
        assert watch is not None and self.threads is not None
        per_step = watch.block_done(step)
        if watch.probe is not None:  # a block of real steps on 1 thread has just ended
            return self._end_probe(per_step, step, epoch)
        if not watch.due(self.threads, per_step):
            self.next_check = step + watch.block
            return None
        before = self.threads
        m = watch.measurement(fresh=True)
        self._decide(m, step)
        if self.threads == before and before > 1:
            # The trial says N, the real steps did not (a few trial steps can land in a quiet
            # moment): a block of real steps on 1 thread decides (check() ends the probe).
            watch.probe = (per_step, step, epoch)
            self._use(1, self.reason)
            return None
        if self.threads == before:
            return None
        why = "steps had slowed down" if before > 1 else f"measured again after {RECHECK:g} s"
        return self._change(f"{why}; {m}", step, epoch)

    def stop(self) -> None:
        """Give the BLAS back the thread count it had before the run."""
        self._limits.close()
        self._limited_to, self.next_check, self._watch = 0, float("inf"), None

    # ------------------------------------------------------------------ helpers
    def _end_probe(self, one: float, step: int, epoch: int) -> str | None:
        """Real steps took ``one`` s on 1 thread, ``watch.probe`` on N: 1 if :data:`GAIN` times
        faster, else N at its slower pace (a tie is callbacks or data, not the threads)."""
        watch = self._watch
        assert watch is not None
        (many, start, epoch_start), watch.probe = watch.probe, None
        m = Measurement(one, many, watch.n, time.monotonic())
        if one * GAIN < many:
            _MEASURED[watch.key] = m  # what the steps showed: later runs start from it
            watch.measured_at = m.at  # on 1 thread: look again after RECHECK
            return self._change(f"steps had slowed down; real {m}", start, epoch_start)
        self._use(watch.n, self.reason)  # N still wins: this pace (callbacks, say) is the baseline
        watch.fastest = max(watch.fastest, many)
        watch.restart(step)
        self.next_check = step + watch.block
        self.changes.append(f"1 for steps {start}-{step}, then {m.n} again (a probe; real {m})")
        return f"BLAS threads: {self.changes[-1]}"

    def _change(self, why: str, step: int, epoch: int) -> str:
        self.changes.append(f"{self.threads} from epoch {epoch}, step {step} ({why})")
        return f"BLAS threads: {self.changes[-1]}"

    def _decide(self, m: Measurement | None, step: int) -> None:
        assert self._watch is not None
        if m is None:
            self._use(1, "auto: the loss diverged in the trial steps, so 1 thread")
        else:
            self._use(m.best(), f"auto: {m}")
        self._watch.restart(step)
        self.next_check = step + self._watch.block

    def _use(self, n: int, reason: str) -> None:
        if self.setting is not None and n != self._limited_to:
            self._limits.close()  # back to the count before the run, then to n
            self._limits.enter_context(self._ctl.limit(limits=n, user_api="blas"))
            self._limited_to = n
        self.threads, self.reason = n, reason


class _Watch:
    """The measurements of an auto run, and the clock on its blocks of steps."""

    def __init__(
        self, network: Network, optimizer: Optimizer, X: np.ndarray, T: np.ndarray, bs: int, n: int
    ) -> None:
        self.network, self.optimizer, self.n = network, optimizer, n
        starts = range(0, min(len(X) - bs + 1, 4 * bs), bs)  # up to 4 mini-batches
        self.batches = [(X[j : j + bs], T[j : j + bs]) for j in starts]
        shapes = tuple((p.shape, p.dtype.str) for _, p, _ in network.parameters())
        self.key = (shapes, bs, n)
        self.block, self.fastest, self.slow_blocks = 1, float("inf"), 0
        #: (seconds per real step on N threads, step, epoch) while a probe block runs on 1
        self.probe: tuple[float, int, int] | None = None
        self.start, self.step, self.measured_at = time.perf_counter(), 0, 0.0

    def measurement(self, *, fresh: bool) -> Measurement | None:
        """The process's measurement for this shape, taken again if ``fresh`` or too old."""
        m = _MEASURED.get(self.key)
        if fresh or m is None or time.monotonic() - m.at > RECHECK:
            m = _measure(self.network, self.optimizer, self.batches, self.n)
            if m is None:
                return None
            _MEASURED[self.key] = m
        self.measured_at = m.at
        self.block = max(1, round(BLOCK / min(m.one, m.many)))
        # the pace to hold on N threads: the trial's, until a block of real steps beats it
        # (a measurement kept from an earlier run is checked against the steps at once)
        self.fastest, self.slow_blocks = m.many, 0
        return m

    def restart(self, step: int) -> None:
        self.start, self.step = time.perf_counter(), step

    def block_done(self, step: int) -> float:
        """Seconds per step since the block began; the next block begins now."""
        now = time.perf_counter()
        per_step = (now - self.start) / max(1, step - self.step)
        self.start, self.step = now, step
        return per_step

    def due(self, threads: int, per_step: float) -> bool:
        """Whether to measure again: slowed down on N threads, or a while on 1 after N lost."""
        if threads == 1:
            return time.monotonic() - self.measured_at > RECHECK
        slow = per_step > SLOW * self.fastest
        self.fastest = min(self.fastest, per_step)
        self.slow_blocks = self.slow_blocks + 1 if slow else 0
        return self.slow_blocks >= 2


def _measure(network: Network, optimizer: Optimizer, batches: list, n: int) -> Measurement | None:
    """Median seconds of a training step on 1 thread and on ``n``, on copies; None if the
    loss diverged (a trial step would then say nothing about speed)."""
    net, opt, ctl = copy.deepcopy(network), copy.deepcopy(optimizer), _blas()

    def steps(threads: int, k: int) -> float:
        with ctl.limit(limits=threads, user_api="blas"):
            start = time.perf_counter()
            for x, t in batches[:k]:
                net.train_step(x, t, opt)
            return (time.perf_counter() - start) / k

    try:
        warm = max(steps(1, 1), 1e-7)  # also pays the first call's costs
        warm_n = steps(n, 1)
        if warm_n > 4 * warm:  # N stalls (something else runs): clear at once, and cheap
            return Measurement(warm, warm_n, n, time.monotonic())
        k = min(len(batches), max(1, round(0.002 / warm)))
        ones, manys, began = [], [], time.perf_counter()
        for _ in range(REPEATS):
            ones.append(steps(1, k))
            manys.append(steps(n, k))
            # N stalling (many times 1's time) or out of time: the answer is already clear
            if manys[-1] > 4 * max(ones) or time.perf_counter() - began > BUDGET:
                break
    except Diverged:
        return None
    return Measurement(statistics.median(ones), statistics.median(manys), n, time.monotonic())


def _largest_product(network: Network, batch: int) -> tuple[int, tuple[int, ...]]:
    """Multiply-adds of a step's largest matrix product, and its shape: ``batch`` rows times
    each weight matrix (a 2-D parameter), as in ``x @ W``."""
    best: tuple[int, tuple[int, ...]] = (0, (batch, 0, 0))
    for _, param, _ in network.parameters():
        if param.ndim == 2:
            best = max(best, (batch * param.size, (batch, *param.shape)))
    return best


def _blas() -> ThreadpoolController | None:
    """The BLAS libraries (NumPy's, and any other loaded when first asked) under threadpoolctl's
    control, or None without threadpoolctl; found once per process, since looking for them
    costs a millisecond or more."""
    global _CONTROLLER
    if _CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController  # the optional extra "threads"
        except ImportError:
            return None
        _CONTROLLER = ThreadpoolController().select(user_api="blas")
    return _CONTROLLER


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms"
