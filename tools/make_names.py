"""Build ``src/nn/data/names.npz``, the name lists behind ``nn.datasets.names()``.

The source is the Python package ``names`` 0.3.0 (Trey Hunner, MIT license), whose three data
files are the US Census Bureau's 1990 frequency lists of surnames and of female and male first
names (public domain). Get its source distribution with the package index's ordinary client and
run this script on it, from the repository root::

    pip download --no-deps --no-binary :all: -d /tmp/names names==0.3.0
    python tools/make_names.py /tmp/names/names-0.3.0.tar.gz          # writes the file
    python tools/make_names.py /tmp/names/names-0.3.0.tar.gz --check  # exit 1 if it differs

Each line of a Census file is ``NAME  frequency  cumulative-frequency  rank``; the names are
kept, lowercased, in the files' order (by frequency, commonest first), and the numbers dropped.
``last`` holds the 88,799 surnames; ``first`` the 5,163 distinct first names (the 4,275 female
ones, then the male ones not already there). Every name is ``a`` to ``z`` only. Each list is
stored as one uint8 array of ASCII bytes, names separated by ``\\n``, so that ``numpy.load``
reads it without pickle.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tarfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "nn" / "data" / "names.npz"
#: SHA-256 of the three data files of names 0.3.0, so another input cannot slip in.
SOURCE_SHA256 = {
    "dist.all.last": "b0e2b3743ccbad641ca48b344c24cdebcd1d9a1f76dc6dbf05986f2919f0b4e1",
    "dist.female.first": "bd2f310fc4e5d5e5ea122c9d4342c9821145823118eb20db1647f305ec77b358",
    "dist.male.first": "0a5078ef6effe3b483d15b0f7f95047662126c9bfb624ecd5e5b978fc0f2470b",
}


def read_lists(sdist: Path) -> dict[str, list[str]]:
    """The lowercased names of each Census file in the source distribution, checked."""
    names: dict[str, list[str]] = {}
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            base = member.name.rsplit("/", 1)[-1]
            if base not in SOURCE_SHA256:
                continue
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            if hashlib.sha256(data).hexdigest() != SOURCE_SHA256[base]:
                raise SystemExit(f"{base} in {sdist} is not the file of names 0.3.0")
            names[base] = [line.split()[0].lower() for line in data.decode().splitlines()]
    if set(names) != set(SOURCE_SHA256):
        raise SystemExit(f"{sdist} lacks {sorted(set(SOURCE_SHA256) - set(names))}")
    return names


def arrays(names: dict[str, list[str]]) -> dict[str, np.ndarray]:
    first = list(dict.fromkeys(names["dist.female.first"] + names["dist.male.first"]))
    lists = {"last": names["dist.all.last"], "first": first}
    for key, values in lists.items():
        assert all(v.isascii() and v.isalpha() and v.islower() for v in values), key
        assert len(set(values)) == len(values), key
    joined = {k: "\n".join(v).encode("ascii") for k, v in lists.items()}
    return {k: np.frombuffer(v, dtype=np.uint8) for k, v in joined.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sdist", type=Path, help="names-0.3.0.tar.gz")
    parser.add_argument("--check", action="store_true", help="compare with the vendored file")
    args = parser.parse_args(argv)
    new = arrays(read_lists(args.sdist))
    if OUT.is_file():
        with np.load(OUT, allow_pickle=False) as f:
            same = set(f.files) == set(new) and all(np.array_equal(f[k], new[k]) for k in new)
    else:
        same = False
    if args.check:
        print("names.npz matches its source" if same else "names.npz differs from its source")
        return 0 if same else 1
    if not same:
        np.savez_compressed(OUT, **new)
    print(
        f"{OUT}: {len(bytes(new['last']).split())} surnames, "
        f"{len(bytes(new['first']).split())} first names"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
