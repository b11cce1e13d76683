"""The settings of a training run: what a resumed run must share with the one it continues.

A checkpoint holds the state of a run (weights, optimizer state, generators, position); the
rest of the arithmetic is decided by the run's *settings*, and a run resumed with other
settings would train a mix of two runs without a word. So :func:`run_settings` describes
every setting in one plain dict, the checkpoint stores it, and a resume compares the two
in full (:func:`first_difference`) before any work: the network (its layers, their
configurations and dtype), the optimizer's type and every value of its ``config()`` (``lr``,
``momentum``, ``weight_decay``, ``clip_norm``, the ``schedule``, ...), ``batch_size``,
``validation_split``, the ``seed`` (when it is an int), each callback that takes part in the
run (one with a ``config()``, such as :class:`~nn.train.callbacks.EarlyStopping`), and
fingerprints of the training and validation data, and ``workers`` when it is more than 1
(shards of a mini-batch round their sum otherwise than one pass does, see
:mod:`nn.train.parallel`; a checkpoint without it was written with 1). ``epochs`` is not
among them: a run may be resumed to train longer (its schedule, if any, is compared, and a
cosine schedule spans a number of steps).
"""

from __future__ import annotations

import json
import numbers
import zlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.io.model_file import describe
from nn.io.npz import json_bytes

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network
    from nn.optim.optimizers import Optimizer

__all__ = ["first_difference", "fingerprint", "run_settings"]


def fingerprint(*arrays: Any) -> dict[str, Any]:
    """Shapes and a CRC-32 of the bytes of ``arrays``: equal for equal data, almost surely
    different otherwise (a pass over the data, done once per ``fit`` with a checkpoint)."""
    crc = 0
    shapes = []
    for arr in arrays:
        arr = np.ascontiguousarray(arr)
        shapes.append(list(arr.shape))
        crc = zlib.crc32(arr.data, crc) if arr.dtype.kind != "O" else crc
    return {"shapes": shapes, "crc32": crc}


def run_settings(
    network: Network,
    optimizer: Optimizer,
    X: np.ndarray,
    T: np.ndarray,
    *,
    batch_size: int,
    validation_split: float,
    validation_data: tuple[Any, Any] | None,
    seed: Any,
    callbacks: Sequence[Any],
    workers: int = 1,
) -> dict[str, Any]:
    """Every setting of a run, as plain JSON values, in the order a resume compares them.

    Parameters
    ----------
    network, optimizer
    X, T : ndarray
        The training inputs and targets as the run trains on them (after a validation split).
    batch_size : int
    validation_split : float
    validation_data : (X_val, Y_val) or None
        As evaluated after each epoch (the held-out part, with a split).
    seed : int, Generator or None
        Only an int (or None) is recorded; a Generator cannot be compared.
    callbacks : sequence
        Those with a ``config()`` method are recorded by type and configuration.
    workers : int, default 1
        Recorded when more than 1 (so that the settings of a run without workers, and the
        checkpoints written before workers existed, stay as they were).
    """
    config = optimizer.config()
    int_seed = seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool))
    settings = {
        "network": describe(network, loadable=False),
        "optimizer": {"type": type(optimizer).__name__, **config},
        "batch_size": batch_size,
        "validation_split": validation_split,
        "seed": (int(seed) if seed is not None else None) if int_seed else "generator",
        "callbacks": [
            {"type": type(cb).__name__, **cb.config()}
            for cb in callbacks
            if callable(getattr(cb, "config", None)) and cb.config() is not None
        ],
        "training data": fingerprint(X, T),
        "validation data": None if validation_data is None else fingerprint(*validation_data),
    }
    if workers != 1:
        settings["workers"] = workers
    # as a checkpoint reads them back: tuples become lists, NumPy scalars Python numbers
    return json.loads(json_bytes(settings).tobytes())


def first_difference(saved: Any, given: dict[str, Any]) -> tuple[str, Any, Any] | None:
    """The first setting in which ``saved`` (a checkpoint's) and ``given`` (this run's) differ,
    as ``(name, saved value, given value)``, or None when every one agrees.

    Names are those of the arguments: ``"lr"`` (not ``"optimizer.lr"``) for a value of the
    optimizer's config, ``"EarlyStopping.patience"`` for a callback's; a seed that is a
    Generator on either side is not compared.
    """
    if not isinstance(saved, dict):
        return ("settings", saved, given)
    # recorded only when more than 1, so an absent value is 1, on either side
    given = {**given, "workers": given.get("workers", 1)}
    saved = {**saved, "workers": saved.get("workers", 1)}
    for name, mine in given.items():
        theirs = saved.get(name)
        if name == "seed" and "generator" in (theirs, mine):
            continue
        for found in _differences(name, theirs, mine):
            return found
    return None


def _differences(name: str, theirs: Any, mine: Any) -> Iterator[tuple[str, Any, Any]]:
    if name == "optimizer" and isinstance(theirs, dict) and isinstance(mine, dict):
        if theirs.get("type") != mine["type"]:
            yield ("optimizer", theirs.get("type"), mine["type"])
        for key in dict.fromkeys([*mine, *theirs]):
            if key != "type" and theirs.get(key) != mine.get(key):
                yield (key, theirs.get(key), mine.get(key))
    elif name == "callbacks" and isinstance(theirs, list) and len(theirs) == len(mine):
        for a, b in zip(theirs, mine):
            if not isinstance(a, dict) or a.get("type") != b["type"]:
                yield ("callbacks", theirs, mine)
            for key in dict.fromkeys([*b, *a]):
                if a.get(key) != b.get(key):
                    yield (f"{b['type']}.{key}", a.get(key), b.get(key))
    elif theirs != mine:
        yield (name, theirs, mine)
