"""The training loop, kept outside the model: epochs, mini-batches, callbacks, safeguards and
checkpoints.

``loop.py`` (:func:`fit`: the loop itself), ``progress.py`` (the epoch line, durations),
``callbacks.py`` (hooks, :class:`~nn.train.callbacks.EarlyStopping`), ``safeguards.py``
(divergence and Ctrl-C), ``checkpoint.py`` (save and resume a run), ``checks.py`` (the
training options, checked before any work). :meth:`nn.Network.fit` calls :func:`fit`.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["fit"]


def __getattr__(name: str) -> Any:
    """``nn.train.fit``, loaded on first use: the loop brings the progress bar (tqdm), which
    ``import nn`` need not pay for; ``from nn.train import fit`` works as usual."""
    if name != "fit":
        raise AttributeError(f"module 'nn.train' has no attribute {name!r}")
    return importlib.import_module("nn.train.loop").fit
