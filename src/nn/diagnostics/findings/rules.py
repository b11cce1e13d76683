"""The doctor's rules: what can be wrong with a network, and how a probe's numbers show it.

:func:`examine` reads a :class:`~nn.diagnostics.probe.ProbeRun` (a short training measured by
:class:`~nn.diagnostics.measure.Diagnostics`). Each rule looks for one problem and, when it
finds it, returns a :class:`Finding` with a stable identifier (a key of :data:`FINDINGS`:
scripts may rely on them), the numbers that show it and a concrete suggestion. The thresholds
are constants of :mod:`nn.diagnostics.findings.base`, each with the reason for its value; that
module also holds what every rule shares (:class:`Finding`, the
:class:`~nn.diagnostics.findings.base.Context` the rules read, the number formatting), so that
this module and :mod:`nn.diagnostics.findings.learning_rate` both import it and not each other.

Where one number could fool a rule, the rule runs an experiment instead: the learning-rate rules
(:mod:`nn.diagnostics.findings.learning_rate`) retrain the same probe from the same weights with
the learning rate 10 (then 100) times lower and higher, and only speak when one of them does
clearly better.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.registry import snake_case
from nn.diagnostics.findings.base import (
    DEAD_FRACTION,
    EXPLODING_RATIO,
    FINDINGS,
    GRADIENT_GROWTH,
    INPUT_RMS,
    VANISHING_RATIO,
    WEIGHT_SCALE,
    WRONG_SATURATED,
    Z_SPREAD,
    Context,
    Finding,
    Longer,
    Rerun,
    fmt,
    pct,
    weight_scales,
)
from nn.diagnostics.findings.guessing import check_guessing
from nn.diagnostics.findings.learning_rate import NOT_LEARNED, examine_learning_rate
from nn.diagnostics.findings.time import examine_time
from nn.diagnostics.statistics import delta_size, saturation_range

if TYPE_CHECKING:  # pragma: no cover
    from nn.diagnostics.probe import ProbeRun

__all__ = ["FINDINGS", "Finding", "Rerun", "examine"]


def _check_gradients(ctx: Context) -> Finding | None:
    deltas = [ctx.median("delta_norm", i.number) for i in ctx.infos]
    if ctx.diverges_anyway is not None:
        step, factor = ctx.diverges_anyway
        spreads = ", ".join(f"{fmt(row['z_std'])}" for row in ctx.first["layers"])
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
    widths = [delta_size(ctx.run.initial.layers[i.index]) for i in ctx.infos]  # units
    per_unit = [d / math.sqrt(w) for d, w in zip(deltas, widths)]
    table = ", ".join(f"{ctx.label(i.number)} {fmt(d)}" for i, d in zip(ctx.infos, deltas))
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
                f"{fmt(1 / ratio)} times slower than the output layer (the rule fires at "
                f"{1 / VANISHING_RATIO:g})",
                "use fewer hidden layers, or an activation that does not shrink the delta at "
                "every layer: ReLU with He initialization keeps ||delta|| about equal across "
                f"layers (docs/questions.md){_relu_advice(ctx, numbers)}; the cross-entropy "
                "only removes the sigma' of the output layer",
                numbers,
            )
        if ratio > EXPLODING_RATIO:
            return Finding(
                "exploding_gradients",
                f"||dC/db|| (median over the probe): {table}; per unit, layer 1's gradient is "
                f"{fmt(ratio)} times the output layer's",
                _scale_down(ctx) + "use fewer layers, or clip the gradient norm (`--clip-norm`)",
                numbers,
            )
    if not math.isfinite(worst_growth) or worst_growth > GRADIENT_GROWTH:
        numbers["largest_growth"] = worst_growth
        return Finding(
            "exploding_gradients",
            f"a layer's ||dC/db|| grew {fmt(worst_growth)}-fold during the probe; {table}",
            "lower the learning rate, scale the initial weights down, or clip the gradient "
            "norm (`--clip-norm`)",
            numbers,
        )
    return None


#: Learning-rate factors tried on the ReLU version of a network with vanishing gradients:
#: ReLU's derivative is 1 where sigmoid's is at most 1/4, so its deltas reach the first layers
#: undiminished and a sigmoid network's rate is often too high for it (SGD at eta = 3 on
#: [784, 30, 30, 30, 30, 10] diverges; 0.3 trains, with a sigmoid output layer).
RELU_LR_FACTORS = (1.0, 0.1, 0.01)


def _relu_advice(ctx: Context, numbers: dict[str, Any]) -> str:
    """`` (`--activation relu ... --lr X`): the same probe ...``: the options to use, with a
    learning rate the doctor has seen work on the ReLU version of the network when it could
    try it, else with the instruction to let the doctor find one."""
    output = ctx.infos[-1].activation
    flags = "--activation relu"
    if output is not None:
        name = snake_case(type(ctx.run.initial.layers[output]).__name__)
        if name != "relu":  # a ReLU output dies: keep the output the network has
            flags += f" --output-activation {name}"
    flags += " --init he_normal"
    if ctx.relu_trial is None:
        return f" (`{flags}`; ReLU often needs a lower learning rate: run `nn diagnose` with them)"
    guess = ctx.ref["guess_loss"]
    tried = {k: ctx.relu_trial(k) for k in RELU_LR_FACTORS}
    numbers["relu_experiments"] = {f"lr x {k:g}": v for k, v in tried.items()}
    results = ", ".join(f"lr {ctx.rate(k)}: {fmt(v)}" for k, v in tried.items())
    learned = {k: v for k, v in tried.items() if math.isfinite(v) and v < NOT_LEARNED * guess}
    if not learned:
        return (
            f" (`{flags}`); the same probe with them ended at {results} (guessing: "
            f"{fmt(guess)}): run `nn diagnose` with them and a lower `--lr`"
        )
    best = min(learned, key=learned.__getitem__)
    lr = f" --lr {ctx.rate(best)}" if ctx.lr is not None else ""
    factor = "" if lr else f" and {ctx.rate(best)}"
    return (
        f" (`{flags}{lr}`{factor}: the same probe with them ends at {fmt(learned[best])}, "
        f"against guessing's {fmt(guess)}; at {results})"
    )


def _either(relu: list[str], other: list[str]) -> str:
    """``a for ReLU, b or c otherwise``, dropping whichever side is empty."""
    if not relu:
        return " or ".join(other)
    return f"{relu[0]} for ReLU" + (f", {' or '.join(other)} otherwise" if other else "")


def _scale_down(ctx: Context) -> str:
    """``"scale the initial weights down (...), "`` naming the initializers that draw smaller
    weights than the network's; ``""`` when none does."""
    relu, other = (
        ctx.smaller_inits("he_normal"),
        ctx.smaller_inits("scaled_normal", "glorot_normal"),
    )
    if not relu and not other:
        return ""
    return f"scale the initial weights down ({_either(relu, other)}), "


