"""Figures of the POLCA notebooks: one function per figure, frames/arrays in, a Figure out.

Thin layer in the style of seaborn's figure-level functions: each function draws a complete
figure (axes, labels, legend, ``tight_layout``) and returns the ``matplotlib.figure.Figure``;
saving (``figures.save``) and the tier stamp stay in the notebook. Power is normalised
(x TDP or / provisioned row power); time in seconds, hours or days as labelled.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import seaborn as sns
from matplotlib import colors as mcolors
from matplotlib.figure import Figure

from paperkit import figures

SWEEP_LABELS = {"prompt": "prompt length (tokens, batch 1)", "batch": "batch size (prompt 512)"}
CAP_TITLES = {"bloom": "BLOOM-176B inference", "neox": "GPT-NeoX-20B inference", "train": "training"}
_C = [mcolors.to_hex(c) for c in sns.color_palette("colorblind")]
POLICY_COLORS = figures.palette("polca")
"""One colour per policy in every POLCA figure: the ``[palette]`` of ``figures.toml``."""


def policy_palette(names) -> dict:
    """:data:`POLICY_COLORS` for ``names``; unknown names take the unused colours in order."""
    spare = [c for c in _C if c not in POLICY_COLORS.values()] + list(_C)
    out, i = {}, 0
    for n in sorted(set(names)):
        if n in POLICY_COLORS:
            out[n] = POLICY_COLORS[n]
        else:
            out[n], i = spare[i % len(spare)], i + 1
    return out


def _threshold_lines(ax, levels) -> None:
    """Dashed horizontal lines labelled in the right margin, outside the data."""
    for y, lab in levels:
        ax.axhline(y, ls="--", lw=0.8, color="grey")
        ax.annotate(lab, xy=(1.005, y), xycoords=("axes fraction", "data"), fontsize=7, color="dimgrey",
                    va="center", ha="left", annotation_clip=False)


def _require(frame: pl.DataFrame, cols: tuple[str, ...], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: frame lacks columns {missing} (has {frame.columns})")


def power_sweep_points(perf: pl.DataFrame, prompt_for_batch: int = 512) -> pl.DataFrame:
    """Long frame (sweep, x, metric, tdp) of the public power points of one model.

    ``perf`` holds one model's rows of ``perf_model.csv`` (peak/average power in x TDP):
    the prompt sweep is taken at batch 1, the batch sweep at prompt ``prompt_for_batch``.
    """
    _require(perf, ("batch_size", "prompt_size", "peak_power", "average_power"), "power_sweep_points")
    return pl.concat([
        perf.filter(pl.col("batch_size") == 1).select(
            pl.lit("prompt").alias("sweep"), pl.col("prompt_size").cast(pl.Float64).alias("x"),
            "peak_power", "average_power"),
        perf.filter(pl.col("prompt_size") == prompt_for_batch).select(
            pl.lit("batch").alias("sweep"), pl.col("batch_size").cast(pl.Float64).alias("x"),
            "peak_power", "average_power"),
    ]).unpivot(index=["sweep", "x"], variable_name="metric", value_name="tdp").sort(["sweep", "metric", "x"])


def power_sweeps(obs: pl.DataFrame, fit: pl.DataFrame, title: str) -> Figure:
    """E3: observed power points (scatter) and the fitted phase model (lines), prompt and batch sweeps.

    ``obs``: long frame from :func:`power_sweep_points`; ``fit``: wide frame (sweep, x, peak, mean)
    as returned by ``compute.fit_curves``. Power in x 400 W TDP.
    """
    _require(obs, ("sweep", "x", "metric", "tdp"), "power_sweeps obs")
    _require(fit, ("sweep", "x", "peak", "mean"), "power_sweeps fit")
    fit_long = fit.unpivot(index=["sweep", "x"], variable_name="metric", value_name="tdp").sort(["sweep", "metric", "x"])
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, sw in zip(axes, ["prompt", "batch"]):
        o = obs.filter(pl.col("sweep") == sw).to_pandas()
        f = fit_long.filter(pl.col("sweep") == sw).to_pandas()
        sns.scatterplot(o, x="x", y="tdp", hue="metric", ax=ax, s=30)
        for m, ls in (("peak", "-"), ("mean", "--")):
            ff = f[f.metric == m]
            ax.plot(ff.x, ff.tdp, ls, color="k", lw=1, label=f"fit {m}")
        ax.set(xscale="log", xlabel=SWEEP_LABELS[sw], ylabel="GPU power (x 400 W TDP)", ylim=(0.3, 1.15))
        ax.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def request_timeline(tl: pl.DataFrame, title: str) -> Figure:
    """E2: modelled GPU power (x TDP) of one request over time (s), with the TDP line."""
    _require(tl, ("t_s", "power_tdp"), "request_timeline")
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.plot(tl["t_s"].to_numpy(), tl["power_tdp"].to_numpy(), lw=1.2)
    ax.axhline(1.0, ls="--", color="grey", lw=0.8)
    ax.set(xlabel="time (s)", ylabel="GPU power (x TDP)", title=title)
    fig.tight_layout()
    return fig


def synthetic_traces(envelope: pl.DataFrame, train: np.ndarray, *, dt_s: float = 0.1,
                     window_s: float = 60.0, ref_level: float = 0.79) -> Figure:
    """E1/E4: daily envelope of the inference row (left) and the first ``window_s`` of training (right).

    ``envelope``: (day, min, mean, max) of row power / provisioned; ``train``: training-row power
    sampled every ``dt_s`` seconds; ``ref_level``: dashed reference line on the inference panel.
    """
    _require(envelope, ("day", "min", "mean", "max"), "synthetic_traces")
    if dt_s <= 0 or window_s <= 0:
        raise ValueError(f"dt_s={dt_s} and window_s={window_s} must be > 0")
    env = envelope.sort("day").to_pandas()
    n = int(round(window_s / dt_s))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [2, 1]})
    axes[0].fill_between(env["day"], env["min"], env["max"], alpha=0.3, label="daily min-max")
    axes[0].plot(env["day"], env["mean"], label="daily mean")
    axes[0].axhline(ref_level, ls="--", color="grey", lw=0.8, label=f"calibrated peak ({ref_level:.0%})")
    axes[0].set(xlabel="day", ylabel="row power / provisioned", title="inference row, six weeks (synthetic)",
                ylim=(float(env["min"].min()) - 0.12, max(ref_level, float(env["max"].max())) + 0.05))
    axes[0].legend(fontsize=7, loc="lower center", ncol=3)  # below the band, clear of the data
    axes[1].plot(np.arange(n) * dt_s, train[:n], lw=0.8)
    axes[1].set(xlabel="s", title=f"training row, {window_s:g} s (synthetic)", ylim=(0, 1.05))
    fig.tight_layout()
    return fig


def replica_vs_input(replica: np.ndarray, given: np.ndarray, *, dt_s: float = 1.0,
                     replica_label: str = "simulated row (40 servers, no control)") -> Figure:
    """E11 analogue: simulated row power vs the synthetic input it replays (both / provisioned).

    Both arrays are sampled every ``dt_s`` seconds; the x axis is in hours.
    """
    if replica.shape != given.shape:
        raise ValueError(f"replica {replica.shape} and input {given.shape} must have the same shape")
    h = np.arange(replica.size) * dt_s / 3600
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(h, replica, lw=0.3, label=replica_label)
    ax.plot(h, given, lw=0.8, label="synthetic input")
    ax.set(xlabel="hour of window", ylabel="row power / provisioned", title="E11 analogue: replica vs synthetic input")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def oversubscription(df: pl.DataFrame, days: float, *, n_servers: int = 40, hp_criterion: float = 0.01) -> Figure:
    """E12/E13: power-brake events (log, +1) and HP P50 latency impact vs added servers, per policy.

    ``df``: one row per (policy, oversub) from ``sweep.passes``; ``days``: simulated window.
    """
    _require(df, ("policy", "oversub", "brake_events", "hp_p50_impact"), "oversubscription")
    d = df.with_columns((pl.col("brake_events") + 1).alias("brake events + 1")).to_pandas()
    xlabel = f"added servers (fraction of {n_servers})"
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    pal = policy_palette(d["policy"])
    sns.lineplot(d, x="oversub", y="brake events + 1", hue="policy", marker="o", ax=axes[0], palette=pal)
    axes[0].set(yscale="log", xlabel=xlabel, title=f"power-brake events ({days:g} days)")
    sns.lineplot(d, x="oversub", y="hp_p50_impact", hue="policy", marker="o", ax=axes[1], legend=False, palette=pal)
    axes[1].axhline(hp_criterion, ls="--", color="grey", lw=0.8)
    axes[1].set(xlabel=xlabel, ylabel="HP P50 end-to-end latency impact",
                title=f"HP P50 impact, serving loop (criterion < {hp_criterion * 100:g} %)")
    fig.tight_layout()
    return fig


def capping_model(ks: pl.DataFrame, title: str) -> Figure:
    """E6/E7: normalised latency vs normalised peak power per capping knob, one panel per workload."""
    _require(ks, ("workload", "knob", "peak_norm", "latency_norm"), "capping_model")
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), sharey=True)
    for ax, wl in zip(axes, ["bloom", "neox", "train"]):
        d = ks.filter(pl.col("workload") == wl).to_pandas()
        sns.lineplot(d, x="peak_norm", y="latency_norm", hue="knob", style="knob", markers=True, ax=ax, sort=True)
        ax.set(title=CAP_TITLES[wl], xlabel="peak power (norm.)", ylabel="latency (norm.)")
        ax.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def row_power(df: pl.DataFrame, t1: float, t2: float, title: str) -> Figure:
    """E12: row power (10 s means, / provisioned) over the window per policy, with T1, T2 and the
    brake level marked; the legend sits below the axes."""
    _require(df, ("policy", "hour", "power"), "row_power")
    fig, ax = plt.subplots(figsize=(8, 3.4))
    sns.lineplot(df.sort(["policy", "hour"]).to_pandas(), x="hour", y="power", hue="policy", ax=ax, lw=0.7,
                 palette=policy_palette(df["policy"]))
    _threshold_lines(ax, ((t1, "T1"), (t2, "T2"), (1.0, "brake")))
    ax.set(xlabel="hour of window", ylabel="row power / provisioned", title=title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def phase_power(comp: pl.DataFrame, pw: pl.DataFrame, ph: pl.DataFrame, title: str) -> Figure:
    """E2/E3 analogue on the H200: (left) measured power over the 7B-shaped inference phases,
    x 700 W TDP, phases shaded and named; (right) per-phase plateau and spike, x each GPU's TDP,
    H200 measured beside the public A100 data (``compute.phase_comparison``)."""
    _require(comp, ("gpu", "phase", "batch", "stat", "tdp"), "phase_power comp")
    _require(pw, ("t_s", "power_w"), "phase_power samples")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [3, 2]})
    ax = axes[0]
    ax.plot(pw["t_s"].to_numpy(), pw["power_w"].to_numpy() / 700.0, lw=0.9, color="k")
    for r in ph.sort("start_s").iter_rows(named=True):
        shade = sns.color_palette()[1 if "prefill" in r["phase"] else 2]  # prefill orange, decode green
        ax.axvspan(r["start_s"], r["end_s"], color=shade, alpha=0.12, lw=0)
        label = r["phase"].replace("llm7b_", "").replace("_ctx2048", "").replace("_t2048", "").replace("_", " ")
        ax.annotate(label, xy=((r["start_s"] + r["end_s"]) / 2, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(0, 3), textcoords="offset points", rotation=90, fontsize=6, ha="center", va="bottom",
                    annotation_clip=False)  # above the axes, never over the trace
    ax.axhline(1.0, ls="--", color="grey", lw=0.8)
    ax.set(xlabel="time (s)", ylabel="GPU power (x 700 W TDP)", ylim=(0, 1.1))
    ax.set_title("H200, measured (10 Hz)", pad=48)
    d = comp.with_columns((pl.col("phase") + " " + pl.col("stat")).alias("what")).sort(["what", "gpu", "batch"])
    sns.lineplot(d.to_pandas(), x="batch", y="tdp", hue="what", style="gpu", markers=True, ax=axes[1])
    axes[1].set(xscale="log", xlabel="batch", ylabel="GPU power (x own TDP)", ylim=(0, 1.15),
                title="per phase: H200 vs A100")
    axes[1].legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.02, 0.5))  # beside the data, not over it
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def training_power(pw: pl.DataFrame, boundary_ref: float, boundary_label: str, title: str) -> Figure:
    """E5 analogue: measured training-step power over time (x 700 W TDP) with the paper's
    iteration-boundary level drawn as a reference line."""
    _require(pw, ("t_s", "power_w"), "training_power")
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(pw["t_s"].to_numpy(), pw["power_w"].to_numpy() / 700.0, lw=1.0, marker=".", ms=3,
            label="H200, 1.3B-shaped training steps (measured)")
    ax.axhline(1.0, ls="--", color="grey", lw=0.8, label="TDP (700 W)")
    ax.axhline(boundary_ref, ls=":", color="C3", lw=1.0, label=boundary_label)
    ax.set(xlabel="time (s)", ylabel="GPU power (x TDP)", ylim=(0, 1.1), title=title)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def training_caps(ks: pl.DataFrame, title: str) -> Figure:
    """E6 (modelled): training peak power and iteration time (normalised) per cap setting,
    one panel per knob (SM clock cap, power cap)."""
    _require(ks, ("knob", "value", "peak_norm", "latency_norm"), "training_caps")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
    for ax, knob, unit in zip(axes, ["frequency cap", "power cap"], ["MHz", "W"]):
        d = ks.filter(pl.col("knob") == knob).sort("value")
        ax.plot(d["value"].to_numpy(), d["peak_norm"].to_numpy(), marker="o", label="peak power (norm.)")
        ax.plot(d["value"].to_numpy(), d["latency_norm"].to_numpy(), marker="s", label="iteration time (norm.)")
        ax.set(xlabel=f"{knob} ({unit})", title=f"training under a {knob} (modelled)")
        ax.invert_xaxis()
        ax.legend(fontsize=7)
    axes[0].set_ylabel("normalised to uncapped")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def seen_vs_true(panels: dict[str, pl.DataFrame], t1: float, t2: float, title: str) -> Figure:
    """Why POLCA and brake-only differ: per policy (one panel each), the row's TRUE 1-s power
    and what the controller SEES (the PDU mean), with the control state shaded (capped, braking).
    Each frame: ``s`` (seconds from the window start), ``true``, ``seen``, ``stage``, ``braking``."""
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.6 * len(panels)), sharex=True, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (name, d) in zip(axes, panels.items()):
        _require(d, ("s", "true", "seen", "stage", "braking"), "seen_vs_true")
        m = d["s"].to_numpy() / 60.0
        ax.plot(m, d["true"].to_numpy(), lw=0.5, color="0.55", label="true 1-s power (protection)")
        ax.plot(m, d["seen"].to_numpy(), lw=1.2, color=policy_palette([name])[name], label="seen by the controller (10 s mean)")
        lo = float(min(d["true"].min(), d["seen"].min())) - 0.01
        ax.fill_between(m, lo, lo + 0.015, where=d["stage"].to_numpy() > 0, step="post", color=_C[2], alpha=0.5,
                        lw=0, label="capped")
        ax.fill_between(m, lo, lo + 0.015, where=d["braking"].to_numpy() > 0, step="post", color=_C[3], alpha=0.8,
                        lw=0, label="power brake")
        _threshold_lines(ax, ((t1, "T1"), (t2, "T2"), (1.0, "100 %")))
        ax.set(ylabel="row power / provisioned", title=name)
    axes[-1].set_xlabel("minutes")
    axes[-1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), fontsize=7, ncol=2, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
