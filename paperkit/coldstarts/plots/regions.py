"""Figures 2, 3, 4: pod life cycle, region statistics, users."""
from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..analysis.regions import IAT_LINES_PER_DAY
from .style import cdf_lines, ecdf_line, region_style


def fig02_lifecycle() -> Figure:
    """Fig 2 redrawn: pod life cycle from the resource pool to deletion (no data)."""
    steps = [("Resource pool\n(CPU-MEM\nconfig)", "pod allocation"), ("Runtime\n(custom image\nif needed)", "scheduling"),
             ("Function code", "deploy code"), ("Dependencies\n(layers)", "deploy dependency"),
             ("Serve requests", ""), ("Keep-alive\nwait (1 min,\nreset per\nrequest)", ""), ("Deletion", "")]
    fig, ax = plt.subplots(figsize=(11, 2.6))
    ax.set_xlim(0, len(steps) * 1.5)
    ax.set_ylim(0, 2)
    ax.axis("off")
    for i, (label, comp) in enumerate(steps):
        x = i * 1.5 + 0.1
        face = "#c6dbef" if i < 4 else ("#c7e9c0" if i == 4 else "#fdd0a2" if i == 5 else "#d9d9d9")
        ax.add_patch(FancyBboxPatch((x, 0.7), 1.2, 0.8, boxstyle="round,pad=0.03", fc=face, ec="0.3"))
        ax.text(x + 0.6, 1.1, label, ha="center", va="center", fontsize=8)
        if comp:
            ax.text(x + 0.6, 0.5, comp, ha="center", va="center", fontsize=7, style="italic", color="0.3")
        if i < len(steps) - 1:
            ax.add_patch(FancyArrowPatch((x + 1.25, 1.1), (x + 1.45, 1.1), arrowstyle="-|>", mutation_scale=10))
    ax.annotate("", xy=(4 * 1.5 + 0.7, 1.55), xytext=(5 * 1.5 + 0.7, 1.55),
                arrowprops=dict(arrowstyle="-|>", connectionstyle="arc3,rad=0.4", color="0.3"))
    ax.text(5.5 * 1.5 - 0.05, 1.85, "new request resets keep-alive", ha="center", fontsize=7)
    ax.text(0.1, 0.15, "cold start = pod allocation + scheduling + deploy code + deploy dependency",
            fontsize=8, color="0.2")
    fig.suptitle("Pod life cycle as the platform simulator models it (the paper's Fig. 2, redrawn)",
                 fontsize=10)
    return fig


def fig03_region_stats(median_requests: pl.DataFrame, exec_cdf: pl.DataFrame, cpu_cdf: pl.DataFrame) -> Figure:
    """Fig 3: (a) CDF of median daily requests per function, (b) per-minute mean execution time,
    (c) per-minute mean CPU usage; one line per region."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.9))
    ax = axes[0]
    for r in sorted(median_requests["region"].unique().to_list()):
        ecdf_line(ax, median_requests.filter(pl.col("region") == r)["median_per_day"].to_numpy(), r,
                  count_zeros=True, **region_style(r))
    ax.set_xscale("log")
    ax.set_xlim(0.3, 1e9)
    for x in IAT_LINES_PER_DAY.values():
        ax.axvline(x, ls="--", lw=0.7, color="0.5")
    # the equivalent mean inter-arrival times as a labelled top axis: one label per line, no overlap
    top = ax.secondary_xaxis("top")
    top.set_xticks(list(IAT_LINES_PER_DAY.values()), list(IAT_LINES_PER_DAY), rotation=90, fontsize=6)
    top.tick_params(length=2, pad=1)
    top.minorticks_off()
    ax.set_xlabel("Requests on median day per function\n(top axis: the equivalent mean inter-arrival time)")
    ax.set_ylabel("CDF")
    ax.set_ylim(0, 1.02)
    ax.set_title("(a)", loc="left", fontsize=9, pad=18)
    cdf_lines(axes[1], exec_cdf, "region")
    axes[1].set_xlabel("Mean execution time per minute (s)")
    axes[1].set_title("(b)", loc="left", fontsize=9, pad=18)
    cdf_lines(axes[2], cpu_cdf, "region")
    axes[2].set_xlabel("Mean CPU usage per minute (cores)")
    axes[2].set_title("(c)", loc="left", fontsize=9, pad=18)
    axes[2].legend(fontsize=7)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def fig04_users(users: pl.DataFrame) -> Figure:
    """Fig 4: CDF over users of (a) functions per user, (b) requests per user over the trace."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for r in sorted(users["region"].unique().to_list()):
        u = users.filter(pl.col("region") == r)
        ecdf_line(axes[0], u["functions"].to_numpy(), r, **region_style(r))
        ecdf_line(axes[1], u["requests"].to_numpy(), r, **region_style(r))
    axes[0].set_xlabel("Number of functions per user")
    axes[1].set_xlabel("Number of requests per user")
    for x in (31, 62):
        axes[1].axvline(x, ls=":", lw=0.7, color="0.5")
    for ax, t in zip(axes, "ab"):
        ax.set_xscale("log")
        ax.set_ylabel("CDF")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"({t})", loc="left", fontsize=9)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig
