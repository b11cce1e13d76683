"""Shared helpers for the tests: finite differences in float64; Ctrl-C as a terminal sends it."""

from __future__ import annotations

import signal
from collections.abc import Callable

import numpy as np

import nn


def pytest_configure(config) -> None:
    """Give the tests Python's own Ctrl-C handler even when the suite was started in the
    background by a non-interactive shell (`pytest &` in a script, nohup), which starts it
    with SIGINT ignored: the tests that send SIGINT to themselves check what a user at a
    terminal gets."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def numeric_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    """Finite differences of the scalar ``f()`` with respect to ``x`` (nudged in place).

    The fourth-order centered stencil, error O(eps^4), so errors near 1e-10 are visible.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        vals = []
        for k in (2, 1, -1, -2):
            flat[j] = old + k * eps
            vals.append(f())
        flat[j] = old
        gflat[j] = (-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * eps)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """CS231n's relative error: max |a - b| / max(|a| + |b|, 1e-8)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float((np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)).max(initial=0.0))


def check_layer(layer, x: np.ndarray, rng: np.random.Generator, tol: float = 1e-7) -> None:
    """Gradient-check one layer's backward with a random upstream gradient G.

    The scalar is L = sum(forward(x) * G), so dL/dy = G is what backward receives.
    """
    G = rng.standard_normal(layer.forward(x, training=True).shape)

    def f() -> float:
        return float(np.sum(layer.forward(x, training=True) * G))

    layer.forward(x, training=True)
    dx = layer.backward(G)
    analytic = {name: g.copy() for name, g in layer.grads.items()}
    assert dx.shape == x.shape
    assert rel_error(dx, numeric_gradient(f, x)) < tol
    for name, param in layer.params.items():
        assert analytic[name].shape == param.shape
        assert rel_error(analytic[name], numeric_gradient(f, param)) < tol, name


class InterruptAt(nn.Callback):
    """A Ctrl-C (KeyboardInterrupt) at the end of training step ``step``, as a user's."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, network, epoch, step, loss):
        if step == self.step:
            raise KeyboardInterrupt
