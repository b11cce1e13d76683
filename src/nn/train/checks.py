"""Checks of ``fit``'s training options (validation data, checkpoints), before any work."""

from __future__ import annotations

import os
from typing import Any

from nn.core.validation import check_positive_int, type_name

__all__ = ["check_checkpoint_options", "check_validation_data"]


def check_validation_data(value: Any) -> tuple[Any, Any]:
    """``validation_data`` must be a pair ``(X_val, Y_val)``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(
            "validation_data must be a pair (X_val, Y_val), got "
            f"{type_name(value)}{f' of length {len(value)}' if hasattr(value, '__len__') else ''}"
        )
    return value[0], value[1]


def check_checkpoint_options(
    checkpoint: Any, checkpoint_every: Any, resume: Any
) -> tuple[str | None, int | None, str | None]:
    """Normalize ``fit``'s checkpoint arguments.

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
        path = os.fspath(checkpoint)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise ValueError(
                f"checkpoint={path!r}: the directory {directory!r} does not exist; create it "
                "first (checked now so that no training is lost when the first save fails)"
            )
        if os.path.isdir(path):
            raise ValueError(f"checkpoint={path!r} is a directory; give a file name")
    every = None
    if checkpoint_every != "epoch":
        every = check_positive_int(
            'checkpoint_every (a number of steps, or "epoch")', checkpoint_every
        )
    resume_from = None
    if resume is None or isinstance(resume, bool):
        if resume:
            if path is None:
                raise ValueError(
                    "resume=True continues from checkpoint=PATH, but no checkpoint was given"
                )
            resume_from = path if os.path.exists(path) else None
    elif isinstance(resume, (str, os.PathLike)):
        resume_from = os.fspath(resume)
        if not os.path.isfile(resume_from):
            raise FileNotFoundError(f"resume={resume_from!r}: there is no checkpoint file there")
    else:
        raise TypeError(f"resume must be True, False or a checkpoint path, got {type_name(resume)}")
    return path, every, resume_from
