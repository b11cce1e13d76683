"""nn: neural networks built from scratch with NumPy, to read, run and check.

The training path of the seed network, top to bottom:

* :class:`Dense` (``layers.py``): ``z = x @ W + b``; backward fills ``dW`` (BP4), ``db`` (BP3).
* :class:`Sigmoid` (``activations.py``): ``a = sigmoid(z)``; backward multiplies by
  ``sigma'(z)`` (BP1, BP2).
* :class:`SquaredError` (``losses.py``): ``C = (1/n) sum 1/2 ||a - y||^2``, ``dC/da = (a - y)/n``.
* :class:`Network` (``network.py``): forward, the memoized backward walk, ``fit``.
* :class:`SGD` (``optimizers.py``): ``w <- w - eta dC/dw``.
"""

from nn import datasets, preprocessing, reference, schedules
from nn.activations import (
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    identity,
    identity_prime,
    leaky_relu,
    leaky_relu_prime,
    log_softmax,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    sigmoid_prime_from_output,
    softmax,
    tanh,
    tanh_prime,
    tanh_prime_from_output,
)
from nn.callbacks import Callback, EarlyStopping
from nn.checkpoint import CheckpointError
from nn.diagnostics import Diagnostics
from nn.doctor import diagnose
from nn.dropout import Dropout
from nn.gradcheck import GradCheckReport, check_gradients
from nn.layers import Dense, Layer
from nn.losses import CategoricalCrossEntropy, CrossEntropy, Loss, SoftmaxCrossEntropy, SquaredError
from nn.mlp import mlp
from nn.network import History, Network
from nn.optimizers import SGD, Adam, Optimizer, RMSProp
from nn.preprocessing import MinMaxScaler, Standardizer
from nn.safeguards import TrainingDiverged, TrainingInterrupted
from nn.schedules import CosineDecay, StepDecay
from nn.serialize import ModelFileError, load, save

__version__ = "0.1.0"

__all__ = [
    "Adam",
    "Callback",
    "CategoricalCrossEntropy",
    "CheckpointError",
    "CosineDecay",
    "CrossEntropy",
    "Dense",
    "Diagnostics",
    "Dropout",
    "EarlyStopping",
    "GradCheckReport",
    "History",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Loss",
    "MinMaxScaler",
    "ModelFileError",
    "Network",
    "Optimizer",
    "RMSProp",
    "ReLU",
    "SGD",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "SquaredError",
    "Standardizer",
    "StepDecay",
    "Tanh",
    "TrainingDiverged",
    "TrainingInterrupted",
    "check_gradients",
    "datasets",
    "diagnose",
    "identity",
    "identity_prime",
    "leaky_relu",
    "leaky_relu_prime",
    "load",
    "log_softmax",
    "mlp",
    "preprocessing",
    "reference",
    "relu",
    "relu_prime",
    "save",
    "schedules",
    "sigmoid",
    "sigmoid_prime",
    "sigmoid_prime_from_output",
    "softmax",
    "tanh",
    "tanh_prime",
    "tanh_prime_from_output",
]
