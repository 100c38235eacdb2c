"""Pod utility ratio (Fig 17).

Paper (p.11-12): a pod's *useful lifetime* is its total lifetime minus the 1-minute
keep-alive; the utility ratio is the useful lifetime divided by the pod's cold-start
time (<= 1: the pod was useful no longer than it took to start).

What the released data can and cannot support:

- there is no pod-deletion/lifetime column; a pod's lifetime can only be rebuilt from
  the per-request table, which exists for **day 30 only** (R1: top-100 pods per function,
  R3: a subsample);
- so ratios are computed for pods cold-started on day 30 that appear in the request
  table: useful lifetime = end of the pod's last request (``time_worker +
  totalCost_worker``) - the end of its cold start (``time + totalCost_cold_start``; the
  release does not say whether ``time`` marks the start or the end of the cold start,
  and only the "end" reading allows ratios below 1 as the paper reports 20 % of);
- lifetimes of pods still alive at the end of day 30 are censored (flag ``censored``),
  so their ratios are lower bounds;
- pods with no request rows are dropped (reported by :func:`coverage`).
"""
from __future__ import annotations

import polars as pl

from .pools import with_funcid
from .series import SECONDS_PER_DAY, require

KEEP_ALIVE_S = 60.0


def utility_ratios(cs: pl.LazyFrame, req: pl.LazyFrame, day: int = 30, keep_alive_s: float = KEEP_ALIVE_S,
                   trace_end_s: float | None = None) -> pl.DataFrame:
    """Per pod cold-started on ``day``: useful lifetime (s), cold-start time (s), ratio, censored.

    Columns region, podID, funcID, cold_start, useful, ratio, censored (sorted by region, podID).
    ``trace_end_s`` defaults to the end of ``day``.
    """
    require(cs, ["region", "day", "time", "podID", "totalCost_cold_start"], "utility_ratios(cs)")
    require(req, ["region", "podID", "time_worker", "totalCost_worker"], "utility_ratios(req)")
    if keep_alive_s < 0:
        raise ValueError(f"keep_alive_s must be >= 0, got {keep_alive_s}")
    end = float((day + 1) * SECONDS_PER_DAY) if trace_end_s is None else float(trace_end_s)
    pods = (
        with_funcid(cs.filter(pl.col("day") == day))
        .select("region", "podID", "funcID",
                (pl.col("time") + pl.col("totalCost_cold_start")).alias("ready"),
                pl.col("totalCost_cold_start").alias("cold_start"))
    )
    last = (
        req.select("region", "podID", (pl.col("time_worker") + pl.col("totalCost_worker").fill_null(0)).alias("t_end"))
        .group_by("region", "podID").agg(pl.col("t_end").max().alias("last_end"))
    )
    return (
        pods.join(last, on=["region", "podID"], how="inner")
        .with_columns((pl.col("last_end") - pl.col("ready")).clip(lower_bound=0.0).alias("useful"))
        .with_columns(
            (pl.col("useful") / pl.col("cold_start")).alias("ratio"),
            (pl.col("last_end") + keep_alive_s > end).alias("censored"),
        )
        .filter(pl.col("cold_start") > 0)
        .select("region", "podID", "funcID", "cold_start", "useful", "ratio", "censored")
        .collect(engine="streaming").sort(["region", "podID"])
    )


def coverage(cs: pl.LazyFrame, ratios: pl.DataFrame, day: int = 30) -> pl.DataFrame:
    """Per region: pods cold-started on ``day``, pods with a ratio, matched share, censored share."""
    n = (cs.filter(pl.col("day") == day).group_by("region").agg(pl.len().alias("pods_day"))
         .collect(engine="streaming"))
    r = ratios.group_by("region").agg(pl.len().alias("pods_with_ratio"), pl.col("censored").mean().alias("censored_share"))
    return (
        n.join(r, on="region", how="left").with_columns(pl.col("pods_with_ratio").fill_null(0))
        .with_columns((pl.col("pods_with_ratio") / pl.col("pods_day")).alias("matched_share")).sort("region")
    )


