"""The fast twin of :mod:`nn.functional.recurrent`: the same arithmetic, fewer and larger calls.

Read :mod:`nn.functional.recurrent` first; this module computes the same numbers (tests hold
them equal) with the tricks that make NumPy fast on sequences:

* **Every input step in one product.** ``x_t Wx + b`` does not depend on the state, so it is
  computed for all ``T`` steps at once, ``(T * batch, n_in) @ (n_in, G * H)``, before the loop.
  Only ``h_{t-1} Wh`` must wait for the previous step.
* **Fused gates.** The ``G`` gates of a step are one product with ``Wh`` (``(H, G * H)``), and
  the weight gradients are one product each over all steps *after* the loop:
  ``dWx = X^T dA`` and ``dWh = H_prev^T dA`` with ``dA`` the pre-activation gradients of every
  step stacked, ``(T * batch, G * H)``. Inside the loop only what depends on the previous
  iteration is left: one product and a few elementwise operations per step.
* **One tanh for all gates.** ``sigmoid(a) = 0.5 + 0.5 tanh(a / 2)``, so with the sigmoid
  gates' columns of the weights halved once per call, one ``tanh`` over the whole
  ``(batch, G * H)`` block and one multiply-add give every gate.
* **Derivatives before the loop.** Every factor of the backward step that does not depend on
  the incoming gradient (``1 - h^2``, ``s (1 - s)`` of each gate, ...) is computed for a block
  of steps at once before the loop walks those steps, so the loop is a handful of calls per
  step, and the block (:data:`BLOCK_FLOATS`) is small enough to be read back from the cache.
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

__all__ = ["FORWARD", "BACKWARD", "Workspace"]

Params = dict[str, np.ndarray]
State = tuple[np.ndarray, ...]


class Workspace:
    """Scratch arrays by name, allocated on first use and reused while the shape is the same."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """An array of ``shape`` and ``dtype`` (contents undefined), the same one every call."""
        a = self.arrays.get(name)
        if a is None or a.shape != shape or a.dtype != dtype:
            a = self.arrays[name] = np.empty(shape, dtype=dtype)
        return a

    def transposed(self, W: np.ndarray) -> np.ndarray:
        """``W.T`` copied into a contiguous array: the product of every backward step reads it
        row by row, which BLAS does faster than through the transposed view."""
        out = self.get("W_T", W.shape[::-1], W.dtype)
        np.copyto(out, W.T)
        return out


def _gate_scale(ws: Workspace, n_gates: int, sigmoid_gates: tuple[int, ...], H: int, dtype):
    """``scale`` and ``shift`` of shape (G * H,): 0.5 and 0.5 on sigmoid gates, 1 and 0 on tanh.

    ``gate = tanh(a * scale) * scale + shift`` is ``sigmoid(a)`` on the first and ``tanh(a)`` on
    the others. Made once and kept in the workspace.
    """
    key = f"gate_scale {n_gates} {H} {np.dtype(dtype)}"
    if key not in ws.arrays:
        sigmoid = np.isin(np.arange(n_gates), sigmoid_gates)[:, None]
        both = np.stack([np.where(sigmoid, 0.5, 1.0), np.where(sigmoid, 0.5, 0.0)])
        ws.arrays[key] = np.broadcast_to(both, (2, n_gates, H)).reshape(2, -1).astype(dtype)
    scale, shift = ws.arrays[key]
    return scale, shift


def _project_inputs(x: np.ndarray, Wx: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out[t] = x[t] Wx + b`` for every step at once: one product for the whole sequence."""
    T, B, D = x.shape
    np.matmul(x.reshape(T * B, D), Wx, out=out.reshape(T * B, -1))
    out += b


def _weight_grads(x, h_prev, dA, p, grads, need_dx, dAh=None):
    """``dWx = X^T dA``, ``dWh = H_prev^T dA``, ``db`` (BPTT4), ``dx = dA Wx^T``: all steps at once.

    ``dAh``: the pre-activation gradients on the hidden side, when they differ (the GRU's).
    """
    T, B, D = x.shape
    dA2 = dA.reshape(T * B, -1)
    dAh2 = dA2 if dAh is None else dAh.reshape(T * B, -1)
    np.matmul(x.reshape(T * B, D).T, dA2, out=grads["Wx"])
    np.matmul(h_prev.reshape(T * B, -1).T, dAh2, out=grads["Wh"])
    dA2.sum(axis=0, out=grads["b"])
    return (dA2 @ p["Wx"].T).reshape(T, B, D) if need_dx else None


