"""Checkpoints: everything ``fit`` needs to continue a run exactly where it stopped.

A resumed run ends with weights identical bit for bit to an uninterrupted run with the same
seed, because a checkpoint holds every input of the remaining arithmetic:

* the weights, and the optimizer's :meth:`~nn.Optimizer.state_dict` (momentum, running
  averages, iteration count);
* the state of the shuffling generator, *after* it drew the current epoch's order, and that
  order itself, with the number of mini-batches of the epoch already done;
* the state of any generator a layer keeps in ``layer.rng`` (dropout, for one);
* the running sums of the epoch's loss and correct answers, and the history so far, so the
  resumed history matches too;
* what the callbacks that take part in the run have gathered (their ``state_dict()``:
  :class:`~nn.train.callbacks.EarlyStopping`'s best epoch, its weights and the epochs it
  waited), and whether the run has finished, by its epochs or because a callback stopped it;
* the run's settings (:mod:`nn.train.settings`), which a resume compares with its own in
  full: any difference is refused, naming the setting and both values.

The file is an ``.npz`` written atomically (:func:`nn.io.npz.atomic_write`) and read with the
same defences as a model file (:class:`nn.io.npz.SafeNpz`): never pickle, a regular file of a
bounded size, sizes checked against the network before anything is read, and every number
checked (:mod:`nn.train.checkpoint_checks`). Arrays: ``param/<key>`` per parameter,
``opt/<key>/<name>`` per optimizer state array, ``callback/<i>/<name>/<key>`` per array a
callback keeps, ``order``; JSON in ``__nn_checkpoint__``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.io.model_file import describe
from nn.io.npz import CHECKPOINT_ENTRY, ModelFileError, SafeNpz, atomic_write, json_bytes
from nn.train import checkpoint_checks as checks
from nn.train.settings import first_difference

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
    "load_callbacks",
    "check_writable",
]

FORMAT = "nn-checkpoint"
#: 2: with the run's settings, the callbacks' state and whether the run has finished.
VERSION = 2
_META = CHECKPOINT_ENTRY


class CheckpointError(ModelFileError):
    """The file is not a checkpoint this run can continue from; the message says why.

    Attributes
    ----------
    setting : str or None
        When the run's settings differ: the first that does (``"lr"``, ``"batch_size"``,
        ``"EarlyStopping.patience"``), with its value in the checkpoint (``saved``) and in
        this run (``given``), so the command line can name its own option.
    """

    def __init__(
        self, message: str, setting: str | None = None, saved: Any = None, given: Any = None
    ) -> None:
        super().__init__(message)
        self.setting, self.saved, self.given = setting, saved, given


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
    finished: str | None = None  # "epochs" or "callback" once the run is over
    callbacks: list[dict[str, Any] | None] | None = None  # states to load, when read


def capture(network: Network, optimizer: Optimizer, run: Any) -> Snapshot:
    """Copy the state of ``network``, ``optimizer`` and ``run`` (a training run's bookkeeping)."""
    return Snapshot(
        params={key: p.copy() for key, p in checks.state_arrays(network)},
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
        finished=run.finished,
    )


def restore(snap: Snapshot, network: Network, optimizer: Optimizer, run: Any) -> None:
    """Put a :class:`Snapshot` back: weights in place, optimizer state, generators, position."""
    for key, array in checks.state_arrays(network):
        array[...] = snap.params[key]
    optimizer.load_state_dict(snap.optimizer)
    if run.rng.bit_generator.state["bit_generator"] != snap.rng["bit_generator"]:
        run.rng = np.random.Generator(checks.BIT_GENERATORS[snap.rng["bit_generator"]]())
    run.rng.bit_generator.state = snap.rng
    for i, state in snap.layer_rngs.items():
        layer_rng = getattr(network.layers[int(i)], "rng", None)
        if isinstance(layer_rng, np.random.Generator):
            layer_rng.bit_generator.state = state
    run.epoch, run.batch, run.order, run.step = snap.epoch, snap.batch, snap.order, snap.step
    run.loss_sum, run.correct, run.finished = snap.loss_sum, snap.correct, snap.finished
    run.history.clear()
    run.history.update({k: list(v) if isinstance(v, list) else v for k, v in snap.history.items()})


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
    path: str,
    snap: Snapshot,
    network: Network,
    optimizer: Optimizer,
    settings: dict[str, Any],
    callbacks: Sequence[Any] = (),
) -> None:
    """Write ``snap`` to ``path`` atomically (temporary file, then rename).

    ``settings`` is :func:`nn.train.settings.run_settings` of the run; ``callbacks`` are the
    run's, whose ``state_dict()`` is written for each one that takes part in the run (has
    a ``config()``).
    """
    arrays: dict[str, np.ndarray] = {f"param/{k}": v for k, v in snap.params.items()}
    state_names = {}
    for key, entries in snap.optimizer["state"].items():
        state_names[key] = sorted(entries)
        for name, arr in entries.items():
            arrays[f"opt/{key}/{name}"] = np.asarray(arr)
    if snap.order is not None:
        arrays["order"] = snap.order
    states = []
    for i, cb in enumerate(_taking_part(callbacks)):
        state = cb.state_dict() if callable(getattr(cb, "state_dict", None)) else None
        if state is not None:  # a dict of arrays is stored as arrays, named in the JSON
            state = dict(state)
            for name, value in state.items():
                if isinstance(value, dict):
                    arrays.update({f"callback/{i}/{name}/{k}": v for k, v in value.items()})
                    state[name] = sorted(value)
        states.append(state)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "settings": settings,
        "optimizer": {"iterations": snap.optimizer["iterations"], "state": state_names},
        "rng": snap.rng,
        "layer_rngs": snap.layer_rngs,
        "position": {
            "epoch": snap.epoch,
            "batch": snap.batch,
            "step": snap.step,
            "loss_sum": snap.loss_sum,
            "correct": snap.correct,
            "finished": snap.finished,
        },
        "history": snap.history,
        "callbacks": states,
    }
    arrays[_META] = json_bytes(meta, allow_nan=True)
    atomic_write(path, lambda f: np.savez(f, **arrays))


