"""Save and load: identical predictions after a round trip, clear errors on bad files."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pytest

import nn
from nn.serialize import ModelFileError


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
