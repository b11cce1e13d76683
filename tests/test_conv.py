"""Convolution, pooling, batch norm and flatten: the twins agree, the gradients are right."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import check_layer, numeric_gradient, rel_error
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn.functional import conv as F
from nn.functional import normalization as BN
from nn.functional import pooling as P

# (N, C, H, W, filters, kernel, stride, pad): non-square images, batch != channels != filters
CONV_CASES = [
    (2, 3, 7, 5, 4, 3, 1, 0),
    (3, 2, 6, 8, 5, 3, 2, 1),
    (1, 1, 5, 5, 2, 5, 1, 2),
    (2, 2, 9, 7, 3, 2, 3, 2),
    (4, 3, 8, 6, 2, 4, 2, 0),
]
# (N, C, H, W, size, stride): side by side, overlapping, leftover rows and columns
POOL_CASES = [
    (2, 3, 6, 4, 2, 2),
    (3, 2, 7, 5, 2, 2),
    (2, 2, 7, 8, 3, 2),
    (1, 3, 5, 6, 2, 1),
    (2, 1, 9, 7, 3, 3),
]


def scaled_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """Largest difference relative to the gradient's largest entry (at least 1).

    CS231n's entrywise relative error is about 1e-5 wherever the gradient is exactly 0 (a
    pixel no window covers, an input that lost its window), since the finite difference of a
    constant is round-off of about 1e-16 / eps, not 0. Measured against the gradient's
    scale, round-off stays near 1e-12 while a wrong gradient is off by order 1.
    """
    scale = max(float(np.abs(numeric).max(initial=0.0)), 1.0)
    return float(np.abs(np.asarray(analytic) - numeric).max(initial=0.0)) / scale


def check_scaled(layer, x: np.ndarray, rng: np.random.Generator, tol: float = 1e-9) -> None:
    """``check_layer`` with :func:`scaled_error`, for layers whose gradients are often 0."""
    G = rng.standard_normal(layer.forward(x, training=True).shape)

    def f() -> float:
        return float(np.sum(layer.forward(x, training=True) * G))

    layer.forward(x, training=True)
    dx = layer.backward(G)
    analytic = {name: g.copy() for name, g in layer.grads.items()}
    assert dx.shape == x.shape
    assert scaled_error(dx, numeric_gradient(f, x)) < tol
    for name, param in layer.params.items():
        assert scaled_error(analytic[name], numeric_gradient(f, param)) < tol, name


def _conv_problem(case, seed=0):
    N, C, H, W, Fo, k, s, p = case
    rng = np.random.default_rng(seed)
    return rng, rng.standard_normal((N, C, H, W)), rng.standard_normal((Fo, C, k, k)), s, p


# ---------------------------------------------------------------- convolution
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_naive_and_im2col_convolutions_agree(case):
    rng, x, W, s, p = _conv_problem(case)
    b = rng.standard_normal(W.shape[0])
    out1, cache1 = F.conv_forward_naive(x, W, b, s, p)
    out2, cache2 = F.conv_forward_im2col(x, W, b, s, p)
    np.testing.assert_allclose(out2, out1, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out1.shape)
    for g1, g2 in zip(F.conv_backward_naive(dout, cache1), F.conv_backward_im2col(dout, cache2)):
        assert g1.shape == g2.shape
        np.testing.assert_allclose(g2, g1, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_naive_convolution_gradients_match_finite_differences(case):
    rng, x, W, s, p = _conv_problem(case, seed=1)
    b = rng.standard_normal(W.shape[0])
    out, cache = F.conv_forward_naive(x, W, b, s, p)
    dout = rng.standard_normal(out.shape)
    dx, dW, db = F.conv_backward_naive(dout, cache)

    def f() -> float:
        return float(np.sum(F.conv_forward_naive(x, W, b, s, p)[0] * dout))

    for analytic, wrt in ((dx, x), (dW, W), (db, b)):
        assert scaled_error(analytic, numeric_gradient(f, wrt)) < 1e-9


def test_a_convolution_by_hand():
    # One 3x3 image, one 2x2 kernel: out[i, j] = sum of the window times the kernel, plus b.
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    W = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])  # x[i, j] - x[i + 1, j + 1]
    out, _ = F.conv_forward_im2col(x, W, np.array([0.5]))
    np.testing.assert_array_equal(out[0, 0], [[-3.5, -3.5], [-3.5, -3.5]])
    # stride 2, padding 1: windows at (-1, -1), (-1, 1), (1, -1), (1, 1) of x, zeros outside
    out, _ = F.conv_forward_im2col(x, W, np.array([0.0]), stride=2, pad=1)
    np.testing.assert_array_equal(out[0, 0], [[0.0 - 0.0, 0.0 - 2.0], [0.0 - 6.0, 4.0 - 8.0]])


def test_im2col_and_col2im_are_adjoint():
    # <im2col(x), D> == <x, col2im(D)> for all x, D: col2im is im2col's transpose
    rng = np.random.default_rng(2)
    for N, C, H, W, _, k, s, p in CONV_CASES:
        x = rng.standard_normal((N, C, H, W))
        cols = F.im2col(x, k, k, s, p)
        D = rng.standard_normal(cols.shape)
        back = F.col2im(D, x.shape, k, k, s, p)
        assert np.vdot(cols, D) == pytest.approx(np.vdot(x, back), rel=1e-12)


def test_output_size_and_kernels_that_do_not_fit():
    assert F.conv_output_size(28, 5, 1, 2) == 28 and F.conv_output_size(7, 3, 2, 1) == 4
    with pytest.raises(ValueError, match="does not fit"):
        F.conv_output_size(3, 5, 1, 0)


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_layer_gradient_check(case):
    N, C, H, W, Fo, k, s, p = case
    rng = np.random.default_rng(3)
    layer = nn.Conv2D(C, Fo, k, stride=s, padding=p, rng=rng, dtype=np.float64)
    layer.params["b"][...] = rng.standard_normal(Fo)
    check_scaled(layer, rng.standard_normal((N, C, H, W)), rng)


def test_conv2d_layer_with_every_pixel_covered_passes_check_layer():
    rng = np.random.default_rng(4)
    layer = nn.Conv2D(3, 4, 3, padding=1, rng=rng, dtype=np.float64)
    check_layer(layer, rng.standard_normal((2, 3, 6, 5)), rng)


def test_conv2d_float32_and_float64_agree_and_keep_their_dtype():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 9, 7))
    layer64 = nn.Conv2D(2, 4, 3, stride=2, padding=1, rng=0, dtype=np.float64)
    layer32 = nn.Conv2D(2, 4, 3, stride=2, padding=1, rng=0, dtype=np.float32)
    out32, out64 = layer32.forward(x), layer64.forward(x)
    assert out32.dtype == np.float32 and out64.dtype == np.float64
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-5)
    dy = rng.standard_normal(out64.shape)
    dx32, dx64 = layer32.backward(dy), layer64.backward(dy)
    assert dx32.dtype == np.float32 and layer32.dW.dtype == np.float32
    np.testing.assert_allclose(dx32, dx64, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer32.dW, layer64.dW, rtol=1e-4, atol=1e-4)


def test_conv2d_skips_dx_when_asked_and_keeps_its_gradient_arrays():
    rng = np.random.default_rng(6)
    layer = nn.Conv2D(1, 3, 3, rng=rng, dtype=np.float64)
    dW = layer.grads["W"]
    x = rng.standard_normal((2, 1, 5, 6))
    dy = rng.standard_normal(layer.forward(x).shape)
    assert layer.backward(dy, need_dx=False) is None
    expected = dW.copy()
    assert layer.grads["W"] is dW and layer.backward(dy) is not None
    np.testing.assert_array_equal(layer.dW, expected)


@pytest.mark.parametrize("init", ["he_normal", "he_uniform", "glorot_normal", "glorot_uniform"])
def test_kernel_init_has_the_variance_of_its_fan_in_and_out(init):
    layer = nn.Conv2D(16, 32, 5, init=init, rng=0, dtype=np.float64)
    fan_in, fan_out = 16 * 25, 32 * 25
    expected = {"he": 2 / fan_in, "glorot": 2 / (fan_in + fan_out)}[init.split("_")[0]]
    assert layer.W.var() == pytest.approx(expected, rel=0.05)
    assert not layer.b.any()


def test_conv2d_shapes_and_errors():
    layer = nn.Conv2D(3, 8, 5, stride=2, padding=2)
    assert layer.output_shape((3, 28, 20)) == (8, 14, 10)
    assert nn.Conv2D.param_shapes(**layer.config()) == {"W": (8, 3, 5, 5), "b": (8,)}
    with pytest.raises(ValueError, match=r"\(3, H, W\)"):
        layer.output_shape((1, 28, 28))
    with pytest.raises(ValueError, match="does not fit"):
        nn.Conv2D(3, 8, 5).output_shape((3, 4, 28))
    with pytest.raises(ValueError, match=r"\(batch, 3, H, W\)"):
        layer.forward(np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match="kernel_size must be a positive integer"):
        nn.Conv2D(3, 8, 0)
    with pytest.raises(ValueError, match="padding must be an integer >= 0"):
        nn.Conv2D(3, 8, 3, padding=-1)
    with pytest.raises(ValueError, match="not a known initializer"):
        nn.Conv2D(3, 8, 3, init="zeros")


# ---------------------------------------------------------------- pooling
def _tied(rng, shape):
    """Images with flat backgrounds: an object of small integers on a field of zeros."""
    x = np.zeros(shape)
    N, C, H, W = shape
    x[:, :, H // 4 : H - H // 4, W // 4 : W - W // 4] = rng.integers(
        -1, 3, (N, C, H - 2 * (H // 4), W - 2 * (W // 4))
    )
    return x


@pytest.mark.parametrize("tied", [False, True], ids=["random", "tied"])
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_max_pool_twins_agree_even_on_ties(case, tied):
    N, C, H, W, size, stride = case
    rng = np.random.default_rng(7)
    x = _tied(rng, (N, C, H, W)) if tied else rng.standard_normal((N, C, H, W))
    out1, cache1 = P.max_pool_forward_naive(x, size, stride)
    out2, cache2 = P.max_pool_forward(x, size, stride)
    np.testing.assert_array_equal(out2, out1)
    dout = rng.standard_normal(out1.shape)
    np.testing.assert_allclose(
        P.max_pool_backward(dout, cache2), P.max_pool_backward_naive(dout, cache1), atol=1e-15
    )


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_max_pool_sends_each_windows_gradient_to_exactly_one_input(case):
    N, C, H, W, size, stride = case
    rng = np.random.default_rng(8)
    x = _tied(rng, (N, C, H, W))
    out, cache = P.max_pool_forward(x, size, stride)
    assert (x == 0).sum() > x.size // 3  # plenty of ties to get wrong
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            dout = np.zeros(out.shape)
            dout[:, :, i, j] = 1.0
            dx = P.max_pool_backward(dout, cache)
            window = dx[:, :, i * stride : i * stride + size, j * stride : j * stride + size]
            flat = window.reshape(N, C, -1)
            assert (flat.sum(axis=2) == 1).all() and ((flat != 0).sum(axis=2) == 1).all()
            # ... and to the first maximum in row-major order
            first = x[:, :, i * stride : i * stride + size, j * stride : j * stride + size]
            np.testing.assert_array_equal(flat.argmax(axis=2), first.reshape(N, C, -1).argmax(2))


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_max_pool_gradient_along_a_shift_of_tied_inputs(case):
    # Finite differences are wrong across a tie (a kink), but shifting every input by the same
    # t keeps the ties and shifts every maximum by t: dL/dt = sum(dout * windows covering...),
    # which the gradient must give as <dx, 1>. Sending dout to every tied input would not.
    N, C, H, W, size, stride = case
    rng = np.random.default_rng(9)
    x = _tied(rng, (N, C, H, W))
    out, cache = P.max_pool_forward(x, size, stride)
    dout = rng.standard_normal(out.shape)
    dx = P.max_pool_backward(dout, cache)
    t = np.zeros(1)

    def f() -> float:
        return float(np.sum(P.max_pool_forward(x + t[0], size, stride)[0] * dout))

    assert dx.sum() == pytest.approx(numeric_gradient(f, t)[0], rel=1e-10)
    assert dx.sum() == pytest.approx(dout.sum(), rel=1e-12)


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pooling_layers_gradient_check_away_from_ties(case):
    N, C, H, W, size, stride = case
    rng = np.random.default_rng(10)
    # distinct values at least 0.05 apart: no window's two largest within 2 eps = 2e-3
    x = rng.permutation(N * C * H * W).reshape(N, C, H, W) * 0.05
    for layer in (nn.MaxPool2D(size, stride), nn.AvgPool2D(size, stride)):
        check_scaled(layer, x, rng)


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_avg_pool_twins_agree(case):
    N, C, H, W, size, stride = case
    rng = np.random.default_rng(11)
    x = rng.standard_normal((N, C, H, W))
    out1, cache1 = P.avg_pool_forward_naive(x, size, stride)
    out2, cache2 = P.avg_pool_forward(x, size, stride)
    np.testing.assert_allclose(out2, out1, rtol=1e-13)
    dout = rng.standard_normal(out1.shape)
    np.testing.assert_allclose(
        P.avg_pool_backward(dout, cache2), P.avg_pool_backward_naive(dout, cache1), rtol=1e-13
    )


def test_pooling_keeps_the_layout_of_a_convolutions_output():
    # conv returns a (N, F, H, W) view of an (F, H, W, N) array (the batch innermost); pooling's
    # outputs and gradients keep that layout, so conv's backward reshapes its gradient to a
    # matrix without a copy
    rng = np.random.default_rng(12)
    x = rng.standard_normal((5, 2, 9, 8)).astype(np.float32)
    W, b = rng.standard_normal((3, 2, 3, 3)).astype(np.float32), np.zeros(3, np.float32)
    out, _ = F.conv_forward_im2col(x, W, b, pad=1)
    assert out.transpose(1, 2, 3, 0).flags.c_contiguous
    for forward, backward in ((P.max_pool_forward, P.max_pool_backward),
                              (P.avg_pool_forward, P.avg_pool_backward)):  # fmt: skip
        pooled, cache = forward(out, 2)
        dx = backward(np.ones_like(pooled), cache)
        assert pooled.transpose(1, 2, 3, 0).flags.c_contiguous
        assert dx.transpose(1, 2, 3, 0).flags.c_contiguous and dx.dtype == np.float32
        rows = dx.transpose(1, 2, 3, 0).reshape(3, -1)
        assert np.shares_memory(rows, dx)  # the reshape conv's backward does: a view


def test_pooling_layers_shapes_and_errors():
    assert nn.MaxPool2D(2).output_shape((6, 28, 27)) == (6, 14, 13)
    assert nn.AvgPool2D(3, stride=2).output_shape((1, 7, 9)) == (1, 3, 4)
    assert nn.MaxPool2D.has_kink and not nn.AvgPool2D.has_kink
    with pytest.raises(ValueError, match="does not fit"):
        nn.MaxPool2D(4).output_shape((1, 3, 9))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        nn.MaxPool2D(2).output_shape((9,))
    with pytest.raises(ValueError, match="stride must be a positive integer"):
        nn.AvgPool2D(2, stride=0)
    with pytest.raises(RuntimeError, match="before forward"):
        nn.MaxPool2D().backward(np.zeros((1, 1, 1, 1)))


# ---------------------------------------------------------------- flatten
def test_flatten_round_trips_shapes():
    layer = nn.Flatten()
    x = np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    y = layer.forward(x)
    assert y.shape == (2, 60) and np.array_equal(y[1], x[1].ravel())
    assert layer.backward(y).shape == x.shape and layer.output_shape((3, 4, 5)) == (60,)
    assert layer.forward(np.zeros((0, 3, 2))).shape == (0, 6)


# ---------------------------------------------------------------- batch norm
@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 4, 3)], ids=["dense", "conv"])
def test_batchnorm_backward_twins_agree_and_match_finite_differences(shape):
    rng = np.random.default_rng(13)
    x = rng.standard_normal(shape) * 3 + 1
    C = shape[1]
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    y, cache, _, _ = BN.batchnorm_forward(x, gamma, beta)
    dy = rng.standard_normal(shape)
    fast, naive = BN.batchnorm_backward(dy, cache), BN.batchnorm_backward_naive(dy, cache)
    for a, b in zip(fast, naive):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)

    def f() -> float:
        return float(np.sum(BN.batchnorm_forward(x, gamma, beta)[0] * dy))

    for analytic, wrt in zip(fast, (x, gamma, beta)):
        assert rel_error(analytic, numeric_gradient(f, wrt)) < 1e-7


@pytest.mark.parametrize("shape", [(7, 3), (4, 3, 5, 2)], ids=["dense", "conv"])
def test_batchnorm_layer_standardizes_and_passes_check_layer(shape):
    rng = np.random.default_rng(14)
    layer = nn.BatchNorm(3, dtype=np.float64)
    x = rng.standard_normal(shape) * 4 - 2
    y = layer.forward(x, training=True)
    axes = BN.feature_axes(len(shape))
    np.testing.assert_allclose(y.mean(axis=axes), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=axes), 1, rtol=1e-4)
    layer.params["gamma"][...] = rng.standard_normal(3)
    layer.params["beta"][...] = rng.standard_normal(3)
    check_layer(layer, x, rng)


def test_batchnorm_running_averages_and_prediction():
    rng = np.random.default_rng(15)
    layer = nn.BatchNorm(2, momentum=0.5, dtype=np.float64)
    x = rng.standard_normal((8, 2, 3, 3)) * np.array([1.0, 5.0])[None, :, None, None] + 3
    layer.forward(x, training=True)
    m = 8 * 9
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)) * m / (m - 1)
    np.testing.assert_allclose(layer.buffers["running_mean"], 0.5 * mean)
    np.testing.assert_allclose(layer.buffers["running_var"], 0.5 + 0.5 * var)
    # prediction uses the running averages: each example alone gives the same output
    together = layer.forward(x)
    alone = np.concatenate([layer.forward(x[i : i + 1]) for i in range(8)])
    np.testing.assert_allclose(together, alone, rtol=1e-12)
    expected = (x - 0.5 * mean[None, :, None, None]) / np.sqrt(
        0.5 + 0.5 * var[None, :, None, None] + layer.eps
    )
    np.testing.assert_allclose(together, expected, rtol=1e-12)
    # and its backward pass is that affine map's
    layer.forward(x)
    check_layer_eval = layer.backward(np.ones_like(x))
    np.testing.assert_allclose(check_layer_eval[0, 1, 0, 0], 1 / np.sqrt(0.5 + 0.5 * var[1] + 1e-5))


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="n_features must be a positive integer"):
        nn.BatchNorm(0)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm(3, momentum=1.0)
    with pytest.raises(ValueError, match="axis 1 of 3 features"):
        nn.BatchNorm(3).forward(np.zeros((2, 4)))
    assert nn.BatchNorm.buffer_shapes(n_features=3) == {"running_mean": (3,), "running_var": (3,)}


# ---------------------------------------------------------------- random shapes
@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    f=st.integers(1, 3),
    k=st.integers(1, 4),
    stride=st.integers(1, 3),
    pad=st.integers(0, 2),
    extra=st.tuples(st.integers(0, 4), st.integers(0, 4)),
    seed=st.integers(0, 2**16),
)
def test_twins_agree_on_random_shapes(n, c, f, k, stride, pad, extra, seed):
    rng = np.random.default_rng(seed)
    H, W = max(k - 2 * pad, 1) + extra[0], max(k - 2 * pad, 1) + extra[1]
    x, Wk, b = rng.standard_normal((n, c, H, W)), rng.standard_normal((f, c, k, k)), rng.random(f)
    out1, c1 = F.conv_forward_naive(x, Wk, b, stride, pad)
    out2, c2 = F.conv_forward_im2col(x, Wk, b, stride, pad)
    np.testing.assert_allclose(out2, out1, rtol=1e-11, atol=1e-11)
    dout = rng.standard_normal(out1.shape)
    for g1, g2 in zip(F.conv_backward_naive(dout, c1), F.conv_backward_im2col(dout, c2)):
        np.testing.assert_allclose(g2, g1, rtol=1e-11, atol=1e-11)
    if min(H, W) >= k:
        x = np.round(x)  # ties
        m1, p1 = P.max_pool_forward_naive(x, k, stride)
        m2, p2 = P.max_pool_forward(x, k, stride)
        np.testing.assert_array_equal(m1, m2)
        d = rng.standard_normal(m1.shape)
        np.testing.assert_allclose(P.max_pool_backward(d, p2), P.max_pool_backward_naive(d, p1))


# ---------------------------------------------------------------- whole networks
def _fashion_like(n=48, seed=0):
    """Small images with flat backgrounds, labelled by which half is brighter."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, 1, 10, 9), dtype=np.float32)
    X[:, :, 2:8, 2:7] = rng.random((n, 1, 6, 5))
    y = (X[:, 0, :5].sum(axis=(1, 2)) > X[:, 0, 5:].sum(axis=(1, 2))).astype(np.int64)
    return X, y