def ratio_summary(ratios: pl.DataFrame, group: str) -> pl.DataFrame:
    """Per ``group`` value and 'all': share <= 1, <= 10, > 100, median ratio, n."""
    require(ratios, [group, "ratio"], "ratio_summary")

    def agg(lf: pl.DataFrame) -> pl.DataFrame:
        return lf.group_by(group).agg(
            (pl.col("ratio") <= 1).mean().alias("share_le_1"),
            (pl.col("ratio") <= 10).mean().alias("share_le_10"),
            (pl.col("ratio") > 100).mean().alias("share_gt_100"),
            pl.col("ratio").quantile(0.5, interpolation="linear").alias("median"),
            pl.len().alias("n"),
        )
    per = agg(ratios)
    allr = agg(ratios.with_columns(pl.lit("all").alias(group)))
    return pl.concat([per, allr]).sort(group)


def pod_lifetimes(cs: pl.LazyFrame, req: pl.LazyFrame, day: int = 30, keep_alive_s: float = KEEP_ALIVE_S,
                  trace_end_s: float | None = None) -> pl.DataFrame:
    """Per pod cold-started on ``day`` with request rows: region, podID, first (first request's
    ``time_worker``), last_end (end of its last request), lifetime (s, ``last_end - first``),
    n_requests, censored (``last_end + keep_alive_s`` past ``trace_end_s``, default the end of
    ``day``). One streaming pass over the request table; sorted by region, podID."""
    require(cs, ["region", "day", "podID"], "pod_lifetimes(cs)")
    require(req, ["region", "podID", "time_worker", "totalCost_worker"], "pod_lifetimes(req)")
    end = float((day + 1) * SECONDS_PER_DAY) if trace_end_s is None else float(trace_end_s)
    pods = cs.filter(pl.col("day") == day).select("region", "podID").unique()
    per_pod = (
        req.select("region", "podID", "time_worker",
                   (pl.col("time_worker") + pl.col("totalCost_worker").fill_null(0)).alias("t_end"))
        .group_by("region", "podID")
        .agg(pl.col("time_worker").min().alias("first"), pl.col("t_end").max().alias("last_end"),
             pl.len().alias("n_requests"))
    )
    return (
        per_pod.join(pods, on=["region", "podID"], how="semi")
        .with_columns((pl.col("last_end") - pl.col("first")).clip(lower_bound=0.0).alias("lifetime"),
                      (pl.col("last_end") + keep_alive_s > end).alias("censored"))
        .select("region", "podID", "first", "last_end", "lifetime", "n_requests", "censored")
        .collect(engine="streaming").sort(["region", "podID"])
    )


LIFETIME_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


def lifetime_summary(lifetimes: pl.DataFrame) -> pl.DataFrame:
    """Per region and 'all': pods, censored share, requests, and quantiles of the pod lifetime (s)
    and of the requests per pod (``lifetime_qNN``, ``requests_qNN``), sorted by region."""
    require(lifetimes, ["region", "lifetime", "n_requests", "censored"], "lifetime_summary")

    def agg(df: pl.DataFrame) -> pl.DataFrame:
        return df.group_by("region").agg(
            pl.len().alias("pods"), pl.col("censored").mean().alias("censored_share"),
            pl.col("n_requests").sum().alias("requests"),
            *[pl.col("lifetime").quantile(q, interpolation="linear").alias(f"lifetime_q{round(q * 100):02d}")
              for q in LIFETIME_QUANTILES],
            *[pl.col("n_requests").cast(pl.Float64).quantile(q, interpolation="linear")
              .alias(f"requests_q{round(q * 100):02d}") for q in LIFETIME_QUANTILES],
        )
    return pl.concat([agg(lifetimes), agg(lifetimes.with_columns(pl.lit("all").alias("region")))]).sort("region")
