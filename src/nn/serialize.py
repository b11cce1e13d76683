"""Saving and loading networks as ``.npz`` archives that never need pickle.

A model file is a NumPy ``.npz`` (a zip of ``.npy`` arrays) holding

* ``__nn_model__``: a JSON description as UTF-8 bytes (a uint8 array), with the format name,
  its version, the dtype, each layer's type and constructor arguments, and the loss;
* ``<layer index>.<parameter name>``: one array per parameter tensor (``"0.W"``, ``"0.b"``, ...).

It is read with ``allow_pickle=False``, so a file can carry only numbers and the JSON text:
nothing in it is executed. The file is written to a temporary name beside the target and
renamed over it only when complete, so a crash mid-save leaves any previous file intact.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from nn.network import Network
from nn.registry import LAYERS, LOSSES

__all__ = ["save", "load", "ModelFileError", "FORMAT", "VERSION"]

FORMAT = "nn-model"
VERSION = 1
_META = "__nn_model__"


class ModelFileError(ValueError):
    """The file is not a model this version of nn can read; the message says why."""


def save(network: Network, path: str | os.PathLike[str]) -> None:
    """Write ``network`` to ``path`` (an ``.npz`` file), atomically.

    Parameters
    ----------
    network : Network
    path : str or path-like
        Written as given (no suffix is added).
    """
    description: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "dtype": network.dtype.name,
        "layers": [{"type": type(ly).__name__, "config": ly.config()} for ly in network.layers],
        "loss": {"type": type(network.loss).__name__, "config": network.loss.config()},
    }
    for entry in description["layers"] + [description["loss"]]:
        table = LOSSES if entry is description["loss"] else LAYERS
        if entry["type"] not in table:
            raise ValueError(
                f"cannot save a {entry['type']}: it is not registered in nn.registry, so "
                "load() could not rebuild it"
            )
    arrays = {key: param for key, param, _ in network.parameters()}
    arrays[_META] = np.frombuffer(json.dumps(description).encode(), dtype=np.uint8)
    atomic_write(path, lambda f: np.savez(f, **arrays))


def atomic_write(path: str | os.PathLike[str], write: Any) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path: str | os.PathLike[str]) -> Network:
    """Read a network written by :func:`save`.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ModelFileError
        If the file is not an nn model, is truncated or damaged, has an unknown version, or
        its arrays contradict its description.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if _META not in archive.files:
                raise ModelFileError(
                    f"{path!r} is an .npz archive but not an nn model (no {_META!r} entry)"
                )
            meta = archive[_META]
            if not isinstance(meta, np.ndarray) or meta.dtype != np.uint8 or meta.ndim != 1:
                raise ModelFileError(f"{path!r}: the {_META!r} entry is not JSON text")
            description = json.loads(meta.tobytes().decode())
            arrays = {name: archive[name] for name in archive.files if name != _META}
            for name, arr in arrays.items():
                if not isinstance(arr, np.ndarray):
                    raise ModelFileError(f"{path!r}: entry {name!r} is not a NumPy array")
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, UnicodeDecodeError) as err:
        raise ModelFileError(
            f"{path!r} is not a readable nn model file (truncated, damaged, or another "
            f"format): {err}"
        ) from None
    return _build(description, arrays, path)


def _build(description: Any, arrays: dict[str, np.ndarray], path: str) -> Network:
    """Rebuild the network a description names, checking every array against it."""
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise ModelFileError(f"{path!r}: the description does not say format {FORMAT!r}")
    if description.get("version") != VERSION:
        raise ModelFileError(
            f"{path!r} has model format version {description.get('version')!r}; this nn "
            f"reads version {VERSION}. Upgrade nn, or re-save the model with this version."
        )
    try:
        dtype = np.dtype(description["dtype"])
        if dtype.kind != "f":
            raise TypeError(dtype)
        layers = []
        for entry in description["layers"]:
            cls = LAYERS[entry["type"]]
            layers.append(cls(**entry["config"]))
        loss = LOSSES[description["loss"]["type"]](**description["loss"]["config"])
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{path!r}: the model description is invalid ({err!r})") from None
    expected = set()
    for i, layer in enumerate(layers):
        for name, param in layer.params.items():
            key = f"{i}.{name}"
            expected.add(key)
            if key not in arrays:
                raise ModelFileError(f"{path!r}: array {key!r} is missing")
            arr = arrays[key]
            if arr.shape != param.shape or arr.dtype != dtype:
                raise ModelFileError(
                    f"{path!r}: array {key!r} has shape {arr.shape} and dtype {arr.dtype}; "
                    f"the description implies {param.shape} and {dtype}"
                )
            layer.params[name] = arr.copy()
            layer.grads[name] = np.zeros_like(arr)
    extra = set(arrays) - expected
    if extra:
        raise ModelFileError(f"{path!r}: unexpected arrays {sorted(extra)}")
    return Network(layers, loss)