DESCRIPTION = "conv4k3p1 bn pool2 conv6k2 avgpool2 dropout0.2 dense8 2"


def test_a_cnn_with_batch_norm_trains_saves_loads_and_resumes_bit_for_bit(tmp_path):
    import warnings

    X, y = _fashion_like()
    fit = dict(epochs=3, batch_size=8, optimizer=None, seed=1, verbose=False)

    def run(**kw):
        net = nn.cnn(DESCRIPTION, (1, 10, 9), seed=0)
        history = net.fit(X, y, **{**fit, "optimizer": nn.Adam(0.01)}, **kw)
        return net, history

    net, history = run()
    assert history["loss"][-1] < history["loss"][0]
    bn = next(layer for layer in net.layers if isinstance(layer, nn.BatchNorm))
    assert not np.allclose(bn.buffers["running_mean"], 0)  # the averages moved
    path = tmp_path / "cnn.npz"
    net.save(path)
    loaded = nn.load(path)
    assert loaded.input_shape == (1, 10, 9)
    loaded_bn = next(layer for layer in loaded.layers if isinstance(layer, nn.BatchNorm))
    np.testing.assert_array_equal(loaded_bn.buffers["running_var"], bn.buffers["running_var"])
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))

    class Stop(nn.Callback):
        def on_step_end(self, network, epoch, step, loss):
            if step == 9:  # mid-epoch 2
                raise KeyboardInterrupt

    ck = tmp_path / "ck.npz"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingInterrupted)
        run(checkpoint=ck, callbacks=[Stop()])
    resumed, _ = run(checkpoint=ck, resume=True)
    for (_, p, _), (_, q, _) in zip(net.parameters(), resumed.parameters()):
        assert np.array_equal(p, q)
    resumed_bn = next(layer for layer in resumed.layers if isinstance(layer, nn.BatchNorm))
    np.testing.assert_array_equal(resumed_bn.buffers["running_mean"], bn.buffers["running_mean"])


