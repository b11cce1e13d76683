"""Automatic differentiation: backprop as a walk over the graph of any computation.

Two engines, each small enough to read in one sitting:

* :mod:`nn.autograd.scalar`: :class:`Value`, one Python float per node, no NumPy; with
  :mod:`nn.autograd.scalar_net` (dense layers, activations, losses, an MLP and a training
  loop on Values) and :mod:`nn.autograd.draw` (the graph as a table of values and grads);
* :mod:`nn.autograd.tensor`: :class:`Tensor`, one NumPy array per node, with broadcasting;
  softmax and the losses in :mod:`nn.autograd.functions`.

And a bridge to the library (:mod:`nn.autograd.bridge`): :func:`engine_gradients` runs an
:class:`nn.Network` through the tensor engine and returns every gradient, a third opinion
beside the layers' hand-written backward passes and finite differences.
:mod:`nn.autograd.rules` is the one table that says how each layer and loss computes its
output. docs/autograd.md derives reverse-mode differentiation as the same dynamic programming
as BP1 to BP4.

``import nn`` does not load this package; ``nn.autograd`` loads it on first use.
"""

from nn.autograd.bridge import EngineRun, engine_gradients, engine_run, scalar_gradients
from nn.autograd.rules import LAYER_RULES, LOSS_RULES, NoRuleError
from nn.autograd.scalar import Value
from nn.autograd.tensor import Tensor

__all__ = [
    "LAYER_RULES",
    "LOSS_RULES",
    "EngineRun",
    "NoRuleError",
    "Tensor",
    "Value",
    "engine_gradients",
    "engine_run",
    "scalar_gradients",
]
