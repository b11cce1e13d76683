"""The doctor's rules: what can be wrong with a network, and how a probe's numbers show it.

:func:`examine` reads a :class:`~nn.probe.ProbeRun` (a short training measured by
:class:`~nn.diagnostics.Diagnostics`). Each rule looks for one problem and, when it finds it,
returns a :class:`Finding` with a stable identifier (a key of :data:`FINDINGS`: scripts may rely
on them), the numbers that show it and a concrete suggestion. The thresholds are module
constants, each with the reason for its value.

Where one number could fool a rule, the rule runs an experiment instead: the learning-rate
rules (:mod:`nn.findings_lr`) retrain the same probe from the same weights with the learning
rate 10 (then 100) times lower and higher, and only speak when one of them does clearly better.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.diagnostics import dense_layers, saturation_range
from nn.initializers import WEIGHT_VARIANCE

if TYPE_CHECKING:  # pragma: no cover
    from nn.probe import ProbeRun

__all__ = ["FINDINGS", "Finding", "Rerun", "examine"]

#: Every finding the doctor can make: identifier -> what it means. Stable identifiers.
FINDINGS: dict[str, str] = {
    "lr_too_high": "the learning rate is too high: the loss diverges, rises or stalls, and a "
    "rate 10 or more times smaller does clearly better (or the network, sound at the start, "
    "diverges at every rate tried)",
    "lr_too_low": "the learning rate is too low: the loss barely moves, and a rate 10 or 100 "
    "times larger does clearly better",
    "exploding_gradients": "the signals grow layer after layer, the gradients going back (or "
    "the activations going forward), until they overflow or are useless",
    "vanishing_gradients": "the gradients shrink as they travel back: the first layers learn "
    "far slower than the last ones",
    "large_init_weights": "the initial weights are too large for their number of inputs, so "
    "the weighted inputs are large: sigmoid and tanh units start saturated, ReLU nets blow up",
    "inputs_not_scaled": "the inputs are far from the unit scale the initializers assume",
    "saturated_outputs_squared_error": "output units saturated at the wrong end under the "
    "squared error, whose delta carries sigma'(z): the learning slowdown of Nielsen ch. 3",
    "dead_units": "rectifier units that output 0 for every example and no longer learn",
    "loss_at_guessing_level": "after the probe the loss is no better than guessing the class "
    "frequencies: the network has learned nothing about its input",
}

# ---- thresholds, with their reasons --------------------------------------------------------
#: vanishing/exploding: per-unit RMS of ||dC/db|| in the first dense layer over the output
#: layer's (Nielsen ch. 5's speed of learning, made comparable across widths). A sigmoid layer
#: multiplies the delta by sigma' <= 1/4 (BP2) and Nielsen's 4-hidden-layer table shrinks about
#: 4x per layer (0.285, 0.070, 0.017, 0.003); on the digits a [784, 30, 30, 10] sigmoid net
#: (ratio ~0.1) trains well while [784, 30, 30, 30, 30, 10] (ratio ~1e-3) stays at guessing.
#: A factor 100 is where the first layer stops learning on the time scale of the output layer.
VANISHING_RATIO = 1e-2
#: The mirror image: the first layer learning 100 times faster than the output layer.
EXPLODING_RATIO = 1e2
#: A layer whose gradient norm grows 1000-fold during a few hundred steps is diverging.
GRADIENT_GROWTH = 1e3
#: Karpathy's rule of thumb (CS231n, "ratio of weights:updates"): updates around 1e-3 of the
#: weights per step. Reported as evidence only: plain SGD with eta = 3 on the seed network
#: healthily runs at ~3e-2, so this number alone would give false alarms.
TYPICAL_UPDATE_RATIO = 1e-3
#: "At guessing": final loss within 10% of guessing and accuracy within 10 points of chance.
GUESSING = 0.9
CHANCE_MARGIN = 0.1
#: 5% of the output entries saturated at the wrong end: with 10 one-hot outputs that is half
#: the examples with their true-class unit stuck near 0. A healthy seed network peaks at 0.3%.
WRONG_SATURATED = 0.05
#: RMS(W) * sqrt(n_in) is 1 for N(0, 1/n_in) (Nielsen ch. 3, LeCun) and sqrt(2) for He; 3 is
#: twice He's. With z's spread at 3, one sigmoid unit in eight starts saturated (|z| > 4.6 is
#: 1.5 standard deviations out), against none under N(0, 1/n_in); Nielsen's ch. 3 example has
#: a spread of 22.4, and N(0, 1) on the digits gives 9.5 (61% saturated).
WEIGHT_SCALE = 3.0
Z_SPREAD = 3.0
#: The initializers assume inputs of order 1 (z ~ N(0, E[x^2]) under N(0, 1/n_in)); inputs with
#: an RMS of 5 already give z a spread of 5, saturating a third of the sigmoid units.
INPUT_RMS = 5.0
#: CS231n notes "as much as 40% of your network can be dead" after a too-high learning rate; a
#: fifth of a layer dead is a fifth of its capacity gone for good.
DEAD_FRACTION = 0.2


@dataclass
class Finding:
    """One problem found.

    Attributes
    ----------
    id : str
        A key of :data:`FINDINGS`.
    evidence : str
        The numbers that show it, in words.
    suggestion : str
        What to try.
    numbers : dict
        The same numbers, machine-readable (for ``--json``).
    """

    id: str
    evidence: str
    suggestion: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"[{self.id}] {FINDINGS[self.id]}\n"
            f"  evidence:   {self.evidence}\n  suggestion: {self.suggestion}"
        )


#: ``rerun(scale)``: the final probe loss when the same probe is retrained from the same
#: weights with the learning rate multiplied by ``scale`` (NaN if it diverges).
Rerun = Callable[[float], float]


def _fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "nan" if x is None or math.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.3g}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _log_gain(init: str, shapes: list[tuple[int, ...]]) -> float:
    """log of the product over layers of ``init``'s expected RMS(W) x sqrt(n_in)."""
    return sum(0.5 * math.log(WEIGHT_VARIANCE[init](n_in, n_out) * n_in) for n_in, n_out in shapes)