def test_a_model_file_with_a_wrong_buffer_is_refused(tmp_path):
    net = nn.cnn("conv2k3 bn pool2 3", (1, 6, 6), seed=0)
    path = tmp_path / "m.npz"
    net.save(path)
    with np.load(path) as f:
        arrays = dict(f)
    arrays["1.running_var"] = np.ones(5, dtype=np.float32)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(nn.ModelFileError, match="1.running_var"):
        nn.load(bad)


@pytest.mark.parametrize("description", [DESCRIPTION, "conv3k3s2p1 pool3s2 conv2k2 4 2"])
def test_check_gradients_passes_on_a_cnn(description):
    X, y = _fashion_like(n=5, seed=2)
    net = nn.cnn(description, (1, 10, 9), seed=3, dtype=np.float64)
    report = nn.check_gradients(net, X.astype(np.float64) + 0.01, y)
    assert report.passed(), str(report)
    assert report.max_abs_error < 1e-10, str(report)


def test_diagnostics_measure_a_cnns_layers_and_dead_units():
    X, y = _fashion_like(n=64, seed=4)
    net = nn.cnn("conv4k3p1 pool2 conv6k3 pool2 dense8 2", (1, 10, 9), seed=0)
    diag = nn.Diagnostics(X[:16], y[:16], every=2)
    net.fit(X, y, epochs=2, batch_size=8, optimizer=nn.Adam(0.01), seed=0, verbose=False,
            callbacks=[diag])  # fmt: skip
    # each convolution is measured with the ReLU after its pooling (passed over, no params)
    assert diag.reference["layers"] == ["1x10x9-4x10x9 ReLU", "4x5x4-6x3x2 ReLU",
                                        "6-8 ReLU", "8-2 linear"]  # fmt: skip
    last = diag.records[-1]["layers"]
    for layer in last[:3]:
        assert layer["dead"] is not None and 0.0 <= layer["dead"] <= 1.0
        assert layer["delta_norm"] > 0 and layer["grad_W_norm"] > 0
    assert last[3]["dead"] is None  # the linear output layer cannot die


