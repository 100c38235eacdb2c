"""Plot helpers for the Fuyou notebooks (matplotlib/seaborn; pandas at the seaborn boundary)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
import seaborn as sns
from matplotlib.patches import Patch

from .hardware import get_profile

RES_ORDER = ["GPU", "H2D", "D2H", "SSD", "CPU"]
# One colour per task kind of the engine timelines, grouped by resource in
# colour families: GPU blues, parameter traffic oranges, activation traffic greens, gradients
# purple, optimizer SSD traffic reds/browns, CPU Adam grey; a hatch marks the SSD-side hop.
KIND_STYLE: dict[str, tuple[str, str]] = {
    "forward": ("#1f77b4", ""),
    "backward+recompute": ("#08306b", ""),
    "loss": ("#9ecae1", ""),
    "param read": ("#ff7f0e", "//"),
    "param read (fwd)": ("#fdae6b", "//"),
    "param read (bwd)": ("#a63603", "//"),
    "param H2D": ("#ffd92f", ""),
    "act D2H": ("#2ca02c", ""),
    "act H2D": ("#98df8a", ""),
    "act write": ("#006d2c", "//"),
    "act read": ("#74c476", "//"),
    "grad D2H": ("#9467bd", ""),
    "opt read": ("#d62728", "//"),
    "opt write": ("#8c564b", "//"),
    "adam": ("#7f7f7f", ""),
}
KIND_COLORS = {k: c for k, (c, _) in KIND_STYLE.items()}
# The phase timeline (mechanism terms): one colour per phase kind.
KIND_STYLE |= {"backward (+ overlapped optimizer)": ("#4a1486", ""), "backward": ("#3182bd", ""),
               "last sub-group": ("#bc80bd", ""), "optimizer": ("#e7298a", "//"),
               "param upload": ("#fee08b", ""), "param fetch (waits)": ("#d95f02", "//"),
               "earlier micro-batches (accumulation)": ("#c6dbef", "")}
# One palette and one display name per system, in every figure of the paper.
SYSTEM_LABELS = {"fuyou": "Fuyou", "zero-infinity": "ZeRO-Infinity",
                 "zero-offload": "ZeRO-Offload", "colossal-ai": "Colossal-AI (Gemini)"}
SYSTEM_COLORS = dict(zip(SYSTEM_LABELS.values(), sns.color_palette("colorblind", 4)))


def system_names(frame: pl.DataFrame, col: str = "system") -> pl.DataFrame:
    """``frame`` with the system column in display names (raw ids are not labels)."""
    return frame.with_columns(pl.col(col).replace(SYSTEM_LABELS))


def gpu_names(frame: pl.DataFrame, col: str = "hardware") -> pl.DataFrame:
    """``frame`` with hardware profile ids replaced by the GPU's name."""
    names = {h: get_profile(h).gpu_name for h in frame[col].unique().to_list()}
    return frame.with_columns(pl.col(col).replace(names))


def gantt(ax: plt.Axes, frame: pl.DataFrame, title: str, t0: float | None = None) -> None:
    """Busy intervals per resource (rows) coloured by task kind."""
    f = frame.sort(["resource", "start_s"])
    base = float(f["start_s"].min()) if t0 is None else t0
    res = [r for r in RES_ORDER if r in set(f["resource"].to_list())]
    for i, r in enumerate(res):
        sub = f.filter(pl.col("resource") == r)
        for k in sorted(set(sub["kind"].to_list())):
            ks = sub.filter(pl.col("kind") == k)
            spans = [(s - base, max(e - s, 1e-9)) for s, e in zip(ks["start_s"], ks["end_s"])]
            color, hatch = KIND_STYLE.get(k, ("0.5", "xx"))
            ax.broken_barh(spans, (i - 0.4, 0.8), facecolor=color, hatch=hatch,
                           edgecolor="white" if hatch else color, linewidth=0)
    ax.set_yticks(range(len(res)), res)
    ax.invert_yaxis()
    ax.set_xlabel("time (s)")
    ax.set_title(title)


