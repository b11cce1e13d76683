"""The options that describe a dense network (``--sizes``, ``--activation``, ``--loss``, ...).

Each is None in the parsed options unless given, so that a command can tell what was given:
``nn diagnose --model`` refuses them (the saved model has its own), and so does a sequence
dataset (its character model has other options). :func:`network_options` fills in the
defaults of :data:`NETWORK_DEFAULTS`; :func:`parse_sizes` reads ``--sizes``.
"""

from __future__ import annotations

import argparse
from typing import Any

from nn.layers.initializers import DEFAULT_INIT

__all__ = ["NETWORK_DEFAULTS", "network_options", "parse_sizes"]

#: The network options and the value each has when not given. They are None in the parsed
#: options unless given, so that a command can tell (``nn diagnose --model`` refuses them:
#: the saved model has its own), and :func:`network_from_args` fills in these defaults.
NETWORK_DEFAULTS = {
    "sizes": None,
    "activation": "sigmoid",
    "output_activation": None,
    "loss": "squared_error",
    "init": DEFAULT_INIT,
    "dropout": 0.0,
    "dtype": "float32",
}


def parse_sizes(text: str | None, n_in: int, n_out: int) -> list[int]:
    """The ``--sizes`` option as a list, checked: integers from ``n_in`` to ``n_out``."""
    if text is None:
        return [n_in, 30, n_out]
    example = f"e.g. {n_in},30,{n_out}"
    try:
        sizes = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        raise ValueError(
            f"--sizes must be integers separated by commas, {example}; got {text!r}"
        ) from None
    if len(sizes) < 2:
        raise ValueError(
            f"--sizes {text!r} needs at least two integers, the input width and the output "
            f"width, with hidden layers between them: {example}"
        )
    if any(s < 1 for s in sizes):
        raise ValueError(f"--sizes {text}: every layer needs at least one unit, {example}")
    if sizes[0] != n_in or sizes[-1] != n_out:
        raise ValueError(
            f"--sizes {text} does not fit the data: it must start with {n_in} (inputs) "
            f"and end with {n_out} (classes), {example}"
        )
    return sizes


def network_options(args: argparse.Namespace) -> dict[str, Any]:
    """The network options as given, with :data:`NETWORK_DEFAULTS` for those not given."""
    given = {name: getattr(args, name) for name in NETWORK_DEFAULTS}
    return {k: v if given[k] is None else given[k] for k, v in NETWORK_DEFAULTS.items()}
