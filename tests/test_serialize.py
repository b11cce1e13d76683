"""Save and load: identical predictions after a round trip, clear errors on bad files."""

from __future__ import annotations

import io
import json
import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest

import nn
from nn.io.npz import ModelFileError


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_gives_identical_predictions(tmp_path, dtype):
    net = nn.mlp([6, 5, 4, 3], seed=0, dtype=dtype)
    X = np.random.default_rng(0).random((9, 6))
    path = tmp_path / "model.npz"
    net.save(path)
    back = nn.load(path)
    assert back.dtype == dtype
    assert [type(ly) for ly in back.layers] == [type(ly) for ly in net.layers]
    assert type(back.loss) is type(net.loss)
    assert back.predict(X).tobytes() == net.predict(X).tobytes()


def test_save_replaces_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "m.npz"
    nn.mlp([2, 2], seed=0).save(path)
    nn.mlp([3, 2], seed=0).save(path)
    assert nn.load(path).n_in == 3
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    nn.mlp([2, 2], seed=0).save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(RuntimeError):
        nn.mlp([3, 2], seed=0).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        nn.load(tmp_path / "nope.npz")


def test_npz_that_is_not_a_model(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x=np.zeros(3))
    with pytest.raises(ModelFileError, match="not an nn model"):
        nn.load(path)


@pytest.mark.parametrize("cut", [10, 200, -50])
def test_truncated_file(tmp_path, cut):
    path = tmp_path / "m.npz"
    nn.mlp([4, 3, 2], seed=0).save(path)
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    with pytest.raises(ModelFileError):
        nn.load(path)


def test_garbage_and_text_files(tmp_path):
    for content in (b"", b"hello, I am not a model", bytes(range(256)) * 10):
        path = tmp_path / "g.npz"
        path.write_bytes(content)
        with pytest.raises(ModelFileError):
            nn.load(path)


def _rewrite(src, dst, change):
    """Copy a model archive, letting ``change(description, arrays)`` edit it."""
    with np.load(src) as f:
        arrays = {k: f[k] for k in f.files}
    desc = json.loads(arrays.pop("__nn_model__").tobytes())
    change(desc, arrays)
    arrays["__nn_model__"] = np.frombuffer(json.dumps(desc).encode(), np.uint8)
    np.savez(dst, **arrays)


def test_unknown_version_and_contradicting_shapes(tmp_path):
    src = tmp_path / "m.npz"
    nn.mlp([4, 3, 2], seed=0).save(src)
    bad = tmp_path / "bad.npz"

    _rewrite(src, bad, lambda d, a: d.update(version=99))
    with pytest.raises(ModelFileError, match="version 99"):
        nn.load(bad)

    _rewrite(src, bad, lambda d, a: a.update({"0.W": np.zeros((5, 3), np.float32)}))
    with pytest.raises(ModelFileError, match="shape"):
        nn.load(bad)

    _rewrite(src, bad, lambda d, a: d["layers"].__setitem__(0, {"type": "Evil", "config": {}}))
    with pytest.raises(ModelFileError, match="description"):
        nn.load(bad)

    _rewrite(src, bad, lambda d, a: a.pop("2.b"))
    with pytest.raises(ModelFileError, match="missing"):
        nn.load(bad)


def test_pickled_object_arrays_are_refused_without_being_run(tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('pickle was executed')",))

    path = tmp_path / "evil.npz"
    src = tmp_path / "m.npz"
    nn.mlp([2, 2], seed=0).save(src)
    with np.load(src) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["0.W"] = np.array([Boom()], dtype=object)
    np.savez(path, **arrays)
    with pytest.raises(ModelFileError):
        nn.load(path)
    # a raw pickle inside the zip instead of an .npy
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("__nn_model__.npy", pickle.dumps(Boom()))
    path.write_bytes(buf.getvalue())
    with pytest.raises(ModelFileError):
        nn.load(path)


# ---------------------------------------------------------------- hostile files
def _write_npz(path, description, arrays, compressed=False):
    arrays = dict(arrays)
    text = description if isinstance(description, bytes) else json.dumps(description).encode()
    arrays["__nn_model__"] = np.frombuffer(text, np.uint8)
    (np.savez_compressed if compressed else np.savez)(path, **arrays)


def _dense_description(n_in, n_out):
    return {
        "format": "nn-model",
        "version": 1,
        "dtype": "float32",
        "layers": [{"type": "Dense", "config": {"n_in": n_in, "n_out": n_out}}],
        "loss": {"type": "SquaredError", "config": {}},
    }


def test_a_description_claiming_huge_layers_is_refused_before_allocating(tmp_path):
    import tracemalloc

    path = tmp_path / "huge.npz"
    small = {"0.W": np.zeros((2, 3), np.float32), "0.b": np.zeros(3, np.float32)}
    _write_npz(path, _dense_description(10**9, 10**5), small)  # 400 TB if built
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=r"implies \(1000000000, 100000\)"):
            nn.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024**2


def test_npy_headers_that_lie_about_their_size_are_refused(tmp_path):
    path = tmp_path / "m.npz"
    nn.mlp([3, 2], seed=0).save(path)
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    # a valid zip (right CRC) whose .npy header claims more data than the member holds
    members["0.W.npy"] = members["0.W.npy"].replace(b"'shape': (3, 2)", b"'shape': (9, 9)")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(ModelFileError, match=r"claims shape \(9, 9\)"):
        nn.load(path)


