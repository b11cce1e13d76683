"""The options and data of the sequence datasets (``--dataset names``) for ``nn train``.

``nn train --dataset names`` trains a character-level language model (:func:`nn.char_rnn`:
``Embedding -> RNN/LSTM/GRU -> TimeDense``, loss per character) on the US Census 1990 surnames
that ship with the package; ``--cell``, ``--hidden`` and ``--embedding`` describe it (the
options of the dense networks, ``--sizes``, ``--activation``, ``--loss`` and ``--init``, do
not apply). ``nn evaluate`` gives its loss per character on the held-out names and
``nn generate`` samples new ones. :mod:`nn.cli.options` calls the functions below.
"""

from __future__ import annotations

import argparse

import numpy as np

from nn.core.network import Network
from nn.models.char_rnn import CELL_LAYERS, char_rnn

__all__ = [
    "SEQUENCE_DATASETS",
    "add_sequence_options",
    "load_sequence_dataset",
    "sequence_description",
    "sequence_network_from_args",
]

#: Datasets of sequences, and the length ``T`` of their padded sequences (inputs per example).
SEQUENCE_DATASETS = {"names": 14}


def add_sequence_options(parser: argparse.ArgumentParser) -> None:
    """``--cell``, ``--hidden``, ``--embedding``: the character model of a sequence dataset."""
    parser.add_argument(
        "--cell",
        choices=list(CELL_LAYERS),
        default="lstm",
        help="recurrent layer of the character model of --dataset names (default: %(default)s)",
    )
    parser.add_argument(
        "--hidden", type=int, default=128, help="units of its recurrent state (default 128)"
    )
    parser.add_argument(
        "--embedding", type=int, default=32, help="length of its character vectors (default 32)"
    )


def load_sequence_dataset(name: str):
    """``((X, Y), (X_test, Y_test))`` of a sequence dataset: ids (n, T), one-hot (n, T, V)."""
    from nn.datasets.census_names import names_dataset

    if name != "names":
        raise ValueError(f"unknown sequence dataset {name!r}")
    train, test, _ = names_dataset("last")
    return train, test


def sequence_network_from_args(args: argparse.Namespace, Y: np.ndarray) -> tuple[Network, list]:
    """The character model the options describe, and its sizes ``[V, embedding, hidden, V]``.

    The vocabulary goes into ``metadata["vocabulary"]``, where ``nn generate`` reads it.
    """
    from nn.datasets.sequences import Vocabulary

    for option in ("hidden", "embedding"):
        value = getattr(args, option)
        if value < 1:
            raise ValueError(f"--{option} must be a positive integer, got {value}")
    V = Y.shape[-1]
    net = char_rnn(
        V, cell=args.cell, hidden=args.hidden, embedding=args.embedding, seed=args.seed,
        dtype=np.dtype(args.dtype or "float32"),  # --dtype is None when not given
    )  # fmt: skip
    net.metadata["vocabulary"] = Vocabulary.of_names().chars
    net.metadata["cell"] = args.cell
    return net, [V, args.embedding, args.hidden, V]


def sequence_description(args: argparse.Namespace) -> str:
    """How ``nn diagnose`` names the character model the options describe."""
    return f"char_rnn(27, cell={args.cell!r}, hidden={args.hidden}, embedding={args.embedding})"