class _Context:
    """What the rules read: the probe's measurements and the network before it."""

    def __init__(
        self,
        run: ProbeRun,
        fresh: bool,
        init: str | None = None,
        usual_lr: float | None = None,
    ) -> None:
        self.run, self.fresh = run, fresh
        self.diag = run.diagnostics
        self.ref = self.diag.reference
        self.records = self.diag.records
        self.first, self.last = self.records[0], self.records[-1]
        self.infos = dense_layers(run.initial)
        #: the initializer the network was built with, if known: never suggested again
        self.init = init
        #: the optimizer's usual starting learning rate, if known
        self.usual_lr = usual_lr
        #: (step, smallest learning-rate factor tried) when training diverged and smaller
        #: learning rates did not stop it
        self.diverges_anyway: tuple[int, float] | None = None
        self.found: dict[str, Finding] = {}  # by the rules that ran so far

    def inits(self, *names: str) -> list[str]:
        """``--init`` values worth suggesting: ``names`` without the one already used."""
        return [f"`--init {name}`" for name in names if name != self.init]

    def smaller_inits(self, *names: str) -> list[str]:
        """:meth:`inits` that draw smaller weights than the network has.

        "Smaller" is the product over the dense layers of RMS(W) x sqrt(n_in): the factor by
        which a signal's size grows through the network at the start. The network's is that
        of its initializer when it is known, else measured (an initializer must then be 10%
        smaller, above the sampling noise of a small layer).
        """
        shapes = [self.run.initial.layers[i.index].params["W"].shape for i in self.infos]
        if self.init in WEIGHT_VARIANCE:
            current = _log_gain(self.init, shapes)
            margin = 0.0
        else:
            current = sum(math.log(s) for s in _weight_scales(self)[1] if s > 0)
            margin = math.log(1 / 0.9)
        return self.inits(*(n for n in names if _log_gain(n, shapes) < current - margin))

    def label(self, number: int) -> str:
        return f"layer {number} ({self.infos[number - 1].name})"

    def median(self, key: str, number: int) -> float:
        """Median over the recorded steps of a gradient measurement (finite values only)."""
        _, values = self.diag.series(key, number)
        values = values[np.isfinite(values)]
        return float(np.median(values)) if values.size else math.nan

    def largest_update(self) -> tuple[float, int, int]:
        """The largest update ratio recorded: (ratio, step, layer number)."""
        best = (0.0, 0, 0)
        for r in self.records:
            for row in r["layers"]:
                u = row["update_ratio"]
                if u is not None and math.isfinite(u) and u > best[0]:
                    best = (u, r["step"], row["layer"])
        return best


