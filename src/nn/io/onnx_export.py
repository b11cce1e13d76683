"""Networks written as ONNX models, built with the ``onnx`` package alone.

The graph has one input ``"input"`` of shape ``(batch, n_in)`` and one output ``"output"`` of
shape ``(batch, n_out)``, in the network's dtype (float32 or float64), and one node per layer
of :func:`nn.io.interop.predict_layers`, so it computes what :meth:`nn.Network.predict`
computes: for a network trained with :class:`nn.SoftmaxCrossEntropy`, probabilities.

=============  ============================================================================
layer          ONNX node (opset :data:`OPSET`)
=============  ============================================================================
Dense          ``Gemm(x, W, b)``: ``x @ W + b``, ``W`` stored ``(n_in, n_out)`` as here
Sigmoid        ``Sigmoid``
Tanh           ``Tanh``
ReLU           ``Relu``
LeakyReLU      ``LeakyRelu(alpha)``; ``PRelu`` with a float64 slope when ``alpha`` is not a
               float32 number and the model is float64 (ONNX attributes are float32)
Identity       ``Identity``
Softmax        ``Softmax(axis=-1)``
Dropout        ``Identity``: dropout is off in prediction
=============  ============================================================================

The opset and IR version are pinned (opset 17, IR 8: ONNX 1.12 and later read it, and ONNX
Runtime from 1.12), so a file written today is the same file next year. The model is checked
by ``onnx.checker.check_model`` before it is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.layer import Layer
from nn.io.interop import predict_layers, require, unsupported
from nn.io.npz import atomic_write
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.dense import Dense
from nn.layers.dropout import Dropout

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["IR_VERSION", "ONNX_NODES", "OPSET", "export_onnx", "to_onnx"]

OPSET = 17
IR_VERSION = 8
INSTALL = 'pip install "nn[onnx]" (or: pip install onnx)'


class GraphBuilder:
    """The nodes and weights of an ONNX graph, added layer by layer.

    Parameters
    ----------
    onnx : module
        The ``onnx`` package.
    dtype : numpy dtype
        The network's dtype; every weight is stored in it.
    """

    def __init__(self, onnx: Any, dtype: np.dtype) -> None:
        self.onnx = onnx
        self.dtype = np.dtype(dtype)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def weight(self, name: str, array: np.ndarray) -> str:
        """Store ``array`` in the model under ``name``; returns the name."""
        data = np.ascontiguousarray(array, dtype=self.dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(data, name))
        return name

    def node(self, op: str, inputs: list[str], name: str, **attributes: Any) -> str:
        """Add a node computing ``op`` of ``inputs``; returns the name of its output."""
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [name], name=name, **attributes))
        return name


def _dense(g: GraphBuilder, layer: Dense, x: str, name: str) -> str:
    # Gemm computes x @ W + b with W as stored here, (n_in, n_out): no transpose (transB=0)
    return g.node("Gemm", [x, g.weight(f"{name}.W", layer.W), g.weight(f"{name}.b", layer.b)], name)


def _leaky_relu(g: GraphBuilder, layer: LeakyReLU, x: str, name: str) -> str:
    if g.dtype == np.float32 or float(np.float32(layer.alpha)) == layer.alpha:
        return g.node("LeakyRelu", [x], name, alpha=layer.alpha)
    # alpha would be rounded to float32 as an attribute; PRelu takes the slope as a tensor
    return g.node("PRelu", [x, g.weight(f"{name}.alpha", np.array([layer.alpha]))], name)


def _op(op: str, **attributes: Any) -> Callable[[GraphBuilder, Layer, str, str], str]:
    """A translation to a node of one input and fixed attributes."""
    return lambda g, layer, x, name: g.node(op, [x], name, **attributes)


#: The one table of this format: layer class -> function adding its node(s) to the graph.
ONNX_NODES: dict[type, Callable[[GraphBuilder, Any, str, str], str]] = {
    Dense: _dense,
    Sigmoid: _op("Sigmoid"),
    Tanh: _op("Tanh"),
    ReLU: _op("Relu"),
    LeakyReLU: _leaky_relu,
    Identity: _op("Identity"),
    Softmax: _op("Softmax", axis=-1),
    Dropout: _op("Identity"),  # inverted dropout is the identity in prediction
}


def to_onnx(network: Network) -> Any:
    """The network as an ``onnx.ModelProto`` that computes ``network.predict``.

    Parameters
    ----------
    network : Network

    Returns
    -------
    onnx.ModelProto
        Checked by ``onnx.checker.check_model``; input ``"input"`` (batch, n_in), output
        ``"output"`` (batch, n_out).

    Raises
    ------
    ValueError
        Naming the first layer (or loss) this format has no translation for.
    ModuleNotFoundError
        If the ``onnx`` package is not installed.
    """
    onnx = require("onnx", INSTALL, "ONNX export")
    layers = predict_layers(network)
    for layer in layers:  # every layer checked before any is translated
        if type(layer) not in ONNX_NODES:
            raise unsupported(layer, "ONNX export", ONNX_NODES)
    g = GraphBuilder(onnx, network.dtype)
    x = "input"
    for i, layer in enumerate(layers):
        x = ONNX_NODES[type(layer)](g, layer, x, f"{i}.{type(layer).__name__}")
    g.nodes[-1].output[0] = "output"  # the last node's result is the graph's output
    elem = onnx.helper.np_dtype_to_tensor_dtype(g.dtype)
    graph = onnx.helper.make_graph(
        g.nodes,
        "nn",
        [onnx.helper.make_tensor_value_info("input", elem, ["batch", network.n_in or "n_in"])],
        [onnx.helper.make_tensor_value_info("output", elem, ["batch", network.n_out or "n_out"])],
        initializer=g.initializers,
    )
    model = onnx.helper.make_model(
        graph,
        opset_imports=[onnx.helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="nn",
        doc_string=f"Exported by nn from {network!r}",
    )
    if network.metadata:
        onnx.helper.set_model_props(model, {k: str(v) for k, v in network.metadata.items()})
    onnx.checker.check_model(model, full_check=True)
    return model


def export_onnx(network: Network, path: str | os.PathLike[str]) -> None:
    """Write ``network`` to ``path`` as an ONNX model (see :func:`to_onnx`).

    The file is written atomically: a failure leaves any previous file at ``path`` intact.
    """
    data = to_onnx(network).SerializeToString()
    atomic_write(path, lambda f: f.write(data))
