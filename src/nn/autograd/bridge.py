"""A :class:`nn.Network` run through the engines: a third opinion on its gradients.

:func:`engine_gradients` rebuilds the network's forward pass and loss from
:class:`~nn.autograd.tensor.Tensor` operations (the rules of :mod:`nn.autograd.rules`), on
float64 copies of its parameters, calls ``backward`` on the loss, and returns the gradient of
every parameter, keyed as :meth:`nn.Network.parameters` keys them (``"0.W"``, ``"0.b"``,
``"2.W"``, ...), and of the input, under ``"X"``. None of the layers' ``backward`` methods
runs: the two routes share the forward formulas and nothing else, so where they agree to
1e-12 the hand-derived backward passes are right, exactly and at any size (finite
differences can only say "to about 1e-7", and cost two forward passes per weight).

:func:`scalar_gradients` does the same with the scalar engine, one Value per number: slow,
but the whole computation can be read (or printed) one multiplication at a time.

A random layer (``is_random``, such as ``Dropout``) is replayed, not redrawn: the engine uses
the mask the layer's last training forward pass drew. Call ``network.gradients(X, Y)`` first,
as a comparison does anyway; the network itself is never modified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.autograd.rules import layer_rule, loss_rule
from nn.autograd.scalar import Value
from nn.autograd.scalar_net import leaves
from nn.autograd.tensor import Tensor

if TYPE_CHECKING:
    from nn.core.network import Network

__all__ = ["EngineRun", "engine_gradients", "engine_run", "scalar_gradients"]

#: The key of the input's gradient in what :func:`engine_gradients` returns.
INPUT_KEY = "X"


@dataclass
class EngineRun:
    """A network's forward pass as a graph of Tensors (after ``loss.backward()``: with grads).

    Attributes
    ----------
    inputs : Tensor of shape (batch, n_in)
    params : dict of str to Tensor
        A float64 leaf per parameter, keyed like ``Network.parameters()``.
    outputs : Tensor of shape (batch, n_out)
        The last layer's output (logits for a loss with ``takes_logits``).
    loss : Tensor of shape ()
        The cost of the batch.
    layer_outputs : list of Tensor
        Each layer's output, the last one ``outputs`` (a layer that passes its input on
        unchanged, such as ``Identity``, gives its input itself).
    """

    inputs: Tensor
    params: dict[str, Tensor]
    outputs: Tensor
    loss: Tensor
    layer_outputs: list[Tensor] = field(default_factory=list)


def engine_run(network: Network, X: np.ndarray, Y: np.ndarray) -> EngineRun:
    """Build the graph of ``network``'s loss on ``(X, Y)`` in the tensor engine (no backward).

    Parameters
    ----------
    network : Network
        Its layers and loss must have rules in :mod:`nn.autograd.rules`.
    X : ndarray of shape (batch, n_in)
    Y : ndarray of shape (batch, n_out), or (batch,) class labels

    Returns
    -------
    EngineRun

    Raises
    ------
    nn.autograd.rules.NoRuleError
        For a layer or loss the engine does not know.
    ValueError
        For a random layer with nothing to replay (see the module docstring).
    """
    X = network.checked_inputs(X)  # the checks and conversions of Network.gradients
    T = np.asarray(network.checked_targets(Y, len(X)), dtype=np.float64)
    inputs = Tensor(X, label=INPUT_KEY)
    params = {key: Tensor(p, label=key) for key, p, _ in network.parameters()}
    a, layer_outputs = inputs, []
    for i, layer in enumerate(network.layers):
        own = {name: params[f"{i}.{name}"] for name in layer.params}
        a = layer_rule(layer, i).tensor(layer, a, own)
        layer_outputs.append(a)
    return EngineRun(inputs, params, a, loss_rule(network.loss).tensor(a, T), layer_outputs)


def engine_gradients(network: Network, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """The gradients of ``network``'s loss on ``(X, Y)``, found by the tensor engine.

    Parameters
    ----------
    network : Network
        Left untouched; its parameters are copied to float64.
    X : ndarray of shape (batch, n_in)
    Y : ndarray of shape (batch, n_out), or (batch,) class labels

    Returns
    -------
    dict of str to ndarray (float64)
        ``dC/dparam`` under each key of ``network.parameters()`` (``"0.W"`` of shape
        ``(n_in, n_out)``, ...), in that order, then ``dC/dX`` of shape (batch, n_in) under
        ``"X"``.
    """
    run = engine_run(network, X, Y)
    run.loss.backward()
    grads = {key: t.grad for key, t in run.params.items()}
    grads[INPUT_KEY] = run.inputs.grad
    return grads  # type: ignore[return-value]


def scalar_gradients(network: Network, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """The same as :func:`engine_gradients`, by the scalar engine: one Value per number.

    Slow (a node per multiplication, in Python), so for small networks and batches.
    """
    X = network.checked_inputs(X)
    T = np.asarray(network.checked_targets(Y, len(X)), dtype=np.float64).tolist()
    x = leaves(np.asarray(X, dtype=np.float64).tolist())
    params: dict[str, Any] = {key: _as_values(p.tolist()) for key, p, _ in network.parameters()}
    a = x
    for i, layer in enumerate(network.layers):
        own = {name: params[f"{i}.{name}"] for name in layer.params}
        a = layer_rule(layer, i).scalar(layer, a, own)
    loss_rule(network.loss).scalar(a, T).backward()
    grads = {key: np.array(_grads_of(v)) for key, v in params.items()}
    grads[INPUT_KEY] = np.array(_grads_of(x))
    return grads


def _as_values(nested: Any) -> Any:
    """Floats, lists of floats, lists of lists ... as the same nesting of leaf Values."""
    if isinstance(nested, list):
        return [_as_values(v) for v in nested]
    return Value(nested)


def _grads_of(nested: Any) -> Any:
    if isinstance(nested, list):
        return [_grads_of(v) for v in nested]
    return nested.grad
