"""Every part of a checkpoint checked before a resumed run trusts it.

A checkpoint is read like a model file, from anywhere: a hand edit, a truncated copy, a file
of another run. Each function here takes one part of it, the JSON description or the arrays
:class:`~nn.io.npz.SafeNpz` has already checked for size and kind, and returns it in the form
:mod:`nn.train.checkpoint` restores, or raises ``fail(message)`` (a
:class:`~nn.train.checkpoint.CheckpointError`) naming what is wrong. Every number is checked
for its type and range (a loss sum is a finite float, not the string ``"1.5"`` or NaN), every
array for its shape, dtype and finiteness against the parameter it belongs to, so a bad
checkpoint is refused before any work instead of failing later (a broadcast error in the
optimizer) or poisoning the history.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.layer import layer_buffers
from nn.io.npz import SafeNpz, all_finite

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = [
    "BIT_GENERATORS",
    "callback_states",
    "history",
    "integer",
    "layer_rngs",
    "optimizer_state",
    "order",
    "parameters",
    "position",
    "rng_state",
]

#: Bit generators a checkpoint may name (never looked up by an arbitrary name).
BIT_GENERATORS = {
    cls.__name__: cls
    for cls in (
        np.random.PCG64,
        np.random.PCG64DXSM,
        np.random.MT19937,
        np.random.Philox,
        np.random.SFC64,
    )
}
#: The keys every history has, with what each entry may be.
_ROWS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")


def integer(value: Any, lo: int, hi: int | None = None) -> int:
    """``value`` if it is an int (not a bool) in ``[lo, hi]``; else ValueError."""
    if type(value) is not int or value < lo or (hi is not None and value > hi):
        raise ValueError(
            f"{value!r} is not an integer in [{lo}, {hi if hi is not None else 'inf'}]"[:200]
        )
    return value


def _real(value: Any, what: str, *, finite: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} is {value!r}, not a number"[:200])
    if finite and not math.isfinite(value):
        raise ValueError(f"{what} is {value!r}, not a finite number")
    return float(value)


def state_arrays(network: Network) -> list[tuple[str, np.ndarray]]:
    """The weights, then the layers' buffers (batch norm's running averages): what a training
    step changes in the network, keyed ``"<layer index>.<name>"``, stored as ``param/<key>``."""
    return [(k, p) for k, p, _ in network.parameters()] + list(layer_buffers(network.layers))


def parameters(
    npz: SafeNpz, network: Network, fail: Any, *, buffers: bool = False
) -> dict[str, np.ndarray]:
    """The weights (and with ``buffers`` the layers' buffers only), once every stored header
    matches the network's array of that key."""
    params = {}
    n = sum(1 for _ in network.parameters())
    arrays = state_arrays(network)[n:] if buffers else state_arrays(network)[:n]
    for key, p in arrays:
        found = npz.headers.get(f"param/{key}")
        if found != (p.shape, p.dtype):
            raise fail(f"array 'param/{key}' is {found}; the network needs {(p.shape, p.dtype)}")
    for key, _ in arrays:
        params[key] = npz.read(f"param/{key}")
        if not all_finite(params[key]):
            raise fail(f"holds NaN or infinite weights (param/{key})")
    return params


def _like_params(
    npz: SafeNpz, names: dict[str, str], params: dict[str, np.ndarray], fail: Any
) -> dict[str, np.ndarray]:
    """The arrays ``names`` (parameter key -> array name), each of its parameter's shape and
    dtype and finite: the optimizers' state and the callbacks' copies of weights are all such.
    """
    out = {}
    for key, name in names.items():
        p = params.get(key) if isinstance(key, str) else None
        if p is None:
            raise fail(f"has an array {name!r} of a parameter the network does not have"[:300])
        if npz.headers.get(name) != (p.shape, p.dtype):
            raise fail(f"array {name!r} is {npz.headers.get(name)}, not {(p.shape, p.dtype)}")
        out[key] = npz.read(name)
        if not all_finite(out[key]):
            raise fail(f"array {name!r} holds NaN or infinite values")
    return out


def optimizer_state(
    npz: SafeNpz, names: Any, params: dict[str, np.ndarray], fail: Any
) -> dict[str, dict[str, np.ndarray]]:
    """The optimizer's state arrays: for every parameter or for none, the same names for each
    (``{"0.W": ["velocity"], ...}`` for momentum), each of its parameter's shape."""
    if not isinstance(names, dict) or not all(
        isinstance(v, list) and all(isinstance(n, str) and "/" not in n for n in v)
        for v in names.values()
    ):
        raise fail("has an invalid optimizer state description")
    kinds = {tuple(v) for v in names.values()}
    if len(kinds) > 1 or (names and set(names) != set(params)):
        raise fail(
            f"has optimizer state for some parameters only, or of mixed kinds: {names}"[:300]
        )
    state: dict[str, dict[str, np.ndarray]] = {k: {} for k in names}
    for name in next(iter(kinds), ()):
        arrays = _like_params(npz, {k: f"opt/{k}/{name}" for k in names}, params, fail)
        for key, arr in arrays.items():
            state[key][name] = arr
    return state


def position(pos: Any, n: int, n_batches: int, fail: Any) -> dict[str, Any]:
    """Where the run stopped: epoch in progress, mini-batches done in it, steps done in all,
    the epoch's running sums so far, and whether the run has finished; all consistent."""
    if not isinstance(pos, dict):
        raise fail("has an invalid position")
    epoch, batch = integer(pos["epoch"], 1), integer(pos["batch"], 0, n_batches)
    step = integer(pos["step"], 0)
    if step != (epoch - 1) * n_batches + batch:
        raise fail(
            f"says step {step} at mini-batch {batch} of epoch {epoch}, but epochs of "
            f"{n_batches} mini-batches put that at step {(epoch - 1) * n_batches + batch}"
        )
    loss_sum = _real(pos["loss_sum"], "the epoch's loss sum")
    correct = integer(pos["correct"], 0, n)
    if batch == 0 and (loss_sum != 0 or correct != 0):
        raise fail("has running sums for an epoch not yet begun")
    if pos.get("finished") not in (None, "epochs", "callback"):
        raise fail(f"says the run finished by {pos.get('finished')!r}"[:200])
    return {**pos, "epoch": epoch, "batch": batch, "step": step, "loss_sum": loss_sum,
            "correct": correct}  # fmt: skip


def order(npz: SafeNpz, n: int, batch: int, fail: Any) -> np.ndarray | None:
    """The epoch's permutation of the ``n`` examples (None before it is drawn)."""
    if "order" not in npz.headers:
        if batch:
            raise fail("is in the middle of an epoch but lacks the epoch's order")
        return None
    if npz.headers["order"] != ((n,), np.dtype(np.int64)):
        raise fail(f"has an epoch order of {npz.headers['order']}, not a permutation of {n}")
    perm = npz.read("order")
    if not np.array_equal(np.sort(perm), np.arange(n)):
        raise fail("has an epoch order that is not a permutation of the examples")
    return perm


def history(rows: Any, epochs_done: int, fail: Any) -> dict[str, Any]:
    """The history so far: one row per completed epoch under every key, each entry what
    ``fit`` writes there (``epoch`` 1, 2, ...; a finite loss; an accuracy in [0, 1] or None;
    a validation loss or None; seconds >= 0); extra keys (from callbacks) hold plain values."""
    if not isinstance(rows, dict) or not set(_ROWS) <= set(rows):
        raise fail("has an invalid history (a key is missing)")
    for key, values in rows.items():
        if key == "stopped":
            continue
        if not isinstance(values, list) or len(values) != epochs_done:
            raise fail(f"has a history whose {key!r} does not hold one entry per epoch done")
        for v in values:
            _entry(key, v)
    if rows["epoch"] != list(range(1, epochs_done + 1)):
        raise fail("has a history whose epochs are not 1, 2, 3, ...")
    return {k: v for k, v in rows.items() if k != "stopped"}


def _entry(key: str, v: Any) -> None:
    """One history entry, by what its key holds (ValueError if it cannot be that)."""
    if key == "epoch":
        integer(v, 1)
    elif key in ("loss", "seconds"):
        if _real(v, f"a history {key}") < 0 and key == "seconds":
            raise ValueError(f"a history {key} is negative ({v!r})")
    elif key in ("accuracy", "val_accuracy") and v is not None:
        if not 0 <= _real(v, f"a history {key}") <= 1:
            raise ValueError(f"a history {key} is {v!r}, not in [0, 1]")
    elif key == "val_loss" and v is not None:
        _real(v, "a history val_loss", finite=False)  # an inf validation loss did happen
    elif not (v is None or isinstance(v, (str, bool)) or isinstance(v, numbers.Real)):
        raise ValueError(f"a history {key} entry is {v!r}, not a plain value"[:200])


def rng_state(state: Any, fail: Any) -> dict[str, Any]:
    """Check a bit generator state by loading it into a fresh generator of its kind."""
    if not isinstance(state, dict) or state.get("bit_generator") not in BIT_GENERATORS:
        raise fail("has an invalid random generator state")
    try:
        bg = BIT_GENERATORS[state["bit_generator"]]()
        bg.state = state
    except (ValueError, TypeError, KeyError, OverflowError) as err:
        raise fail(f"has an invalid random generator state ({err})") from None
    return bg.state


def layer_rngs(states: Any, network: Network, fail: Any) -> dict[str, dict[str, Any]]:
    """The generators of the network's random layers, by layer index; each index must be a
    layer that has a generator, so that no saved state is silently dropped."""
    if not isinstance(states, dict):
        raise fail("has an invalid description of the layers' generators")
    out = {}
    for i, state in states.items():
        index = integer(int(i), 0, len(network.layers) - 1)
        if not isinstance(getattr(network.layers[index], "rng", None), np.random.Generator):
            raise fail(f"has a generator state for layer {index}, which draws no random numbers")
        out[str(index)] = rng_state(state, fail)
    return out


def callback_states(
    npz: SafeNpz,
    states: Any,
    settings: dict[str, Any],
    params: dict[str, np.ndarray],
    fail: Any,
) -> list[dict[str, Any] | None]:
    """The state of each callback taking part in the run, in the order of the settings:
    plain JSON values, and dicts of arrays of the parameters' shapes (read from the file)."""
    if not isinstance(states, list) or len(states) != len(settings["callbacks"]):
        raise fail("has callback states that do not match its callbacks")
    out: list[dict[str, Any] | None] = []
    for i, state in enumerate(states):
        if state is None:
            out.append(None)
            continue
        if not isinstance(state, dict):
            raise fail(f"has an invalid state for callback {i}")
        loaded = {}
        for name, value in state.items():
            if isinstance(value, list):  # the parameter keys of a dict of arrays
                names = {k: f"callback/{i}/{name}/{k}" for k in value}
                loaded[name] = _like_params(npz, names, params, fail)
            elif value is None or isinstance(value, (str, bool, numbers.Real)):
                loaded[name] = value
            else:
                raise fail(f"has an invalid value in the state of callback {i}: {value!r}"[:300])
        out.append(loaded)
    return out
