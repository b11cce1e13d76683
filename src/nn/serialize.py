"""Saving and loading networks as ``.npz`` archives that never need pickle.

A model file is a NumPy ``.npz`` (a zip of ``.npy`` arrays) holding

* ``__nn_model__``: a JSON description as UTF-8 bytes (a uint8 array), with the format name,
  its version, the dtype, each layer's type and constructor arguments, the loss, and (when
  not empty) the network's ``metadata``, e.g. the dataset ``nn train`` trained it on;
* ``<layer index>.<parameter name>``: one array per parameter tensor (``"0.W"``, ``"0.b"``, ...).

Reading is defensive, because a model file may come from anywhere:

* nothing is unpickled: each member's ``.npy`` header is parsed first and only plain numeric
  dtypes are accepted (no object arrays, no structured or string data);
* nothing is allocated from an unchecked size: each header's shape must agree with the
  member's size in the zip directory, the total must stay under ``max_bytes``, the JSON under
  1 MiB, and the description's layer sizes must agree with the stored arrays' shapes (via
  ``Layer.param_shapes``) before any layer is built;
* truncated, garbled or foreign files, unknown versions, unknown layer types, wrong dtypes,
  NaN or inf weights: each raises :class:`ModelFileError` saying what was wrong.

The file is written to a temporary name beside the target and renamed over it only when
complete, so a crash mid-save leaves any previous file intact.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.registry import LAYERS, LOSSES

if TYPE_CHECKING:  # pragma: no cover
    from nn.network import Network

__all__ = ["save", "load", "ModelFileError", "FORMAT", "VERSION", "MAX_MODEL_BYTES"]

FORMAT = "nn-model"
VERSION = 1
_META = "__nn_model__"

#: Largest total of array data :func:`load` accepts by default, in bytes.
MAX_MODEL_BYTES = 2 * 1024**3
_MAX_JSON_BYTES = 1024**2
_MAX_MEMBERS = 10_000

# Everything the zip, zlib and .npy header parsers raise on damaged input. Converted to
# ModelFileError, so a caller has one exception to handle.
_DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,  # includes UnicodeDecodeError and numpy's header errors
    struct.error,
    NotImplementedError,  # unsupported zip compression method
    RuntimeError,  # encrypted zip member (RecursionError is a subclass: deeply nested JSON)
    OverflowError,
    SyntaxError,
    TypeError,
    KeyError,
    IndexError,
)


class ModelFileError(ValueError):
    """The file is not a model this version of nn can read; the message says why."""


def describe(network: Network, *, loadable: bool = True) -> dict[str, Any]:
    """The JSON-able description of ``network``'s architecture (no weights).

    With ``loadable`` (for model files), every layer and loss must be registered in
    :mod:`nn.registry` so that :func:`load` can rebuild it; a checkpoint only needs to
    recognize the network it is resumed into, so it passes False.
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
        if loadable and entry["type"] not in table:
            raise ValueError(
                f"cannot save a {entry['type']}: it is not registered in nn.registry, so "
                "load() could not rebuild it"
            )
    return description


def save(network: Network, path: str | os.PathLike[str]) -> None:
    """Write ``network`` to ``path`` (an ``.npz`` file), atomically.

    Parameters
    ----------
    network : Network
    path : str or path-like
        Written as given (no suffix is added).

    Raises
    ------
    OSError
        If the file cannot be written; the message names ``path``.
    ValueError
        If ``network.metadata`` holds anything but names mapped to str, finite numbers
        (numpy scalars are saved as the Python values they hold), bool or None.
    """
    arrays = {key: param for key, param, _ in network.parameters()}
    description = describe(network)
    metadata = getattr(network, "metadata", None)
    if metadata:
        description["metadata"] = _checked_metadata(
            metadata, lambda m: ValueError(f"cannot save: the network {m}")
        )
    arrays[_META] = json_bytes(description)
    atomic_write(path, lambda f: np.savez(f, **arrays))


