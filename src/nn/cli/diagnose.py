"""``nn diagnose``: a short probe training of a network, read by the doctor."""

from __future__ import annotations

import argparse
import os

import numpy as np

from nn.cli.checks import check_diagnose_options
from nn.cli.images import as_images, built_init, cnn_options, shaped_for
from nn.cli.network_options import network_options
from nn.cli.options import (
    DEFAULT_LR,
    check_matplotlib,
    check_model_inputs,
    dataset_of,
    load_dataset,
    make_optimizer,
    network_from_args,
)
from nn.cli.sequence import SEQUENCE_DATASETS, sequence_description
from nn.io.model_file import load
from nn.io.paths import check_output_dir
from nn.layers.initializers import INITIALIZERS
from nn.preprocessing import Standardizer
from nn.train.threads import ThreadPolicy


def cmd_diagnose(args: argparse.Namespace) -> int:
    """A short probe training of a configuration or a saved model, read by the doctor."""
    from nn.diagnostics.doctor import diagnose

    check_diagnose_options(args)  # "" too is an error for --json and --plots, not "none"
    if args.plots is not None:
        check_output_dir("--plots", args.plots)  # a typo first: no matplotlib needed
        check_matplotlib("--plots")
    options = network_options(args)
    init = built_init(args)
    if args.model:
        net = load(args.model)
        what = f"the model in {args.model}"
        args.dataset = dataset_of(net, args.model, args.dataset)
        recorded = net.metadata.get("init")  # by `nn train --save`: not suggested again
        init = recorded if recorded in INITIALIZERS else None
    args.dataset = args.dataset or "digits"
    (X, y), (Xt, yt) = load_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed)
    if args.model:
        check_model_inputs(net, args.model, args.dataset, X.shape[1])
        X, Xt = shaped_for(net, X), shaped_for(net, Xt)
    else:
        X, Xt = as_images(args, X, Xt)  # (n, 1, 28, 28) for --cnn
    if not args.model:
        net, sizes = network_from_args(args, X, y, yt)
        what = (
            f"mlp({sizes}, activation={options['activation']!r}, loss={options['loss']!r}, "
            f"init={options['init']!r})"
            if not getattr(args, "cnn", None)
            else f"cnn({sizes!r}, activation={cnn_options(args)[0]!r}, init={init!r})"
        )
        if args.dataset in SEQUENCE_DATASETS:
            what = sequence_description(args)
    if args.standardize:
        scaler = Standardizer(per_feature=False)
        X, Xt = scaler.fit_transform(X), None if Xt is None else scaler.transform(Xt)
    # a probe is a few hundred steps: no learning-rate schedule
    optimizer = make_optimizer(
        argparse.Namespace(**{**vars(args), "schedule": None, "epochs": 1}), 1
    )
    pick = np.random.default_rng(args.seed).permutation(len(Xt))[: args.probe_size]
    snaps = tuple(sorted({0} | {args.steps // 3**k for k in range(4)})) if args.plots else ()
    print(f"Diagnosing {what} on {args.dataset}.")
    threads = ThreadPolicy(args.threads)
    report = diagnose(
        net,
        X,
        y,
        optimizer=optimizer,
        batch_size=args.batch_size,
        steps=args.steps,
        every=args.every,
        probe=(Xt[pick], yt[pick]),
        seed=args.seed,
        fresh=not args.model,
        experiments=not args.no_experiments,
        snapshot_steps=snaps,
        init=init,
        usual_lr=DEFAULT_LR[args.optimizer],
        threads=threads,
        workers=args.workers,
    )
    print(report)
    print(f"\n{threads.summary()}")
    if args.json:
        report.to_json(args.json)
        print(f"\nFindings and measurements written to {args.json}")
    if args.plots:
        from nn.diagnostics.plots import report_plots

        paths = report_plots(report, args.plots)
        print(f"Pictures written to {args.plots}: {', '.join(os.path.basename(p) for p in paths)}")
    return 0 if report.ok else 1
