"""Region-level statistics: sizes (Fig 1), per-function load/exec/CPU (Fig 3), users (Fig 4)."""
from __future__ import annotations

import polars as pl

from .cdf import binned_cdf
from .pools import user_from_funcid_expr
from .series import day_expr, require

#: Fig 3a dashed lines: mean inter-arrival time -> requests per day.
IAT_LINES_PER_DAY: dict[str, float] = {
    "1d": 1.0, "12h": 2.0, "3h": 8.0, "1h": 24.0, "30m": 48.0, "1m": 1440.0, "1s": 86_400.0,
    "1ms": 86_400_000.0,
}


def median_daily_requests(requests: pl.LazyFrame) -> pl.DataFrame:
    """Fig 3a: per (region, funcID) the median over all days of the daily request sum.

    Days on which a function had no request count as 0 (the day calendar is every day
    present in that region's series).  Columns region, funcID, median_per_day, mean_per_day.
    """
    require(requests, ["region", "funcID", "time", "requests"], "median_daily_requests")
    daily = (
        requests.group_by("region", "funcID", day_expr()).agg(pl.col("requests").fill_null(0).sum())
        .collect(engine="streaming")
    )
    days = daily.select("region", "day").unique()
    funcs = daily.select("region", "funcID").unique()
    full = funcs.join(days, on="region", how="inner")
    return (
        full.join(daily, on=["region", "funcID", "day"], how="left")
        .with_columns(pl.col("requests").fill_null(0).cast(pl.Float64))
        .group_by("region", "funcID")
        .agg(pl.col("requests").median().alias("median_per_day"), pl.col("requests").mean().alias("mean_per_day"))
        .sort(["region", "funcID"])
    )


def share_at_least(per_func: pl.DataFrame, col: str, threshold: float) -> pl.DataFrame:
    """Per region, share of functions with ``col`` >= threshold: columns region, share."""
    return (
        per_func.group_by("region").agg((pl.col(col) >= threshold).mean().alias("share")).sort("region")
    )


def pooled_minute_cdf(series: pl.LazyFrame, value: str, lo: float, hi: float, n: int = 200) -> pl.DataFrame:
    """Fig 3b/3c: CDF over all non-null (function, minute) cells of a statistic, per region."""
    require(series, ["region", value], "pooled_minute_cdf")
    return binned_cdf(series, value, ["region"], lo, hi, n)


def pooled_minute_median(series: pl.LazyFrame, value: str) -> pl.DataFrame:
    """Per region median (linear interpolation) of a statistic over non-null positive cells."""
    require(series, ["region", value], "pooled_minute_median")
    return (
        series.filter(pl.col(value) > 0).group_by("region")
        .agg(pl.col(value).quantile(0.5, interpolation="linear").alias("median"))
        .collect(engine="streaming").sort("region")
    )


def users(requests: pl.LazyFrame) -> pl.DataFrame:
    """Fig 4: per (region, user) number of funcIDs and total requests over the trace.

    userID is the second ``---`` field of the funcID.  Columns region, userID, functions, requests.
    """
    require(requests, ["region", "funcID", "requests"], "users")
    per_func = (
        requests.group_by("region", "funcID").agg(pl.col("requests").fill_null(0).sum()).collect(engine="streaming")
    )
    return (
        per_func.with_columns(user_from_funcid_expr("funcID"))
        .group_by("region", "userID")
        .agg(pl.len().alias("functions"), pl.col("requests").sum())
        .sort(["region", "userID"])
    )


def max_min_ratio(medians: pl.DataFrame, col: str) -> float:
    """Largest over smallest per-region value (the box on p.4: 'differ by factors of up to ...')."""
    v = medians.filter(pl.col(col) > 0)[col]
    if v.len() == 0:
        raise ValueError(f"max_min_ratio: no positive values in column {col!r}")
    return float(v.max() / v.min())