def _taking_part(callbacks: Sequence[Any]) -> list[Any]:
    """The callbacks recorded in the settings (those with a ``config()``), in order."""
    return [
        cb for cb in callbacks if callable(getattr(cb, "config", None)) and cb.config() is not None
    ]


def read(
    path: str,
    network: Network,
    optimizer: Optimizer,
    settings: dict[str, Any],
    *,
    max_bytes: int = 2 * 1024**3,
) -> Snapshot:
    """Read a checkpoint for continuing a run of ``network`` with ``optimizer`` and ``settings``.

    Everything is checked before it is returned: the settings against the run's, every
    array against the network, every number of the description.

    Raises
    ------
    CheckpointError
        If the file is damaged or not a checkpoint, was written by an older nn, or by a run
        with other settings (the first difference is named, with both values).
    """
    path = os.fspath(path)
    with SafeNpz(path, max_bytes, what="nn checkpoint", error=CheckpointError) as npz:
        fail = npz.error
        if _META not in npz.headers:
            what = "an nn model" if "__nn_model__" in npz.headers else "an .npz archive"
            raise fail(f"is {what}, not an nn checkpoint (no {_META!r} entry)")
        meta = npz.read_json(_META, allow_nan=True)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise fail(f"is not an nn checkpoint (its description does not say {FORMAT!r})")
        if type(meta.get("version")) is not int or meta["version"] not in (1, VERSION):
            raise fail(f"has checkpoint version {meta.get('version')!r}; this nn reads 1 and 2")
        try:
            if meta["version"] == 1:
                meta = _from_version_1(meta, settings, fail)
        except (KeyError, TypeError, AttributeError) as err:
            raise fail(f"has an invalid description ({err!r})"[:400]) from None
        _check_same_run(meta.get("settings"), settings, path)
        try:
            return _snapshot(meta, npz, network, settings, fail)
        except CheckpointError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
            raise fail(f"has an invalid description ({err!r})"[:400]) from None


def _from_version_1(meta: dict[str, Any], settings: dict[str, Any], fail: Any) -> dict[str, Any]:
    """A checkpoint of nn 0.1.0 in this version's form.

    Version 1 recorded the network, the optimizer's type and config, the batch size and the
    training data, which are compared as ever; it did not record the validation split, the
    seed, the validation data or callbacks, so those are taken to be this run's. Its
    callbacks' state was never kept: with a callback taking part in this run (one with a
    ``config()``, such as EarlyStopping) it cannot continue exactly, and is refused.
    """
    if settings["callbacks"]:
        raise fail(
            "was written by nn 0.1.0, which kept no callback state, so a run with "
            f"{settings['callbacks'][0]['type']} cannot continue from it exactly; resume "
            "without that callback, or start the run afresh"
        )
    run, optimizer = meta["run"], meta["optimizer"]
    recorded = {
        "network": meta["model"],
        "optimizer": {"type": optimizer["type"], **optimizer["config"]},
        "batch_size": run["batch_size"],
        "training data": {"shapes": [run["x_shape"], run["t_shape"]], "crc32": run["crc32"]},
    }
    return {
        **meta,
        "settings": {**settings, **recorded},
        "optimizer": {"iterations": optimizer["iterations"], "state": optimizer["state"]},
        "position": {**meta["position"], "finished": None},
        "callbacks": [],
    }


