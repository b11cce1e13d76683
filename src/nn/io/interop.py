"""What the exporters share: the layers ``predict`` runs, and the optional libraries they need.

A network's ``predict`` is its layers followed by its loss's ``output`` (the softmax, for
:class:`nn.SoftmaxCrossEntropy`, whose network ends in logits). An exported model must give
what ``predict`` gives, so :func:`predict_layers` lists the layers with that output function
appended as a layer. Each format then translates layer by layer with one table keyed by layer
class (:mod:`nn.io.onnx_export`, :mod:`nn.io.torch_convert`); a layer or loss whose class is
not in the table is refused by name, never exported approximately.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING

from nn.core.layer import Layer
from nn.core.loss import Loss
from nn.layers.activations import Softmax
from nn.losses import SoftmaxCrossEntropy

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["OUTPUT_LAYERS", "predict_layers", "require", "unsupported"]

#: The layer that computes a loss's ``output`` (what ``predict`` applies after the last
#: layer), for each loss class that has one. A loss that keeps the base ``Loss.output`` (the
#: identity) needs none.
OUTPUT_LAYERS: dict[type, type[Layer]] = {SoftmaxCrossEntropy: Softmax}


def predict_layers(network: Network) -> list[Layer]:
    """The layers whose composition is ``network.predict``.

    Parameters
    ----------
    network : Network

    Returns
    -------
    list of Layer
        ``network.layers``, plus a new :class:`nn.Softmax` at the end when the loss's
        ``output`` is the softmax.

    Raises
    ------
    ValueError
        If the loss has an ``output`` function that no layer here computes.
    """
    layers = list(network.layers)
    loss = network.loss
    if type(loss).output is Loss.output:  # predict returns the last layer's output itself
        return layers
    output = OUTPUT_LAYERS.get(type(loss))
    if output is None:
        raise ValueError(
            f"cannot export a network whose loss is {type(loss).__name__}: its output "
            f"function (what predict applies after the last layer) has no exported form; "
            f"losses with one: {', '.join(c.__name__ for c in OUTPUT_LAYERS)}"
        )
    return [*layers, output()]


def unsupported(layer: object, what: str, known: Iterable[type]) -> ValueError:
    """The error for a layer (or module) of a class the table of ``what`` does not have."""
    names = ", ".join(sorted(c.__name__ for c in known))
    return ValueError(
        f"{what} has no translation for a layer of class {type(layer).__name__} "
        f"({type(layer).__module__}); supported: {names}"
    )


def require(module: str, install: str, purpose: str = "this") -> ModuleType:
    """Import an optional library, or say how to install it.

    Parameters
    ----------
    module : str
        ``"onnx"`` or ``"torch"``.
    install : str
        The command that installs it, for the message.
    purpose : str
        What needs it, for the message (``"ONNX export"``).

    Raises
    ------
    ModuleNotFoundError
        Saying which package is missing and how to install it.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ModuleNotFoundError(
            f"{purpose} needs the optional package {module!r}, which is not installed here "
            f"({err}); install it with: {install}"
        ) from err
