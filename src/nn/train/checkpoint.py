"""Checkpoints: everything ``fit`` needs to continue a run exactly where it stopped.

A resumed run ends with weights identical bit for bit to an uninterrupted run with the same
seed, because a checkpoint holds every input of the remaining arithmetic:

* the weights, and the optimizer's :meth:`~nn.Optimizer.state_dict` (momentum, running
  averages, iteration count);
* the state of the shuffling generator, *after* it drew the current epoch's order, and that
  order itself, with the number of mini-batches of the epoch already done;
* the state of any generator a layer keeps in ``layer.rng`` (dropout, for one);
* the running sums of the epoch's loss and correct answers, and the history so far, so the
  resumed history matches too.

The file is an ``.npz`` written atomically (:func:`nn.io.model_file.atomic_write`) and read with
the same defences as a model file (:class:`nn.io.model_file.SafeNpz`): never pickle, sizes
checked against the network before anything is read. Arrays: ``param/<key>`` per parameter,
``opt/<key>/<name>`` per optimizer state array, ``order``; JSON in ``__nn_checkpoint__``.
Callbacks' own state is not saved: a stateful callback should rebuild it from the history
that ``on_train_begin`` receives.
"""

from __future__ import annotations

import copy
import os
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.layer import layer_buffers
from nn.io.model_file import describe
from nn.io.npz import ModelFileError, SafeNpz, atomic_write, json_bytes

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network
    from nn.optim.optimizers import Optimizer

__all__ = [
    "CheckpointError",
    "Snapshot",
    "capture",
    "restore",
    "write",
    "read",
    "fingerprint",
    "check_writable",
]

FORMAT = "nn-checkpoint"
VERSION = 1
_META = "__nn_checkpoint__"
#: Bit generators a checkpoint may name (never looked up by an arbitrary name).
_BIT_GENERATORS = {
    cls.__name__: cls
    for cls in (
        np.random.PCG64,
        np.random.PCG64DXSM,
        np.random.MT19937,
        np.random.Philox,
        np.random.SFC64,
    )
}


class CheckpointError(ModelFileError):
    """The file is not a checkpoint this run can continue from; the message says why."""


@dataclass
class Snapshot:
    """A training run's complete state at a step boundary (in memory; see :func:`write`).

    ``epoch`` counts from 1 and is the epoch in progress; ``batch`` is how many of its
    mini-batches are done; ``order`` is its permutation (None before it is drawn); ``step``
    counts optimizer steps over the whole run.
    """

    params: dict[str, np.ndarray]  # the weights and the layers' buffers, by key
    optimizer: dict[str, Any]
    rng: dict[str, Any]
    layer_rngs: dict[str, dict[str, Any]]
    epoch: int
    batch: int
    order: np.ndarray | None
    step: int
    loss_sum: float
    correct: int
    history: dict[str, Any]


def capture(network: Network, optimizer: Optimizer, run: Any) -> Snapshot:
    """Copy the state of ``network``, ``optimizer`` and ``run`` (a training run's bookkeeping)."""
    return Snapshot(
        params={key: p.copy() for key, p in _state_arrays(network)},
        optimizer=optimizer.state_dict(),
        rng=copy.deepcopy(run.rng.bit_generator.state),
        layer_rngs={
            str(i): copy.deepcopy(layer.rng.bit_generator.state)
            for i, layer in enumerate(network.layers)
            if isinstance(getattr(layer, "rng", None), np.random.Generator)
        },
        epoch=run.epoch,
        batch=run.batch,
        order=run.order,  # never modified in place, so shared
        step=run.step,
        loss_sum=run.loss_sum,
        correct=run.correct,
        history={
            k: list(v) if isinstance(v, list) else copy.deepcopy(v) for k, v in run.history.items()
        },
    )


def _state_arrays(network: Network) -> list[tuple[str, np.ndarray]]:
    """The weights, then the layers' buffers (batch norm's running averages): what a step
    changes in the network, keyed ``"<layer index>.<name>"``."""
    return [(k, p) for k, p, _ in network.parameters()] + list(layer_buffers(network.layers))


def restore(snap: Snapshot, network: Network, optimizer: Optimizer, run: Any) -> None:
    """Put a :class:`Snapshot` back: weights in place, optimizer state, generators, position."""
    for key, array in _state_arrays(network):
        array[...] = snap.params[key]
    optimizer.load_state_dict(snap.optimizer)
    if run.rng.bit_generator.state["bit_generator"] != snap.rng["bit_generator"]:
        run.rng = np.random.Generator(_BIT_GENERATORS[snap.rng["bit_generator"]]())
    run.rng.bit_generator.state = snap.rng
    for i, state in snap.layer_rngs.items():
        layer_rng = getattr(network.layers[int(i)], "rng", None)
        if isinstance(layer_rng, np.random.Generator):
            layer_rng.bit_generator.state = state
    run.epoch, run.batch, run.order, run.step = snap.epoch, snap.batch, snap.order, snap.step
    run.loss_sum, run.correct = snap.loss_sum, snap.correct
    run.history.clear()
    run.history.update({k: list(v) if isinstance(v, list) else v for k, v in snap.history.items()})