def _check_gradients(ctx: _Context) -> Finding | None:
    deltas = [ctx.median("delta_norm", i.number) for i in ctx.infos]
    if ctx.diverges_anyway is not None:
        step, factor = ctx.diverges_anyway
        spreads = ", ".join(f"{_fmt(row['z_std'])}" for row in ctx.first["layers"])
        return Finding(
            "exploding_gradients",
            f"training diverged at step {step}, and still does with the learning rate "
            f"{1 / factor:g} times lower; at the start the spread of z grows layer after layer: "
            f"{spreads}",
            _scale_down(ctx) + "so each layer keeps the size of its input; clipping the "
            "gradient norm only hides it",
            {"diverged_at": step, "lowest_lr_factor_tried": factor, "z_std_start": spreads},
        )
    if len(ctx.infos) < 2:
        return None
    widths = [ctx.run.initial.layers[i.index].params["b"].size for i in ctx.infos]
    per_unit = [d / math.sqrt(w) for d, w in zip(deltas, widths)]
    table = ", ".join(f"{ctx.label(i.number)} {_fmt(d)}" for i, d in zip(ctx.infos, deltas))
    numbers: dict[str, Any] = {"delta_norm_median": deltas}
    growth = []
    for info in ctx.infos:
        _, values = ctx.diag.series("delta_norm", info.number)
        values = values[1:]  # step 0 has no gradient
        if values.size and values[0] > 0:
            growth.append(float(np.max(values) / values[0]))  # inf/nan kept: they are evidence
    worst_growth = max(growth, default=1.0)
    # an exactly zero gradient is not a shrinking one: dead or fully saturated units (their
    # own rules) stop it
    if per_unit[0] > 0 and per_unit[-1] > 0 and all(math.isfinite(p) for p in per_unit):
        ratio = per_unit[0] / per_unit[-1]
        numbers["first_over_output_per_unit"] = ratio
        # after a too-large step the hidden units sit saturated and their deltas vanish: a
        # consequence, reported again once the learning rate is fixed if it is more than that
        if ratio < VANISHING_RATIO and "lr_too_high" not in ctx.found:
            return Finding(
                "vanishing_gradients",
                f"||dC/db|| (median over the probe): {table}; per unit, layer 1 learns "
                f"{_fmt(1 / ratio)} times slower than the output layer (the rule fires at "
                f"{1 / VANISHING_RATIO:g})",
                "use fewer hidden layers, or an activation that does not shrink the delta at "
                "every layer: ReLU with He initialization (`--activation relu --init "
                "he_normal`) keeps ||delta|| about equal across layers (docs/questions.md); "
                "the cross-entropy only removes the sigma' of the output layer",
                numbers,
            )
        if ratio > EXPLODING_RATIO:
            return Finding(
                "exploding_gradients",
                f"||dC/db|| (median over the probe): {table}; per unit, layer 1's gradient is "
                f"{_fmt(ratio)} times the output layer's",
                _scale_down(ctx) + "use fewer layers, or clip the gradient norm (`--clip-norm`)",
                numbers,
            )
    if not math.isfinite(worst_growth) or worst_growth > GRADIENT_GROWTH:
        numbers["largest_growth"] = worst_growth
        return Finding(
            "exploding_gradients",
            f"a layer's ||dC/db|| grew {_fmt(worst_growth)}-fold during the probe; {table}",
            "lower the learning rate, scale the initial weights down, or clip the gradient "
            "norm (`--clip-norm`)",
            numbers,
        )
    return None


