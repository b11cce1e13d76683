"""Checks on what a user hands to the library, made before any work starts.

Every function here either returns the value in the form the caller needs (an array of the
network's dtype, a plain ``int``) or raises ``TypeError`` (wrong kind of thing: strings,
objects, a float where an integer is needed) or ``ValueError`` (right kind, wrong value:
shapes, ranges, NaN). Each message names the argument, says what was found and what was
expected, and, where there is one, the usual fix. :meth:`nn.Network.fit`, ``evaluate``,
``predict``, ``gradients`` and the ``nn`` command all use them, so a mistake gets the same
message wherever it is made.

The checks cost one pass over the data (a min and a max, which also catch NaN and inf),
done once per call, never per mini-batch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from nn.core.shapes import Shape, ShapeError, walk_shapes

__all__ = [
    "check_positive_int",
    "check_learning_rate",
    "check_seed",
    "check_inputs",
    "check_targets",
    "type_name",
]

_NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def type_name(value: object) -> str:
    """The name of ``value``'s type, for messages: ``"str"``, ``"ndarray"``."""
    return type(value).__name__


def check_positive_int(name: str, value: object) -> int:
    """``value`` as an ``int`` if it is a whole number >= 1.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (a bool, a float such as ``10.0``, a string).
    ValueError
        If it is an integer below 1.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        hint = ""
        if isinstance(value, float) and value.is_integer() and value >= 1:
            hint = f"; write {int(value)} instead of {value!r}"
        raise TypeError(
            f"{name} must be a positive integer, got {type_name(value)} {value!r}{hint}"
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (1 or more), got {value}")
    return int(value)


def check_learning_rate(name: str, value: object) -> float:
    """``value`` as a ``float`` if it is a finite real number > 0.

    A large learning rate is accepted here: whether it diverges is found out by training
    (see :class:`nn.TrainingDiverged`), not guessed.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a positive number such as 0.1 or 3.0, got {type_name(value)} {value!r}"
        )
    lr = float(value)
    if not math.isfinite(lr) or lr <= 0:
        raise ValueError(
            f"{name} must be a positive finite number such as 0.1 or 3.0, got {value!r}"
        )
    return lr


def check_seed(name: str, value: object) -> object:
    """Accept ``None``, an int >= 0, or anything numpy turns into a Generator."""
    if value is None or isinstance(
        value, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)
    ):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be None, an int >= 0 or a numpy Generator, got "
            f"{type_name(value)} {value!r}"
        )
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value}")
    return value


def _as_array(name: str, value: Any) -> np.ndarray:
    """``np.asarray(value)`` with the ragged-list and non-number cases explained."""
    if value is None:
        raise TypeError(f"{name} must be an array of numbers, got None")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"{name} could not be made into an array: its rows must all have the same length "
            f"and hold numbers (NumPy says: {err})"
        ) from None
    kind = arr.dtype.kind
    if kind in "US":
        raise TypeError(
            f"{name} holds strings (dtype {arr.dtype}); convert them to numbers first"
            + (
                ", e.g. class names to 0..k-1 with np.unique(y, return_inverse=True)[1]"
                if name.endswith("Y")
                else ""
            )
        )
    if kind == "O":
        raise TypeError(
            f"{name} has dtype object (mixed or non-numeric entries); it must hold numbers: "
            f"convert it, e.g. {name.split()[-1]}.astype(float), and check for entries that "
            "are not numbers"
        )
    if kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"{name} must hold real numbers (bool, int or float), got dtype {arr.dtype}"
        )
    return arr


def _nonfinite_report(name: str, arr: np.ndarray) -> str:
    """Where the NaN and inf values of ``arr`` are (only called when there are some)."""
    bad = ~np.isfinite(arr)
    n_nan = int(np.count_nonzero(np.isnan(arr)))
    n_inf = int(np.count_nonzero(bad)) - n_nan
    counts = [
        f"{k} {what}{'s' if k > 1 else ''}" for k, what in ((n_nan, "NaN"), (n_inf, "inf")) if k
    ]
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    where = f"row {first[0]}" + (f", column {first[1]}" if len(first) == 2 else "")
    where += f", entry {first[1:]}" if len(first) > 2 else ""
    return (
        f"{name} holds {' and '.join(counts)} (the first at {where}); it must hold finite "
        "numbers: drop those rows or fill them in (e.g. np.nan_to_num) before training"
    )


