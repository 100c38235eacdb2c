"""Notebook 08: keep-alive policies compared on a trace (cold-start rate against wasted memory).

Design: the trace's per-minute series are replayed once (:mod:`.replay`; the level structure of
:mod:`.platform` does not depend on the policy), then every policy is evaluated on it. Per policy
and trigger group: requests, cold starts, cold-start rate (cold starts per request), idle pod
GB-seconds (memory kept by idle pods: the waste) and pods started. Trigger groups: the Region 2
table's aggregated categories (TIMER-A, APIG-S, OBS-A, workflow-S; the rest "other"), and
"unknown" for Region 2's unknown rows and every function of the other regions (no table there);
``timer_like`` says which functions the replay treats as timers (known or inferred). Figure:
:func:`plot_tradeoff`, one panel per group, the fixed keep-alive as a curve over its seconds and
the other policies as points.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure

from paperkit.coldstarts import platform, replay
from paperkit.coldstarts.policies import Fixed, HybridHistogram, KeepAlivePolicy, TimerPrewarm

FIXED_KEEP_ALIVES_S = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
GROUPS = ("all", "TIMER-A", "APIG-S", "OBS-A", "workflow-S", "other", "unknown")


def default_policies() -> list[KeepAlivePolicy]:
    """Fixed at :data:`FIXED_KEEP_ALIVES_S`, the hybrid histogram and the timer pre-warm."""
    return [Fixed(k) for k in FIXED_KEEP_ALIVES_S] + [HybridHistogram(), TimerPrewarm()]


def label(policy: KeepAlivePolicy) -> str:
    """``fixed 60 s`` for a fixed policy, else the policy's name."""
    return f"fixed {policy.keep_alive_s:g} s" if isinstance(policy, Fixed) else policy.name


def per_function(cells: replay.Cells, policies: list[KeepAlivePolicy], seed: int = 0
                 ) -> pl.DataFrame:
    """Per policy and function: the simulator's metrics plus ``group`` and ``timer_like``."""
    cut = replay.exact_cut(cells)
    out = []
    for f0, f1 in replay.chunks(cells):
        st = platform.prepare(replay.plan(replay.subset(cells, f0, f1), seed,
                                          exact_poisson_below=cut, func_offset=f0))
        for pol in policies:
            pf = platform.evaluate(st, pol).per_function
            out.append(pf.with_columns(policy=pl.lit(label(pol)), keep_alive_s=pl.lit(
                pol.keep_alive_s if isinstance(pol, Fixed) else None, pl.Float64)))
    df = pl.concat(out)
    grp = (pl.when(pl.col("trigger").is_null() | (pl.col("trigger") == "unknown"))
           .then(pl.lit("unknown"))
           .when(pl.col("trigger").is_in(list(GROUPS[1:5]))).then(pl.col("trigger"))
           .otherwise(pl.lit("other")))
    return df.with_columns(group=grp, timer_like=pl.col("model") == "timer")


def by_group(pf: pl.DataFrame) -> pl.DataFrame:
    """Sums per policy and group (and "all"): requests, cold starts, cold-start rate, idle
    GB-seconds, pods; sorted by group (in :data:`GROUPS` order), then policy."""
    agg = [pl.col("requests", "cold_starts", "pods").sum(), pl.col("idle_gb_s").sum(),
           pl.len().alias("functions")]
    keys = ["policy", "keep_alive_s"]
    df = pl.concat([pf.group_by(*keys, "group").agg(*agg),
                    pf.group_by(*keys).agg(*agg).with_columns(group=pl.lit("all"))],
                   how="diagonal")
    order = {g: i for i, g in enumerate(GROUPS)}
    return (df.with_columns(cold_start_rate=pl.col("cold_starts") / pl.col("requests"),
                            g=pl.col("group").replace_strict(order, default=len(GROUPS)))
            .sort("g", "keep_alive_s", "policy", nulls_last=True).drop("g")
            .select("group", "policy", "keep_alive_s", "functions", "requests", "cold_starts",
                    "cold_start_rate", "idle_gb_s", "pods"))


