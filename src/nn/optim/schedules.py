"""Learning-rate schedules: the step size as a pure function of the optimizer's step count.

A schedule is called with ``t``, the number of optimizer steps already taken (0 for the first
step, so ``t`` is :attr:`nn.Optimizer.iterations` at the time of the step), and returns a
*multiplier* of the optimizer's base learning rate: the step uses ``lr * schedule(t)``.

The unit is optimizer steps (mini-batches), not epochs: the optimizer counts steps and nothing
else, so the learning rate depends only on that counter, and an optimizer restored from
``(config, state, iterations)`` continues with exactly the rate it would have used. To think
in epochs, multiply by the steps per epoch, ``ceil(n_train / batch_size)``; that is what the
command line's ``--schedule`` does.

Each schedule has ``config()``, the constructor's keyword arguments plus its ``type``, and
:func:`schedule_from_config` rebuilds it, so an optimizer's configuration is plain JSON.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nn.core import registry
from nn.core.numbers import check_real
from nn.core.registry import SCHEDULES

__all__ = ["SCHEDULES", "CosineDecay", "Schedule", "StepDecay", "schedule_from_config"]


class Schedule:
    """Base class: ``schedule(t) -> float``, the multiplier of the base learning rate."""

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if register:  # filed by class name, for schedule_from_config
            registry.register(SCHEDULES, cls)

    def __call__(self, t: int) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """``{"type": class name, **constructor arguments}``: what rebuilds the schedule."""
        return {"type": type(self).__name__, **self._args()}

    def _args(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._args().items())
        return f"{type(self).__name__}({args})"


class StepDecay(Schedule):
    """Multiply the learning rate by ``factor`` every ``every`` steps.

    ``schedule(t) = factor ** (t // every)``: with ``every=1000, factor=0.5`` steps 0..999 use
    ``lr``, steps 1000..1999 use ``lr / 2``, and so on (Nielsen ch. 3 halves ``eta`` by hand
    in the same spirit).

    Parameters
    ----------
    every : int
        Steps between two decays, at least 1.
    factor : float, default 0.5
        Multiplier applied at each decay, in (0, 1].
    """

    def __init__(self, every: int, factor: float = 0.5) -> None:
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"StepDecay: every must be a positive step count, got {every!r}")
        self.every = int(every)
        self.factor = check_real("StepDecay: factor", factor, 0.0, 1.0, lo_open=True)

    def __call__(self, t: int) -> float:
        return self.factor ** (t // self.every)

    def _args(self) -> dict[str, Any]:
        return {"every": self.every, "factor": self.factor}


class CosineDecay(Schedule):
    """Half a cosine from 1 down to ``final`` over ``total`` steps, then ``final``.

    ``schedule(t) = final + (1 - final) * (1 + cos(pi * min(t, total) / total)) / 2``:
    1 at ``t = 0``, ``(1 + final) / 2`` at ``t = total / 2``, ``final`` from ``t = total`` on
    (Loshchilov and Hutter's SGDR without restarts).

    Parameters
    ----------
    total : int
        Steps of the decay, at least 1; usually ``epochs * steps_per_epoch``.
    final : float, default 0.0
        The multiplier reached at the end, in [0, 1].
    """

    def __init__(self, total: int, final: float = 0.0) -> None:
        if isinstance(total, bool) or not isinstance(total, (int, np.integer)) or total < 1:
            raise ValueError(f"CosineDecay: total must be a positive step count, got {total!r}")
        self.total = int(total)
        self.final = check_real("CosineDecay: final", final, 0.0, 1.0)

    def __call__(self, t: int) -> float:
        progress = min(t, self.total) / self.total
        return self.final + (1.0 - self.final) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def _args(self) -> dict[str, Any]:
        return {"total": self.total, "final": self.final}


def schedule_from_config(config: dict[str, Any]) -> Schedule:
    """Rebuild a schedule from its :meth:`Schedule.config` dict.

    Raises
    ------
    ValueError
        If ``config["type"]`` names no schedule in :data:`SCHEDULES`.
    """
    args = dict(config)
    name = args.pop("type", None)
    if name not in SCHEDULES:
        raise ValueError(
            f"unknown schedule type {name!r}; choose one of {', '.join(map(repr, SCHEDULES))}"
        )
    return SCHEDULES[name](**args)
