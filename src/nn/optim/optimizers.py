"""Optimizers: how a gradient becomes a step.

An optimizer's :meth:`~Optimizer.step` receives ``(key, param, grad)`` triples from
:meth:`nn.Network.parameters`, where ``key`` names one parameter tensor uniquely (``"0.W"``
is the ``W`` of layer 0), and updates each ``param`` in place. Any state an optimizer keeps
(momentum, running averages) lives in ``self.state[key]``, a dict of arrays, one entry per
parameter tensor, never shared between layers.

One step, in order (the same for every optimizer):

1. clipping by global norm (``clip_norm``): if ``||g|| = sqrt(sum over every tensor of
   sum g^2) > clip_norm``, every gradient is multiplied by ``clip_norm / ||g||``, so the
   direction is kept and the length capped;
2. L2 weight decay (``weight_decay``): ``g <- g + weight_decay * w`` for weight matrices
   (tensors with two or more dimensions), never for biases;
3. the learning rate of this step: ``lr * schedule(iterations)`` (see :mod:`nn.optim.schedules`);
4. the optimizer's own update (:meth:`Optimizer.update`), then ``iterations += 1``.

Everything that changes during training is ``state`` and ``iterations``; everything else is
``config()``, and the learning rate of a step is a pure function of ``iterations``. So
:meth:`Optimizer.state_dict` (``config``, ``state``, ``iterations``, and the class name under
``type``) is all a checkpoint needs: :meth:`Optimizer.load_state_dict` puts ``state`` and
``iterations`` back into an optimizer built with the same config, and
:meth:`Optimizer.from_state_dict` builds that optimizer too. Either continues bit for bit
where the saved one stopped.

Weight decay scaling
--------------------
Nielsen (ch. 3) adds ``(lambda / 2n) sum_w w^2`` to the cost, ``n`` the size of the
*training set*, and so steps ``w <- (1 - eta lambda / n) w - eta dC0/dw``. Here
``weight_decay`` is the coefficient ``lambda / n`` itself: the optimizer sees mini-batches
and never the training set, so it cannot know ``n``, and with the coefficient given directly
a value means the same thing whatever data it is used on. Nielsen's ``lambda = 5.0`` on his
50,000 MNIST images is ``weight_decay = 1e-4``. With plain SGD one step is then exactly
``w <- (1 - lr * weight_decay) * w - lr * dC0/dw``. This is L2 regularization added to the
gradient (so Adam and RMSProp rescale it like any gradient), not AdamW's decoupled decay.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nn.core import registry
from nn.core.numbers import check_real
from nn.optim.schedules import Schedule, schedule_from_config

__all__ = ["Adam", "Optimizer", "RMSProp", "SGD"]

ParamTriple = tuple[str, np.ndarray, np.ndarray]


def _check(name: str, value: float, lo: float, hi: float, *, lo_open: bool = False) -> float:
    """``value`` as a float in ``[lo, hi)`` (``(lo, hi)`` with ``lo_open``), given as a real
    number: ``"3.0"`` and ``True`` are refused, not converted (see :mod:`nn.core.numbers`)."""
    return check_real(name, value, lo, hi, lo_open=lo_open, hi_open=True)


class Optimizer:
    """Base class: clipping, weight decay, schedule and the step counter.

    Parameters
    ----------
    lr : float
        The base learning rate ``eta``. Because the losses average over the batch, this is
        Nielsen's ``eta`` (his ``eta / m * sum`` of per-example gradients, MB2 in
        docs/backprop.md).
    weight_decay : float, default 0
        L2 coefficient ``lambda / n`` (see the module docstring), applied to weight matrices
        only: ``g <- g + weight_decay * W``; biases are never decayed.
    clip_norm : float, optional
        Cap on the global norm of the gradient over all parameters (before weight decay).
    schedule : Schedule or dict, optional
        Multiplier of ``lr`` as a function of :attr:`iterations` (a dict is a schedule's
        ``config()``). ``None`` keeps ``lr`` constant.

    Attributes
    ----------
    state : dict of str to dict of str to ndarray
        Per-parameter state, keyed by the parameter's unique key (``"0.W"``).
    iterations : int
        Steps taken so far.
    """

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if register:  # filed by class name, for Optimizer.from_state_dict and checkpoints
            registry.register(registry.OPTIMIZERS, cls)

    def __init__(
        self,
        lr: float,
        *,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
        schedule: Schedule | dict[str, Any] | None = None,
    ) -> None:
        self.lr = check_real("lr", lr, 0.0, np.inf, lo_open=True)
        self.weight_decay = _check("weight_decay", weight_decay, 0.0, np.inf)
        if clip_norm is not None:
            clip_norm = _check("clip_norm", clip_norm, 0.0, np.inf, lo_open=True)
        self.clip_norm = clip_norm
        if isinstance(schedule, dict):
            schedule = schedule_from_config(schedule)
        if schedule is not None and not isinstance(schedule, Schedule):
            raise TypeError(
                f"schedule must be an nn.optim.schedules.Schedule (e.g. CosineDecay(total=...)) or "
                f"None, got {schedule!r}"
            )
        self.schedule = schedule
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.iterations = 0

    def learning_rate(self) -> float:
        """The learning rate of the next step: ``lr * schedule(iterations)``."""
        if self.schedule is None:
            return self.lr
        return self.lr * self.schedule(self.iterations)

    def step(self, parameters: Iterable[ParamTriple]) -> None:
        """Update each ``param`` in place from its ``grad`` (the layers' grads are not changed)."""
        triples = list(parameters)
        if self.clip_norm is not None:
            # global norm, accumulated in float64 so a float32 gradient of 1e20 cannot overflow
            norm = np.sqrt(sum(float(np.vdot(g, g.astype(np.float64))) for _, _, g in triples))
            if np.isfinite(norm) and norm > self.clip_norm:
                scale = self.clip_norm / norm  # CLIP1: same direction, length clip_norm
                triples = [(k, p, g * g.dtype.type(scale)) for k, p, g in triples]
        if self.weight_decay:
            wd = self.weight_decay
            triples = [(k, p, g + wd * p if p.ndim >= 2 else g) for k, p, g in triples]
        lr = self.learning_rate()
        for key, param, grad in triples:
            self.update(key, param, grad, lr)
        self.iterations += 1

    def update(self, key: str, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        """This optimizer's rule: change ``param`` in place, keep state in ``self.state[key]``."""
        raise NotImplementedError

    def _slot(self, key: str, param: np.ndarray, *names: str) -> list[np.ndarray]:
        """The state arrays ``names`` of parameter ``key``, created as zeros on first use."""
        slots = self.state.get(key)
        if slots is None:
            slots = self.state[key] = {name: np.zeros_like(param) for name in names}
        return [slots[name] for name in names]

    def config(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this optimizer (JSON-compatible)."""
        return {
            "lr": self.lr,
            "weight_decay": self.weight_decay,
            "clip_norm": self.clip_norm,
            "schedule": None if self.schedule is None else self.schedule.config(),
        }

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly where this optimizer is (for checkpoints).

        Returns
        -------
        dict
            ``{"type": class name, "config": config(), "iterations": int,
            "state": {key: {name: array}}}``, the arrays copied; ``type`` is the name in
            :data:`nn.core.registry.OPTIMIZERS`.
        """
        return {
            "type": type(self).__name__,
            "config": self.config(),
            "state": {k: {n: a.copy() for n, a in s.items()} for k, s in self.state.items()},
            "iterations": self.iterations,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict`: its ``state`` and ``iterations``.

        The config is the constructor's business: build the optimizer with the saved
        ``config`` (or use :meth:`from_state_dict`), then load.

        Raises
        ------
        ValueError
            If ``state_dict`` names another optimizer class under ``type``.
        """
        kind = state_dict.get("type", type(self).__name__)
        if kind != type(self).__name__:
            raise ValueError(
                f"this state dict is for a {kind!r} optimizer and cannot be loaded into a "
                f"{type(self).__name__}; build a {kind} (Optimizer.from_state_dict does)"
            )
        self.state = {
            k: {n: np.array(a, copy=True) for n, a in s.items()}
            for k, s in state_dict["state"].items()
        }
        self.iterations = int(state_dict["iterations"])

    @staticmethod
    def from_state_dict(state_dict: dict[str, Any]) -> Optimizer:
        """A new optimizer of the saved class, restored from ``state_dict``."""
        cls = registry.lookup(registry.OPTIMIZERS, state_dict.get("type"), "optimizer")
        opt = cls(**state_dict["config"])
        opt.load_state_dict(state_dict)
        return opt

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (Nielsen ch. 3) or Nesterov momentum.

    * plain (``momentum=0``): ``w <- w - eta g``;
    * momentum: ``v <- mu v - eta g``, then ``w <- w + v``  (``v`` starts at 0);
    * Nesterov: the same ``v``, then ``w <- w + mu v - eta g``: the step looks ahead along
      the new velocity (Sutskever et al. 2013, in the form CS231n derives).

    Parameters
    ----------
    lr : float
        ``eta``: ``SGD(3.0)`` with mini-batches of 10 is the seed network's setting.
    momentum : float, default 0
        ``mu`` in [0, 1): how much of the previous velocity is kept (Nielsen's "friction"
        is ``1 - mu``).
    nesterov : bool, default False
        Use Nesterov's look-ahead; needs ``momentum > 0``.
    weight_decay, clip_norm, schedule
        See :class:`Optimizer`.

    State per parameter: ``"velocity"`` (only with momentum).
    """

    def __init__(
        self,
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        *,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
        schedule: Schedule | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(lr, weight_decay=weight_decay, clip_norm=clip_norm, schedule=schedule)
        self.momentum = _check("momentum", momentum, 0.0, 1.0)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0, e.g. SGD(lr, momentum=0.9, ...)")

    def update(self, key: str, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        if self.momentum == 0:
            param -= lr * grad  # in place: the layer keeps the same array object
            return
        mu = self.momentum
        (v,) = self._slot(key, param, "velocity")
        v *= mu
        v -= lr * grad  # v <- mu v - eta g
        if self.nesterov:
            param += mu * v - lr * grad
        else:
            param += v

    def config(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "nesterov": self.nesterov, **super().config()}


class RMSProp(Optimizer):
    """Divide each step by a running root-mean-square of recent gradients (Hinton, 2012).

    ``s <- rho s + (1 - rho) g^2``, then ``w <- w - eta g / (sqrt(s) + eps)``, elementwise,
    with ``s`` starting at 0. Every weight gets its own effective step size, large where
    gradients are small and small where they are large.

    Parameters
    ----------
    lr : float, default 0.001
    rho : float, default 0.9
        Decay of the running average, in [0, 1).
    eps : float, default 1e-8
        Keeps the division finite where ``s`` is 0.
    weight_decay, clip_norm, schedule
        See :class:`Optimizer`.

    State per parameter: ``"square_avg"`` (``s``).
    """

    def __init__(
        self,
        lr: float = 0.001,
        rho: float = 0.9,
        eps: float = 1e-8,
        *,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
        schedule: Schedule | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(lr, weight_decay=weight_decay, clip_norm=clip_norm, schedule=schedule)
        self.rho = _check("rho", rho, 0.0, 1.0)
        self.eps = _check("eps", eps, 0.0, np.inf, lo_open=True)

    def update(self, key: str, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        (s,) = self._slot(key, param, "square_avg")
        s *= self.rho
        s += (1.0 - self.rho) * (grad * grad)
        param -= lr * grad / (np.sqrt(s) + self.eps)

    def config(self) -> dict[str, Any]:
        return {"rho": self.rho, "eps": self.eps, **super().config()}


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015): momentum and RMSProp, with their zero start corrected.

    With ``t = iterations + 1`` (1 for the first step):
    ``m <- beta1 m + (1 - beta1) g``, ``v <- beta2 v + (1 - beta2) g^2``,
    ``m_hat = m / (1 - beta1^t)``, ``v_hat = v / (1 - beta2^t)``,
    ``w <- w - eta m_hat / (sqrt(v_hat) + eps)``. The corrections undo the bias of ``m`` and
    ``v`` towards their initial 0, so the first step is about ``eta`` in every coordinate.

    Parameters
    ----------
    lr : float, default 0.001
    beta1, beta2 : float, default 0.9 and 0.999
        Decays of the first and second moment averages, in [0, 1).
    eps : float, default 1e-8
    weight_decay, clip_norm, schedule
        See :class:`Optimizer` (the decay is L2 added to ``g``, not AdamW's).

    State per parameter: ``"m"`` and ``"v"``; the ``t`` of the corrections is
    :attr:`iterations`.
    """

    def __init__(
        self,
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        *,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
        schedule: Schedule | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(lr, weight_decay=weight_decay, clip_norm=clip_norm, schedule=schedule)
        self.beta1 = _check("beta1", beta1, 0.0, 1.0)
        self.beta2 = _check("beta2", beta2, 0.0, 1.0)
        self.eps = _check("eps", eps, 0.0, np.inf, lo_open=True)

    def update(self, key: str, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        b1, b2 = self.beta1, self.beta2
        t = self.iterations + 1
        m, v = self._slot(key, param, "m", "v")
        m *= b1
        m += (1.0 - b1) * grad
        v *= b2
        v += (1.0 - b2) * (grad * grad)
        m_hat = m / (1.0 - b1**t)
        v_hat = v / (1.0 - b2**t)
        param -= lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def config(self) -> dict[str, Any]:
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps, **super().config()}
