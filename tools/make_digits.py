"""Build ``src/nn/data/digits.npz``, the embedded digits behind ``nn.datasets.digits()``.

Run from the repository root (the source file lives in the shared folder next to it)::

    python tools/make_digits.py                  # writes src/nn/data/digits.npz
    python tools/make_digits.py --check          # exit 1 if the vendored file differs

Input: ``../shared/data/mnist-10k.npz`` (10,000 MNIST digits grouped by class, arrays
``images`` (10000, 28, 28) uint8 and ``labels`` (10000,) uint8). Its content is checked against
``SOURCE_SHA256`` so a different input cannot silently produce a different split.

The split, fixed once by the file this script writes (``nn.datasets.digits`` never recomputes it):

* stratified 80/20: each class c with ``count[c]`` examples gives ``test[c]`` examples to the
  test set, where ``test[c]`` is ``0.2 * count[c]`` apportioned by largest remainder so the
  test set holds exactly 2,000 digits and the training set 8,000. The source is not balanced
  (863 fives, 1,127 ones), so 800/200 of every class is impossible; both halves keep the
  source's class proportions instead (see ``src/nn/data/README.md`` for the counts);
* which examples of a class go to test is drawn with ``numpy.random.default_rng(SEED)``,
  classes in order 0..9; then each half is shuffled with the same generator so consecutive
  examples are not grouped by class.

Output arrays: ``train_images`` (8000, 28, 28) uint8, ``train_labels`` (8000,) uint8,
``test_images`` (2000, 28, 28) uint8, ``test_labels`` (2000,) uint8, and
``train_source_index`` / ``test_source_index`` (uint16): the row of each example in
mnist-10k.npz, so the split can be traced back. Saved with ``numpy.savez_compressed``; a zip
stores timestamps, so two builds are equal array for array, not byte for byte, and the script
leaves an existing file alone when its arrays already match.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "mnist-10k.npz"
DEFAULT_OUT = REPO / "src" / "nn" / "data" / "digits.npz"

# sha256(images.tobytes() + labels.tobytes()) of mnist-10k.npz: the content, not the zip bytes.
SOURCE_SHA256 = "bc6b63550c8a82f6ecccd9458252069fb030ee802997b8242e71d5146b0cbf0e"
SEED = 20_171_108  # any fixed value; changing it changes the vendored split
TEST_FRACTION = 0.2
N_TEST = 2_000


def content_sha256(images: np.ndarray, labels: np.ndarray) -> str:
    """SHA-256 of the raw bytes of ``images`` followed by ``labels``."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(images).tobytes())
    h.update(np.ascontiguousarray(labels).tobytes())
    return h.hexdigest()


def test_counts(counts: np.ndarray, n_test: int) -> np.ndarray:
    """Per-class test counts proportional to ``counts`` that sum to exactly ``n_test``.

    Largest-remainder apportionment; ties go to the lower class index (stable sort).
    """
    quota = counts * (n_test / counts.sum())
    base = np.floor(quota).astype(np.int64)
    short = n_test - int(base.sum())
    order = np.argsort(-(quota - base), kind="stable")
    base[order[:short]] += 1
    return base


def build(images: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Split ``images`` (n, 28, 28) / ``labels`` (n,) into the vendored arrays."""
    rng = np.random.default_rng(SEED)
    counts = np.bincount(labels, minlength=10)
    n_test = test_counts(counts, N_TEST)
    train_idx, test_idx = [], []
    for c in range(10):
        members = rng.permutation(np.flatnonzero(labels == c))
        test_idx.append(members[: n_test[c]])
        train_idx.append(members[n_test[c] :])
    train = rng.permutation(np.concatenate(train_idx))
    test = rng.permutation(np.concatenate(test_idx))
    return {
        "train_images": images[train],
        "train_labels": labels[train],
        "test_images": images[test],
        "test_labels": labels[test],
        "train_source_index": train.astype(np.uint16),
        "test_source_index": test.astype(np.uint16),
    }


def same_arrays(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    """True when the npz at ``path`` holds exactly ``arrays`` (names, dtypes, values)."""
    if not path.exists():
        return False
    with np.load(path, allow_pickle=False) as old:
        if sorted(old.files) != sorted(arrays):
            return False
        return all(
            old[k].dtype == v.dtype and old[k].shape == v.shape and np.array_equal(old[k], v)
            for k, v in arrays.items()
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--check", action="store_true", help="compare with --out instead of writing it"
    )
    args = parser.parse_args(argv)

    with np.load(args.source, allow_pickle=False) as src:
        images, labels = src["images"], src["labels"]
    digest = content_sha256(images, labels)
    if digest != SOURCE_SHA256:
        print(
            f"error: {args.source} has content SHA-256 {digest}, expected {SOURCE_SHA256}; "
            "this is not the mnist-10k.npz the vendored split was made from",
            file=sys.stderr,
        )
        return 2

    arrays = build(images, labels)
    if same_arrays(args.out, arrays):
        print(f"{args.out}: up to date")
        return 0
    if args.check:
        print(f"{args.out}: differs from a fresh build; run without --check", file=sys.stderr)
        return 1

    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.{os.getpid()}.tmp.npz")
    try:
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, args.out)  # readers never see a half-written file
    finally:
        tmp.unlink(missing_ok=True)
    for split in ("train", "test"):
        per_class = np.bincount(arrays[f"{split}_labels"], minlength=10).tolist()
        print(f"{split}: {len(arrays[f'{split}_labels'])} digits, per class {per_class}")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
