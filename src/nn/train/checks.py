"""Checks of ``fit``'s training options (validation, callbacks, checkpoints), before any work.

Each raises ``TypeError`` or ``ValueError`` naming the argument, what was given and what is
expected, and each runs before the first step, so that no combination of arguments fails
after training has begun: a ``checkpoint_every`` without a ``checkpoint`` to write, a
checkpoint into a directory that cannot be written, an ``EarlyStopping`` watching a value the
run will never produce, a class given where an instance is needed.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from typing import Any

from nn.core.validation import check_positive_int, type_name
from nn.io.npz import nn_file_kind
from nn.io.paths import check_output_file

__all__ = [
    "check_reporting",
    "check_callbacks",
    "check_checkpoint_options",
    "check_monitored",
    "check_validation_data",
    "check_validation_split",
]

#: What a callback is called with; a callback must have every one (nn.Callback has no-ops).
HOOKS = ("on_train_begin", "on_step_end", "on_epoch_end", "on_train_end")


def check_reporting(verbose: Any, validation_name: Any) -> None:
    """``verbose`` a bool (or 0/1), ``validation_name`` a str."""
    if isinstance(verbose, str) or not isinstance(verbose, (bool, numbers.Integral)):
        raise TypeError(f"verbose must be True or False, got {verbose!r}"[:200])
    if not isinstance(validation_name, str):
        raise TypeError(f"validation_name must be a str such as 'test', got {validation_name!r}")


def check_validation_data(value: Any) -> tuple[Any, Any]:
    """``validation_data`` must be a pair ``(X_val, Y_val)``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(
            "validation_data must be a pair (X_val, Y_val), got "
            f"{type_name(value)}{f' of length {len(value)}' if hasattr(value, '__len__') else ''}"
        )
    return value[0], value[1]


def check_validation_split(value: Any) -> float:
    """``validation_split``: a number in (0, 1), or 0 for no split (never a string, NaN,
    an array)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            "fit: validation_split must be a number in (0, 1), or 0 for no split; got "
            f"{type_name(value)} {value!r}"[:300]
        )
    if not (value == 0 or 0 < value < 1):  # NaN fails both
        raise ValueError(
            f"fit: validation_split must be in (0, 1), or 0 for no split; got {value!r}"
        )
    return float(value)


def check_callbacks(callbacks: Any) -> list[Any]:
    """``callbacks``: a list or tuple of callback objects (instances, not classes), each with
    every hook ``fit`` calls."""
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            f"callbacks must be a list of callbacks such as [nn.EarlyStopping()], got "
            f"{type_name(callbacks)} {callbacks!r}"[:300]
        )
    for i, cb in enumerate(callbacks):
        if isinstance(cb, type):
            raise TypeError(
                f"callbacks[{i}] is the class {cb.__name__}, not a callback: pass an instance, "
                f"{cb.__name__}(...)"
            )
        missing = [h for h in HOOKS if not callable(getattr(cb, h, None))]
        if missing:
            raise TypeError(
                f"callbacks[{i}] ({type_name(cb)}) has no {', '.join(missing)}: a callback is "
                "an nn.Callback (whose hooks do nothing unless overridden) or has all of "
                f"{', '.join(HOOKS)}"
            )
    return list(callbacks)


#: Why ``fit`` would not produce a history key a callback watches, and what to do.
MISSING = {
    "val_loss": "there is no validation data; pass validation_split=0.1 (or "
    "validation_data=...) to fit, or watch another value",
    "val_accuracy": "there are no validation data whose targets are classes; pass "
    "validation_split=0.1 (or validation_data=...) with class labels, or watch another value",
    "accuracy": "the targets are not classes (accuracy is None); watch the loss instead",
}


def check_monitored(callbacks: Sequence[Any], produced: set[str]) -> None:
    """Every history key a callback ``monitors()`` is among those the run will ``produce``
    (:data:`MISSING` says why one would not be, and what to do)."""
    why = MISSING
    for cb in callbacks:
        monitors = getattr(cb, "monitors", None)
        for key in monitors() if callable(monitors) else ():
            if key not in produced:
                raise ValueError(
                    f"{cb!r} watches {key}, which this fit will not produce: "
                    f"{why.get(key, f'{key} is not a key of the history')}"
                )


def check_checkpoint_options(
    checkpoint: Any, checkpoint_every: Any, resume: Any
) -> tuple[str | None, int | None, str | None]:
    """Normalize ``fit``'s checkpoint arguments.

    The checkpoint's path must be writable now (a file is created there and removed), and
    hold nothing but, at most, a checkpoint: a saved model or any other file is never
    written over.

    Returns
    -------
    path : str or None
        Where checkpoints are written.
    every : int or None
        Write one every ``every`` optimizer steps; None means at the end of every epoch.
    resume_from : str or None
        Checkpoint to continue from (None: start afresh).
    """
    path = None
    if checkpoint is not None:
        if not isinstance(checkpoint, (str, os.PathLike)):
            raise TypeError(f"checkpoint must be a file path, got {type_name(checkpoint)}")
        path = check_output_file("checkpoint", checkpoint, probe=True)
    every = None
    if checkpoint_every != "epoch":
        every = check_positive_int(
            'checkpoint_every (a number of steps, or "epoch")', checkpoint_every
        )
        if path is None:
            raise ValueError(
                f"checkpoint_every={checkpoint_every!r} says how often to write checkpoint=PATH, "
                "but no checkpoint was given: give checkpoint=PATH too, or leave "
                "checkpoint_every out"
            )
    resume_from = _resume_from(resume, path)
    if path is not None and resume_from != path:  # (the one resumed from is read in full)
        check_checkpoint_path("checkpoint", path)
    return path, every, resume_from


def check_checkpoint_path(name: str, path: str) -> None:
    """Refuse to write checkpoints over a file that is not one (a saved model, say)."""
    kind = nn_file_kind(path)
    if kind in ("model", "other"):
        what = "a saved nn model" if kind == "model" else "a file that is not an nn checkpoint"
        raise ValueError(
            f"{name} {path}: that is {what}, which writing checkpoints there would replace; "
            "give another path"
        )


def _resume_from(resume: Any, path: str | None) -> str | None:
    """The checkpoint ``resume`` names (None: start afresh)."""
    if resume is None or isinstance(resume, bool):
        if not resume:
            return None
        if path is None:
            raise ValueError(
                "resume=True continues from checkpoint=PATH, but no checkpoint was given"
            )
        return path if os.path.exists(path) else None
    if isinstance(resume, (str, os.PathLike)):
        resume_from = os.fspath(resume)
        if os.path.exists(resume_from) and not os.path.isfile(resume_from):
            raise ValueError(f"resume={resume_from!r} is not a regular file, not a checkpoint")
        if not os.path.isfile(resume_from):
            raise FileNotFoundError(f"resume={resume_from!r}: there is no checkpoint file there")
        return resume_from
    raise TypeError(f"resume must be True, False or a checkpoint path, got {type_name(resume)}")
