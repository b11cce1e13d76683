"""Datasets: toy 2-D problems, the embedded digits, and IDX files (MNIST, Fashion-MNIST).

Every loader returns batch-first NumPy arrays: inputs ``X`` as floats and class labels ``y`` as
int64 integers (one-hot encoding, where a loss wants it, is left to the caller).

* Toy problems that fit on a plot: :func:`xor`, :func:`moons`, :func:`circles`, :func:`spirals`.
  Their randomness comes only from the ``seed`` argument (see :func:`as_generator`): the same
  seed gives the same bits.
* :func:`digits`: 10,000 real MNIST digits shipped inside the package (``nn/data/digits.npz``),
  split once into 8,000 training and 2,000 test examples; works offline.
* :func:`mnist` and :func:`fashion_mnist`: the full 60,000/10,000 sets, read from IDX files
  found on disk or downloaded once and checked against SHA-256 sums.
* :func:`read_idx` / :func:`write_idx`: the IDX file format itself.

Only NumPy and the standard library are used here, so this module can be read on its own.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import secrets
import struct
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = [
    "FASHION_MNIST_CLASSES",
    "DownloadError",
    "IDXError",
    "as_generator",
    "circles",
    "digits",
    "fashion_mnist",
    "mnist",
    "moons",
    "read_idx",
    "spirals",
    "write_idx",
    "xor",
]

Seed = int | np.random.Generator | None
PathLike = str | os.PathLike
Split = tuple[np.ndarray, np.ndarray]


# --------------------------------------------------------------------------------------------
# Randomness and argument checks
# --------------------------------------------------------------------------------------------


def as_generator(seed: Seed = None) -> np.random.Generator:
    """Turn a ``seed`` argument into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        An int >= 0 gives a new generator seeded with it, so the same int always gives the same
        bits. A Generator is returned as it is (not copied), so draws advance the caller's stream.
        None gives a generator seeded from the operating system: different on every call.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        If ``seed`` is of another type (a bool is refused: ``seed=True`` is almost always a bug).
    ValueError
        If ``seed`` is a negative int.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer):
        raise TypeError(
            f"seed must be None, an int >= 0 or a numpy.random.Generator, "
            f"found {type(seed).__name__} {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"seed must be an int >= 0, found {seed}")
    return np.random.default_rng(int(seed))


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"{name} must be an int >= {minimum}, found {type(value).__name__} {value!r}"
        )
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, found {value}")
    return int(value)


def _check_real(name: str, value: object, expected: str, ok: Callable[[float], bool]) -> float:
    """Return ``value`` as a float if it is a finite real number for which ``ok`` holds."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise TypeError(f"{name} must be a number {expected}, found {type(value).__name__}")
    x = float(value)
    if not (math.isfinite(x) and ok(x)):
        raise ValueError(f"{name} must be a finite number {expected}, found {value}")
    return x


def _float_dtype(dtype: object) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(
            f"dtype must be a floating-point type such as numpy.float32 or numpy.float64, "
            f"found {dt}"
        )
    return dt


# --------------------------------------------------------------------------------------------
# Toy problems
# --------------------------------------------------------------------------------------------


def xor(dtype: object = np.float32) -> Split:
    """The four points of the XOR problem, the smallest task a linear model cannot solve.

    Parameters
    ----------
    dtype : floating dtype, default numpy.float32

    Returns
    -------
    X : ndarray of shape (4, 2)
        The inputs ``[0, 0], [0, 1], [1, 0], [1, 1]``.
    y : ndarray of shape (4,), int64
        ``x0 XOR x1``: ``[0, 1, 1, 0]``.
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=_float_dtype(dtype))
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def moons(
    n: int = 200, *, noise: float = 0.1, seed: Seed = None, dtype: object = np.float32
) -> Split:
    """Two interleaving half circles: a problem that needs a curved decision boundary.

    Class 0 lies on the upper half of the unit circle, class 1 on a lower half circle shifted
    to ``(1, 0.5)``; Gaussian noise of standard deviation ``noise`` is added to both
    coordinates. The examples are shuffled, so they are not grouped by class.

    Parameters
    ----------
    n : int, default 200
        Number of points, >= 2 (``n // 2`` of class 0, the rest of class 1).
    noise : float, default 0.1
        Standard deviation of the noise, >= 0.
    seed : int, numpy.random.Generator or None
        See :func:`as_generator`.
    dtype : floating dtype, default numpy.float32

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), int64 labels in {0, 1}
    """
    n = _check_int("n", n, 2)
    noise = _check_real("noise", noise, ">= 0", lambda v: v >= 0)
    dt = _float_dtype(dtype)
    rng = as_generator(seed)

    n0 = n // 2
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n - n0)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.concatenate([upper, lower])  # (n, 2)
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n - n0])
    # Drawn in float64 and rounded once, so float32 and float64 give the same points.
    X += noise * rng.standard_normal(X.shape)
    order = rng.permutation(n)
    return X[order].astype(dt), y[order]


