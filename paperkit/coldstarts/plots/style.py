"""Shared colours and small drawing helpers for the cold-start figures."""
from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.axes import Axes

REGIONS = ("R1", "R2", "R3", "R4", "R5")
_TAB10 = plt.get_cmap("tab10").colors
REGION_COLORS: dict[str, tuple] = {r: _TAB10[i] for i, r in enumerate(REGIONS)}
TRIGGER_COLORS: dict[str, tuple] = {
    t: _TAB10[i] for i, t in enumerate(("TIMER-A", "other A", "other S", "APIG-S", "unknown", "workflow-S", "OBS-A"))
}
TRIGGER_COLORS["all"] = (0.95, 0.8, 0.1)


def group_color(name: str, i: int) -> tuple:
    """Colour for a group: region/trigger colour if known, else tab10 by index; 'all' is yellow."""
    if name == "all":
        return (0.95, 0.8, 0.1)
    return REGION_COLORS.get(name) or TRIGGER_COLORS.get(name) or _TAB10[i % 10]


def cdf_lines(ax: Axes, cdf: pl.DataFrame, group: str, order: list[str] | None = None, **kw) -> None:
    """Draw one step CDF line per ``group`` value of a binned CDF frame (x, cdf)."""
    names = order or sorted(cdf[group].unique().to_list())
    for i, g in enumerate(names):
        d = cdf.filter(pl.col(group) == g).sort("x")
        if d.height == 0:
            continue
        lw = 3.0 if g == "all" else 1.4
        ax.step(d["x"].to_numpy(), d["cdf"].to_numpy(), where="post", label=g, color=group_color(g, i),
                lw=lw, **kw)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("CDF")


def ecdf_line(ax: Axes, values, label: str, color=None, **kw) -> None:
    """Exact step ECDF of a small array (per-function or per-user values) over its positive values."""
    import numpy as np
    v = np.sort(np.asarray(values, dtype=float))
    v = v[v > 0]
    if v.size == 0:
        return
    ax.step(v, np.arange(1, v.size + 1) / v.size, where="post", label=label, color=color, **kw)
