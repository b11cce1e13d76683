"""Tests for nn.datasets: toy generators, embedded digits, IDX files, MNIST-style loading."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import importlib.util
import io
import socket
import struct
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn import datasets as ds
from nn.datasets import mnist_loaders

REPO = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------------------------
# Toy generators
# --------------------------------------------------------------------------------------------

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
        (lambda: ds.digits(dtype=np.uint8), ["dtype", "uint8"]),
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


# --------------------------------------------------------------------------------------------
# Embedded digits
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# IDX files
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# MNIST-style loading: search order, downloads from a local server, errors
# --------------------------------------------------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out on purpose is not news


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        status, body, delay = self.server.routes.get(self.path, (404, b"not found", 0.0))
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.routes, srv.requests = {}, []
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/mnist/"
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


@pytest.fixture
def env(tmp_path, monkeypatch):
    """No data anywhere: the cache and the system directory point into tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for var in ["NN_DATA", "NN_MNIST_URL", "NN_FASHION_MNIST_URL"]:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(mnist_loaders, "SYSTEM_DATA_DIR", tmp_path / "system")
    return tmp_path


def _fake_mnist(seed=0, n_train=6, n_test=4):
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def _write_dataset(directory: Path, arrays, suffix=".gz"):
    directory.mkdir(parents=True, exist_ok=True)
    for base, a in arrays.items():
        ds.write_idx(directory / (base + suffix), a)


def _assert_matches(result, arrays):
    (X, y), (Xt, yt) = result
    n, m = len(arrays["train-labels-idx1-ubyte"]), len(arrays["t10k-labels-idx1-ubyte"])
    assert X.shape == (n, 784) and Xt.shape == (m, 784) and X.dtype == np.float32
    np.testing.assert_array_equal(X * 255, arrays["train-images-idx3-ubyte"].reshape(n, 784))
    np.testing.assert_array_equal(Xt * 255, arrays["t10k-images-idx3-ubyte"].reshape(m, 784))
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(yt, arrays["t10k-labels-idx1-ubyte"])


@pytest.fixture
def served(server, env, monkeypatch):
    """The fake MNIST files on the local server, with their checksums installed."""
    arrays = _fake_mnist()
    _write_dataset(env / "served", arrays)
    checksums = {}
    for base in arrays:
        body = (env / "served" / (base + ".gz")).read_bytes()
        server.routes[f"/mnist/{base}.gz"] = (200, body, 0.0)
        checksums[base + ".gz"] = hashlib.sha256(body).hexdigest()
    monkeypatch.setattr(mnist_loaders, "MNIST_SHA256", checksums)
    return arrays


def _cache_files(env):
    cache = env / "cache" / "nn" / "mnist"
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_download_verifies_caches_and_is_not_repeated(server, served, env):
    _assert_matches(ds.mnist(base_url=server.url), served)
    assert len(server.requests) == 4
    assert _cache_files(env) == sorted(base + ".gz" for base in served)
    _assert_matches(ds.mnist(base_url=server.url), served)
    assert len(server.requests) == 4  # the second call used the cache


def test_download_url_from_environment(server, served, env, monkeypatch):
    monkeypatch.setenv("NN_MNIST_URL", server.url)
    _assert_matches(ds.mnist(), served)
    assert len(server.requests) == 4


def test_checksum_mismatch_leaves_nothing_behind(server, served, env, monkeypatch):
    monkeypatch.setitem(mnist_loaders.MNIST_SHA256, "train-images-idx3-ubyte.gz", "0" * 64)
    with pytest.raises(ds.DownloadError, match="SHA-256 mismatch") as info:
        ds.mnist(base_url=server.url)
    assert info.value.url == server.url + "train-images-idx3-ubyte.gz"
    assert info.value.url in str(info.value)
    assert isinstance(info.value, OSError)
    assert _cache_files(env) == []  # the first file failed: nothing kept, no temp file


@pytest.mark.parametrize("status", [404, 500])
def test_server_error_leaves_nothing_behind_and_resumes(server, served, env, status):
    route = "/mnist/t10k-labels-idx1-ubyte.gz"
    good = server.routes[route]
    server.routes[route] = (status, b"oops", 0.0)
    with pytest.raises(ds.DownloadError, match=f"HTTP {status}") as info:
        ds.mnist(base_url=server.url)
    assert route in str(info.value)
    # The three verified files stay; the failed one left nothing, not even a temp file.
    assert _cache_files(env) == sorted(b + ".gz" for b in served if not b.startswith("t10k-l"))
    server.routes[route] = good
    server.requests.clear()
    _assert_matches(ds.mnist(base_url=server.url), served)
    assert server.requests == [route]  # only the missing file was fetched


def test_download_timeout(server, served, env, monkeypatch):
    monkeypatch.setattr(mnist_loaders, "DOWNLOAD_TIMEOUT", 0.2)
    route = "/mnist/train-images-idx3-ubyte.gz"
    server.routes[route] = (*server.routes[route][:2], 1.0)
    with pytest.raises(ds.DownloadError, match="timed out"):
        ds.mnist(base_url=server.url)
    assert _cache_files(env) == []


