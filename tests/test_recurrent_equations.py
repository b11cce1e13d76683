"""Each labelled equation of docs/recurrent.md, checked numerically: float64, random non-square
shapes, against finite differences or the explicit Jacobian. A test is named after its label
(``test_bptt1_...`` for (BPTT1)), and docs/recurrent.md's closing table lists them."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_gradient, rel_error

import nn
from nn.functional import recurrent as R

B, D, H, T = 3, 4, 5, 6  # batch != n_in != n_hidden != T


def params(cell: str, seed: int = 0, scale: float = 0.6) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    p = {
        "Wx": rng.standard_normal((D, G * H)) * scale,
        "Wh": rng.standard_normal((H, G * H)) * scale,
        "b": rng.standard_normal(G * H) * scale,
    }
    if cell == "gru":
        p["bh"] = rng.standard_normal(H) * scale
    return p


def data(seed: int = 1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((B, T, D)), rng.standard_normal((B, H)), rng


def jacobian(f, h: np.ndarray) -> np.ndarray:
    """``J[a, b] = d f(h)_a / d h_b`` for one example (h of shape (H,)), by finite differences."""
    cols = []
    for b in range(h.size):
        e = np.zeros_like(h)
        e[b] = 1e-6
        cols.append((f(h + e) - f(h - e)) / 2e-6)
    return np.stack(cols, axis=1)


def test_rnn1_the_step_is_tanh_of_an_affine_map():
    p = params("rnn")
    x, h, _ = data()
    (h1,), _ = R.rnn_step_forward(x[:, 0], (h,), p)
    for n in range(B):
        for j in range(H):
            z = p["b"][j] + sum(x[n, 0, k] * p["Wx"][k, j] for k in range(D))
            z += sum(h[n, k] * p["Wh"][k, j] for k in range(H))
            assert abs(h1[n, j] - np.tanh(z)) < 1e-14


def run_with_nudge(cell, p, x, h0, t, delta):
    """The sequence, with ``delta`` added to the state h after step ``t``; returns hs."""
    state = (h0,) if cell != "lstm" else (h0, np.zeros_like(h0))
    hs = []
    for s in range(T):
        state, _ = R.CELLS[cell][0](x[:, s], state, p)
        if s == t:
            state = (state[0] + delta, *state[1:])
        hs.append(state[0])
    return np.stack(hs, axis=1)


@pytest.mark.parametrize("cell", list(R.CELLS))
def test_bptt1_the_gradient_at_h_t_adds_its_two_paths(cell):
    """dC/dh_t = (what the output at t sends) + (what step t + 1 sends back), and that sum is
    the derivative of C with respect to h_t (finite differences of a nudge of h_t)."""
    p = params(cell)
    x, h0, rng = data()
    G = rng.standard_normal((B, T, H))
    t = 2
    delta = np.zeros((B, H))
    numeric = numeric_gradient(
        lambda: float((run_with_nudge(cell, p, x, h0, t, delta) * G).sum()), delta
    )
    state0 = (h0,) if cell != "lstm" else (h0, np.zeros_like(h0))
    _, _, caches = R.sequence_forward(cell, x, state0, p)
    dstate = tuple(np.zeros((B, H)) for _ in state0)
    for s in reversed(range(t + 1, T)):  # walk back to step t + 1 ...
        dh = G[:, s] + dstate[0]
        _, dstate, _ = R.CELLS[cell][1]((dh, *dstate[1:]), caches[s])
    from_future = dstate[0]
    analytic = G[:, t] + from_future  # ... and add the output's own share: (BPTT1)
    assert rel_error(analytic, numeric) < 1e-8, cell
    assert np.abs(from_future).max() > 0.01  # both paths carry something


def test_bptt2_tanh_prime_from_the_output():
    z = np.linspace(-4, 4, 41)
    h = np.tanh(z)
    numeric = (np.tanh(z + 1e-6) - np.tanh(z - 1e-6)) / 2e-6
    assert np.abs((1 - h**2) - numeric).max() < 1e-9
    assert (1 - h**2).max() <= 1.0  # tanh' never exceeds 1 (at z = 0 it is 1)


def test_bptt3_one_step_back_is_the_transposed_jacobian():
    p = params("rnn")
    x, h, rng = data()
    g = rng.standard_normal((B, H))  # dC/dh_t
    (h1,), cache = R.rnn_step_forward(x[:, 0], (h,), p)
    _, (dh_prev,), _ = R.rnn_step_backward((g,), cache)
    for n in range(B):
        J = jacobian(lambda v, n=n: np.tanh(x[n, 0] @ p["Wx"] + v @ p["Wh"] + p["b"]), h[n])
        assert rel_error(dh_prev[n], J.T @ g[n]) < 1e-8
        # the row form the code uses: (g (.) (1 - h^2)) Wh^T
        assert rel_error(dh_prev[n], (g[n] * (1 - h1[n] ** 2)) @ p["Wh"].T) < 1e-13


@pytest.mark.parametrize("cell", list(R.CELLS))
def test_bptt4_shared_weights_add_up_their_gradients_over_the_steps(cell):
    p = params(cell)
    x, h0, rng = data()
    state0 = (h0,) if cell != "lstm" else (h0, np.zeros_like(h0))
    G = rng.standard_normal((B, T, H))
    _, _, caches = R.sequence_forward(cell, x, state0, p)
    _, _, grads = R.sequence_backward(cell, G, caches)
    numeric = numeric_gradient(
        lambda: float((R.sequence_forward(cell, x, state0, p)[0] * G).sum()), p["Wh"]
    )
    assert rel_error(grads["Wh"], numeric) < 1e-7, cell
    # and it is the sum of each step's own share
    dstate, shares = tuple(np.zeros((B, H)) for _ in state0), []
    for t in reversed(range(T)):
        _, dstate, g = R.CELLS[cell][1]((G[:, t] + dstate[0], *dstate[1:]), caches[t])
        shares.append(g["Wh"])
    assert rel_error(grads["Wh"], sum(shares)) < 1e-13, cell


def test_vt1_the_gradient_k_steps_back_is_a_product_of_k_jacobians():
    p = params("rnn")
    x, h0, rng = data()
    gT = rng.standard_normal((B, H))
    G = np.zeros((B, T, H))
    G[:, -1] = gT  # a loss on the last state only
    hs, _, caches = R.sequence_forward("rnn", x, (h0,), p)
    _, (dh0,), _ = R.sequence_backward("rnn", G, caches)
    for n in range(B):
        g = gT[n]
        for t in reversed(range(T)):  # J_1^T ... J_T^T g, one Jacobian per step
            J = np.diag(1 - hs[n, t] ** 2) @ p["Wh"].T  # dh_t/dh_{t-1}
            g = J.T @ g
        assert rel_error(dh0[n], g) < 1e-12


def test_vt2_each_step_back_shrinks_the_gradient_by_at_most_sigma_max():
    rng = np.random.default_rng(3)
    for scale in (0.3, 0.6, 1.5):
        p = params("rnn", seed=int(scale * 10), scale=scale)
        x, h0, _ = data()
        hs, _, caches = R.sequence_forward("rnn", x, (h0,), p)
        sigma = np.linalg.norm(p["Wh"], 2)
        g = rng.standard_normal((B, H))
        norms = [np.linalg.norm(g, axis=1)]
        for t in reversed(range(T)):
            _, (g,), _ = R.rnn_step_backward((g,), caches[t])
            norms.append(np.linalg.norm(g, axis=1))
        for k in range(1, T + 1):  # ||g_{T-k}|| <= sigma_max(Wh)^k ||g_T||, example by example
            assert np.all(norms[k] <= sigma**k * norms[0] * (1 + 1e-12))


def test_clip1_clipping_keeps_the_direction_and_caps_the_length():
    rng = np.random.default_rng(0)
    W, dW = rng.standard_normal((3, 4)), 10 * rng.standard_normal((3, 4))
    b, db = rng.standard_normal(4), 10 * rng.standard_normal(4)
    norm = np.sqrt((dW**2).sum() + (db**2).sum())
    opt = nn.SGD(1.0, clip_norm=2.0)
    W0, b0 = W.copy(), b.copy()
    opt.step([("0.W", W, dW), ("0.b", b, db)])
    step = np.concatenate([(W0 - W).ravel(), (b0 - b).ravel()])
    assert abs(np.linalg.norm(step) - 2.0) < 1e-12  # the length is the cap
    direction = np.concatenate([dW.ravel(), db.ravel()]) / norm
    assert rel_error(step / 2.0, direction) < 1e-12  # the direction is the gradient's


def lstm_state_after(p, x, h, c):
    (h1, c1), cache = R.lstm_step_forward(x, (h, c), p)
    return h1, c1, cache


def test_lstm1_the_cell_is_forget_times_old_plus_input_times_candidate():
    p = params("lstm")
    x, h, rng = data()
    c = rng.standard_normal((B, H))
    _, c1, cache = lstm_state_after(p, x[:, 0], h, c)
    a = x[:, 0] @ p["Wx"] + h @ p["Wh"] + p["b"]
    i, f, g = nn.sigmoid(a[:, :H]), nn.sigmoid(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H])
    assert np.abs(c1 - (f * c + i * g)).max() < 1e-14


def test_lstm2_the_output_is_the_output_gate_times_tanh_of_the_cell():
    p = params("lstm")
    x, h, rng = data()
    c = rng.standard_normal((B, H))
    h1, c1, _ = lstm_state_after(p, x[:, 0], h, c)
    a = x[:, 0] @ p["Wx"] + h @ p["Wh"] + p["b"]
    assert np.abs(h1 - nn.sigmoid(a[:, 3 * H :]) * np.tanh(c1)).max() < 1e-14


def test_lstm3_along_the_cell_the_jacobian_is_the_forget_gate():
    p = params("lstm")
    x, h, rng = data()
    c = rng.standard_normal((B, H))
    _, _, cache = lstm_state_after(p, x[:, 0], h, c)
    f = cache[4]
    for n in range(B):

        def cell_after(v, n=n):
            return lstm_state_after(p, x[n : n + 1, 0], h[n : n + 1], v[None])[1][0]

        J = jacobian(cell_after, c[n])
        assert np.abs(J - np.diag(f[n])).max() < 1e-9  # dc_t/dc_{t-1} = diag(f): no Wh, no tanh'


def test_gru1_the_candidate_sees_the_reset_state_projection():
    p = params("gru")
    x, h, _ = data()
    _, cache = R.gru_step_forward(x[:, 0], (h,), p)
    r, n = cache[2], cache[4]
    ax = x[:, 0] @ p["Wx"] + p["b"]
    expected = np.tanh(ax[:, 2 * H :] + r * (h @ p["Wh"][:, 2 * H :] + p["bh"]))
    assert np.abs(n - expected).max() < 1e-14


def test_gru2_the_new_state_mixes_candidate_and_old_state_by_z():
    p = params("gru")
    x, h, _ = data()
    (h1,), cache = R.gru_step_forward(x[:, 0], (h,), p)
    z, n = cache[3], cache[4]
    assert np.abs(h1 - ((1 - z) * n + z * h)).max() < 1e-14


def test_gru3_without_recurrent_weights_the_jacobian_is_diag_z():
    p = params("gru")
    p["Wh"][...] = 0  # no path through the gates or the candidate: only z * h_{t-1} is left
    x, h, _ = data()
    (_,), cache = R.gru_step_forward(x[:, 0], (h,), p)
    z = cache[3]
    for n in range(B):
        J = jacobian(
            lambda v, n=n: R.gru_step_forward(x[n : n + 1, 0], (v[None],), p)[0][0][0], h[n]
        )
        assert np.abs(J - np.diag(z[n])).max() < 1e-9
