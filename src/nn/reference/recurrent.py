"""Backpropagation through time in pure Python: one example, one time step, one unit at a time.

The slow twin of :mod:`nn.functional.recurrent` (and so of the layers
:class:`~nn.layers.recurrent.RNN`, :class:`~nn.layers.recurrent.LSTM` and
:class:`~nn.layers.recurrent.GRU`), on plain lists and floats, with no NumPy: every sum over a
weight matrix is a loop a reader can follow. ``tests/test_reference_recurrent.py`` holds it equal
to the NumPy layers; ``nn bench recurrent`` times it against them.

Data are nested lists in the package's batch-first layout: a sequence batch ``x[n][t][k]``
(example ``n``, step ``t``, feature ``k``), a state ``h[n][j]``, weights ``Wx[k][j]`` from input
``k`` to pre-activation ``j`` (``Wx`` has ``n_in`` rows of ``G * H`` numbers, like the layers'),
``Wh[k][j]`` from unit ``k`` of the previous state, biases ``b[j]``. The gates sit side by side
in ``j`` as in :mod:`nn.functional.recurrent`: ``i, f, g, o`` for the LSTM, ``r, z, n`` for the
GRU.

:func:`forward` runs a cell over the steps and keeps what each step needs; :func:`backward` walks
the steps from the last: at every step the gradient of ``h_t`` is what the output at ``t`` sends
plus what step ``t + 1`` sends back (BPTT1), and each weight's gradient is the sum of its
gradient at every step of every example (BPTT4).
"""

from __future__ import annotations

import math

from nn.reference.plain import sigmoid

__all__ = ["backward", "forward"]

Vector = list[float]
Matrix = list[list[float]]
Params = dict[str, list]


def _affine(x: Vector, W: Matrix, out: Vector) -> None:
    """``out[j] += sum_k x[k] W[k][j]``: a row vector times a matrix, added into ``out``."""
    for k, xk in enumerate(x):
        row = W[k]
        for j in range(len(out)):
            out[j] += xk * row[j]


def _back_affine(da: Vector, x: Vector, W: Matrix, dW: Matrix, dx: Vector) -> None:
    """For ``a = x W``: ``dW[k][j] += x[k] da[j]`` (summed over steps), ``dx[k] += W[k] . da``."""
    for k, xk in enumerate(x):
        row, drow = W[k], dW[k]
        total = 0.0
        for j, d in enumerate(da):
            drow[j] += xk * d
            total += row[j] * d
        dx[k] += total


# ---------------------------------------------------------------------------- one step
def _pre(x: Vector, h: Vector, p: Params, with_h: bool = True) -> Vector:
    a = list(p["b"])
    _affine(x, p["Wx"], a)
    if with_h:
        _affine(h, p["Wh"], a)
    return a


def rnn_step(x: Vector, state: tuple, p: Params) -> tuple[tuple, tuple]:
    """``h = tanh(x Wx + h_prev Wh + b)`` for one example; returns ``((h,), cache)``."""
    (h_prev,) = state
    h = [math.tanh(a) for a in _pre(x, h_prev, p)]  # RNN1
    return (h,), (x, h_prev, h)


def rnn_step_back(dstate: tuple, cache: tuple, p: Params, g: Params) -> tuple[Vector, tuple]:
    """One step back: adds into the gradients ``g``; returns ``dx`` and ``(dh_prev,)``."""
    (dh,) = dstate
    x, h_prev, h = cache
    dz = [d * (1.0 - hj * hj) for d, hj in zip(dh, h)]  # BPTT2
    return _back_all(dz, dz, x, h_prev, p, g)


def _back_all(dax: Vector, dah: Vector, x, h_prev, p, g) -> tuple[Vector, tuple]:
    """The affine maps' share: ``dWx``, ``dWh``, ``db``, and ``dx``, ``dh_prev`` through them."""
    dx, dh_prev = [0.0] * len(x), [0.0] * len(h_prev)
    _back_affine(dax, x, p["Wx"], g["Wx"], dx)
    _back_affine(dah, h_prev, p["Wh"], g["Wh"], dh_prev)  # BPTT3
    for j, d in enumerate(dax):
        g["b"][j] += d
    return dx, (dh_prev,)


def lstm_step(x: Vector, state: tuple, p: Params) -> tuple[tuple, tuple]:
    """One LSTM step for one example (LSTM1, LSTM2); returns ``((h, c), cache)``."""
    h_prev, c_prev = state
    H = len(h_prev)
    a = _pre(x, h_prev, p)
    i = [sigmoid(v) for v in a[:H]]
    f = [sigmoid(v) for v in a[H : 2 * H]]
    gg = [math.tanh(v) for v in a[2 * H : 3 * H]]
    o = [sigmoid(v) for v in a[3 * H :]]
    c = [f[j] * c_prev[j] + i[j] * gg[j] for j in range(H)]
    tc = [math.tanh(v) for v in c]
    h = [o[j] * tc[j] for j in range(H)]
    return (h, c), (x, h_prev, c_prev, i, f, gg, o, tc)