def _closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def test_offline_error_lists_every_directory(env, monkeypatch):
    monkeypatch.setenv("NN_DATA", str(env / "nn-data"))
    url = _closed_port_url()
    with pytest.raises(ds.DownloadError) as info:
        ds.mnist(env / "given", base_url=url)
    message = str(info.value)
    assert url + "train-images-idx3-ubyte.gz" in message
    for directory in [
        env / "given",
        env / "nn-data" / "mnist",
        env / "cache" / "nn" / "mnist",
        env / "system" / "mnist",
    ]:
        assert str(directory) in message
    assert "t10k-labels-idx1-ubyte" in message
    assert _cache_files(env) == []


def test_no_download_error_lists_directories_and_apt_hint(env):
    with pytest.raises(FileNotFoundError) as info:
        ds.fashion_mnist(download=False)
    message = str(info.value)
    assert str(env / "cache" / "nn" / "fashion-mnist") in message
    assert str(env / "system" / "fashion-mnist") in message
    assert "NN_DATA" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert not (env / "cache").exists()  # nothing created when nothing was downloaded


def test_partial_directory_is_skipped_and_reported(env):
    arrays = _fake_mnist()
    del arrays["t10k-labels-idx1-ubyte"]
    _write_dataset(env / "given", arrays)
    with pytest.raises(FileNotFoundError, match="missing: t10k-labels-idx1-ubyte"):
        ds.mnist(env / "given", download=False)


def test_search_order(env, monkeypatch):
    given, nn_data, cache, system = (_fake_mnist(seed) for seed in range(4))
    _write_dataset(env / "system" / "mnist", system)
    _assert_matches(ds.mnist(download=False), system)
    _write_dataset(env / "cache" / "nn" / "mnist", cache, suffix="")  # raw files work too
    _assert_matches(ds.mnist(download=False), cache)
    monkeypatch.setenv("NN_DATA", str(env / "nn-data"))
    _write_dataset(env / "nn-data" / "mnist", nn_data)
    _assert_matches(ds.mnist(download=False), nn_data)
    _write_dataset(env / "given", given)
    _assert_matches(ds.mnist(str(env / "given"), download=False), given)


def test_xdg_cache_home_default_and_relative(env, monkeypatch):
    monkeypatch.setenv("HOME", str(env / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME")
    arrays = _fake_mnist()
    _write_dataset(env / "home" / ".cache" / "nn" / "fashion-mnist", arrays)
    _assert_matches(ds.fashion_mnist(download=False), arrays)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # invalid per the XDG spec: ignored
    _assert_matches(ds.fashion_mnist(download=False), arrays)


def test_loader_shapes_and_options(env):
    arrays = _fake_mnist()
    _write_dataset(env / "given", arrays)
    (X, _), (Xt, _) = ds.mnist(env / "given", dtype=np.float64, flatten=False)
    assert X.shape == (6, 28, 28) and Xt.shape == (4, 28, 28) and X.dtype == np.float64
    assert 0.0 <= X.min() and X.max() <= 1.0


@pytest.mark.parametrize(
    ("name", "replacement", "message"),
    [
        ("train-labels-idx1-ubyte", np.array([0, 1, 2, 3, 4, 10], np.uint8), "0..9"),
        ("train-labels-idx1-ubyte", np.zeros(5, np.uint8), "6 images but .* 5 labels"),
        ("t10k-images-idx3-ubyte", np.zeros((4, 27, 28), np.uint8), r"\(n, 28, 28\)"),
        ("t10k-images-idx3-ubyte", np.zeros((4, 28, 28), np.float32), "uint8"),
        ("t10k-labels-idx1-ubyte", np.zeros((4, 1), np.uint8), r"\(n,\)"),
    ],
)
def test_loader_validates_contents(env, name, replacement, message):
    arrays = _fake_mnist()
    arrays[name] = replacement
    _write_dataset(env / "given", arrays)
    with pytest.raises(ValueError, match=message):
        ds.mnist(env / "given", download=False)


DEBIAN = Path("/usr/share/datasets/fashion-mnist")
# SHA-256 of the uncompressed official files (Debian recompressed the .gz files, so their
# own hashes differ from FASHION_MNIST_SHA256, but the contents must be Zalando's).
FASHION_RAW_SHA256 = {
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",  # noqa: E501
}


@pytest.mark.skipif(not DEBIAN.is_dir(), reason="apt-get install dataset-fashion-mnist")
def test_fashion_mnist_from_debian_package(env, monkeypatch):
    monkeypatch.setattr(mnist_loaders, "SYSTEM_DATA_DIR", DEBIAN.parent)
    (X, y), (Xt, yt) = ds.fashion_mnist(download=False)
    assert X.shape == (60000, 784) and Xt.shape == (10000, 784) and X.dtype == np.float32
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [6000] * 10
    assert np.bincount(yt).tolist() == [1000] * 10
    for name, digest in FASHION_RAW_SHA256.items():
        assert hashlib.sha256(gzip.decompress((DEBIAN / name).read_bytes())).hexdigest() == digest
