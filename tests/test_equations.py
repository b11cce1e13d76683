"""Every labelled equation of docs/backprop.md, checked numerically.

One test per label, named ``test_<label>_...`` (``test_bp2_delta_recursion`` checks (BP2));
``tests/test_backprop_doc.py`` fails if a label of the document has no test here or a test
here names no label of the document. Everything is float64, on random shapes where the batch
size and every layer width differ, against fourth-order finite differences
(``conftest.numeric_gradient``) or against the equation evaluated independently of ``src/nn``.

Book form (Nielsen ch. 2) is one example as a column vector with ``W_book`` of shape
``(n_out, n_in)``; code form is batch-first with ``W_code = W_book.T`` of shape
``(n_in, n_out)``. ``tests/backprop_helpers.py`` converts between them.
"""

from __future__ import annotations

import numpy as np
import pytest
from backprop_helpers import (
    Counter,
    book,
    book_forward,
    code_deltas,
    code_grads,
    dense,
    doc_namespace,
    fd_deltas,
    fd_param_grads,
    memoized_gradients,
    per_example_grads,
    per_weight_gradients,
    random_problem,
    scalar_state,
    sig,
    sig_prime,
)
from conftest import numeric_gradient, rel_error

import nn

# Finite differences (order 4, eps 1e-3) against analytic values. With N(0, 1) weights some
# entries are as small as 1e-9, and their relative error reaches about 5e-7 over these seeds; a
# wrong equation is off by order 1.
TOL = 1e-6
SEEDS = [0, 1, 2]


