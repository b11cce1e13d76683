"""Export a network to ONNX or PyTorch, and read a PyTorch ``nn.Sequential`` back.

For the day a model outgrows one machine: the ONNX file is served by ONNX Runtime (or any
ONNX runtime), the PyTorch module trains on in PyTorch (on GPUs, distributed). Both compute
exactly what :meth:`nn.Network.predict` computes (tests hold them to it: 1e-12 in float64,
1e-5 in float32). The other way, :func:`from_torch` loads a model trained in PyTorch, so the
doctor and the diagnostics can look at it.

The layers that translate, and how, are in one table per format: :mod:`nn.io.onnx_export`
and :mod:`nn.io.torch_convert`. ``onnx`` and ``torch`` are optional packages, imported only
when an export needs them. From the command line: ``nn export MODEL --to onnx FILE``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from nn.io import onnx_export, torch_convert
from nn.io.interop import require
from nn.io.onnx_export import export_onnx, to_onnx
from nn.io.torch_convert import export_torch, from_torch, to_torch

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["FORMATS", "check_format", "export", "from_torch", "to_onnx", "to_torch"]

#: The formats :func:`export` writes: the package each needs, how to install it, and what for.
FORMATS = {
    "onnx": ("onnx", onnx_export.INSTALL, "ONNX export"),
    "torch": ("torch", torch_convert.INSTALL, "PyTorch export"),
}


def check_format(to: str) -> None:
    """Check, before any work, that ``to`` is a format and that its package is installed.

    Raises
    ------
    ValueError
        For an unknown format.
    ModuleNotFoundError
        Saying how to install the package the format needs.
    """
    if to not in FORMATS:
        raise ValueError(f"unknown export format {to!r}; choose one of {', '.join(FORMATS)}")
    require(*FORMATS[to])


def export(network: Network, path: str | os.PathLike[str], *, to: str) -> None:
    """Write ``network`` to ``path`` in the format ``to``.

    Parameters
    ----------
    network : Network
    path : str or path-like
        Written atomically: a failure leaves any previous file intact.
    to : {"onnx", "torch"}
        ``"onnx"``: an ONNX model (:func:`nn.io.onnx_export.to_onnx`); ``"torch"``: a file
        ``torch.load`` reads into the parts of a ``torch.nn.Sequential``
        (:mod:`nn.io.torch_convert`).

    Raises
    ------
    ValueError
        For an unknown format, or a layer the format cannot express (named).
    ModuleNotFoundError
        If the format's package is not installed.
    """
    check_format(to)
    if to == "onnx":
        export_onnx(network, path)
    else:
        export_torch(network, path)
