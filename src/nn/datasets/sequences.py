"""Text as sequences of character ids, what a character-level language model reads.

A :class:`Vocabulary` numbers the characters; :func:`char_sequences` turns a list of words into
the inputs and targets of *next-character prediction*: for ``"emma"`` the model reads
``. e m m a`` and must predict ``e m m a .`` at the same steps, where ``"."`` (id 0) marks both
the start and the end of a word (as in Karpathy's makemore). Words of different lengths are
padded to the same length ``T``: the inputs with ``"."`` and the targets with rows of zeros,
which :class:`~nn.losses_sequence.SequenceCrossEntropy` treats as steps that do not count.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import numpy as np

__all__ = ["Vocabulary", "char_sequences"]


class Vocabulary:
    """Characters and their ids; id 0 is the boundary mark ``"."``.

    Parameters
    ----------
    chars : str
        Every character, id 0 first.
    """

    def __init__(self, chars: str) -> None:
        if len(set(chars)) != len(chars) or not chars:
            raise ValueError(f"a vocabulary needs distinct characters, got {chars!r}")
        self.chars = chars
        self.ids = {c: i for i, c in enumerate(chars)}

    @classmethod
    def of_names(cls) -> Vocabulary:
        """``"."`` and ``a`` to ``z``: 27 characters."""
        return cls("." + string.ascii_lowercase)

    @property
    def boundary(self) -> str:
        """The character of id 0, which starts and ends every word."""
        return self.chars[0]

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """The ids of the characters of ``text``.

        Raises
        ------
        ValueError
            Naming the first character the vocabulary does not have.
        """
        unknown = [c for c in text if c not in self.ids]
        if unknown:
            raise ValueError(
                f"{text!r} has the character {unknown[0]!r}, which is not in the vocabulary "
                f"{self.chars!r}"
            )
        return [self.ids[c] for c in text]

    def decode(self, ids: Sequence[int]) -> str:
        """The characters of ``ids``."""
        return "".join(self.chars[int(i)] for i in ids)

    def __repr__(self) -> str:
        return f"Vocabulary({self.chars!r})"


def char_sequences(
    words: Sequence[str],
    vocabulary: Vocabulary,
    T: int | None = None,
    *,
    dtype: object = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and one-hot targets of next-character prediction, padded to ``T`` steps.

    Parameters
    ----------
    words : sequence of str
    vocabulary : Vocabulary
    T : int, optional
        Steps per sequence: at least the longest word plus one (the default).
    dtype : floating dtype of the targets, default float32

    Returns
    -------
    X : ndarray of shape (n, T), int64
        ``X[i] = ids(boundary + word)``, padded with the boundary's id 0.
    Y : ndarray of shape (n, T, len(vocabulary))
        ``Y[i, t]`` one-hot of ``(word + boundary)[t]``; rows of zeros after it (padding).
    """
    longest = max((len(w) for w in words), default=0) + 1
    T = longest if T is None else int(T)
    if T < longest:
        raise ValueError(f"T={T} is too short: the longest word needs {longest} steps")
    X = np.zeros((len(words), T), dtype=np.int64)
    Y = np.zeros((len(words), T, len(vocabulary)), dtype=np.dtype(dtype))
    for i, word in enumerate(words):
        ids = vocabulary.encode(word)
        X[i, 1 : len(ids) + 1] = ids
        targets = ids + [0]
        Y[i, np.arange(len(targets)), targets] = 1
    return X, Y
