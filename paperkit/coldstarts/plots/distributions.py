"""Figures 10, 11, 13, 15, 16: cold-start time and arrival distributions."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from scipy import stats

from ..analysis.distributions import COMPONENTS, PANELS, TOTAL
from .style import cdf_lines

PANEL_TITLES = {TOTAL: "cold start time", "podAllocationCost": "pod allocation time",
                "deployCodeCost": "deploy code time", "deployDependencyCost": "deploy dependency time",
                "schedulingCost": "scheduling time"}


def fig10_distributions(cs_cdf: pl.DataFrame, iat_cdf: pl.DataFrame, lognormal: dict, weibull: dict) -> Figure:
    """Fig 10: (a) cold-start time CDF per region, (b) pooled + LogNormal fit, (c) IAT CDF per
    region, (d) pooled IAT + Weibull fit."""
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    cdf_lines(axes[0], cs_cdf.filter(pl.col("region") != "all"), "region")
    axes[0].set_xlabel("Cold start time (s)")
    allcs = cs_cdf.filter(pl.col("region") == "all")
    cdf_lines(axes[1], allcs, "region")
    x = allcs["x"].to_numpy()
    axes[1].plot(x, stats.lognorm(s=lognormal["sigma"], scale=np.exp(lognormal["mu"])).cdf(x), "k--",
                 label=f"LogNormal mean {lognormal['mean']:.2f}, sd {lognormal['sd']:.2f}")
    axes[1].set_xlabel("Cold start time (s)")
    cdf_lines(axes[2], iat_cdf.filter(pl.col("region") != "all"), "region")
    axes[2].set_xlabel("Inter-arrival time (s)")
    alliat = iat_cdf.filter(pl.col("region") == "all")
    cdf_lines(axes[3], alliat, "region")
    xi = alliat["x"].to_numpy()
    axes[3].plot(xi, stats.weibull_min(c=weibull["shape"], scale=weibull["scale"]).cdf(xi), "k--",
                 label=f"Weibull mean {weibull['mean']:.2f}")
    axes[3].set_xlabel("Inter-arrival time (s)")
    for ax, t in zip(axes, "abcd"):
        ax.set_title(f"({t})", loc="left", fontsize=9)
        ax.legend(fontsize=7)
    axes[0].set_xlim(1e-2, 1e2)
    axes[1].set_xlim(1e-2, 1e2)
    axes[2].set_xlim(1e-5, 1e2)   # the paper's Fig. 10c-d axes
    axes[3].set_xlim(1e-5, 1e2)
    fig.tight_layout()
    return fig


def fig11_hourly_components(hourly: pl.DataFrame) -> Figure:
    """Fig 11: stacked hourly mean of the 4 components (left) and cold starts per hour (right; the
    region's: a sample's count over its share of the functions, ``cold_starts_region``)."""
    regions = sorted(hourly["region"].unique().to_list())
    fig, axes = plt.subplots(len(regions), 1, figsize=(11, 1.9 * len(regions) + 0.4), sharex=True, squeeze=False)
    labels = {"deployCodeCost": "deploy code", "deployDependencyCost": "deploy dependency",
              "schedulingCost": "scheduling", "podAllocationCost": "pod allocation"}
    for ax, r in zip(axes[:, 0], regions):
        h = hourly.filter(pl.col("region") == r).sort("hour")
        t = h["hour"].to_numpy() / 24.0
        ax.stackplot(t, *[h[c].fill_null(0).to_numpy() for c in COMPONENTS], labels=[labels[c] for c in COMPONENTS],
                     alpha=0.85, linewidth=0)
        ax.set_ylabel(f"{r}\nmean (s)")
        ax2 = ax.twinx()
        cs = h["cold_starts_region"] if "cold_starts_region" in h.columns else h["cold_starts"]
        ax2.plot(t, cs.to_numpy(), ls="--", color="purple", lw=0.8, label="cold starts per hour")
        ax2.set_ylabel("CS / hour", fontsize=8)
        ax2.set_ylim(bottom=0)
        ax2.grid(False)
    # one legend for both axes, above the first panel so that it covers no data
    handles, names = axes[0, 0].get_legend_handles_labels()
    handles2, names2 = ax2.get_legend_handles_labels()
    fig.legend(handles + handles2, names + [f"{n} (right axis)" for n in names2], fontsize=7,
               loc="upper center", ncol=5, bbox_to_anchor=(0.5, 1.0))
    axes[-1, 0].set_xlabel("Time (days)")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / fig.get_figheight()))
    return fig


def fig13_pool_size(samples: pl.DataFrame) -> Figure:
    """Fig 13: split violins (small vs large pools) per region for the total and each component.

    ``samples`` holds equally-weighted quantile points (region, pool_size, component, value).
    """
    fig, grid = plt.subplots(2, 3, figsize=(11, 6.4))
    axes = grid.ravel()
    for ax, comp, t in zip(axes, PANELS, "abcde"):
        d = samples.filter(pl.col("component") == comp).with_columns(pl.col("value").log10().alias("log10 s"))
        if d.height:
            sns.violinplot(data=d.sort(["region", "pool_size"]).to_pandas(), x="region", y="log10 s",
                           hue="pool_size", hue_order=["small", "large"], split=True, inner="quart",
                           density_norm="width", ax=ax, cut=0, legend=False)
        ax.set_title(f"({t}) {PANEL_TITLES[comp]}", loc="left", fontsize=9)
        ax.set_ylabel("log10 time (s)")
        ax.set_xlabel("")
    # the sixth cell holds the legend: which half is which pool, and what the lines inside mean
    axes[5].axis("off")
    palette = sns.color_palette()
    axes[5].legend([Patch(color=palette[0]), Patch(color=palette[1])],
                   ["small pools (<= 400 millicores, <= 256 MB)", "large pools"],
                   loc="center", fontsize=8, title="left / right half of each violin", title_fontsize=8)
    axes[5].text(0.5, 0.15, "dashed lines: quartiles", ha="center", fontsize=8, transform=axes[5].transAxes)
    fig.tight_layout()
    return fig


def fig15_16_group_cdfs(cdf: pl.DataFrame, group: str, order: list[str]) -> Figure:
    """Figs 15/16: per component one CDF line per runtime (or trigger) plus 'all'."""
    fig, grid = plt.subplots(2, 3, figsize=(11, 6.4))   # five panels and the legend (page width)
    axes = grid.ravel()
    for ax, comp, t in zip(axes, PANELS, "abcde"):
        d = cdf.filter(pl.col("component") == comp)
        cdf_lines(ax, d, group, order=[g for g in order if g in set(d[group].to_list())])
        ax.set_xlabel(f"{PANEL_TITLES[comp]} (s)")
        ax.set_title(f"({t})", loc="left", fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[:5]:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    axes[5].axis("off")
    axes[5].legend(handles, labels, loc="center", fontsize=8, title=group, title_fontsize=8,
                   ncol=2 if len(labels) > 8 else 1)
    axes[0].set_xlim(1e-1, 2e1)
    axes[1].set_xlim(1e-4, 2e1)
    axes[2].set_xlim(1e-3, 3)
    axes[3].set_xlim(1e-2, 3)
    axes[4].set_xlim(2e-2, 1e1)
    fig.tight_layout()
    return fig
