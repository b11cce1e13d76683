"""What the doctor's rules share: the findings they can make, their thresholds, the context
they read and how they write numbers.

The rules themselves are in :mod:`nn.diagnostics.findings.rules` (and the learning-rate rule in
:mod:`nn.diagnostics.findings.learning_rate`); both import this module, which imports neither.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.layers.initializers import WEIGHT_VARIANCE

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.layer import Layer
    from nn.diagnostics.probe import ProbeRun

__all__ = [
    "FINDINGS",
    "Context",
    "Finding",
    "LONGER_PROBE",
    "MISFIT_LOSS",
    "Longer",
    "Rerun",
    "fan_in_weights",
    "fmt",
    "log_gain",
    "pct",
    "weight_scales",
]

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
    "vanishing_gradients_through_time": "in a recurrent layer the gradient shrinks step by "
    "step back through time: what the first steps of a sequence saw cannot be learned",
    "exploding_gradients_through_time": "in a recurrent layer the gradient grows step by step "
    "back through time, until it overflows or swamps every update",
    "large_init_weights": "the initial weights are too large for their number of inputs, so "
    "the weighted inputs are large: sigmoid and tanh units start saturated, ReLU nets blow up",
    "inputs_not_scaled": "the inputs are far from the unit scale the initializers assume",
    "saturated_outputs_squared_error": "output units saturated at the wrong end under the "
    "squared error, whose delta carries sigma'(z): the learning slowdown of Nielsen ch. 3",
    "dead_units": "rectifier units that output 0 for every example and no longer learn",
    "loss_misfit": "the loss falls while the predictions stay poor: the loss does not judge "
    "what the output layer predicts (categorical cross-entropy on sigmoid outputs, whose rows "
    "need not sum to 1), so training improves the one and not the other",
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
#: vanishing/exploding through time: ||dC/dh_1|| / ||dC/dh_T|| of a recurrent layer at the end of
#: the probe (docs/recurrent.md, VT1). On the adding problem (Adam 0.003, 300 steps) a tanh RNN
#: of 32 units ends at 0.28 for T = 10 and learns it; at T = 20 it ends at 1e-4 and at T = 40 at
#: 3e-10, and learns neither. 1e-3 lies between: the first steps get a thousandth of the
#: gradient of the last.
VANISHING_THROUGH_TIME = 1e-3
#: The mirror image: the first step's gradient 1000 times the last one's.
EXPLODING_THROUGH_TIME = 1e3
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
#: The loss is far below guessing (a tenth of it) while the accuracy is not even halfway from
#: chance to 100%: a loss that judged the predictions could not be so low. The seed network
#: after 300 steps is at 22% of guessing with 80% accuracy; softmax cross-entropy at 17%, 88%.
MISFIT_LOSS = 0.1
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
#: ``longer(steps)``: the final probe loss and accuracy (None without classes) of the same
#: probe trained for ``steps`` steps instead.
Longer = Callable[[int], tuple[float, float | None]]
#: A probe shorter than this many steps that ends at guessing is tried again this long
#: (the doctor's default): a run of 10 steps (XOR's 4 examples for 10 epochs) has simply not
#: had the time to learn, and saying so is the answer.
LONGER_PROBE = 300


def fmt(x: float | None) -> str:
    """A number for a sentence: 3 significant digits, ``nan``/``inf`` for what is not finite."""
    if x is None or not math.isfinite(x):
        return "nan" if x is None or math.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.3g}"


def pct(x: float) -> str:
    """A fraction as a percentage with one decimal: ``0.123`` -> ``"12.3%"``."""
    return f"{100 * x:.1f}%"


def log_gain(init: str, shapes: list[tuple[int, ...]]) -> float:
    """log of the product over layers of ``init``'s expected RMS(W) x sqrt(n_in)."""
    return sum(0.5 * math.log(WEIGHT_VARIANCE[init](n_in, n_out) * n_in) for n_in, n_out in shapes)


