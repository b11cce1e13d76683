"""The recurrent layers, Embedding, TimeDense and the sequence loss in the tensor engine.

Each rule is the layer's forward pass written in :class:`~nn.autograd.tensor.Tensor`
operations, one time step at a time, exactly as :mod:`nn.functional.recurrent` writes it; the
engine then finds backpropagation through time on its own (its walk over the unrolled graph
*is* BPTT), with no line of the layers' hand-written backward passes shared.
``tests/test_third_opinion_recurrent.py`` holds the two equal to 1e-12.

The scalar engine works on rows ``(batch, n)`` of Values; sequences ``(batch, T, n)`` are not
rows, so these layers have no scalar rule (the table in :mod:`nn.autograd.rules` says so).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.autograd import functions as F
from nn.autograd.tensor import Tensor, stack

__all__ = [
    "embedding",
    "gru",
    "lstm",
    "rnn",
    "sequence_cross_entropy",
    "time_dense",
]

P = dict[str, Tensor]


def embedding(layer: Any, x: Tensor, p: P) -> Tensor:
    """Rows of ``W`` picked by the ids: indexing, whose gradient adds into the rows picked."""
    return p["W"][x.data.astype(np.intp)]


def time_dense(layer: Any, x: Tensor, p: P) -> Tensor:
    """``x @ W + b`` at every step: ``@`` broadcasts over the batch and time axes."""
    return x @ p["W"] + p["b"]


def _start(layer: Any, batch: int) -> list[np.ndarray]:
    """The initial state as constants: zeros, or the layer's ``initial_state``."""
    if layer.initial_state is None:
        return [np.zeros((batch, layer.n_hidden)) for _ in range(layer.n_states)]
    return [np.asarray(s, dtype=np.float64) for s in layer.initial_state]


def _output(layer: Any, hs: list[Tensor]) -> Tensor:
    return stack(hs, axis=1) if layer.return_sequences else hs[-1]


def rnn(layer: Any, x: Tensor, p: P) -> Tensor:
    """``h_t = tanh(x_t Wx + h_{t-1} Wh + b)``, step after step (RNN1)."""
    (h,) = _start(layer, x.shape[0])
    hs = []
    for t in range(x.shape[1]):
        h = (x[:, t] @ p["Wx"] + h @ p["Wh"] + p["b"]).tanh()
        hs.append(h)
    return _output(layer, hs)


def lstm(layer: Any, x: Tensor, p: P) -> Tensor:
    """The LSTM step (LSTM1, LSTM2), gates i, f, g, o."""
    h, c = _start(layer, x.shape[0])
    H = layer.n_hidden
    hs = []
    for t in range(x.shape[1]):
        a = x[:, t] @ p["Wx"] + h @ p["Wh"] + p["b"]
        i, f = a[:, :H].sigmoid(), a[:, H : 2 * H].sigmoid()
        g, o = a[:, 2 * H : 3 * H].tanh(), a[:, 3 * H :].sigmoid()
        c = f * c + i * g
        h = o * c.tanh()
        hs.append(h)
    return _output(layer, hs)


def gru(layer: Any, x: Tensor, p: P) -> Tensor:
    """The GRU step (GRU1, GRU2), gates r, z, n, the reset gate on ``h Wh_n + bh``."""
    (h,) = _start(layer, x.shape[0])
    H = layer.n_hidden
    hs = []
    for t in range(x.shape[1]):
        ax = x[:, t] @ p["Wx"] + p["b"]
        ah = h @ p["Wh"]
        r = (ax[:, :H] + ah[:, :H]).sigmoid()
        z = (ax[:, H : 2 * H] + ah[:, H : 2 * H]).sigmoid()
        n = (ax[:, 2 * H :] + r * (ah[:, 2 * H :] + p["bh"])).tanh()
        h = (1.0 - z) * n + z * h
        hs.append(h)
    return _output(layer, hs)


def sequence_cross_entropy(z: Tensor, y: np.ndarray) -> Tensor:
    """``-(1/N) sum y log_softmax(z)``, ``N = sum y`` (the real steps): SequenceCrossEntropy."""
    return -(y * F.log_softmax(z)).sum() / max(float(y.sum()), 1.0)