def circles(
    n: int = 200,
    *,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: Seed = None,
    dtype: object = np.float32,
) -> Split:
    """A circle of class 1 inside a ring of class 0: no straight line separates them.

    Class 0 is the unit circle, class 1 a concentric circle of radius ``factor``, points
    evenly spaced in angle, plus Gaussian noise of standard deviation ``noise`` on both
    coordinates. The examples are shuffled.

    Parameters
    ----------
    n : int, default 200
        Number of points, >= 2 (``n // 2`` on the outer circle, the rest on the inner one).
    noise : float, default 0.05
        Standard deviation of the noise, >= 0.
    factor : float, default 0.5
        Radius of the inner circle relative to the outer one, in the open interval (0, 1).
    seed : int, numpy.random.Generator or None
        See :func:`as_generator`.
    dtype : floating dtype, default numpy.float32

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), int64 labels in {0, 1}
    """
    n = _check_int("n", n, 2)
    noise = _check_real("noise", noise, ">= 0", lambda v: v >= 0)
    factor = _check_real("factor", factor, "strictly between 0 and 1", lambda v: 0 < v < 1)
    dt = _float_dtype(dtype)
    rng = as_generator(seed)

    n0 = n // 2
    t0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)  # endpoint=False: no doubled point
    t1 = np.linspace(0.0, 2 * np.pi, n - n0, endpoint=False)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = factor * np.column_stack([np.cos(t1), np.sin(t1)])
    X = np.concatenate([outer, inner])  # (n, 2)
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n - n0])
    X += noise * rng.standard_normal(X.shape)
    order = rng.permutation(n)
    return X[order].astype(dt), y[order]


def spirals(
    n: int = 300,
    *,
    classes: int = 3,
    noise: float = 0.2,
    seed: Seed = None,
    dtype: object = np.float32,
) -> Split:
    """Interleaved spiral arms, one per class (the CS231n "spiral" dataset).

    Arm ``k`` has points at radius ``r`` from 0 to 1 and angle ``t`` from ``4k`` to ``4(k+1)``
    radians, ``x = (r sin t, r cos t)``. As in CS231n the noise perturbs the angle ``t``, not the
    coordinates, so points stay on their radius. The examples are shuffled.

    Parameters
    ----------
    n : int, default 300
        Total number of points, >= ``classes``; class ``k`` gets ``n // classes`` points, plus
        one for each ``k < n % classes``.
    classes : int, default 3
        Number of arms (classes), >= 2.
    noise : float, default 0.2
        Standard deviation, in radians, of the Gaussian noise added to the angle; >= 0.
    seed : int, numpy.random.Generator or None
        See :func:`as_generator`.
    dtype : floating dtype, default numpy.float32

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,), int64 labels in {0, ..., classes - 1}
    """
    classes = _check_int("classes", classes, 2)
    n = _check_int("n", n, 1)
    if n < classes:
        raise ValueError(f"n must be >= classes ({classes}) so every class has a point, found {n}")
    noise = _check_real("noise", noise, ">= 0", lambda v: v >= 0)
    dt = _float_dtype(dtype)
    rng = as_generator(seed)

    sizes = [n // classes + (k < n % classes) for k in range(classes)]
    arms = []
    for k, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), m) + noise * rng.standard_normal(m)
        arms.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    X = np.concatenate(arms)  # (n, 2)
    y = np.repeat(np.arange(classes, dtype=np.int64), sizes)
    order = rng.permutation(n)
    return X[order].astype(dt), y[order]


