"""The fast LSTM: :func:`lstm_forward`, :func:`lstm_backward` (:mod:`nn.functional.recurrent_fast`).

The same numbers as :func:`nn.functional.recurrent.lstm_step_forward` and
:func:`~nn.functional.recurrent.lstm_step_backward` run over the steps (tests hold them equal),
computed gate-major (:mod:`nn.functional.recurrent_fast_shared`): ``G[t, k]``, gate ``k`` of
step ``t``, is one contiguous ``(batch, H)`` array, and ``G[t]`` the step's block of gates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.functional.recurrent_fast_shared import (
    Workspace,
    blocks,
    column_blocks,
    column_split,
    gate_blocks,
    gate_weight_grads,
    inputs_with_ones,
    norms,
    project_inputs,
    step_weights,
)

__all__ = ["LSTM_SHIFT", "lstm_backward", "lstm_forward"]

#: The fast LSTM's gates are the parameters' (PyTorch's i, f, g, o) shifted by one: o, i, f, g.
#: Then the sigmoid gates o, i, f are one block (one pass makes all three from their tanh) and
#: so are i, f, g, the gates the cell's gradient reaches (one pass gives their three ``dA``).
LSTM_SHIFT = 1


def lstm_forward(x: np.ndarray, state0: tuple, p: dict, ws: Workspace) -> tuple[Any, tuple]:
    """All steps of the LSTM (LSTM1, LSTM2); ``x`` is (T, batch, n_in).

    Returns the cache ``(hs, ...)``, ``hs`` of shape (T + 1, batch, H) with ``h_0`` first, and
    the final state ``(h_T, c_T)``.
    """
    T, B, _ = x.shape
    Wh = p["Wh"]
    H, dtype = Wh.shape[0], Wh.dtype
    xh = inputs_with_ones(x, H, ws)
    G = ws.get("gates", (T, 4, B, H), dtype)  # pre-activations, then the gates in place
    project_inputs(ws, xh[:, :, :-H].reshape(T * B, -1), p, 4, LSTM_SHIFT, 3, G)
    # h, i g, f c_{t-1} of every step (t + 1 as for h), side by side: the factors of the
    # backward read all three at once; returned (h), so fresh
    L = np.empty((T + 1, 3, B, H), dtype)
    hs, ig, fc = L.transpose(1, 0, 2, 3)
    cs = ws.get("cs", (T + 1, B, H), dtype)
    tcs = ws.get("tanh_c", (T, B, H), dtype)
    hs[0], cs[0] = state0
    hWh = ws.get("hWh", (4, B, H), dtype)
    Whs, hWh_out = step_weights(ws, Wh, 4, LSTM_SHIFT, 3, hWh)  # o, i, f halved
    from_zero = not hs[0].any()  # h_0 = 0: the first step has no h Wh to add
    for t in range(T):
        a = G[t]  # (4, batch, H): o, i, f, g
        if t or not from_zero:
            np.matmul(hs[t], Whs, out=hWh_out)
            a += hWh
        np.tanh(a, out=a)  # tanh(a / 2) for o, i, f (their weights halved) and tanh(a) for g
        a[:3] *= 0.5
        a[:3] += 0.5  # sigmoid(o, i, f)
        o, i, f, g = a
        np.multiply(i, g, out=ig[t + 1])
        np.multiply(f, cs[t], out=fc[t + 1])
        np.add(ig[t + 1], fc[t + 1], out=cs[t + 1])  # LSTM1
        np.tanh(cs[t + 1], out=tcs[t])
        np.multiply(o, tcs[t], out=hs[t + 1])  # LSTM2
    return (hs, xh, G, L, tcs), (hs[T].copy(), cs[T].copy())


def _lstm_factors(G, L, tcs, ws, size, start, end):
    """What the backward steps ``start .. end - 1`` multiply by, indexed from 0 = step ``start``.

    ``F[t] = [R, Q_i, Q_f, Q_g]`` (gates o, i, f, g): ``dA_o = dh * R`` and
    ``dA_i,f,g = dc * Q``; ``P``: ``dc_t`` gets ``dh_t * P`` through ``h_t = o tanh(c_t)``.
    From the products the forward kept, each is two passes: ``s (1 - s) * y = (s y) (1 - s)``
    for a sigmoid gate ``s`` multiplying ``y``, and ``(1 - t^2) * y = y - (t y) t`` for a
    tanh ``t``.
    """
    _, _, B, H = G.shape
    n = end - start
    F = ws.get("F", (size, 4, B, H), G.dtype)[:n]
    P = ws.get("P", (size, B, H), G.dtype)[:n]
    o, i, _, g = G[start:end].transpose(1, 0, 2, 3)
    products = L[start + 1 : end + 1]  # o tanh(c), i g, f c_{t-1}
    np.subtract(1, G[start:end, :3], out=F[:, :3])
    F[:, :3] *= products  # R = h (1 - o), Q_i = i g (1 - i), Q_f = f c_{t-1} (1 - f)
    np.multiply(products[:, 1], g, out=F[:, 3])
    np.subtract(i, F[:, 3], out=F[:, 3])  # Q_g = i (1 - g^2)
    np.multiply(products[:, 0], tcs[start:end], out=P)
    np.subtract(o, P, out=P)  # P = o (1 - tanh(c)^2)
    return F, P


def lstm_backward(dh_out, dstate, cache, p, grads, ws, need_dx=True):
    """BPTT for :func:`lstm_forward`; ``dh_out`` is (T, batch, H), ``dstate`` ``(dh_T, dc_T)``
    from the future.

    Returns ``dx`` (T, batch, n_in) or None, ``(dh_0, dc_0)``, and ``||dC/dh_t||`` per step.
    """
    hs, xh, G, L, tcs = cache
    T, B, H = dh_out.shape
    split = column_split(B, H)
    dA = ws.get("dA", (4, T, B, H), hs.dtype)  # gate-major: a gate's steps, one matrix
    dh = ws.get("dh", (T, B, H), hs.dtype)
    dc = ws.get("dc", (B, H), hs.dtype)
    parts = ws.get("dh_parts", (4, B, H), hs.dtype)  # each gate's share of dh_{t-1}
    parts_blocks = column_blocks(parts, split)
    WhT = gate_blocks(ws, "Wh_T", p["Wh"], 4, LSTM_SHIFT, split, transpose=True)
    dh_next, dc_next = dstate[0].copy(), dstate[1].copy()
    size, spans = blocks(T, 5 * B * H)
    for start, end in spans:
        F, P = _lstm_factors(G, L, tcs, ws, size, start, end)
        for t in reversed(range(start, end)):
            k = t - start
            np.add(dh_out[t], dh_next, out=dh[t])  # BPTT1
            np.multiply(dh[t], P[k], out=dc)
            dc += dc_next  # the two paths into c_t: through h_t, and along the cell from c_{t+1}
            np.multiply(dc, F[k, 1:], out=dA[1:, t])  # i, f, g
            np.multiply(dh[t], F[k, 0], out=dA[0, t])  # o
            np.matmul(dA[:, t, None], WhT, out=parts_blocks)
            np.add.reduce(parts, axis=0, out=dh_next)  # dA_t Wh^T, gate by gate
            np.multiply(dc, G[t, 2], out=dc_next)  # LSTM3: the cell's own path, times f only
    dx, _ = gate_weight_grads(xh, hs[:-1], dA, LSTM_SHIFT, p, grads, ws, need_dx)
    return dx, (dh_next, dc_next), norms(dh)
