"""The doctor's learning-rate rule: a learning-rate range test on the probe.

A probe that has not learned may have a learning rate too high (steps overshoot, the loss
rises, units saturate or die) or too low (the loss barely moves). One number cannot tell
them apart reliably, so the rule runs experiments: it retrains the same probe from the same
weights with the learning rate 10 times lower and higher, one more decade in a direction that
helped a little, and, after an absurdly large step, straight to the rate that would have
made that step about the weights' size (Smith 2017, "Cyclical learning rates"; CS231n,
"babysitting the learning process"). It only speaks when one of them does clearly better.
The other rules and :func:`nn.diagnostics.findings.rules.examine`, which runs them all, are in
:mod:`nn.diagnostics.findings.rules`.
"""

from __future__ import annotations

import math
from typing import Any

from nn.diagnostics.findings.base import (
    GUESSING,
    TYPICAL_UPDATE_RATIO,
    Z_SPREAD,
    Context,
    Finding,
    Rerun,
    fmt,
)

__all__ = ["CLEARLY_BETTER", "HUGE_UPDATE", "NOT_LEARNED", "examine_learning_rate"]

#: A step that moves a layer's weights by 10 times their own size is never healthy training:
#: the seed's network at its textbook rate (eta = 3) peaks at 0.77, on the first step. When the
#: decade experiments find nothing better after such steps, one more experiment jumps straight
#: to the learning rate that would have made that largest step at most 1 (eta = 1e9 on the seed
#: makes it 2.6e8: a rate 10 or 100 times lower saturates every unit just the same).
HUGE_UPDATE = 10.0
#: A probe "has not learned" when its final loss is still above 80% of the guessing loss (or
#: above where it started); only then are the learning-rate experiments run.
NOT_LEARNED = 0.8
#: An experiment with the rate 10x lower/higher must end at 70% of the probe's loss or below:
#: run-to-run noise of the probe loss is a few percent, so 30% is a real difference.
CLEARLY_BETTER = 0.7


def examine_learning_rate(ctx: Context, rerun: Rerun | None) -> Finding | None:
    """The learning-rate rule: ``lr_too_high`` or ``lr_too_low``, or None.

    Only a probe that has not learned (see :data:`NOT_LEARNED`) is examined. When a probe
    diverges at every rate tried from a network whose signals start at unit size, the blame
    is left to ``exploding_gradients`` through ``ctx.diverges_anyway``.

    Parameters
    ----------
    ctx : nn.diagnostics.findings.base.Context
        The probe's measurements, as every rule reads them.
    rerun : callable or None
        ``rerun(scale) -> final probe loss`` (NaN if it diverges) with the learning rate
        times ``scale``; None allows no experiment.

    Returns
    -------
    Finding or None
    """
    start, end = ctx.ref["init_loss"], ctx.last["probe_loss"]
    guess, diverged = ctx.ref["guess_loss"], ctx.run.diverged_at
    stuck = (
        diverged is not None
        or not math.isfinite(end)
        or end > start
        or (guess > 0 and end >= NOT_LEARNED * guess)
    )
    if not stuck:
        return None
    ratio, step, number = ctx.largest_update()
    tried = _range_test(rerun, end, diverged, ratio)
    finite = {k: v for k, v in tried.items() if math.isfinite(v)}
    best = min(finite, key=finite.__getitem__) if finite else None
    moved = (
        f"the largest update was {fmt(ratio)} of the weights in one step ({ctx.label(number)}, "
        f"step {step}; about {TYPICAL_UPDATE_RATIO:g} is typical)"
        if number
        else "no update was recorded"
    )
    numbers: dict[str, Any] = {"final_loss": end, "max_update_ratio": ratio}
    numbers["experiments"] = {f"lr x {k:g}": v for k, v in tried.items()}
    experiment = None
    if best is not None:
        times = f"{1 / best:g} times lower" if best < 1 else f"{best:g} times higher"
        experiment = f"with the learning rate {times} the same probe ends at {fmt(finite[best])}"
    if diverged is not None:
        return _diverged(ctx, diverged, tried, best, numbers, moved, experiment)
    if best is None or finite[best] > CLEARLY_BETTER * end:
        return None
    how = f"the probe loss went from {fmt(start)} to {fmt(end)} (guessing: {fmt(guess)})"
    if best < 1:
        return Finding(
            "lr_too_high",
            f"{how}; {experiment}; {moved}",
            f"divide the learning rate by {1 / best:g}, then run `nn diagnose` again",
            numbers,
        )
    median = ctx.median("update_ratio", len(ctx.infos))
    return Finding(
        "lr_too_low",
        f"{how}; {experiment}; the output layer's weights change by {fmt(median)} of their "
        f"size per step (median; about {TYPICAL_UPDATE_RATIO:g} is typical)",
        f"multiply the learning rate by {best:g}, then run `nn diagnose` again",
        numbers,
    )


