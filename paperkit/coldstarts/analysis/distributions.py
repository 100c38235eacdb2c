"""Cold-start time and arrival distributions (Figs 10, 11, 13, 15, 16).

All inputs are cold-start event frames with the released columns (+ ``region``).
Times in seconds.  CDFs are evaluated on fixed log grids (:mod:`.cdf`); medians and
quartiles are exact order statistics with linear interpolation.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from .. import fit
from .cdf import binned_cdf
from .pools import pool_from_pod_expr, pool_size_expr
from .series import hour_expr, require

TOTAL = "totalCost_cold_start"
#: components in the paper's stacking order of Fig 11 (bottom -> top)
COMPONENTS: tuple[str, ...] = ("deployCodeCost", "deployDependencyCost", "schedulingCost", "podAllocationCost")
#: Fig 13/15/16 panel order: (a) total, (b) pod allocation, (c) deploy code, (d) deploy dependency, (e) scheduling
PANELS: tuple[str, ...] = (TOTAL, "podAllocationCost", "deployCodeCost", "deployDependencyCost", "schedulingCost")
CS_GRID = (1e-6, 1e3)     # s, cold-start time and components
#: s, inter-arrival times (released times have ms resolution). The grid runs past 1e5 s (a day),
#: so that the CDFs of a small trace, whose IATs are 1/scale times longer, reach 1; its points up
#: to 1e3 s are those of the former (1e-4, 1e3, 361) grid, so every reading there is unchanged.
IAT_GRID = (1e-4, 10 ** (3 + 103 * 7 / 360))
N_IAT_GRID = 361 + 103
N_GRID = 361              # log-grid points of every cold-start CDF (40 per decade over 1e-6..1e3)


def cold_start_cdf(cs: pl.LazyFrame, value: str = TOTAL, by: list[str] | None = None, n: int = N_GRID) -> pl.DataFrame:
    """Fig 10a / 15 / 16: CDF of a cold-start time column per group (default per region)."""
    by = ["region"] if by is None else by
    return binned_cdf(cs, value, by, *CS_GRID, n=n)


def quartiles(cs: pl.LazyFrame, value: str, by: list[str], positive_only: bool = True) -> pl.DataFrame:
    """Exact q25/median/q75 (linear interpolation) and count of ``value`` per group."""
    require(cs, [value, *by], "quartiles")
    lf = cs.lazy()
    if positive_only:
        lf = lf.filter(pl.col(value) > 0)
    v = pl.col(value)
    return (
        lf.group_by(by).agg(
            v.quantile(0.25, interpolation="linear").alias("q25"),
            v.quantile(0.5, interpolation="linear").alias("median"),
            v.quantile(0.75, interpolation="linear").alias("q75"),
            pl.len().alias("n"),
        ).collect().sort(by)
    )


def inter_arrival_times(cs: pl.LazyFrame) -> pl.LazyFrame:
    """Per region, IAT (s) between consecutive cold starts sorted by time: columns region, iat."""
    require(cs, ["region", "time"], "inter_arrival_times")
    return (
        cs.select("region", "time").sort(["region", "time"])
        .select("region", pl.col("time").diff().over("region").alias("iat"))
        .filter(pl.col("iat").is_not_null())
    )


def iat_summary(iat: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Per region: median IAT over positive IATs, share of IATs < 1 ms (zeros included), count."""
    return (
        iat.lazy().group_by("region").agg(
            pl.col("iat").filter(pl.col("iat") > 0).quantile(0.5, interpolation="linear").alias("median"),
            (pl.col("iat") < 1e-3).mean().alias("below_1ms"),
            pl.len().alias("n"),
        ).collect().sort("region")
    )


def lognormal_fit(cs: pl.LazyFrame, value: str = TOTAL) -> dict[str, float]:
    """Fig 10b: MLE LogNormal of all positive ``value`` (pooled); mu, sigma, mean, sd, median (s)."""
    x = cs.lazy().filter(pl.col(value) > 0).select(value).collect()[value].to_numpy()
    mu, sigma = fit.fit_lognormal(x)
    mean, sd = fit.lognormal_mean_sd(mu, sigma)
    return {"mu": mu, "sigma": sigma, "mean": mean, "sd": sd, "median": float(np.exp(mu))}


def weibull_fit(iat: pl.DataFrame | pl.LazyFrame) -> dict[str, float]:
    """Fig 10d: MLE Weibull of the pooled positive per-region IATs; shape, scale, mean, median (s)."""
    x = iat.lazy().filter(pl.col("iat") > 0).select("iat").collect()["iat"].to_numpy()
    k, lam = fit.fit_weibull(x)
    return {"shape": k, "scale": lam, "mean": fit.weibull_mean(k, lam), "median": fit.weibull_median(k, lam)}


def hourly_components(cs: pl.LazyFrame) -> pl.DataFrame:
    """Fig 11: per (region, hour) the mean of each component and of the total, and the count.

    Columns region, hour, <components>, totalCost_cold_start, cold_starts.
    """
    require(cs, ["region", "time", TOTAL, *COMPONENTS], "hourly_components")
    return (
        cs.group_by("region", hour_expr())
        .agg(*[pl.col(c).mean() for c in (*COMPONENTS, TOTAL)], pl.len().alias("cold_starts"))
        .collect().sort(["region", "hour"])
    )


