"""Recurrent cells as plain functions: one time step forward and back, and the loop over time.

This is the readable version, the one docs/recurrent.md derives and quotes: each cell is a pair

* ``<cell>_step_forward(x, state, params) -> (state', cache)``: one time step on a batch,
* ``<cell>_step_backward(dstate', cache) -> (dx, dstate, dparams)``: that step's gradients,

and :func:`sequence_forward` / :func:`sequence_backward` run any of them over a sequence.
``sequence_backward`` is backpropagation through time (BPTT): the walk of ``Network.backward``
(BP1 to BP4) over the unrolled network, one step at a time from the last, where the gradient at
``h_t`` adds what the output at ``t`` sends down to what step ``t + 1`` sends back (BPTT1), and
the weights, shared by every step, add up their gradients over the steps (BPTT4).

The fast version of the same arithmetic, which the layers of :mod:`nn.layers.recurrent` run,
is :mod:`nn.functional.recurrent_fast`; tests hold the two equal, and the pure-Python twin in
:mod:`nn.reference.recurrent` to both.

Shapes, batch-first as everywhere in the package: ``x`` of one step is ``(batch, n_in)``, a
state ``(batch, n_hidden)``, a sequence ``(batch, T, n_in)``. Weights act on rows:
``Wx`` is ``(n_in, G * n_hidden)``, ``Wh`` is ``(n_hidden, G * n_hidden)``, ``b`` is
``(G * n_hidden,)``, with the ``G`` gates side by side in the columns (``G`` is 1 for the plain
RNN, 4 for the LSTM in the order ``i, f, g, o``, 3 for the GRU in the order ``r, z, n``: the
orders of PyTorch, so weights can be compared with it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nn.functional.activations import sigmoid

__all__ = [
    "CELLS",
    "gru_step_backward",
    "gru_step_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "sequence_backward",
    "sequence_forward",
]

State = tuple[np.ndarray, ...]
Params = dict[str, np.ndarray]


# ---------------------------------------------------------------------------- vanilla RNN
def rnn_step_forward(x: np.ndarray, state: State, p: Params) -> tuple[State, tuple]:
    """One step of the tanh RNN: ``h_t = tanh(x_t Wx + h_{t-1} Wh + b)`` (RNN1).

    Parameters
    ----------
    x : ndarray of shape (batch, n_in)
    state : (h_prev,), h_prev of shape (batch, n_hidden)
    p : dict with ``Wx`` (n_in, n_hidden), ``Wh`` (n_hidden, n_hidden), ``b`` (n_hidden,)

    Returns
    -------
    (h,) : the new state, h of shape (batch, n_hidden)
    cache : what :func:`rnn_step_backward` needs
    """
    (h_prev,) = state
    z = x @ p["Wx"] + h_prev @ p["Wh"] + p["b"]  # (batch, n_hidden)  RNN1
    h = np.tanh(z)
    return (h,), (x, h_prev, h, p)


def rnn_step_backward(dstate: State, cache: tuple) -> tuple[np.ndarray, State, Params]:
    """Gradients of one RNN step, given ``dh = dC/dh_t`` (both of its paths, BPTT1).

    Returns
    -------
    dx : ndarray of shape (batch, n_in)
    (dh_prev,) : ``dC/dh_{t-1}`` through this step, shape (batch, n_hidden)
    grads : dict with ``Wx``, ``Wh``, ``b``: this step's share of their gradients
    """
    (dh,) = dstate
    x, h_prev, h, p = cache
    dz = dh * (1 - h**2)  # BPTT2: tanh'(z) = 1 - tanh(z)^2, from the output h
    grads = {"Wx": x.T @ dz, "Wh": h_prev.T @ dz, "b": dz.sum(axis=0)}  # BPTT4, one step
    dx = dz @ p["Wx"].T
    dh_prev = dz @ p["Wh"].T  # BPTT3: (dh_t/dh_{t-1})^T dh = Wh diag(tanh') dh, in row form
    return dx, (dh_prev,), grads


# ---------------------------------------------------------------------------- LSTM
def lstm_step_forward(x: np.ndarray, state: State, p: Params) -> tuple[State, tuple]:
    """One LSTM step (Hochreiter and Schmidhuber 1997, with the forget gate of Gers et al.).

    ``[i, f, g, o] = x_t Wx + h_{t-1} Wh + b`` split in four, then (LSTM1, LSTM2)::

        i, f, o = sigmoid(.)        g = tanh(.)
        c_t = f * c_{t-1} + i * g   h_t = o * tanh(c_t)

    Parameters
    ----------
    x : ndarray of shape (batch, n_in)
    state : (h_prev, c_prev), each of shape (batch, n_hidden)
    p : dict with ``Wx`` (n_in, 4H), ``Wh`` (H, 4H), ``b`` (4H,)

    Returns
    -------
    (h, c) : the new state
    cache : what :func:`lstm_step_backward` needs
    """
    h_prev, c_prev = state
    a = x @ p["Wx"] + h_prev @ p["Wh"] + p["b"]  # (batch, 4H): the four gates at once
    ai, af, ag, ao = np.split(a, 4, axis=1)
    i, f, o = sigmoid(ai), sigmoid(af), sigmoid(ao)
    g = np.tanh(ag)
    c = f * c_prev + i * g  # LSTM1: the cell state, an additive path through time
    tc = np.tanh(c)
    h = o * tc  # LSTM2
    return (h, c), (x, h_prev, c_prev, i, f, g, o, tc, p)


def lstm_step_backward(dstate: State, cache: tuple) -> tuple[np.ndarray, State, Params]:
    """Gradients of one LSTM step, given ``dh = dC/dh_t`` and ``dc = dC/dc_t`` from above.

    Returns
    -------
    dx : ndarray of shape (batch, n_in)
    (dh_prev, dc_prev) : ``dC/dh_{t-1}`` and ``dC/dc_{t-1}`` through this step
    grads : dict with ``Wx``, ``Wh``, ``b``: this step's share
    """
    dh, dc = dstate
    x, h_prev, c_prev, i, f, g, o, tc, p = cache
    do = dh * tc
    dc = dc + dh * o * (1 - tc**2)  # the two paths into c_t: c_{t+1} and h_t
    di, df, dg = dc * g, dc * c_prev, dc * i
    da = np.concatenate(  # through each gate's own function: sigma' = s(1-s), tanh' = 1-g^2
        [di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1
    )
    grads = {"Wx": x.T @ da, "Wh": h_prev.T @ da, "b": da.sum(axis=0)}
    dx = da @ p["Wx"].T
    dh_prev = da @ p["Wh"].T
    dc_prev = dc * f  # LSTM3: along the cell state the Jacobian is diag(f), no W, no tanh'
    return dx, (dh_prev, dc_prev), grads


# ---------------------------------------------------------------------------- GRU
def gru_step_forward(x: np.ndarray, state: State, p: Params) -> tuple[State, tuple]:
    """One GRU step (Cho et al. 2014), in the form of PyTorch and cuDNN (GRU1, GRU2)::

        r = sigmoid(x Wx_r + h Wh_r + b_r)       z = sigmoid(x Wx_z + h Wh_z + b_z)
        n = tanh(x Wx_n + b_n + r * (h Wh_n + bh_n))
        h_t = (1 - z) * n + z * h_{t-1}

    The reset gate ``r`` multiplies ``h Wh_n + bh_n`` (not ``h``), so the three products with
    ``Wh`` are one: ``h_{t-1} Wh``, shape (batch, 3H).

    Parameters
    ----------
    x : ndarray of shape (batch, n_in)
    state : (h_prev,), shape (batch, n_hidden)
    p : dict with ``Wx`` (n_in, 3H), ``Wh`` (H, 3H), ``b`` (3H,), ``bh`` (H,) (the bias
        inside the reset gate)

    Returns
    -------
    (h,) : the new state
    cache : what :func:`gru_step_backward` needs
    """
    (h_prev,) = state
    ax = x @ p["Wx"] + p["b"]  # (batch, 3H)
    ah = h_prev @ p["Wh"]  # (batch, 3H)
    axr, axz, axn = np.split(ax, 3, axis=1)
    ahr, ahz, ahn = np.split(ah, 3, axis=1)
    r, z = sigmoid(axr + ahr), sigmoid(axz + ahz)
    hn = ahn + p["bh"]
    n = np.tanh(axn + r * hn)  # GRU1
    h = (1 - z) * n + z * h_prev  # GRU2: a gated mix, the z * h_{t-1} path additive
    return (h,), (x, h_prev, r, z, n, hn, p)


def gru_step_backward(dstate: State, cache: tuple) -> tuple[np.ndarray, State, Params]:
    """Gradients of one GRU step, given ``dh = dC/dh_t``.

    Returns
    -------
    dx : ndarray of shape (batch, n_in)
    (dh_prev,) : ``dC/dh_{t-1}`` through this step
    grads : dict with ``Wx``, ``Wh``, ``b``, ``bh``: this step's share
    """
    (dh,) = dstate
    x, h_prev, r, z, n, hn, p = cache
    dn = dh * (1 - z)
    dz = dh * (h_prev - n)
    dan = dn * (1 - n**2)  # through tanh
    dr = dan * hn
    dax = np.concatenate([dr * r * (1 - r), dz * z * (1 - z), dan], axis=1)  # (batch, 3H)
    dah = np.concatenate([dax[:, : 2 * n.shape[1]], dan * r], axis=1)  # r scales h Wh_n
    grads = {
        "Wx": x.T @ dax,
        "Wh": h_prev.T @ dah,
        "b": dax.sum(axis=0),
        "bh": dah[:, 2 * n.shape[1] :].sum(axis=0),
    }
    dx = dax @ p["Wx"].T
    dh_prev = dah @ p["Wh"].T + dh * z  # GRU3: through the gates, plus the z * h path
    return dx, (dh_prev,), grads


#: The three cells: name -> (step forward, step backward, number of state arrays).
CELLS: dict[str, tuple[Callable, Callable, int]] = {
    "rnn": (rnn_step_forward, rnn_step_backward, 1),
    "lstm": (lstm_step_forward, lstm_step_backward, 2),
    "gru": (gru_step_forward, gru_step_backward, 1),
}


# ---------------------------------------------------------------------------- over time
def sequence_forward(
    cell: str, x: np.ndarray, state0: State, p: Params
) -> tuple[np.ndarray, State, list[Any]]:
    """Run a cell over a whole sequence, one step after another.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    x : ndarray of shape (batch, T, n_in)
    state0 : tuple of ndarray of shape (batch, n_hidden)
        The initial state: ``(h0,)``, or ``(h0, c0)`` for the LSTM.
    p : dict of the cell's parameters

    Returns
    -------
    hs : ndarray of shape (batch, T, n_hidden)
        Every hidden state ``h_1 .. h_T``.
    state : tuple of ndarray
        The final state (to carry into the next chunk of a long sequence).
    caches : list of the T step caches, for :func:`sequence_backward`
    """
    step_forward, _, _ = CELLS[cell]
    state, hs, caches = state0, [], []
    for t in range(x.shape[1]):
        state, cache = step_forward(x[:, t], state, p)
        hs.append(state[0])
        caches.append(cache)
    return np.stack(hs, axis=1), state, caches


def sequence_backward(
    cell: str, dhs: np.ndarray, caches: list[Any], dstate: State | None = None
) -> tuple[np.ndarray, State, Params]:
    """Backpropagation through time: the gradients of a whole sequence, last step first.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    dhs : ndarray of shape (batch, T, n_hidden)
        ``dC/dh_t`` from above (the layers on top of each output), zero where an output is
        not used (all but the last step, for a layer returning only its last state).
    caches : the list :func:`sequence_forward` returned
    dstate : tuple of ndarray, optional
        The gradient of the final state from the future (none: zeros).

    Returns
    -------
    dx : ndarray of shape (batch, T, n_in)
    dstate0 : tuple of ndarray
        The gradient with respect to the initial state.
    grads : dict of the parameters' gradients, summed over the T steps (BPTT4)
    """
    _, step_backward, n_states = CELLS[cell]
    T = dhs.shape[1]
    if dstate is None:
        dstate = tuple(np.zeros_like(dhs[:, 0]) for _ in range(n_states))
    dxs: list[np.ndarray] = [np.empty(0)] * T
    grads: Params = {}
    for t in reversed(range(T)):
        dh = dhs[:, t] + dstate[0]  # BPTT1: from the output at t, and from step t + 1
        dxs[t], dstate, step_grads = step_backward((dh, *dstate[1:]), caches[t])
        for name, g in step_grads.items():
            grads[name] = grads[name] + g if name in grads else g  # BPTT4: shared weights add
    return np.stack(dxs, axis=1), dstate, grads