# ---------------------------------------------------------------------------- forward
@pytest.mark.parametrize("seed", SEEDS)
def test_fp1_forward_one_example(seed):
    net, X, _ = random_problem(seed, depth=3)
    Ws, bs = book(net)
    for x in X:
        zs, acts = book_forward(Ws, bs, x.reshape(-1, 1))
        net.forward(x.reshape(1, -1))  # a batch of one row
        for ell in range(1, len(Ws) + 1):
            assert zs[ell].shape == (Ws[ell - 1].shape[0], 1)
            np.testing.assert_allclose(net.layers[2 * ell - 1].z, zs[ell].T, rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(net.layers[2 * ell - 1].a, acts[ell].T, rtol=1e-13)


@pytest.mark.parametrize("seed", SEEDS)
def test_fp2_forward_batch_first_is_the_transposed_column_form(seed):
    net, X, _ = random_problem(seed, depth=3)
    Ws, bs = book(net)
    A = net.forward(X)
    for ell, layer in enumerate(dense(net), start=1):
        # Z^l = A^{l-1} W_code + 1 b^T, row x equal to (W_book a_x + b)^T
        Z = layer.x @ layer.W + np.ones((len(X), 1)) @ layer.b.reshape(1, -1)
        np.testing.assert_allclose(net.layers[2 * ell - 1].z, Z, rtol=1e-13, atol=1e-15)
        assert layer.W.shape == Ws[ell - 1].T.shape == (layer.n_in, layer.n_out)
    stacked = np.hstack([book_forward(Ws, bs, x.reshape(-1, 1))[1][-1] for x in X]).T
    assert A.shape == stacked.shape == (len(X), Ws[-1].shape[0])
    np.testing.assert_allclose(A, stacked, rtol=1e-13)


# ---------------------------------------------------------------------------- the cost
@pytest.mark.parametrize("seed", SEEDS)
def test_sq1_cost_is_the_batch_mean(seed):
    rng = np.random.default_rng(seed)
    n, k = 7, 4
    A, Y = rng.random((n, k)), rng.random((n, k))
    by_hand = sum(0.5 * sum((A[x, j] - Y[x, j]) ** 2 for j in range(k)) for x in range(n)) / n
    assert nn.SquaredError().value(A, Y) == pytest.approx(by_hand, rel=1e-14)
    # a mean, not a sum: the batch twice over has the same cost
    twice = nn.SquaredError().value(np.vstack([A, A]), np.vstack([Y, Y]))
    assert twice == pytest.approx(by_hand, rel=1e-14)


@pytest.mark.parametrize("seed", SEEDS)
def test_sq2_cost_gradient(seed):
    rng = np.random.default_rng(seed)
    A, Y = rng.random((5, 3)), rng.random((5, 3))
    loss = nn.SquaredError()
    fd = numeric_gradient(lambda: loss.value(A, Y), A)
    assert rel_error(fd, (A - Y) / len(A)) < TOL
    assert rel_error(fd, loss.gradient(A, Y)) < TOL


# ---------------------------------------------------------------------------- one weight
@pytest.mark.parametrize("seed", SEEDS)
def test_cr1_chain_rule_for_one_weight(seed):
    """Every first-layer weight of a two-layer network, by the written-out chain rule."""
    net, X, Y = random_problem(seed, depth=2, batch=1)
    (W1, W2), (b1, b2) = book(net)
    x, y = X[0], Y[0]
    z1 = W1 @ x + b1[:, 0]
    a1 = sig(z1)
    z2 = W2 @ a1 + b2[:, 0]
    a2 = sig(z2)
    n0, n1, n2 = len(x), len(z1), len(z2)
    chain = np.zeros((n1, n0))  # book layout: w^1_{jk}, j a unit of layer 1, k an input
    for j in range(n1):
        for k in range(n0):
            chain[j, k] = sum(
                (a2[i] - y[i]) * sig_prime(z2[i]) * W2[i, j] * sig_prime(z1[j]) * x[k]
                for i in range(n2)
            )
    fd = fd_param_grads(net, X, Y)["0.W"]  # code layout (n0, n1)
    assert rel_error(chain.T, fd) < TOL


# ---------------------------------------------------------------------------- op counts
@pytest.mark.parametrize("seed,depth", [(0, 2), (1, 3), (2, 4)])
def test_oc1_per_weight_operation_count(seed, depth):
    net, X, Y = random_problem(seed, depth=depth, batch=1)
    sizes = [dense(net)[0].n_in] + [d.n_out for d in dense(net)]
    count = Counter()
    grads = per_weight_gradients(net, X[0], Y[0], count)
    expected = code_grads(net, X, Y)
    for key in expected:
        assert rel_error(grads[key], expected[key]) < 1e-12, key
    assert count.mults == doc_namespace("per_weight_mults")["per_weight_mults"](sizes)


@pytest.mark.parametrize("seed,depth", [(0, 2), (1, 3), (2, 4)])
def test_oc2_backprop_operation_count(seed, depth):
    net, X, Y = random_problem(seed, depth=depth, batch=1)
    sizes = [dense(net)[0].n_in] + [d.n_out for d in dense(net)]
    count = Counter()
    grads = memoized_gradients(net, X[0], Y[0], count)
    expected = code_grads(net, X, Y)
    for key in expected:
        assert rel_error(grads[key], expected[key]) < 1e-12, key
    ns = doc_namespace("backprop_mults")
    assert count.mults == ns["backprop_mults"](sizes)
    forward = Counter()
    W, a, _ = scalar_state(net, X[0])
    for ell in range(1, len(W)):  # z^l_j = sum_k w^l_jk a^{l-1}_k: (FP1), one product per weight
        z = [sum(forward.mul(w, a_k) for w, a_k in zip(row, a[ell - 1])) for row in W[ell]]
        np.testing.assert_allclose(sig(np.array(z) + dense(net)[ell - 1].b), a[ell], rtol=1e-13)
    assert forward.mults == ns["forward_mults"](sizes)
    assert count.mults < 2 * forward.mults + sum(sizes[1:])


# ---------------------------------------------------------------------------- BP1
@pytest.mark.parametrize("seed", SEEDS)
def test_bp1_output_delta(seed):
    net, X, Y = random_problem(seed, depth=2, batch=1)
    L = len(dense(net))
    Ws, bs = book(net)
    zs, acts = book_forward(Ws, bs, X[0].reshape(-1, 1))
    y = Y[0].reshape(-1, 1)
    # delta^L = nabla_a C (.) sigma'(z^L), with C_x = 1/2 ||a - y||^2 so nabla_a C = a - y
    formula = (acts[L] - y) * sig_prime(zs[L])
    fd = fd_deltas(net, X, Y)[L]  # (1, n_L): the row form of the column delta^L
    assert rel_error(fd, formula.T) < TOL
    assert rel_error(code_deltas(net, X, Y)[L], formula.T) < TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_bp1b_output_delta_batch(seed):
    net, X, Y = random_problem(seed, depth=2)
    L = len(dense(net))
    A = net.forward(X)
    Z = net.layers[-1].z
    formula = (A - Y) / len(X) * sig_prime(Z)  # Delta^L = (A - Y)/n (.) sigma'(Z^L)
    fd = fd_deltas(net, X, Y)[L]
    assert fd.shape == (len(X), Z.shape[1])
    assert rel_error(fd, formula) < TOL
    assert rel_error(code_deltas(net, X, Y)[L], formula) < TOL


# ---------------------------------------------------------------------------- BP2
@pytest.mark.parametrize("seed", SEEDS)
def test_bp2_delta_recursion(seed):
    net, X, Y = random_problem(seed, depth=4, batch=1)
    L = len(dense(net))
    Ws, bs = book(net)
    zs, _ = book_forward(Ws, bs, X[0].reshape(-1, 1))
    fd = {ell: d.T for ell, d in fd_deltas(net, X, Y).items()}  # columns, as in the book
    code = code_deltas(net, X, Y)
    for ell in range(L - 1, 0, -1):
        # delta^l = ((W^{l+1})^T delta^{l+1}) (.) sigma'(z^l), fed with the FD delta^{l+1}
        formula = (Ws[ell].T @ fd[ell + 1]) * sig_prime(zs[ell])
        assert formula.shape == (Ws[ell - 1].shape[0], 1)
        assert rel_error(fd[ell], formula) < TOL, ell
        assert rel_error(code[ell], fd[ell].T) < TOL, ell


@pytest.mark.parametrize("seed", SEEDS)
def test_bp2b_delta_recursion_batch(seed):
    net, X, Y = random_problem(seed, depth=4)
    L = len(dense(net))
    net.forward(X)
    fd = fd_deltas(net, X, Y)
    code = code_deltas(net, X, Y)
    for ell in range(L - 1, 0, -1):
        Z = net.layers[2 * ell - 1].z
        formula = (fd[ell + 1] @ dense(net)[ell].W.T) * sig_prime(Z)  # Delta^{l+1} W_code^T
        assert rel_error(fd[ell], formula) < TOL, ell
        assert rel_error(code[ell], fd[ell]) < TOL, ell


# ---------------------------------------------------------------------------- BP3
@pytest.mark.parametrize("seed", SEEDS)
def test_bp3_bias_gradient(seed):
    net, X, Y = random_problem(seed, depth=3, batch=1)
    deltas = fd_deltas(net, X, Y)
    fd = fd_param_grads(net, X, Y)
    code = code_grads(net, X, Y)
    for ell in deltas:
        key = f"{2 * (ell - 1)}.b"
        assert rel_error(fd[key], deltas[ell][0]) < TOL, key  # dC/db^l_j = delta^l_j
        assert rel_error(code[key], fd[key]) < TOL, key


@pytest.mark.parametrize("seed", SEEDS)
def test_bp3b_bias_gradient_batch(seed):
    net, X, Y = random_problem(seed, depth=3)
    deltas = fd_deltas(net, X, Y)
    fd = fd_param_grads(net, X, Y)
    code = code_grads(net, X, Y)
    for ell, D in deltas.items():
        key = f"{2 * (ell - 1)}.b"
        assert rel_error(fd[key], np.ones(len(X)) @ D) < TOL, key  # 1^T Delta: rows summed
        assert rel_error(code[key], fd[key]) < TOL, key


# ---------------------------------------------------------------------------- BP4
@pytest.mark.parametrize("seed", SEEDS)
def test_bp4_weight_gradient(seed):
    net, X, Y = random_problem(seed, depth=3, batch=1)
    Ws, bs = book(net)
    _, acts = book_forward(Ws, bs, X[0].reshape(-1, 1))
    deltas = {ell: d.T for ell, d in fd_deltas(net, X, Y).items()}
    fd = fd_param_grads(net, X, Y)
    code = code_grads(net, X, Y)
    for ell in deltas:
        key = f"{2 * (ell - 1)}.W"
        outer = deltas[ell] @ acts[ell - 1].T  # dC/dw^l_{jk} = a^{l-1}_k delta^l_j, book layout
        assert outer.shape == Ws[ell - 1].shape
        assert rel_error(fd[key], outer.T) < TOL, key  # the code's W is the book's transposed
        assert rel_error(code[key], fd[key]) < TOL, key


@pytest.mark.parametrize("seed", SEEDS)
def test_bp4b_weight_gradient_batch(seed):
    net, X, Y = random_problem(seed, depth=3)
    net.forward(X)
    inputs = {ell: d.x.copy() for ell, d in enumerate(dense(net), start=1)}  # A^{l-1}
    deltas = fd_deltas(net, X, Y)
    fd = fd_param_grads(net, X, Y)
    code = code_grads(net, X, Y)
    for ell, D in deltas.items():
        key = f"{2 * (ell - 1)}.W"
        assert rel_error(fd[key], inputs[ell].T @ D) < TOL, key  # (A^{l-1})^T Delta^l
        assert rel_error(code[key], fd[key]) < TOL, key


# ---------------------------------------------------------------------------- mini-batches
@pytest.mark.parametrize("seed", SEEDS)
def test_mb1_batch_gradient_is_mean_of_example_gradients(seed):
    net, X, Y = random_problem(seed, depth=3)
    each = per_example_grads(net, X, Y)
    fd = fd_param_grads(net, X, Y)
    for key, grad in code_grads(net, X, Y).items():
        mean = sum(g[key] for g in each) / len(X)
        assert rel_error(fd[key], mean) < TOL, key
        assert rel_error(grad, mean) < 1e-12, key
    # and the code's delta rows are the per-example deltas divided by n
    batch = code_deltas(net, X, Y)
    for i in range(len(X)):
        single = code_deltas(net, X[i : i + 1], Y[i : i + 1])
        for ell in batch:
            assert rel_error(batch[ell][i] * len(X), single[ell][0]) < 1e-12


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("eta", [0.5, 3.0])
def test_mb2_sgd_step_is_nielsens_update(seed, eta):
    net, X, Y = random_problem(seed, depth=3)
    before = {key: p.copy() for key, p, _ in net.parameters()}
    each = per_example_grads(net, X, Y)
    # Nielsen's update_mini_batch: w <- w - (eta / m) * sum over the batch of dC_x/dw
    nielsen = {k: before[k] - eta / len(X) * sum(g[k] for g in each) for k in before}
    net.gradients(X, Y)
    nn.SGD(eta).step(net.parameters())
    for key, param, _ in net.parameters():
        assert rel_error(param, nielsen[key]) < 1e-12, key


@pytest.mark.parametrize("seed", SEEDS)
def test_mb3_summed_cost_rescales_learning_rate(seed):
    net, X, Y = random_problem(seed, depth=2)
    n = len(X)

    def summed() -> float:  # C_sum = sum_x C_x = n C
        return n * net.loss.value(net.forward(X), Y)

    fd_sum = {key: numeric_gradient(summed, param) for key, param, _ in net.parameters()}
    mean_grads = code_grads(net, X, Y)
    for key, grad in mean_grads.items():
        assert rel_error(fd_sum[key], n * grad) < TOL, key
    # a step of eta on the summed cost is a step of n * eta on the mean cost
    eta = 0.1
    twin = net.copy()
    nn.SGD(n * eta).step(net.parameters())
    for (key, param, _), (_, p2, _) in zip(net.parameters(), twin.parameters()):
        p2 -= eta * fd_sum[key]
        np.testing.assert_allclose(param, p2, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------- sigmoid
def test_sg1_sigmoid_derivative():
    z = np.random.default_rng(0).normal(0, 4, size=200)
    h = 1e-3
    s = nn.sigmoid
    fd = (-s(z + 2 * h) + 8 * s(z + h) - 8 * s(z - h) + s(z - 2 * h)) / (12 * h)
    assert rel_error(nn.sigmoid_prime(z), fd) < 1e-9
    assert rel_error(s(z) * (1 - s(z)), fd) < 1e-9  # sigma' = sigma (1 - sigma)
    assert rel_error(nn.sigmoid_prime_from_output(s(z)), fd) < 1e-9


def test_sg2_sigmoid_derivative_bound():
    z = np.concatenate([np.linspace(-40, 40, 80_001), [-1000.0, 0.0, 1000.0]])
    p = nn.sigmoid_prime(z)
    s = nn.sigmoid(z)
    # sigma'(z) = 1/4 - (sigma(z) - 1/2)^2: never above 1/4, equal to it only at z = 0
    # both sides are rounded: they agree to a few units in the last place of values <= 1/4
    np.testing.assert_allclose(p, 0.25 - (s - 0.5) ** 2, rtol=0, atol=3e-16)
    assert p.max() == 0.25 and nn.sigmoid_prime(np.float64(0.0)) == 0.25
    assert np.all(p[np.abs(z) >= 1e-3] < 0.25)
    assert np.all(p >= 0)


# ---------------------------------------------------------------------------- vanishing
@pytest.mark.parametrize("seed", range(8))
def test_vg1_delta_shrinks_per_layer(seed):
    net, X, Y = random_problem(seed, depth=4, batch=1)
    for layer in dense(net):  # weights of every size, so the bound is tested where it bites
        layer.W[...] *= 3.0 ** (seed % 3)
    deltas = code_deltas(net, X, Y)
    for ell in range(1, len(dense(net))):
        spectral = np.linalg.norm(dense(net)[ell].W, 2)
        bound = 0.25 * spectral * np.linalg.norm(deltas[ell + 1])
        assert np.linalg.norm(deltas[ell]) <= bound * (1 + 1e-12), ell
    # Where z^l = 0, sigma' is exactly 1/4 and the first step of the bound is an equality.
    ell = 2
    below = dense(net)[ell - 1]
    net.forward(X)
    below.b[...] -= net.layers[2 * ell - 1].z[0]  # shift the bias so that z^l = 0
    deltas = code_deltas(net, X, Y)
    np.testing.assert_allclose(net.layers[2 * ell - 1].z, 0, atol=1e-12)
    upstream = deltas[ell + 1] @ dense(net)[ell].W.T  # (W^{l+1})^T delta^{l+1}, as a row
    assert np.linalg.norm(deltas[ell]) == pytest.approx(0.25 * np.linalg.norm(upstream), rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_vg2_delta_bound_across_layers(seed):
    net, X, Y = random_problem(seed, depth=5, batch=1)
    L = len(dense(net))
    deltas = code_deltas(net, X, Y)
    norms = [np.linalg.norm(d.W, 2) for d in dense(net)]  # norms[m - 1] = ||W^m||_2
    for ell in range(1, L):
        bound = 0.25 ** (L - ell) * np.prod(norms[ell:]) * np.linalg.norm(deltas[L])
        assert np.linalg.norm(deltas[ell]) <= bound * (1 + 1e-12), ell


# ---------------------------------------------------------------------------- saturation
@pytest.mark.parametrize("scale", [0.5, 1.5, 3.0])
def test_ls1_saturated_neuron_gradient(scale):
    rng = np.random.default_rng(int(scale * 10))
    n_in = 5
    layer = nn.Dense(n_in, 1, rng=rng, dtype=np.float64)
    net = nn.Network([layer, nn.Sigmoid()], nn.SquaredError())
    layer.W[...] = scale * np.abs(rng.standard_normal((n_in, 1)))
    layer.b[...] = scale
    X, Y = rng.random((1, n_in)) + 0.5, np.zeros((1, 1))  # target 0, output pushed towards 1
    z = (X @ layer.W + layer.b).item()
    a, y = sig(z), 0.0
    fd = fd_param_grads(net, X, Y)
    # dC/dw_k = (a - y) sigma'(z) x_k and dC/db = (a - y) sigma'(z)
    assert rel_error(fd["0.W"][:, 0], (a - y) * sig_prime(z) * X[0]) < TOL
    assert rel_error(fd["0.b"], (a - y) * sig_prime(z)) < TOL
    assert rel_error(code_grads(net, X, Y)["0.b"], fd["0.b"]) < TOL


def test_ls2_sigmoid_derivative_decays_exponentially():
    z = np.linspace(-15, 15, 3_001)
    e = np.exp(-np.abs(z))
    closed = e / (1 + e) ** 2  # sigma'(z), written so that nothing overflows or cancels
    h, s = 1e-3, nn.sigmoid
    fd = (-s(z + 2 * h) + 8 * s(z + h) - 8 * s(z - h) + s(z - 2 * h)) / (12 * h)
    mid = np.abs(z) <= 8  # beyond, 1 - sigma(z) is too small for differences of sigma
    assert rel_error(closed[mid], fd[mid]) < 1e-8
    np.testing.assert_allclose(nn.sigmoid_prime(z), closed, rtol=1e-9, atol=0)
    # sigma'(z) <= e^{-|z|}, and the two agree ever more closely as |z| grows
    wide = np.concatenate([z, np.linspace(-700, 700, 1_401)])
    ew = np.exp(-np.abs(wide))
    assert np.all(ew / (1 + ew) ** 2 <= ew)
    # nn.sigmoid_prime computes s (1 - s): right to 1e-16 absolute, not relative, for z > 30
    assert np.all(nn.sigmoid_prime(wide) <= ew * (1 + 1e-12) + 1e-16)
    far = np.abs(wide) >= 25  # the ratio is 1 - 2 e^{-|z|} + ...
    np.testing.assert_allclose((ew / (1 + ew) ** 2)[far], ew[far], rtol=1e-10)


def test_ls3_epochs_to_unlearn():
    """The doc's float loop is nn's training step, and (LS3) predicts its epoch count."""
    ns = doc_namespace("epochs_to_unlearn")
    epochs_to_unlearn, eta = ns["epochs_to_unlearn"], 0.15
    X, Y = np.array([[1.0]]), np.array([[0.0]])
    for z0 in (1.5, 4.0):  # the same count with nn's own Dense, Sigmoid, SquaredError, SGD
        layer = nn.Dense(1, 1, dtype=np.float64)
        net = nn.Network([layer, nn.Sigmoid()], nn.SquaredError())
        layer.W[...], layer.b[...] = z0 / 2, z0 / 2
        sgd, epochs = nn.SGD(eta), 0
        while net.forward(X)[0, 0] > 0.5:
            net.gradients(X, Y)
            sgd.step(net.parameters())
            epochs += 1
        assert epochs == epochs_to_unlearn(z0, eta)
    for z0 in (4.0, 6.0, 8.0, 9.0):
        t = (np.exp(z0) + 3 * z0 + 2.5 - 3 * np.exp(-z0) - 0.5 * np.exp(-2 * z0)) / (2 * eta)
        assert epochs_to_unlearn(z0, eta) == pytest.approx(t, rel=0.02), z0
        # and for a larger eta, where the continuous approximation is coarser
        t = (np.exp(z0) + 3 * z0 + 2.5 - 3 * np.exp(-z0) - 0.5 * np.exp(-2 * z0)) / (2 * 1.0)
        assert epochs_to_unlearn(z0, 1.0) == pytest.approx(t, rel=0.1), z0
