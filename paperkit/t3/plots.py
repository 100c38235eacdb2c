"""Figures of the T3 notebooks (matplotlib/seaborn; inputs are polars frames, converted with .to_pandas())."""
from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
import seaborn as sns
from matplotlib.ticker import NullLocator

from paperkit import figures
from paperkit.t3.workloads import SUBLAYERS

CONFIG_ORDER = ["sw-split", "t3", "t3-mca", "ideal", "ideal-nmc"]
CONFIG_LABEL = {"sequential": "Sequential", "ideal": "Ideal-GEMM-RS-Overlap", "ideal-nmc": "Ideal-RS+NMC",
                "t3": "T3", "t3-mca": "T3-MCA", "sw-split": "SW concurrent (CU split)"}
CATEGORY_LABEL = {"gemm_read": "GEMM reads", "gemm_write": "GEMM writes/updates", "rs_read": "RS reads",
                  "rs_write": "RS writes", "rs_update": "RS near-memory updates", "ag_read": "AG reads",
                  "ag_write": "AG writes"}
COMM_PART_LABEL = {"rs": "reduce-scatter time", "ag": "all-gather time", "ar_gemm": "GEMM time before the all-reduce"}
# the paper's one palette (paperkit/t3/figures.toml [palette]), keyed by what the figures show
_PALETTE = figures.palette("t3")
CONFIG_COLOR = {c: _PALETTE[label] for c, label in CONFIG_LABEL.items()}
SERIES_COLOR = {"ideal overlap": CONFIG_COLOR["ideal"], "RS on 16 CUs": CONFIG_COLOR["sw-split"],
                "RS on 8 CUs": _PALETTE["RS on 8 CUs"]}
CATEGORY_COLOR = {c: _PALETTE[label] for c, label in CATEGORY_LABEL.items()}
COMM_PART_COLOR = {c: _PALETTE[label] for c, label in COMM_PART_LABEL.items()}
MODEL_LABEL = {"mega-gpt-2": "Mega-GPT-2", "t-nlg": "T-NLG", "gpt-3": "GPT-3", "palm": "PALM", "mt-nlg": "MT-NLG"}
KNOB_LABEL = {"link_gbps": "link bandwidth per direction (GB/s)", "n_cu": "CUs (80 = Table 1)",
              "tokens": "tokens per microbatch"}
PHASE_LABEL = {"train": "training", "infer": "prompt inference"}
def _finish(fig, title: str = ""):
    if title:
        fig.suptitle(title)
    fig.tight_layout()  # figures.save adds the footer strip for the tier stamp
    return fig


def _case(model: str, tp: int) -> str:
    return f"{MODEL_LABEL.get(model, model)} TP {tp}"


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
    ax.set_ylim(0, 2.0)  # bars start at zero; headroom above the 1.5x bound, so that the legend covers no bar
    ax.set_xlabel("")
    ax.set_ylabel("speedup over Sequential (x)")
    ax.tick_params(axis="x", labelsize=6)
    ax.legend(ncol=len(configs), loc="upper left", fontsize=7)
    ax.set_title(title)
    return _finish(fig)


def dram_timeline(frames: dict[str, pl.DataFrame], title: str = ""):
    """Fig. 17 analogue: DRAM bandwidth by category over time, one panel per configuration."""
    fig, axes = plt.subplots(len(frames), 1, figsize=(10, 2.6 * len(frames)), sharex=True, sharey=True)
    for ax, (name, df) in zip(axes, frames.items()):
        wide = df.pivot(on="category", index="t_us", values="gbps").sort("t_us").to_pandas().set_index("t_us")
        wide = wide[[c for c in CATEGORY_LABEL if c in wide.columns and (wide[c] > 0).any()]]
        ax.stackplot(wide.index, wide.T.values, labels=[CATEGORY_LABEL.get(c, c) for c in wide.columns],
                     colors=[CATEGORY_COLOR[c] for c in wide.columns], step="mid")
        ax.set_ylabel("GB/s")
        ax.set_title(CONFIG_LABEL.get(name, name), fontsize=9)
        # outside the axes, so that it never covers the data
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, borderaxespad=0)
    axes[-1].set_xlabel("time (us)")
    return _finish(fig, title)


