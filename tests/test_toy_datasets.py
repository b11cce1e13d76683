"""Tests for nn.datasets.toy: xor, moons, circles, spirals and their seed and argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from nn import datasets as ds

GENERATORS = {
    "moons": (ds.moons, {"n": 101}, 2),
    "circles": (ds.circles, {"n": 101}, 2),
    "spirals": (ds.spirals, {"n": 101, "classes": 4}, 4),
    "gaussians": (ds.gaussians, {"n": 101}, 2),
    "xor": (ds.xor, {"n": 101}, 2),
}


@pytest.fixture(params=sorted(GENERATORS))
def generator(request):
    return GENERATORS[request.param]


def test_generator_shapes_dtypes_and_labels(generator):
    fn, kwargs, k = generator
    X, y = fn(**kwargs, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    assert set(np.unique(y)) == set(range(k))
    assert np.isfinite(X).all()
    X64, y64 = fn(**kwargs, seed=0, dtype=np.float64)
    assert X64.dtype == np.float64
    # Drawn in float64 and rounded once: the float32 points are the float64 ones, rounded.
    np.testing.assert_array_equal(X64.astype(np.float32), X)
    np.testing.assert_array_equal(y64, y)


def test_generator_same_seed_same_bits_and_different_seed_differs(generator):
    fn, kwargs, _ = generator
    a, b = fn(**kwargs, seed=7), fn(**kwargs, seed=7)
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
    c = fn(**kwargs, seed=8)
    assert a[0].tobytes() != c[0].tobytes()


def test_generator_accepts_a_generator_and_advances_it(generator):
    fn, kwargs, _ = generator
    rng = np.random.default_rng(3)
    first = fn(**kwargs, seed=rng)
    np.testing.assert_array_equal(first[0], fn(**kwargs, seed=3)[0])  # int seed == fresh rng
    second = fn(**kwargs, seed=rng)  # the caller's stream moved on
    assert not np.array_equal(first[0], second[0])


def test_generators_leave_numpy_global_state_alone(generator):
    fn, kwargs, _ = generator
    # The legacy global state is read here only to prove the generators never touch it.
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    fn(**kwargs, seed=1)
    fn(**kwargs, seed=None)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_seed_none_gives_fresh_randomness():
    assert not np.array_equal(ds.moons(50, seed=None)[0], ds.moons(50, seed=None)[0])


def test_moons_geometry_without_noise():
    X, y = ds.moons(60, noise=0.0, seed=0, dtype=np.float64)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    assert (X[y == 0, 1] >= -1e-12).all()  # upper half circle
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0)
    assert (X[y == 1, 1] <= 0.5 + 1e-12).all()  # lower half circle
    assert np.bincount(y).tolist() == [30, 30]


def test_circles_geometry_without_noise():
    X, y = ds.circles(41, noise=0.0, factor=0.3, seed=0, dtype=np.float64)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)
    assert np.bincount(y).tolist() == [20, 21]


def test_spirals_geometry_without_noise():
    X, y = ds.spirals(10, classes=3, noise=0.0, seed=0, dtype=np.float64)
    assert np.bincount(y).tolist() == [4, 3, 3]
    for k, m in enumerate([4, 3, 3]):
        r = np.sort(np.hypot(*X[y == k].T))
        np.testing.assert_allclose(r, np.linspace(0, 1, m), atol=1e-12)
    # The outermost point of arm k sits at angle 4(k+1): x = (sin t, cos t).
    for k in range(3):
        arm = X[y == k]
        tip = arm[np.argmax(np.hypot(*arm.T))]
        np.testing.assert_allclose(tip, [np.sin(4.0 * (k + 1)), np.cos(4.0 * (k + 1))])


def test_spirals_noise_moves_angles_not_radii():
    X0, y0 = ds.spirals(30, noise=0.0, seed=1, dtype=np.float64)
    X1, y1 = ds.spirals(30, noise=0.5, seed=1, dtype=np.float64)
    for k in range(3):
        np.testing.assert_allclose(
            np.sort(np.hypot(*X0[y0 == k].T)), np.sort(np.hypot(*X1[y1 == k].T)), atol=1e-12
        )
    assert not np.allclose(np.sort(X0, axis=0), np.sort(X1, axis=0))


def test_xor():
    X, y = ds.xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert y.tolist() == [0, 1, 1, 0]
    assert ds.xor(dtype=np.float64)[0].dtype == np.float64
    assert ds.xor(np.float64)[0].dtype == np.float64  # dtype stays the first argument


def test_xor_points_are_labelled_by_their_quadrant_before_the_noise():
    X, y = ds.xor(n=400, seed=3)
    assert ((X >= 0) & (X <= 1)).all()
    np.testing.assert_array_equal(y, (X[:, 0] > 0.5) != (X[:, 1] > 0.5))
    # each of the four points stands for its quadrant
    corners, labels = ds.xor()
    for corner, label in zip(corners, labels):
        near = np.all(np.abs(X - corner) < 0.5, axis=1)
        assert near.any() and (y[near] == label).all()
    Xn, yn = ds.xor(n=400, noise=0.2, seed=3)
    np.testing.assert_array_equal(yn, y)  # the same draws, labels from the clean points
    assert 0.15 < np.std(Xn - X) < 0.25


def test_gaussians_are_two_clouds_mirrored_through_the_origin():
    X, y = ds.gaussians(4000, noise=0.1, seed=0)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [0.4, 0.4], atol=0.01)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-0.4, -0.4], atol=0.01)
    np.testing.assert_allclose(X[y == 1].std(axis=0), [0.1, 0.1], atol=0.01)
    X0, _ = ds.gaussians(10, noise=0, seed=0)
    np.testing.assert_allclose(np.abs(X0), 0.4, rtol=1e-6)


def test_regression_sets_give_their_functions_as_target_rows():
    X, Y = ds.plane(300, seed=0)
    assert X.shape == (300, 2) and Y.shape == (300, 1) and Y.dtype == np.float32
    assert (np.abs(X) <= 1).all()
    np.testing.assert_allclose(Y[:, 0], (X[:, 0] + X[:, 1]) / 2, atol=1e-6)
    X, Y = ds.bumps(300, seed=0, dtype=np.float64)
    assert Y.shape == (300, 1) and Y.dtype == np.float64
    from nn.datasets.toy_regression import BUMP_WIDTH, BUMPS

    i = 17
    expected = sum(
        s * np.exp(-((X[i, 0] - cx) ** 2 + (X[i, 1] - cy) ** 2) / (2 * BUMP_WIDTH**2))
        for cx, cy, s in BUMPS
    )
    assert Y[i, 0] == pytest.approx(expected, abs=1e-12)
    assert -1.01 < Y.min() < -0.5 and 0.5 < Y.max() < 1.01


@pytest.mark.parametrize("fn", [ds.plane, ds.bumps])
def test_regression_sets_seed_noise_and_checks(fn):
    a, b = fn(50, seed=4), fn(50, seed=4)
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
    noisy = fn(50, noise=0.3, seed=4)
    np.testing.assert_array_equal(noisy[0], a[0])  # noise moves the targets only
    assert 0.15 < float(np.std(noisy[1] - a[1])) < 0.45
    with pytest.raises(ValueError, match="noise"):
        fn(5, noise=-1)
    with pytest.raises(ValueError, match="n"):
        fn(0)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: ds.moons(1), ["n", ">= 2", "1"]),
        (lambda: ds.moons(0), ["n", "0"]),
        (lambda: ds.moons(10, noise=-0.1), ["noise", "-0.1"]),
        (lambda: ds.moons(10, noise=float("nan")), ["noise", "nan"]),
        (lambda: ds.circles(10, factor=1.0), ["factor", "between 0 and 1", "1.0"]),
        (lambda: ds.circles(10, factor=0), ["factor", "0"]),
        (lambda: ds.circles(-5), ["n", "-5"]),
        (lambda: ds.spirals(10, classes=1), ["classes", ">= 2", "1"]),
        (lambda: ds.spirals(2, classes=3), ["n", "classes", "2"]),
        (lambda: ds.spirals(10, noise=-1), ["noise", "-1"]),
        (lambda: ds.moons(10, dtype=np.int32), ["dtype", "int32"]),
        (lambda: ds.moons(10, seed=-1), ["seed", "-1"]),
        (lambda: ds.xor(n=0), ["n", "0"]),
        (lambda: ds.xor(n=5, noise=-1), ["noise", "-1"]),
        (lambda: ds.gaussians(1), ["n", ">= 2", "1"]),
        (lambda: ds.gaussians(10, noise=float("inf")), ["noise", "inf"]),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: ds.moons(2.5),
        lambda: ds.moons(True),
        lambda: ds.moons(10, seed="1"),
        lambda: ds.moons(10, seed=True),
        lambda: ds.circles(10, noise="0.1"),
    ],
)
def test_wrong_types_raise_type_error(call):
    with pytest.raises(TypeError):
        call()


def test_as_generator():
    rng = np.random.default_rng(0)
    assert ds.as_generator(rng) is rng
    assert isinstance(ds.as_generator(None), np.random.Generator)
    assert ds.as_generator(np.int64(5)).random() == np.random.default_rng(5).random()
