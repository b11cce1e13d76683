"""A few points of every data set, for the page's buttons that choose one."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

import numpy as np

from nn.playground.data import DATASETS, generate
from nn.playground.settings import CLASSIFICATION, DEFAULTS

__all__ = ["thumbnails"]


@functools.cache
def thumbnails(points: int = 120) -> dict[str, Any]:
    """``{name: {"label", "problem", "points": [[x1, x2, y], ...]}}`` at noise 0, seed 1."""
    out = {}
    for name, spec in DATASETS.items():
        problem = "classification" if name in CLASSIFICATION else "regression"
        P, y = generate(replace(DEFAULTS, dataset=name, problem=problem))
        y = np.asarray(y, dtype=np.float64).reshape(len(P), -1)[:points, 0]
        rows = np.column_stack([P[:points].astype(np.float64), y])
        out[name] = {"label": spec.label, "problem": problem, "points": np.round(rows, 3).tolist()}
    return out