def _norms(dh: np.ndarray) -> np.ndarray:
    """``||dC/dh_t||`` for every step: the Frobenius norm of each ``(batch, H)`` slice."""
    return np.sqrt(np.einsum("tbh,tbh->t", dh, dh).astype(np.float64))


# ---------------------------------------------------------------------------- vanilla RNN
def rnn_forward(x: np.ndarray, state0: State, p: Params, ws: Workspace) -> tuple[Any, State]:
    """All steps of ``h_t = tanh(x_t Wx + h_{t-1} Wh + b)`` (RNN1); ``x`` is (T, batch, n_in)."""
    T, B, _ = x.shape
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
    return dx, (dh_next,), _norms(dh)


# ---------------------------------------------------------------------------- LSTM
def lstm_forward(x: np.ndarray, state0: State, p: Params, ws: Workspace) -> tuple[Any, State]:
    """All steps of the LSTM (LSTM1, LSTM2), gates in the order i, f, g, o."""
    T, B, _ = x.shape
    Wh = p["Wh"]
    H, dtype = Wh.shape[0], Wh.dtype
    scale, shift = _gate_scale(ws, 4, (0, 1, 3), H, dtype)
    A = ws.get("gates", (T, B, 4 * H), dtype)  # pre-activations, then the gates in place
    _project_inputs(x, p["Wx"] * scale, p["b"] * scale, A)
    Wh_s = Wh * scale
    hs = np.empty((T + 1, B, H), dtype=dtype)
    cs = ws.get("cs", (T + 1, B, H), dtype)
    tcs = ws.get("tanh_c", (T, B, H), dtype)
    hs[0], cs[0] = state0
    hWh = ws.get("hWh", (B, 4 * H), dtype)
    ig = ws.get("ig", (B, H), dtype)
    for t in range(T):
        a = A[t]
        np.matmul(hs[t], Wh_s, out=hWh)
        a += hWh
        np.tanh(a, out=a)  # sigmoid(i, f, o) = 0.5 tanh(a/2) + 0.5 and tanh(g), in one call
        a *= scale
        a += shift
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        np.multiply(f, cs[t], out=cs[t + 1])  # LSTM1
        np.multiply(i, g, out=ig)
        cs[t + 1] += ig
        np.tanh(cs[t + 1], out=tcs[t])
        np.multiply(o, tcs[t], out=hs[t + 1])  # LSTM2
    return (hs, x, A, cs, tcs), (hs[T], cs[T].copy())


#: Floats of derivative factors computed at once: a block of steps whose factors (about 256 KB
#: in float32) stay in the processor's cache until the backward loop reads them.
BLOCK_FLOATS = 1 << 16


