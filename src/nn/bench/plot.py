"""The figure of ``nn bench backprop --plot``: seconds per gradient against W and depth."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np

from nn.bench.backprop import CHAIN, ENGINES, LABELS, ROUTES, SEED_SIZES, network_name

if TYPE_CHECKING:  # matplotlib is optional: imported when a plot is asked for
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot"]


def plot(result: dict, path: str) -> None:
    """Log-log seconds per gradient against W (width ladder and seed), and against depth.

    Each route timed gets a colour; an engine is drawn dashed, in the colour of the
    hand-written route it is compared with.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["measurements"]
    has_depth = any(r["ladder"] == "depth" for r in rows)
    fig, axes = plt.subplots(1, 2 if has_depth else 1, figsize=(11 if has_depth else 6.5, 5.2))
    axes = np.atleast_1d(axes)
    colors = dict(zip((r.name for r in CHAIN), plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    timed = {r["route"] for r in rows}
    for route in (r for r in ROUTES if r.name in timed):
        mine = [r for r in rows if r["route"] == route.name and r["seconds"] is not None]
        color, style = colors[route.against or route.name], "s--" if route.against else "o-"
        _draw_width(axes[0], mine, LABELS[route.name], color, style)
        if has_depth:
            _draw_depth(axes[1], mine, color, style)
    _draw_slope_guides(axes[0], rows)
    _label(fig, axes, result)
    fig.tight_layout(rect=(0, 0.1 if len(axes) > 1 else 0.15, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _draw_width(ax: Axes, mine: list[dict], label: str, color: str, style: str) -> None:
    """One route's times against W: a line over the width ladder, a star for the seed."""
    line = sorted(
        (r for r in mine if r["ladder"] not in ("depth", "seed")), key=lambda r: r["weights"]
    )
    ax.loglog(
        [r["weights"] for r in line],
        [r["seconds"] for r in line],
        style,
        ms=3,
        color=color,
        label=label,
    )
    seed = [r for r in mine if r["ladder"] == "seed"]
    marker, size = ("*", 11) if style == "o-" else ("X", 8)  # an engine's: a cross
    w, t = [r["weights"] for r in seed], [r["seconds"] for r in seed]
    ax.loglog(w, t, marker, ms=size, color=color)


def _draw_depth(ax: Axes, mine: list[dict], color: str, style: str) -> None:
    """One route's times against the number of layers, over the depth ladder."""
    deep = sorted((r for r in mine if r["ladder"] == "depth"), key=lambda r: len(r["sizes"]))
    ax.semilogy(
        [len(r["sizes"]) - 1 for r in deep], [r["seconds"] for r in deep], style, ms=3, color=color
    )


def _draw_slope_guides(ax: Axes, rows: list[dict]) -> None:
    """Slopes W^2 and W^1 on the log-log axes, through the route's smallest network."""
    for name, p, style in (("finite_differences", 2, "--"), ("backprop_python", 1, ":")):
        pts = sorted(
            (r["weights"], r["seconds"])
            for r in rows
            if r["route"] == name and r["ladder"] == "width" and r["seconds"] is not None
        )
        if len(pts) >= 2:
            (w0, t0), w1 = pts[0], pts[-1][0]
            w = np.geomspace(w0, w1, 20)
            ax.loglog(w, t0 * (w / w0) ** p, style, color="grey", lw=1, label=f"~ W^{p}")


def _label(fig: Figure, axes: np.ndarray, result: dict) -> None:
    """Axis labels, titles, the legend, the grid and the command and machine on top."""
    batch = result["settings"]["batch"]
    engines = {r.name for r in ENGINES} & {r["route"] for r in result["measurements"]}
    axes[0].set(
        xlabel="W, number of weights and biases",
        ylabel=f"seconds per gradient (batch of {batch})",
        title=f"Width ladder; {'stars, crosses' if engines else 'stars'}: "
        f"{network_name(list(SEED_SIZES))}",
    )
    ncol = 4 if len(axes) > 1 else 2  # one panel: narrower
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=ncol, fontsize=8)
    if len(axes) > 1:
        axes[1].set(xlabel="number of layers (4 units each)", title="Depth ladder")
    for ax in axes:
        ax.grid(True, which="major", alpha=0.3)
    m = result["machine"]
    # about 14 characters of 9-point text to the inch: a long command wraps, not clips
    command = textwrap.fill(
        result["command"], width=int(14 * fig.get_figwidth()), break_on_hyphens=False
    )
    load = f"load average {m['load_average_start']} .. {m['load_average_end']} (shared machine)"
    fig.suptitle(f"{command}\n{m['cpu']}, {m['cores']} cores; {load}", fontsize=9)