def test_the_doctor_reads_a_cnn():
    X, y = _fashion_like(n=96, seed=5)
    net = nn.cnn("conv4k3p1 pool2 dense8 2", (1, 10, 9), seed=0)
    report = nn.diagnose(net, X, y, optimizer=nn.Adam(0.01), batch_size=16, steps=24, every=6,
                         probe=(X[:32], y[:32]), seed=0, experiments=False)  # fmt: skip
    text = str(report)
    assert "1 1x10x9-4x10x9 ReLU" in text and "2 80-8 ReLU" in text
    # the blank border of every image is 0 after the convolution and its ReLU, yet the filters
    # learn: a channel is dead only if it is 0 at every pixel, so none is reported here
    conv = report.run.diagnostics.records[-1]["layers"][0]
    assert conv["dead"] == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_image_layer_computes_in_the_networks_dtype(dtype):
    X, y = _fashion_like(n=8, seed=6)
    net = nn.cnn("conv3k3s2p1 bn pool2 conv4k2 avgpool1 dropout0.2 dense5 2", (1, 10, 9), seed=0,
                 dtype=dtype)  # fmt: skip
    a = X.astype(dtype)
    for layer in net.layers:
        a = layer.forward(a, training=True)
        assert a.dtype == dtype, type(layer).__name__
    d = np.ones_like(a)
    for layer in reversed(net.layers):
        d = layer.backward(d)
        assert d.dtype == dtype, type(layer).__name__
    assert all(g.dtype == dtype for _, _, g in net.parameters())
    bn = net.layers[1]
    assert all(b.dtype == dtype for b in bn.buffers.values())
