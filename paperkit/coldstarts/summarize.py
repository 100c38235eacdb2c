"""Per-region summary of a trace in the release layout (``python -m paperkit.coldstarts summarize``).

Frame-to-frame functions (used by the notebooks too) plus :func:`summarize`, which assembles one
JSON-able dict. Definitions:

- ``n_cold_starts``: rows of ``cold_start/``; ``n_functions``: distinct funcIDs
  (``funcName---userID---poolName``) among them (functions with >= 1 cold start).
- ``cold_start_s``: mean, median and p99 of ``totalCost_cold_start`` (s; quantiles with linear
  interpolation, as numpy's default).
- ``lognormal``: MLE (mu, sigma) of ``totalCost_cold_start`` > 0 (Fig. 10b).
- ``weibull_iat``: MLE (shape, scale s) of the inter-arrival times between consecutive cold starts
  of the region (all clusters together; zero IATs from the ms resolution dropped, Fig. 10c-d).
- ``component_share``: sum of each component / sum of ``totalCost_cold_start`` (= ratio of means).
- Needing other parts (null when absent): ``n_requests`` (sum of the ``requests`` series) and
  ``n_functions_series`` (funcID columns of the ``requests`` series, Fig. 1's function count).
- ``pooled`` (all regions together, the paper's Fig. 10b/d fits): ``lognormal`` (mu, sigma, and
  the implied mean, sd and median s) of every cold-start time, ``weibull_iat`` (shape, scale s,
  mean s) of the regions' inter-arrival times concatenated (an IAT never spans two regions).

:func:`per_function_table` (CLI ``--per-function OUT.csv``): one row per function with a cold start
or a request: region, funcID, requests (null without the series), cold_starts, pods (distinct
podIDs among its cold starts), trigger and runtime (the Region 2 table's; null elsewhere).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl

from paperkit.coldstarts import fit, load, schema


def _r(x: float | None, sig: int = 6) -> float | None:
    """Round to ``sig`` significant digits (None and non-finite -> None)."""
    if x is None or not math.isfinite(x):
        return None
    if x == 0:
        return 0.0
    return round(float(x), sig - 1 - int(math.floor(math.log10(abs(x)))))


def region_stats(cs: pl.LazyFrame) -> pl.DataFrame:
    """Per region: n_cold_starts, n_functions, mean/median/p99 cold-start time (s) and the sum of
    the total and of each component. Sorted by region."""
    fid = load.add_func_id(cs.select("region", "funcName", "userID", "podID"))
    nf = fid.group_by("region").agg(n_functions=pl.col("funcID").n_unique())
    total = pl.col("totalCost_cold_start")
    agg = cs.group_by("region").agg(
        n_cold_starts=pl.len(),
        mean=total.mean(),
        median=total.quantile(0.5, interpolation="linear"),
        p99=total.quantile(0.99, interpolation="linear"),
        sum_total=total.sum(),
        **{f"sum_{c}": pl.col(c).sum() for c in schema.COMPONENTS},
    )
    return agg.join(nf, on="region").sort("region").collect(engine="in-memory")


def component_shares(stats: pl.DataFrame) -> pl.DataFrame:
    """region + one column per component key (pod_allocation, ...): sum(component)/sum(total)."""
    return stats.select("region", *[(pl.col(f"sum_{c}") / pl.col("sum_total")).alias(k)
                                    for c, k in schema.COMPONENT_KEYS.items()]).sort("region")


def interarrival_times(cs: pl.LazyFrame, region: str | None = None,
                       drop_zeros: bool = True) -> np.ndarray:
    """Inter-arrival times (s) between consecutive cold starts of one region (or of each region,
    concatenated, when ``region`` is None: IATs never span two regions)."""
    lf = cs.select("region", "time")
    if region is not None:
        lf = lf.filter(pl.col("region") == region)
    df = lf.sort("region", "time").with_columns(
        iat=pl.col("time").diff().over("region")).drop_nulls("iat").collect(engine="in-memory")
    iat = df["iat"].to_numpy()
    return iat[iat > 0] if drop_zeros else iat


def _try_fit(f, x: np.ndarray) -> tuple[float | None, float | None]:
    """``f(x)``, or (None, None) for a sample too small or degenerate to fit."""
    try:
        return f(x)
    except ValueError:
        return None, None


def region_fits(cs: pl.LazyFrame, regions: list[str]) -> dict[str, dict]:
    """Per region: LogNormal MLE of cold-start time and Weibull MLE of IATs."""
    out = {}
    for r in regions:
        x = (cs.filter(pl.col("region") == r).select("totalCost_cold_start")
             .collect(engine="in-memory").to_series().to_numpy())
        iat = interarrival_times(cs, r)
        ln = _try_fit(fit.fit_lognormal, x)
        wb = _try_fit(fit.fit_weibull, iat)
        out[r] = {"lognormal": {"mu": ln[0], "sigma": ln[1]},
                  "weibull_iat": {"shape": wb[0], "scale": wb[1]}}
    return out


def pooled_fits(cs: pl.LazyFrame) -> dict:
    """LogNormal of all cold-start times and Weibull of all regions' IATs, with implied moments."""
    x = cs.select("totalCost_cold_start").collect(engine="in-memory").to_series().to_numpy()
    mu, sigma = _try_fit(fit.fit_lognormal, x)
    k, lam = _try_fit(fit.fit_weibull, interarrival_times(cs))
    ln = {"mu": mu, "sigma": sigma, "mean": None, "sd": None, "median": None}
    if mu is not None:
        mean = math.exp(mu + sigma ** 2 / 2)
        ln.update(mean=mean, sd=mean * math.sqrt(math.expm1(sigma ** 2)), median=math.exp(mu))
    wb = {"shape": k, "scale": lam,
          "mean": None if k is None else lam * math.gamma(1 + 1 / k)}
    return {"lognormal": {a: _r(b) for a, b in ln.items()},
            "weibull_iat": {a: _r(b) for a, b in wb.items()}}


