"""nn: neural networks built from scratch with NumPy, to read, run and check.

The training path of the seed network, top to bottom:

* :class:`Dense` (``layers.py``): ``z = x @ W + b``; backward fills ``dW`` (BP4), ``db`` (BP3).
* :class:`Sigmoid` (``activations.py``): ``a = sigmoid(z)``; backward multiplies by
  ``sigma'(z)`` (BP1, BP2).
* :class:`SquaredError` (``losses.py``): ``C = (1/n) sum 1/2 ||a - y||^2``, ``dC/da = (a - y)/n``.
* :class:`Network` (``network.py``): forward, the memoized backward walk, ``fit``.
* :class:`SGD` (``optimizers.py``): ``w <- w - eta dC/dw``.
"""

from nn import datasets, reference
from nn.activations import Sigmoid, sigmoid, sigmoid_prime, sigmoid_prime_from_output
from nn.callbacks import Callback
from nn.checkpoint import CheckpointError
from nn.gradcheck import GradCheckReport, check_gradients
from nn.layers import Dense, Layer
from nn.losses import Loss, SquaredError
from nn.mlp import mlp
from nn.network import History, Network
from nn.optimizers import SGD, Optimizer
from nn.safeguards import TrainingDiverged, TrainingInterrupted
from nn.serialize import ModelFileError, load, save

__version__ = "0.1.0"

__all__ = [
    "Callback",
    "CheckpointError",
    "Dense",
    "GradCheckReport",
    "History",
    "Layer",
    "Loss",
    "ModelFileError",
    "Network",
    "Optimizer",
    "SGD",
    "Sigmoid",
    "SquaredError",
    "TrainingDiverged",
    "TrainingInterrupted",
    "check_gradients",
    "datasets",
    "load",
    "mlp",
    "reference",
    "save",
    "sigmoid",
    "sigmoid_prime",
    "sigmoid_prime_from_output",
]
