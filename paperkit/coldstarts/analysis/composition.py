"""Region 2 composition by trigger, runtime and CPU-memory config (Figs 8, 9, 14).

``meta`` is the Region 2 runtime/trigger table (funcID, cpu_request, runtime,
triggerType-invocationType).  Functions missing from it count as runtime ``unknown``
(group ``other``), trigger ``unknown`` and their config is parsed from the funcID.
"""
from __future__ import annotations

import polars as pl

from .pools import config_group_expr, pool_from_funcid_expr, with_funcid
from .runtimes import PLOTTED_RUNTIMES, annotate_meta
from .series import hour_expr, require
from .triggers import TRIGGER_ORDER

#: group kinds of Fig 8 -> column of the annotated metadata
GROUP_KINDS: dict[str, str] = {"trigger": "trigger", "runtime": "runtime_group", "config": "config"}
#: stack order bottom -> top of Fig 8a-c (the paper's)
STACK_ORDER: dict[str, tuple[str, ...]] = {
    "trigger": TRIGGER_ORDER,
    "runtime": ("Python2", "http", "other", "Java", "Node.js", "Python3", "Custom"),
    "config": ("400/256", "600/512", "other", "1000/1024", "300/128"),
}
#: working days / weekend-like days outside the holiday (the weekly pattern the paper's Fig. 7 shows)
WORK_DAYS: tuple[int, ...] = (0, 3, 4, 5, 6, 7, 10, 11, 12, 13, 22, 23, 24, 25, 26, 27, 28)
WEEKEND_DAYS: tuple[int, ...] = (1, 2, 8, 9, 29, 30)


def function_groups(func_ids: pl.DataFrame, meta: pl.DataFrame) -> pl.DataFrame:
    """Map each funcID to trigger, runtime_group, runtime and config groups."""
    m = annotate_meta(meta).select("funcID", "runtime", "runtime_group", "trigger")
    return (
        func_ids.select("funcID").unique().join(m, on="funcID", how="left")
        .with_columns(pl.col("runtime").fill_null("unknown"), pl.col("runtime_group").fill_null("other"),
                      pl.col("trigger").fill_null("unknown"), pool_from_funcid_expr("funcID"))
        .with_columns(config_group_expr("poolName"))
        .drop("poolName").sort("funcID")
    )


