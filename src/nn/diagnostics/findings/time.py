"""The doctor's rules across time: gradients that vanish or explode back through the steps.

A recurrent layer records ``||dC/dh_t||`` for every step ``t`` of the mini-batch
(``grad_norms_through_time``, read by :class:`~nn.diagnostics.measure.Diagnostics` into each
record's ``grad_through_time``: 0, 1, 2, ... steps back from the last). Between two steps the
gradient is multiplied by the transposed Jacobian of one step; in the tanh RNN that is
``diag(1 - h^2) Wh^T``, whose size is at most ``max tanh' * sigma_max(Wh) <= sigma_max(Wh)``
(docs/recurrent.md, VT1 and VT2). So the ratio of the gradient ``k`` steps back to the gradient
at the last step falls (or grows) roughly like a power ``rho^k``; this module measures it as

* ``reach``: ``||dC/dh_1|| / ||dC/dh_T||``, the first step's gradient over the last's (median
  over the probe's records), and
* ``per_step = reach^(1 / (T - 1))``, the factor of one step back,

and names the problem when the first steps receive a thousand times less (or more) than the
last. A loss at every step (a language model) hands each ``h_t`` a gradient of its own, so the
total stays level even when what travels back fades: these rules then stay silent, and the
fade shows in a task whose loss is far from the inputs that matter (the adding problem).
"""

from __future__ import annotations

import math

import numpy as np

from nn.diagnostics.findings.base import (
    EXPLODING_THROUGH_TIME,
    VANISHING_THROUGH_TIME,
    Context,
    Finding,
    fmt,
)

__all__ = ["examine_time", "reach_through_time"]


def _ratio(row: np.ndarray) -> float:
    """``||dC/dh_1|| / ||dC/dh_T||`` of one record (``row[k]``: ``k`` steps back), where the last
    step ``T`` is the last one any gradient reached: steps after it are padding of the whole
    mini-batch (no loss there, nothing from later), whose exact zeros are not a gradient.
    """
    row = row[np.isfinite(row)]
    reached = np.flatnonzero(row)
    row = row[reached[0] :] if reached.size else row
    if row.size < 2:
        return math.nan
    if row[0] > 0:
        return float(row[-1] / row[0])
    return math.nan if row[-1] == 0 else math.inf


def reach_through_time(ctx: Context, number: int) -> tuple[float, float, int] | None:
    """``(at the start, at the end, T)`` for measured layer ``number``: ``||dC/dh_1|| /
    ||dC/dh_T||`` at the first recorded step, and its median over the last three records
    (mini-batches are noisy); None for a layer without a through-time record.
    """
    steps, norms = ctx.diag.through_time(number)
    if not steps.size or norms.shape[1] < 2:
        return None
    ratios = [_ratio(row) for row in norms]
    last = [r for r in ratios[-3:] if not math.isnan(r)]
    end = float(np.median(last)) if last else math.nan
    return ratios[0], end, int(norms.shape[1])


def _largest_singular_value(ctx: Context, index: int) -> float | None:
    """``sigma_max`` of the layer's recurrent weights ``Wh`` at the start, if it has them."""
    Wh = ctx.run.initial.layers[index].params.get("Wh")
    if Wh is None or Wh.ndim != 2:
        return None
    return float(np.linalg.norm(np.asarray(Wh, dtype=np.float64), 2))


def _advice(layer: object, vanishing: bool) -> str:
    """What to try, by the layer's ``memory_path`` trait (its additive path through time)."""
    path = getattr(layer, "memory_path", None)
    if not vanishing:
        return (
            "clip the gradient norm (`--clip-norm 1`), lower the learning rate, and start Wh "
            "smaller (its largest singular value below 1)"
        )
    if path is None:
        return (
            "what happened more than a few steps before the loss cannot be learned: use an "
            "LSTM or GRU (`--cell lstm`), whose cell state (or update gate) is an additive "
            "path the gradient travels along unshrunk (LSTM3, GRU3); for a plain RNN start Wh "
            "orthogonal (init='orthogonal': every singular value 1), so that only tanh' "
            "shrinks the gradient"
        )
    return (
        f"the layer has an additive path through time ({path}), but its gates do not keep it "
        "open yet: train longer (the gates learn to hold what matters), start them more open "
        "(the LSTM's forget-gate bias at 3 instead of 1: sigmoid(3) = 0.95 per step), or "
        "shorten the distance between cause and loss"
    )


def examine_time(ctx: Context) -> list[Finding]:
    """The findings about gradients through time, one per problem (the first layer's)."""
    found: dict[str, Finding] = {}
    for info in ctx.infos:
        measured = reach_through_time(ctx, info.number)
        if measured is None:
            continue
        start, reach, T = measured
        if not (reach < VANISHING_THROUGH_TIME or reach > EXPLODING_THROUGH_TIME):
            continue
        per_step = reach ** (1 / (T - 1)) if math.isfinite(reach) and reach > 0 else reach
        sigma = _largest_singular_value(ctx, info.index)
        numbers = {"layer": info.number, "T": T, "reach_start": start, "reach": reach}
        numbers.update({"per_step": per_step, "sigma_max_Wh": sigma})
        evidence = (
            f"{ctx.label(info.number)}: the gradient reaching the first of {T} steps is "
            f"{fmt(reach)} times the gradient at the last step at the end of the probe "
            f"({fmt(start)} at the start), a factor of about {fmt(per_step)} per step back"
        )
        if sigma is not None:
            evidence += f"; the largest singular value of Wh at the start is {fmt(sigma)}"
        vanishing = reach < VANISHING_THROUGH_TIME
        key = "vanishing" if vanishing else "exploding"
        found.setdefault(
            f"{key}_gradients_through_time",
            Finding(
                f"{key}_gradients_through_time",
                evidence,
                _advice(ctx.run.initial.layers[info.index], vanishing),
                numbers,
            ),
        )
    return list(found.values())