def kind_legend(fig: plt.Figure, kinds: list[str]) -> None:
    """One legend for the task kinds present: colour and hatch (hatched = an SSD-side hop)."""
    handles = [Patch(facecolor=KIND_STYLE.get(k, ("0.5", "xx"))[0],
                     hatch=KIND_STYLE.get(k, ("0.5", "xx"))[1], edgecolor="white", label=k)
               for k in kinds]
    fig.legend(handles=handles, loc="lower center", ncol=min(6, len(handles)), fontsize=6,
               bbox_to_anchor=(0.5, 0.0))


def mark_oom(ax: plt.Axes, pdf, x: str, hue: str, hue_order: list[str]) -> None:
    """Write 'OOM' at the foot of each (x, hue) bar whose configuration does not fit."""
    xs = sorted(pdf[x].unique())
    n = len(hue_order)
    for j, h in enumerate(hue_order):
        for i, xv in enumerate(xs):
            row = pdf[(pdf[x] == xv) & (pdf[hue] == h)]
            if len(row) and not bool(row["fits"].iloc[0]):
                ax.text(i + (j - (n - 1) / 2) * 0.8 / n, ax.get_ylim()[1] * 0.01, "OOM",
                        rotation=90, ha="center", va="bottom", fontsize=6)


def bars_with_oom(ax: plt.Axes, frame: pl.DataFrame, x: str, hue: str,
                  hue_order: list[str], title: str) -> None:
    """Bar chart of TFLOPS with 'OOM' written where a configuration does not fit."""
    hue_order = [SYSTEM_LABELS.get(h, h) for h in hue_order]
    pdf = system_names(frame.with_columns(pl.col("tflops").fill_null(0.0)), hue).to_pandas()
    sns.barplot(pdf, x=x, y="tflops", hue=hue, hue_order=hue_order, ax=ax, errorbar=None,
                palette=SYSTEM_COLORS)
    mark_oom(ax, pdf, x, hue, hue_order)
    ax.set_ylabel("TFLOPS (factor-4 convention)")
    ax.set_title(title)


def fmt_table(frame: pl.DataFrame, digits: int = 4) -> str:
    """Plain-text table with floats at ``digits`` significant digits (stable for nbval)."""
    def f(v):
        if isinstance(v, float):
            return "" if v != v else f"{v:.{digits}g}"
        return "" if v is None else str(v)
    cols = frame.columns
    rows = [[f(v) for v in r] for r in frame.iter_rows()]
    w = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(cols)]
    lines = ["  ".join(c.rjust(w[i]) for i, c in enumerate(cols))]
    lines += ["  ".join(v.rjust(w[i]) for i, v in enumerate(r)) for r in rows]
    return "\n".join(lines)


# ---- one function per notebook figure (frames in, Figure out) -------------------------------

GPT3_TICKS_B = (12.85, 29.97, 64.85, 174.6, 277.0)  # tick positions (B params) of the size axis


def overall_throughput(tp: pl.DataFrame, panels: list[tuple[str, str]], systems: list[str],
                       ref_lines: dict[str, tuple[float, str]] | None = None) -> plt.Figure:
    """Overall throughput: one TFLOPS bar panel per (hardware, model), 'OOM' where it does not fit.

    ``tp``: rows of ``sweeps.throughput``; ``panels``: (hardware profile, model) per panel;
    ``ref_lines``: label -> (TFLOPS, line style) drawn as horizontal lines on the first panel.
    """
    if not panels:
        raise ValueError("panels must name at least one (hardware, model) pair")
    fig, axes = plt.subplots(1, len(panels), figsize=(13, 3.2), sharey=True, squeeze=False)
    axes = axes[0]
    for ax, (hw, m) in zip(axes, panels):
        bars_with_oom(ax, tp.filter(hardware=hw, model=m), "batch", "system", systems,
                      f"{m} on {get_profile(hw).gpu_name}")
        if ax is not axes[0]:
            ax.get_legend().remove()
    for label, (value, ls) in (ref_lines or {}).items():
        axes[0].axhline(value, ls=ls, color="k", lw=0.8, label=label)
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    return fig