def fingerprint(X: np.ndarray, T: np.ndarray, batch_size: int) -> dict[str, Any]:
    """What must not change between an interrupted run and its resumption."""
    crc = zlib.crc32(np.ascontiguousarray(X).data)
    crc = zlib.crc32(np.ascontiguousarray(T).data, crc)
    return {
        "n": len(X),
        "x_shape": list(X.shape),
        "t_shape": list(T.shape),
        "crc32": crc,
        "batch_size": batch_size,
    }


def check_writable(network: Network, optimizer: Optimizer) -> None:
    """Raise now if a checkpoint of this network and optimizer could not be written later."""
    try:
        json_bytes([describe(network, loadable=False), optimizer.config()], allow_nan=True)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"checkpoint: the network's or optimizer's config() cannot be written as JSON "
            f"({err}); every config value must be a number, string, bool or None"
        ) from None


def write(
    path: str, snap: Snapshot, network: Network, optimizer: Optimizer, run_id: dict[str, Any]
) -> None:
    """Write ``snap`` to ``path`` atomically (temporary file, then rename)."""
    arrays: dict[str, np.ndarray] = {f"param/{k}": v for k, v in snap.params.items()}
    state_names = {}
    for key, entries in snap.optimizer["state"].items():
        state_names[key] = sorted(entries)
        for name, arr in entries.items():
            arrays[f"opt/{key}/{name}"] = np.asarray(arr)
    if snap.order is not None:
        arrays["order"] = snap.order
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "model": describe(network, loadable=False),
        "optimizer": {
            "type": type(optimizer).__name__,
            "config": snap.optimizer["config"],
            "iterations": snap.optimizer["iterations"],
            "state": state_names,
        },
        "rng": snap.rng,
        "layer_rngs": snap.layer_rngs,
        "position": {
            "epoch": snap.epoch,
            "batch": snap.batch,
            "step": snap.step,
            "loss_sum": snap.loss_sum,
            "correct": snap.correct,
        },
        "history": snap.history,
        "run": run_id,
    }
    arrays[_META] = json_bytes(meta, allow_nan=True)
    atomic_write(path, lambda f: np.savez(f, **arrays))


def read(
    path: str,
    network: Network,
    optimizer: Optimizer,
    run_id: dict[str, Any],
    *,
    max_bytes: int = 2 * 1024**3,
) -> Snapshot:
    """Read a checkpoint for continuing a run of ``network`` with ``optimizer`` on the same data.

    Raises
    ------
    CheckpointError
        If the file is damaged or not a checkpoint, or was written by another network, with
        another optimizer type, other data or another batch size.
    """
    path = os.fspath(path)
    with SafeNpz(path, max_bytes, what="nn checkpoint", error=CheckpointError) as npz:
        fail = npz.error
        if _META not in npz.headers:
            raise fail(f"is not an nn checkpoint (no {_META!r} entry)")
        meta = npz.read_json(_META, allow_nan=True)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise fail(f"is not an nn checkpoint (its description does not say {FORMAT!r})")
        if type(meta.get("version")) is not int or meta["version"] != VERSION:
            raise fail(f"has checkpoint version {meta.get('version')!r}; this nn reads {VERSION}")
        try:
            return _snapshot(meta, npz, network, optimizer, run_id, fail)
        except CheckpointError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
            raise fail(f"has an invalid description ({err!r})") from None


def _snapshot(
    meta: dict[str, Any],
    npz: SafeNpz,
    network: Network,
    optimizer: Optimizer,
    run_id: dict[str, Any],
    fail: Any,
) -> Snapshot:
    """The checkpoint's contents, each part checked against this run before it is trusted."""
    _check_same_run(meta, network, optimizer, run_id, fail)
    opt_meta = meta["optimizer"]
    params, state = _arrays(npz, opt_meta["state"], network, fail)
    pos = meta["position"]
    epoch, batch, step, order = _position(pos, npz, run_id, fail)
    history = _history(meta["history"], fail)
    return Snapshot(
        params=params,
        optimizer={
            "config": opt_meta["config"],
            "iterations": _int(opt_meta["iterations"], 0),
            "state": state,
        },
        rng=_rng_state(meta["rng"], fail),
        layer_rngs={
            str(_int(int(i), 0, len(network.layers) - 1)): _rng_state(s, fail)
            for i, s in meta["layer_rngs"].items()
        },
        epoch=epoch,
        batch=batch,
        order=order,
        step=step,
        loss_sum=float(pos["loss_sum"]),
        correct=_int(pos["correct"], 0),
        history={k: v for k, v in history.items() if k != "stopped"},
    )


