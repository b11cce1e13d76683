"""The IDX file format of MNIST and Fashion-MNIST: :func:`read_idx`, :func:`write_idx`.

Reading trusts nothing in a file: every claim of its header is checked before memory is
allocated for it, and anything malformed raises :class:`IDXError`.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nn.datasets.common import PathLike
from nn.io.files import open_regular
from nn.io.npz import atomic_file

__all__ = ["IDXError", "read_idx", "write_idx"]


class IDXError(ValueError):
    """The bytes given to :func:`read_idx` are not a well-formed IDX file.

    Raised for a bad magic number, an unknown type code, a truncated header, data shorter or
    longer than the header's shape, a header claiming more than ``max_bytes`` of data, and a
    corrupt gzip stream. The message names the file and what was wrong.
    """


# Type code -> element type, as stored: IDX numbers are big-endian.
_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {(dt.kind, dt.itemsize): code for code, dt in _IDX_TYPES.items()}
_IDX_TYPE_NAMES = ", ".join(
    f"0x{c:02X} {dt.newbyteorder('=').name}" for c, dt in _IDX_TYPES.items()
)
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20

#: Largest array :func:`read_idx` accepts by default, in bytes (MNIST's largest file is 47 MB).
MAX_IDX_BYTES = 2 * 1024**3


class _Prefixed(io.RawIOBase):
    """A non-seekable stream with the bytes already read from it put back in front."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = prefix
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        if self._prefix:
            k = min(len(b), len(self._prefix))
            b[:k] = self._prefix[:k]
            self._prefix = self._prefix[k:]
            return k
        data = self._stream.read(len(b))
        b[: len(data)] = data
        return len(data)


