"""nn: neural networks built from scratch with NumPy, to read, run and check.

The training path of the seed network, top to bottom:

* :class:`Dense` (``layers/dense.py``): ``z = x @ W + b``; backward fills ``dW`` (BP4) and
  ``db`` (BP3) and hands ``delta @ W.T`` down (BP2's first half).
* :class:`Sigmoid` (``layers/activations.py``, the math in ``functional/activations.py``):
  ``a = sigmoid(z)``; backward multiplies by ``sigma'(z)`` (BP1, BP2's second half).
* :class:`SquaredError` (``losses.py``): ``C = (1/n) sum 1/2 ||a - y||^2``, ``dC/da = (a - y)/n``.
* :class:`Network` (``core/network.py``): forward, the memoized backward walk, one training step.
* :class:`SGD` (``optim/optimizers.py``): ``w <- w - eta dC/dw``.
* :func:`nn.train.fit` (``train/loop.py``): the loop of epochs and mini-batches around the step.

The folders are the architecture: ``core`` (the protocol: Layer, Loss, Network, input checks,
names), ``functional`` (the math as plain functions), ``layers``, ``losses.py``, ``optim``,
``models`` (builders such as ``mlp``), ``train`` (the loop, callbacks, safeguards,
checkpoints), ``io`` (files), ``check`` (gradient checking), ``diagnostics`` (measurements and
the doctor), ``reference`` (slow twins without NumPy), ``bench`` (timing them), ``datasets``,
``book`` (Nielsen's ``network.py`` and ``mnist_loader.py`` over the rest), ``cli``. Imports
point one way, down this list; the heavy parts (the doctor, plots, the slow references, the
downloaders, the book's API, the command line) load only when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

from nn import preprocessing
from nn.check.gradcheck import GradCheckReport, check_gradients
from nn.core.layer import Layer
from nn.core.loss import Loss
from nn.core.network import History, Network
from nn.diagnostics.measure import Diagnostics
from nn.functional.activations import (
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
from nn.io.model_file import load, save
from nn.io.npz import ModelFileError
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.conv import Conv2D
from nn.layers.dense import Dense
from nn.layers.dropout import Dropout
from nn.layers.embedding import Embedding
from nn.layers.normalization import BatchNorm
from nn.layers.pooling import AvgPool2D, MaxPool2D
from nn.layers.recurrent import GRU, LSTM, RNN
from nn.layers.reshape import Flatten
from nn.layers.time_dense import TimeDense
from nn.losses import CategoricalCrossEntropy, CrossEntropy, SoftmaxCrossEntropy, SquaredError
from nn.losses_sequence import SequenceCrossEntropy
from nn.models.char_rnn import char_rnn
from nn.models.cnn import cnn
from nn.models.mlp import mlp
from nn.optim import schedules
from nn.optim.optimizers import SGD, Adam, Optimizer, RMSProp
from nn.optim.schedules import CosineDecay, StepDecay
from nn.preprocessing import MinMaxScaler, Standardizer
from nn.train.callbacks import Callback, EarlyStopping
from nn.train.checkpoint import CheckpointError
from nn.train.safeguards import TrainingDiverged, TrainingInterrupted
from nn.version import __version__ as __version__

#: Public names whose modules load on first use: ``nn.diagnose`` runs the doctor (and its
#: experiments), ``nn.datasets`` may download, ``nn.reference`` holds the slow twins.
_LAZY = {
    "autograd": ("nn.autograd", None),
    "datasets": ("nn.datasets", None),
    "diagnose": ("nn.diagnostics.doctor", "diagnose"),
    "plots": ("nn.diagnostics.plots", None),
    "reference": ("nn.reference", None),
}


def __getattr__(name: str) -> Any:
    """Load a lazy public name (see ``_LAZY``) the first time it is used."""
    if name not in _LAZY:
        raise AttributeError(f"module 'nn' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Adam",
    "AvgPool2D",
    "BatchNorm",
    "Callback",
    "CategoricalCrossEntropy",
    "CheckpointError",
    "Conv2D",
    "CosineDecay",
    "CrossEntropy",
    "Dense",
    "Diagnostics",
    "Dropout",
    "EarlyStopping",
    "Embedding",
    "GRU",
    "Flatten",
    "GradCheckReport",
    "History",
    "Identity",
    "LSTM",
    "Layer",
    "LeakyReLU",
    "Loss",
    "MaxPool2D",
    "MinMaxScaler",
    "ModelFileError",
    "Network",
    "Optimizer",
    "RMSProp",
    "RNN",
    "ReLU",
    "SGD",
    "SequenceCrossEntropy",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "SquaredError",
    "Standardizer",
    "StepDecay",
    "Tanh",
    "TimeDense",
    "TrainingDiverged",
    "TrainingInterrupted",
    "char_rnn",
    "check_gradients",
    "cnn",
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
