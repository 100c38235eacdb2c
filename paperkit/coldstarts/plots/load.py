"""Figures 5, 6, 7: diurnal peaks, peak-to-trough ratios, holiday effect."""
from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure

from ..analysis.holidays import FIRST_WORKDAY, LAST_WORKDAY
from .style import REGION_COLORS, region_style


def fig05_diurnal(series: pl.DataFrame, peaks: pl.DataFrame) -> Figure:
    """Fig 5: normalised requests per minute (dots), smoothed signal (line), largest daily peak (red).

    A legend names the three marks, and the figure says how each is computed."""
    regions = sorted(series["region"].unique().to_list())
    fig, axes = plt.subplots(len(regions), 1, figsize=(10, 1.5 * len(regions) + 1.0), sharex=True, squeeze=False)
    for ax, r in zip(axes[:, 0], regions):
        s = series.filter(pl.col("region") == r).sort("minute")
        ax.plot(s["t_days"], s["norm"], ".", ms=1, color="tab:blue", alpha=0.5, rasterized=True,
                label="requests per minute, min-max normalised over days 0-2")
        ax.plot(s["t_days"], s["smooth"], color="tab:orange", lw=1.2, label="centred 45-minute rolling mean")
        for i, t in enumerate(peaks.filter(pl.col("region") == r)["t_days"].to_list()):
            ax.axvline(t, color="red", lw=1, label="largest peak of the day" if i == 0 else None)
        ax.set_yticks([])
        ax.set_ylabel(r, rotation=0, labelpad=12)
    axes[-1, 0].set_xlabel("Time (days)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=3, fontsize=7, markerscale=6,
               bbox_to_anchor=(0.5, 0.975))
    fig.suptitle("Normalised requests per minute", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def fig06_peak_to_trough(ratios: pl.DataFrame) -> Figure:
    """Fig 6: peak-to-trough ratio per function vs (a) median requests/day, (b) cold starts."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for r in sorted(ratios["region"].unique().to_list()):
        d = ratios.filter(pl.col("region") == r)
        a = d.filter(pl.col("median_per_day") > 0)
        axes[0].scatter(a["median_per_day"], a["ratio"], s=5, alpha=0.6, color=REGION_COLORS.get(r), label=r)
        b = d.filter(pl.col("cold_starts") > 0)
        axes[1].scatter(b["cold_starts"], b["ratio"], s=5, alpha=0.6, color=REGION_COLORS.get(r), label=r)
    axes[0].set_xlabel("Median requests per day")
    axes[1].set_xlabel("Number of cold starts")
    axes[0].set_ylabel("Peak-to-trough ratio")
    axes[0].axvline(1440, ls="--", lw=0.7, color="0.5")
    axes[1].axvline(44640, ls="--", lw=0.7, color="0.5")
    for ax, t in zip(axes, "ab"):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"({t})", loc="left", fontsize=9)
    axes[1].legend(fontsize=7, markerscale=3)
    fig.tight_layout()
    return fig


def fig07_holiday(pods: pl.DataFrame, cpu: pl.DataFrame) -> Figure:
    """Fig 7: (a) daily allocated pods and (b) daily mean CPU usage, normalised to each region's max."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
    for ax, d, title in ((axes[0], pods, "(a) Allocated pods"), (axes[1], cpu, "(b) CPU usage")):
        for r in sorted(d["region"].unique().to_list()):
            s = d.filter(pl.col("region") == r).sort("day")
            ax.plot(s["day"], s["proportion"], marker="o", ms=3, label=r, **region_style(r))
        ax.axvline(LAST_WORKDAY, ls="--", color="0.3", lw=0.8)
        ax.axvline(FIRST_WORKDAY, ls="--", color="0.3", lw=0.8)
        ax.text(LAST_WORKDAY, 0.02, " Last workday", fontsize=7, rotation=90, va="bottom")
        ax.text(FIRST_WORKDAY, 0.02, " First workday", fontsize=7, rotation=90, va="bottom")
        ax.set_xlabel("Day")
        ax.set_title(title, loc="left", fontsize=9)
    axes[0].set_ylabel("Proportion")
    axes[0].set_ylim(0, 1.05)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig
