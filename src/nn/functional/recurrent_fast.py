"""The fast twin of :mod:`nn.functional.recurrent`: the same arithmetic, fewer and larger calls.

Read :mod:`nn.functional.recurrent` first; the fast twin computes the same numbers (tests hold
them equal) with the tricks that make NumPy fast on sequences. The plain RNN is here, the LSTM
in :mod:`~nn.functional.recurrent_fast_lstm`, the GRU in :mod:`~nn.functional.recurrent_fast_gru`,
and what those two share in :mod:`~nn.functional.recurrent_fast_shared`.

* **Every input step in one product.** ``x_t Wx + b`` does not depend on the state, so it is
  computed for all ``T`` steps at once, ``(T * batch, n_in) @ (n_in, G * H)``, before the loop.
  Only ``h_{t-1} Wh`` must wait for the previous step. (The gated cells fold ``b`` in as one
  more row of ``Wx`` against a column of ones.)
* **Fused gates.** The ``G`` gates of a step come from one product with ``Wh`` (``(H, G * H)``),
  and the weight gradients are products over all steps *after* the loop: ``dWx = X^T dA``
  and ``dWh = H_prev^T dA`` with ``dA`` the pre-activation gradients of every step stacked
  (for the gated cells ``[X, 1, H_prev]^T dA``, all three with ``db`` in one). Inside the
  loop only what depends on the previous iteration is left: a product and a few elementwise
  operations per step.
* **Gate-major** (LSTM, GRU). A step's gates are kept as ``(G, batch, H)``, so every pass over
  a gate is a pass over one contiguous array, never ``batch`` short rows of a wider one, which
  NumPy pays for row by row.
* **One tanh for all gates.** ``sigmoid(a) = 0.5 + 0.5 tanh(a / 2)``, so with the sigmoid
  gates' weights halved once per call, one ``tanh`` over the step's gates and one
  multiply-add give every gate.
* **Products in column blocks.** OpenBLAS computes the small products of a step faster in
  blocks of 64 columns than in one (:data:`~nn.functional.recurrent_fast_shared.PRODUCT_COLUMNS`).
* **Derivatives before the loop.** Every factor of the backward step that does not depend on
  the incoming gradient (``1 - h^2``, ``s (1 - s)`` of each gate, ...) is computed for a block
  of steps at once before the loop walks those steps, so the loop is a handful of calls per
  step, and the block (:data:`~nn.functional.recurrent_fast_shared.BLOCK_FLOATS`) is small
  enough to be read back from the cache.
* **Time-major buffers, reused.** Inside, sequences are ``(T, batch, features)``, so the
  arrays of one step are contiguous, and scratch arrays live in a :class:`Workspace` kept by
  the layer, allocated once and reused every call (what is returned is always fresh).

The functions take ``x`` time-major, ``(T, batch, n_in)``, and return the hidden states
time-major with the initial one in front, ``hs`` of shape ``(T + 1, batch, H)``: ``hs[t + 1]``
is ``h_t`` of the readable version and ``hs[0]`` the initial state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.functional.recurrent_fast_gru import gru_backward, gru_forward
from nn.functional.recurrent_fast_lstm import lstm_backward, lstm_forward
from nn.functional.recurrent_fast_shared import Workspace, norms

__all__ = ["FORWARD", "BACKWARD", "Workspace"]

Params = dict[str, np.ndarray]
State = tuple[np.ndarray, ...]


def _project_inputs(x: np.ndarray, Wx: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out[t] = x[t] Wx + b`` for every step at once: one product for the whole sequence."""
    T, B, D = x.shape
    np.matmul(x.reshape(T * B, D), Wx, out=out.reshape(T * B, -1))
    out += b


def _weight_grads(x, h_prev, dA, p, grads, need_dx):
    """``dWx = X^T dA``, ``dWh = H_prev^T dA``, ``db`` (BPTT4), ``dx = dA Wx^T``: every step."""
    T, B, D = x.shape
    dA2 = dA.reshape(T * B, -1)
    np.matmul(x.reshape(T * B, D).T, dA2, out=grads["Wx"])
    np.matmul(h_prev.reshape(T * B, -1).T, dA2, out=grads["Wh"])
    dA2.sum(axis=0, out=grads["b"])
    return (dA2 @ p["Wx"].T).reshape(T, B, D) if need_dx else None


# ---------------------------------------------------------------------------- vanilla RNN
def rnn_forward(x: np.ndarray, state0: State, p: Params, ws: Workspace) -> tuple[Any, State]:
    """All steps of ``h_t = tanh(x_t Wx + h_{t-1} Wh + b)`` (RNN1); ``x`` is (T, batch, n_in)."""
    T, B, _ = x.shape
    x = np.ascontiguousarray(x)  # each step's rows contiguous: the products read it twice
    Wh = p["Wh"]
    hs = np.empty((T + 1, B, Wh.shape[0]), dtype=Wh.dtype)  # h_0 .. h_T, returned: fresh
    hs[0] = state0[0]
    _project_inputs(x, p["Wx"], p["b"], hs[1:])
    hWh = ws.get("hWh", hs[0].shape, Wh.dtype)
    for t in range(T):
        np.matmul(hs[t], Wh, out=hWh)  # the only product that must wait for h_{t-1}
        hs[t + 1] += hWh
        np.tanh(hs[t + 1], out=hs[t + 1])
    return (hs, x), (hs[T],)


def rnn_backward(dh_out, dstate, cache, p, grads, ws, need_dx=True):
    """BPTT for :func:`rnn_forward`; ``dh_out`` is (T, batch, H), ``dstate`` the final state's.

    Returns ``dx`` (T, batch, n_in) or None, ``(dh_0,)``, and ``||dC/dh_t||`` per step.
    """
    hs, x = cache
    T = len(hs) - 1
    dz = ws.get("dz", dh_out.shape, hs.dtype)
    np.square(hs[1:], out=dz)
    np.subtract(1, dz, out=dz)  # tanh'(z_t) = 1 - h_t^2 for every step, before the loop
    dh = ws.get("dh", dh_out.shape, hs.dtype)
    dh_next = dstate[0].copy()
    Wh_T = ws.transposed(p["Wh"])
    for t in reversed(range(T)):
        np.add(dh_out[t], dh_next, out=dh[t])  # BPTT1
        np.multiply(dh[t], dz[t], out=dz[t])  # BPTT2
        np.matmul(dz[t], Wh_T, out=dh_next)  # BPTT3
    dx = _weight_grads(x, hs[:-1], dz, p, grads, need_dx)
    return dx, (dh_next,), norms(dh)


#: cell name -> its fast forward and backward.
FORWARD = {"rnn": rnn_forward, "lstm": lstm_forward, "gru": gru_forward}
BACKWARD = {"rnn": rnn_backward, "lstm": lstm_backward, "gru": gru_backward}
