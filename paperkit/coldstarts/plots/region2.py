"""Figures 8, 9, 14: Region 2 composition by trigger, runtime and config."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from matplotlib.figure import Figure

from ..analysis.composition import STACK_ORDER
from ..analysis.triggers import TRIGGER_ORDER
from .style import RUNTIME_COLORS, TRIGGER_COLORS, TRIGGER_LEGEND_ORDER

_KIND_TITLES = {"trigger": "trigger", "runtime": "runtime", "config": "CPU-memory config"}


def fig08_composition(pods_hourly: dict[str, pl.DataFrame], shares: dict[str, pl.DataFrame]) -> Figure:
    """Fig 8: (a-c) stacked running pods per hour by trigger/runtime/config, (d-f) shares of pods,
    cold starts and functions per group."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 7))
    cmap = plt.get_cmap("tab10").colors
    for j, kind in enumerate(("trigger", "runtime", "config")):
        order = list(STACK_ORDER[kind])
        ph = pods_hourly[kind]
        hours = np.sort(ph["hour"].unique().to_numpy())
        ys = [ph.filter(pl.col("group") == g).sort("hour")["pods"].to_numpy() for g in order]
        colors = [TRIGGER_COLORS[g] if kind == "trigger" else RUNTIME_COLORS[g] if kind == "runtime"
                  else cmap[i] for i, g in enumerate(order)]
        ax = axes[0, j]
        ax.stackplot(hours / 24.0, *ys, labels=order, colors=colors, alpha=0.9, linewidth=0)
        ax.set_xlabel("Time (days)")
        ax.set_ylabel("Number of pods")
        ax.set_title(f"({'abc'[j]}) Running pods per hour by {_KIND_TITLES[kind]}", loc="left", fontsize=9)
        ax.legend(fontsize=7, loc="upper left", ncol=2)
        sh = shares[kind]
        groups = sorted(sh["group"].unique().to_list())
        x = np.arange(len(groups))
        ax = axes[1, j]
        for k, m in enumerate(("pods", "cold starts", "functions")):
            vals = [sh.filter((pl.col("group") == g) & (pl.col("measure") == m))["share"].sum() for g in groups]
            ax.bar(x + (k - 1) * 0.27, vals, width=0.27, label=m)
        ax.set_xticks(x, groups, rotation=30, fontsize=7)
        ax.set_ylabel("Proportion")
        ax.set_title(f"({'def'[j]}) Proportions by {_KIND_TITLES[kind]}", loc="left", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def fig09_triggers_by_runtime(crosstab: pl.DataFrame) -> Figure:
    """Fig 9: stacked share of each runtime's functions per aggregated trigger."""
    runtimes = sorted(crosstab["runtime"].unique().to_list(), key=lambda s: (s.lower() == "http", s))
    fig, ax = plt.subplots(figsize=(8, 3.8))
    bottom = np.zeros(len(runtimes))
    for t in TRIGGER_ORDER:
        v = np.array([crosstab.filter((pl.col("runtime") == r) & (pl.col("trigger") == t))["share"].sum()
                      for r in runtimes])
        ax.bar(runtimes, v, bottom=bottom, label=t, color=TRIGGER_COLORS[t])
        bottom += v
    ax.set_ylabel("Proportion of functions")
    ax.set_xlabel("Runtime")
    handles, labels = ax.get_legend_handles_labels()
    by_label = dict(zip(labels, handles))
    # the paper's legend: 4 columns above the bars, TIMER-A, other A, other S, APIG-S, ...
    ax.legend([by_label[t] for t in TRIGGER_LEGEND_ORDER], TRIGGER_LEGEND_ORDER, ncol=4, fontsize=7,
              loc="lower center", bbox_to_anchor=(0.5, 1.01))
    fig.tight_layout()
    return fig


def fig14_requests_vs_cold_starts(per_func: pl.DataFrame, trace: str) -> Figure:
    """Fig 14: per function total requests vs total cold starts, coloured by trigger.

    ``trace`` names the trace and its scale (e.g. "synthetic trace, scale 0.01"); it is printed on
    the figure because both axes are absolute counts that shrink with the scale."""
    fig, ax = plt.subplots(figsize=(7, 4.8))
    ax.set_title(f"Region 2, 31 days; {trace}", loc="left", fontsize=8)
    for t in TRIGGER_ORDER:
        d = per_func.filter((pl.col("trigger") == t) & (pl.col("requests") > 0) & (pl.col("cold_starts") > 0))
        ax.scatter(d["requests"], d["cold_starts"], s=6, alpha=0.7, label=t, color=TRIGGER_COLORS[t])
    lim = max(float(per_func["requests"].max() or 1), 10.0)
    ax.plot([1, lim], [1, lim], color="red", lw=1.2, label="1 request = 1 cold start")
    for lab, x in (("1d", 31), ("1h", 744), ("1m", 44_640), ("1s", 2_678_400)):
        ax.axvline(x, ls="--", lw=0.7, color="0.5")
        ax.text(x, 1.1, lab, fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Number of requests")
    ax.set_ylabel("Number of cold starts")
    ax.legend(fontsize=7, markerscale=2)
    fig.tight_layout()
    return fig