def test_a_compressed_bomb_is_refused_by_the_size_limit(tmp_path):
    path = tmp_path / "bomb.npz"
    big = {"0.W": np.zeros((4096, 4096), np.float32), "0.b": np.zeros(4096, np.float32)}
    _write_npz(path, _dense_description(4096, 4096), big, compressed=True)
    assert path.stat().st_size < 200_000  # 64 MB of zeros in a small file
    with pytest.raises(ModelFileError, match="max_bytes"):
        nn.load(path, max_bytes=10 * 1024**2)
    assert nn.load(path).n_in == 4096  # within the default limit it is a valid model


def _with_config(**config):
    return {**_dense_description(2, 3), "layers": [{"type": "Dense", "config": config}]}


@pytest.mark.parametrize(
    "description,match",
    [
        (b"x" * (1024**2 + 1), "description; the limit"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'{"format": NaN}', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        ({**_dense_description(2, 3), "version": True}, "version True"),
        ({**_dense_description(2, 3), "version": "1"}, "version '1'"),
        ({**_dense_description(2, 3), "dtype": "object"}, "invalid model description"),
        ({**_dense_description(2, 3), "dtype": "int32"}, "invalid model description"),
        ({**_dense_description(2, 3), "loss": {"type": "os.system"}}, "unknown type"),
        ({**_dense_description(2, 3), "layers": "Dense"}, "invalid model description"),
        (_with_config(n_in=2, n_out=3, dtype=[1]), "plain numbers"),
        (_with_config(n_in=2, n_out=3, evil=1), "invalid model description"),
        (_with_config(n_in=2.0, n_out=3), "n_in must be a positive integer"),
    ],
)  # fmt: skip
def test_hostile_descriptions_are_refused(tmp_path, description, match):
    path = tmp_path / "m.npz"
    arrays = {"0.W": np.zeros((2, 3), np.float32), "0.b": np.zeros(3, np.float32)}
    _write_npz(path, description, arrays)
    with pytest.raises(ModelFileError, match=match):
        nn.load(path)


@pytest.mark.parametrize(
    "array,match",
    [
        (np.zeros((2, 3), ">f4"), "dtype >f4"),
        (np.zeros((2, 3), np.int32), "dtype int32"),
        (np.zeros((2, 3), [("a", "<f4")]), "not plain numbers"),
        (np.array([["a"] * 3] * 2), "not plain numbers"),
        (np.full((2, 3), np.nan, np.float32), "NaN or infinite weights"),
        (np.full((2, 3), np.inf, np.float32), "NaN or infinite weights"),
    ],
)
def test_arrays_of_the_wrong_kind_are_refused(tmp_path, array, match):
    path = tmp_path / "m.npz"
    _write_npz(path, _dense_description(2, 3), {"0.W": array, "0.b": np.zeros(3, np.float32)})
    with pytest.raises(ModelFileError, match=match):
        nn.load(path)


def test_fortran_ordered_arrays_load_with_their_values(tmp_path):
    path = tmp_path / "m.npz"
    W = np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    _write_npz(path, _dense_description(2, 3), {"0.W": W, "0.b": np.zeros(3, np.float32)})
    np.testing.assert_array_equal(nn.load(path).layers[0].W, W)


def test_zips_with_odd_members_are_refused(tmp_path):
    src = tmp_path / "m.npz"
    nn.mlp([2, 2], seed=0).save(src)
    with zipfile.ZipFile(src) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    for extra in [("readme.txt", b"hi"), ("0.W.npy", members["0.W.npy"])]:
        path = tmp_path / "odd.npz"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
            with zipfile.ZipFile(path, "w") as z:
                for name, data in [*members.items(), extra]:
                    z.writestr(name, data)
        with pytest.raises(ModelFileError, match="unexpected entry"):
            nn.load(path)


def test_a_directory_is_not_a_model(tmp_path):
    with pytest.raises(ModelFileError, match="directory"):
        nn.load(tmp_path)


def test_saved_files_get_normal_permissions(tmp_path):
    path = tmp_path / "m.npz"
    nn.mlp([2, 2], seed=0).save(path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), np.float32("nan")])
def test_metadata_that_json_cannot_hold_gets_the_metadata_message(tmp_path, value):
    net = nn.mlp([2, 3, 1], seed=0)
    net.metadata = {"x": value}
    with pytest.raises(ValueError, match=r"metadata .*'x' is NaN or infinite") as caught:
        net.save(tmp_path / "m.npz")
    assert "JSON compliant" not in str(caught.value)
    assert not (tmp_path / "m.npz").exists()


def test_metadata_numpy_scalars_are_saved_as_python_values(tmp_path):
    net = nn.mlp([2, 3, 1], seed=0)
    net.metadata = {"lr": np.float32(0.5), "epochs": np.int64(3), "std": np.bool_(True)}
    net.save(tmp_path / "m.npz")
    loaded = nn.load(tmp_path / "m.npz").metadata
    assert loaded == {"lr": 0.5, "epochs": 3, "std": True}
    assert [type(v) for v in loaded.values()] == [float, int, bool]
    assert isinstance(net.metadata["lr"], np.float32)  # the network's own dict is left alone
