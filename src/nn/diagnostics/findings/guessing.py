"""The doctor's last rule: the probe ended no better than guessing, and what it can say why.

For class targets the verdict is the probe's accuracy, what ``nn train`` judges a finished run
by (its note "the network did not learn"), so that the two agree on a run that did not learn:
:func:`nn.cli.advice.diagnose_command` gives the ``nn diagnose`` command whose probe is that
run, step for step. The loss alone could say otherwise: a loss that does not fit the output
layer (categorical cross-entropy on sigmoid outputs) falls while the predictions stay at
chance (``loss_misfit``). When no other rule names a cause of a run at guessing, one more is
looked for: a run too short to have learned (the same probe is trained longer to see).
"""

from __future__ import annotations

import math
from typing import Any

from nn.diagnostics.findings.base import (
    CHANCE_MARGIN,
    GUESSING,
    LONGER_PROBE,
    MISFIT_LOSS,
    Context,
    Finding,
    fmt,
    pct,
)

__all__ = ["check_guessing"]


def check_guessing(ctx: Context, found: set[str]) -> Finding | None:
    """The probe ends no better than guessing: for classes, by its accuracy (what ``nn train``
    judges a run by, so the two agree on a run that did not learn), whatever its loss did;
    otherwise by its loss. Or its loss fell far while its accuracy did not follow
    (``loss_misfit``)."""
    start, end, guess = ctx.ref["init_loss"], ctx.last["probe_loss"], ctx.ref["guess_loss"]
    acc, chance = ctx.last["probe_accuracy"], ctx.ref["chance_accuracy"]
    if not math.isfinite(end):  # diverged: the learning-rate rule's finding, not this one
        return None
    loss_at_guess = guess > 0 and end >= GUESSING * guess
    numbers = {"final_loss": end, "guess_loss": guess, "accuracy": acc, "chance_accuracy": chance}
    if acc is not None and chance is not None:
        at_chance = acc < chance + CHANCE_MARGIN
        far_below = guess > 0 and end < MISFIT_LOSS * guess and acc < (chance + 1) / 2
        if (at_chance and not loss_at_guess and end < start) or far_below:
            return Finding(
                "loss_misfit",
                f"the probe loss fell from {fmt(start)} to {fmt(end)} (guessing: {fmt(guess)}), "
                f"yet the accuracy is {pct(acc)} (always the commonest class: {pct(chance)})",
                "use a loss that fits the output layer: softmax outputs with "
                "`--loss categorical_cross_entropy`, or no output activation with `--loss "
                "softmax_cross_entropy`; sigmoid outputs with `--loss cross_entropy`",
                numbers,
            )
        if not at_chance:
            return None
    elif not loss_at_guess:
        return None
    guessing = "the class frequencies" if chance is not None else "the mean target"
    text = f"the probe loss ended at {fmt(end)}; predicting {guessing} for every example costs "
    text += fmt(guess)
    if acc is not None and chance is not None:
        text += f"; accuracy {pct(acc)} against {pct(chance)} for always the commonest class"
    others = sorted(found - {"loss_at_guessing_level"})
    if others:
        advice = f"the other findings ({', '.join(others)}) name the likely cause"
    else:
        advice = _longer_advice(ctx, numbers) or (
            "check that the targets belong to the inputs, then try a longer probe (--steps) "
            "and other learning rates"
        )
    return Finding("loss_at_guessing_level", text, advice, numbers)


def _longer_advice(ctx: Context, numbers: dict[str, Any]) -> str | None:
    """``train longer``, when the same probe run for :data:`LONGER_PROBE` steps learns."""
    steps = len(ctx.diag.step_losses)
    if ctx.longer is None or steps >= LONGER_PROBE:
        return None
    loss, acc = ctx.longer(LONGER_PROBE)
    chance, guess = ctx.ref["chance_accuracy"], ctx.ref["guess_loss"]
    learned = (
        acc >= chance + CHANCE_MARGIN
        if acc is not None and chance is not None
        else math.isfinite(loss) and loss < GUESSING * guess
    )
    numbers["longer_probe"] = {"steps": LONGER_PROBE, "final_loss": loss, "accuracy": acc}
    if not learned:
        return None
    reached = f"accuracy {pct(acc)}" if acc is not None else f"loss {fmt(loss)}"
    return (
        f"the run is too short: {steps} steps, and the same probe continued to {LONGER_PROBE} "
        f"steps reaches {reached}; train for more epochs (`--epochs`)"
    )
