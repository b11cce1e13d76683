"""The tables of ``nn bench backprop``, from the measurements as the JSON file stores them.

Per ladder: seconds per gradient of each route timed, the speed-up of each route of the chain
over the one before it (when the whole chain was timed), and the cost of generality: each
autograd engine's time over the hand-written route it is compared with. Then the growth of
each route's time with W and depth, and the per-example loop against the mini-batch. A run
that timed only some routes (``--route``) gets the tables those routes make.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nn.bench.backprop import CHAIN, ENGINES, LABELS, ROUTES, fit_exponent, network_name

__all__ = ["NOISY", "STEPS", "exponent_rows", "format_report", "seconds_text"]

#: The step from each route of the chain to the next: the speed-up table's columns.
STEPS = ("FD -> chain rule", "-> memoized", "-> NumPy", "-> mini-batch")
#: Samples of one timing spreading more than this (max / min) get a mark in the tables.
NOISY = 2.0

Networks = list[tuple[list[int], dict[str, dict]]]


def seconds_text(t: float | None) -> str:
    """``88.8 µs``, ``24.8 ms``, ``1.47 s``, ``1,202,304 s``; ``-`` for None."""
    if t is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale or unit == "µs":
            value = t / scale
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:,.0f} {unit}"
    raise AssertionError("unreachable")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table, its columns padded so it reads in a terminal too."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return [line(header), "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|"] + [
        line(r) for r in rows
    ]


def _networks(rows: Sequence[dict], ladder: str) -> Networks:
    out: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        if row["ladder"] == ladder:
            out.setdefault(tuple(row["sizes"]), {})[row["route"]] = row
    return [(list(sizes), by_route) for sizes, by_route in out.items()]


def _timed(rows: Sequence[dict]) -> list[str]:
    """Names of the routes in ``rows`` (run or skipped), in the order of ``ROUTES``."""
    present = {r["route"] for r in rows}
    return [route.name for route in ROUTES if route.name in present]


def exponent_rows(rows: Sequence[dict]) -> list[dict]:
    """Per route: growth exponent with W on the width ladder, time factor per added layer."""
    out = []
    for name in (route.name for route in ROUTES):
        width = [r for r in rows if r["route"] == name and r["ladder"] == "width"]
        width = [r for r in width if r["seconds"] is not None]
        depth = [r for r in rows if r["route"] == name and r["ladder"] == "depth"]
        depth = [r for r in depth if r["seconds"] is not None]
        entry: dict = {"route": name, "exponent": None, "exponent_top": None}
        if len({r["weights"] for r in width}) >= 2:
            entry["exponent"] = fit_exponent(
                [r["weights"] for r in width], [r["seconds"] for r in width]
            )
            top = sorted(width, key=lambda r: r["weights"])[-4:]
            entry["exponent_top"] = fit_exponent(
                [r["weights"] for r in top], [r["seconds"] for r in top]
            )
            entry["weights_range"] = [
                min(r["weights"] for r in width),
                max(r["weights"] for r in width),
            ]
        if len({r["weights"] for r in depth}) >= 2:
            weights = [r["weights"] for r in depth]
            entry["exponent_depth"] = fit_exponent(weights, [r["seconds"] for r in depth])
            # time ~ c * f^depth: least squares of log t against the number of layers
            layers = np.array([len(r["sizes"]) - 1 for r in depth], dtype=float)
            slope = np.polyfit(layers, np.log([r["seconds"] for r in depth]), 1)[0]
            entry["per_layer"] = float(np.exp(slope))
            entry["layers_range"] = [int(layers.min()), int(layers.max())]
        out.append(entry)
    return out


def format_report(result: dict) -> str:
    """Tables of seconds per gradient, speed-ups, the cost of generality, fitted growth and
    the batch comparison."""
    rows = result["measurements"]
    lines = _header(result)
    for ladder in dict.fromkeys(r["ladder"] for r in rows):
        nets = _networks(rows, ladder)
        lines += _seconds_table(ladder, nets, _timed(rows))
        lines += _speedup_table(ladder, nets)
        lines += _generality_table(ladder, nets)
    lines += _growth_table(rows)
    lines += _comparison_table(result["comparisons"])
    lines += _noise_note(result)
    return "\n".join(lines)


def _header(result: dict) -> list[str]:
    """Where and how the run was made, and what the tables' cells mean."""
    m, s = result["machine"], result["settings"]
    threads = ", ".join(f"{k}={v}" for k, v in m["thread_settings"].items()) or "NumPy's default"
    return [
        f"`{result['command']}` on {m['cpu']} ({m['cores']} cores), Python {m['python']}, "
        f"NumPy {m['numpy']}, BLAS threads: {threads}; "
        f"load average {m['load_average_start']} at the start and "
        f"{m['load_average_end']} at the end (other jobs share this machine: compare ratios "
        f"within one run); {m['seconds_total']} s in all.",
        "",
        f"Seconds per gradient of a mini-batch of {s['batch']} (median of up to {s['repeats']} "
        f'samples; "skip (~t)": predicted t is over the {s["budget"]:g} s budget, not run).',
    ]


def _cell(row: dict | None, fastest: bool = False) -> str:
    """One timing: its median (``*`` if noisy) or fastest sample, its prediction if skipped,
    "" if not timed."""
    if row is None:
        return ""
    if row["seconds"] is None:
        return f"skip (~{seconds_text(row['predicted_seconds'])})"
    if fastest:
        return seconds_text(_fastest(row))
    return seconds_text(row["seconds"]) + ("*" if _noisy(row["samples"]) else "")


def _fastest(row: dict | None) -> float | None:
    """The fastest sample of a timing (None if it was not run)."""
    if row is None or row["seconds"] is None:
        return None
    return min(row["samples"], default=row["seconds"])