def _range_test(
    rerun: Rerun | None, end: float, diverged: int | None, ratio: float
) -> dict[float, float]:
    """The final probe loss at each learning-rate factor tried: ``{factor: loss}``.

    A learning-rate range test, one decade at a time (Smith 2017; CS231n "babysitting"):
    10x lower and higher, then one more decade in a direction that helped but not clearly;
    and, when one update moved the weights by a huge fraction (``ratio``) and nothing helped
    clearly, the factor that would bring that update to about 1.
    """
    tried: dict[float, float] = {}
    if rerun is None:
        return tried
    tried[0.1] = rerun(0.1)
    if diverged is None:
        tried[10.0] = rerun(10.0)
    for near, far in ((10.0, 100.0), (0.1, 0.01)):
        loss = tried.get(near, math.nan)
        helped_a_little = math.isfinite(loss) and CLEARLY_BETTER * end < loss < end
        diverges_too = near < 1 and diverged is not None and not math.isfinite(loss)
        if helped_a_little or diverges_too:
            tried[far] = rerun(far)
            break
    if diverged is None and ratio >= HUGE_UPDATE:
        losses = [v for v in tried.values() if math.isfinite(v)]
        if not losses or min(losses) > CLEARLY_BETTER * end:
            jump = 10.0 ** math.floor(math.log10(1 / ratio))
            if jump not in tried:
                tried[jump] = rerun(jump)
    return tried


def _diverged(
    ctx: Context,
    diverged: int,
    tried: dict[float, float],
    best: float | None,
    numbers: dict[str, Any],
    moved: str,
    experiment: str | None,
) -> Finding | None:
    """The learning-rate finding of a probe that diverged at step ``diverged``, or None when
    smaller rates diverge too from a network that starts unsound (``exploding_gradients``
    then takes the blame, through ``ctx.diverges_anyway``)."""
    numbers["diverged_at"] = diverged
    spreads = [row["z_std"] for row in ctx.first["layers"] if row["z_std"] is not None]
    healthy_start = bool(spreads) and max(spreads) < Z_SPREAD
    if tried and (best is None or best > 1) and healthy_start:
        # smaller steps diverge too, yet the signals start at unit size: the steps blow
        # the network up, not its weights (eta = 1e300 on the seed's network)
        numbers["z_std_start"] = spreads
        return Finding(
            "lr_too_high",
            f"the loss or a weight became NaN or infinite at step {diverged}, and still "
            f"does with the learning rate {1 / min(tried):g} times lower; yet at the start "
            f"the spread of z is at most {fmt(max(spreads))} in every layer, so the "
            "network is sound and its steps are what blow it up",
            _below_failures(ctx, tried),
            numbers,
        )
    if tried and (best is None or best > 1):
        # smaller steps diverge too: the network itself blows up (see _check_gradients)
        ctx.diverges_anyway = (diverged, min(tried))
        return None
    tail = f"; {experiment}" if experiment is not None else ""
    finite_best = tried[best] if best is not None else math.nan
    if best is not None and best < 1 and not _failed(ctx, finite_best):
        advice = (
            f"set the learning rate to {ctx.rate(best)} ({1 / best:g} times lower), where "
            f"the same probe ends at {fmt(finite_best)} (guessing: "
            f"{fmt(ctx.ref['guess_loss'])}), then run `nn diagnose` again"
        )
    else:
        advice = _below_failures(ctx, tried) + (
            "; if it still diverges, look at exploding_gradients and large_init_weights"
        )
    return Finding(
        "lr_too_high",
        f"the loss or a weight became NaN or infinite at step {diverged}, where training "
        f"stopped; {moved}{tail}",
        advice,
        numbers,
    )


def _failed(ctx: Context, loss: float) -> bool:
    """A probe loss that diverged (NaN) or is no better than guessing."""
    guess = ctx.ref["guess_loss"]
    return not math.isfinite(loss) or (guess > 0 and loss >= GUESSING * guess)


def _below_failures(ctx: Context, tried: dict[float, float]) -> str:
    """Advice for a rate below every rate that failed, naming the rates tried.

    A rate that was tried and diverged or stayed at guessing is never suggested (the rate in
    use failed too, or the rule would not run): the suggestion is the smallest failing rate
    divided by 10, or the optimizer's usual rate when that is smaller still.
    """
    failed = [1.0] + [k for k, v in tried.items() if _failed(ctx, v)]
    lowest = min(failed)
    in_use = math.nan if ctx.run.diverged_at is not None else ctx.last["probe_loss"]
    runs = {1.0: in_use, **tried}
    results = ", ".join(
        f"lr {ctx.rate(k)}{' (in use)' if k == 1.0 else ''}: {fmt(v)}"
        for k, v in sorted(runs.items(), reverse=True)
    )
    if lowest == 1.0 and not tried:
        said = "the rate in use failed"
    else:
        said = f"the rates tried failed ({results}; guessing: {fmt(ctx.ref['guess_loss'])})"
        if lowest < 1 and math.isfinite(tried[lowest]):
            said = (
                f"the lowest rate tried, {ctx.rate(lowest)}, still only reached "
                f"{fmt(tried[lowest])} (guessing: {fmt(ctx.ref['guess_loss'])}; {results})"
            )
    if ctx.usual_lr is not None and ctx.lr is not None and ctx.usual_lr < ctx.lr * lowest:
        return (
            f"{said}: set the learning rate to {ctx.usual_lr:g}, the optimizer's usual "
            "starting rate (the default of `--lr`), then run `nn diagnose` again"
        )
    usual = ""
    if ctx.usual_lr is None:
        usual = " (or leave out `--lr` for the optimizer's usual rate, if it is lower)"
    return f"{said}: try {ctx.rate(lowest / 10)} or lower{usual}, then run `nn diagnose` again"
