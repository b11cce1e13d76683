"""Tests for nn.datasets.mnist_loaders: search order, downloads from a local server, errors."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from nn import datasets as ds
from nn.datasets import mnist_loaders


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
