"""Figures of the T3 notebooks (matplotlib/seaborn; inputs are polars frames, converted with .to_pandas())."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import polars as pl
import seaborn as sns
from matplotlib.ticker import NullLocator

from paperkit.t3.workloads import SUBLAYERS

CONFIG_ORDER = ["sw-split", "t3", "t3-mca", "ideal", "ideal-nmc"]
CONFIG_LABEL = {"sequential": "Sequential", "ideal": "Ideal-GEMM-RS-Overlap", "ideal-nmc": "Ideal-RS+NMC",
                "t3": "T3", "t3-mca": "T3-MCA", "sw-split": "SW concurrent (CU split)"}
# the paper's Fig. 16 colours: T3 yellow, T3-MCA green; the rest from the colour-blind palette
CONFIG_COLOR = {"t3": "#E6B400", "t3-mca": "#2E9E44", "ideal": "#0173B2", "ideal-nmc": "#56B4E9",
                "sw-split": "#949494", "sequential": "#000000"}
CATEGORY_LABEL = {"gemm_read": "GEMM reads", "gemm_write": "GEMM writes", "rs_read": "RS reads",
                  "rs_write": "RS updates/writes", "ag_read": "AG reads", "ag_write": "AG writes"}
CATEGORY_COLOR = dict(zip(CATEGORY_LABEL, sns.color_palette("colorblind", len(CATEGORY_LABEL))))
MODEL_LABEL = {"mega-gpt-2": "Mega-GPT-2", "t-nlg": "T-NLG", "gpt-3": "GPT-3", "palm": "PALM", "mt-nlg": "MT-NLG"}


def _xlabel(df: pl.DataFrame) -> pl.DataFrame:
    order = {s: i for i, s in enumerate(SUBLAYERS)}
    return (df.with_columns(pl.col("sublayer").replace_strict(order, default=9).alias("_o"),
                            (pl.col("model").replace_strict(MODEL_LABEL, default=pl.col("model")) + "\nTP"
                             + pl.col("tp").cast(pl.String) + " "
                             + pl.col("sublayer").replace_strict({k: v["label"] for k, v in SUBLAYERS.items()},
                                                                 default=pl.col("sublayer"))).alias("point"))
            .sort(["model", "tp", "_o"]))


def speedup_bars(sweep: pl.DataFrame, configs: list[str] | None = None, title: str = ""):
    """Fig. 16 / 20 analogue: grouped bars of speedup over Sequential per sublayer, plus a geomean group."""
    configs = configs or CONFIG_ORDER
    df = _xlabel(sweep.filter(pl.col("config").is_in(configs)))
    gm = (df.group_by("config").agg(pl.col("speedup").log().mean().exp()).with_columns(
        pl.lit("geomean").alias("point")).sort("config"))
    pdf = pl.concat([df.select("point", "config", "speedup"), gm.select("point", "config", "speedup")]).to_pandas()
    pdf["config"] = pdf["config"].map(CONFIG_LABEL)
    fig, ax = plt.subplots(figsize=(13, 4))
    sns.barplot(pdf, x="point", y="speedup", hue="config", hue_order=[CONFIG_LABEL[c] for c in configs], ax=ax,
                errorbar=None, palette={CONFIG_LABEL[c]: CONFIG_COLOR[c] for c in configs})
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_ylim(0.8, 1.8)  # headroom above the 1.5x bound, so that the legend covers no bar
    ax.set_xlabel("")
    ax.set_ylabel("speedup over Sequential (x)")
    ax.tick_params(axis="x", labelsize=6)
    ax.legend(ncol=len(configs), loc="upper left", fontsize=7)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def dram_timeline(frames: dict[str, pl.DataFrame], title: str = ""):
    """Fig. 17 analogue: DRAM bandwidth by category over time, one panel per configuration."""
    fig, axes = plt.subplots(len(frames), 1, figsize=(10, 2.6 * len(frames)), sharex=True, sharey=True)
    for ax, (name, df) in zip(axes, frames.items()):
        wide = df.pivot(on="category", index="t_us", values="gbps").sort("t_us").to_pandas().set_index("t_us")
        wide = wide.loc[:, (wide > 0).any()]
        ax.stackplot(wide.index, wide.T.values, labels=[CATEGORY_LABEL.get(c, c) for c in wide.columns],
                     colors=[CATEGORY_COLOR[c] for c in wide.columns], step="mid")
        ax.set_ylabel("GB/s")
        ax.set_title(CONFIG_LABEL.get(name, name), fontsize=9)
        # outside the axes, so that it never covers the data
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, borderaxespad=0)
    axes[-1].set_xlabel("time (us)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def byte_bars(breakdown: pl.DataFrame, title: str = ""):
    """Fig. 18 analogue: stacked DRAM bytes per category, normalised to Sequential, Sequential vs T3-MCA."""
    df = _xlabel(breakdown)
    cats = ["gemm_read", "gemm_write", "rs_read", "rs_write", "ag_read", "ag_write"]
    points = df.select("point").unique(maintain_order=True)["point"].to_list()
    fig, ax = plt.subplots(figsize=(13, 4))
    width = 0.4
    colors = sns.color_palette("colorblind", len(cats))
    for j, cfg in enumerate(["sequential", "t3-mca"]):
        sub = df.filter(pl.col("config") == cfg)
        bottom = [0.0] * len(points)
        for ci, cat in enumerate(cats):
            vals = [sub.filter((pl.col("point") == pt) & (pl.col("category") == cat))["normalised"].sum()
                    for pt in points]
            xs = [i + (j - 0.5) * width for i in range(len(points))]
            ax.bar(xs, vals, width * 0.95, bottom=bottom, color=colors[ci], label=cat if j == 0 else None,
                   hatch="" if j == 0 else "//", edgecolor="white", linewidth=0.3)
            bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_xticks(range(len(points)), points, fontsize=6)
    ax.set_ylabel("DRAM bytes / Sequential total")
    ax.legend(ncol=6, fontsize=7, loc="upper left", title="left bar: Sequential, right (hatched): T3-MCA",
              title_fontsize=7)
    ax.set_ylim(0, 1.25)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def line_panels(df: pl.DataFrame, x: str, y: str, hue: str, panel: str, xlabel: str, ylabel: str,
                logx: bool = False, x_order: list[str] | None = None):
    """Small multiples: ``y`` vs ``x`` per ``hue``, one panel per value of ``panel``.

    ``x_order`` fixes the order of a categorical x axis; ``logx`` puts numeric x on a log2 axis with the data's
    values as tick labels.
    """
    panels = sorted(df[panel].unique().to_list())
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.2), squeeze=False)
    for ax, pv in zip(axes[0], panels):
        sub = df.filter(pl.col(panel) == pv).sort([hue, x]).to_pandas()
        if x_order is not None:
            sub[x] = pd.Categorical(sub[x], categories=x_order, ordered=True)
            sub = sub.sort_values([hue, x])
        sns.lineplot(sub, x=x, y=y, hue=hue, marker="o", ax=ax, errorbar=None, sort=x_order is None)
        ax.set_title(f"{panel} = {pv}", fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)
        if logx:
            ax.set_xscale("log", base=2)
            vals = sorted(sub[x].unique())
            ax.set_xticks(vals, [f"{v:g}" for v in vals], fontsize=7)
            ax.xaxis.set_minor_locator(NullLocator())
    fig.tight_layout()
    return fig


def systems_bars(frames: dict[str, pl.DataFrame], configs: list[str], title: str = ""):
    """Speedup over Sequential per sublayer (plus geomean) for several systems, one panel each, same y axis."""
    fig, axes = plt.subplots(1, len(frames), figsize=(6.5 * len(frames), 4.2), sharey=True, squeeze=False)
    for i, (ax, (name, sweep)) in enumerate(zip(axes[0], frames.items())):
        df = _xlabel(sweep.filter(pl.col("config").is_in(configs)))
        gm = (df.group_by("config").agg(pl.col("speedup").log().mean().exp())
              .with_columns(pl.lit("geomean").alias("point")).sort("config"))
        pdf = pl.concat([df.select("point", "config", "speedup"), gm.select("point", "config", "speedup")]).to_pandas()
        pdf["config"] = pdf["config"].map(CONFIG_LABEL)
        sns.barplot(pdf, x="point", y="speedup", hue="config", hue_order=[CONFIG_LABEL[c] for c in configs],
                    palette={CONFIG_LABEL[c]: CONFIG_COLOR[c] for c in configs}, ax=ax, errorbar=None)
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_ylim(0.6, 1.9)  # every bar visible (slowdowns too); headroom so that the legend covers none
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("")
        ax.set_ylabel("speedup over Sequential (x)")
        ax.tick_params(axis="x", labelsize=5, rotation=90)
        if i == 0:
            ax.legend(ncol=3, loc="upper left", fontsize=7)
        else:
            ax.get_legend().remove()
    fig.suptitle(title)
    fig.tight_layout()
    return fig
