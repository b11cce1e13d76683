"""The seed's question across time, as a picture: ``||dC/dh||`` step by step back.

:func:`gradient_through_time` draws, for one or more recurrent networks trained with
:class:`~nn.diagnostics.measure.Diagnostics`, the norm of the gradient reaching the hidden
state ``k`` steps before the last, divided by its value at the last step, on a logarithmic
scale: a straight falling line is a gradient that shrinks by the same factor every step back
(docs/recurrent.md, VT1 and VT2), a flat one a gradient that survives. Needs matplotlib, like
:mod:`nn.diagnostics.plots`, which re-exports it (``nn.plots.gradient_through_time``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nn.diagnostics.figures import PathLike, finish, new_figure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from nn.diagnostics.measure import Diagnostics

__all__ = ["gradient_through_time", "recurrent_layer"]


def recurrent_layer(diagnostics: Diagnostics) -> int:
    """The number (1 .. L) of the first measured layer that recorded a gradient through time.

    Raises
    ------
    ValueError
        If no layer did (the network has no recurrent layer, or nothing was recorded yet).
    """
    for info in diagnostics.infos:
        steps, _ = diagnostics.through_time(info.number)
        if steps.size:
            return info.number
    raise ValueError(
        "no layer recorded ||dC/dh_t||: the network has no recurrent layer, or fit has not "
        "run with these Diagnostics"
    )


def gradient_through_time(
    diagnostics: dict[str, Diagnostics],
    *,
    title: str | None = None,
    path: PathLike | None = None,
) -> Figure:
    """``||dC/dh_{T-k}|| / ||dC/dh_T||`` against ``k``, at the first and the last recorded step.

    Parameters
    ----------
    diagnostics : dict of label -> Diagnostics
        One per network (``{"RNN": d1, "LSTM": d2}``), each recorded by ``fit``; the first
        layer that measured its gradient through time is drawn.
    title : str, optional
    path : str or path-like, optional
        Write the figure there as PNG.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: the initial weights (step 1) and the end of training.
    """
    fig = new_figure(10, 4)
    axes = fig.subplots(1, 2, sharey=True)
    for label, diag in diagnostics.items():
        steps, norms = diag.through_time(recurrent_layer(diag))
        for ax, row in zip(axes, (0, -1)):
            curve = norms[row] / norms[row][0]
            line = ax.semilogy(np.arange(curve.size), curve, lw=1.5, label=label)[0]
            line.set_gid(f"{label}@{steps[row]}")
        axes[1].set_title(f"after training (step {steps[-1]})")
    axes[0].set_title("initial weights (step 1)")
    for ax in axes:
        ax.set(xlabel="k, steps back from the last")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    axes[0].set(ylabel="||dC/dh_(T-k)|| / ||dC/dh_T||")
    fig.suptitle(title or "the gradient through time")
    return finish(fig, path)
