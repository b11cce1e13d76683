"""What ``nn train`` says in its own words: a resume refused, and a run that did not learn.

The library names its arguments (``lr``, ``batch_size``, ``EarlyStopping.patience``); a
command-line user knows options (``--lr``, ``--batch-size``, ``--early-stopping``), so
:func:`resume_refused` turns a :class:`~nn.train.checkpoint.CheckpointError` about a setting
into the option that sets it, with both values as the user would write them.
:func:`diagnose_command` writes the ``nn diagnose`` command that probes the run ``nn train``
just made, step for step, so that what the doctor examines is that run.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from nn.train.checkpoint import CheckpointError

__all__ = ["diagnose_command", "resume_refused"]

#: The option of ``nn train`` that sets each setting a checkpoint records.
OPTION_OF = {
    "optimizer": "--optimizer",
    "lr": "--lr",
    "momentum": "--momentum (or --optimizer)",
    "nesterov": "--optimizer",
    "weight_decay": "--weight-decay",
    "clip_norm": "--clip-norm",
    "schedule": "--schedule (or --epochs, which a schedule spans)",
    "batch_size": "--batch-size",
    "validation_split": "--validation-split",
    "seed": "--seed",
    "callbacks": "--early-stopping",
    "workers": "--workers",
    "EarlyStopping.patience": "--early-stopping",
    "network": "--sizes, --activation, --output-activation, --loss, --dropout or --dtype",
    "training data": "--dataset, --standardize, --validation-split or --seed",
    "validation data": "--dataset, --standardize, --validation-split or --seed",
}


def _as_written(setting: str, value: Any) -> str:
    """A setting's value as the option would take it (``3``, ``cosine over 300 steps``)."""
    if value is None:
        return "not given" if setting != "callbacks" else "none"
    if setting == "schedule" and isinstance(value, dict):
        if value.get("type") == "CosineDecay":
            return f"cosine over {value.get('total')} steps"
        if value.get("type") == "StepDecay":
            return f"step (x{value.get('factor')} every {value.get('every')} steps)"
    if setting == "callbacks" and isinstance(value, list):
        return ", ".join(str(v.get("type")) for v in value if isinstance(v, dict)) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def resume_refused(err: CheckpointError, checkpoint: str) -> ValueError:
    """The error to show when ``--resume`` is refused because a setting differs.

    A refusal about anything else (a damaged file) is returned as it is.
    """
    setting = err.setting
    if setting is None:
        return err
    option = OPTION_OF.get(setting, setting)
    if setting in ("network", "training data", "validation data"):
        detail = str(err).split(" was written by a run with ", 1)[-1].split("; resume", 1)[0]
        said = f"was written by a run with {detail}"
    else:
        said = (
            f"was written by a run with {setting} {_as_written(setting, err.saved)}, and this "
            f"command gives {_as_written(setting, err.given)}"
        )
    return ValueError(
        f"{option}: --checkpoint {checkpoint} {said}. Give the same {option.split(' ')[0]} "
        "as that run to continue it exactly, or leave out --resume to start a new run (which "
        "replaces the checkpoint)"
    )


#: The options ``nn train`` shares with ``nn diagnose``, with their defaults (None: unset).
SHARED = {
    "dataset": "digits",
    "data_dir": None,
    "sizes": None,
    "activation": None,
    "output_activation": None,
    "loss": None,
    "init": None,
    "batch_size": 10,
    "optimizer": "sgd",
    "lr": None,
    "momentum": None,
    "weight_decay": 0.0,
    "clip_norm": None,
    "dropout": None,
    "standardize": False,
    "seed": 0,
    "dtype": None,
    "workers": 1,  # the shards' sums round otherwise: the same bits need the same workers
}


def diagnose_command(args: argparse.Namespace, steps: int) -> str:
    """``nn diagnose`` with the options of this ``nn train`` that it shares, and ``--steps``
    the steps the run took: the doctor's probe then trains that run again, step for step
    (with the same seed, from the same weights, in the same order)."""
    words = ["nn", "diagnose"]
    for name, default in SHARED.items():
        value = getattr(args, name, default)
        if value == default or value is None:
            continue
        option = "--" + name.replace("_", "-")
        words += (
            [option]
            if value is True
            else [option, f"{value:g}" if isinstance(value, float) else str(value)]
        )
    words += ["--steps", str(steps)]
    return shlex.join(words)
