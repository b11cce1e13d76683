"""Opening a file that may come from anywhere: a regular file, of a size within a limit.

``open()`` on a path will read a device (``/dev/zero`` never ends), wait forever on a FIFO
nobody writes to, and trust any size. :func:`open_regular` opens without waiting (a FIFO
opens at once with ``O_NONBLOCK``), then asks the open file itself what it is (``fstat``, so
the file checked is the file read, even if the path is replaced meanwhile) and refuses
anything but a regular file no larger than the caller's limit. :func:`check_zip_directory`
reads a zip archive's end record and refuses a central directory too large to parse before
:mod:`zipfile` parses it. The model loader, checkpoints and the IDX reader open files with
them.
"""

from __future__ import annotations

import io
import os
import stat
import struct
from collections.abc import Callable

__all__ = ["check_zip_directory", "open_regular"]

_EOCD = b"PK\x05\x06"  # end of central directory record
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"


def open_regular(
    path: str | os.PathLike[str], max_size: int, error: Callable[[str], Exception]
) -> io.BufferedReader:
    """``path`` opened for binary reading, once it is known to be a regular file of at most
    ``max_size`` bytes.

    Parameters
    ----------
    path : str or path-like
    max_size : int
        Largest size accepted, in bytes.
    error : callable
        ``error(message)`` makes the exception raised when the file is refused; the message
        says why (``"is a character device, not a regular file"``).

    Raises
    ------
    FileNotFoundError, PermissionError
        As ``open`` does.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)  # never blocks: a FIFO without a writer opens at once
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"is {_kind(st.st_mode)}, not a regular file: refused without reading it")
        if st.st_size > max_size:
            raise error(
                f"is {st.st_size:,} bytes, more than the {max_size:,} accepted (the max_bytes "
                "limit); if you trust it, pass a larger max_bytes"
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((what for test, what in kinds if test(mode)), "not a regular file")


def check_zip_directory(
    f: io.BufferedReader,
    max_entries: int,
    max_directory_bytes: int,
    error: Callable[[str], Exception],
) -> None:
    """Refuse a zip archive whose central directory claims too many entries or bytes.

    Read from the end record (and the zip64 one, if any) before :mod:`zipfile` parses the
    directory, which it would do in full, one object per entry, whatever the count. An
    archive without an end record is left for :mod:`zipfile` to refuse. ``f`` is left at
    its start.
    """
    size = f.seek(0, os.SEEK_END)
    tail_start = max(0, size - (22 + 65535))  # the record, then a comment of up to 64 KiB
    f.seek(tail_start)
    tail = f.read()
    at = tail.rfind(_EOCD)
    f.seek(0)
    if at < 0 or len(tail) - at < 22:
        return
    entries, directory = struct.unpack("<10xHI6x", tail[at : at + 22])
    locator = tail.rfind(_EOCD64_LOCATOR, 0, at)
    if locator >= 0 and at - locator == 20:
        (offset,) = struct.unpack("<8xQ4x", tail[locator : locator + 20])
        if offset + 56 <= size:
            f.seek(offset)
            record = f.read(56)
            f.seek(0)
            if record[:4] == _EOCD64:
                entries, directory = struct.unpack("<32xQQ8x", record)
    if entries > max_entries:
        raise error(f"has {entries:,} entries; the limit is {max_entries:,}")
    if directory > max_directory_bytes:
        raise error(f"has a {directory:,}-byte zip directory; the limit is {max_directory_bytes:,}")
