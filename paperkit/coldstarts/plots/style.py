"""Shared colours, line styles and small drawing helpers for the cold-start figures.

Encodings follow the paper: regions as in Fig. 3 (R1 solid blue, R2 dashed red, R3 dash-dot green,
R4 dotted cyan; the paper draws R5 solid like R1, which does not read in grey, so R5 here is a
dash-dot-dot line), triggers with Fig. 9's colours, listed in Fig. 9's legend order.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from matplotlib.axes import Axes

REGIONS = ("R1", "R2", "R3", "R4", "R5")
_TAB10 = plt.get_cmap("tab10").colors
REGION_COLORS: dict[str, tuple] = dict(zip(REGIONS, (_TAB10[0], _TAB10[3], _TAB10[2], _TAB10[9], _TAB10[4])))
REGION_LINESTYLES: dict[str, object] = {"R1": "-", "R2": "--", "R3": "-.", "R4": ":",
                                        "R5": (0, (6, 1.5, 1, 1.5, 1, 1.5))}
#: Fig. 9's legend order (4 columns, filled column by column) and its tab10 colours
TRIGGER_LEGEND_ORDER = ("TIMER-A", "other A", "other S", "APIG-S", "unknown", "workflow-S", "OBS-A")
TRIGGER_COLORS: dict[str, tuple] = dict(zip(TRIGGER_LEGEND_ORDER,
                                            (_TAB10[0], _TAB10[1], _TAB10[3], _TAB10[5], _TAB10[6],
                                             _TAB10[8], _TAB10[9])))
#: one colour per runtime in every figure (Figs. 8b, 15, 17): Fig. 8b's stack order takes tab10's
#: first seven, the runtimes Fig. 8 pools into "other" the rest
RUNTIME_COLORS: dict[str, tuple] = {
    "Python2": _TAB10[0], "http": _TAB10[1], "other": _TAB10[2], "Java": _TAB10[3],
    "Node.js": _TAB10[4], "Python3": _TAB10[5], "Custom": _TAB10[6], "C#": _TAB10[7],
    "Go1.x": _TAB10[8], "PHP7.3": _TAB10[9], "unknown": (0.25, 0.25, 0.25)}
ALL_COLOR = (0.95, 0.8, 0.1)
TRIGGER_COLORS["all"] = ALL_COLOR


def region_style(region: str) -> dict:
    """``color`` and ``ls`` keyword arguments of a region's line (Fig. 3's encoding)."""
    return {"color": REGION_COLORS.get(region), "ls": REGION_LINESTYLES.get(region, "-")}


def group_color(name: str, i: int) -> tuple:
    """Colour for a group: region/trigger/runtime colour if known, else tab10 by index; 'all' is
    yellow."""
    if name == "all":
        return ALL_COLOR
    return (REGION_COLORS.get(name) or TRIGGER_COLORS.get(name) or RUNTIME_COLORS.get(name)
            or _TAB10[i % 10])


def cdf_lines(ax: Axes, cdf: pl.DataFrame, group: str, order: list[str] | None = None, **kw) -> None:
    """Draw one step CDF line per ``group`` value of a binned CDF frame (x, cdf); regions get
    their Fig. 3 line style."""
    names = order or sorted(cdf[group].unique().to_list())
    for i, g in enumerate(names):
        d = cdf.filter(pl.col(group) == g).sort("x")
        if d.height == 0:
            continue
        lw = 3.0 if g == "all" else 1.4
        ls = REGION_LINESTYLES.get(g, "-") if group == "region" else "-"
        ax.step(d["x"].to_numpy(), d["cdf"].to_numpy(), where="post", label=g, color=group_color(g, i),
                lw=lw, ls=ls, **kw)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("CDF")


def ecdf_line(ax: Axes, values, label: str, color=None, count_zeros: bool = False, **kw) -> None:
    """Exact step ECDF of a small array (per-function or per-user values) over its positive values
    (log axes); ``count_zeros``: the zeros stay in the denominator, so the curve starts at their
    share instead of hiding them."""
    v = np.sort(np.asarray(values, dtype=float))
    n = v.size
    v = v[v > 0]
    if v.size == 0:
        return
    below = n - v.size if count_zeros else 0
    y = (below + np.arange(1, v.size + 1)) / (below + v.size)
    if below:   # the zeros' level, from far left of the first positive value
        v, y = np.concatenate([[v[0] * 1e-6], v]), np.concatenate([[below / n], y])
    ax.step(v, y, where="post", label=label, color=color, **kw)