def timers(pf: pl.DataFrame) -> pl.DataFrame:
    """The same sums over the functions the replay treats as timers, per policy."""
    t = pf.filter(pl.col("timer_like")).with_columns(group=pl.lit("timers"))
    return by_group(t).filter(pl.col("group") == "all").with_columns(group=pl.lit("timers"))


def plot_tradeoff(groups: pl.DataFrame, panels: tuple[str, ...] = GROUPS) -> Figure:
    """Cold-start rate (y, log) against idle GB-seconds (x, log), one panel per group."""
    panels = tuple(p for p in panels if p in set(groups["group"].to_list()))
    ncol = min(4, len(panels))
    nrow = -(-len(panels) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.9 * nrow), squeeze=False)
    colors = plt.get_cmap("tab10").colors
    for ax, g in zip(axes.flat, panels):
        d = groups.filter(pl.col("group") == g)
        fx = d.filter(pl.col("keep_alive_s").is_not_null()).sort("keep_alive_s")
        ax.plot(fx["idle_gb_s"], fx["cold_start_rate"], "-o", color=colors[0], ms=3,
                label="fixed 10-600 s")
        mid = fx.filter(pl.col("keep_alive_s") == 60.0)
        ax.plot(mid["idle_gb_s"], mid["cold_start_rate"], "s", color=colors[0], ms=7,
                mfc="none", label="fixed 60 s (platform)")
        for i, p in enumerate(("hybrid-histogram", "timer-prewarm")):
            q = d.filter(pl.col("policy") == p)
            ax.plot(q["idle_gb_s"], q["cold_start_rate"], "D^"[i], color=colors[i + 1], ms=6,
                    label=p, ls="none")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(g, fontsize=9)
        ax.set_xlabel("idle pod memory (GB-s)")
        ax.set_ylabel("cold starts per request")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def monotone_in_every_region(pf: pl.DataFrame, kas: tuple[float, ...] = (10.0, 60.0, 600.0)
                             ) -> bool:
    """Cold starts strictly fall and idle pod-seconds strictly rise over the fixed keep-alives
    ``kas``, in every region."""
    r = (pf.filter(pl.col("keep_alive_s").is_in(list(kas)))
         .group_by("region", "keep_alive_s")
         .agg(pl.col("cold_starts").sum(), pl.col("idle_pod_s").sum()).sort("region", "keep_alive_s"))
    ok = r.group_by("region").agg(
        n=pl.len(), fall=(pl.col("cold_starts").diff().drop_nulls() < 0).all(),
        rise=(pl.col("idle_pod_s").diff().drop_nulls() > 0).all())
    return bool(ok.height > 0 and (ok["n"] == len(kas)).all() and ok["fall"].all()
                and ok["rise"].all())


def claim_values(pf: pl.DataFrame) -> dict[str, float | None]:
    """The X8 claims (yes = 1.0) from :func:`per_function`'s frame."""
    g, t = by_group(pf), timers(pf)

    def get(df: pl.DataFrame, policy: str, col: str) -> float | None:
        d = df.filter((pl.col("group").is_in(["all", "timers"])) & (pl.col("policy") == policy))
        return None if d.height == 0 else float(d[col][0])

    def yes(a: float | None, b: float | None, strict: bool) -> float | None:
        if a is None or b is None:
            return None
        return float(a < b) if strict else float(a <= b)

    return {"X8-keepalive-monotone": float(monotone_in_every_region(pf)),
            "X8-timer-prewarm-fewer": yes(get(t, "timer-prewarm", "cold_start_rate"),
                                          get(t, "fixed 60 s", "cold_start_rate"), True),
            "X8-timer-prewarm-waste": yes(get(t, "timer-prewarm", "idle_gb_s"),
                                          get(t, "fixed 60 s", "idle_gb_s"), False),
            "X8-hybrid-fewer": yes(get(g, "hybrid-histogram", "cold_start_rate"),
                                   get(g, "fixed 60 s", "cold_start_rate"), True),
            "X8-hybrid-waste": yes(get(g, "hybrid-histogram", "idle_gb_s"),
                                   get(g, "fixed 60 s", "idle_gb_s"), False)}
