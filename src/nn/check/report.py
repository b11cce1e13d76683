"""The result of :func:`nn.check_gradients`: per-entry errors, and the verdict on them.

Against finite differences (the default reference), entries whose relative error is over the
tolerance are sorted into three kinds (see :mod:`nn.check.finite_differences` for how they
are measured): *mismatches*, shown wrong because backprop is
off by more than ``DISAGREEMENT_MARGIN`` times what the finite differences at ``eps`` and
``eps / 3`` disagree by there, and by more than the round-off floor; *unresolved* entries,
where the finite
differences cannot tell (round-off, truncation or a kink); and entries *not measured again*
(over the ``recheck`` cap, or a row built without per-entry errors), which cannot pass. A
gradient or finite difference that is inf or NaN is a mismatch, however it compares.

Against the autograd engine (``reference="autograd"``, :mod:`nn.check.autograd_reference`)
there is one kind: an entry off by more than the tolerance, relative to the largest entry of
its tensor, is a mismatch. The words of the verdict are in :mod:`nn.check.explain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from nn.check.explain import departed, entries, keys, not_finite, reasons, unexamined

__all__ = [
    "AUTOGRAD_TOL",
    "DISAGREEMENT_MARGIN",
    "RECHECK_FRACTION",
    "RECHECK_LIMIT",
    "REFERENCES",
    "GradCheckReport",
    "GradCheckRow",
]

#: What backprop's gradients can be compared with: finite differences of the loss (the
#: default; any layer) or the tensor engine of nn.autograd (exact; layers it has rules for).
REFERENCES = ("finite_differences", "autograd")
#: The default tolerance against the engine, relative to each tensor's largest entry: the two
#: exact routes agree to about 1e-15, a wrong derivative errs by about the gradient's size.
AUTOGRAD_TOL = 1e-10

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
#: The tolerance of a finite-difference check unless told otherwise.
FINITE_DIFFERENCES_TOL = 1e-6


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
    # per checked entry, (checked,) each: errors against the finite difference at eps (against
    # the engine: relative to the largest entry of the tensor, in either route)
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
    nonfinite_fds: int = 0  # checked entries whose finite difference (engine's) is inf or NaN


class _Masks(NamedTuple):
    """The entries of one row over a tolerance, by kind: one bool per checked entry each."""

    mismatch: np.ndarray
    unresolved: np.ndarray
    unexamined: np.ndarray


@dataclass(frozen=True)
class SortedEntries:
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
    """Per-tensor errors of one gradient check; ``str(report)`` is a table and a verdict.

    The methods that judge take ``tol``, by default the one the check ran with.
    """

    rows: tuple[GradCheckRow, ...]
    eps: float  # finite differences' step and order (0 for the autograd reference)
    order: int
    round_off: float = 0.0  # floor: one finite difference's round-off at the loss's scale
    tol: float = FINITE_DIFFERENCES_TOL  # entries over this relative error were re-measured
    recheck: int | None = RECHECK_LIMIT  # at most this many (None: all)
    # class names of the network's layers, by trait (nn.core.layer), for the wording only
    kinks: tuple[str, ...] = ()  # has_kink: a jump in the derivative (ReLU at 0)
    saturating: tuple[str, ...] = ()  # saturation_range: flat far from 0 (sigmoid, tanh)
    dying: tuple[str, ...] = ()  # can_die: output and gradient exactly 0 (ReLU)
    dropout: tuple[str, ...] = ()  # is_random: drop units while training (dropout)
    reference: str = "finite_differences"  # one of REFERENCES: what backprop was compared with
    # against the engine: where backprop first parts from it, walking down from the loss
    departure: str = ""

    @property
    def max_rel_error(self) -> float:
        """The worst relative error over every checked entry, tiny gradients included (NaN
        if any is)."""
        return float(np.max([r.max_rel_error for r in self.rows], initial=0.0))

    @property
    def max_abs_error(self) -> float:
        """The worst absolute error over every checked entry (NaN if any is)."""
        return float(np.max([r.max_abs_error for r in self.rows], initial=0.0))

    def failures_in(self, row: GradCheckRow, tol: float | None = None) -> np.ndarray:
        """Mask of the entries of ``row`` shown wrong (mismatches).

        Parameters
        ----------
        row : GradCheckRow
            One of :attr:`rows`.
        tol : float, optional
            Relative errors up to this pass without further question (default: the
            tolerance the check ran with, :attr:`tol`).

        Returns
        -------
        ndarray of bool, shape (row.checked,)
            True where the error is not finite (backprop or the finite difference is inf or
            NaN), or the relative error is over ``tol`` and backprop is off by more than
            ``DISAGREEMENT_MARGIN`` times the finite differences' disagreement there and
            more than the round-off floor.
        """
        mismatch = self._masks(row, self._tol(tol)).mismatch
        return mismatch if mismatch.size == row.checked else np.zeros(row.checked, bool)

    def failures(self, tol: float | None = None) -> np.ndarray:
        """Relative errors of the mismatches, the entries shown wrong.

        Parameters
        ----------
        tol : float, optional
            Relative errors up to this pass without further question (default: the
            tolerance the check ran with, :attr:`tol`).

        Returns
        -------
        ndarray of shape (n_mismatches,)
        """
        tol = self._tol(tol)
        parts = [r.rel_errors[self.failures_in(r, tol)] for r in self.rows]
        return np.concatenate([_empty(), *parts])

    def passed(self, tol: float | None = None) -> bool:
        """Whether no entry is shown wrong and every entry over ``tol`` was judged.

        Parameters
        ----------
        tol : float, optional
            Relative errors up to this pass without further question (default: the
            tolerance the check ran with, :attr:`tol`).

        Returns
        -------
        bool
            False when there is a mismatch (a gradient entry that is inf or NaN, checked or
            not, is one), or an entry over ``tol`` that was not re-measured
            (over the ``recheck`` cap, under the ``tol`` the check ran with, or a row without
            per-entry errors). Unresolved entries, where the finite differences cannot tell,
            pass; :meth:`verdict` counts them and says why.
        """
        s = self._sort(self._tol(tol))
        nonfinite = any(r.nonfinite_grads for r in self.rows)
        return not nonfinite and s.count("mismatch") == 0 and s.count("unexamined") == 0

    def verdict(self, tol: float | None = None) -> str:
        """One line: ok, MISMATCH or NOT CHECKED, with the evidence and what to try.

        Parameters
        ----------
        tol : float, optional
            Relative errors up to this pass without further question (default: the
            tolerance the check ran with, :attr:`tol`).

        Returns
        -------
        str
            Never advises a setting this check already used.
        """
        tol = self._tol(tol)
        s = self._sort(tol)
        engine = self.reference == "autograd"
        head = f"worst relative error {self.max_rel_error:.2e} " + (
            "(compared with: the autograd engine, exact to rounding)"
            if engine
            else f"(order {self.order}, eps={self.eps:g})"
        )
        nonfinite = not_finite(self)
        if nonfinite:
            return f"{head}: MISMATCH: not finite: {nonfinite}"
        if s.count("mismatch"):
            where = keys(self.rows, s.mismatch)
            found = (
                f"{head}: MISMATCH: a gradient is wrong: {entries(s.count('mismatch'))} of "
                f"{where} off by up to {s.max_abs('mismatch'):.2e}, over "
            )
            if not engine:
                return (
                    f"{found}{DISAGREEMENT_MARGIN:g}x what the finite differences at eps and "
                    f"eps/3 disagree by there; check the backward of {where}"
                )
            culprit = (
                departed(self.departure) if self.departure else f"check the backward of {where}"
            )
            return f"{found}{tol:g} of the largest entry of their tensor; {culprit}"
        if s.count("unexamined"):
            not_judged = f"{head}: NOT CHECKED: " + unexamined(self, s, tol)
            if s.count("unresolved"):  # the same as below, for those measured again
                not_judged += f"; {entries(s.count('unresolved'))} unresolved: {reasons(self, s)}"
            return not_judged
        n = s.count("unresolved")
        if not n:
            return f"{head}: ok"
        return (  # the good news first: the large relative error above is one of these
            f"{head}: ok (all entries within {tol:g} but {entries(n)} where the finite "
            f"differences disagree with themselves (steps eps, eps/3, eps/10), so they cannot "
            f"judge backprop there: {reasons(self, s)}; absolute errors of those entries at "
            f"most {s.max_abs('unresolved'):.2e})"
        )

    def to_text(self, tol: float | None = None) -> str:
        """The table, one row per tensor, and the :meth:`verdict` at ``tol``.

        Parameters
        ----------
        tol : float, optional
            Relative errors up to this pass without further question (default: the
            tolerance the check ran with, :attr:`tol`).

        Returns
        -------
        str
        """
        lines = [
            f"{'parameter':<10} {'layer':<10} {'shape':<12} {'checked':>8} "
            f"{'max rel err':>12} {'max abs err':>12}"
        ]
        if self.reference == "autograd":
            lines.insert(
                0,
                "compared with: the autograd engine (exact to rounding); rel err: relative to "
                "the largest entry of the tensor",
            )
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

    def _tol(self, tol: float | None) -> float:
        return self.tol if tol is None else tol

    def _masks(self, row: GradCheckRow, tol: float) -> _Masks:
        """The entries of ``row`` over ``tol``: mismatches, unresolved, not measured again."""
        rel, err = row.rel_errors, row.abs_errors
        if rel.size != row.checked or err.size != row.checked:  # no per-entry errors
            no = np.zeros(1, bool)
            return _Masks(
                mismatch=no, unresolved=no, unexamined=np.array([row.max_rel_error > tol])
            )
        if self.reference == "autograd":  # exact against exact: over tol is wrong
            no = np.zeros(row.checked, bool)
            with np.errstate(invalid="ignore"):
                return _Masks(~np.isfinite(err) | (rel > tol), unresolved=no, unexamined=no)
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

    def _sort(self, tol: float) -> SortedEntries:
        masks = [self._masks(r, tol) for r in self.rows]
        errs, large = [], []
        for r, m in zip(self.rows, masks):
            data = m.mismatch.size == r.checked
            errs.append(r.abs_errors if data else np.array([r.max_abs_error]))
            ok = data and r.large_step_off.size == r.checked
            large.append(r.large_step_off if ok else np.zeros(m.mismatch.size, bool))
        return SortedEntries(
            mismatch=[m.mismatch for m in masks],
            unresolved=[m.unresolved for m in masks],
            unexamined=[m.unexamined for m in masks],
            abs_errors=errs,
            large_step_off=large,
        )