def byte_bars(breakdown: pl.DataFrame, title: str = ""):
    """Fig. 18 analogue: stacked DRAM bytes per category, normalised to Sequential, Sequential vs T3-MCA."""
    df = _xlabel(breakdown)
    cats = list(CATEGORY_LABEL)
    points = df.select("point").unique(maintain_order=True)["point"].to_list()
    fig, ax = plt.subplots(figsize=(13, 4.4))
    width = 0.4
    for j, cfg in enumerate(["sequential", "t3-mca"]):
        sub = df.filter(pl.col("config") == cfg)
        bottom = [0.0] * len(points)
        for cat in cats:
            vals = [sub.filter((pl.col("point") == pt) & (pl.col("category") == cat))["normalised"].sum()
                    for pt in points]
            xs = [i + (j - 0.5) * width for i in range(len(points))]
            ax.bar(xs, vals, width * 0.95, bottom=bottom, color=CATEGORY_COLOR[cat],
                   label=CATEGORY_LABEL[cat] if j == 0 else None, hatch="" if j == 0 else "//",
                   edgecolor="white", linewidth=0.3)
            bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_xticks(range(len(points)), points, fontsize=6)
    ax.set_ylabel("DRAM bytes / Sequential total")
    ax.legend(ncol=4, fontsize=7, loc="upper left", title="left bar: Sequential, right (hatched): T3-MCA",
              title_fontsize=7)
    ax.set_ylim(0, 1.45)
    ax.set_title(title)
    return _finish(fig)


def comm_share_bars(share: pl.DataFrame, title: str = ""):
    """Fig. 4 analogue: stacked shares of RS, AG and the all-reduce sublayers' GEMMs in the layer time."""
    df = share.sort(["model", "tp", "phase"])
    points = [f"{_case(m, t)}\n{PHASE_LABEL[p]}" for m, t, p in df.select("model", "tp", "phase").iter_rows()]
    fig, ax = plt.subplots(figsize=(11, 4.2))
    bottom = [0.0] * df.height
    for part in ("rs", "ag", "ar_gemm"):
        vals = df[part].to_list()
        ax.bar(range(df.height), vals, 0.8, bottom=bottom, color=COMM_PART_COLOR[part], label=COMM_PART_LABEL[part])
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_xticks(range(df.height), points, fontsize=6, rotation=60, ha="right")
    ax.set_ylabel("share of layer time (Sequential)")
    ax.set_ylim(0, 1.0)
    ax.legend(fontsize=7, loc="upper left", ncol=3)
    ax.set_title(title)
    return _finish(fig)


def cu_split_bars(split: pl.DataFrame, title: str = ""):
    """Fig. 6 analogue: per model and TP, grouped bars per sublayer (categorical: no lines) of the ideal
    overlap and of the software split with the collective on 8 or 16 CUs."""
    cases = split.select("model", "tp").unique().sort(["model", "tp"]).rows()
    order = [SUBLAYERS[s]["label"] for s in SUBLAYERS]
    series = [s for s in SERIES_COLOR if s in set(split["series"])]
    fig, axes = plt.subplots(1, len(cases), figsize=(3.6 * len(cases), 3.4), sharey=True, squeeze=False)
    for i, (ax, (m, tp)) in enumerate(zip(axes[0], cases)):
        sub = split.filter((pl.col("model") == m) & (pl.col("tp") == tp)).with_columns(
            pl.col("sublayer").replace_strict({k: v["label"] for k, v in SUBLAYERS.items()}).alias("sub"))
        sns.barplot(sub.to_pandas(), x="sub", y="speedup", hue="series", order=order, hue_order=series,
                    palette=SERIES_COLOR, ax=ax, errorbar=None)
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_ylim(0, 2.0)
        ax.set_title(_case(m, tp), fontsize=9)
        ax.set_xlabel("sublayer")
        ax.set_ylabel("speedup over Sequential (x)")
        if i == 0:
            ax.legend(fontsize=7, loc="upper left", ncol=1)
        else:
            ax.get_legend().remove()
    return _finish(fig, title)


