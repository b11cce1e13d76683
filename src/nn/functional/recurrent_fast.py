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
    d = dh.reshape(len(dh), 1, -1)  # each step's dot product with itself, by the BLAS
    return np.sqrt((d @ d.transpose(0, 2, 1)).ravel().astype(np.float64))


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


# ---------------------------------------------------------------------------- gate-major
#: Columns of ``Wh`` per product inside the loop. OpenBLAS computes a step's
#: ``(32, 128) @ (128, 64)`` products faster per multiply-add than one ``(32, 128) @ (128, 512)``
#: (about 30%, measured): each gate's columns are cut in blocks of this many.
PRODUCT_COLUMNS = 64


def column_split(H: int) -> int:
    """Blocks of :data:`PRODUCT_COLUMNS` columns in a gate of ``H`` units (1: no cut)."""
    return H // PRODUCT_COLUMNS if H % PRODUCT_COLUMNS == 0 else 1


def column_blocks(a: np.ndarray, split: int) -> np.ndarray:
    """``a`` of shape (..., rows, H) seen as (..., split, rows, H / split): its column blocks."""
    *lead, rows, H = a.shape
    return a.reshape(*lead, rows, split, H // split).swapaxes(-3, -2)


def gate_blocks(ws, name, W, n_gates, shift=0, split=1, transpose=False):
    """``W`` (rows, G * H) regrouped gate-major: the workspace array ``name``, ``out[k, s]`` the
    ``s``-th block of columns of gate ``k - shift`` (mod G) of ``W``, or with ``transpose``
    the transpose of its ``s``-th block of rows: one product's weights inside the loop.

    Shape (G, split, rows, H / split), or (G, split, H, rows / split) with ``transpose``.
    """
    rows, H = W.shape[0], W.shape[1] // n_gates
    if transpose:
        src = W.reshape(split, rows // split, n_gates, H).transpose(2, 0, 3, 1)
    else:
        src = W.reshape(rows, n_gates, split, H // split).transpose(1, 2, 0, 3)
    out = ws.get(name, src.shape, W.dtype)
    np.copyto(out[shift:], src[: n_gates - shift])  # two copies make the rotation
    np.copyto(out[:shift], src[n_gates - shift :])
    return out


def to_param_order(src: np.ndarray, dst: np.ndarray, shift: int) -> None:
    """``dst`` (rows, G * H) gets gate-major ``src`` (G, rows, H), whose gate ``k`` is ``dst``'s
    gate ``k - shift`` (mod G): :func:`gate_blocks` undone."""
    G = src.shape[0]
    gates = dst.reshape(-1, G, src.shape[-1]).transpose(1, 0, 2)  # (G, rows, H), a view
    np.copyto(gates[: G - shift], src[shift:])
    np.copyto(gates[G - shift :], src[:shift])


def inputs_with_ones(x: np.ndarray, H: int, ws: Workspace) -> np.ndarray:
    """``[x_t, 1, h_{t-1}]`` for every step, (T, batch, n_in + 1 + H), the first two filled.

    With the bias as one more row of the input weights, ``x_t Wx + b`` is one product (of
    ``xh[..., :n_in + 1]``), and with ``h_{t-1}`` beside it (the backward copies it in),
    ``dWx``, ``db`` and ``dWh`` are one product too (BPTT4).
    """
    T, B, D = x.shape
    xh = ws.get("xh", (T, B, D + 1 + H), x.dtype)
    xh[:, :, :D] = x
    xh[:, :, D] = 1
    return xh


def gate_weight_grads(xh, h_prev, dA, p, grads, shift, ws, need_dx):
    """BPTT4 for gate-major ``dA`` (G, T, batch, H): ``dWx``, ``db``, ``dWh`` and ``dx``.

    ``[X, 1, H_prev]^T dA``, one product per gate for all steps at once; then each gate put
    back where the parameters keep it (the fast twin's gate ``k`` is the parameters' gate
    ``k - shift``). Returns ``dx`` (T, batch, n_in) or None.
    """
    G, T, B, H = dA.shape
    D = xh.shape[2] - 1 - H
    xh[:, :, D + 1 :] = h_prev
    dA3 = dA.reshape(G, T * B, H)
    dW = ws.get("dW", (G, xh.shape[2], H), dA.dtype)
    np.matmul(xh.reshape(T * B, -1).T, dA3, out=dW)  # rows: dWx, then db, then dWh
    to_param_order(dW[:, :D], grads["Wx"], shift)
    to_param_order(dW[:, D : D + 1], grads["b"][None], shift)
    to_param_order(dW[:, D + 1 :], grads["Wh"], shift)
    if not need_dx:
        return None
    WxT = p["Wx"].reshape(D, G, H).transpose(1, 2, 0)  # (G, H, n_in): each gate's Wx^T, a view
    parts = ws.get("dx_parts", (G, T * B, D), dA.dtype)
    np.matmul(dA3[shift:], WxT[: G - shift], out=parts[shift:])  # each gate's share of dA Wx^T
    np.matmul(dA3[:shift], WxT[G - shift :], out=parts[:shift])
    dx = np.add(parts[0], parts[1])
    for part in parts[2:]:
        dx += part
    return dx.reshape(T, B, D)


# ---------------------------------------------------------------------------- LSTM
#: The fast LSTM's gates are the parameters' (PyTorch's i, f, g, o) shifted by one: o, i, f, g.
#: Then the sigmoid gates o, i, f are one block (one pass makes all three from their tanh) and
#: so are i, f, g, the gates the cell's gradient reaches (one pass gives their three ``dA``).
LSTM_SHIFT = 1


def lstm_forward(x: np.ndarray, state0: State, p: Params, ws: Workspace) -> tuple[Any, State]:
    """All steps of the LSTM (LSTM1, LSTM2), the gates kept gate-major.

    ``G[k, t]`` (gate k of step t, (batch, H)) is one contiguous array, so every pass over a
    gate is one pass over contiguous memory, never ``batch`` short rows of a wider array.
    """
    T, B, _ = x.shape
    Wh = p["Wh"]
    H, dtype, split = Wh.shape[0], Wh.dtype, column_split(Wh.shape[0])
    xh = inputs_with_ones(x, H, ws)
    Wxb = np.concatenate([p["Wx"], p["b"][None]])  # (n_in + 1, 4H): the bias, a row of weights
    Wxb = gate_blocks(ws, "Wxb", Wxb, 4, LSTM_SHIFT)[:, 0]  # (4, n_in + 1, H)
    Wxb[:3] *= 0.5  # sigmoid(a) = 0.5 tanh(a / 2) + 0.5: o, i, f get half their weights
    G = ws.get("gates", (4, T, B, H), dtype)  # pre-activations, then the gates in place
    x1 = xh[:, :, :-H].reshape(T * B, -1)  # [x_t, 1], every step
    np.matmul(x1, Wxb, out=G.reshape(4, T * B, H))  # x_t Wx + b for every step at once
    Whs = gate_blocks(ws, "Wh_blocks", Wh, 4, LSTM_SHIFT, split)
    Whs[:3] *= 0.5
    L = np.empty((3, T + 1, B, H), dtype)  # h, i g, f c_{t-1} (t + 1 as for h): returned, fresh
    hs, ig, fc = L
    cs = ws.get("cs", (T + 1, B, H), dtype)
    tcs = ws.get("tanh_c", (T, B, H), dtype)
    hs[0], cs[0] = state0
    hWh = ws.get("hWh", (4, B, H), dtype)
    hWh_blocks = column_blocks(hWh, split)  # where each of the step's products writes
    from_zero = not hs[0].any()  # h_0 = 0: the first step has no h Wh to add
    for t in range(T):
        a = G[:, t]  # (4, batch, H): o, i, f, g
        if t or not from_zero:
            np.matmul(hs[t], Whs, out=hWh_blocks)
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
    return (hs, xh, G, L, tcs), (hs[T], cs[T].copy())


#: Floats of derivative factors computed at once: a block of steps whose factors (about 256 KB
#: in float32) stay in the processor's cache until the backward loop reads them.
BLOCK_FLOATS = 1 << 16


def _blocks(T: int, floats_per_step: int) -> list[tuple[int, int]]:
    """``(start, end)`` blocks of steps, the last first, each within :data:`BLOCK_FLOATS`."""
    size = max(1, BLOCK_FLOATS // floats_per_step)
    return [(max(0, end - size), end) for end in range(T, 0, -size)]


def _lstm_factors(G, L, tcs, ws, start, end):
    """What the backward steps ``start .. end - 1`` multiply by, indexed from 0 = step ``start``.

    ``F = [R, Q_i, Q_f, Q_g]`` (gates o, i, f, g): ``dA_o = dh * R`` and ``dA_i,f,g = dc * Q``;
    ``P``: ``dc_t`` gets ``dh_t * P`` through ``h_t = o tanh(c_t)``. From the products the
    forward kept, each is two passes: ``s (1 - s) * y = (s y) (1 - s)`` for a sigmoid gate
    ``s`` multiplying ``y``, and ``(1 - t^2) * y = y - (t y) t`` for a tanh ``t``.
    """
    _, _, B, H = G.shape
    n, size = end - start, max(1, BLOCK_FLOATS // (5 * B * H))
    F = ws.get("F", (4, size, B, H), G.dtype)[:, :n]
    P = ws.get("P", (size, B, H), G.dtype)[:n]
    o, i, _, g = G[:, start:end]
    h, ig, _ = products = L[:, start + 1 : end + 1]  # o tanh(c), i g, f c_{t-1}
    np.subtract(1, G[:3, start:end], out=F[:3])
    F[:3] *= products  # R = h (1 - o), Q_i = i g (1 - i), Q_f = f c_{t-1} (1 - f)
    np.multiply(ig, g, out=F[3])
    np.subtract(i, F[3], out=F[3])  # Q_g = i (1 - g^2)
    np.multiply(h, tcs[start:end], out=P)
    np.subtract(o, P, out=P)  # P = o (1 - tanh(c)^2)
    return F, P


def lstm_backward(dh_out, dstate, cache, p, grads, ws, need_dx=True):
    """BPTT for :func:`lstm_forward`; ``dstate`` is ``(dh_T, dc_T)`` from the future.

    Returns ``dx`` or None, ``(dh_0, dc_0)``, and ``||dC/dh_t||`` per step.
    """
    hs, xh, G, L, tcs = cache
    T, B, H = dh_out.shape
    split = column_split(H)
    dA = ws.get("dA", (4, T, B, H), hs.dtype)  # gate-major, as the gates
    dh = ws.get("dh", (T, B, H), hs.dtype)
    dc = ws.get("dc", (B, H), hs.dtype)
    parts = ws.get("dh_parts", (4, B, H), hs.dtype)  # each gate's share of dh_{t-1}
    parts_blocks = column_blocks(parts, split)
    WhT = gate_blocks(ws, "Wh_T", p["Wh"], 4, LSTM_SHIFT, split, transpose=True)
    dh_next, dc_next = dstate[0].copy(), dstate[1].copy()
    for start, end in _blocks(T, 5 * B * H):
        F, P = _lstm_factors(G, L, tcs, ws, start, end)
        for t in reversed(range(start, end)):
            k = t - start
            np.add(dh_out[t], dh_next, out=dh[t])  # BPTT1
            np.multiply(dh[t], P[k], out=dc)
            dc += dc_next  # the two paths into c_t: through h_t, and along the cell from c_{t+1}
            np.multiply(dc, F[1:, k], out=dA[1:, t])  # i, f, g
            np.multiply(dh[t], F[0, k], out=dA[0, t])  # o
            np.matmul(dA[:, t, None], WhT, out=parts_blocks)
            np.add.reduce(parts, axis=0, out=dh_next)  # dA_t Wh^T, gate by gate
            np.multiply(dc, G[2, t], out=dc_next)  # LSTM3: the cell's own path, times f only
    dx = gate_weight_grads(xh, hs[:-1], dA, p, grads, LSTM_SHIFT, ws, need_dx)
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
