"""How every picture in :mod:`nn.diagnostics` starts and ends, without ``pyplot``.

A :class:`matplotlib.figure.Figure` built directly needs no display and keeps no global
figure state; it is rendered by the Agg canvas when saved. matplotlib is imported only when a
figure is made, so importing the modules that draw costs nothing until they do.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["PathLike", "finish", "new_figure"]

PathLike = str | os.PathLike[str]


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` x ``height`` inches, not attached to any window.

    Raises
    ------
    ImportError
        If matplotlib is not installed; the message says how to install it.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "nn.diagnostics.plots needs matplotlib: "
            'pip install "nn[plot]" (or pip install matplotlib)'
        ) from err
    return Figure(figsize=(width, height), layout="constrained")


def finish(fig: Figure, path: PathLike | None) -> Figure:
    """Write ``fig`` to ``path`` as PNG if a path is given; return ``fig``."""
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
