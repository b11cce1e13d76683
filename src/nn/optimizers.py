"""Optimizers: how a gradient becomes a step.

An optimizer's :meth:`~Optimizer.step` receives ``(key, param, grad)`` triples from
:meth:`nn.Network.parameters`, where ``key`` names one parameter tensor uniquely (``"0.W"``
is the ``W`` of layer 0), and updates each ``param`` in place. Any state an optimizer keeps
(momentum, running averages) lives in a dict keyed by that unique key, one entry per
parameter tensor, never shared between layers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["Optimizer", "SGD"]

ParamTriple = tuple[str, np.ndarray, np.ndarray]


class Optimizer:
    """Base class: ``step`` applies one update to every parameter, in place."""

    def __init__(self, lr: float) -> None:
        lr = float(lr)
        if not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"lr must be a positive finite number, got {lr!r}")
        self.lr = lr
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.iterations = 0

    def step(self, parameters: Iterable[ParamTriple]) -> None:
        """Update each ``param`` in place from its ``grad``."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this optimizer."""
        return {"lr": self.lr}

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly where this optimizer is (for checkpoints).

        Returns
        -------
        dict
            ``{"config": config(), "iterations": int, "state": {key: {name: array}}}``, the
            arrays copied.
        """
        state = {k: {n: a.copy() for n, a in s.items()} for k, s in self.state.items()}
        return {"config": self.config(), "iterations": self.iterations, "state": state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict` (the config is the constructor's business)."""
        self.iterations = int(state_dict["iterations"])
        self.state = {
            k: {n: np.array(a, copy=True) for n, a in s.items()}
            for k, s in state_dict["state"].items()
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Plain stochastic gradient descent: ``w <- w - eta * dC/dw``.

    Parameters
    ----------
    lr : float
        The learning rate ``eta``. Because the losses average over the batch, this is
        Nielsen's ``eta`` (his ``eta / m * sum`` of per-example gradients, MB2 in
        docs/backprop.md): ``SGD(3.0)`` with mini-batches of 10 is the seed network's setting.
    """

    def step(self, parameters: Iterable[ParamTriple]) -> None:
        lr = self.lr
        for _key, param, grad in parameters:
            param -= lr * grad  # in place: the layer keeps the same array object
