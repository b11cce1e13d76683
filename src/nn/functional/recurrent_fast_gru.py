"""The fast GRU: :func:`gru_forward`, :func:`gru_backward` (:mod:`nn.functional.recurrent_fast`).

The same numbers as :func:`nn.functional.recurrent.gru_step_forward` and
:func:`~nn.functional.recurrent.gru_step_backward` run over the steps (tests hold them equal),
computed gate-major (:mod:`nn.functional.recurrent_fast_shared`): ``X[t, k]``, gate ``k`` (r, z,
n) of step ``t``, is one contiguous ``(batch, H)`` array, and ``X[t]`` the step's block.
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

__all__ = ["gru_backward", "gru_forward"]


def gru_forward(x: np.ndarray, state0: tuple, p: dict, ws: Workspace) -> tuple[Any, tuple]:
    """All steps of the GRU (GRU1, GRU2), gates r, z, n; ``x`` is (T, batch, n_in).

    Returns the cache ``(hs, ...)``, ``hs`` of shape (T + 1, batch, H) with ``h_0`` first, and
    the final state ``(h_T,)``.
    """
    T, B, _ = x.shape
    Wh = p["Wh"]
    H, dtype = Wh.shape[0], Wh.dtype
    xh = inputs_with_ones(x, H, ws)
    X = ws.get("gates", (T, 3, B, H), dtype)  # pre-activations, then the gates in place
    project_inputs(ws, xh[:, :, :-H].reshape(T * B, -1), p, 3, 0, 2, X)
    bh = ws.get("bh_rows", (B, H), dtype)
    bh[...] = p["bh"]  # a row per example: adding it is then one pass, not batch short ones
    hs = np.empty((T + 1, B, H), dtype=dtype)  # h_0 .. h_T, returned: fresh
    hs[0] = state0[0]
    hn = ws.get("hn", (B, H), dtype)  # h_{t-1} Wh_n + bh, which r scales
    rhn = ws.get("r_hn", (T, B, H), dtype)  # r * hn, kept for the backward
    ah = ws.get("hWh", (3, B, H), dtype)
    Whs, ah_out = step_weights(ws, Wh, 3, 0, 2, ah)  # r, z halved
    from_zero = not hs[0].any()  # h_0 = 0: the first step has no h Wh to add
    for t in range(T):
        rz = X[t, :2]
        if t or not from_zero:
            np.matmul(hs[t], Whs, out=ah_out)
            rz += ah[:2]
            np.add(ah[2], bh, out=hn)
        else:
            hn[...] = bh
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5  # sigmoid(r, z)
        r, z, n = X[t]
        np.multiply(r, hn, out=rhn[t])
        n += rhn[t]
        np.tanh(n, out=n)  # GRU1
        np.subtract(hs[t], n, out=hs[t + 1])
        hs[t + 1] *= z
        hs[t + 1] += n  # GRU2 as n + z (h_{t-1} - n)
    return (hs, xh, X, rhn), (hs[T],)


def _gru_factors(hs, X, rhn, ws, size, start, end):
    """``D[t] = [Dn, Dr, Dz, Drn]`` for the backward steps ``start .. end - 1`` (indexed from
    0 = step ``start``): ``dh_t * D[t]`` are the pre-activation gradients of n, r, z, and of
    ``r * (h Wh_n + bh)`` on the hidden side (n's gradient times r), all at once.

    ``Dn = (1 - z)(1 - n^2)``, ``Dz = z (1 - z)(h_{t-1} - n)``, ``Drn = Dn r`` and
    ``Dr = Dn (h Wh_n + bh) r (1 - r)``; with ``h_t - n = z (h_{t-1} - n)`` and the forward's
    ``r (h Wh_n + bh)``, ten passes and no temporary array.
    """
    _, _, B, H = X.shape
    D = ws.get("D", (size, 4, B, H), X.dtype)[: end - start]
    Dn, Dr, Dz, Drn = D.transpose(1, 0, 2, 3)
    r, z, n = X[start:end].transpose(1, 0, 2, 3)
    np.subtract(1, z, out=Dz)  # 1 - z, for now
    np.square(n, out=Dn)
    np.subtract(1, Dn, out=Dn)
    Dn *= Dz
    np.subtract(hs[start + 1 : end + 1], n, out=Drn)  # h_t - n, for now
    Dz *= Drn
    np.multiply(Dn, r, out=Drn)
    np.subtract(1, r, out=Dr)
    Dr *= rhn[start:end]
    Dr *= Dn
    return D


def gru_backward(dh_out, dstate, cache, p, grads, ws, need_dx=True):
    """BPTT for :func:`gru_forward`; ``dh_out`` is (T, batch, H), ``dstate`` ``(dh_T,)``.

    Returns ``dx`` (T, batch, n_in) or None, ``(dh_0,)``, and ``||dC/dh_t||`` per step.
    """
    hs, xh, X, rhn = cache
    T, B, H = dh_out.shape
    split = column_split(B, H)
    # gate-major (a gate's steps, one matrix), n first: the input side is dA[:3] (n, r, z:
    # the parameters' r, z, n shifted by one), the hidden side dA[1:] (r, z, and n's
    # gradient times r), both contiguous
    dA = ws.get("dA", (4, T, B, H), hs.dtype)
    dh = ws.get("dh", (T, B, H), hs.dtype)
    parts = ws.get("dh_parts", (4, B, H), hs.dtype)  # r, z, n shares of dh_{t-1}, and z dh
    parts_blocks = column_blocks(parts[:3], split)
    WhT = gate_blocks(ws, "Wh_T", p["Wh"], 3, 0, split, transpose=True)
    dh_next = dstate[0].copy()
    size, spans = blocks(T, 4 * B * H)
    for start, end in spans:
        D = _gru_factors(hs, X, rhn, ws, size, start, end)
        for t in reversed(range(start, end)):
            k = t - start
            np.add(dh_out[t], dh_next, out=dh[t])  # BPTT1
            np.multiply(dh[t], D[k], out=dA[:, t])  # every pre-activation gradient at once
            np.matmul(dA[1:, t, None], WhT, out=parts_blocks)  # through the gates: dA_h Wh^T
            np.multiply(dh[t], X[t, 1], out=parts[3])  # GRU3: the z * h_{t-1} path
            np.add.reduce(parts, axis=0, out=dh_next)
    dx, sums = gate_weight_grads(xh, hs[:-1], dA[:3], 1, p, grads, ws, need_dx, dAh=dA[1:])
    grads["bh"][...] = sums[2]  # dbh: n's hidden-side gradients summed
    return dx, (dh_next,), norms(dh)