def _check_init(ctx: Context) -> Finding | None:
    if not ctx.fresh:
        return None
    parts, numbers = [], {}
    for info, row, scale in zip(ctx.infos, ctx.first["layers"], weight_scales(ctx)[1]):
        if scale is not None and scale >= WEIGHT_SCALE and row["z_std"] >= Z_SPREAD:
            sat = row["saturated"]
            text = f"{ctx.label(info.number)} {scale:.1f}, {row['z_std']:.1f}"
            parts.append(text + (f", {pct(sat)}" if sat is not None else ""))
            numbers[str(info.number)] = {"scale": scale, "z_std": row["z_std"], "saturated": sat}
    if not parts:
        return None
    start, guess = ctx.ref["init_loss"], ctx.ref["guess_loss"]
    return Finding(
        "large_init_weights",
        "RMS(W) x sqrt(n_in) (1 under N(0, 1/n_in)), spread of z on the probe batch and share "
        "of saturated units at the start: " + "; ".join(parts) + f"; the loss starts at "
        f"{fmt(start)} (guessing: {fmt(guess)})",
        "initialize with N(0, 1/n_in) (`--init scaled_normal`, the default; Nielsen ch. 3), "
        "Glorot (`glorot_normal`) or, for ReLU, He (`he_normal`), so every z starts with a "
        "spread of about 1",
        numbers,
    )


def _check_inputs(ctx: Context) -> Finding | None:
    if getattr(ctx.run.initial.layers[0], "takes_ids", False):  # token ids have no scale
        return None
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


