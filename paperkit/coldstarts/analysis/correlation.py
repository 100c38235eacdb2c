"""Spearman correlation matrices of per-minute component means (Fig 12).

Per region and minute with at least one cold start: the mean of the total cold-start
time and of each component over all cold starts in that minute ("aggregated over all
functions", i.e. an event mean), plus the number of cold starts.  Spearman's rho is
taken across minutes; p-values use the t approximation t = r sqrt((n-2)/(1-r^2)).
"""
from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from .series import minute_expr, require

#: matrix order and labels of Fig 12
VARIABLES: tuple[tuple[str, str], ...] = (
    ("totalCost_cold_start", "cold start time"),
    ("deployCodeCost", "deploy code time"),
    ("deployDependencyCost", "deploy dep. time"),
    ("schedulingCost", "scheduling time"),
    ("podAllocationCost", "pod alloc. time"),
    ("cold_starts", "Num. cold starts"),
)


def per_minute_means(cs: pl.LazyFrame) -> pl.DataFrame:
    """Per (region, minute): mean of the total and each component, and the cold-start count."""
    cols = [v for v, _ in VARIABLES if v != "cold_starts"]
    require(cs, ["region", "time", *cols], "per_minute_means")
    return (
        cs.group_by("region", minute_expr())
        .agg(*[pl.col(c).mean() for c in cols], pl.len().alias("cold_starts"))
        .collect().sort(["region", "minute"])
    )


def spearman_matrix(per_minute: pl.DataFrame) -> pl.DataFrame:
    """Long Spearman matrix per region: columns region, row, col, rho, p (labels of :data:`VARIABLES`)."""
    names = [v for v, _ in VARIABLES]
    labels = dict(VARIABLES)
    require(per_minute, ["region", *names], "spearman_matrix")
    out = []
    for region in sorted(per_minute["region"].unique().to_list()):
        m = per_minute.filter(pl.col("region") == region).select(names).drop_nulls()
        n = m.height
        if n < 3:
            raise ValueError(f"spearman_matrix: region {region} has {n} minutes with cold starts; need >= 3")
        ranks = np.column_stack([m[c].rank("average").to_numpy().astype(float) for c in names])
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = np.corrcoef(ranks, rowvar=False)
            t = rho * np.sqrt((n - 2) / np.clip(1 - rho ** 2, 1e-300, None))
        p = 2 * stats.t.sf(np.abs(t), df=n - 2)
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                r = 1.0 if i == j else float(rho[i, j])
                out.append({"region": region, "row": labels[a], "col": labels[b], "rho": r,
                            "p": 0.0 if i == j else float(p[i, j]), "n": n})
    return pl.DataFrame(out).sort(["region", "row", "col"])


def matrix(long: pl.DataFrame, region: str) -> pl.DataFrame:
    """Square matrix (rows in :data:`VARIABLES` order) of one region: columns label + one per variable."""
    labels = [lab for _, lab in VARIABLES]
    sub = long.filter(pl.col("region") == region)
    if sub.height == 0:
        raise ValueError(f"matrix: region {region!r} not in the correlation frame")
    w = sub.pivot(on="col", index="row", values="rho")
    return w.with_columns(pl.col("row").replace_strict(labels, list(range(len(labels)))).alias("_o")) \
        .sort("_o").select("row", *labels)