# --------------------------------------------------------------------------------------------
# Images -> (X, y)
# --------------------------------------------------------------------------------------------


def _to_xy(images: np.ndarray, labels: np.ndarray, dt: np.dtype, flatten: bool) -> Split:
    """uint8 images (n, 28, 28) -> X in [0, 1], (n, 784) or (n, 28, 28); labels -> int64."""
    X = images.reshape(len(images), -1) if flatten else images
    X = X.astype(dt)  # a copy, so dividing in place leaves the caller's array alone
    X /= 255
    return X, labels.astype(np.int64)


# --------------------------------------------------------------------------------------------
# The embedded digits
# --------------------------------------------------------------------------------------------

DIGITS_PATH = Path(__file__).resolve().parents[1] / "data" / "digits.npz"


def digits(*, dtype: object = np.float32, flatten: bool = True) -> tuple[Split, Split]:
    """10,000 real MNIST digits that ship with the package: 8,000 to train on, 2,000 to test.

    The split is stored in ``nn/data/digits.npz`` itself (made by ``tools/make_digits.py``;
    see ``nn/data/README.md``), so it is the same on every machine. It is stratified: each
    digit makes up the same share of both halves (from 863 fives to 1,127 ones in all).
    These are a sample of MNIST, not its official split: accuracies here are not comparable
    with published MNIST results (use :func:`mnist` for those). License: CC BY-SA 3.0 (MNIST).

    Parameters
    ----------
    dtype : floating dtype, default numpy.float32
    flatten : bool, default True
        Return images as rows of 784 pixels (for dense layers) instead of 28 x 28 grids.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_train`` of shape (8000, 784), or (8000, 28, 28) when ``flatten=False``, with grey
        levels scaled to [0, 1] (0 = background, 1 = ink); ``y_train`` of shape (8000,), int64
        digits 0..9. The test arrays have 2,000 rows.
    """
    dt = _float_dtype(dtype)
    if not DIGITS_PATH.is_file():
        raise FileNotFoundError(
            f"the embedded digits are missing: {DIGITS_PATH} does not exist. The package was "
            "installed without its data files; reinstall it, or rebuild the file with "
            "`python tools/make_digits.py` from a source checkout."
        )
    with np.load(DIGITS_PATH, allow_pickle=False) as f:
        train = _to_xy(f["train_images"], f["train_labels"], dt, flatten)
        test = _to_xy(f["test_images"], f["test_labels"], dt, flatten)
    return train, test


# --------------------------------------------------------------------------------------------
# IDX files
# --------------------------------------------------------------------------------------------


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
        If the bytes are not a well-formed IDX file (see :class:`IDXError`).
    OSError
        If the file cannot be opened or read.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            return _read_idx_stream(f, os.fspath(source), max_bytes)
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


@contextmanager
def _atomic_file(target: Path) -> Iterator[BinaryIO]:
    """Write to a temporary file beside ``target``; rename it into place only on success.

    Readers see the old file or the complete new one, never half of it, and a failure
    (an exception in the ``with`` block) deletes the temporary file.
    """
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    # O_EXCL: never write through a file someone else made; 0o666 lets the umask decide.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
    with _atomic_file(path) as f:
        if compress:
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
                gz.write(header)
                gz.write(data)
        else:
            f.write(header)
            f.write(data)


# --------------------------------------------------------------------------------------------
# MNIST and Fashion-MNIST
# --------------------------------------------------------------------------------------------

