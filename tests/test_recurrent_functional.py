"""nn.functional.recurrent: each cell's step and BPTT against finite differences, and the fast
twin (nn.functional.recurrent_fast) equal to the readable one, on random non-square shapes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_gradient, rel_error

from nn.functional import recurrent as R
from nn.functional import recurrent_fast as F
from nn.functional import recurrent_fast_shared

CELLS = {"rnn": 1, "lstm": 4, "gru": 3}
# (batch, T, n_in, n_hidden): batch != n_in != n_hidden, lengths 1 to 7; one sequence alone
SHAPES = [(3, 1, 4, 5), (2, 4, 3, 6), (4, 7, 5, 3), (1, 3, 4, 5)]


def problem(cell: str, shape, seed: int = 0, scale: float = 0.6):
    """Parameters, a sequence, an initial state and random upstream gradients, float64."""
    B, T, D, H = shape
    rng = np.random.default_rng(seed)
    G = CELLS[cell]
    p = {
        "Wx": rng.standard_normal((D, G * H)) * scale,
        "Wh": rng.standard_normal((H, G * H)) * scale,
        "b": rng.standard_normal(G * H) * scale,
    }
    if cell == "gru":
        p["bh"] = rng.standard_normal(H) * scale
    n_states = 2 if cell == "lstm" else 1
    x = rng.standard_normal((B, T, D))
    s0 = tuple(rng.standard_normal((B, H)) for _ in range(n_states))
    dhs = rng.standard_normal((B, T, H))
    ds = tuple(rng.standard_normal((B, H)) for _ in range(n_states))
    return p, x, s0, dhs, ds


def scalar(cell, p, x, s0, dhs, ds) -> float:
    """L = sum(hs * dhs) + sum(final state * ds): its gradients are what BPTT returns."""
    hs, state, _ = R.sequence_forward(cell, x, s0, p)
    return float((hs * dhs).sum() + sum((s * d).sum() for s, d in zip(state, ds)))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("cell", CELLS)
def test_bptt_equals_finite_differences(cell, shape):
    p, x, s0, dhs, ds = problem(cell, shape)
    _, _, caches = R.sequence_forward(cell, x, s0, p)
    dx, ds0, grads = R.sequence_backward(cell, dhs, caches, ds)

    def f() -> float:
        return scalar(cell, p, x, s0, dhs, ds)

    worst = {name: rel_error(grads[name], numeric_gradient(f, p[name])) for name in p}
    worst["x"] = rel_error(dx, numeric_gradient(f, x))
    for k, s in enumerate(s0):
        worst[f"state{k}"] = rel_error(ds0[k], numeric_gradient(f, s))
    assert max(worst.values()) < 1e-7, worst


def total_gradient_norms(cell, dhs, caches, ds) -> list[float]:
    """``||dC/dh_t||`` for t = 1 .. T, walking BPTT with the readable step functions."""
    step_backward = R.CELLS[cell][1]
    dstate, norms = ds, []
    for t in reversed(range(dhs.shape[1])):
        dh = dhs[:, t] + dstate[0]
        norms.append(float(np.linalg.norm(dh)))
        _, dstate, _ = step_backward((dh, *dstate[1:]), caches[t])
    return norms[::-1]


# (BLOCK_FLOATS, PRODUCT_COLUMNS): derivatives a block of steps ahead, each gate's columns cut
# in blocks for the step's products (as for H = 128); the defaults, then small blocks of both
TUNING = {"defaults": (1 << 16, 64), "blocks of 1-2 steps, products of 1-3 columns": (40, 3)}


@pytest.mark.parametrize("zero_start", [False, True], ids=["random h_0", "h_0 = 0"])
@pytest.mark.parametrize("tuning", TUNING)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("cell", CELLS)
def test_fast_twin_equals_the_readable_one(cell, shape, tuning, zero_start, monkeypatch):
    block, columns = TUNING[tuning]
    monkeypatch.setattr(recurrent_fast_shared, "BLOCK_FLOATS", block)
    monkeypatch.setattr(recurrent_fast_shared, "PRODUCT_COLUMNS", columns)
    monkeypatch.setattr(recurrent_fast_shared, "SPLIT_BATCH", 2)
    p, x, s0, dhs, ds = problem(cell, shape, seed=1)
    if zero_start:  # the first step then skips its h_0 Wh
        s0 = tuple(np.zeros_like(s) for s in s0)
    hs, state, caches = R.sequence_forward(cell, x, s0, p)
    dx, ds0, grads = R.sequence_backward(cell, dhs, caches, ds)

    ws = F.Workspace()
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
    cache, fast_state = F.FORWARD[cell](x_tm, s0, p, ws)
    fast_grads = {k: np.full_like(v, np.nan) for k, v in p.items()}  # every entry written
    dh_tm = np.ascontiguousarray(dhs.transpose(1, 0, 2))
    fast_dx, fast_ds0, norms = F.BACKWARD[cell](dh_tm, ds, cache, p, fast_grads, ws)

    np.testing.assert_allclose(cache[0][1:].transpose(1, 0, 2), hs, rtol=0, atol=1e-13)
    np.testing.assert_allclose(cache[0][0], s0[0], rtol=0, atol=0)
    for a, b in zip(fast_state, state):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)
    np.testing.assert_allclose(fast_dx.transpose(1, 0, 2), dx, rtol=0, atol=1e-12)
    for a, b in zip(fast_ds0, ds0):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    for name in p:
        np.testing.assert_allclose(fast_grads[name], grads[name], rtol=0, atol=1e-12)
    # ||dC/dh_t||: the norm of what reached h_t from the output at t and from step t + 1
    np.testing.assert_allclose(norms, total_gradient_norms(cell, dhs, caches, ds), rtol=1e-12)
    assert norms.shape == (x.shape[1],) and np.all(norms >= 0)


@pytest.mark.parametrize("cell", CELLS)
def test_fast_twin_reuses_its_scratch_arrays_but_returns_fresh_ones(cell):
    p, x, s0, dhs, ds = problem(cell, (2, 3, 4, 5))
    ws = F.Workspace()
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
    first, _ = F.FORWARD[cell](x_tm, s0, p, ws)
    kept = first[0].copy()
    scratch = {k: id(v) for k, v in ws.arrays.items()}
    second, _ = F.FORWARD[cell](x_tm * 0.5, s0, p, ws)
    assert {k: id(v) for k, v in ws.arrays.items()} == scratch  # nothing allocated again
    assert first[0] is not second[0] and np.array_equal(first[0], kept)  # outputs untouched


def test_lstm_cell_path_is_multiplied_by_the_forget_gate_only():
    """LSTM3: dC/dc_{t-1} through the cell is dc * f, whatever the weights."""
    p, x, s0, _, _ = problem("lstm", (2, 1, 3, 4))
    (h, c), cache = R.lstm_step_forward(x[:, 0], s0, p)
    dc = np.random.default_rng(3).standard_normal(c.shape)
    _, (dh_prev, dc_prev), _ = R.lstm_step_backward((np.zeros_like(h), dc), cache)
    f = cache[4]
    np.testing.assert_allclose(dc_prev, dc * f, rtol=1e-15)
