"""Holiday normalisation (Fig 7).

Per region and day: (a) the mean over the day's minutes of the number of allocated
pods summed over functions (``num_pods``), (b) the mean over all non-null
(function, minute) cells of ``cpu_usage_avg``.  Each region's daily series is divided
by its own maximum within the plotted window (days 10-25), as the paper's y axis
("Proportion") is normalised to the maximum over the same window.
"""
from __future__ import annotations

import polars as pl

from .series import MINUTES_PER_DAY, day_expr, require

#: the paper's window and markers (Fig 7)
WINDOW: tuple[int, int] = (10, 25)
LAST_WORKDAY = 13
FIRST_WORKDAY = 24
HOLIDAY_DAYS: tuple[int, ...] = tuple(range(14, 22))


def daily_pods(num_pods: pl.LazyFrame) -> pl.DataFrame:
    """Per (region, day) the mean over the day's 1,440 minutes of total allocated pods (idle minutes
    count as 0, every day of the trace is complete); columns region, day, value."""
    require(num_pods, ["region", "time", "num_pods"], "daily_pods")
    return (
        num_pods.group_by("region", day_expr())
        .agg((pl.col("num_pods").fill_null(0).cast(pl.Float64).sum() / MINUTES_PER_DAY).alias("value"))
        .collect(engine="streaming").sort(["region", "day"])
    )


def daily_cpu(cpu: pl.LazyFrame) -> pl.DataFrame:
    """Per (region, day) the mean of non-null per-minute ``cpu_usage_avg`` cells (cores)."""
    require(cpu, ["region", "time", "cpu_usage_avg"], "daily_cpu")
    return (
        cpu.filter(pl.col("cpu_usage_avg").is_not_null())
        .group_by("region", day_expr()).agg(pl.col("cpu_usage_avg").mean().alias("value"))
        .collect(engine="streaming").sort(["region", "day"])
    )


def normalise_window(daily: pl.DataFrame, window: tuple[int, int] = WINDOW) -> pl.DataFrame:
    """Keep days in [window] and divide each region's ``value`` by its maximum there -> ``proportion``."""
    require(daily, ["region", "day", "value"], "normalise_window")
    lo, hi = window
    if lo > hi:
        raise ValueError(f"normalise_window: window start {lo} is after its end {hi}")
    w = daily.filter(pl.col("day").is_between(lo, hi))
    return (
        w.with_columns((pl.col("value") / pl.col("value").max().over("region")).alias("proportion"))
        .sort(["region", "day"])
    )


def peak_day(norm: pl.DataFrame, days: tuple[int, int]) -> pl.DataFrame:
    """Per region the day with the highest proportion within [days]; columns region, day, proportion."""
    lo, hi = days
    return (
        norm.filter(pl.col("day").is_between(lo, hi)).sort(["region", "proportion", "day"],
                                                            descending=[False, True, False])
        .group_by("region", maintain_order=True).first().select("region", "day", "proportion").sort("region")
    )


def holiday_min(norm: pl.DataFrame, days: tuple[int, ...] = HOLIDAY_DAYS) -> pl.DataFrame:
    """Per region the lowest proportion during the holiday days; columns region, proportion."""
    return (
        norm.filter(pl.col("day").is_in(list(days))).group_by("region")
        .agg(pl.col("proportion").min()).sort("region")
    )
