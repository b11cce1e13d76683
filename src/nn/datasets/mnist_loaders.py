"""MNIST and Fashion-MNIST: :func:`mnist` and :func:`fashion_mnist`, the full 60,000/10,000 sets.

The four IDX files of a dataset are looked for in a list of directories (the ``path``
argument, ``$NN_DATA``, the user cache, the system-wide directory) or, if none has them,
downloaded once into the user cache, each file kept only if its SHA-256 matches.

To point the loaders elsewhere, pass ``path`` or ``base_url``, or set ``NN_DATA``,
``NN_MNIST_URL`` or ``NN_FASHION_MNIST_URL``: those are the supported ways. The constants
below are read from this module when a loader runs, so a test that must change one (say
``SYSTEM_DATA_DIR``) patches it here, on ``nn.datasets.mnist_loaders``; the copies that
``nn.datasets`` re-exports are for reading only.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from nn.datasets.common import PathLike, Split, float_dtype, to_xy
from nn.datasets.idx import read_idx
from nn.io.npz import atomic_file

__all__ = ["FASHION_MNIST_CLASSES", "DownloadError", "fashion_mnist", "mnist"]

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
        with atomic_file(dest) as out:
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
    return to_xy(images, labels, dt, flatten)


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
    dt = float_dtype(dtype)
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
