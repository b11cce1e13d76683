"""Saving and loading networks as ``.npz`` archives that never need pickle.

A model file is a NumPy ``.npz`` (a zip of ``.npy`` arrays) holding

* ``__nn_model__``: a JSON description as UTF-8 bytes (a uint8 array), with the format name,
  its version, the dtype, each layer's type and constructor arguments, the loss, the
  network's ``input_shape`` when it was built with one its first layer does not imply, and
  (when not empty) the network's ``metadata``, e.g. the dataset ``nn train`` trained it on;
* ``<layer index>.<parameter name>``: one array per parameter tensor (``"0.W"``, ``"0.b"``, ...),
  and likewise per buffer (batch norm's ``"1.running_mean"``; see :mod:`nn.core.layer`).

Reading is defensive, because a model file may come from anywhere:

* nothing is unpickled: each member's ``.npy`` header is parsed first and only plain numeric
  dtypes are accepted (no object arrays, no structured or string data);
* nothing is allocated from an unchecked size: each header's shape must agree with the
  member's size in the zip directory, the total must stay under ``max_bytes``, the JSON under
  1 MiB, and the description's layer sizes must agree with the stored arrays' shapes (via
  ``Layer.param_shapes``) before any layer is built;
* truncated, garbled or foreign files, unknown versions, unknown layer types, wrong dtypes,
  NaN or inf weights: each raises :class:`ModelFileError` saying what was wrong.

The file is written to a temporary name beside the target and renamed over it only when
complete, so a crash mid-save leaves any previous file intact.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.layer import layer_buffers
from nn.core.registry import LAYERS, LOSSES, NETWORKS
from nn.io.npz import (
    CHECKPOINT_ENTRY,
    MODEL_ENTRY,
    ModelFileError,
    SafeNpz,
    all_finite,
    atomic_write,
    json_bytes,
)

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = [
    "save",
    "load",
    "describe",
    "build",
    "ModelFileError",
    "FORMAT",
    "VERSION",
    "MAX_MODEL_BYTES",
]

FORMAT = "nn-model"
VERSION = 1
_META = MODEL_ENTRY

#: Largest total of array data :func:`load` accepts by default, in bytes.
MAX_MODEL_BYTES = 2 * 1024**3


def describe(network: Network, *, loadable: bool = True) -> dict[str, Any]:
    """The JSON-able description of ``network``'s architecture (no weights).

    With ``loadable`` (for model files), every layer and loss must be registered in
    :mod:`nn.core.registry` so that :func:`load` can rebuild it; a checkpoint only needs to
    recognize the network it is resumed into, so it passes False. ``input_shape`` (a list) is
    there only when the network's differs from its first layer's, so a network built without
    one is described exactly as before shapes existed.
    """
    description: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "dtype": network.dtype.name,
        "layers": [{"type": type(ly).__name__, "config": ly.config()} for ly in network.layers],
        "loss": {"type": type(network.loss).__name__, "config": network.loss.config()},
    }
    shape = network.input_shape
    if shape is not None and shape != getattr(network.layers[0], "input_shape", None):
        description["input_shape"] = list(shape)  # a list, as JSON reads it back
    parts = [*network.layers, network.loss]
    for part, entry in zip(parts, description["layers"] + [description["loss"]]):
        table = LOSSES if part is network.loss else LAYERS
        if loadable and table.get(entry["type"]) is not type(part):
            other = table.get(entry["type"])
            why = (
                "it is not a subclass of nn.Layer or nn.Loss, so load() could not rebuild it"
                if other is None
                else f"the name {entry['type']!r} belongs to {other.__module__}.{other.__name__}, "
                "which load() would build instead; give your class another name"
            )
            raise ValueError(f"cannot save a {entry['type']}: {why}")
    return description


def save(network: Network, path: str | os.PathLike[str]) -> None:
    """Write ``network`` to ``path`` (an ``.npz`` file), atomically.

    Parameters
    ----------
    network : Network
    path : str or path-like
        Written as given (no suffix is added).

    Raises
    ------
    OSError
        If the file cannot be written; the message names ``path``.
    ValueError
        If ``network.metadata`` holds anything but names mapped to str, finite numbers
        (numpy scalars are saved as the Python values they hold), bool or None.
    """
    arrays = {key: param for key, param, _ in network.parameters()}
    arrays.update(layer_buffers(network.layers))  # running averages and the like
    description = describe(network)
    metadata = getattr(network, "metadata", None)
    if metadata:
        description["metadata"] = _checked_metadata(
            metadata, lambda m: ValueError(f"cannot save: the network {m}")
        )
    arrays[_META] = json_bytes(description)
    atomic_write(path, lambda f: np.savez(f, **arrays))


def load(path: str | os.PathLike[str], *, max_bytes: int = MAX_MODEL_BYTES) -> Network:
    """Read a network written by :func:`save`.

    Parameters
    ----------
    path : str or path-like
    max_bytes : int, default MAX_MODEL_BYTES (2 GiB)
        Largest total of array data accepted.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ModelFileError
        If the file is not an nn model, is truncated or damaged, has an unknown version,
        carries anything but plain numeric arrays, its arrays contradict its description, or
        its metadata is not a mapping of names to plain values.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    if os.path.isdir(path):
        raise ModelFileError(f"{path!r} is a directory, not a model file")
    with SafeNpz(path, max_bytes) as npz:
        if _META not in npz.headers:
            raise npz.error(_not_a_model(npz.headers))
        description = npz.read_json(_META)
        arrays = {k: v for k, v in npz.headers.items() if k != _META}

        def read(key: str) -> np.ndarray:
            arr = npz.read(key)
            if not all_finite(arr):
                raise npz.error(f"array {key!r} holds NaN or infinite weights")
            return arr

        layers, loss = build(description, arrays, npz.error, read=read)
        # absent in files saved before metadata (or input shapes) existed
        metadata = _checked_metadata(description.get("metadata", {}), npz.error)
        input_shape = _checked_input_shape(description.get("input_shape"), npz.error)
    try:
        # looked up, not imported: nn.core.network imports this module for Network.save
        net = NETWORKS["Network"](layers, loss, input_shape=input_shape)
    except ValueError as err:
        raise ModelFileError(f"{path!r} describes layers that do not fit together: {err}") from None
    net.metadata = metadata
    return net