def _check_same_run(
    meta: dict[str, Any],
    network: Network,
    optimizer: Optimizer,
    run_id: dict[str, Any],
    fail: Any,
) -> None:
    """Refuse a checkpoint of another network, other data, batch size or optimizer type."""
    mine = describe(network, loadable=False)
    if meta["model"] != mine:
        raise fail(
            "was written by a different network; resume with the same architecture "
            f"(checkpoint: {_summary(meta['model'])}, this network: {_summary(mine)})"
        )
    for key in ("n", "x_shape", "t_shape", "batch_size", "crc32"):
        if meta["run"].get(key) != run_id[key]:
            what = "batch_size" if key == "batch_size" else "training data"
            raise fail(
                f"was written with a different {what} ({key}: {meta['run'].get(key)!r}, now "
                f"{run_id[key]!r}); resume with exactly the same data and batch_size"
            )
    if meta["optimizer"]["type"] != type(optimizer).__name__:
        raise fail(
            f"was written with optimizer {meta['optimizer']['type']}, this fit uses "
            f"{type(optimizer).__name__}; resume with the same optimizer"
        )


def _arrays(
    npz: SafeNpz, state_names: dict[str, Any], network: Network, fail: Any
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    """The weights and the optimizer's state arrays, once every header matches the network.

    ``state_names`` maps a parameter key to the names of its optimizer state arrays.
    """
    expected = {f"param/{k}": (p.shape, p.dtype) for k, p in _state_arrays(network)}
    names = {f"opt/{k}/{n}" for k, ns in state_names.items() for n in ns}
    if not all(isinstance(k, str) for k in names):
        raise fail("has invalid optimizer state names")
    for key, (shape, dtype) in expected.items():
        if npz.headers.get(key) != (shape, dtype):
            raise fail(
                f"array {key!r} is {npz.headers.get(key)}; the network needs {(shape, dtype)}"
            )
    extra = set(npz.headers) - set(expected) - names - {"order", _META}
    if extra or not names <= set(npz.headers):
        odd = sorted(extra or names - set(npz.headers))
        raise fail(f"has arrays that do not match its description ({odd})")
    params = {k[len("param/") :]: npz.read(k) for k in expected}
    if not all(np.isfinite(p).all() for p in params.values()):
        raise fail("holds NaN or infinite weights")
    state = {k: {n: npz.read(f"opt/{k}/{n}") for n in ns} for k, ns in state_names.items()}
    return params, state


def _position(
    pos: dict[str, Any], npz: SafeNpz, run_id: dict[str, Any], fail: Any
) -> tuple[int, int, int, np.ndarray | None]:
    """``(epoch, batch, step, order)``: where the run stopped, and its epoch's permutation."""
    n_batches = -(-run_id["n"] // run_id["batch_size"])
    epoch, batch, step = (
        _int(pos["epoch"], 1),
        _int(pos["batch"], 0, n_batches),
        _int(pos["step"], 0),
    )
    order = None
    if "order" in npz.headers:
        if npz.headers["order"] != ((run_id["n"],), np.dtype(np.int64)):
            raise fail(
                f"has an epoch order of {npz.headers['order']}, not a permutation of {run_id['n']}"
            )
        order = npz.read("order")
        if not np.array_equal(np.sort(order), np.arange(run_id["n"])):
            raise fail("has an epoch order that is not a permutation of the examples")
    elif batch:
        raise fail("is in the middle of an epoch but lacks the epoch's order")
    return epoch, batch, step, order


def _history(history: Any, fail: Any) -> dict[str, Any]:
    """The history so far: a dict of per-epoch lists with at least ``fit``'s keys."""
    required = {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    if (
        not isinstance(history, dict)
        or not required <= set(history)
        or not all(isinstance(v, list) for k, v in history.items() if k != "stopped")
    ):
        raise fail("has an invalid history")
    return history


def _int(value: Any, lo: int, hi: int | None = None) -> int:
    if type(value) is not int or value < lo or (hi is not None and value > hi):
        raise ValueError(
            f"{value!r} is not an integer in [{lo}, {hi if hi is not None else 'inf'}]"
        )
    return value


def _rng_state(state: Any, fail: Any) -> dict[str, Any]:
    """Check a bit generator state by loading it into a fresh generator of its kind."""
    if not isinstance(state, dict) or state.get("bit_generator") not in _BIT_GENERATORS:
        raise fail("has an invalid random generator state")
    try:
        bg = _BIT_GENERATORS[state["bit_generator"]]()
        bg.state = state
    except (ValueError, TypeError, KeyError, OverflowError) as err:
        raise fail(f"has an invalid random generator state ({err})") from None
    return bg.state


def _summary(description: Any) -> str:
    try:
        layers = ", ".join(
            f"{e['type']}({', '.join(f'{k}={v}' for k, v in e['config'].items())})"
            for e in description["layers"]
        )
        return f"[{layers}] {description['dtype']}"
    except (KeyError, TypeError, AttributeError):
        return repr(description)[:200]