def per_function_table(data_dir: str | Path, on_invalid: str = "raise") -> pl.DataFrame:
    """One row per (region, funcID) with a cold start or a request (see the module docstring)."""
    cs = load.add_func_id(load.scan_cold_starts(data_dir, on_invalid=on_invalid))
    out = (cs.group_by("region", "funcID").agg(cold_starts=pl.len(), pods=pl.col("podID").n_unique())
           .collect(engine="streaming"))
    if "requests" in load.available_series(data_dir):
        req = (load.scan_series(data_dir, "requests").group_by("region", "funcID")
               .agg(requests=pl.col("value").sum()).collect(engine="streaming"))
        out = req.join(out, on=["region", "funcID"], how="full", coalesce=True)
    else:
        out = out.with_columns(requests=pl.lit(None, pl.Float64))
    meta, _ = load.load_function_meta_tier(data_dir)
    cols = {"trigger": pl.lit(None, pl.String), "runtime": pl.lit(None, pl.String)}
    if meta is not None:
        m = meta.select("funcID", "runtime", trigger=pl.col("triggerType-invocationType"),
                        region=pl.lit("R2"))
        out = out.join(m, on=["region", "funcID"], how="left")
        cols = {}
    return (out.with_columns(**cols)
            .with_columns(pl.col("cold_starts", "pods").fill_null(0).cast(pl.Int64))
            .select("region", "funcID", "requests", "cold_starts", "pods", "trigger", "runtime")
            .sort("region", "funcID"))


def requests_per_region(data_dir: str | Path) -> dict[str, tuple[float, int]] | None:
    """Per region (total requests, funcID columns) from the ``requests`` series, or None if absent."""
    if "requests" not in load.available_series(data_dir):
        return None
    tot = (load.scan_series(data_dir, "requests").group_by("region")
           .agg(n=pl.col("value").sum()).collect(engine="in-memory"))
    nf = load.series_functions(data_dir, "requests").group_by("region").len()
    t = dict(zip(tot["region"], tot["n"]))
    n = dict(zip(nf["region"], nf["len"]))
    return {r: (float(t.get(r, 0.0)), int(n[r])) for r in n}


def summarize(data_dir: str | Path, on_invalid: str = "raise") -> dict:
    """One JSON-able dict: ``tier``, ``parts`` present, and per region (keys R1..R5 present) the
    fields listed in the module docstring (floats rounded to 6 significant digits).
    ``on_invalid``: "raise" (default) or "drop" invalid cold-start rows (see
    :func:`load.scan_cold_starts`)."""
    cs = load.scan_cold_starts(data_dir, on_invalid=on_invalid)
    stats = region_stats(cs)
    regions = stats["region"].to_list()
    shares = component_shares(stats)
    fits = region_fits(cs, regions)
    req = requests_per_region(data_dir)
    out: dict = {"tier": load.trace_tier(data_dir), "parts": load.parts_present(data_dir),
                 "regions": {}, "pooled": pooled_fits(cs)}
    for row, srow in zip(stats.iter_rows(named=True), shares.iter_rows(named=True)):
        r = row["region"]
        entry = {
            "n_cold_starts": int(row["n_cold_starts"]),
            "n_functions": int(row["n_functions"]),
            "cold_start_s": {k: _r(row[k]) for k in ("mean", "median", "p99")},
            "lognormal": {k: _r(v) for k, v in fits[r]["lognormal"].items()},
            "weibull_iat": {k: _r(v) for k, v in fits[r]["weibull_iat"].items()},
            "component_share": {k: _r(srow[k]) for k in schema.COMPONENT_KEYS.values()},
            "n_requests": None, "n_functions_series": None,
        }
        if req is not None and r in req:
            entry["n_requests"] = int(round(req[r][0]))
            entry["n_functions_series"] = req[r][1]
        out["regions"][r] = entry
    return out


def summary_frame(summary: dict, digits: int = 4) -> pl.DataFrame:
    """The per-region part of :func:`summarize` as one flat frame (floats rounded to ``digits``
    significant digits, sorted by region) for display."""
    rows = []
    for r, e in sorted(summary["regions"].items()):
        row = {"region": r, "n_cold_starts": e["n_cold_starts"], "n_functions": e["n_functions"]}
        row.update({f"cold_start_{k}_s": v for k, v in e["cold_start_s"].items()})
        row.update({f"lognormal_{k}": v for k, v in e["lognormal"].items()})
        row.update({f"weibull_iat_{k}": v for k, v in e["weibull_iat"].items()})
        row.update({f"share_{k}": v for k, v in e["component_share"].items()})
        rows.append({k: (_r(v, digits) if isinstance(v, float) else v) for k, v in row.items()})
    return pl.DataFrame(rows)
