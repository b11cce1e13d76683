"""The gradients being checked: one pass of backprop through the layers' own ``backward``.

:func:`check_gradients` runs it on its float64 copy of the network, whichever reference it
compares with. It fills every layer's ``grads`` (the parameters' gradients) and keeps what a
reference needs besides: the loss, the gradient handed to each layer's ``backward``, the
gradient with respect to the input, and the size of the quantities the loss is computed from
(the finite differences' round-off floor, :mod:`nn.check.finite_differences`).

A random layer (``is_random``, e.g. dropout) draws from its generator in every forward pass;
:class:`Replay` rewinds the generators, so the finite differences compare the same function
and the autograd engine replays the same mask.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nn.core.layer import Layer
    from nn.core.network import Network

__all__ = ["BackpropPass", "Replay", "backprop_pass", "quiet", "refuse_not_finite"]


def quiet() -> np.errstate:
    """Overflow and NaN are reported as entries that are not finite, not as warnings."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


class Replay:
    """The generators of the random layers (``is_random``, e.g. dropout), rewound at will.

    Such a layer must draw the same numbers in every evaluation, or the finite differences
    would compare different functions: each generator is set back to the state saved here
    before every forward pass (of the copy only).
    """

    def __init__(self, layers: list[Layer]) -> None:
        self.generators = [layer.rng for layer in layers if getattr(layer, "is_random", False)]
        self.states = [copy.deepcopy(g.bit_generator.state) for g in self.generators]

    def rewind(self) -> None:
        for generator, state in zip(self.generators, self.states):
            generator.bit_generator.state = state


def refuse_not_finite(net: Network, loss: float | None = None) -> None:
    """Raise if a parameter, or the loss, is inf or NaN: then there is no slope to measure."""
    bad = [
        f"{i}.{name} ({int(np.count_nonzero(~np.isfinite(p)))} of {p.size} entries)"
        for i, layer in enumerate(net.layers)
        for name, p in layer.params.items()
        if not np.isfinite(p).all()
    ]
    if bad:
        raise ValueError(
            f"check_gradients: parameters not finite: {', '.join(bad)}: the check cannot run "
            "(a nudge of eps leaves inf where it was); give them finite values"
        )
    if loss is not None and not np.isfinite(loss):
        raise ValueError(
            f"check_gradients: the network's loss at these weights is {loss}: the check cannot "
            "run (finite differences of a non-finite loss mean nothing); look for overflow in "
            "the forward pass on this batch, or outputs the loss cannot take"
        )


@dataclass
class BackpropPass:
    """What one backprop pass gave, besides the ``grads`` it left in every layer."""

    value: float  # the loss C
    # |C| + sum over layers of sum |y . dC/dy|, y each layer's output: the scale of the
    # round-off of a loss computed from them (nn.check.finite_differences)
    scale: float
    douts: list[np.ndarray]  # dC/dy handed to each layer's backward, (batch, its n_out)
    dX: np.ndarray  # (batch, n_in): what the first layer's backward returned


def backprop_pass(net: Network, X: np.ndarray, T: np.ndarray, replay: Replay) -> BackpropPass:
    """Backprop as ``Network.backward`` does, filling every layer's ``grads``.

    Parameters
    ----------
    net : Network
        The check's float64 copy.
    X : ndarray of shape (batch, n_in)
    T : ndarray of shape (batch, n_out)
    replay : Replay
        Rewound first: the same draws as every later forward pass.

    Returns
    -------
    BackpropPass

    Notes
    -----
    A loss computed from ``y`` rounded to float64 is off by about ``eps_64 * |y . dC/dy|``:
    the round-off floor is at the scale of the O(1) quantities, not of the loss (-log(a)
    rounds a near 1 at 1e-16 even when the loss is 1e-8). Terms a broken backward made inf
    or NaN are left out of ``scale`` (those entries are mismatches anyway).
    """
    replay.rewind()
    outputs = [X]
    douts = []
    with quiet():
        for layer in net.layers:
            outputs.append(layer.forward(outputs[-1], training=True))
        outputs = outputs[1:]
        value = net.loss.value(outputs[-1], T)
        refuse_not_finite(net, value)
        d = net.loss.gradient(outputs[-1], T)
        scale = abs(value)
        for layer, y in zip(reversed(net.layers), reversed(outputs)):
            terms = np.abs(y * d)
            scale += float(terms[np.isfinite(terms)].sum())
            douts.append(np.array(d, copy=True))  # as handed on, should backward write to it
            d = layer.backward(d)
    return BackpropPass(value=value, scale=scale, douts=douts[::-1], dX=d)