def bigger_model_and_ssds(big: pl.DataFrame, ssd: pl.DataFrame, sizes: list[str],
                          ticks_b: tuple[float, ...] = GPT3_TICKS_B) -> plt.Figure:
    """TFLOPS vs model size (left, log x, one line per hardware/system) and vs #SSDs (right).

    ``big``: ``sweeps.throughput`` rows with ``params_b`` (B params); ``ssd``: ``sweeps.ssd_scaling``
    rows with a ``gpu`` name column; ``sizes``: tick labels at ``ticks_b``.
    """
    if len(sizes) != len(ticks_b):
        raise ValueError(f"sizes {sizes} and ticks_b {ticks_b} must have the same length")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.2))
    for (hw, s), g in big.with_columns(order=pl.col("params_b")).sort("order").group_by(
            ["hardware", "system"], maintain_order=True):
        name = SYSTEM_LABELS.get(s, s)
        a1.plot(g["params_b"], g["tflops"], marker="o", color=SYSTEM_COLORS[name],
                ls="-" if hw.endswith("4090") else "--", label=f"{name}, {get_profile(hw).gpu_name}")
    a1.set(xscale="log", xlabel="model size (B params, GPT-3 family)", ylabel="TFLOPS",
           title="batch 8: throughput vs model size")
    a1.set_xticks(list(ticks_b), sizes, minor=False)
    a1.minorticks_off()
    a1.legend(fontsize=6)
    for (g_, s), g in ssd.sort("n_ssd").group_by(["gpu", "system"], maintain_order=True):
        name = SYSTEM_LABELS.get(s, s)
        a2.plot(g["n_ssd"], g["tflops"], marker="o", color=SYSTEM_COLORS[name],
                ls="-" if "4090" in g_ else "--", label=f"{name}, {g_}")
    a2.set(xlabel="number of SSDs (P5510, RAID-0)", ylabel="TFLOPS", title="13B, batch 16: throughput vs #SSDs")
    a2.legend(fontsize=6)
    fig.tight_layout()
    return fig


def engine_timelines(timelines: dict[str, pl.DataFrame], title: str = "measured, CPU toy: {}") -> plt.Figure:
    """Gantt charts of engine timelines, one row per schedule, with one legend of task kinds.

    ``timelines``: schedule -> frame (resource, kind, start_s, end_s in seconds);
    ``title``: format string filled with the schedule name.
    """
    if not timelines:
        raise ValueError("timelines must hold at least one schedule's frame")
    fig, axes = plt.subplots(len(timelines), 1, figsize=(10, 4.5), sharex=True, squeeze=False)
    kinds: set[str] = set()
    for ax, (sched, tl) in zip(axes[:, 0], timelines.items()):
        kinds |= set(tl["kind"].to_list())
        gantt(ax, tl, title.format(sched))
    kind_legend(fig, sorted(kinds))
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return fig


def measured_vs_model(meas: pl.DataFrame) -> plt.Figure:
    """Measured vs modelled seconds per iteration (log-log), one colour per schedule, y = x line."""
    missing = [c for c in ("schedule", "params", "iteration_s", "model_iteration_s") if c not in meas.columns]
    if missing:
        raise ValueError(f"measured_vs_model: frame lacks columns {missing}")
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for s, g in meas.sort("params").group_by("schedule", maintain_order=True):
        ax.scatter(g["iteration_s"], g["model_iteration_s"], label=s[0])
    lim = [float(meas["model_iteration_s"].min()) / 2, float(meas["iteration_s"].max()) * 2]
    ax.plot(lim, lim, "k--", lw=0.7)
    ax.set(xscale="log", yscale="log", xlabel="measured s/iteration (CPU)", ylabel="modelled s/iteration",
           title="engine: measured vs model (CPU)")
    ax.legend(fontsize=6, loc="upper left")
    fig.tight_layout(rect=(0, 0.07, 1, 1))  # the tier stamp sits below the axes
    return fig


