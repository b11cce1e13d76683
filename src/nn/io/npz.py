"""Reading ``.npz`` archives that may come from anywhere, and writing files atomically.

:class:`SafeNpz` is what :func:`nn.load` and checkpoints read with: nothing is unpickled (each
member's ``.npy`` header is parsed first and only plain numeric dtypes are accepted) and
nothing is allocated from an unchecked size (each header's shape must agree with the member's
size in the zip directory, the total must stay under ``max_bytes``, JSON under 1 MiB). Damage
of any kind becomes one exception, :class:`ModelFileError`. :func:`atomic_write` writes to a
temporary name beside the target and renames it over the target only when complete, so a
crash mid-write leaves any previous file intact.
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
from typing import Any

import numpy as np

__all__ = ["ModelFileError", "SafeNpz", "atomic_write", "json_bytes"]

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
