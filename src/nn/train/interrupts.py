"""Ctrl-C during training: held until the run's state is safe on disk, never half acted on.

Python turns SIGINT into a ``KeyboardInterrupt`` raised between any two bytecodes, wherever
the program is. Raised inside a training step, it leaves the step half done: a dropout layer
has drawn the aborted step's mask, an update is applied to some tensors and not to others.
Raised while a checkpoint or the model is being written, it leaves nothing on disk. A second
Ctrl-C, pressed because the first seemed slow, lands exactly there.

So this is the one place where a training run handles SIGINT: inside :class:`HeldInterrupts`
a Ctrl-C is only counted, never raised. The training loop looks at the count at each step
boundary and stops there (:mod:`nn.train.loop`); the run then writes its checkpoint, and the
command line (``nn train``) saves the model, all still inside the guard, so every further
Ctrl-C is counted too. Only when the guard is left, with the state on disk, does Ctrl-C get
its usual meaning back. To stop a process that is stuck anyway, send SIGQUIT (Ctrl-\\) or
SIGTERM; those are not held.

Guards nest: one entered while another is active shares its count (``nn train``'s guard
around ``fit``'s), so an interrupt is seen by both. Signals only reach the main thread, so
elsewhere a guard does nothing; nor does it when SIGINT is ignored or left at the system's
default (a background job), where no ``KeyboardInterrupt`` would be raised anyway.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

__all__ = ["HeldInterrupts"]


class HeldInterrupts:
    """A context manager during which SIGINT is counted instead of raised.

    Attributes
    ----------
    count : int
        Ctrl-Cs received by this guard (or, when nested, by the outermost one) so far.
    """

    def __init__(self) -> None:
        self._count = 0
        self._previous: Any = None
        self._outer: HeldInterrupts | None = None

    @property
    def count(self) -> int:
        return self._outer.count if self._outer is not None else self._count

    @property
    def requested(self) -> bool:
        """Whether a Ctrl-C has arrived: the loop then stops at the next step boundary."""
        return self.count > 0

    def __enter__(self) -> HeldInterrupts:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals are delivered to the main thread only
        previous = signal.getsignal(signal.SIGINT)
        outer = getattr(previous, "__self__", None)
        if isinstance(outer, HeldInterrupts):
            self._outer = outer  # already held: share the outer guard's count
        elif callable(previous):  # not SIG_IGN or SIG_DFL: someone wants KeyboardInterrupt
            self._previous = previous
            signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        self._outer = None

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self._count += 1  # never raises: see the module docstring