class Context:
    """What the rules read: the probe's measurements and the network before it."""

    def __init__(
        self,
        run: ProbeRun,
        fresh: bool,
        init: str | None = None,
        usual_lr: float | None = None,
        lr: float | None = None,
        relu_trial: Rerun | None = None,
        longer: Longer | None = None,
    ) -> None:
        self.run, self.fresh = run, fresh
        #: ``longer(steps)``: the same probe trained for ``steps`` steps (see :data:`Longer`)
        self.longer = longer
        self.diag = run.diagnostics
        self.ref = self.diag.reference
        self.records = self.diag.records
        self.first, self.last = self.records[0], self.records[-1]
        self.infos = self.diag.infos  # the measured layers, as the records list them
        #: the initializer the network was built with, if known: never suggested again
        self.init = init
        #: the optimizer's usual starting learning rate, if known
        self.usual_lr = usual_lr
        #: the learning rate of the probe, if known: suggestions then name rates, not factors
        self.lr = lr
        #: ``relu_trial(scale)``: the final probe loss of the same network with ReLU hidden
        #: layers and He weights, trained with the learning rate times ``scale``
        self.relu_trial = relu_trial
        #: (step, smallest learning-rate factor tried) when training diverged and smaller
        #: learning rates did not stop it
        self.diverges_anyway: tuple[int, float] | None = None
        self.found: dict[str, Finding] = {}  # by the rules that ran so far

    def rate(self, factor: float) -> str:
        """The learning rate times ``factor``, as a number when the rate is known."""
        if self.lr is not None:
            return f"{self.lr * factor:g}"
        return f"{factor:g} times the current rate"

    def inits(self, *names: str) -> list[str]:
        """``--init`` values worth suggesting: ``names`` without the one already used."""
        return [f"`--init {name}`" for name in names if name != self.init]

    def smaller_inits(self, *names: str) -> list[str]:
        """:meth:`inits` that draw smaller weights than the network has.

        "Smaller" is the product over the dense layers of RMS(W) x sqrt(n_in): the factor by
        which a signal's size grows through the network at the start. The network's is that
        of its initializer when it is known, else measured (an initializer must then be 10%
        smaller, above the sampling noise of a small layer). Layers without an
        ``(n_in, n_out)`` matrix ``W`` are left out (:func:`fan_in_weights`); with none, no
        initializer is suggested.
        """
        layers = [self.run.initial.layers[i.index] for i in self.infos]
        shapes = [W.shape for W in map(fan_in_weights, layers) if W is not None]
        if self.init in WEIGHT_VARIANCE:
            current = log_gain(self.init, shapes)
            margin = 0.0
        else:
            current = sum(math.log(s) for s in weight_scales(self)[1] if s is not None and s > 0)
            margin = math.log(1 / 0.9)
        return self.inits(*(n for n in names if log_gain(n, shapes) < current - margin))

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


def fan_in_weights(layer: Layer) -> np.ndarray | None:
    """``layer``'s weight matrix ``W`` of shape (n_in, n_out), or None if it has none.

    The advice about initial weights (RMS(W) x sqrt(n_in), the initializers' fan-in) is only
    given for such layers: any other layer (a convolution, a per-channel scale) is skipped.
    """
    W = layer.params.get("W")
    return W if W is not None and W.ndim == 2 else None


def weight_scales(ctx: Context) -> tuple[float, list[float | None]]:
    """The largest RMS(W) x sqrt(n_in) at the start (1 for N(0, 1/n_in)), and each measured
    layer's (None for a layer without an (n_in, n_out) matrix ``W``: not understood)."""
    scales: list[float | None] = []
    for info in ctx.infos:
        W = fan_in_weights(ctx.run.initial.layers[info.index])
        if W is None:
            scales.append(None)
            continue
        W = W.astype(np.float64)
        scales.append(float(np.sqrt(np.mean(W**2) * W.shape[0])))
    return max((s for s in scales if s is not None), default=0.0), scales
