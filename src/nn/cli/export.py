"""``nn export MODEL --to {onnx,torch} FILE``: a saved model for ONNX Runtime or PyTorch."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from nn.io.export import FORMATS, check_format, export
from nn.io.model_file import load
from nn.io.onnx_export import OPSET
from nn.io.paths import check_output_file

#: How each format is used next; printed after the file is written.
NEXT_STEPS = {
    "onnx": (
        "ONNX opset {opset}: input 'input' ({dtype}, shape [batch, {n_in}]), output 'output'.\n"
        "Serve it with ONNX Runtime (pip install onnxruntime):\n"
        "    session = onnxruntime.InferenceSession({path!r})\n"
        "    outputs = session.run(None, {{'input': X}})[0]"
    ),
    "torch": (
        "A torch.nn.Sequential ({dtype}) saved as plain data; load it without nn:\n"
        "    saved = torch.load({path!r})\n"
        "    model = torch.nn.Sequential(*(getattr(torch.nn, n)(**kw) for n, kw in "
        'saved["modules"]))\n'
        '    model.load_state_dict(saved["state_dict"], assign=True)'
    ),
}


def add_export_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``export`` command to ``sub``, the ``nn`` command's subparsers."""
    ex = sub.add_parser(
        "export",
        help="write a saved model as ONNX, or for PyTorch",
        description="Write a model saved by `nn train --save` in another format: ONNX, for "
        "ONNX Runtime and other servers (needs the onnx package), or a PyTorch "
        "nn.Sequential to train on (needs torch). The exported model computes what the "
        "model's predict computes, probabilities included. A layer the format cannot "
        "express is refused by name.",
    )
    ex.add_argument("model", metavar="MODEL", help="a model saved by `nn train --save` (.npz)")
    ex.add_argument("--to", required=True, choices=tuple(FORMATS), help="the format")
    ex.add_argument("file", metavar="FILE", help="where to write it (e.g. model.onnx, model.pt)")
    ex.set_defaults(func=cmd_export)
    return ex


def cmd_export(args: argparse.Namespace) -> int:
    """Export the model ``args.model`` to ``args.file`` in the format ``args.to``."""
    path = check_output_file("FILE", args.file)
    if os.path.exists(path) and os.path.exists(args.model) and os.path.samefile(path, args.model):
        raise ValueError(f"FILE {path}: that is the model itself; give another file name")
    try:
        check_format(args.to)  # before any work: the optional package is there
    except ModuleNotFoundError as err:
        print(f"nn: error: {err}", file=sys.stderr)
        return 2
    net = load(args.model)
    export(net, path, to=args.to)
    print(f"Wrote {path}.")
    print(NEXT_STEPS[args.to].format(opset=OPSET, dtype=net.dtype, n_in=net.n_in, path=path))
    return 0
