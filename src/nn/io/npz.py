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

import contextlib
import json
import math
import os
import re
import secrets
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np

from nn.io.files import check_zip_directory, open_regular

__all__ = [
    "CHECKPOINT_ENTRY",
    "MODEL_ENTRY",
    "ModelFileError",
    "SafeNpz",
    "atomic_file",
    "atomic_write",
    "all_finite",
    "json_bytes",
    "nn_file_kind",
    "remove_stale_parts",
]

#: The entry holding the JSON description that makes an .npz an nn model ...
MODEL_ENTRY = "__nn_model__"
#: ... or an nn checkpoint (:mod:`nn.train.checkpoint`).
CHECKPOINT_ENTRY = "__nn_checkpoint__"

_MAX_JSON_BYTES = 1024**2
_READ_CHUNK = 1024**2
_MAX_MEMBERS = 10_000
#: Bytes a file may hold beyond its arrays' ``max_bytes``: per entry, its zip and .npy
#: headers (about 250 bytes for NumPy's) and its line in the zip directory, counted generously.
_PER_ENTRY = 1024

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


def all_finite(arr: np.ndarray) -> bool:
    """Whether every entry of ``arr`` is finite, without a temporary the size of ``arr``
    (``np.isfinite(arr).all()`` makes one): min and max propagate NaN and are inf if any is."""
    if arr.size == 0 or arr.dtype.kind not in "fc":
        return True
    return bool(np.isfinite(arr.min()) and np.isfinite(arr.max()))


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


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A temporary file beside ``path`` to write in a ``with`` block, renamed to ``path`` at
    its end.

    Readers see the previous file or the complete new one, never a part; if the block fails
    (or the process is interrupted) the temporary file is removed and ``path`` is untouched.
    A process killed mid-write (``kill -9``, a power cut) cannot remove its temporary file,
    so the name carries the writer's process id, ``.NAME.PID-RANDOM.part``, and the next
    write to ``path`` removes those whose process is gone. The new file gets the usual
    permissions (0o666 less the umask).
    """
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    remove_stale_parts(directory, name)
    tmp = os.path.join(directory, f".{name}.{os.getpid()}-{secrets.token_hex(6)}.part")
    try:
        # O_EXCL: never write through a file someone else made.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(tmp, flags, 0o666)
    except OSError as err:
        raise _about(err, path, tmp) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(err, OSError) and _about(err, path, tmp) is not err:
            raise _about(err, path, tmp) from None
        raise


def atomic_write(path: str | os.PathLike[str], write: Any) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``:
    :func:`atomic_file` for a writer that is one call."""
    with atomic_file(path) as f:
        write(f)


def remove_stale_parts(directory: str, name: str) -> list[str]:
    """Remove the temporary files of writes to ``directory/name`` whose writer has died.

    Returns the names removed. A temporary file of a process still running (this one
    included: another thread may be writing) is left alone, and so is anything whose name
    is not exactly that of :func:`atomic_write`'s temporaries.
    """
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)-[0-9a-f]{{12}}\.part")
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed  # atomic_write reports a missing directory itself
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):  # another writer may have removed it first
                os.remove(os.path.join(directory, entry))
                removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this machine)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists but is someone else's, or cannot be asked: leave its file
    return True


def _about(err: OSError, path: str, tmp: str) -> OSError:
    """``err`` naming the caller's ``path`` instead of the temporary file nobody asked for;
    unchanged if it is not about the file (a download's connection, another file)."""
    if err.errno is None or err.filename not in (None, tmp):
        return err
    if isinstance(err, (ConnectionError, TimeoutError)):
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
            # a regular file of a size its arrays could have, with a directory worth parsing
            self._file = open_regular(path, max_bytes + _MAX_MEMBERS * _PER_ENTRY, self.error)
            check_zip_directory(self._file, _MAX_MEMBERS, _MAX_MEMBERS * _PER_ENTRY, self.error)
            self._zip = zipfile.ZipFile(self._file)
            self._scan(max_bytes)
        except (ModelFileError, FileNotFoundError, PermissionError):
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
                    # bounded pieces: zipfile reads a piece into a new bytes object first
                    k = f.readinto(view[got : got + _READ_CHUNK])
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
            if allow_nan:
                return json.loads(text)
            # 1e999 parses to inf: as much a non-finite number as the literal Infinity
            return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
        except ModelFileError:
            raise
        except (ValueError, RecursionError) as err:
            raise self.error(f"has a description that is not valid JSON ({err})") from None

    def close(self) -> None:
        if getattr(self, "_zip", None) is not None:
            self._zip.close()
        if getattr(self, "_file", None) is not None:
            self._file.close()  # zipfile leaves a file it was handed open

    def __enter__(self) -> SafeNpz:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range (not finite)")
    return value


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


def nn_file_kind(path: str | os.PathLike[str]) -> str | None:
    """What is at ``path``: None (nothing), ``"model"``, ``"checkpoint"`` or ``"other"``.

    Read as :class:`SafeNpz` reads (regular files only, headers only), so that a path about
    to be written can be checked first: a checkpoint written over a saved model, or a model
    saved over the checkpoint of a run, would destroy it.
    """
    if not os.path.lexists(path):
        return None
    try:
        with SafeNpz(os.fspath(path), 2**62) as npz:
            names = set(npz.headers)
    except (ModelFileError, OSError):
        return "other"
    if MODEL_ENTRY in names:
        return "model"
    return "checkpoint" if CHECKPOINT_ENTRY in names else "other"
