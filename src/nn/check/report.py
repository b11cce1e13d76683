"""The result of :func:`nn.check_gradients`: per-entry errors, and the verdict on them.

Entries whose relative error is over the tolerance are sorted into three kinds (see
:mod:`nn.check.gradcheck` for how they are measured): *mismatches*, shown wrong because backprop is
off by more than ``DISAGREEMENT_MARGIN`` times what the finite differences at ``eps`` and
``eps / 3`` disagree by there, and by more than the round-off floor; *unresolved* entries,
where the finite
differences cannot tell (round-off, truncation or a kink); and entries *not measured again*
(over the ``recheck`` cap, or a row built without per-entry errors), which cannot pass. A
gradient or finite difference that is inf or NaN is a mismatch, however it compares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

__all__ = [
    "DISAGREEMENT_MARGIN",
    "RECHECK_FRACTION",
    "RECHECK_LIMIT",
    "GradCheckReport",
    "GradCheckRow",
]

#: The second and third steps, as fractions of eps: round-off grows 3x and 10x, truncation
#: shrinks 3^order and 10^order times, and a kink closer than 2 eps often leaves the stencil.
RECHECK_STEPS = (1 / 3, 1 / 10)
#: An entry is a mismatch when backprop is off by more than this many times the finite
#: differences at eps and eps/3 disagree by there (and by more than the round-off floor).
DISAGREEMENT_MARGIN = 10.0
#: Entries re-measured by default, the ones with the largest absolute errors: this many, or
#: RECHECK_FRACTION of the entries checked if more. Each costs 2 * order forward passes, so
#: 5% of the entries adds at most 10% to the order * entries of the first pass; one ReLU
#: kink can put a hidden unit's whole column of weights (784 in [784, 30, 10]) over tol.
RECHECK_LIMIT = 1000
RECHECK_FRACTION = 0.05


def _empty(dtype: type = float) -> np.ndarray:
    return np.zeros(0, dtype=dtype)


@dataclass(frozen=True)
class GradCheckRow:
    """The result for one parameter tensor.

    Without the per-entry arrays (a row built by hand) a maximum relative error over the
    tolerance cannot be judged, so the report does not pass it.
    """

    key: str  # "0.W": layer index and parameter name
    layer: str  # the layer's class name
    shape: tuple[int, ...]
    checked: int  # entries compared (all of them unless max_entries capped it)
    max_rel_error: float
    max_abs_error: float
    # per checked entry, (checked,) each: errors against the finite difference at eps
    rel_errors: np.ndarray = field(default_factory=_empty, repr=False, compare=False)
    abs_errors: np.ndarray = field(default_factory=_empty, repr=False, compare=False)
    # |fd(eps) - fd(eps/3)|, what the two least noisy finite differences disagree by; NaN
    # where not re-measured
    spreads: np.ndarray = field(default_factory=_empty, repr=False, compare=False)
    # True where the step eps is the odd one out (truncation or a kink), False where the
    # smaller steps scatter (round-off)
    large_step_off: np.ndarray = field(
        default_factory=lambda: _empty(bool), repr=False, compare=False
    )
    nonfinite_grads: int = 0  # entries of the whole gradient tensor that are inf or NaN
    nonfinite_fds: int = 0  # checked entries whose finite difference is inf or NaN


class _Masks(NamedTuple):
    """The entries of one row over a tolerance, by kind: one bool per checked entry each."""

    mismatch: np.ndarray
    unresolved: np.ndarray
    unexamined: np.ndarray


@dataclass(frozen=True)
class _Sorted:
    """Entries over a tolerance, sorted: one mask per row for each kind, plus errors."""

    mismatch: list[np.ndarray]
    unresolved: list[np.ndarray]
    unexamined: list[np.ndarray]
    abs_errors: list[np.ndarray]
    large_step_off: list[np.ndarray]

    def count(self, kind: str) -> int:
        return sum(int(m.sum()) for m in getattr(self, kind))

    def max_abs(self, kind: str) -> float:
        return max(
            (float(e[m].max()) for m, e in zip(getattr(self, kind), self.abs_errors) if m.any()),
            default=0.0,
        )


@dataclass(frozen=True)
class GradCheckReport:
    """Per-tensor errors of one gradient check; ``str(report)`` is a table and a verdict."""

    rows: tuple[GradCheckRow, ...]
    eps: float
    order: int
    round_off: float = 0.0  # floor: one finite difference's round-off at the loss's scale
    tol: float = 1e-6  # entries over this relative error were re-measured
    recheck: int | None = RECHECK_LIMIT  # at most this many (None: all)
    # class names of the network's layers, by trait (nn.core.layer), for the wording only
    kinks: tuple[str, ...] = ()  # has_kink: a jump in the derivative (ReLU at 0)
    saturating: tuple[str, ...] = ()  # saturation_range: flat far from 0 (sigmoid, tanh)
    dying: tuple[str, ...] = ()  # can_die: output and gradient exactly 0 (ReLU)
    dropout: tuple[str, ...] = ()  # is_random: drop units while training (dropout)

    @property
    def max_rel_error(self) -> float:
        """The worst relative error over every checked entry, tiny gradients included (NaN
        if any is)."""
        return float(np.max([r.max_rel_error for r in self.rows], initial=0.0))

    @property
    def max_abs_error(self) -> float:
        """The worst absolute error over every checked entry (NaN if any is)."""
        return float(np.max([r.max_abs_error for r in self.rows], initial=0.0))

    def failures_in(self, row: GradCheckRow, tol: float = 1e-6) -> np.ndarray:
        """Mask of the entries of ``row`` shown wrong (mismatches).

        Parameters
        ----------
        row : GradCheckRow
            One of :attr:`rows`.
        tol : float
            Relative errors up to this pass without further question.

        Returns
        -------
        ndarray of bool, shape (row.checked,)
            True where the error is not finite (backprop or the finite difference is inf or
            NaN), or the relative error is over ``tol`` and backprop is off by more than
            ``DISAGREEMENT_MARGIN`` times the finite differences' disagreement there and
            more than the round-off floor.
        """
        mismatch = self._masks(row, tol).mismatch
        return mismatch if mismatch.size == row.checked else np.zeros(row.checked, bool)

    def failures(self, tol: float = 1e-6) -> np.ndarray:
        """Relative errors of the mismatches, the entries shown wrong.

        Parameters
        ----------
        tol : float
            Relative errors up to this pass without further question.

        Returns
        -------
        ndarray of shape (n_mismatches,)
        """
        parts = [r.rel_errors[self.failures_in(r, tol)] for r in self.rows]
        return np.concatenate([_empty(), *parts])

    def passed(self, tol: float = 1e-6) -> bool:
        """Whether no entry is shown wrong and every entry over ``tol`` was judged.

        Parameters
        ----------
        tol : float
            Relative errors up to this pass without further question.

        Returns
        -------
        bool
            False when there is a mismatch (a gradient entry that is inf or NaN, checked or
            not, is one), or an entry over ``tol`` that was not re-measured
            (over the ``recheck`` cap, under the ``tol`` the check ran with, or a row without
            per-entry errors). Unresolved entries, where the finite differences cannot tell,
            pass; :meth:`verdict` counts them and says why.
        """
        s = self._sort(tol)
        nonfinite = any(r.nonfinite_grads for r in self.rows)
        return not nonfinite and s.count("mismatch") == 0 and s.count("unexamined") == 0

    def verdict(self, tol: float = 1e-6) -> str:
        """One line: ok, MISMATCH or NOT CHECKED, with the evidence and what to try.

        Parameters
        ----------
        tol : float
            Relative errors up to this pass without further question.

        Returns
        -------
        str
            Never advises a setting this check already used.
        """
        head = (
            f"worst relative error {self.max_rel_error:.2e} (order {self.order}, eps={self.eps:g})"
        )
        s = self._sort(tol)
        nonfinite = self._not_finite()
        if nonfinite:
            return f"{head}: MISMATCH: not finite: {nonfinite}"
        if s.count("mismatch"):
            keys = _keys(self.rows, s.mismatch)
            return (
                f"{head}: MISMATCH: a gradient is wrong: {_entries(s.count('mismatch'))} of "
                f"{keys} off by up to {s.max_abs('mismatch'):.2e}, over "
                f"{DISAGREEMENT_MARGIN:g}x what the finite differences at eps and eps/3 disagree "
                f"by there; check the backward of {keys}"
            )
        if s.count("unexamined"):
            unexamined = f"{head}: NOT CHECKED: " + self._unexamined(s, tol)
            if s.count("unresolved"):  # the same as below, for those measured again
                unexamined += f"; {_entries(s.count('unresolved'))} unresolved: {self._reasons(s)}"
            return unexamined
        n = s.count("unresolved")
        if not n:
            return f"{head}: ok"
        return (  # the good news first: the large relative error above is one of these
            f"{head}: ok (all entries within {tol:g} but {_entries(n)} where the finite "
            f"differences disagree with themselves (steps eps, eps/3, eps/10), so they cannot "
            f"judge backprop there: {self._reasons(s)}; absolute errors of those entries at "
            f"most {s.max_abs('unresolved'):.2e})"
        )

    def to_text(self, tol: float = 1e-6) -> str:
        """The table, one row per tensor, and the :meth:`verdict` at ``tol``.

        Parameters
        ----------
        tol : float
            Relative errors up to this pass without further question.

        Returns
        -------
        str
        """
        lines = [
            f"{'parameter':<10} {'layer':<10} {'shape':<12} {'checked':>8} "
            f"{'max rel err':>12} {'max abs err':>12}"
        ]
        for r in self.rows:
            shape = "x".join(map(str, r.shape))
            lines.append(
                f"{r.key:<10} {r.layer:<10} {shape:<12} {r.checked:>8} "
                f"{r.max_rel_error:>12.2e} {r.max_abs_error:>12.2e}"
            )
        lines.append(self.verdict(tol))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def _masks(self, row: GradCheckRow, tol: float) -> _Masks:
        """The entries of ``row`` over ``tol``: mismatches, unresolved, not measured again."""
        rel, err = row.rel_errors, row.abs_errors
        if rel.size != row.checked or err.size != row.checked:  # no per-entry errors
            no = np.zeros(1, bool)
            return _Masks(
                mismatch=no, unresolved=no, unexamined=np.array([row.max_rel_error > tol])
            )
        spread = row.spreads if row.spreads.size == row.checked else np.full(row.checked, np.nan)
        nonfinite = ~np.isfinite(err)  # NaN compares False with everything: handled apart
        over = rel > tol
        # even finite differences in perfect agreement would leave these within round-off
        floored = err <= self.round_off
        examined = ~np.isnan(spread)
        with np.errstate(invalid="ignore"):
            off = err > DISAGREEMENT_MARGIN * spread
        mismatch = nonfinite | (over & ~floored & examined & off)
        unresolved = over & ~mismatch & (floored | examined)
        return _Masks(mismatch, unresolved, unexamined=over & ~floored & ~examined)

    def _sort(self, tol: float) -> _Sorted:
        masks = [self._masks(r, tol) for r in self.rows]
        errs, large = [], []
        for r, m in zip(self.rows, masks):
            data = m.mismatch.size == r.checked
            errs.append(r.abs_errors if data else np.array([r.max_abs_error]))
            ok = data and r.large_step_off.size == r.checked
            large.append(r.large_step_off if ok else np.zeros(m.mismatch.size, bool))
        return _Sorted(
            mismatch=[m.mismatch for m in masks],
            unresolved=[m.unresolved for m in masks],
            unexamined=[m.unexamined for m in masks],
            abs_errors=errs,
            large_step_off=large,
        )

    def _unexamined(self, s: _Sorted, tol: float) -> str:
        bare = [
            r.key
            for r, m in zip(self.rows, s.unexamined)
            if m.any() and (r.rel_errors.size != r.checked or r.abs_errors.size != r.checked)
        ]
        n = s.count("unexamined")
        parts = [f"{_entries(n)} over {tol:g} were not measured again, so may be wrong"]
        if bare:
            parts.append(f"{', '.join(bare)} carry no per-entry errors: rerun check_gradients")
        if tol < self.tol:
            parts.append(
                f"the check re-measured only entries over {self.tol:g}: pass tol={tol:g} to "
                "check_gradients"
            )
        elif len(bare) < n and self.recheck is not None:
            total = n - len(bare) + self._examined_count()
            parts.append(
                f"only the {self.recheck} with the largest absolute errors were: rerun with "
                f"recheck={total} (--recheck {total})"
            )
        return "; ".join(parts)

    def _not_finite(self) -> str:
        """What is inf or NaN, per tensor ("" if nothing), and what to check."""
        parts, keys = [], []
        for r in self.rows:
            errs = int(np.count_nonzero(~np.isfinite(r.abs_errors)))
            size = int(np.prod(r.shape))
            if r.nonfinite_grads:
                parts.append(
                    f"backprop gave inf/NaN for {r.nonfinite_grads} of {size} entries of {r.key}"
                )
            if r.nonfinite_fds:
                parts.append(
                    f"the finite difference is inf/NaN for {r.nonfinite_fds} of {r.checked} "
                    f"entries of {r.key} (the loss is not finite within 2 eps of them)"
                )
            if errs and not (r.nonfinite_grads or r.nonfinite_fds):
                parts.append(f"the error is inf/NaN for {errs} entries of {r.key}")
            if r.nonfinite_grads or errs:
                keys.append(r.key)
        if not parts:
            return ""
        return "; ".join(parts) + (f"; check the backward of {', '.join(keys)}" if keys else "")

    def _examined_count(self) -> int:
        return sum(int(np.sum(~np.isnan(r.spreads))) for r in self.rows)

    def _reasons(self, s: _Sorted) -> str:
        large = sum(int((m & g).sum()) for m, g in zip(s.unresolved, s.large_step_off))
        small = s.count("unresolved") - large
        reasons = []
        if large and self.kinks:
            smaller = self.eps / 100
            reasons.append(
                f"{large} likely at a kink of {'/'.join(self.kinks)} within 2 eps, where the "
                f"step eps is the odd one out: try eps={smaller:g} (--eps {smaller:g})"
            )
        elif large:
            smaller = self.eps / 100
            fix = (
                "order=4 (--order 4)" if self.order == 2 else f"eps={smaller:g} (--eps {smaller:g})"
            )
            reasons.append(
                f"{large} likely truncation, the step eps being the odd one out: try {fix}"
            )
        if small:
            why = f"{small} round-off on gradients near zero{self._near_zero_example()}"
            if self.order == 2:
                why += ": try order=4 (--order 4)"
            reasons.append(why)
        return "; ".join(reasons)

    def _near_zero_example(self) -> str:
        """Where this network's gradients near zero come from, by its layer types."""
        sources = []
        if self.saturating:
            sources.append(f"saturated {'/'.join(self.saturating)} units")
        if self.dying:
            sources.append(f"dead {'/'.join(self.dying)} units")
        shallow = [name for name in self.kinks if name not in self.dying]
        if shallow:  # a kink that cannot die has a shallow side instead (leaky ReLU)
            sources.append(f"{'/'.join(shallow)} units on their shallow side")
        if self.dropout:
            sources.append(f"units dropped by {'/'.join(self.dropout)}")
        return f", e.g. of {' or '.join(sources)}" if sources else ""


def _keys(rows: tuple[GradCheckRow, ...], masks: list[np.ndarray]) -> str:
    return ", ".join(r.key for r, m in zip(rows, masks) if m.any())


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"
