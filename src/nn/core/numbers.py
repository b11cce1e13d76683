"""One check for every real-valued setting: a learning rate, a momentum, a dropout rate, ...

A setting that is a number must be given as one: ``float("3.0")`` would accept the string
``"3.0"`` and ``float(True)`` the bool ``True``, and ``float("nan")`` passes every comparison
written as ``not (x < lo)``. :func:`check_real` refuses all three before any work, naming the
setting, what was given and the interval expected, so that optimizers, schedules, layers,
callbacks, ``fit`` and a model file's description all say it the same way.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["check_real"]


def check_real(
    name: str,
    value: object,
    lo: float = -math.inf,
    hi: float = math.inf,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """``value`` as a finite ``float`` in the interval from ``lo`` to ``hi``.

    Parameters
    ----------
    name : str
        The setting, for the message (``"SGD: momentum"``).
    value : object
        What was given: an int or float (NumPy's too), never a bool or a string.
    lo, hi : float
        The bounds; infinite bounds only say "no bound" (the value must still be finite).
    lo_open, hi_open : bool
        Whether ``lo`` and ``hi`` themselves are excluded.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number (a str, a bool, None, an array).
    ValueError
        If it is NaN, infinite or outside the interval.
    """
    left = "(" if lo_open or math.isinf(lo) else "["
    interval = f"{left}{lo:g}, {hi:g}{')' if hi_open or math.isinf(hi) else ']'}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number in {interval}, got {type(value).__name__} {value!r}"[:300]
        )
    x = float(value)
    inside = (lo < x if lo_open else lo <= x) and (x < hi if hi_open else x <= hi)
    if not (math.isfinite(x) and inside):
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return x