def _weight_scales(ctx: _Context) -> tuple[float, list[float]]:
    """The largest RMS(W) x sqrt(n_in) at the start (1 for N(0, 1/n_in)), and each layer's."""
    scales = []
    for info in ctx.infos:
        W = ctx.run.initial.layers[info.index].params["W"].astype(np.float64)
        scales.append(float(np.sqrt(np.mean(W**2) * W.shape[0])))
    return max(scales, default=0.0), scales


def _either(relu: list[str], other: list[str]) -> str:
    """``a for ReLU, b or c otherwise``, dropping whichever side is empty."""
    if not relu:
        return " or ".join(other)
    return f"{relu[0]} for ReLU" + (f", {' or '.join(other)} otherwise" if other else "")


def _scale_down(ctx: _Context) -> str:
    """``"scale the initial weights down (...), "`` naming the initializers that draw smaller
    weights than the network's; ``""`` when none does."""
    relu, other = (
        ctx.smaller_inits("he_normal"),
        ctx.smaller_inits("scaled_normal", "glorot_normal"),
    )
    if not relu and not other:
        return ""
    return f"scale the initial weights down ({_either(relu, other)}), "


def _check_init(ctx: _Context) -> Finding | None:
    if not ctx.fresh:
        return None
    parts, numbers = [], {}
    for info, row, scale in zip(ctx.infos, ctx.first["layers"], _weight_scales(ctx)[1]):
        if scale >= WEIGHT_SCALE and row["z_std"] >= Z_SPREAD:
            sat = row["saturated"]
            text = f"{ctx.label(info.number)} {scale:.1f}, {row['z_std']:.1f}"
            parts.append(text + (f", {_pct(sat)}" if sat is not None else ""))
            numbers[str(info.number)] = {"scale": scale, "z_std": row["z_std"], "saturated": sat}
    if not parts:
        return None
    start, guess = ctx.ref["init_loss"], ctx.ref["guess_loss"]
    return Finding(
        "large_init_weights",
        "RMS(W) x sqrt(n_in) (1 under N(0, 1/n_in)), spread of z on the probe batch and share "
        "of saturated units at the start: " + "; ".join(parts) + f"; the loss starts at "
        f"{_fmt(start)} (guessing: {_fmt(guess)})",
        "initialize with N(0, 1/n_in) (`--init scaled_normal`, the default; Nielsen ch. 3), "
        "Glorot (`glorot_normal`) or, for ReLU, He (`he_normal`), so every z starts with a "
        "spread of about 1",
        numbers,
    )


def _check_inputs(ctx: _Context) -> Finding | None:
    X = np.asarray(ctx.diag.X_probe, dtype=np.float64)
    rms = float(np.sqrt(np.mean(X**2)))
    if rms < INPUT_RMS:
        return None
    return Finding(
        "inputs_not_scaled",
        f"the inputs have an RMS of {rms:.3g} (largest |x| {np.max(np.abs(X)):.3g}); the "
        f"first layer's z has spread {ctx.first['layers'][0]['z_std']:.3g} at the start",
        "scale the inputs to about unit size: divide pixels by 255, or standardize them to "
        "mean 0 and standard deviation 1 with statistics of the training set (`--standardize`, "
        "nn.Standardizer)",
        {"input_rms": rms},
    )


def _check_saturated_outputs(ctx: _Context, found: set[str]) -> Finding | None:
    net = ctx.run.initial
    out = ctx.infos[-1].activation if ctx.infos else None
    if type(net.loss).__name__ != "SquaredError" or out is None or "lr_too_high" in found:
        return None
    limits = saturation_range(net.layers[out])
    values = [r["wrong_saturated"] for r in ctx.records if r["wrong_saturated"] is not None]
    if limits is None or not values or max(values) < WRONG_SATURATED:
        return None
    worst = int(np.argmax(values))
    smaller = ""
    if ctx.fresh and ctx.inits("scaled_normal") and _weight_scales(ctx)[0] >= WEIGHT_SCALE:
        smaller = ", and start from smaller weights (`--init scaled_normal`)"
    return Finding(
        "saturated_outputs_squared_error",
        f"{_pct(values[worst])} of the output units (step {ctx.records[worst]['step']}) sit "
        f"outside [{limits[0]:g}, {limits[1]:g}] at the wrong end, where sigma'(z) < 1/25 of "
        f"its peak; the squared error's output delta (a - y) sigma'(z) (BP1) is then tiny "
        f"(at the start: {_pct(values[0])}, at the end: {_pct(values[-1])})",
        "use the cross-entropy loss (`--loss cross_entropy`), whose output delta is a - y "
        f"with no sigma'(z) (Nielsen ch. 3){smaller}",
        {"wrong_saturated_max": values[worst], "at_step": ctx.records[worst]["step"]},
    )


