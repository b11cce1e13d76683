"""What the fast recurrent cells share: scratch arrays, gate-major weights, BPTT4 in one product.

Read :mod:`nn.functional.recurrent_fast` first: it says what the tricks are; these are the
pieces the LSTM (:mod:`nn.functional.recurrent_fast_lstm`) and the GRU
(:mod:`nn.functional.recurrent_fast_gru`) build them from.

**Gate-major.** The gated cells keep a step's gates as ``(G, batch, H)``, gate by gate, not as
the ``(batch, G * H)`` rows a product ``h Wh`` gives: a pass over one gate is then a pass over
one contiguous array, where over a column block of rows it would walk ``batch`` short rows,
and NumPy pays for every row (about 70 ns each, as much as 500 multiplies). The products give
gate-major results when the weights are regrouped gate by gate first (:func:`gate_blocks`),
once per call, and the gradients are put back in the parameters' layout once at the end
(:func:`to_param_order`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "BLOCK_FLOATS",
    "PRODUCT_COLUMNS",
    "SPLIT_BATCH",
    "Workspace",
    "blocks",
    "column_blocks",
    "column_split",
    "gate_blocks",
    "gate_weight_grads",
    "inputs_with_ones",
    "norms",
    "project_inputs",
    "step_weights",
    "to_param_order",
]


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


#: Columns of ``Wh`` per product inside the loop. OpenBLAS computes a step's
#: ``(32, 128) @ (128, 64)`` products faster per multiply-add than one ``(32, 128) @ (128, 512)``
#: (about 30%, measured), so each gate's columns are cut in blocks of this many, for batches of
#: at least :data:`SPLIT_BATCH` rows (below, an extra call costs more than it saves).
PRODUCT_COLUMNS = 64
SPLIT_BATCH = 8

#: Floats of derivative factors computed at once: a block of steps whose factors (about 256 KB
#: in float32) stay in the processor's cache until the backward loop reads them.
BLOCK_FLOATS = 1 << 16


def blocks(T: int, floats_per_step: int) -> tuple[int, list[tuple[int, int]]]:
    """Steps per block, and the ``(start, end)`` blocks, the last first, within
    :data:`BLOCK_FLOATS`."""
    size = max(1, BLOCK_FLOATS // floats_per_step)
    return size, [(max(0, end - size), end) for end in range(T, 0, -size)]


def norms(dh: np.ndarray) -> np.ndarray:
    """``||dC/dh_t||`` for every step: the Frobenius norm of each ``(batch, H)`` slice."""
    d = dh.reshape(len(dh), 1, -1)  # each step's dot product with itself, by the BLAS
    return np.sqrt((d @ d.transpose(0, 2, 1)).ravel().astype(np.float64))


def column_split(batch: int, H: int) -> int:
    """Blocks of :data:`PRODUCT_COLUMNS` columns in a gate of ``H`` units (1: no cut)."""
    return H // PRODUCT_COLUMNS if H % PRODUCT_COLUMNS == 0 and batch >= SPLIT_BATCH else 1


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


def project_inputs(ws, x1, p, n_gates, shift, n_sigmoid, out):
    """``out[t, k] = x_t Wx + b`` of gate ``k`` (the parameters' ``k - shift``; the first
    ``n_sigmoid`` gates halved, for tanh(a / 2)), every step before the loop.

    ``x1`` is ``[x_t, 1]`` (T * batch, n_in + 1), ``out`` (T, G, batch, H): each step's gates
    one contiguous block. The bias is one more row of the weights.
    """
    T, G, B, H = out.shape
    W = gate_blocks(ws, "Wxb", np.concatenate([p["Wx"], p["b"][None]]), n_gates, shift)[:, 0]
    W[:n_sigmoid] *= 0.5  # (G, n_in + 1, H)
    if B == 1:  # a step is one row, its gates side by side: one product for every step
        np.matmul(x1, W.transpose(1, 0, 2).reshape(-1, G * H), out=out.reshape(T, G * H))
    else:  # a product per step and gate, each writing its (batch, H) block (OpenBLAS's
        np.matmul(x1.reshape(T, 1, B, -1), W, out=out)  # small ones beat one large one here)


def step_weights(ws, W, n_gates, shift, n_sigmoid, out):
    """The weights of a step's product ``h Wh``, writing gate-major ``out`` (G, batch, H), and
    the view of ``out`` it writes; the first ``n_sigmoid`` gates' weights halved (tanh(a / 2)).

    :func:`gate_blocks` of ``Wh`` in column blocks; or, for one sequence, ``Wh`` with its gates
    in the fast order: the one row of ``h Wh``, all gates side by side, is then gate-major
    already, and one BLAS call does what would take one per gate.
    """
    G, B, H = out.shape
    if B > 1:
        split = column_split(B, H)
        Wb = gate_blocks(ws, "Wh_blocks", W, n_gates, shift, split)
        Wb[:n_sigmoid] *= 0.5
        return Wb, column_blocks(out, split)
    Wr = ws.get("Wh_row", W.shape, W.dtype)
    np.copyto(Wr[:, shift * H :], W[:, : (G - shift) * H])
    np.copyto(Wr[:, : shift * H], W[:, (G - shift) * H :])
    Wr[:, : n_sigmoid * H] *= 0.5
    return Wr, out.reshape(1, G * H)


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


def gate_weight_grads(xh, h_prev, dA, shift, p, grads, ws, need_dx, dAh=None):
    """BPTT4 for gate-major ``dA`` (G, T, batch, H): ``dWx``, ``db``, ``dWh`` and ``dx``.

    ``[X, 1, H_prev]^T dA``, one product per gate for all steps at once, then each gate put
    back where the parameters keep it (the fast twin's gate ``k`` is the parameters' gate
    ``k - shift``). ``dAh``: the gradients on the hidden side when they differ (the GRU's, in
    the parameters' order); ``[1, H_prev]^T dAh`` then gives ``dWh``, and its first row (the
    column sums of ``dAh``) is returned too.

    Returns ``dx`` (T, batch, n_in) or None, and the column sums of ``dAh`` (or None).
    """
    G, T, B, H = dA.shape
    D = xh.shape[2] - 1 - H
    xh[:, :, D + 1 :] = h_prev
    xh2, dA3 = xh.reshape(T * B, -1), dA.reshape(G, T * B, H)
    sums = None
    if dAh is None:  # one product: rows dWx, then db, then dWh
        dW = ws.get("dW", (G, D + 1 + H, H), dA.dtype)
        np.matmul(xh2.T, dA3, out=dW)
        to_param_order(dW[:, D + 1 :], grads["Wh"], shift)
    else:
        dW = ws.get("dW", (G, D + 1, H), dA.dtype)
        np.matmul(xh2[:, : D + 1].T, dA3, out=dW)
        dWh = ws.get("dWh", (G, 1 + H, H), dA.dtype)
        np.matmul(xh2[:, D:].T, dAh.reshape(G, T * B, H), out=dWh)
        to_param_order(dWh[:, 1:], grads["Wh"], 0)
        sums = dWh[:, 0]
    to_param_order(dW[:, :D], grads["Wx"], shift)
    to_param_order(dW[:, D : D + 1], grads["b"][None], shift)
    if not need_dx:
        return None, sums
    WxT = p["Wx"].reshape(D, G, H).transpose(1, 2, 0)  # (G, H, n_in): each gate's Wx^T, a view
    parts = ws.get("dx_parts", (G, T * B, D), dA.dtype)
    np.matmul(dA3[shift:], WxT[: G - shift], out=parts[shift:])  # each gate's share of dA Wx^T
    np.matmul(dA3[:shift], WxT[G - shift :], out=parts[:shift])
    dx = np.add(parts[0], parts[1]) if G > 1 else parts[0].copy()
    for part in parts[2:]:
        dx += part
    return dx.reshape(T, B, D), sums
