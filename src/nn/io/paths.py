"""Checks of the paths a run will write to, made before any work so that nothing is lost."""

from __future__ import annotations

import os
import secrets

__all__ = ["check_output_dir", "check_output_file"]


def _check_output_path(name: str, path: str | os.PathLike[str]) -> str:
    """What every output path must be: not empty, and not a ``~`` the shell left alone."""
    path = os.fspath(path)
    if not path:
        raise ValueError(f"{name}: the path is empty; give a path after {name}")
    head = path.split(os.sep, 1)[0]
    if head.startswith("~") and not os.path.lexists(head):
        # quoted ('~/m.npz'), the shell passed "~" as it is: writing there would create a
        # directory named "~" in the current one
        raise ValueError(
            f"{name} {path}: the shell did not expand {head} (it was quoted); write the path "
            f"unquoted, or with $HOME instead of ~ (e.g. $HOME{path[len(head) :]})"
        )
    return path


def check_output_file(name: str, path: str | os.PathLike[str], *, probe: bool = False) -> str:
    """``path`` as a str, once it is known that a file can be written there.

    Checked before any work, so that hours of training are not lost when the final save
    fails: the path is a file name (not empty, not ending in a separator, not a directory),
    and its directory exists and is writable. With ``probe``, a file is created in that
    directory and removed again, which also finds what permissions do not say (a read-only
    file system, ``/proc``, a directory the superuser may write but the file system
    refuses).

    Parameters
    ----------
    name : str
        The option or argument, for the message (``"--save"``).
    path : str or path-like
        Where a file will be written (created or replaced).

    Returns
    -------
    str
        ``path``, as given.

    Raises
    ------
    ValueError
        Saying what is wrong with ``path`` and what to do, if a file cannot be written there.
    """
    path = _check_output_path(name, path)
    if path.endswith((os.sep, os.altsep or os.sep)):
        raise ValueError(
            f"{name} {path}: the path ends with {path[-1]}, so it names a directory; give a "
            f"file name ({os.path.join(path, 'FILE')} or {path.rstrip(os.sep)})"
        )
    if os.path.isdir(path):
        raise ValueError(f"{name} {path}: that is a directory; give a file name in it")
    if os.path.exists(path) and not os.path.isfile(path):
        # a device or a FIFO: the new file would be renamed over it, replacing it
        raise ValueError(f"{name} {path}: that is not a regular file; give a file name")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValueError(
            f"{name} {path}: the directory {directory} does not exist; create it first "
            f"(mkdir -p {directory}) or choose another path"
        )
    if not os.access(directory, os.W_OK):
        raise ValueError(
            f"{name} {path}: the directory {directory} is not writable; choose another path"
        )
    if probe:
        _try_writing(name, path, directory)
    return path


def _try_writing(name: str, path: str, directory: str) -> None:
    """Create and remove a temporary file in ``directory`` (named as atomic_write's are)."""
    tmp = os.path.join(
        directory, f".{os.path.basename(path)}.{os.getpid()}-{secrets.token_hex(6)}.part"
    )
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as err:
        raise ValueError(
            f"{name} {path}: no file can be created in {directory} ({err.strerror}); choose "
            "another path"
        ) from None
    os.close(fd)
    os.remove(tmp)


def check_output_dir(name: str, path: str | os.PathLike[str]) -> str:
    """``path`` as a str, once it is known that files can be written into it.

    The directory need not exist yet (it is created with its parents), but neither it nor an
    ancestor may be a file or a dangling symbolic link, and its nearest existing ancestor
    must be a writable directory.

    Parameters
    ----------
    name : str
        The option or argument, for the message (``"--plots"``).
    path : str or path-like
        The directory files will be written into.

    Returns
    -------
    str
        ``path``, as given.

    Raises
    ------
    ValueError
        Saying what is wrong with ``path`` and what to do, if it cannot hold files.
    """
    path = _check_output_path(name, path)
    existing = os.path.abspath(path)
    # lexists: a dangling symbolic link is in the way too (os.makedirs fails on it)
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        what = "a file" if os.path.exists(existing) else "a dangling symbolic link"
        where = (
            "is " + what if existing == os.path.abspath(path) else f"is inside {what}, {existing}"
        )
        raise ValueError(f"{name} {path}: that {where}, not a directory; choose another path")
    if not os.access(existing, os.W_OK):
        raise ValueError(
            f"{name} {path}: the directory {existing} is not writable; choose another path"
        )
    return path