def e2e_bars(e2e: pl.DataFrame, title: str = ""):
    """Fig. 19 analogue: end-to-end (per layer) speedup per model, TP and phase, in the configuration palette."""
    df = e2e.sort(["model", "tp", "phase", "config"]).with_columns(
        pl.struct("model", "tp", "phase").map_elements(
            lambda r: f"{_case(r['model'], r['tp'])}\n{PHASE_LABEL[r['phase']]}", return_dtype=pl.String).alias("point"))
    configs = [c for c in CONFIG_LABEL if c in set(df["config"])]
    pdf = df.to_pandas()
    pdf["config"] = pdf["config"].map(CONFIG_LABEL)
    fig, ax = plt.subplots(figsize=(10, 3.8))
    sns.barplot(pdf, x="point", y="speedup", hue="config", hue_order=[CONFIG_LABEL[c] for c in configs],
                palette={CONFIG_LABEL[c]: CONFIG_COLOR[c] for c in configs}, ax=ax, errorbar=None)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_ylim(0, 1.5)
    ax.set_xlabel("")
    ax.set_ylabel("end-to-end speedup (x)")
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(fontsize=7, loc="upper left", ncol=len(configs))
    ax.set_title(title)
    return _finish(fig)


def sensitivity_panels(sens: pl.DataFrame, title: str = ""):
    """Geomean speedup per configuration as one knob varies, one panel per knob (log2 x axis, the data's values
    as tick labels), in the configuration palette."""
    knobs = [k for k in KNOB_LABEL if k in set(sens["knob"])]
    fig, axes = plt.subplots(1, len(knobs), figsize=(4.4 * len(knobs), 3.4), squeeze=False, sharey=True)
    for ax, knob in zip(axes[0], knobs):
        sub = sens.filter(pl.col("knob") == knob)
        for cfg in [c for c in CONFIG_LABEL if c in set(sub["config"])]:
            d = sub.filter(pl.col("config") == cfg).sort("value")
            ax.plot(d["value"].to_list(), d["geomean"].to_list(), marker="o", color=CONFIG_COLOR[cfg],
                    label=CONFIG_LABEL[cfg])
        ax.set_xscale("log", base=2)
        vals = sorted(set(sub["value"].to_list()))
        ax.set_xticks(vals, [f"{v:g}" for v in vals], fontsize=7)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel(KNOB_LABEL[knob])
        ax.set_ylabel("geomean speedup over Sequential (x)")
        ax.axhline(1.0, color="black", lw=0.8)
        ax.legend(fontsize=7, loc="best")
    return _finish(fig, title)


def systems_bars(frames: dict[str, pl.DataFrame], configs: list[str], title: str = ""):
    """Speedup over Sequential per sublayer (plus geomean) for several systems, one panel each, same y axis."""
    fig, axes = plt.subplots(len(frames), 1, figsize=(12, 3.8 * len(frames)), sharey=True, squeeze=False)
    for i, (ax, (name, sweep)) in enumerate(zip(axes[:, 0], frames.items())):
        df = _xlabel(sweep.filter(pl.col("config").is_in(configs)))
        gm = (df.group_by("config").agg(pl.col("speedup").log().mean().exp())
              .with_columns(pl.lit("geomean").alias("point")).sort("config"))
        pdf = pl.concat([df.select("point", "config", "speedup"), gm.select("point", "config", "speedup")]).to_pandas()
        pdf["config"] = pdf["config"].map(CONFIG_LABEL)
        sns.barplot(pdf, x="point", y="speedup", hue="config", hue_order=[CONFIG_LABEL[c] for c in configs],
                    palette={CONFIG_LABEL[c]: CONFIG_COLOR[c] for c in configs}, ax=ax, errorbar=None)
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_ylim(0, 2.0)  # bars start at zero; headroom so that the legend covers none
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("")
        ax.set_ylabel("speedup over Sequential (x)")
        ax.tick_params(axis="x", labelsize=6.5)
        if i == 0:
            ax.legend(ncol=3, loc="upper left", fontsize=7)
        else:
            ax.get_legend().remove()
    return _finish(fig, title)