def json_bytes(obj: Any, *, allow_nan: bool = False) -> np.ndarray:
    """``obj`` as JSON text in a uint8 array (how descriptions are stored in an .npz).

    NumPy scalars and arrays become plain numbers and lists.
    """
    text = json.dumps(obj, allow_nan=allow_nan, default=_plain)
    return np.frombuffer(text.encode(), dtype=np.uint8)


def _plain(obj: Any) -> Any:
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} {obj!r} cannot be written as JSON")


def atomic_write(path: str | os.PathLike[str], write: Any) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``.

    Readers see the previous file or the complete new one, never a part; if ``write`` fails
    (or the process is interrupted) the temporary file is removed and ``path`` is untouched.
    The new file gets the usual permissions (0o666 less the umask).
    """
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.part")
    try:
        # O_EXCL: never write through a file someone else made.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(tmp, flags, 0o666)
    except OSError as err:
        raise _about(err, path, tmp) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(err, OSError) and _about(err, path, tmp) is not err:
            raise _about(err, path, tmp) from None
        raise


def _about(err: OSError, path: str, tmp: str) -> OSError:
    """``err`` naming the caller's ``path`` instead of the temporary file nobody asked for."""
    if err.errno is None or err.filename not in (None, tmp):
        return err
    return type(err)(err.errno, f"cannot write {path!r}: {err.strerror}")


