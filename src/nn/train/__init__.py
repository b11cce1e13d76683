"""The training loop, kept outside the model: epochs, mini-batches, callbacks, safeguards and
checkpoints.

``loop.py`` (:func:`fit`: the loop itself), ``progress.py`` (the epoch line, durations),
``callbacks.py`` (hooks, :class:`~nn.train.callbacks.EarlyStopping`), ``safeguards.py``
(divergence and Ctrl-C), ``checkpoint.py`` (save and resume a run), ``checks.py`` (the
training options, checked before any work), ``threads.py`` (how many BLAS threads the
products use: :class:`~nn.train.threads.ThreadPolicy`). :meth:`nn.Network.fit` calls
:func:`fit`.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ThreadPolicy", "fit"]

_LAZY = {"fit": "nn.train.loop", "ThreadPolicy": "nn.train.threads"}


def __getattr__(name: str) -> Any:
    """``nn.train.fit`` and ``nn.train.ThreadPolicy``, loaded on first use: the loop brings
    the progress bar (tqdm) and the policy threadpoolctl, which ``import nn`` need not pay
    for; ``from nn.train import fit`` works as usual."""
    if name not in _LAZY:
        raise AttributeError(f"module 'nn.train' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