def with_pool_size(cs: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``pool_size`` (small/large) parsed from ``podID`` (kept if already present)."""
    if "pool_size" in cs.collect_schema().names():
        return cs
    require(cs, ["podID"], "with_pool_size")
    return cs.with_columns(pool_from_pod_expr("podID")).with_columns(pool_size_expr("poolName"))


def long_components(cs: pl.LazyFrame, by: list[str]) -> pl.LazyFrame:
    """Unpivot the total and 4 components to columns *by, component, value (positive values only).

    Zeros are dropped for every panel (log axes); for deployDependencyCost this is the
    paper's Fig 13d rule (functions without layers have 0 and are excluded).
    """
    return pl.concat([
        cs.lazy().filter(pl.col(c) > 0).select(*by, pl.lit(c).alias("component"), pl.col(c).cast(pl.Float64).alias("value"))
        for c in PANELS
    ])


def component_cdfs_and_quartiles(cs: pl.LazyFrame, by: list[str], n: int = N_GRID) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per component (total + 4) and group ``by``: binned CDF and exact quartiles of the positive values.

    One query per component on the wide frame (no unpivot copy); columns *by, component, ...
    """
    cdfs, qs = [], []
    for c in PANELS:
        sub = cs.lazy().filter(pl.col(c) > 0).select(*by, pl.col(c).cast(pl.Float64).alias("value"))
        cdfs.append(binned_cdf(sub, "value", by, *CS_GRID, n=n).with_columns(pl.lit(c).alias("component")))
        qs.append(quartiles(sub, "value", by).with_columns(pl.lit(c).alias("component")))
    cols = [*by, "component"]
    cdf = pl.concat(cdfs)
    q = pl.concat(qs)
    return (cdf.select(*cols, *[x for x in cdf.columns if x not in cols]).sort([*cols, "x"]),
            q.select(*cols, *[x for x in q.columns if x not in cols]).sort(cols))


def pool_size_data(cs: pl.LazyFrame, n: int = N_GRID) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fig 13: (binned CDF per region x pool_size x component, exact quartiles per same)."""
    return component_cdfs_and_quartiles(with_pool_size(cs.lazy()), ["region", "pool_size"], n)


def pool_size_median_ratio(q: pl.DataFrame, component: str = TOTAL) -> pl.DataFrame:
    """Per region large/small median ratio of a component: columns region, small, large, ratio."""
    w = q.filter(pl.col("component") == component).pivot(on="pool_size", index="region", values="median")
    for c in ("small", "large"):
        if c not in w.columns:
            w = w.with_columns(pl.lit(None, pl.Float64).alias(c))
    return w.select("region", "small", "large", (pl.col("large") / pl.col("small")).alias("ratio")).sort("region")


def quantile_samples(cdf: pl.DataFrame, by: list[str], n: int = 200) -> pl.DataFrame:
    """Turn a binned CDF into ``n`` equally-weighted quantile points per group (for violins).

    Inverse of the step CDF by log-linear interpolation; columns *by, value.
    """
    out = []
    levels = (np.arange(n) + 0.5) / n
    for key, g in cdf.sort([*by, "x"]).group_by(by, maintain_order=True):
        c, x = g["cdf"].to_numpy(), np.log10(g["x"].to_numpy())
        if c[-1] <= 0:
            continue
        c = c / c[-1]
        c_u, idx = np.unique(c, return_index=True)
        xs = np.interp(levels, c_u, x[idx])
        out.append(pl.DataFrame({**{b: [k] * n for b, k in zip(by, key)}, "value": 10 ** xs}))
    return pl.concat(out).sort([*by, "value"]) if out else pl.DataFrame()


def group_data_with_all(cs: pl.LazyFrame, group: str, n: int = N_GRID) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Figs 15/16: per component the CDF and quartiles per ``group`` value plus the pooled 'all'.

    Returns (CDF: <group>, component, x, cdf, n; quartiles: <group>, component, q25, median, q75, n).
    """
    per_c, per_q = component_cdfs_and_quartiles(cs, [group], n)
    all_c, all_q = component_cdfs_and_quartiles(cs.lazy().with_columns(pl.lit("all").alias(group)), [group], n)
    return (pl.concat([per_c, all_c]).sort([group, "component", "x"]),
            pl.concat([per_q, all_q]).sort([group, "component"]))


def group_cdfs_with_all(cs: pl.LazyFrame, group: str, n: int = N_GRID) -> pl.DataFrame:
    """CDF part of :func:`group_data_with_all`."""
    return group_data_with_all(cs, group, n)[0]


def group_quartiles_with_all(cs: pl.LazyFrame, group: str) -> pl.DataFrame:
    """Quartile part of :func:`group_data_with_all`."""
    return group_data_with_all(cs, group)[1]