def _read_up_to(stream: BinaryIO, n: int) -> bytearray:
    """Read until ``n`` bytes or end of stream.

    Memory grows with the bytes that actually arrive, never with ``n``: ``n`` may come from
    an unchecked header (and a single ``read(n)`` would allocate ``n`` bytes up front).
    """
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(min(_CHUNK, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


def _remaining(stream: BinaryIO) -> int | None:
    """Bytes left in a seekable stream, or None when that cannot be known."""
    try:
        if not stream.seekable():
            return None
        pos = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(pos)
    except (AttributeError, OSError):
        return None
    return end - pos


def read_idx(source: PathLike | BinaryIO, *, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Read an array from an IDX file (the format of MNIST and Fashion-MNIST), raw or gzipped.

    An IDX file is a header followed by the array's elements in C order:

    ========  =========================================================================
    bytes     meaning
    ========  =========================================================================
    0-1       zero
    2         type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
              0x0E float64
    3         ndim, the number of dimensions
    4-...     ndim sizes, each a big-endian uint32
    then      the elements, big-endian
    ========  =========================================================================

    Gzip compression is recognized by its first two bytes (1f 8b), not by the file name.
    Nothing is allocated from the header's claims before they are checked: the claimed size
    must not exceed ``max_bytes`` and, for an uncompressed file, must equal the bytes left in
    the file; compressed data is read in bounded chunks and never past the claimed size + 1.

    Parameters
    ----------
    source : str, os.PathLike or binary file object
        A path, or a file opened in binary mode (read from its current position).
    max_bytes : int, default MAX_IDX_BYTES (2 GiB)
        Largest array accepted, in bytes.

    Returns
    -------
    ndarray
        Of the header's shape and type, in native byte order, writable.

    Raises
    ------
    IDXError
        If the bytes are not a well-formed IDX file (see :class:`IDXError`), or the path is
        not a regular file (a device, a FIFO) or is larger than ``max_bytes`` allows.
    OSError
        If the file cannot be opened or read.
    """
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        # a regular file only (a FIFO or /dev/zero would hang or never end), of a size the
        # array could have: max_bytes, plus the header, or gzip's slight growth of random data
        limit = max_bytes + max_bytes // 100 + 65536
        with open_regular(path, limit, lambda why: IDXError(f"{path}: {why}")) as f:
            return _read_idx_stream(f, path, max_bytes)
    name = getattr(source, "name", None)
    label = str(name) if name is not None else f"<{type(source).__name__} stream>"
    return _read_idx_stream(source, label, max_bytes)


def _read_idx_stream(stream: BinaryIO, name: str, max_bytes: int) -> np.ndarray:
    seekable = _remaining(stream) is not None
    if seekable:
        pos = stream.tell()
        magic = stream.read(2)
        stream.seek(pos)
    else:
        magic = stream.read(2)
        stream = _Prefixed(magic, stream)  # type: ignore[assignment]
    if magic == _GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=stream, mode="rb") as gz:
                return _parse_idx(gz, name, max_bytes, remaining=None)  # type: ignore[arg-type]
        except (gzip.BadGzipFile, EOFError, zlib.error) as e:
            raise IDXError(f"{name}: corrupt gzip data: {e}") from e
    return _parse_idx(stream, name, max_bytes, remaining=_remaining(stream))


def _parse_idx(stream: BinaryIO, name: str, max_bytes: int, remaining: int | None) -> np.ndarray:
    head = _read_up_to(stream, 4)
    if len(head) < 4:
        raise IDXError(
            f"{name}: truncated header: {len(head)} bytes, an IDX file has at least 4 "
            "(two zero bytes, a type code, ndim)"
        )
    if head[0] != 0 or head[1] != 0:
        raise IDXError(
            f"{name}: bad magic number: the file starts with bytes {head.hex(' ')}, an IDX file "
            "starts with 00 00 <type code> <ndim> (is it another format?)"
        )
    code, ndim = head[2], head[3]
    if code not in _IDX_TYPES:
        raise IDXError(f"{name}: unknown type code 0x{code:02X}; known codes: {_IDX_TYPE_NAMES}")
    raw_dims = _read_up_to(stream, 4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise IDXError(
            f"{name}: truncated header: ndim = {ndim} needs {4 + 4 * ndim} header bytes, "
            f"found {4 + len(raw_dims)}"
        )
    shape = struct.unpack(f">{ndim}I", raw_dims)
    dtype = _IDX_TYPES[code]
    count = math.prod(shape)  # a Python int: cannot overflow, however absurd the dims
    nbytes = count * dtype.itemsize
    what = f"shape {shape} of {dtype.newbyteorder('=').name} ({nbytes:,} bytes)"
    if nbytes > max_bytes:
        raise IDXError(
            f"{name}: the header claims {what}, more than the {max_bytes:,}-byte limit: "
            "a corrupt header, or pass a larger max_bytes"
        )
    if remaining is not None:
        # Checked before reading, so a lying header costs no memory.
        have = remaining - 4 - 4 * ndim
        if have != nbytes:
            longer = "longer" if have > nbytes else "shorter"
            raise IDXError(
                f"{name}: data is {longer} than the header claims: {what} expected, "
                f"{have:,} bytes found after the header"
            )
    data = _read_up_to(stream, nbytes + 1)  # the +1 detects trailing bytes
    if len(data) != nbytes:
        longer = "longer" if len(data) > nbytes else "shorter"
        found = f"{len(data):,} bytes" if len(data) <= nbytes else "more bytes"
        raise IDXError(
            f"{name}: data is {longer} than the header claims: {what} expected, "
            f"{found} found after the header"
        )
    native = dtype.newbyteorder("=")
    if count == 0:
        try:
            return np.zeros(shape, dtype=native)
        except ValueError as e:  # e.g. (0, 2**32 - 1, 2**32 - 1): empty, yet too big to index
            raise IDXError(f"{name}: the header's shape {shape} is not a valid shape: {e}") from e
    array = np.frombuffer(data, dtype=dtype, count=count).reshape(shape)
    return array.astype(native, copy=False)  # a view for uint8/int8, a swap otherwise


def write_idx(path: PathLike, array: np.ndarray, *, compress: bool | None = None) -> None:
    """Write ``array`` to an IDX file, atomically (see :func:`read_idx` for the format).

    Parameters
    ----------
    path : str or os.PathLike
        Destination. It is replaced only once the new file is complete.
    array : array_like
        Of dtype uint8, int8, int16, int32, float32 or float64, at most 255 dimensions,
        each smaller than 2**32.
    compress : bool, optional
        Gzip the file. By default, compress when ``path`` ends in ".gz". The gzip header
        holds no name or time, so equal arrays give equal files.

    Raises
    ------
    ValueError
        If the array's dtype or shape cannot be stored in IDX.
    """
    arr = np.asarray(array)
    code = _IDX_CODES.get((arr.dtype.kind, arr.dtype.itemsize))
    if code is None:
        raise ValueError(
            f"IDX cannot store dtype {arr.dtype}; supported: {_IDX_TYPE_NAMES}. "
            "Convert first, e.g. labels.astype(numpy.uint8)"
        )
    if arr.ndim > 255 or any(d >= 2**32 for d in arr.shape):
        raise ValueError(
            f"IDX stores at most 255 dimensions of size < 2**32, found shape {arr.shape}"
        )
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    data = arr.astype(_IDX_TYPES[code], copy=False).tobytes(order="C")
    path = Path(path)
    if compress is None:
        compress = path.name.endswith(".gz")
    with atomic_file(path) as f:
        if compress:
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
                gz.write(header)
                gz.write(data)
        else:
            f.write(header)
            f.write(data)
