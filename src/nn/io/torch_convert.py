"""Networks as PyTorch ``nn.Sequential`` modules, and back.

To PyTorch (:func:`to_torch`, :func:`export_torch`): each layer of
:func:`nn.io.interop.predict_layers` becomes one module, named and configured by
:data:`TORCH_MODULES`:

=============  ===========================================================================
layer          module (``torch.nn.``)
=============  ===========================================================================
Dense          ``Linear(n_in, n_out)``, ``weight = W.T``: PyTorch stores ``(out, in)`` and
               computes ``x @ weight.T + bias``, the same ``x @ W + b``
Sigmoid        ``Sigmoid()``
Tanh           ``Tanh()``
ReLU           ``ReLU()``
LeakyReLU      ``LeakyReLU(negative_slope=alpha)``
Identity       ``Identity()``
Softmax        ``Softmax(dim=-1)``
Dropout        ``Dropout(p=rate)``: inverted dropout, as here
=============  ===========================================================================

The module is returned in eval mode (dropout off), so its output is ``predict``'s; call
``model.train()`` to train it on. A network trained with :class:`nn.SoftmaxCrossEntropy`
ends in the ``Softmax`` that ``predict`` applies; to train on in PyTorch with
``torch.nn.CrossEntropyLoss`` (which takes logits), pass ``logits=True`` or use
``model[:-1]``.

The file :func:`export_torch` writes is loaded without this library and without unpickling
code (``torch.load``'s default ``weights_only=True``): a dict of plain data, ``"modules"``
(the list of ``[class name, keyword arguments]`` above) and ``"state_dict"``::

    saved = torch.load("model.pt")
    model = torch.nn.Sequential(*(getattr(torch.nn, n)(**kw) for n, kw in saved["modules"]))
    model.load_state_dict(saved["state_dict"], assign=True)  # assign: float64 stays float64

From PyTorch (:func:`from_torch`): a ``torch.nn.Sequential`` of the same modules becomes a
:class:`nn.Network`, so that the doctor and the diagnostics can look at a model trained
elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.layer import Layer
from nn.core.loss import Loss
from nn.core.registry import LOSSES, NETWORKS, lookup
from nn.io.interop import predict_layers, require, unsupported
from nn.io.npz import atomic_write
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.dense import Dense
from nn.layers.dropout import Dropout

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["FORMAT", "TORCH_MODULES", "export_torch", "from_torch", "to_torch", "torch_spec"]

FORMAT = "nn-torch-sequential"
INSTALL = "pip install torch (see pytorch.org for the build that fits your machine)"

#: (class name in torch.nn, keyword arguments, parameters by name) of one module.
Spec = tuple[str, dict[str, Any], dict[str, np.ndarray]]


def _linear(layer: Dense) -> Spec:
    # torch's weight is (out, in) and it computes x @ weight.T: weight = W.T gives x @ W
    shape = {"in_features": layer.n_in, "out_features": layer.n_out}
    return "Linear", shape, {"weight": layer.W.T, "bias": layer.b}


#: The one table towards PyTorch: layer class -> its module's spec.
TORCH_MODULES: dict[type, Callable[[Any], Spec]] = {
    Dense: _linear,
    Sigmoid: lambda layer: ("Sigmoid", {}, {}),
    Tanh: lambda layer: ("Tanh", {}, {}),
    ReLU: lambda layer: ("ReLU", {}, {}),
    LeakyReLU: lambda layer: ("LeakyReLU", {"negative_slope": layer.alpha}, {}),
    Identity: lambda layer: ("Identity", {}, {}),
    Softmax: lambda layer: ("Softmax", {"dim": -1}, {}),
    Dropout: lambda layer: ("Dropout", {"p": layer.rate}, {}),
}


def torch_spec(
    network: Network, *, logits: bool = False
) -> tuple[list[list[Any]], dict[str, np.ndarray]]:
    """What the ``nn.Sequential`` is made of, in plain Python and NumPy (no torch needed).

    Parameters
    ----------
    network : Network
    logits : bool, default False
        Leave out the loss's output function (the final softmax of a network trained with
        :class:`nn.SoftmaxCrossEntropy`), for training on with a loss that takes logits.

    Returns
    -------
    modules : list of [str, dict]
        Class name in ``torch.nn`` and keyword arguments of each module.
    state_dict : dict of str to ndarray
        ``"<module index>.<name>"`` -> parameter, in PyTorch's layout.

    Raises
    ------
    ValueError
        Naming the first layer (or loss) that has no PyTorch module here.
    """
    layers = list(network.layers) if logits else predict_layers(network)
    for layer in layers:  # every layer checked before any is translated
        if type(layer) not in TORCH_MODULES:
            raise unsupported(layer, "PyTorch export", TORCH_MODULES)
    modules, state = [], {}
    for i, layer in enumerate(layers):
        name, kwargs, params = TORCH_MODULES[type(layer)](layer)
        modules.append([name, kwargs])
        state.update({f"{i}.{k}": np.ascontiguousarray(v) for k, v in params.items()})
    return modules, state


def to_torch(network: Network, *, logits: bool = False) -> Any:
    """The network as a ``torch.nn.Sequential`` in eval mode, computing ``network.predict``.

    Parameters
    ----------
    network : Network
    logits : bool, default False
        See :func:`torch_spec`.

    Returns
    -------
    torch.nn.Sequential
        With the network's weights (copied) and dtype.
    """
    torch = require("torch", INSTALL, "PyTorch export")
    modules, state = torch_spec(network, logits=logits)
    model = torch.nn.Sequential(*(getattr(torch.nn, n)(**kw) for n, kw in modules))
    tensors = {k: torch.from_numpy(v.copy()) for k, v in state.items()}
    model.load_state_dict(tensors, assign=True)  # assign: the tensors' dtype is kept
    return model.eval()


def export_torch(network: Network, path: str | os.PathLike[str], *, logits: bool = False) -> None:
    """Write the network for PyTorch to ``path`` (see the module docstring), atomically."""
    torch = require("torch", INSTALL, "PyTorch export")
    modules, state = torch_spec(network, logits=logits)
    saved = {
        "format": FORMAT,
        "version": 1,
        "modules": modules,
        "state_dict": {k: torch.from_numpy(v.copy()) for k, v in state.items()},
    }
    atomic_write(path, lambda f: torch.save(saved, f))


# ---------------------------------------------------------------------------- from PyTorch
def _from_linear(module: Any, dtype: np.dtype) -> Dense:
    W = module.weight.detach().cpu().numpy().T  # (in, out), as here
    layer = Dense(W.shape[0], W.shape[1], init="glorot_uniform", rng=0, dtype=dtype)
    layer.params["W"][...] = W
    if module.bias is None:
        layer.params["b"][...] = 0
    else:
        layer.params["b"][...] = module.bias.detach().cpu().numpy()
    return layer


def _from_softmax(module: Any, dtype: np.dtype) -> Softmax:
    if module.dim not in (None, 1, -1):
        raise ValueError(
            f"from_torch: Softmax(dim={module.dim}) does not act on the features of a "
            "(batch, features) input; only dim=-1 or dim=1 translate"
        )
    return Softmax()


def _from_torch_table(torch: Any) -> dict[type, Callable[[Any, np.dtype], Layer]]:
    """The one table from PyTorch: module class -> function building the layer."""
    nn = torch.nn
    return {
        nn.Linear: _from_linear,
        nn.Sigmoid: lambda m, dtype: Sigmoid(),
        nn.Tanh: lambda m, dtype: Tanh(),
        nn.ReLU: lambda m, dtype: ReLU(),
        nn.LeakyReLU: lambda m, dtype: LeakyReLU(m.negative_slope),
        nn.Identity: lambda m, dtype: Identity(),
        nn.Softmax: _from_softmax,
        nn.Dropout: lambda m, dtype: Dropout(m.p),
    }


def _flat(model: Any, torch: Any) -> Iterator[Any]:
    """The modules of a Sequential, nested Sequentials opened."""
    for module in model:
        if isinstance(module, torch.nn.Sequential):
            yield from _flat(module, torch)
        else:
            yield module


def from_torch(model: Any, loss: str | Loss = "squared_error") -> Network:
    """A network with the layers and weights of a ``torch.nn.Sequential``.

    Parameters
    ----------
    model : torch.nn.Sequential
        Of the modules in the table of the module docstring (nested Sequentials are
        opened), float32 or float64.
    loss : str or Loss, default "squared_error"
        The loss the network is diagnosed or trained with here. With a loss on logits
        (``"softmax_cross_entropy"``, what ``torch.nn.CrossEntropyLoss`` computes), a final
        ``Softmax`` module is dropped, since the loss applies it; ``predict`` gives the
        same probabilities either way.

    Returns
    -------
    Network
        Its own copy of the weights; ``metadata["source"]`` is ``"pytorch"``.

    Raises
    ------
    ValueError
        Naming a module class that does not translate, or a dtype other than float32/64.
    TypeError
        If ``model`` is not a ``torch.nn.Sequential``.
    """
    torch = require("torch", INSTALL, "from_torch")
    if not isinstance(model, torch.nn.Sequential):
        raise TypeError(
            f"from_torch reads a torch.nn.Sequential, got {type(model).__name__}; write the "
            "model as a Sequential of supported modules (or copy its weights into one)"
        )
    modules = list(_flat(model, torch))
    table = _from_torch_table(torch)
    for module in modules:  # every module checked before any is translated
        if type(module) not in table:
            raise unsupported(module, "from_torch", table)
    dtypes = {p.dtype for p in model.parameters()} or {torch.float32}
    if not dtypes <= {torch.float32, torch.float64} or len(dtypes) > 1:
        raise ValueError(
            f"from_torch: the parameters are {sorted(map(str, dtypes))}; one of float32 or "
            "float64 translates (model.float() or model.double() first)"
        )
    dtype = np.dtype(str(dtypes.pop()).removeprefix("torch."))
    loss = lookup(LOSSES, loss, "loss")() if isinstance(loss, str) else loss
    layers = [table[type(m)](m, dtype) for m in modules]
    if loss.takes_logits and layers and isinstance(layers[-1], Softmax):
        layers.pop()  # the loss applies the softmax itself (its output, in predict)
    net = NETWORKS["Network"](layers, loss)
    net.metadata["source"] = "pytorch"
    return net
