"""Tests for nn.datasets.embedded: the vendored digits, their fixed split and their license."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from nn import datasets as ds

REPO = Path(__file__).resolve().parents[1]


TRAIN_PER_CLASS = [801, 902, 793, 826, 784, 690, 811, 856, 755, 782]
TEST_PER_CLASS = [200, 225, 198, 206, 196, 173, 203, 214, 189, 196]


@pytest.fixture(scope="module")
def digits32():
    return ds.digits()


def test_digits_shapes_dtypes_range(digits32):
    (X, y), (Xt, yt) = digits32
    assert X.shape == (8000, 784) and Xt.shape == (2000, 784)
    assert X.dtype == np.float32 and Xt.dtype == np.float32
    assert y.shape == (8000,) and yt.shape == (2000,)
    assert y.dtype == np.int64 and yt.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0 and Xt.min() == 0.0 and Xt.max() == 1.0
    # Scaled by exactly 1/255: every value is a grey level k / 255.
    np.testing.assert_allclose(X[:50] * 255, np.round(X[:50] * 255), atol=1e-4)


def test_digits_split_is_the_vendored_one(digits32):
    (_, y), (_, yt) = digits32
    assert np.bincount(y, minlength=10).tolist() == TRAIN_PER_CLASS
    assert np.bincount(yt, minlength=10).tolist() == TEST_PER_CLASS
    # Pinned so that a rebuilt or recomputed split fails here.
    assert y[:12].tolist() == [6, 4, 4, 4, 0, 0, 4, 3, 5, 5, 0, 4]
    assert yt[:12].tolist() == [2, 5, 4, 4, 5, 3, 3, 7, 1, 3, 6, 6]
    # Stratified: each class has the same share of both halves, to within one example.
    share = np.array(TEST_PER_CLASS) / (np.array(TRAIN_PER_CLASS) + TEST_PER_CLASS)
    assert np.abs(share - 0.2).max() < 1 / 860


def test_digits_train_and_test_are_disjoint_and_shuffled(digits32):
    (X, y), (Xt, _) = digits32
    with np.load(ds.DIGITS_PATH, allow_pickle=False) as f:
        a, b = f["train_source_index"], f["test_source_index"]
        assert f["train_images"].dtype == np.uint8 and f["train_images"].shape == (8000, 28, 28)
        assert f["test_labels"].dtype == np.uint8 and f["test_labels"].shape == (2000,)
    assert len(np.intersect1d(a, b)) == 0 and len(np.union1d(a, b)) == 10_000
    train_rows = {row.tobytes() for row in X}
    assert not any(row.tobytes() in train_rows for row in Xt)
    assert (np.diff(y) != 0).sum() > 5000  # not grouped by class


def test_digits_unflattened_and_float64(digits32):
    (X, y), (Xt, yt) = ds.digits(dtype=np.float64, flatten=False)
    assert X.shape == (8000, 28, 28) and Xt.shape == (2000, 28, 28) and X.dtype == np.float64
    np.testing.assert_array_equal(X.reshape(8000, 784).astype(np.float32), digits32[0][0])
    np.testing.assert_array_equal(yt, digits32[1][1])


def test_vendored_digits_match_the_build_script(capsys):
    script = REPO / "tools" / "make_digits.py"
    spec = importlib.util.spec_from_file_location("make_digits", script)
    make_digits = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_digits)
    if not make_digits.DEFAULT_SOURCE.exists():
        pytest.skip(f"{make_digits.DEFAULT_SOURCE} is not available")
    assert make_digits.main(["--check", "--out", str(ds.DIGITS_PATH)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_digits_license_travels_with_the_data():
    text = (ds.DIGITS_PATH.parent / "README.md").read_text()
    for needle in ["Attribution-Share Alike 3.0", "Juan Cazala", "MIT", "LeCun", "1.1.0"]:
        assert needle in text


def test_digits_rejects_a_non_float_dtype():
    with pytest.raises(ValueError) as info:
        ds.digits(dtype=np.uint8)
    for word in ["dtype", "uint8"]:
        assert word in str(info.value)
