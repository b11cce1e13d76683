"""``nn summary MODEL``: the layers of a saved model, their output shapes and parameters."""

from __future__ import annotations

import argparse

from nn.io.model_file import load


def cmd_summary(args: argparse.Namespace) -> int:
    """Print :meth:`nn.Network.summary` of the model saved in ``args.model``.

    A first line says what ``nn train --save`` recorded about it (its dataset and initial
    weights), when anything was.
    """
    net = load(args.model)
    facts = ", ".join(f"{key}: {value}" for key, value in sorted(net.metadata.items()))
    print(f"{args.model}" + (f" ({facts})" if facts else "") + "\n")
    print(net.summary())
    return 0