def _checked_input_shape(shape: Any, error: Callable[[str], Exception]) -> tuple[int, ...] | None:
    """The description's ``input_shape`` as a tuple of positive ints (None when absent)."""
    if shape is None:
        return None
    if (
        not isinstance(shape, list)
        or not 1 <= len(shape) <= 32  # NumPy's limit on axes
        or not all(type(d) is int and d >= 1 for d in shape)
    ):
        raise error(f"has an input_shape that is not a list of positive integers: {shape!r}"[:300])
    return tuple(shape)


def _checked_metadata(metadata: Any, error: Callable[[str], Exception]) -> dict[str, Any]:
    """A copy of ``metadata`` if it maps str names to plain values JSON can hold (numpy
    scalars become the Python values they hold); else ``error(message)`` is raised."""
    plain = (str, int, float, bool, type(None))
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, (*plain, np.bool_, np.integer, np.floating))
        for k, v in metadata.items()
    ):
        raise error(
            "has metadata that is not a mapping of names to plain values (str, numbers, bool "
            f"or None): {metadata!r}"[:300]
        )
    # np.float32(0.5) -> 0.5, np.int64(3) -> 3: JSON knows only Python's numbers
    checked = {k: v.item() if isinstance(v, np.generic) else v for k, v in metadata.items()}
    for k, v in checked.items():
        if isinstance(v, float) and not math.isfinite(v):
            raise error(
                f"has metadata {k!r} = {v!r}: {k!r} is NaN or infinite, which a model file "
                "cannot hold (JSON has no such numbers); store it as a string or leave it out"
            )
    return checked