def pods_per_hour(num_pods: pl.LazyFrame, meta: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Fig 8a-c: mean running pods per hour per group (sum over the hour's pod-minutes / 60).

    Columns hour, group, pods; every (hour, group) present (0 when idle).
    """
    if kind not in GROUP_KINDS:
        raise ValueError(f"kind must be one of {list(GROUP_KINDS)}, got {kind!r}")
    require(num_pods, ["funcID", "time", "num_pods"], "pods_per_hour")
    per_func = (
        num_pods.group_by("funcID", hour_expr()).agg(pl.col("num_pods").fill_null(0).sum()).collect(engine="streaming")
    )
    groups = function_groups(per_func.select("funcID"), meta).select("funcID", pl.col(GROUP_KINDS[kind]).alias("group"))
    agg = (
        per_func.join(groups, on="funcID").group_by("hour", "group")
        .agg((pl.col("num_pods").sum() / 60.0).alias("pods"))
    )
    hours = pl.DataFrame({"hour": range(int(per_func["hour"].max()) + 1)}, schema={"hour": pl.Int64}) \
        if per_func.height else pl.DataFrame(schema={"hour": pl.Int64})
    full = hours.join(pl.DataFrame({"group": list(STACK_ORDER[kind])}), how="cross")
    return full.join(agg, on=["hour", "group"], how="left").with_columns(pl.col("pods").fill_null(0.0)) \
        .sort(["hour", "group"])


def shares(num_pods: pl.LazyFrame, cold_starts: pl.LazyFrame, meta: pl.DataFrame, kind: str,
           func_meta: pl.DataFrame | None = None) -> pl.DataFrame:
    """Fig 8d-f: per group the share of pod-minutes ('pods'), of cold starts and of functions.

    pods = group's pod-minutes / all pod-minutes (= mean active pods per minute share);
    cold starts = group's cold-start rows / all; functions = group's funcIDs in ``func_meta``
    (default ``meta``; pass the full real table to get the exact public function shares) / all.
    Columns group, measure, share (every group x measure present).
    """
    if kind not in GROUP_KINDS:
        raise ValueError(f"kind must be one of {list(GROUP_KINDS)}, got {kind!r}")
    col = GROUP_KINDS[kind]
    require(num_pods, ["funcID", "num_pods"], "shares(num_pods)")
    if "funcID" not in cold_starts.collect_schema().names():
        require(cold_starts, ["funcName", "userID", "podID"], "shares(cold_starts)")
    pods = num_pods.group_by("funcID").agg(pl.col("num_pods").fill_null(0).sum().alias("w")).collect(engine="streaming")
    cs = with_funcid(cold_starts).select("funcID").group_by("funcID").agg(pl.len().alias("w")).collect(engine="streaming")
    fm = meta if func_meta is None else func_meta
    funcs = fm.select("funcID").with_columns(pl.lit(1, pl.UInt32).alias("w"))
    out = []
    for measure, f, m in (("pods", pods, meta), ("cold starts", cs, meta), ("functions", funcs, fm)):
        g = function_groups(f.select("funcID"), m).select("funcID", pl.col(col).alias("group"))
        s = f.join(g, on="funcID").group_by("group").agg(pl.col("w").cast(pl.Float64).sum())
        total = float(s["w"].sum())
        out.append(s.with_columns((pl.col("w") / total if total > 0 else pl.lit(0.0)).alias("share"),
                                  pl.lit(measure).alias("measure")).select("group", "measure", "share"))
    full = pl.DataFrame({"group": list(STACK_ORDER[kind])}).join(
        pl.DataFrame({"measure": ["pods", "cold starts", "functions"]}), how="cross")
    return full.join(pl.concat(out), on=["group", "measure"], how="left") \
        .with_columns(pl.col("share").fill_null(0.0)).sort(["group", "measure"])


def runtime_trigger_crosstab(meta: pl.DataFrame) -> pl.DataFrame:
    """Fig 9: share of each runtime's functions per aggregated trigger (plotted runtimes only).

    Columns runtime, trigger, n, share (every runtime x trigger present).
    """
    a = annotate_meta(meta).filter(pl.col("runtime").is_in(list(PLOTTED_RUNTIMES)))
    ct = a.group_by("runtime", "trigger").agg(pl.len().alias("n"))
    rts = sorted(a["runtime"].unique().to_list())
    full = pl.DataFrame({"runtime": rts}).join(pl.DataFrame({"trigger": list(TRIGGER_ORDER)}), how="cross")
    return (
        full.join(ct, on=["runtime", "trigger"], how="left").with_columns(pl.col("n").fill_null(0))
        .with_columns((pl.col("n") / pl.col("n").sum().over("runtime")).alias("share"))
        .sort(["runtime", "trigger"])
    )


def requests_vs_cold_starts(requests: pl.LazyFrame, cold_starts: pl.LazyFrame, meta: pl.DataFrame) -> pl.DataFrame:
    """Fig 14: per funcID total requests (series) and cold starts (event rows) plus its trigger.

    Columns funcID, requests, cold_starts, trigger.
    """
    require(requests, ["funcID", "requests"], "requests_vs_cold_starts(requests)")
    r = requests.group_by("funcID").agg(pl.col("requests").fill_null(0).sum()).collect(engine="streaming")
    c = with_funcid(cold_starts).select("funcID").group_by("funcID").agg(pl.len().alias("cold_starts")).collect(engine="streaming")
    j = r.join(c, on="funcID", how="full", coalesce=True).with_columns(
        pl.col("requests").fill_null(0), pl.col("cold_starts").fill_null(0))
    g = function_groups(j.select("funcID"), meta).select("funcID", "trigger")
    return j.join(g, on="funcID").sort("funcID")


def weekday_weekend_ratio(pods_hourly_total: pl.DataFrame) -> float:
    """Mean running pods on working days over weekend-like days (outside the holiday)."""
    require(pods_hourly_total, ["hour", "pods"], "weekday_weekend_ratio")
    d = pods_hourly_total.with_columns((pl.col("hour") // 24).alias("day"))
    work = d.filter(pl.col("day").is_in(list(WORK_DAYS)))["pods"].mean()
    wknd = d.filter(pl.col("day").is_in(list(WEEKEND_DAYS)))["pods"].mean()
    if not wknd:
        raise ValueError("weekday_weekend_ratio: no pods on weekend days (trace shorter than 3 days?)")
    return float(work / wknd)