def _check_saturated_outputs(ctx: Context, found: set[str]) -> Finding | None:
    net = ctx.run.initial
    out = ctx.infos[-1].activation if ctx.infos else None
    if not getattr(net.loss, "keeps_output_slope", False) or out is None or "lr_too_high" in found:
        return None
    limits = saturation_range(net.layers[out])
    values = [r["wrong_saturated"] for r in ctx.records if r["wrong_saturated"] is not None]
    if limits is None or not values or max(values) < WRONG_SATURATED:
        return None
    worst = int(np.argmax(values))
    smaller = ""
    if ctx.fresh and ctx.inits("scaled_normal") and weight_scales(ctx)[0] >= WEIGHT_SCALE:
        smaller = ", and start from smaller weights (`--init scaled_normal`)"
    return Finding(
        "saturated_outputs_squared_error",
        f"{pct(values[worst])} of the output units (step {ctx.records[worst]['step']}) sit "
        f"outside [{limits[0]:g}, {limits[1]:g}] at the wrong end, where sigma'(z) < 1/25 of "
        f"its peak; the squared error's output delta (a - y) sigma'(z) (BP1) is then tiny "
        f"(at the start: {pct(values[0])}, at the end: {pct(values[-1])})",
        "use the cross-entropy loss (`--loss cross_entropy`), whose output delta is a - y "
        f"with no sigma'(z) (Nielsen ch. 3){smaller}",
        {"wrong_saturated_max": values[worst], "at_step": ctx.records[worst]["step"]},
    )


def _check_dead(ctx: Context) -> Finding | None:
    parts, numbers = [], {}
    for start, end in zip(ctx.first["layers"], ctx.last["layers"]):
        if end["dead"] is not None and end["dead"] >= DEAD_FRACTION:
            n = start["layer"]
            parts.append(
                f"{ctx.label(n)}: {pct(end['dead'])} dead (at the start {pct(start['dead'])})"
            )
            numbers[str(n)] = {"start": start["dead"], "end": end["dead"]}
    if not parts:
        return None
    evidence = "; ".join(parts) + " (0 on every probe example, so no gradient reaches their "
    evidence += "weights)"
    hidden = "lower the learning rate (a large step can push z below 0 for every input), "
    hidden += "".join(f"use He initialization ({i}), " for i in ctx.inits("he_normal"))
    hidden += "or leaky ReLU (`--activation leaky_relu`), whose units keep a small gradient"
    output = ctx.infos[-1]
    if str(output.number) not in numbers:
        return Finding("dead_units", evidence, hidden, numbers)
    # A rectifier output unit is dead for an example whenever its target is above 0 and z is
    # below: it can never output the 1 of its class again. The output activation is the
    # cause, and the cure is one whose output always carries a gradient.
    act = ctx.run.initial.layers[output.activation].__class__.__name__
    if ctx.ref["chance_accuracy"] is not None:
        fits = (
            "for classes use `--output-activation sigmoid` (with the squared error or "
            "`--loss cross_entropy`), or `--loss softmax_cross_entropy` (softmax outputs, "
            "no `--output-activation`)"
        )
    else:
        fits = "for real-valued targets use `--output-activation identity`"
    return Finding(
        "dead_units",
        evidence,
        f"the output layer's {act} is the cause: an output unit at 0 for every example can "
        f"no longer learn its targets; {fits}, keeping {act} in the hidden layers if you "
        f"like, then run `nn diagnose` again with it (its learning-rate experiments find a "
        f"rate that suits); for the hidden layers: {hidden}",
        {**numbers, "output_layer_dead": True},
    )


def examine(
    run: ProbeRun,
    *,
    fresh: bool = True,
    rerun: Rerun | None = None,
    init: str | None = None,
    usual_lr: float | None = None,
    lr: float | None = None,
    relu_trial: Rerun | None = None,
    longer: Longer | None = None,
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
    lr : float, optional
        The probe's learning rate: suggestions then name rates rather than factors.
    relu_trial : callable, optional
        ``relu_trial(scale) -> final probe loss`` of the same network with ReLU hidden layers
        and He weights, at the learning rate times ``scale``: lets the advice against
        vanishing gradients name a rate it has seen work.
    longer : callable, optional
        ``longer(steps) -> (final probe loss, accuracy)`` of the same probe trained longer:
        lets a short run at guessing be told it is too short.

    Returns
    -------
    list of Finding
        In the order of :data:`FINDINGS`; empty when nothing is wrong.
    """
    ctx = Context(run, fresh, init, usual_lr, lr, relu_trial, longer)
    found = ctx.found
    f = examine_learning_rate(ctx, rerun)
    if f is not None:
        found[f.id] = f
    for check in (_check_gradients, _check_init, _check_inputs, _check_dead):
        f = check(ctx)
        if f is not None:
            found[f.id] = f
    found.update((f.id, f) for f in examine_time(ctx))  # recurrent layers, across time
    f = _check_saturated_outputs(ctx, set(found))
    if f is not None:
        found[f.id] = f
    f = check_guessing(ctx, set(found) | {"loss_at_guessing_level"})
    if f is not None:
        found[f.id] = f
    return [found[k] for k in FINDINGS if k in found]