#: Where :func:`mnist` downloads from (override: ``base_url=`` or $NN_MNIST_URL). The files
#: are the originals of Y. LeCun, C. Cortes and C.J.C. Burges, mirrored by PyTorch.
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
#: Where :func:`fashion_mnist` downloads from (override: ``base_url=`` or
#: $NN_FASHION_MNIST_URL): Zalando Research's own bucket, served over plain HTTP only,
#: which is why every download is checked against the SHA-256 sums below.
FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

#: SHA-256 of the official gzipped files. The same values are pinned by torchvision's
#: dataset code (pytorch/vision) among others; the Fashion-MNIST ones belong to the files
#: whose MD5 sums Zalando publishes in its README.
MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",  # noqa: E501
}
FASHION_MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",  # noqa: E501
}

#: Fashion-MNIST's class names, indexed by label.
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: Last place searched; Debian's dataset-fashion-mnist package installs here.
SYSTEM_DATA_DIR = Path("/usr/share/datasets")
#: Seconds a download may wait on the network before giving up.
DOWNLOAD_TIMEOUT = 60.0
#: A download larger than this is refused (the largest official file is 26.4 MB).
MAX_DOWNLOAD_BYTES = 64 * 1024**2

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


class DownloadError(OSError):
    """A dataset file could not be downloaded, or what arrived failed its SHA-256 check.

    Nothing is left behind: the file is written under a temporary name and renamed only
    after its checksum matched. ``url`` is the address that failed.
    """

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


def _cache_dir(name: str) -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says a relative path in $XDG_CACHE_HOME is invalid and must be ignored.
    root = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return root / "nn" / name


def _search_dirs(name: str, path: PathLike | None) -> list[tuple[Path, str]]:
    """The directories to look in, in order, each with why it is on the list."""
    dirs = []
    if path is not None:
        dirs.append((Path(path).expanduser(), "the path argument"))
    nn_data = os.environ.get("NN_DATA")
    if nn_data:
        dirs.append((Path(nn_data).expanduser() / name, "$NN_DATA/" + name))
    dirs.append((_cache_dir(name), "user cache, where downloads go"))
    dirs.append((SYSTEM_DATA_DIR / name, "system-wide"))
    return dirs


def _find_files(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """The four IDX files in ``directory`` (raw preferred to .gz), and the names missing."""
    found, missing = {}, []
    for base in IDX_FILES:
        for candidate in (directory / base, directory / (base + ".gz")):
            if candidate.is_file():
                found[base] = candidate
                break
        else:
            missing.append(base)
    return found, missing


def _where_help(
    title: str, name: str, dirs: list[tuple[Path, str]], notes: list[str], base_url: str
) -> str:
    lines = [
        f"{title} was not found. Looked for the four files "
        + ", ".join(f"{b}[.gz]" for b in IDX_FILES)
        + " in:"
    ]
    lines += [f"  {i}. {d}  ({why})" for i, (d, why) in enumerate(dirs, 1)]
    if "NN_DATA" not in os.environ:
        lines.append("  ($NN_DATA is not set; set it to search $NN_DATA/" + name + "/ as well)")
    lines += [f"  note: {note}" for note in notes]
    lines.append(
        f"Put the four files (raw or .gz) together in one of these directories, e.g. "
        f"{dirs[-2][0]}/, or pass their directory as the path argument. The files can be "
        f"downloaded by hand from {base_url.rstrip('/')}/<name>.gz."
    )
    if name == "fashion-mnist":
        lines.append(
            "On Debian or Ubuntu they are packaged: sudo apt-get install dataset-fashion-mnist"
        )
    return "\n".join(lines)


def _download(url: str, dest: Path, sha256: str, timeout: float) -> None:
    """Fetch ``url`` into ``dest``, replacing ``dest`` only if the SHA-256 matches."""
    # Imported here, not at the top: they add ~20 ms to every `import nn`, and only
    # downloads need them.
    import http.client
    import urllib.error
    import urllib.request

    print(f"nn.datasets: downloading {url}", file=sys.stderr)
    try:
        with _atomic_file(dest) as out:
            digest, size = hashlib.sha256(), 0
            with urllib.request.urlopen(url, timeout=timeout) as response:
                while chunk := response.read(1 << 16):
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        raise DownloadError(
                            f"{url}: more than {MAX_DOWNLOAD_BYTES:,} bytes; not a dataset "
                            "file, download discarded",
                            url,
                        )
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != sha256:
                raise DownloadError(
                    f"{url}: SHA-256 mismatch: got {digest.hexdigest()} for {size:,} bytes, "
                    f"expected {sha256}; the file is corrupt or not the official one, "
                    "and was discarded",
                    url,
                )
    except DownloadError:
        raise
    except urllib.error.HTTPError as e:
        e.close()
        raise DownloadError(f"could not download {url}: HTTP {e.code} {e.reason}", url) from e
    except urllib.error.URLError as e:
        raise DownloadError(f"could not download {url}: {e.reason}", url) from e
    except (OSError, http.client.HTTPException, ValueError) as e:
        # OSError: timeouts, resets, a full disk; ValueError: a malformed URL.
        raise DownloadError(f"could not download {url}: {type(e).__name__}: {e}", url) from e


def _load_split(images_path: Path, labels_path: Path, dt: np.dtype, flatten: bool) -> Split:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{images_path}: expected uint8 images of shape (n, 28, 28), "
            f"found {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{labels_path}: expected uint8 labels of shape (n,), "
            f"found {labels.dtype} of shape {labels.shape}"
        )
    if len(labels) != len(images):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; the files do not belong together"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: labels must be 0..9, found {labels.max()}")
    return _to_xy(images, labels, dt, flatten)


