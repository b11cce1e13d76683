"""Tests for nn.datasets.idx: the IDX format, round trips, and hostile or corrupt files."""

from __future__ import annotations

import gzip
import io
import struct
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn import datasets as ds

IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
SHAPES = [(), (0,), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)]


def _random_array(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.standard_normal(shape).astype(dt) * 1e3
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dt)


@pytest.mark.parametrize("dtype", IDX_DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, shape, suffix):
    a = _random_array(dtype, shape)
    path = tmp_path / f"a.idx{suffix}"
    ds.write_idx(path, a)
    b = ds.read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    assert b.shape == a.shape
    np.testing.assert_array_equal(b, a)
    assert b.flags.writeable
    raw = gzip.decompress(path.read_bytes()) if suffix else path.read_bytes()
    assert len(raw) == 4 + 4 * len(shape) + a.nbytes
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_idx_bytes_follow_the_spec(tmp_path):
    # Written by hand from the spec, so a symmetric endianness bug cannot hide in a round trip.
    ds.write_idx(tmp_path / "u8", np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8))
    assert (tmp_path / "u8").read_bytes() == bytes.fromhex(
        "00000802 00000002 00000003 010203040506"
    )
    raw = bytes.fromhex("00000c01 00000002 00000100 ffffffff")
    np.testing.assert_array_equal(ds.read_idx(io.BytesIO(raw)), np.array([256, -1], np.int32))
    f64 = bytes.fromhex("00000e01 00000001") + struct.pack(">d", 1.5)
    assert ds.read_idx(io.BytesIO(f64)).tolist() == [1.5]


def test_idx_gzip_detected_by_magic_not_name(tmp_path):
    a = np.arange(12, dtype=np.int16).reshape(3, 4)
    ds.write_idx(tmp_path / "compressed.idx", a, compress=True)
    ds.write_idx(tmp_path / "plain.gz", a, compress=False)
    assert (tmp_path / "compressed.idx").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "plain.gz").read_bytes()[:2] == b"\x00\x00"
    np.testing.assert_array_equal(ds.read_idx(tmp_path / "compressed.idx"), a)
    np.testing.assert_array_equal(ds.read_idx(str(tmp_path / "plain.gz")), a)


def test_idx_gzip_output_is_reproducible(tmp_path):
    a = _random_array(np.uint8, (10, 28, 28))
    ds.write_idx(tmp_path / "a.gz", a)
    ds.write_idx(tmp_path / "b.gz", a)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


