"""The playground's settings: what a page's URL holds, checked before anything is built.

A setup travels as a flat mapping of strings (the page's query string, ``?dataset=xor&lr=0.3``).
:func:`parse` turns it into a :class:`Settings` or raises :class:`SettingsError` with one
sentence per bad key, naming the key, the value found and what is allowed: that sentence is
what the page shows (with HTTP status 400), so a hand-edited URL gets an answer, never a
traceback. :func:`to_query` is the way back; ``parse(to_query(s)) == s``.

The names follow the TensorFlow Playground where it has one, so its links translate by eye.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

from nn.layers.initializers import INITIALIZERS

__all__ = [
    "ACTIVATIONS",
    "CLASSIFICATION",
    "DEFAULTS",
    "FEATURE_NAMES",
    "LIVE",
    "LOSSES",
    "REGRESSION",
    "REGULARIZATIONS",
    "SPEEDS",
    "Settings",
    "SettingsError",
    "parse",
    "to_query",
]

#: Data sets by kind of problem (their generators are in :mod:`nn.playground.data`).
CLASSIFICATION = ("circle", "xor", "gauss", "spiral", "moons")
REGRESSION = ("plane", "bumps")
#: Input features, in the order the network sees them.
FEATURE_NAMES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "identity")
LOSSES = ("squared_error", "cross_entropy")
REGULARIZATIONS = ("none", "l1", "l2")
#: Training steps per second: a number, or as many as the machine does.
SPEEDS = ("1", "10", "100", "1000", "max")
MAX_LAYERS, MAX_NEURONS = 6, 8
MAX_BATCH = 100


class SettingsError(ValueError):
    """Bad settings; the message says which and what is allowed (shown on the page)."""


@dataclass(frozen=True)
class Settings:
    """One playground setup. See :data:`DEFAULTS` for the values a fresh page starts with.

    Attributes
    ----------
    problem : "classification" or "regression"
    dataset : str
        One of :data:`CLASSIFICATION` or :data:`REGRESSION`, matching ``problem``.
    noise : int
        0 to 50 (percent, as in the TensorFlow Playground); see :mod:`nn.playground.data`.
    ratio : int
        Percentage of the 500 points used for training, 10 to 90; the rest is the test set.
    batch : int
        Mini-batch size, 1 to 100.
    features : tuple of str
        Input features, a non-empty subset of :data:`FEATURE_NAMES`.
    hidden : tuple of int
        Neurons per hidden layer, 0 to 6 layers of 1 to 8.
    activation, init, loss : str
        Hidden activation, weight initializer (:data:`nn.layers.initializers.INITIALIZERS`),
        loss. The output unit is a sigmoid for classification, linear for regression.
    lr : float
        Learning rate of plain SGD, in (0, 100].
    reg : "none", "l1" or "l2"
    reg_rate : float
        Regularization rate, in [0, 100]: ``l2`` is ``nn.SGD(weight_decay=reg_rate)``, ``l1`` adds
        ``reg_rate * sign(W)`` to each weight matrix's gradient.
    seed : int
        Seed of the data, the initial weights and the order of the mini-batches.
    speed : str
        One of :data:`SPEEDS`: training steps per second.
    show_test, discretize : bool
        How the page draws the output (the server only keeps them in the URL).
    """

    problem: str = "classification"
    dataset: str = "circle"
    noise: int = 0
    ratio: int = 50
    batch: int = 10
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    init: str = "glorot_uniform"
    loss: str = "cross_entropy"
    lr: float = 0.1
    reg: str = "none"
    reg_rate: float = 0.0
    seed: int = 1
    speed: str = "100"
    show_test: bool = False
    discretize: bool = False

    def differs_only_in_live(self, other: Settings) -> bool:
        """Whether ``other`` can be applied without rebuilding (only :data:`LIVE` keys differ)."""
        return all(
            getattr(self, f.name) == getattr(other, f.name)
            for f in fields(self)
            if f.name not in LIVE
        )


DEFAULTS = Settings()
#: Settings a running network takes as they are, without starting again.
LIVE = frozenset({"lr", "reg", "reg_rate", "batch", "speed", "show_test", "discretize"})


def _choice(key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SettingsError(f"{key} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _int(key: str, value: str, lo: int, hi: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(
            f"{key} must be a whole number from {lo} to {hi}; got {value!r}"
        ) from None
    if not lo <= number <= hi:
        raise SettingsError(f"{key} must be from {lo} to {hi}; got {number}")
    return number


def _float(key: str, value: str, lo: float, hi: float, *, lo_open: bool) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    inside = (lo < number if lo_open else lo <= number) and number <= hi
    if not (math.isfinite(number) and inside):
        bound = f"more than {lo:g}" if lo_open else f"at least {lo:g}"
        raise SettingsError(f"{key} must be a number {bound} and at most {hi:g}; got {value!r}")
    return number


def _bool(key: str, value: str) -> bool:
    return _choice(key, value, ("0", "1")) == "1"


def _features(value: str) -> tuple[str, ...]:
    names = tuple(v for v in value.split(",") if v)
    for name in names:
        _choice("features", name, FEATURE_NAMES)
    if not names:
        raise SettingsError(
            f"features must name at least one input (from {', '.join(FEATURE_NAMES)}); got none"
        )
    return tuple(n for n in FEATURE_NAMES if n in names)  # the network's order, no repeats


def _hidden(value: str) -> tuple[int, ...]:
    parts = [v for v in value.split(",") if v.strip()]
    if len(parts) > MAX_LAYERS:
        raise SettingsError(f"hidden has {len(parts)} layers; at most {MAX_LAYERS} are allowed")
    return tuple(_int("hidden (neurons per layer)", p.strip(), 1, MAX_NEURONS) for p in parts)


_PARSERS = {
    "problem": lambda v: _choice("problem", v, ("classification", "regression")),
    "dataset": lambda v: _choice("dataset", v, CLASSIFICATION + REGRESSION),
    "noise": lambda v: _int("noise", v, 0, 50),
    "ratio": lambda v: _int("ratio", v, 10, 90),
    "batch": lambda v: _int("batch", v, 1, MAX_BATCH),
    "features": _features,
    "hidden": _hidden,
    "activation": lambda v: _choice("activation", v, ACTIVATIONS),
    "init": lambda v: _choice("init", v, tuple(INITIALIZERS)),
    "loss": lambda v: _choice("loss", v, LOSSES),
    "lr": lambda v: _float("lr", v, 0.0, 100.0, lo_open=True),
    "reg": lambda v: _choice("reg", v, REGULARIZATIONS),
    "reg_rate": lambda v: _float("reg_rate", v, 0.0, 100.0, lo_open=False),
    "seed": lambda v: _int("seed", v, 0, 2**31 - 1),
    "speed": lambda v: _choice("speed", v, SPEEDS),
    "show_test": lambda v: _bool("show_test", v),
    "discretize": lambda v: _bool("discretize", v),
}


def parse(query: Mapping[str, object], base: Settings = DEFAULTS) -> Settings:
    """Settings from a mapping of strings; keys left out keep their value in ``base``.

    Raises
    ------
    SettingsError
        For unknown keys, values that are not strings or numbers, values out of range, and
        combinations that cannot work (a regression set for classification, cross-entropy
        for regression); the message lists every problem found, one sentence each.
    """
    problems, values = [], {}
    for key, raw in query.items():
        if key not in _PARSERS:
            problems.append(f"unknown setting {key!r}; the settings are {', '.join(_PARSERS)}")
            continue
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            problems.append(f"{key} must be given as text; got {type(raw).__name__}")
            continue
        try:
            values[key] = _PARSERS[key](str(raw).strip())
        except SettingsError as err:
            problems.append(str(err))
    if not problems:
        settings = replace(base, **values)
        problems += _conflicts(settings)
    if problems:
        raise SettingsError("; ".join(problems))
    return settings


def _conflicts(s: Settings) -> list[str]:
    """What is wrong with the combination, each setting being fine on its own."""
    problems = []
    sets = CLASSIFICATION if s.problem == "classification" else REGRESSION
    if s.dataset not in sets:
        problems.append(
            f"dataset {s.dataset!r} is not a {s.problem} set; for {s.problem} choose one of "
            f"{', '.join(sets)}"
        )
    if s.problem == "regression" and s.loss == "cross_entropy":
        problems.append(
            "loss cross_entropy needs targets in [0, 1] (classes); regression takes squared_error"
        )
    return problems


def to_query(settings: Settings) -> dict[str, str]:
    """The settings as the strings of a URL's query; :func:`parse` reads them back."""
    out = {}
    for key, value in asdict(settings).items():
        if isinstance(value, bool):
            out[key] = "1" if value else "0"
        elif isinstance(value, tuple):
            out[key] = ",".join(str(v) for v in value)
        elif isinstance(value, float):
            out[key] = repr(value)
        else:
            out[key] = str(value)
    return out
