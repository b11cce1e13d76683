"""The words of :meth:`GradCheckReport.verdict`: why entries could not be judged, what to try.

Plain functions of a report (:mod:`nn.check.report`) and of its entries sorted by kind: what
is inf or NaN, which entries were not measured again and the setting that would measure
them, and the likely reason for entries the finite differences cannot judge (a kink,
truncation or round-off), with an example from the network's own layers. Advice never names
a setting the check already used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nn.check.report import GradCheckReport, GradCheckRow, SortedEntries

__all__ = ["departed", "entries", "keys", "not_finite", "reasons", "unexamined"]


def entries(n: int) -> str:
    """``1 entry``, ``2 entries``."""
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def keys(rows: tuple[GradCheckRow, ...], masks: list[np.ndarray]) -> str:
    """The keys of the rows with an entry in ``masks``, e.g. ``0.W, 2.b``."""
    return ", ".join(r.key for r, m in zip(rows, masks) if m.any())


def unexamined(report: GradCheckReport, s: SortedEntries, tol: float) -> str:
    """How many entries over ``tol`` were not measured again, and how to measure them."""
    bare = [
        r.key
        for r, m in zip(report.rows, s.unexamined)
        if m.any() and (r.rel_errors.size != r.checked or r.abs_errors.size != r.checked)
    ]
    n = s.count("unexamined")
    parts = [f"{entries(n)} over {tol:g} were not measured again, so may be wrong"]
    if bare:
        parts.append(f"{', '.join(bare)} carry no per-entry errors: rerun check_gradients")
    if tol < report.tol:
        parts.append(
            f"the check re-measured only entries over {report.tol:g}: pass tol={tol:g} to "
            "check_gradients"
        )
    elif len(bare) < n and report.recheck is not None:
        examined = sum(int(np.sum(~np.isnan(r.spreads))) for r in report.rows)
        total = n - len(bare) + examined
        parts.append(
            f"only the {report.recheck} with the largest absolute errors were: rerun with "
            f"recheck={total} (--recheck {total})"
        )
    return "; ".join(parts)


def not_finite(report: GradCheckReport) -> str:
    """What is inf or NaN, per tensor ("" if nothing), and what to check."""
    engine = report.reference == "autograd"
    parts, bad = [], []
    for r in report.rows:
        errs = int(np.count_nonzero(~np.isfinite(r.abs_errors)))
        size = int(np.prod(r.shape))
        if r.nonfinite_grads:
            parts.append(
                f"backprop gave inf/NaN for {r.nonfinite_grads} of {size} entries of {r.key}"
            )
        if r.nonfinite_fds and engine:
            parts.append(
                f"the engine gave inf/NaN for {r.nonfinite_fds} of {size} entries of {r.key}"
            )
        elif r.nonfinite_fds:
            parts.append(
                f"the finite difference is inf/NaN for {r.nonfinite_fds} of {r.checked} "
                f"entries of {r.key} (the loss is not finite within 2 eps of them)"
            )
        if errs and not (r.nonfinite_grads or r.nonfinite_fds):
            parts.append(f"the error is inf/NaN for {errs} entries of {r.key}")
        if r.nonfinite_grads or errs:
            bad.append(r.key)
    if not parts:
        return ""
    if engine and report.departure:
        return "; ".join(parts) + f"; {departed(report.departure)}"
    return "; ".join(parts) + (f"; check the backward of {', '.join(bad)}" if bad else "")


def departed(where: str) -> str:
    """Where backprop parts from the engine (``GradCheckReport.departure``), as advice."""
    return f"backprop first parts from the engine at {where}: check it"


def reasons(report: GradCheckReport, s: SortedEntries) -> str:
    """The likely reasons for the unresolved entries (kink, truncation, round-off)."""
    large = sum(int((m & g).sum()) for m, g in zip(s.unresolved, s.large_step_off))
    small = s.count("unresolved") - large
    found = []
    if large and report.kinks:
        smaller = report.eps / 100
        found.append(
            f"{large} likely at a kink of {'/'.join(report.kinks)} within 2 eps, where the "
            f"step eps is the odd one out: try eps={smaller:g} (--eps {smaller:g})"
        )
    elif large:
        smaller = report.eps / 100
        fix = "order=4 (--order 4)" if report.order == 2 else f"eps={smaller:g} (--eps {smaller:g})"
        found.append(f"{large} likely truncation, the step eps being the odd one out: try {fix}")
    if small:
        why = f"{small} round-off on gradients near zero{_near_zero_example(report)}"
        if report.order == 2:
            why += ": try order=4 (--order 4)"
        found.append(why)
    return "; ".join(found)


def _near_zero_example(report: GradCheckReport) -> str:
    """Where this network's gradients near zero come from, by its layer types."""
    sources = []
    if report.saturating:
        sources.append(f"saturated {'/'.join(report.saturating)} units")
    if report.dying:
        sources.append(f"dead {'/'.join(report.dying)} units")
    shallow = [name for name in report.kinks if name not in report.dying]
    if shallow:  # a kink that cannot die has a shallow side instead (leaky ReLU)
        sources.append(f"{'/'.join(shallow)} units on their shallow side")
    if report.dropout:
        sources.append(f"units dropped by {'/'.join(report.dropout)}")
    return f", e.g. of {' or '.join(sources)}" if sources else ""