def _to_float(name: str, arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast to ``dtype`` and check that every value is finite afterwards.

    A finite float64 such as 1e300 becomes inf in float32, so the check comes after the
    cast (whose overflow is then reported here instead of as a NumPy warning).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        out = arr.astype(dtype, copy=False)
    if out.size and out.dtype.kind == "f" and not _all_finite(out):
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ValueError(_nonfinite_report(name, arr))
        big = float(np.abs(arr).max())
        raise ValueError(
            f"{name} holds values too large for {dtype} (largest magnitude {big:.3g}, "
            f"{dtype} reaches {float(np.finfo(dtype).max):.3g}); rescale the data, or "
            "build the network with dtype=np.float64"
        )
    return out


def _all_finite(a: np.ndarray) -> bool:
    """Whether every value of the float array ``a`` is finite: one pass when they are.

    A NaN or an inf anywhere makes the sum NaN or inf, so a finite sum clears every value
    (one reduction, no temporary array: ``fit`` runs this over the whole training set at
    every call). Finite values can overflow the sum too; only then do min and max, which
    propagate NaN and expose inf, decide.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(a.sum()):
            return True
    return math.isfinite(a.min()) and math.isfinite(a.max())


def _as_shape(shape: Shape | int | None) -> Shape | None:
    """An expected shape as a tuple (an int is the older way to say ``(n,)``), or None."""
    if shape is None:
        return None
    return (int(shape),) if isinstance(shape, numbers.Integral) else tuple(shape)


def check_inputs(
    X: Any,
    input_shape: Shape | int | None,
    dtype: np.dtype,
    *,
    name: str = "X",
    allow_empty: bool = False,
    layers: Sequence[Any] = (),
    expects: str = "the first layer",
) -> np.ndarray:
    """Inputs as an array of ``dtype`` of shape ``(n, *input_shape)`` (copied only if the dtype
    differs).

    Parameters
    ----------
    X : array_like of shape (n, *input_shape)
        ``(n, n_in)`` for a dense network, ``(n, C, H, W)`` for images, ...
    input_shape : tuple of int, int or None
        The shape of one example the network expects (an int ``n_in`` means ``(n_in,)``);
        None when it is not fixed.
    dtype : numpy dtype
        The network's dtype.
    name : str
        How the argument is called in messages.
    allow_empty : bool
        Accept ``n = 0`` (``predict`` does; training and evaluation need examples).
    layers : sequence of Layer, optional
        The network's layers: the shape of ``X``'s examples is walked through their
        ``output_shape`` (:func:`nn.core.shapes.walk_shapes`), so when no input shape is fixed
        the first layer that refuses it says why.
    expects : str
        Who expects ``input_shape``, for messages.

    Raises
    ------
    TypeError
        Strings, objects, complex numbers.
    ValueError
        Ragged rows, the wrong shape (with the usual fix: flatten images, reshape a single
        example), no examples, NaN or inf.
    """
    arr = _as_array(name, X)
    expected = _as_shape(input_shape)
    if arr.ndim == 0 and expected is None:
        raise ValueError(f"{name} must be an array with one entry per example, got a scalar")
    if expected is not None and arr.shape[1:] != expected:
        raise ValueError(_wrong_shape(name, arr.shape, expected, expects))
    if layers:
        try:
            walk_shapes(layers, arr.shape[1:])
        except ShapeError as err:
            layer_wants = getattr(err.layer, "input_shape", None)
            if err.shape == arr.shape[1:] and layer_wants is not None:  # it reached the layer as is
                who = "the first layer" if err.index == 0 else f"layer {err.index}"
                raise ValueError(_wrong_shape(name, arr.shape, tuple(layer_wants), who)) from None
            raise ValueError(
                f"{name} has shape {arr.shape}: examples of shape {arr.shape[1:]}, which the "
                f"network cannot take: {err}"
            ) from None
    if arr.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty (shape {arr.shape}); it needs at least one example")
    return _to_float(name, arr, np.dtype(dtype))


def _wrong_shape(name: str, shape: Shape, expected: Shape, expects: str) -> str:
    """Why data of ``shape`` does not fit examples of ``expected``, and the usual fix."""
    var = name.split()[-1]
    if len(expected) == 1:  # a vector per example: Nielsen's (n_examples, n_features) rows
        if len(shape) == 2:
            return (
                f"{name} has {shape[1]} features per example but {expects} expects "
                f"{expected[0]}; build the network with {shape[1]} inputs or pass the right data"
            )
        if len(shape) > 2:
            hint = f"flatten images first, e.g. {var}.reshape(len({var}), -1)"
            if math.prod(shape[1:]) != expected[0]:
                hint += f" (that gives {math.prod(shape[1:])} features; {expects} expects "
                hint += f"{expected[0]})"
        else:
            hint = (
                f"a single example needs {var}.reshape(1, -1), a single feature "
                f"{var}.reshape(-1, 1)"
            )
        return f"{name} must have shape (n_examples, n_features), got shape {shape}; {hint}"
    dims = ", ".join(str(d) for d in expected)
    if shape == expected:
        hint = f"a single example needs {var}.reshape(1, {dims})"
    elif len(shape) >= 1 and math.prod(shape[1:]) == math.prod(expected):
        hint = f"{expects} takes examples of shape {expected}: {var}.reshape(len({var}), {dims})"
    else:
        hint = f"{expects} takes examples of shape {expected}"
    return f"{name} must have shape (n_examples, {dims}), got shape {shape}; {hint}"


def check_targets(
    Y: Any, n: int, output_shape: Shape | int | None, dtype: np.dtype, *, name: str = "Y"
) -> np.ndarray:
    """Targets as ``(n, *output_shape)`` rows of ``dtype``; class labels become one-hot rows.

    Parameters
    ----------
    Y : array_like of shape (n,) integer class labels, or (n, *output_shape) targets
        ``(n, n_out)`` rows for a dense network. Class labels need an output of shape ``(k,)``.
    n : int
        Number of examples in the matching inputs.
    output_shape : tuple of int, int or None
        Shape of the network's output for one example (an int ``n_out`` means ``(n_out,)``);
        None: not known, so labels give the width and rows are taken as they are.
    dtype : numpy dtype

    Returns
    -------
    ndarray of shape (n, *output_shape)
        For a single output unit, labels 0/1 are the targets themselves (shape (n, 1)).

    Raises
    ------
    TypeError
        Strings, objects, 1-D floats (labels must be integers).
    ValueError
        Length other than ``n``, labels out of range, targets of the wrong shape, NaN or inf.
    """
    arr = _as_array(name, Y)
    out = _as_shape(output_shape)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array with one entry per example, got a scalar")
    if len(arr) != n:
        raise ValueError(
            f"{name} has {len(arr)} rows but X has {n}; they must match (one target per example)"
        )
    if out is not None and len(out) > 1:  # targets of the output's shape; no class labels
        if arr.shape[1:] != out:
            raise ValueError(
                f"{name} has shape {arr.shape} but the network's output has shape {out} per "
                f"example, so the targets must have shape ({n}, {', '.join(map(str, out))}) "
                "(class labels need an output of shape (k,))"
            )
        return _to_float(name, arr, np.dtype(dtype))
    n_out = None if out is None else out[0]
    if arr.ndim == 1:
        return _labels_to_rows(name, arr, n_out, np.dtype(dtype))
    if n_out is None:  # the output's shape is not known: the targets are taken as they are
        return _to_float(name, arr, np.dtype(dtype))
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D class labels of shape ({n},) or 2-D target rows of shape "
            f"({n}, n_out), got shape {arr.shape}"
        )
    if arr.shape[1] != n_out:
        more = ""
        if arr.shape[1] > 1 and n_out > 1:
            more = (
                f"; one-hot rows for {n_out} classes have width {n_out}, e.g. "
                f"np.eye({n_out})[labels]"
            )
        elif n_out == 1:
            more = "; with one output unit pass labels 0/1 of shape (n,) or (n, 1)"
        raise ValueError(
            f"{name} rows have width {arr.shape[1]} but the output layer has {n_out} units{more}"
        )
    return _to_float(name, arr, np.dtype(dtype))


def _labels_to_rows(name: str, y: np.ndarray, n_out: int | None, dtype: np.dtype) -> np.ndarray:
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise ValueError(_nonfinite_report(name, y))
        whole = bool(np.all(y == np.round(y)))
        fix = (
            f"pass {name.split()[-1]}.astype(int)"
            if whole
            else "for real-valued targets pass one row per example, e.g. Y.reshape(-1, 1)"
        )
        raise TypeError(
            f"{name} is 1-D, so it must hold integer class labels, got dtype {y.dtype}"
            f"{' (whole numbers stored as floats)' if whole else ''}; {fix}"
        )
    labels = y.astype(np.int64)
    lo, hi = (int(labels.min()), int(labels.max())) if labels.size else (0, 0)
    k = n_out if n_out is not None else hi + 1
    if k == 1:  # one output unit: labels 0/1 are the targets themselves
        if lo < 0 or hi > 1:
            raise ValueError(
                f"{name} holds labels from {lo} to {hi} but the output layer has one unit, so "
                "labels must be 0 or 1; for more classes give the last layer one unit per class"
            )
        return labels.reshape(-1, 1).astype(dtype)
    if lo < 0 or hi >= k:
        raise ValueError(
            f"{name} holds class labels from {lo} to {hi} but the output layer has {k} units, "
            f"so labels must be 0 .. {k - 1}"
        )
    T = np.zeros((len(labels), k), dtype=dtype)
    T[np.arange(len(labels)), labels] = 1
    return T
