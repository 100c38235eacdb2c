"""Empirical CDFs that stay small at full scale.

A full-scale trace has ~12 M cold starts and ~10^8 per-minute cells, so figure data
are CDFs evaluated on a fixed log-spaced grid (like the authors' 500-bin
``sns.histplot(..., cumulative=True, log_scale=True)``), not raw samples.
"""
from __future__ import annotations

import numpy as np
import polars as pl


def log_grid(lo: float, hi: float, n: int = 200) -> np.ndarray:
    """``n`` log-spaced bin edges from ``lo`` to ``hi`` (both > 0)."""
    if not (lo > 0 and hi > lo and n >= 2):
        raise ValueError(f"log_grid needs 0 < lo < hi and n >= 2, got lo={lo}, hi={hi}, n={n}")
    return np.logspace(np.log10(lo), np.log10(hi), n)


def binned_cdf(lf: pl.LazyFrame | pl.DataFrame, value: str, by: list[str], lo: float, hi: float,
               n: int = 200, drop_nonpositive: bool = True) -> pl.DataFrame:
    """CDF of ``value`` per group at ``n`` log-spaced points ``x`` in [lo, hi]: P(value <= x).

    Returns columns ``*by, x, cdf, n`` (n = group size incl. values beyond the grid),
    sorted by ``by`` and x.  Nulls and non-finite values are dropped; with
    ``drop_nonpositive`` zeros/negatives are dropped too (log-scale plots), so the CDF is
    of the positive part.  Bin assignment is arithmetic on log10(value), so a value is
    counted at the first grid point >= it (to float precision).
    """
    grid = log_grid(lo, hi, n)
    lf = lf.lazy()
    names = lf.collect_schema().names()
    missing = [c for c in [value, *by] if c not in names]
    if missing:
        raise ValueError(f"binned_cdf: columns {missing} not in frame (has {names})")
    v = pl.col(value).cast(pl.Float64)
    flt = v.is_not_null() & v.is_finite()
    if drop_nonpositive:
        flt = flt & (v > 0)
    step = (np.log10(hi) - np.log10(lo)) / (n - 1)
    pos = ((v.log10() - np.log10(lo)) / step - 1e-9).ceil().clip(0, n).cast(pl.Int64)
    counts = (
        lf.filter(flt).select(*[pl.col(b) for b in by], pos.alias("bin"))
        .group_by([*by, "bin"]).agg(pl.len().alias("k"))
        .collect(engine="streaming")
    )
    return _counts_to_cdf(counts, by, grid)


def _counts_to_cdf(counts: pl.DataFrame, by: list[str], grid: np.ndarray) -> pl.DataFrame:
    """counts: *by, bin (0..len(grid)), k  ->  *by, x, cdf, n."""
    grid_df = pl.DataFrame({"bin": np.arange(len(grid), dtype=np.int64), "x": grid})
    totals = counts.group_by(by).agg(pl.col("k").sum().alias("n")) if by else \
        pl.DataFrame({"n": [int(counts["k"].sum())]})
    keys = totals.select(by) if by else None
    full = keys.join(grid_df, how="cross") if by else grid_df
    c = counts.with_columns(pl.col("bin").cast(pl.Int64))
    out = (
        full.join(c, on=[*by, "bin"], how="left")
        .with_columns(pl.col("k").fill_null(0))
        .sort([*by, "bin"])
        .with_columns(pl.col("k").cum_sum().over(by) if by else pl.col("k").cum_sum())
    )
    out = out.join(totals, on=by, how="left") if by else out.with_columns(pl.lit(totals["n"][0]).alias("n"))
    return (
        out.with_columns((pl.col("k") / pl.col("n")).alias("cdf"))
        .select(*by, "x", "cdf", "n").sort([*by, "x"])
    )


def cdf_at(cdf: pl.DataFrame, x: float, by: list[str]) -> pl.DataFrame:
    """Read a binned CDF at the grid point nearest to ``x`` (per group): columns *by, cdf."""
    return (
        cdf.with_columns((pl.col("x").log10() - np.log10(x)).abs().alias("_d"))
        .sort([*by, "_d"]).group_by(by, maintain_order=True).first().select(*by, "cdf").sort(by)
    )


def ecdf_value(values: np.ndarray, x: float) -> float:
    """Exact empirical CDF P(v <= x) of a 1-D array (NaNs dropped)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise ValueError("ecdf_value: no finite values")
    return float(np.count_nonzero(v <= x) / v.size)