def lstm_step_back(dstate: tuple, cache: tuple, p: Params, g: Params) -> tuple[Vector, tuple]:
    """One LSTM step back; returns ``dx`` and ``(dh_prev, dc_prev)``."""
    dh, dc_next = dstate
    x, h_prev, c_prev, i, f, gg, o, tc = cache
    H = len(h_prev)
    da = [0.0] * (4 * H)
    dc_prev = [0.0] * H
    for j in range(H):
        dc = dc_next[j] + dh[j] * o[j] * (1.0 - tc[j] * tc[j])
        da[j] = dc * gg[j] * i[j] * (1.0 - i[j])
        da[H + j] = dc * c_prev[j] * f[j] * (1.0 - f[j])
        da[2 * H + j] = dc * i[j] * (1.0 - gg[j] * gg[j])
        da[3 * H + j] = dh[j] * tc[j] * o[j] * (1.0 - o[j])
        dc_prev[j] = dc * f[j]  # LSTM3
    dx, (dh_prev,) = _back_all(da, da, x, h_prev, p, g)
    return dx, (dh_prev, dc_prev)


def gru_step(x: Vector, state: tuple, p: Params) -> tuple[tuple, tuple]:
    """One GRU step for one example (GRU1, GRU2); returns ``((h,), cache)``."""
    (h_prev,) = state
    H = len(h_prev)
    ax = _pre(x, h_prev, p, with_h=False)
    ah = [0.0] * (3 * H)
    _affine(h_prev, p["Wh"], ah)
    r = [sigmoid(ax[j] + ah[j]) for j in range(H)]
    z = [sigmoid(ax[H + j] + ah[H + j]) for j in range(H)]
    hn = [ah[2 * H + j] + p["bh"][j] for j in range(H)]
    n = [math.tanh(ax[2 * H + j] + r[j] * hn[j]) for j in range(H)]
    h = [(1.0 - z[j]) * n[j] + z[j] * h_prev[j] for j in range(H)]
    return (h,), (x, h_prev, r, z, n, hn)


def gru_step_back(dstate: tuple, cache: tuple, p: Params, g: Params) -> tuple[Vector, tuple]:
    """One GRU step back; returns ``dx`` and ``(dh_prev,)``."""
    (dh,) = dstate
    x, h_prev, r, z, n, hn = cache
    H = len(h_prev)
    dax, dah = [0.0] * (3 * H), [0.0] * (3 * H)
    for j in range(H):
        dan = dh[j] * (1.0 - z[j]) * (1.0 - n[j] * n[j])
        dax[j] = dah[j] = dan * hn[j] * r[j] * (1.0 - r[j])
        dax[H + j] = dah[H + j] = dh[j] * (h_prev[j] - n[j]) * z[j] * (1.0 - z[j])
        dax[2 * H + j] = dan
        dah[2 * H + j] = dan * r[j]
        g["bh"][j] += dan * r[j]
    dx, (dh_prev,) = _back_all(dax, dah, x, h_prev, p, g)
    return dx, ([dh_prev[j] + dh[j] * z[j] for j in range(H)],)  # GRU3


STEPS = {"rnn": (rnn_step, rnn_step_back), "lstm": (lstm_step, lstm_step_back)}
STEPS["gru"] = (gru_step, gru_step_back)


# ---------------------------------------------------------------------------- over time
def forward(cell: str, x: list, state0: list, p: Params) -> tuple[list, list, list]:
    """Run ``cell`` over every step of every example.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    x : list of ``batch`` lists of ``T`` vectors of ``n_in`` floats
    state0 : list of ``batch`` tuples of state vectors (``(h,)`` or ``(h, c)``)
    p : dict of the cell's parameters as nested lists

    Returns
    -------
    hs : ``hs[n][t]``, the hidden state after step ``t``
    states : the final state of every example
    caches : ``caches[n][t]``, what :func:`backward` needs
    """
    step, _ = STEPS[cell]
    hs, states, caches = [], [], []
    for xs, state in zip(x, state0):
        h_seq, c_seq = [], []
        for x_t in xs:
            state, cache = step(x_t, state, p)
            h_seq.append(state[0])
            c_seq.append(cache)
        hs.append(h_seq)
        states.append(state)
        caches.append(c_seq)
    return hs, states, caches


def backward(cell: str, dhs: list, caches: list, p: Params, dstates: list | None = None):
    """Backpropagation through time, one example and one step at a time, the last step first.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    dhs : ``dhs[n][t]``, ``dC/dh_t`` from above for every step
    caches : what :func:`forward` returned
    p : the parameters
    dstates : the gradient of every example's final state, or None (zeros)

    Returns
    -------
    dx : ``dx[n][t]``, ``dC/dx_t``
    dstate0 : the gradient of every example's initial state
    grads : dict of the parameters' gradients, summed over steps and examples (BPTT4)
    """
    _, step_back = STEPS[cell]
    g = {k: _zeros(w) for k, w in p.items()}
    dx, dstate0 = [], []
    n_states = 2 if cell == "lstm" else 1
    for n, (dh_seq, c_seq) in enumerate(zip(dhs, caches)):
        H = len(dh_seq[0])
        dstate = tuple(dstates[n]) if dstates else tuple([0.0] * H for _ in range(n_states))
        dx_seq: list = [None] * len(c_seq)
        for t in reversed(range(len(c_seq))):
            dh = [a + b for a, b in zip(dh_seq[t], dstate[0])]  # BPTT1
            dx_seq[t], dstate = step_back((dh, *dstate[1:]), c_seq[t], p, g)
        dx.append(dx_seq)
        dstate0.append(dstate)
    return dx, dstate0, g


def _zeros(w: list) -> list:
    """Zeros shaped like ``w``: a vector, or a list of rows."""
    return [_zeros(row) for row in w] if w and isinstance(w[0], list) else [0.0] * len(w)
