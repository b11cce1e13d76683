"""Slow, readable twins of backprop, to check it and to measure why it is fast.

Five routes to the same gradient of the same network (``Dense`` + sigmoid layers of any
depth, squared-error loss averaged over the batch, as ``nn.mlp(sizes)`` builds it), from the
slowest to the fastest:

=========================================  ===========================  ==================
route                                      module                       work per example
=========================================  ===========================  ==================
finite differences, one weight at a time   :mod:`.finite_differences`   ~ 2 W^2
chain rule per weight, nothing remembered  :mod:`.chain_rule`           paths to the output
backprop (memoized deltas), pure Python    :mod:`.backprop`             ~ 3 W
backprop per example, NumPy                :mod:`.numpy_routes`         ~ 3 W
backprop on the whole mini-batch, NumPy    :mod:`.numpy_routes`         ~ 3 W
=========================================  ===========================  ==================

The first three work on plain lists and floats and never import NumPy (a test checks), so
the step from the chain rule to backprop is the algorithm alone (memoizing the deltas), and
the step from pure-Python backprop to NumPy is the machinery alone. :func:`from_network`
and :func:`to_network` convert between an ``nn.Network`` and their lists. ``nn bench
backprop`` (:mod:`.bench`) times all five; ``docs/why-backprop-is-fast.md`` explains the
results.
"""

from nn.reference.backprop import backprop_gradients
from nn.reference.chain_rule import chain_rule_gradients
from nn.reference.convert import as_arrays, from_network, network_sizes, to_network
from nn.reference.finite_differences import finite_difference_gradients
from nn.reference.numpy_routes import matrix_gradients, per_example_gradients
from nn.reference.plain import Params, forward, loss

__all__ = [
    "Params",
    "as_arrays",
    "backprop_gradients",
    "chain_rule_gradients",
    "finite_difference_gradients",
    "forward",
    "from_network",
    "loss",
    "matrix_gradients",
    "network_sizes",
    "per_example_gradients",
    "to_network",
]