def _blocks(T: int, floats_per_step: int) -> list[tuple[int, int]]:
    """``(start, end)`` blocks of steps, the last first, each within :data:`BLOCK_FLOATS`."""
    size = max(1, BLOCK_FLOATS // floats_per_step)
    return [(max(0, end - size), end) for end in range(T, 0, -size)]


def _lstm_factors(A, cs, tcs, ws, start, end):
    """What the backward steps ``start .. end - 1`` multiply by (see :func:`lstm_backward`).

    Written with ``out=`` throughout: each factor is three passes over the block and no
    temporary array. Returned indexed from 0 = step ``start``.
    """
    T, B, H4 = A.shape
    H, n = H4 // 4, end - start
    G = A[start:end].reshape(n, B, 4, H)
    i, f, g, o = G[:, :, 0], G[:, :, 1], G[:, :, 2], G[:, :, 3]
    size = max(1, BLOCK_FLOATS // (5 * B * H))
    Q = ws.get("Q", (size, B, 3, H), A.dtype)[:n]  # dA of i, f, g = dc * Q
    R = ws.get("R", (size, B, H), A.dtype)[:n]  # dA of o = dh * R
    P = ws.get("P", (size, B, H), A.dtype)[:n]  # dc_t gets dh_t * P from h_t = o tanh(c_t)
    c_prev, tc = cs[start:end], tcs[start:end]
    for out, s, left in ((Q[:, :, 0], i, g), (Q[:, :, 1], f, c_prev), (R, o, tc)):
        np.subtract(1, s, out=out)  # sigmoid' = s (1 - s), times what the gate multiplied
        out *= s
        out *= left
    for out, t, left in ((Q[:, :, 2], g, i), (P, tc, o)):
        np.square(t, out=out)  # tanh' = 1 - t^2, times what the tanh's output multiplied
        np.subtract(1, out, out=out)
        out *= left
    return Q, R, P, f


def lstm_backward(dh_out, dstate, cache, p, grads, ws, need_dx=True):
    """BPTT for :func:`lstm_forward`; ``dstate`` is ``(dh_T, dc_T)`` from the future.

    Returns ``dx`` or None, ``(dh_0, dc_0)``, and ``||dC/dh_t||`` per step.
    """
    hs, x, A, cs, tcs = cache
    T, B, H = dh_out.shape
    dA = ws.get("dA", (T, B, 4 * H), hs.dtype)
    dA4 = dA.reshape(T, B, 4, H)
    dh = ws.get("dh", (T, B, H), hs.dtype)
    dc = ws.get("dc", (B, H), hs.dtype)
    dh_next, dc_next = dstate[0].copy(), dstate[1].copy()
    Wh_T = ws.transposed(p["Wh"])
    for start, end in _blocks(T, 5 * B * H):
        Q, R, P, f = _lstm_factors(A, cs, tcs, ws, start, end)
        for t in reversed(range(start, end)):
            k = t - start
            np.add(dh_out[t], dh_next, out=dh[t])  # BPTT1
            np.multiply(dh[t], P[k], out=dc)
            dc += dc_next  # the two paths into c_t: through h_t, and along the cell from c_{t+1}
            np.multiply(dc[:, None, :], Q[k], out=dA4[t, :, :3])  # i, f, g
            np.multiply(dh[t], R[k], out=dA4[t, :, 3])  # o
            np.matmul(dA[t], Wh_T, out=dh_next)
            np.multiply(dc, f[k], out=dc_next)  # LSTM3: the cell's own path, times f only
    dx = _weight_grads(x, hs[:-1], dA, p, grads, need_dx)
    return dx, (dh_next, dc_next), _norms(dh)


# ---------------------------------------------------------------------------- GRU
def gru_forward(x: np.ndarray, state0: State, p: Params, ws: Workspace) -> tuple[Any, State]:
    """All steps of the GRU (GRU1, GRU2), gates in the order r, z, n."""
    T, B, _ = x.shape
    Wh = p["Wh"]
    H, dtype = Wh.shape[0], Wh.dtype
    scale, shift = _gate_scale(ws, 3, (0, 1), H, dtype)
    X = ws.get("x_proj", (T, B, 3 * H), dtype)
    _project_inputs(x, p["Wx"] * scale, p["b"] * scale, X)
    Wh_s = Wh * scale
    bh = p["bh"]
    hs = np.empty((T + 1, B, H), dtype=dtype)
    hs[0] = state0[0]
    G = ws.get("gates", (T, B, 3 * H), dtype)  # r, z, n
    hn = ws.get("hn", (T, B, H), dtype)  # h_{t-1} Wh_n + bh_n, which r scales
    ah = ws.get("hWh", (B, 3 * H), dtype)
    for t in range(T):
        g = G[t]
        np.matmul(hs[t], Wh_s, out=ah)
        rz = g[:, : 2 * H]
        np.add(X[t, :, : 2 * H], ah[:, : 2 * H], out=rz)
        np.tanh(rz, out=rz)
        rz *= 0.5  # sigmoid = 0.5 tanh(a/2) + 0.5
        rz += 0.5
        np.add(ah[:, 2 * H :], bh, out=hn[t])
        n = g[:, 2 * H :]
        np.multiply(g[:, :H], hn[t], out=n)
        n += X[t, :, 2 * H :]
        np.tanh(n, out=n)  # GRU1
        np.subtract(hs[t], n, out=hs[t + 1])
        hs[t + 1] *= g[:, H : 2 * H]
        hs[t + 1] += n  # GRU2 as n + z (h_{t-1} - n)
    return (hs, x, G, hn), (hs[T],)


def _gru_factors(hs, G, hn, ws, start, end):
    """``dAX[t] = dh_t * D[t]`` (r, z, n) and ``dAH_n[t] = dh_t * Drn[t]``, for the steps
    ``start .. end - 1`` (returned indexed from 0 = step ``start``).

    ``Dn = (1 - z)(1 - n^2)`` (dh to n's pre-activation), ``Dz = (h_{t-1} - n) z (1 - z)``,
    ``Drn = Dn r`` (through r's product with ``h Wh_n + bh``), ``Dr = Dn hn r (1 - r)``; all
    with ``out=``, no temporary array.
    """
    T, B, H3 = G.shape
    H, size = H3 // 3, max(1, BLOCK_FLOATS // (4 * B * H3 // 3))
    Gb = G[start:end]
    r, z, n = Gb[:, :, :H], Gb[:, :, H : 2 * H], Gb[:, :, 2 * H :]
    D = ws.get("D", (size, B, 3, H), G.dtype)[: end - start]
    Dr, Dz, Dn = D[:, :, 0], D[:, :, 1], D[:, :, 2]
    Drn = ws.get("Drn", (size, B, H), G.dtype)[: end - start]
    np.subtract(1, z, out=Drn)  # 1 - z, for now
    np.square(n, out=Dn)
    np.subtract(1, Dn, out=Dn)
    Dn *= Drn
    np.subtract(hs[start:end], n, out=Dz)
    Dz *= z
    Dz *= Drn
    np.multiply(Dn, r, out=Drn)
    np.subtract(1, r, out=Dr)
    Dr *= Drn
    Dr *= hn[start:end]
    return D, Drn, z


def gru_backward(dh_out, dstate, cache, p, grads, ws, need_dx=True):
    """BPTT for :func:`gru_forward`. Returns ``dx`` or None, ``(dh_0,)``, ``||dC/dh_t||``."""
    hs, x, G, hn = cache
    T, B, H = dh_out.shape
    dAX = ws.get("dAX", (T, B, 3 * H), hs.dtype)  # pre-activation gradients, input side
    dAH = ws.get("dAH", (T, B, 3 * H), hs.dtype)  # and hidden side (r scales h Wh_n)
    dAX3 = dAX.reshape(T, B, 3, H)
    dh = ws.get("dh", (T, B, H), hs.dtype)
    zdh = ws.get("zdh", (B, H), hs.dtype)
    dh_next = dstate[0].copy()
    Wh_T = ws.transposed(p["Wh"])
    for start, end in _blocks(T, 4 * B * H):
        D, Drn, z = _gru_factors(hs, G, hn, ws, start, end)
        for t in reversed(range(start, end)):
            k = t - start
            np.add(dh_out[t], dh_next, out=dh[t])  # BPTT1
            np.multiply(dh[t][:, None, :], D[k], out=dAX3[t])
            dAH[t, :, : 2 * H] = dAX[t, :, : 2 * H]
            np.multiply(dh[t], Drn[k], out=dAH[t, :, 2 * H :])
            np.matmul(dAH[t], Wh_T, out=dh_next)
            np.multiply(dh[t], z[k], out=zdh)
            dh_next += zdh  # GRU3: the z * h_{t-1} path
    dx = _weight_grads(x, hs[:-1], dAX, p, grads, need_dx, dAh=dAH)
    dAH[:, :, 2 * H :].sum(axis=(0, 1), out=grads["bh"])
    return dx, (dh_next,), _norms(dh)


#: cell name -> its fast forward and backward.
FORWARD = {"rnn": rnn_forward, "lstm": lstm_forward, "gru": gru_forward}
BACKWARD = {"rnn": rnn_backward, "lstm": lstm_backward, "gru": gru_backward}
