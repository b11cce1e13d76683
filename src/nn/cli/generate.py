"""``nn generate MODEL``: sample words from a character model saved by ``nn train --save``.

::

    nn train --dataset names --cell lstm --optimizer adam --lr 0.003 --batch-size 32 --save lstm.npz
    nn generate lstm.npz --n 20 --temperature 0.8
    nn generate lstm.npz --prompt mc

``add_generate`` declares the command on the ``nn`` parser; ``cmd_generate`` runs it.
"""

from __future__ import annotations

import argparse
from typing import Any

from nn.io.model_file import load

__all__ = ["add_generate", "cmd_generate"]


def cmd_generate(args: argparse.Namespace) -> int:
    """Print ``--n`` words sampled from the model, one per line."""
    from nn.datasets.sequences import Vocabulary
    from nn.models.sampling import generate

    if args.n < 1:
        raise ValueError(f"--n must be a positive integer, got {args.n}")
    if not args.temperature > 0:
        raise ValueError(f"--temperature must be positive, got {args.temperature}")
    net = load(args.model)
    chars = net.metadata.get("vocabulary")
    if not isinstance(chars, str):
        raise ValueError(
            f"{args.model} is not a character model (it records no vocabulary); train one "
            "with `nn train --dataset names --save PATH`"
        )
    vocabulary = Vocabulary(chars)
    words = generate(
        net, vocabulary, args.n, temperature=args.temperature, prompt=args.prompt,
        seed=args.seed, max_length=args.max_length,
    )  # fmt: skip
    for word in words:
        print(word)
    return 0


def add_generate(sub: Any) -> None:
    """Declare ``nn generate`` on the subcommands of the ``nn`` parser."""
    gen = sub.add_parser(
        "generate",
        help="sample words from a character model (nn train --dataset names --save)",
        description="Sample words one character at a time from a character-level language "
        "model saved by `nn train --dataset names --save PATH`.",
    )
    gen.add_argument("model", help="path of the saved character model")
    gen.add_argument("--n", type=int, default=20, help="words to sample (default 20)")
    gen.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        help="divides the logits: below 1 likelier, commoner words; above 1 wilder (default 1)",
    )
    gen.add_argument("--prompt", default="", help="the start of every word (default: none)")
    gen.add_argument("--max-length", type=int, default=40, help="longest word (default 40)")
    gen.add_argument("--seed", type=int, default=0, help="the same seed gives the same words")
    gen.set_defaults(func=cmd_generate)
