"""Names to learn to spell: the US Census 1990 name lists, shipped inside the package.

``nn/data/names.npz`` holds the Census Bureau's 1990 lists (public domain), as packaged by the
Python package ``names`` 0.3.0 (see ``nn/data/README.md``; built by ``tools/make_names.py``):
88,799 surnames and 5,163 first names, lowercase ``a`` to ``z``, commonest first. A
character-level language model learns to spell them, makemore-style: :func:`names_dataset`
turns each name into a sequence of character ids and the next character at every step
(:mod:`nn.datasets.sequences`), and docs/recurrent.md trains a bigram, an RNN, a GRU and an
LSTM on the surnames and compares their loss per character on held-out names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nn.datasets.sequences import Vocabulary, char_sequences

__all__ = ["NAMES_PATH", "NAME_KINDS", "names", "names_dataset", "names_split"]

NAMES_PATH = Path(__file__).resolve().parents[1] / "data" / "names.npz"
#: ``"last"``: 88,799 surnames; ``"first"``: 5,163 first names.
NAME_KINDS = ("last", "first")
#: The seed of the fixed held-out split (the year of the Census).
SPLIT_SEED = 1990


def names(kind: str = "last") -> list[str]:
    """Every name of one list, lowercase, commonest first.

    Parameters
    ----------
    kind : {"last", "first"}
        Surnames (88,799) or first names (5,163, female and male together).

    Returns
    -------
    list of str
    """
    if kind not in NAME_KINDS:
        raise ValueError(f"kind must be one of {NAME_KINDS}, got {kind!r}")
    if not NAMES_PATH.is_file():
        raise FileNotFoundError(
            f"the embedded names are missing: {NAMES_PATH} does not exist. The package was "
            "installed without its data files; reinstall it, or rebuild the file with "
            "`python tools/make_names.py` from a source checkout."
        )
    with np.load(NAMES_PATH, allow_pickle=False) as f:
        return bytes(f[kind]).decode("ascii").split("\n")


def names_split(kind: str = "last", test_fraction: float = 0.1) -> tuple[list[str], list[str]]:
    """The names shuffled once (seed 1990) and cut into training and held-out names.

    The split is the same on every machine. No name is in both halves (each list holds every
    name once), so the held-out loss measures spelling names never seen, not memory.

    Returns
    -------
    train, test : list of str
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    every = names(kind)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(every))
    n_test = round(test_fraction * len(every))
    return [every[i] for i in order[n_test:]], [every[i] for i in order[:n_test]]


def names_dataset(
    kind: str = "last", *, dtype: object = np.float32
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], Vocabulary]:
    """Training and held-out sequences of :func:`names_split`, and their vocabulary.

    Returns
    -------
    (X, Y), (X_test, Y_test), vocabulary
        ``X`` of shape (n, T), the ids of ``"." + name`` padded with ``"."``; ``Y`` of shape
        (n, T, 27), the one-hot next character (``name + "."``), all-zero rows on padding
        (see :func:`nn.datasets.sequences.char_sequences`). ``T`` is the longest name plus
        one, the same for both halves.
    """
    train, test = names_split(kind)
    vocabulary = Vocabulary.of_names()
    T = max(len(n) for n in train + test) + 1
    return (
        char_sequences(train, vocabulary, T, dtype=dtype),
        char_sequences(test, vocabulary, T, dtype=dtype),
        vocabulary,
    )