def _load_idx_dataset(
    *,
    title: str,
    name: str,
    path: PathLike | None,
    download: bool,
    dtype: object,
    flatten: bool,
    base_url: str,
    checksums: Mapping[str, str],
) -> tuple[Split, Split]:
    dt = _float_dtype(dtype)
    dirs = _search_dirs(name, path)
    notes = []
    for directory, _ in dirs:
        found, missing = _find_files(directory)
        if not missing:
            break
        if found:
            notes.append(f"{directory} has only some of the files; missing: {', '.join(missing)}")
    else:
        if not download:
            raise FileNotFoundError(
                _where_help(title, name, dirs, notes, base_url)
                + "\nNothing was downloaded: download=False."
            )
        target = _cache_dir(name)
        try:
            target.mkdir(parents=True, exist_ok=True)
            found, missing = _find_files(target)  # files fetched by an earlier, partial try
            for base in missing:
                filename = base + ".gz"
                url = base_url.rstrip("/") + "/" + filename
                _download(url, target / filename, checksums[filename], DOWNLOAD_TIMEOUT)
                found[base] = target / filename
        except DownloadError as e:
            raise DownloadError(
                f"{e}\n\n{_where_help(title, name, dirs, notes, base_url)}", e.url
            ) from e
        except OSError as e:
            raise DownloadError(f"cannot write to the cache directory {target}: {e}") from e
    train = _load_split(found[IDX_FILES[0]], found[IDX_FILES[1]], dt, flatten)
    test = _load_split(found[IDX_FILES[2]], found[IDX_FILES[3]], dt, flatten)
    return train, test