class _Unseekable(io.RawIOBase):
    """A pipe-like stream: read only, no seek or tell."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        chunk = self._data.read(min(len(b), 3))  # short reads, like a pipe
        b[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_reads_file_objects(tmp_path, compress):
    a = _random_array(np.int32, (4, 5))
    ds.write_idx(tmp_path / "a", a, compress=compress)
    data = (tmp_path / "a").read_bytes()
    np.testing.assert_array_equal(ds.read_idx(io.BytesIO(data)), a)
    np.testing.assert_array_equal(ds.read_idx(_Unseekable(data)), a)
    with open(tmp_path / "a", "rb") as f:
        np.testing.assert_array_equal(ds.read_idx(f), a)
    bad = data[:-1] if not compress else gzip.compress(gzip.decompress(data)[:-1])
    with pytest.raises(ds.IDXError, match="shorter"):
        ds.read_idx(_Unseekable(bad))


def _header(code: int, *dims: int) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


MALFORMED = {
    "bad magic": (b"\x01\x00\x08\x01\x00\x00\x00\x01\x07", "bad magic"),
    "npy file": (b"\x93NUMPY\x01\x00", "bad magic"),
    "unknown type": (_header(0x0A, 1) + b"\x00", "unknown type code 0x0A"),
    "empty": (b"", "truncated header"),
    "short header": (b"\x00\x00", "truncated header"),
    "short dims": (_header(0x08, 3, 4)[:-2], "truncated header"),
    "short data": (_header(0x08, 3, 4) + bytes(11), "shorter"),
    "extra data": (_header(0x08, 3, 4) + bytes(13), "longer"),
    "short int32 data": (_header(0x0C, 2) + bytes(7), "shorter"),
    "absurd dims": (_header(0x08, 2**31, 2**31) + bytes(10), "limit"),
    "absurd float64": (_header(0x0E, 2**32 - 1, 2**32 - 1, 2**32 - 1), "limit"),
    "claims more than the file": (_header(0x08, 2**30) + bytes(10), "shorter"),
}


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_idx_malformed_raises_idx_error(tmp_path, case, compress):
    data, message = MALFORMED[case]
    path = tmp_path / "bad"
    path.write_bytes(gzip.compress(data) if compress else data)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ds.IDXError, match=message) as info:
            ds.read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 2.0
    assert peak < 8 * 2**20, f"{peak:,} bytes allocated for a lying header"
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda gz: gz[:-4],  # no end-of-stream trailer
        lambda gz: gz[:-8] + b"\x00\x00\x00\x00" + gz[-4:],  # wrong CRC
        lambda gz: gz[:10] + b"\xff" * (len(gz) - 10),  # garbage deflate data
        lambda gz: gz + b"trailing junk",  # not a second gzip member
        lambda gz: gz[:3],  # truncated gzip header
    ],
)
def test_idx_corrupt_gzip_raises_idx_error(tmp_path, mangle):
    ds.write_idx(tmp_path / "a.gz", _random_array(np.uint8, (20, 20)))
    (tmp_path / "b").write_bytes(mangle((tmp_path / "a.gz").read_bytes()))
    with pytest.raises(ds.IDXError, match="gzip|shorter"):
        ds.read_idx(tmp_path / "b")


class _CountingBytesIO(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


@pytest.mark.parametrize("extra", [-500_000, 1])
def test_idx_raw_size_is_checked_before_reading_data(extra):
    # A seekable raw file whose size disagrees with its header fails before any data is read.
    f = _CountingBytesIO(_header(0x08, 1000, 1000) + bytes(1_000_000 + extra))
    with pytest.raises(ds.IDXError, match="shorter" if extra < 0 else "longer"):
        ds.read_idx(f)
    assert f.bytes_read <= 2 + 12  # the gzip-magic peek, then the 12-byte header


def test_idx_max_bytes(tmp_path):
    ds.write_idx(tmp_path / "a", np.zeros((10, 10), np.float64))
    with pytest.raises(ds.IDXError, match="800"):
        ds.read_idx(tmp_path / "a", max_bytes=799)
    assert ds.read_idx(tmp_path / "a", max_bytes=800).shape == (10, 10)


@pytest.mark.parametrize("bad", [np.zeros(3, np.int64), np.zeros(3, bool), np.zeros(3, np.uint16)])
def test_write_idx_rejects_unsupported_dtypes(tmp_path, bad):
    with pytest.raises(ValueError, match="IDX cannot store dtype"):
        ds.write_idx(tmp_path / "x", bad)
    assert list(tmp_path.iterdir()) == []


def test_write_idx_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "a.gz"
    ds.write_idx(path, np.arange(5, dtype=np.uint8))
    before = path.read_bytes()

    def fail(self, data):
        raise OSError("disk full")

    monkeypatch.setattr(gzip.GzipFile, "write", fail)
    with pytest.raises(OSError, match="disk full"):
        ds.write_idx(path, np.arange(50, dtype=np.uint8))
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


IDX_PREFIX = st.sampled_from([b"", b"\x00\x00", b"\x00\x00\x08", b"\x00\x00\x0d", b"\x00\x00\x0e"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=IDX_PREFIX, body=st.binary(max_size=80), how=st.sampled_from(["raw", "gz", "cut"]))
def test_idx_random_bytes_only_raise_idx_error(prefix, body, how):
    data = prefix + body
    if how == "gz":
        data = gzip.compress(data)
    elif how == "cut":
        data = gzip.compress(data)[: 10 + len(body) // 2]
    try:
        result = ds.read_idx(io.BytesIO(data))
    except ds.IDXError:
        return
    assert isinstance(result, np.ndarray)
    assert 4 + 4 * result.ndim + result.nbytes == len(prefix + body)
