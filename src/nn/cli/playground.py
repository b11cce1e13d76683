"""``nn playground``: a local web page where nn trains a small network while you watch."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_arguments", "add_playground_parser", "cmd_playground"]

DESCRIPTION = (
    "Start a local web page where nn trains a small network step by step: the TensorFlow "
    "Playground's controls and pictures, plus each layer's speed of learning, its saturated "
    "and dead units, the doctor's findings and the setup as nn code. The server listens on "
    "127.0.0.1 (this machine only) and stops with Ctrl-C."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``nn playground`` (and ``python -m nn.playground``)."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s; another one lets other machines "
        "use this server, which has no password)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: a free one)"
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="print the address without opening a browser"
    )


def add_playground_parser(sub: Any) -> argparse.ArgumentParser:
    """Add ``playground`` to the ``nn`` command's subcommands (``sub``: add_subparsers())."""
    parser = sub.add_parser(
        "playground", help="watch nn train a network in your browser", description=DESCRIPTION
    )
    add_arguments(parser)
    parser.set_defaults(func=cmd_playground)
    return parser


def cmd_playground(args: argparse.Namespace) -> int:
    """Serve the playground until Ctrl-C."""
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be from 0 (a free port) to 65535, got {args.port}")
    from nn.playground import serve  # here: `import nn.cli` leaves the server unloaded

    return serve(args.host, args.port, open_browser=not args.no_browser)