def mnist(
    path: PathLike | None = None,
    *,
    download: bool = True,
    dtype: object = np.float32,
    flatten: bool = True,
    base_url: str | None = None,
) -> tuple[Split, Split]:
    """Load MNIST: 60,000 training and 10,000 test images of handwritten digits, 28 x 28 pixels.

    The four IDX files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each raw or gzipped with a ``.gz``
    suffix) are looked for, all four in one directory, in this order:

    1. ``path``, if given;
    2. ``$NN_DATA/mnist/``, if the environment variable NN_DATA is set;
    3. the user cache, ``$XDG_CACHE_HOME/nn/mnist/`` (by default ``~/.cache/nn/mnist/``);
    4. ``/usr/share/datasets/mnist/``.

    If none has them and ``download`` is true, the gzipped files are downloaded into the user
    cache from ``base_url`` and each is kept only if its SHA-256 matches ``MNIST_SHA256``;
    later calls find them there. MNIST is by Y. LeCun, C. Cortes and C.J.C. Burges (CC BY-SA 3.0).

    Parameters
    ----------
    path : str or os.PathLike, optional
        A directory holding the four files; searched first.
    download : bool, default True
        Download the files when they are not found.
    dtype : floating dtype, default numpy.float32
    flatten : bool, default True
        Return images as rows of 784 pixels instead of 28 x 28 grids.
    base_url : str, optional
        Where to download from. Default: $NN_MNIST_URL if set, else ``MNIST_URL``.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_train`` of shape (60000, 784), or (60000, 28, 28) when ``flatten=False``, with grey
        levels scaled to [0, 1]; ``y_train`` of shape (60000,), int64 labels 0..9. The test
        arrays have 10,000 rows.

    Raises
    ------
    FileNotFoundError
        If the files are not found and ``download`` is false. The message lists every
        directory searched and where to put the files.
    DownloadError
        If a download failed or did not match its checksum (nothing is left behind). The
        message says why, and where the files could be put by hand.
    IDXError, ValueError
        If a file found is not valid IDX, or the files do not hold 28 x 28 uint8 images and
        as many labels 0..9.
    """
    return _load_idx_dataset(
        title="MNIST",
        name="mnist",
        path=path,
        download=download,
        dtype=dtype,
        flatten=flatten,
        base_url=base_url or os.environ.get("NN_MNIST_URL") or MNIST_URL,
        checksums=MNIST_SHA256,
    )


def fashion_mnist(
    path: PathLike | None = None,
    *,
    download: bool = True,
    dtype: object = np.float32,
    flatten: bool = True,
    base_url: str | None = None,
) -> tuple[Split, Split]:
    """Load Fashion-MNIST: 60,000 training and 10,000 test images of clothes, 28 x 28 pixels.

    Zalando Research's drop-in replacement for MNIST (MIT license): same format and sizes,
    ten classes named in ``FASHION_MNIST_CLASSES``, and harder to classify. Files are looked
    for and downloaded exactly as by :func:`mnist`, with ``fashion-mnist`` in place of
    ``mnist`` in every directory name: ``path``, ``$NN_DATA/fashion-mnist/``, the user cache
    ``$XDG_CACHE_HOME/nn/fashion-mnist/`` (by default ``~/.cache/nn/fashion-mnist/``), then
    ``/usr/share/datasets/fashion-mnist/``, where Debian's package dataset-fashion-mnist
    installs them (``apt-get install dataset-fashion-mnist``). Downloads must match
    ``FASHION_MNIST_SHA256``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A directory holding the four files; searched first.
    download : bool, default True
        Download the files when they are not found.
    dtype : floating dtype, default numpy.float32
    flatten : bool, default True
        Return images as rows of 784 pixels instead of 28 x 28 grids.
    base_url : str, optional
        Where to download from. Default: $NN_FASHION_MNIST_URL if set, else
        ``FASHION_MNIST_URL``.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_train`` of shape (60000, 784), or (60000, 28, 28) when ``flatten=False``, with grey
        levels scaled to [0, 1]; ``y_train`` of shape (60000,), int64 labels 0..9. The test
        arrays have 10,000 rows.

    Raises
    ------
    FileNotFoundError, DownloadError, IDXError, ValueError
        As for :func:`mnist`.
    """
    return _load_idx_dataset(
        title="Fashion-MNIST",
        name="fashion-mnist",
        path=path,
        download=download,
        dtype=dtype,
        flatten=flatten,
        base_url=base_url or os.environ.get("NN_FASHION_MNIST_URL") or FASHION_MNIST_URL,
        checksums=FASHION_MNIST_SHA256,
    )
