"""Helpers for the per-minute per-function series in long form.

Analysis functions take a *long* frame with columns ``region``, ``funcID``, ``time``
(seconds since the dataset start, start of the minute) and one value column.  Missing
(function, minute) cells mean "no event": counts are treated as 0, statistics as null.
"""
from __future__ import annotations

import polars as pl

SECONDS_PER_DAY = 86_400
MINUTES_PER_DAY = 1_440


def require(lf: pl.LazyFrame | pl.DataFrame, cols: list[str], what: str) -> None:
    """ValueError naming the missing columns of ``lf`` (used by every analysis entry point)."""
    names = lf.collect_schema().names() if isinstance(lf, pl.LazyFrame) else lf.columns
    missing = [c for c in cols if c not in names]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}; frame has {names}")


def minute_expr(time: str = "time") -> pl.Expr:
    """Minute index = floor(time / 60)."""
    return (pl.col(time) // 60).cast(pl.Int64).alias("minute")


def hour_expr(time: str = "time") -> pl.Expr:
    """Hour index = floor(time / 3600)."""
    return (pl.col(time) // 3600).cast(pl.Int64).alias("hour")


def day_expr(time: str = "time") -> pl.Expr:
    """Day index = floor(time / 86400)."""
    return (pl.col(time) // SECONDS_PER_DAY).cast(pl.Int64).alias("day")


def region_totals_per_minute(lf: pl.LazyFrame, value: str) -> pl.DataFrame:
    """Sum of a count series over all functions per (region, minute); missing minutes = 0.

    Returns region, minute, ``value`` sorted; every minute from 0 to the region's last
    minute is present.
    """
    require(lf, ["region", "time", value], "region_totals_per_minute")
    tot = (
        lf.group_by("region", minute_expr()).agg(pl.col(value).fill_null(0).sum())
        .collect(engine="streaming")
    )
    span = tot.group_by("region").agg(pl.col("minute").max().alias("last"))
    full = span.select("region", pl.int_ranges(0, pl.col("last") + 1).alias("minute")).explode("minute")
    return (
        full.with_columns(pl.col("minute").cast(pl.Int64))
        .join(tot, on=["region", "minute"], how="left")
        .with_columns(pl.col(value).fill_null(0))
        .sort(["region", "minute"])
    )