def build(
    description: Any,
    arrays: dict[str, tuple[tuple[int, ...], np.dtype]],
    error: Any,
    read: Callable[[str], np.ndarray] | None = None,
) -> tuple[list[Any], Any]:
    """Layers and loss of a description, checked against the stored arrays' headers first.

    Every layer's :meth:`~nn.core.layer.Layer.param_shapes` must match the stored shapes and
    dtypes before the layer is built, and every constructor argument passes the layer's own
    checks, so a description cannot make ``load`` allocate more than the file holds.
    ``error(message)`` makes the exception to raise. With ``read`` (array name -> array), each
    layer is built around its stored arrays (:meth:`~nn.core.layer.Layer.from_arrays`), so
    no random weights are drawn and thrown away; without it, with fresh random weights.
    """
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise error(f"has a description that does not say format {FORMAT!r}")
    version = description.get("version")
    if type(version) is not int or version != VERSION:
        raise error(
            f"has model format version {version!r}; this nn reads version {VERSION}. "
            "Upgrade nn, or re-save the model with this version."
        )
    try:
        dtype = np.dtype(description["dtype"])
        if dtype.kind != "f":
            raise TypeError(f"dtype {dtype} is not a float type")
        entries = description["layers"]
        if not isinstance(entries, list) or not entries:
            raise TypeError("'layers' must be a non-empty list")
        plans = []
        for i, entry in enumerate(entries):
            cls, config = _entry(entry, LAYERS, f"layer {i}")
            shapes = cls.param_shapes(**config)
            buffers = getattr(cls, "buffer_shapes", lambda **_: {})(**config)
            for name, shape in {**shapes, **buffers}.items():
                key = f"{i}.{name}"
                if key not in arrays:
                    raise error(f"lacks array {key!r} (missing)")
                if arrays[key] != (tuple(shape), dtype):
                    found_shape, found_dtype = arrays[key]
                    raise error(
                        f"array {key!r} has shape {found_shape} and dtype {found_dtype}; the "
                        f"description implies {tuple(shape)} and {dtype}"
                    )
            plans.append((cls, config, shapes, buffers))
        stored = {f"{i}.{n}" for i, (_, _, s, b) in enumerate(plans) for n in {**s, **b}}
        extra = set(arrays) - stored
        if extra:
            owners = {plans[int(k)][0].__name__ for k in (e.split(".")[0] for e in extra)
                      if k.isdigit() and int(k) < len(plans)}  # fmt: skip
            hint = f" (not in the param_shapes or buffer_shapes of {', '.join(sorted(owners))})"
            raise error(f"has unexpected arrays {sorted(extra)}{hint if owners else ''}")
        loss_cls, loss_config = _entry(description["loss"], LOSSES, "the loss")
        loss = loss_cls(**loss_config)
        # Sizes are checked: building allocates no more than the file holds.
        layers = [
            cls(**config)
            if read is None
            else cls.from_arrays(config, {n: read(f"{i}.{n}") for n in shapes})
            for i, (cls, config, shapes, _) in enumerate(plans)
        ]
        if read is not None:  # the running averages and the like, after the parameters
            for i, (layer, (_, _, _, buffers)) in enumerate(zip(layers, plans)):
                for name in buffers:
                    layer.buffers[name] = read(f"{i}.{name}")
    except (KeyError, TypeError, ValueError, OverflowError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise error(f"has an invalid model description ({err!r})") from None
    for i, (layer, (_, _, shapes, buffers)) in enumerate(zip(layers, plans)):
        built = {n: p.shape for n, p in layer.params.items()}
        built_buffers = {n: b.shape for n, b in getattr(layer, "buffers", {}).items()}
        if built != {n: tuple(s) for n, s in shapes.items()} or built_buffers != {
            n: tuple(s) for n, s in buffers.items()
        }:
            raise error(
                f"layer {i} ({type(layer).__name__}) built parameters {built} and buffers "
                f"{built_buffers} but declared {shapes} and {buffers}"
            )
    return layers, loss


def _not_a_model(headers: dict[str, Any]) -> str:
    """Why an .npz without a model description is not a model, and what it is if we know."""
    if CHECKPOINT_ENTRY in headers:
        return (
            "is an nn checkpoint (the state of a training run, for resuming it), not a model: "
            "finish the run with `nn train ... --checkpoint PATH --resume --save MODEL` (or "
            "fit(..., resume=PATH) and save), then load or evaluate the saved model"
        )
    return f"is an .npz archive but not an nn model (no {_META!r} entry)"


def _entry(entry: Any, table: dict[str, type], what: str) -> tuple[type, dict[str, Any]]:
    """The class and constructor arguments of one ``{"type": ..., "config": {...}}`` entry."""
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        raise TypeError(f"{what} is not a {{'type': ..., 'config': ...}} entry")
    if entry["type"] not in table:
        raise KeyError(f"{what} has unknown type {entry['type']!r}")
    config = entry.get("config", {})
    if not isinstance(config, dict) or not all(
        isinstance(v, (int, float, str, bool, type(None))) for v in config.values()
    ):
        raise TypeError(f"{what} config must map names to plain numbers or strings")
    return table[entry["type"]], config
