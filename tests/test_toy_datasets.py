"""Tests for nn.datasets.toy: xor, moons, circles, spirals and their seed and argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from nn import datasets as ds

GENERATORS = {
    "moons": (ds.moons, {"n": 101}, 2),
    "circles": (ds.circles, {"n": 101}, 2),
    "spirals": (ds.spirals, {"n": 101, "classes": 4}, 4),
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