def _check_same_run(saved: Any, settings: dict[str, Any], path: str) -> None:
    """Refuse a checkpoint of a run with other settings, naming the first that differs."""
    found = first_difference(saved, settings)
    if found is None:
        return
    name, theirs, mine = found
    if name == "network":
        said = f"a different network (checkpoint: {_summary(theirs)}, this one: {_summary(mine)})"
    elif name.endswith(" data"):
        said = f"different {name} ({_data(theirs)} in the checkpoint, {_data(mine)} now)"
    else:
        said = f"{name}={theirs!r}, and this run has {name}={mine!r}"
    raise CheckpointError(
        f"{path!r} was written by a run with {said}; resume with the same {name} to continue "
        "that run exactly, or start a new run (without resume, or with another checkpoint "
        "path)",
        setting=name,
        saved=theirs,
        given=mine,
    )


def _data(fingerprint: Any) -> str:
    """A data fingerprint for a message (whatever a damaged file holds there)."""
    if fingerprint is None:
        return "none"
    try:
        shapes = " and ".join("x".join(map(str, s)) for s in fingerprint["shapes"])
        return f"{shapes} with CRC-32 {fingerprint['crc32']}"
    except (KeyError, TypeError):
        return repr(fingerprint)[:100]


def _snapshot(
    meta: dict[str, Any],
    npz: SafeNpz,
    network: Network,
    settings: dict[str, Any],
    fail: Any,
) -> Snapshot:
    """The checkpoint's contents, each part checked against this run before it is trusted."""
    n = settings["training data"]["shapes"][0][0]
    n_batches = -(-n // settings["batch_size"])
    params = checks.parameters(npz, network, fail)
    state = checks.optimizer_state(npz, meta["optimizer"]["state"], params, fail)
    params |= checks.parameters(npz, network, fail, buffers=True)  # running averages
    pos = checks.position(meta["position"], n, n_batches, fail)
    order = checks.order(npz, n, pos["batch"], fail)
    callbacks = checks.callback_states(npz, meta["callbacks"], settings, params, fail)
    described = {_META, "order", *(f"param/{k}" for k in params)}
    described |= {f"opt/{k}/{name}" for k, names in state.items() for name in names}
    described |= {
        f"callback/{i}/{name}/{k}"
        for i, cb in enumerate(callbacks)
        for name, value in (cb or {}).items()
        if isinstance(value, dict)
        for k in value
    }
    if set(npz.headers) - described:
        odd = sorted(set(npz.headers) - described)[:5]
        raise fail(f"has arrays its description does not mention ({odd})")
    return Snapshot(
        params=params,
        optimizer={
            "config": settings["optimizer"],
            "iterations": checks.integer(meta["optimizer"]["iterations"], 0),
            "state": state,
        },
        rng=checks.rng_state(meta["rng"], fail),
        layer_rngs=checks.layer_rngs(meta["layer_rngs"], network, fail),
        epoch=pos["epoch"],
        batch=pos["batch"],
        order=order,
        step=pos["step"],
        loss_sum=pos["loss_sum"],
        correct=pos["correct"],
        history=checks.history(meta["history"], pos["epoch"] - 1, fail),
        finished=pos["finished"],
        callbacks=callbacks,
    )


def load_callbacks(snap: Snapshot, callbacks: Sequence[Any], path: str) -> None:
    """Give each callback taking part in the run its state from the checkpoint ``snap``."""
    for cb, state in zip(_taking_part(callbacks), snap.callbacks or []):
        if state is None:
            continue
        try:
            cb.load_state_dict(state)
        except (TypeError, ValueError) as err:
            raise CheckpointError(
                f"{path!r} has a state {type(cb).__name__} refuses: {err}"
            ) from None


def _summary(description: Any) -> str:
    try:
        layers = ", ".join(
            f"{e['type']}({', '.join(f'{k}={v}' for k, v in e['config'].items())})"
            for e in description["layers"]
        )
        return f"[{layers}] {description['dtype']}"
    except (KeyError, TypeError, AttributeError):
        return repr(description)[:200]