def _check_dead(ctx: _Context) -> Finding | None:
    parts, numbers = [], {}
    for start, end in zip(ctx.first["layers"], ctx.last["layers"]):
        if end["dead"] is not None and end["dead"] >= DEAD_FRACTION:
            n = start["layer"]
            parts.append(
                f"{ctx.label(n)}: {_pct(end['dead'])} dead (at the start {_pct(start['dead'])})"
            )
            numbers[str(n)] = {"start": start["dead"], "end": end["dead"]}
    if not parts:
        return None
    return Finding(
        "dead_units",
        "; ".join(parts) + " (0 on every probe example, so no gradient reaches their weights)",
        "lower the learning rate (a large step can push z below 0 for every input), "
        + "".join(f"use He initialization ({i}), " for i in ctx.inits("he_normal"))
        + "or leaky ReLU (`--activation leaky_relu`), whose units keep a small gradient",
        numbers,
    )


def _check_guessing(ctx: _Context, found: set[str]) -> Finding | None:
    end, guess = ctx.last["probe_loss"], ctx.ref["guess_loss"]
    acc, chance = ctx.last["probe_accuracy"], ctx.ref["chance_accuracy"]
    if not (guess > 0 and math.isfinite(end) and end >= GUESSING * guess):
        return None
    if acc is not None and chance is not None and acc >= chance + CHANCE_MARGIN:
        return None
    guessing = "the class frequencies" if chance is not None else "the mean target"
    text = f"the probe loss ended at {_fmt(end)}; predicting {guessing} for every example costs "
    text += _fmt(guess)
    if acc is not None and chance is not None:
        text += f"; accuracy {_pct(acc)} against {_pct(chance)} for always the commonest class"
    others = sorted(found - {"loss_at_guessing_level"})
    return Finding(
        "loss_at_guessing_level",
        text,
        f"the other findings ({', '.join(others)}) name the likely cause"
        if others
        else "check that the targets belong to the inputs, then try a longer probe (--steps) "
        "and other learning rates",
        {"final_loss": end, "guess_loss": guess, "accuracy": acc, "chance_accuracy": chance},
    )


def examine(
    run: ProbeRun,
    *,
    fresh: bool = True,
    rerun: Rerun | None = None,
    init: str | None = None,
    usual_lr: float | None = None,
) -> list[Finding]:
    """Apply every rule to a probe's measurements.

    Parameters
    ----------
    run : ProbeRun
    fresh : bool
        True when the probe started from freshly initialized weights; the rule about the
        initial weights is skipped otherwise (trained weights are large for good reasons).
    rerun : callable, optional
        ``rerun(scale) -> final probe loss`` with the learning rate times ``scale``; without
        it the learning-rate rules only see divergence.
    init : str, optional
        Name of the initializer the network was built with: suggestions leave it out.
    usual_lr : float, optional
        The optimizer's usual starting learning rate, suggested when the rate in use makes
        even a sound network overflow at once.

    Returns
    -------
    list of Finding
        In the order of :data:`FINDINGS`; empty when nothing is wrong.
    """
    from nn.findings_lr import examine_learning_rate  # here: findings_lr imports this module

    ctx = _Context(run, fresh, init, usual_lr)
    found = ctx.found
    f = examine_learning_rate(ctx, rerun)
    if f is not None:
        found[f.id] = f
    for check in (_check_gradients, _check_init, _check_inputs, _check_dead):
        f = check(ctx)
        if f is not None:
            found[f.id] = f
    f = _check_saturated_outputs(ctx, set(found))
    if f is not None:
        found[f.id] = f
    f = _check_guessing(ctx, set(found) | {"loss_at_guessing_level"})
    if f is not None:
        found[f.id] = f
    return [found[k] for k in FINDINGS if k in found]