def _seconds_table(ladder: str, nets: Networks, names: list[str]) -> list[str]:
    """One row per network of the ladder: W and each route's seconds per gradient."""
    body = []
    for sizes, by in nets:
        weights = next(iter(by.values()))["weights"]
        body.append([network_name(sizes), f"{weights:,}", *(_cell(by.get(n)) for n in names)])
    header = ["network", "W", *(LABELS[n] for n in names)]
    return ["", f"**{ladder}** ladder, seconds per gradient:", "", *_table(header, body)]


def _speedup_table(ladder: str, nets: Networks) -> list[str]:
    """Each route of the chain's speed-up over the one before it ([] unless all were timed)."""
    if not all(r.name in by for _, by in nets for r in CHAIN):
        return []
    body = []
    for sizes, by in nets:
        t = [by[r.name]["seconds"] for r in CHAIN]
        ratios = [t[i] / t[i + 1] if t[i] and t[i + 1] else None for i in range(len(t) - 1)]
        total = t[0] / t[-1] if t[0] and t[-1] else None
        cells = [f"{x:,.3g}x" if x is not None and x < 1000 else "-" for x in ratios]
        cells = [f"{x:,.0f}x" if x is not None and x >= 1000 else c for x, c in zip(ratios, cells)]
        body.append([network_name(sizes), *cells, f"{total:,.0f}x" if total else "-"])
    title = "how many times faster each route is than the one before it (FD: finite differences)"
    header = ["network", *STEPS, "FD -> mini-batch"]
    return ["", f"**{ladder}** ladder, speed-up: {title}:", "", *_table(header, body)]


def _generality_table(ladder: str, nets: Networks) -> list[str]:
    """Each engine's fastest sample over its hand-written route's, per network ([] if none).

    The fastest, not the median: the ratio is the point of this table, and load from other
    jobs only ever adds time, so the fastest samples come closest to what each route costs
    on an idle machine (the medians are in the seconds table).
    """
    pairs = [e for e in ENGINES if any(e.name in by and e.against in by for _, by in nets)]
    if not pairs:
        return []
    body = []
    for sizes, by in nets:
        cells = [network_name(sizes)]
        for engine in pairs:
            hand, auto = by.get(str(engine.against)), by.get(engine.name)
            t_hand, t_auto = _fastest(hand), _fastest(auto)
            ratio = f"{t_auto / t_hand:,.3g}x" if t_hand and t_auto else "-"
            cells += [_cell(hand, fastest=True), _cell(auto, fastest=True), ratio]
        body.append(cells)
    header = ["network"]
    for engine in pairs:
        header += [LABELS[str(engine.against)], LABELS[engine.name], "engine / by hand"]
    title = (
        "the cost of generality: the fastest sample of each engine and of the hand-written "
        "route it is timed against, and their ratio"
    )
    return ["", f"**{ladder}** ladder, {title}:", "", *_table(header, body)]


def _growth_table(rows: Sequence[dict]) -> list[str]:
    """Per route, the fitted exponents of :func:`exponent_rows` ([] if none was fitted)."""
    timed = _timed(rows)
    exps = [e for e in exponent_rows(rows) if e["route"] in timed]
    if not any(e["exponent"] is not None or "per_layer" in e for e in exps):
        return []
    body = []
    for e in exps:
        p = "-" if e["exponent"] is None else f"{e['exponent']:.2f}"
        top = "-" if e["exponent_top"] is None else f"{e['exponent_top']:.2f}"
        span = "{:,} .. {:,}".format(*e["weights_range"]) if "weights_range" in e else "-"
        per = f"{e['per_layer']:.2f}x" if "per_layer" in e else "-"
        deep = f"{e['exponent_depth']:.2f}" if "exponent_depth" in e else "-"
        body.append([LABELS[e["route"]], p, top, span, deep, per])
    header = ["route", "p", "p, largest 4", "W measured", "p, depth", "x per layer"]
    return [
        "",
        "Growth: p in time ~ W^p, fitted by least squares on log t against log W over the "
        "width ladder (all of it, and its largest 4 measured networks) and over the depth "
        "ladder; and the factor by which each added layer multiplies the time (depth ladder):",
        "",
        *_table(header, body),
    ]


def _comparison_table(comparisons: Sequence[dict]) -> list[str]:
    """Per batch size, per-example loop against mini-batch matrices ([] if none)."""
    if not comparisons:
        return []
    body = [
        [
            c["batch"],
            seconds_text(c["per_example_seconds"])
            + ("*" if _noisy(c["per_example_samples"]) else ""),
            seconds_text(c["matrix_seconds"]) + ("*" if _noisy(c["matrix_samples"]) else ""),
            f"{c['speedup']:.2f}x",
        ]
        for c in comparisons
    ]
    return [
        "",
        f"Per-example loop against mini-batch matrices, NumPy, on "
        f"{network_name(comparisons[0]['sizes'])} (median of the samples, taken in turn):",
        "",
        *_table(["batch", "per-example loop", "mini-batch matrix", "speed-up"], body),
    ]


def _noise_note(result: dict) -> list[str]:
    """What the mark on a noisy timing means, if any timing got one."""
    timings = [r["samples"] for r in result["measurements"] if r["seconds"] is not None]
    timings += [
        c[k] for c in result["comparisons"] for k in ("per_example_samples", "matrix_samples")
    ]
    if not any(_noisy(samples) for samples in timings):
        return []
    return [
        "",
        f"*: its samples spread over more than {NOISY:g}x (slowest / fastest): other jobs were "
        "competing for the CPU; treat it with care, or run again.",
    ]


def _noisy(samples: Sequence[float]) -> bool:
    return len(samples) >= 3 and max(samples) > NOISY * min(samples)