class SafeNpz:
    """An ``.npz`` opened for reading without pickle and without trusting its sizes.

    On opening, every member's ``.npy`` header is read (not its data) and checked: plain
    numeric dtype, a shape whose size equals the member's size in the zip directory, and a
    total within ``max_bytes``. :attr:`headers` then maps each name to ``(shape, dtype)`` so
    the caller can compare them with what it expects before :meth:`read` allocates anything.

    Raises
    ------
    ModelFileError
        (or the subclass ``error``) on any damage; ``what`` names the kind of file.
    """

    def __init__(
        self,
        path: str,
        max_bytes: int,
        what: str = "nn model",
        error: type[ModelFileError] = ModelFileError,
    ) -> None:
        self.path, self.what, self._error = path, what, error
        self.headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
        self._members: dict[str, tuple[zipfile.ZipInfo, bool]] = {}
        try:
            self._zip = zipfile.ZipFile(path)
            self._scan(max_bytes)
        except ModelFileError:
            self.close()
            raise
        except _DAMAGED as err:
            self.close()
            raise self.error(
                f"is not a readable {what} file (truncated, damaged, or another format): {err}"
            ) from None

    def error(self, message: str) -> ModelFileError:
        """The exception to raise, its message prefixed with the file's path."""
        return self._error(f"{self.path!r} {message}")

    def _scan(self, max_bytes: int) -> None:
        infos = self._zip.infolist()
        if len(infos) > _MAX_MEMBERS:
            raise self.error(f"has {len(infos)} entries; an {self.what} file has far fewer")
        total = 0
        for info in infos:
            if not info.filename.endswith(".npy") or info.filename[:-4] in self._members:
                raise self.error(f"has an unexpected entry {info.filename!r}")
            total += info.file_size
            if total > max_bytes:
                raise self.error(
                    f"holds more than {max_bytes:,} bytes of arrays (the max_bytes limit); "
                    "if you trust it, pass a larger max_bytes"
                )
            with self._zip.open(info) as f:
                shape, fortran, dtype = _npy_header(f)
                offset = f.tell()
            name = info.filename[:-4]
            if dtype.hasobject or dtype.kind not in "biuf" or dtype.fields or dtype.subdtype:
                raise self.error(
                    f"entry {name!r} holds {dtype} data, not plain numbers (an object array or a "
                    "pickle?): refused, nothing in it was run"
                )
            if any(d < 0 for d in shape):
                raise self.error(f"entry {name!r} has an invalid shape {shape}")
            nbytes = math.prod(shape) * dtype.itemsize
            if info.file_size != offset + nbytes:
                raise self.error(
                    f"entry {name!r} claims shape {shape} of {dtype} ({nbytes:,} bytes) but holds "
                    f"{info.file_size - offset:,} bytes: the file is damaged"
                )
            self.headers[name] = (tuple(shape), dtype)
            self._members[name] = (info, fortran)

    def read(self, name: str) -> np.ndarray:
        """The array ``name``, allocated at the size already checked against the file."""
        info, fortran = self._members[name]
        shape, dtype = self.headers[name]
        try:
            with self._zip.open(info) as f:
                _npy_header(f)
                raw = np.empty(math.prod(shape) * dtype.itemsize, dtype=np.uint8)
                view, got = memoryview(raw), 0
                while got < raw.size:
                    k = f.readinto(view[got:])
                    if not k:
                        raise self.error(f"entry {name!r} is truncated")
                    got += k
                if f.read(1):  # also makes zipfile check the member's CRC
                    raise self.error(f"entry {name!r} is longer than its header says")
        except ModelFileError:
            raise
        except _DAMAGED as err:
            raise self.error(f"is damaged: entry {name!r} cannot be read ({err})") from None
        return raw.view(dtype).reshape(shape, order="F" if fortran else "C")

    def read_json(self, name: str, *, allow_nan: bool = False) -> Any:
        """The JSON document stored as UTF-8 bytes in the uint8 entry ``name``."""
        shape, dtype = self.headers[name]
        if dtype != np.uint8 or len(shape) != 1:
            raise self.error(
                f"the {name!r} entry is not JSON text (found {dtype} of shape {shape})"
            )
        if shape[0] > _MAX_JSON_BYTES:
            raise self.error(
                f"has a {shape[0]:,}-byte description; the limit is {_MAX_JSON_BYTES:,}"
            )
        try:
            text = self.read(name).tobytes().decode()
            return json.loads(text, parse_constant=None if allow_nan else _no_constant)
        except ModelFileError:
            raise
        except (ValueError, RecursionError) as err:
            raise self.error(f"has a description that is not valid JSON ({err})") from None

    def close(self) -> None:
        if getattr(self, "_zip", None) is not None:
            self._zip.close()

    def __enter__(self) -> SafeNpz:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def _npy_header(f: Any) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Parse an .npy header (magic, version 1 or 2, the literal dict) without reading data."""
    version = np.lib.format.read_magic(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy warns about Python 2 headers
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(f)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(f)
    raise ValueError(f".npy format version {version} is not supported")


def load(path: str | os.PathLike[str], *, max_bytes: int = MAX_MODEL_BYTES) -> Network:
    """Read a network written by :func:`save`.

    Parameters
    ----------
    path : str or path-like
    max_bytes : int, default MAX_MODEL_BYTES (2 GiB)
        Largest total of array data accepted.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ModelFileError
        If the file is not an nn model, is truncated or damaged, has an unknown version,
        carries anything but plain numeric arrays, its arrays contradict its description, or
        its metadata is not a mapping of names to plain values.
    """
    from nn.network import Network  # here: network.py imports this module's helpers

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    if os.path.isdir(path):
        raise ModelFileError(f"{path!r} is a directory, not a model file")
    with SafeNpz(path, max_bytes) as npz:
        if _META not in npz.headers:
            raise npz.error(f"is an .npz archive but not an nn model (no {_META!r} entry)")
        description = npz.read_json(_META)
        arrays = {k: v for k, v in npz.headers.items() if k != _META}
        layers, loss = build(description, arrays, npz.error)
        # absent in files saved before metadata existed
        metadata = _checked_metadata(description.get("metadata", {}), npz.error)
        for i, layer in enumerate(layers):
            for name in layer.params:
                arr = npz.read(f"{i}.{name}")
                if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                    raise npz.error(f"array '{i}.{name}' holds NaN or infinite weights")
                layer.params[name] = arr
                layer.grads[name] = np.zeros_like(arr)
    net = Network(layers, loss)
    net.metadata = metadata
    return net


def _checked_metadata(metadata: Any, error: Callable[[str], Exception]) -> dict[str, Any]:
    """A copy of ``metadata`` if it maps str names to plain values JSON can hold (numpy
    scalars become the Python values they hold); else ``error(message)`` is raised."""
    plain = (str, int, float, bool, type(None))
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, (*plain, np.bool_, np.integer, np.floating))
        for k, v in metadata.items()
    ):
        raise error(
            "has metadata that is not a mapping of names to plain values (str, numbers, bool "
            f"or None): {metadata!r}"[:300]
        )
    # np.float32(0.5) -> 0.5, np.int64(3) -> 3: JSON knows only Python's numbers
    checked = {k: v.item() if isinstance(v, np.generic) else v for k, v in metadata.items()}
    for k, v in checked.items():
        if isinstance(v, float) and not math.isfinite(v):
            raise error(
                f"has metadata {k!r} = {v!r}: {k!r} is NaN or infinite, which a model file "
                "cannot hold (JSON has no such numbers); store it as a string or leave it out"
            )
    return checked


def build(
    description: Any, arrays: dict[str, tuple[tuple[int, ...], np.dtype]], error: Any
) -> tuple[list[Any], Any]:
    """Layers and loss of a description, checked against the stored arrays' headers first.

    Every layer's :meth:`~nn.layers.Layer.param_shapes` must match the stored shapes and
    dtypes before the layer is built, so a description cannot make ``load`` allocate more
    than the file holds. ``error(message)`` makes the exception to raise.
    """
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise error(f"has a description that does not say format {FORMAT!r}")
    version = description.get("version")
    if type(version) is not int or version != VERSION:
        raise error(
            f"has model format version {version!r}; this nn reads version {VERSION}. "
            "Upgrade nn, or re-save the model with this version."
        )
    try:
        dtype = np.dtype(description["dtype"])
        if dtype.kind != "f":
            raise TypeError(f"dtype {dtype} is not a float type")
        entries = description["layers"]
        if not isinstance(entries, list) or not entries:
            raise TypeError("'layers' must be a non-empty list")
        plans = []
        for i, entry in enumerate(entries):
            cls, config = _entry(entry, LAYERS, f"layer {i}")
            shapes = cls.param_shapes(**config)
            for name, shape in shapes.items():
                key = f"{i}.{name}"
                if key not in arrays:
                    raise error(f"lacks array {key!r} (missing)")
                if arrays[key] != (tuple(shape), dtype):
                    found_shape, found_dtype = arrays[key]
                    raise error(
                        f"array {key!r} has shape {found_shape} and dtype {found_dtype}; the "
                        f"description implies {tuple(shape)} and {dtype}"
                    )
            plans.append((cls, config, shapes))
        extra = set(arrays) - {f"{i}.{n}" for i, (_, _, s) in enumerate(plans) for n in s}
        if extra:
            owners = {plans[int(k)][0].__name__ for k in (e.split(".")[0] for e in extra)
                      if k.isdigit() and int(k) < len(plans)}  # fmt: skip
            hint = f" (not in the param_shapes of {', '.join(sorted(owners))})"
            raise error(f"has unexpected arrays {sorted(extra)}{hint if owners else ''}")
        loss_cls, loss_config = _entry(description["loss"], LOSSES, "the loss")
        # Sizes are checked: building allocates no more than the file holds.
        layers = [cls(**config) for cls, config, _ in plans]
        loss = loss_cls(**loss_config)
    except (KeyError, TypeError, ValueError, OverflowError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise error(f"has an invalid model description ({err!r})") from None
    for i, (layer, (_, _, shapes)) in enumerate(zip(layers, plans)):
        built = {n: p.shape for n, p in layer.params.items()}
        if built != {n: tuple(s) for n, s in shapes.items()}:
            raise error(
                f"layer {i} ({type(layer).__name__}) built parameters {built} but its "
                f"param_shapes declared {shapes}"
            )
    return layers, loss


def _entry(entry: Any, table: dict[str, type], what: str) -> tuple[type, dict[str, Any]]:
    """The class and constructor arguments of one ``{"type": ..., "config": {...}}`` entry."""
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        raise TypeError(f"{what} is not a {{'type': ..., 'config': ...}} entry")
    if entry["type"] not in table:
        raise KeyError(f"{what} has unknown type {entry['type']!r}")
    config = entry.get("config", {})
    if not isinstance(config, dict) or not all(
        isinstance(v, (int, float, str, bool, type(None))) for v in config.values()
    ):
        raise TypeError(f"{what} config must map names to plain numbers or strings")
    return table[entry["type"]], config
