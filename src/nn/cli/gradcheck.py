"""``nn gradcheck``: backprop against finite differences, on a random or a saved network."""

from __future__ import annotations

import argparse

import numpy as np

from nn.gradcheck import check_gradients
from nn.mlp import mlp
from nn.network import Network
from nn.serialize import load
from nn.validation import check_learning_rate, check_positive_int


def cmd_gradcheck(args: argparse.Namespace) -> int:
    """Backprop against finite differences on a random float64 network and batch."""
    check_positive_int("--batch", args.batch)
    if args.eps is not None:
        check_learning_rate("--eps", args.eps)
    if args.max_entries is not None:
        check_positive_int("--max-entries", args.max_entries)
    check_positive_int("--recheck", args.recheck)
    rng = np.random.default_rng(args.seed)
    if args.model:
        net: Network = load(args.model)
    else:
        try:
            sizes = [int(s) for s in args.sizes.split(",")]
        except ValueError:
            raise ValueError(
                f"--sizes must be integers separated by commas, e.g. 5,4,3; got {args.sizes!r}"
            ) from None
        net = mlp(sizes, activation=args.activation, loss=args.loss, seed=rng, dtype=np.float64)
    n_in, n_out = net.n_in, net.n_out
    X = rng.standard_normal((args.batch, n_in))
    Y = rng.random((args.batch, n_out))
    report = check_gradients(
        net,
        X,
        Y,
        eps=args.eps,
        order=args.order,
        max_entries=args.max_entries,
        seed=rng,
        tol=args.tol,
        recheck=args.recheck,
    )
    print(f"Gradient check of {net!r}\non a random batch of {args.batch} (float64)\n")
    print(report.to_text(args.tol))
    return 0 if report.passed(args.tol) else 1