def ssd_scaling_fit(points: pl.DataFrame, model_curve: pl.DataFrame, errs: pl.DataFrame
                    ) -> plt.Figure:
    """The authors' measured TFLOPS vs #SSDs (markers: filled = fit subset, open = held out)
    against the fitted mechanism model (lines), and the error of every point (right).

    ``points``: ``mechanism.validate`` frame (ssds, batch, tflops, model_tflops, err, role);
    ``model_curve``: ``mechanism.curve``; ``errs``: ``mechanism.errors`` (mean errors).
    """
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.3, 1]})
    batches = sorted(set(points["batch"].to_list()))
    colors = dict(zip(batches, sns.color_palette("colorblind", len(batches))))
    for b in batches:
        c = model_curve.filter(batch=b).drop_nulls("model_tflops")
        a1.plot(c["ssds"], c["model_tflops"], color=colors[b], lw=1.2, label=f"model, batch {b}")
        for role, face in (("fit", colors[b]), ("held out", "white")):
            m = points.filter(batch=b, role=role)
            a1.scatter(m["ssds"], m["tflops"], s=36, facecolors=face, edgecolors=colors[b],
                       zorder=3, label=f"measured (authors), batch {b}, {role}" if m.height else None)
    a1.set(xlabel="SSDs in the RAID-0 array", ylabel="TFLOPS (factor-4 convention)",
           title="13B on RTX 4090: authors' measurements vs model", xticks=[1, 2, 3, 6, 12])
    a1.legend(fontsize=5.5, ncol=2)
    p = points.sort(["batch", "ssds"]).with_columns(
        label=pl.format("{} / {}", pl.col("batch"), pl.col("ssds")), pct=pl.col("err") * 100)
    bar_colors = [colors[b] for b in p["batch"].to_list()]
    hatches = ["" if r == "fit" else "//" for r in p["role"].to_list()]
    bars = a2.bar(range(p.height), p["pct"].fill_null(0.0).to_list(), color=bar_colors)
    for bar, h in zip(bars, hatches):
        bar.set_hatch(h)
        bar.set_edgecolor("white")
    a2.axhline(0, color="k", lw=0.6)
    a2.set_xticks(range(p.height), p["label"].to_list(), rotation=90, fontsize=6)
    e = {r["subset"]: r["mean_abs_err"] for r in errs.iter_rows(named=True)}
    a2.set(ylabel="model / measured - 1 (%)", xlabel="batch / SSDs", title=(
        f"mean |error|: fit {e['fit']:.1%}, held out {e['held out']:.1%}, "
        f"leave-one-SSD-count-out {e['leave one SSD count out']:.1%}"))
    a2.title.set_fontsize(7)
    fig.tight_layout(rect=(0, 0.05, 1, 1))  # the tier stamp sits below the tick labels
    return fig


def max_model_size(mx: pl.DataFrame) -> plt.Figure:
    """Largest trainable model vs CPU memory, bars per system, one panel per hardware profile
    (``sweeps.max_model_size``)."""
    f = gpu_names(system_names(mx)).with_columns(
        pl.col("cpu_mem_gb").round(0).cast(pl.Int64).cast(pl.String))
    order = [SYSTEM_LABELS[s] for s in SYSTEM_LABELS if SYSTEM_LABELS[s] in set(f["system"])]
    g = sns.catplot(f.to_pandas(), x="cpu_mem_gb", y="params_b", hue="system", col="hardware",
                    kind="bar", height=3, aspect=1.3, hue_order=order, palette=SYSTEM_COLORS)
    g.set(ylim=(0, None))
    g.set_titles("{col_name}")
    g.set_axis_labels("CPU memory (GB)", "max trainable model (B params)")
    return g.figure


