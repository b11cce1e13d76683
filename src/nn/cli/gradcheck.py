"""``nn gradcheck``: backprop against finite differences or the autograd engine, on a random
or a saved network."""

from __future__ import annotations

import argparse

import numpy as np

from nn.check.gradcheck import check_gradients
from nn.cli.checks import check_network_size
from nn.core.network import Network
from nn.core.numbers import check_real
from nn.core.registry import snake_case
from nn.core.validation import check_learning_rate, check_positive_int
from nn.io.model_file import load
from nn.models.cnn import cnn
from nn.models.mlp import mlp


def check_output_fits_loss(net: Network, from_file: bool = False) -> None:
    """Raise ValueError if ``net``'s output layer can leave the range its loss takes.

    Parameters
    ----------
    net : Network
    from_file : bool
        Whether ``net`` was loaded (``--model``), so the advice names no options.
    """
    fits = getattr(net.loss, "output_activations", None)
    last = net.layers[-1]
    out = snake_case(type(last).__name__)
    if fits is None or out in fits:
        return
    # A loss that takes only some outputs (its ``output_activations``) clips its input outside
    # that range, so its value is flat there while its gradient is not: the check would blame
    # backprop for the pairing's fault. nn.mlp refuses such pairings; a saved model may not.
    gives = getattr(last, "output_range", None) or "any real number"
    loss = snake_case(type(net.loss).__name__)
    advice = (
        "it cannot be checked as it is"
        if from_file
        else f"add --output-activation {fits[0]}, or use --loss softmax_cross_entropy, which "
        "takes logits"
    )
    raise ValueError(
        f"loss {loss} takes outputs in (0, 1) but the output layer ({out}) gives {gives}: "
        "the loss clips its input, so its slope there is 0 where its gradient is not and "
        f"correct backprop would look wrong; {advice}"
    )


def cmd_gradcheck(args: argparse.Namespace) -> int:
    """Backprop against finite differences (or the engine) on a random float64 network and
    batch."""
    check_positive_int("--batch", args.batch)
    if args.eps is not None:
        check_learning_rate("--eps", args.eps)
    if args.max_entries is not None:
        check_positive_int("--max-entries", args.max_entries)
    if args.recheck is not None:
        check_positive_int("--recheck", args.recheck)
    if args.tol is not None:
        check_real("--tol", args.tol, 0.0)
    if args.seed < 0:
        raise ValueError(f"--seed must be 0 or more, got {args.seed}")
    network = {"sizes": args.sizes, "activation": args.activation, "loss": args.loss}
    network["output_activation"] = args.output_activation
    given = [f"--{k.replace('_', '-')}" for k, v in network.items() if v is not None]
    if args.model and given:
        raise ValueError(
            f"{', '.join(given)} describe a random network, but --model gives a saved one: "
            "leave them out (or drop --model)"
        )
    rng = np.random.default_rng(args.seed)
    words = getattr(args, "cnn", None)  # nn gradcheck --cnn DESCRIPTION
    if args.model:
        net: Network = load(args.model)
    elif words:
        shape = tuple(int(s) for s in getattr(args, "image", "1,12,10").split(","))
        net = cnn(words, shape, seed=rng, dtype=np.float64)
    else:
        text = args.sizes or "5,4,3"
        try:
            sizes = [int(s) for s in text.split(",")]
        except ValueError:
            raise ValueError(
                f"--sizes must be integers separated by commas, e.g. 5,4,3; got {text!r}"
            ) from None
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"--sizes {text}: at least two sizes, each 1 or more, e.g. 5,4,3")
        check_network_size("--sizes", sizes, "float64")
        net = mlp(
            sizes,
            activation=args.activation or "sigmoid",
            loss=args.loss or "squared_error",
            output_activation=args.output_activation,
            seed=rng,
            dtype=np.float64,
        )
    check_output_fits_loss(net, from_file=bool(args.model))
    in_shape, out_shape = net.input_shape, net.output_shape()
    X = rng.standard_normal((args.batch, *in_shape))
    Y = rng.random((args.batch, *out_shape))
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
        reference=args.reference,
    )
    print(f"Gradient check of {net!r}\non a random batch of {args.batch} (float64)\n")
    print(report.to_text(args.tol))
    return 0 if report.passed(args.tol) else 1