def throughput_dollars(cost: pl.DataFrame) -> plt.Figure:
    """TFLOPS per 1000 USD per configuration, GPU-only and whole-server cost
    (``sweeps.cost_effectiveness``)."""
    g = sns.catplot(cost.to_pandas(), x="config", y="tflops_per_kusd", col="cost", kind="bar",
                    height=3, aspect=1.4)
    g.set_axis_labels("", "TFLOPS per 1000 USD")
    g.set_titles("cost: {col_name}")
    for ax in g.axes.flat:
        ax.tick_params(axis="x", labelrotation=20, labelsize=6)
    return g.figure


def pipelines(cases: list[tuple[str, pl.DataFrame]]) -> plt.Figure:
    """Modelled per-resource timelines, one row per (title, ``sweeps.gantt`` frame), one legend."""
    fig, axes = plt.subplots(len(cases), 1, figsize=(10, 6.5), sharex=True, squeeze=False)
    kinds: set[str] = set()
    for ax, (title, f) in zip(axes[:, 0], cases):
        kinds |= set(f["kind"].to_list())
        gantt(ax, f, f"{title} ({f['end_s'].max():.3g} s)")
    kind_legend(fig, sorted(kinds))
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def gpu_util_opt_prop(ps: pl.DataFrame) -> plt.Figure:
    """ZeRO-Infinity's GPU busy fraction and optimizer share per batch (``sweeps.phase_shares``)."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3))
    f = gpu_names(ps).rename({"hardware": "GPU"})
    pdf = f.with_columns(pl.when(pl.col("fits")).then(pl.col(c)).otherwise(0.0).alias(c)
                         for c in ("gpu_util", "opt_share")).to_pandas()
    order = list(dict.fromkeys(f["GPU"].to_list()))
    for ax, col in ((a1, "gpu_util"), (a2, "opt_share")):
        sns.barplot(pdf, x="batch", y=col, hue="GPU", hue_order=order, ax=ax)
        ax.set_ylim(0, 1)
        mark_oom(ax, pdf, "batch", "GPU", order)
    a1.set(ylabel="GPU busy fraction", title="ZeRO-Infinity: GPU busy fraction", ylim=(0, 1))
    a2.set(ylabel="optimizer stage / iteration", title="ZeRO-Infinity: optimizer stage share",
           ylim=(0, 1))
    fig.tight_layout()
    return fig


def ablations(ab: pl.DataFrame) -> plt.Figure:
    """TFLOPS per ablation variant and batch, one panel per GPU (``sweeps.ablations``)."""
    pdf = ab.with_columns(pl.col("tflops").fill_null(0.0)).to_pandas()
    order = list(dict.fromkeys(ab.sort("variant")["variant"].to_list()))
    g = sns.catplot(pdf, x="batch", y="tflops", hue="variant", col="gpu", kind="bar", height=3,
                    aspect=1.5, hue_order=order)
    g.set_axis_labels("batch", "TFLOPS (factor-4 convention)")
    g.set_titles("{col_name}")
    for gpu, ax in g.axes_dict.items():
        mark_oom(ax, pdf[pdf["gpu"] == gpu], "batch", "variant", order)
    return g.figure


def swap_coefficient(curves: dict[str, pl.DataFrame], title: str) -> plt.Figure:
    """TFLOPS vs swap coefficient per label (``sweeps.swap_coefficient``), the automatic choice
    starred."""
    fig, ax = plt.subplots(figsize=(5, 3))
    for lab, d in curves.items():
        curve = d.filter(~pl.col("auto"))
        ax.plot(curve["swap_coeff"], curve["tflops"], marker=".", label=lab)
        a = d.filter(pl.col("auto"))
        ax.scatter(a["swap_coeff"], a["tflops"], marker="*", s=120, zorder=3)
    ax.set(xlabel="swap coefficient (fraction of swappable GEMM outputs)", ylabel="TFLOPS",
           title=title)
    ax.legend(fontsize=6)
    fig.tight_layout()
    return fig
