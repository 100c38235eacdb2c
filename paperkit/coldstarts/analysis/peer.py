"""The benchmark's peer comparison: the same figure-data queries in paperkit (polars), DuckDB and pandas.

Design: five queries carry the data handling of the figures, on the two large inputs of the
release. On the cold-start events (11.9 M rows at scale 1.0):

- ``cs_hourly``   per (region, hour): cold starts and the mean of the total and each component (Fig. 11);
- ``cs_func``     per (region, funcID): cold starts (Figs. 6, 14; funcID by :mod:`..rules`);
- ``cs_median``   per region: the median cold-start time (Fig. 10a);

and on the per-minute ``requests`` series (wide daily CSVs, one column per function):

- ``series_hourly`` per (region, funcID, hour): requests (Figs. 1, 3a, 6, 14);
- ``series_minute`` per (region, time): requests over all functions (Figs. 5, 7).

Each engine is used the way its users would: paperkit scans its validated parquet cache with
polars' streaming engine; DuckDB reads the release's CSVs directly (``read_csv`` with the
column types from each file's header, ``UNPIVOT``);
pandas reads the CSVs with ``read_csv``. Each function returns the same frames (sorted polars
frames, same columns and dtypes), and a test checks that they agree. DuckDB is an optional
dependency of the benchmark only (``pip install -e .[bench]``); it is imported inside
:func:`duckdb_queries`, the one optional third-party import of the package.
"""
from __future__ import annotations

from glob import glob
from pathlib import Path

import pandas as pd
import polars as pl

from .. import load, rules, schema

COSTS = ("totalCost_cold_start", "podAllocationCost", "deployCodeCost", "deployDependencyCost",
         "schedulingCost")
KEYS = {"cs_hourly": ["region", "hour"], "cs_func": ["region", "funcID"], "cs_median": ["region"],
        "series_hourly": ["region", "funcID", "hour"], "series_minute": ["region", "time"]}
VALUES = {"cs_hourly": ["n", *COSTS], "cs_func": ["n"], "cs_median": ["median_s"],
          "series_hourly": ["requests"], "series_minute": ["requests"]}


def _tidy(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Common dtypes and order: keys sorted, counts Int64, values Float64."""
    out = {}
    for name, df in frames.items():
        casts = [pl.col(c).cast(pl.Int64) for c in ("hour", "time", "n") if c in df.columns]
        casts += [pl.col(c).cast(pl.Float64) for c in df.columns if c in COSTS or c in ("requests", "median_s")]
        out[name] = df.with_columns(casts).select(KEYS[name] + VALUES[name]).sort(KEYS[name])
    return out


def polars_queries(data_dir: str | Path) -> dict[str, pl.DataFrame]:
    """paperkit: lazy scans of the parquet cache, collected with the streaming engine."""
    cs = load.scan_cold_starts(data_dir)
    req = load.scan_series(data_dir, "requests")
    hour = (pl.col("time") // 3600).cast(pl.Int64).alias("hour")
    plans = {
        "cs_hourly": cs.group_by("region", hour).agg(pl.len().alias("n"), *[pl.col(c).mean() for c in COSTS]),
        "cs_func": cs.with_columns(rules.funcid_expr()).group_by("region", "funcID").agg(pl.len().alias("n")),
        "cs_median": cs.group_by("region").agg(pl.col("totalCost_cold_start").median().alias("median_s")),
        "series_hourly": req.group_by("region", "funcID", hour).agg(pl.col("value").sum().alias("requests")),
        "series_minute": req.group_by("region", "time").agg(pl.col("value").sum().alias("requests")),
    }
    return _tidy(dict(zip(plans, pl.collect_all(list(plans.values()), engine="streaming"))))


def _duckdb_events_sql(root: Path) -> str:
    files = str(root / "cold_start" / "*" / "day_*.csv")
    pool = r"regexp_extract(podID, '^([^-]+-[0-9]+-[0-9]+)(-|$)', 1)"
    return (f"CREATE VIEW cs AS SELECT *, regexp_extract(filename, '/cold_start/([^/]+)/', 1) AS region, "
            f"CAST(funcName AS VARCHAR) || '---' || CAST(userID AS VARCHAR) || '---' || {pool} AS funcID, "
            f"CAST(floor(time / 3600) AS BIGINT) AS hour FROM read_csv('{files}', filename = true)")


def _duckdb_file_sql(csv: Path) -> str:
    """One wide daily file, long: its header gives every column's type, so DuckDB sniffs nothing
    (sniffing thousands of sparse columns per file, as ``union_by_name`` does, was 4-5x slower)."""
    cols = schema.read_header(csv)
    spec = ", ".join(f"'{c}': '{'BIGINT' if c in ('day', 'time') else 'DOUBLE'}'" for c in cols)
    wide = (f"SELECT * EXCLUDE (day) FROM read_csv('{csv}', header = true, auto_detect = false, "
            f"delim = ',', columns = {{{spec}}})")
    return f"SELECT time, funcID, v FROM (UNPIVOT ({wide}) ON COLUMNS(* EXCLUDE (time)) INTO NAME funcID VALUE v)"


def _duckdb_series_sql(root: Path, region: str) -> str:
    files = sorted((root / "quantiles" / region / "requests").glob("day_*.csv"))
    days = " UNION ALL ".join(_duckdb_file_sql(f) for f in files)
    return f"SELECT '{region}' AS region, time, funcID, v FROM ({days})"


def duckdb_queries(data_dir: str | Path) -> dict[str, pl.DataFrame]:
    """DuckDB on the release's CSVs: one view over every cold-start file, one UNPIVOT per region."""
    try:
        import duckdb  # optional: the benchmark's dependency only (pip install -e .[bench])
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError("DuckDB is the cold-start benchmark's optional dependency; "
                                  "install it with `pip install -e .[bench]`") from e
    root = Path(data_dir)
    con = duckdb.connect()
    con.execute(_duckdb_events_sql(root))
    means = ", ".join(f"avg({c}) AS {c}" for c in COSTS)
    out = {
        "cs_hourly": con.sql(f"SELECT region, hour, count(*) AS n, {means} FROM cs GROUP BY ALL").pl(),
        "cs_func": con.sql("SELECT region, funcID, count(*) AS n FROM cs GROUP BY ALL").pl(),
        "cs_median": con.sql("SELECT region, median(totalCost_cold_start) AS median_s FROM cs GROUP BY ALL").pl(),
    }
    regions = sorted(p.name for p in (root / "quantiles").glob("R*") if (p / "requests").is_dir())
    con.execute(f"CREATE TEMP TABLE req AS {_duckdb_series_sql(root, regions[0])}")
    for r in regions[1:]:
        con.execute(f"INSERT INTO req {_duckdb_series_sql(root, r)}")
    out["series_hourly"] = con.sql("SELECT region, funcID, time // 3600 AS hour, sum(v) AS requests "
                                   "FROM req GROUP BY ALL").pl()
    out["series_minute"] = con.sql("SELECT region, time, sum(v) AS requests FROM req GROUP BY ALL").pl()
    con.close()
    return _tidy(out)


def _pandas_events(root: Path) -> pd.DataFrame:
    frames = []
    for d in sorted((root / "cold_start").glob("R*")):
        df = pd.concat([pd.read_csv(f) for f in sorted(glob(str(d / "day_*.csv")))], ignore_index=True)
        frames.append(df.assign(region=d.name))
    cs = pd.concat(frames, ignore_index=True)
    pool = cs["podID"].str.extract(r"^([^-]+-\d+-\d+)(?:-|$)")[0]
    cs["funcID"] = cs["funcName"].astype(str) + "---" + cs["userID"].astype(str) + "---" + pool
    cs["hour"] = (cs["time"] // 3600).astype("int64")
    return cs


def _pandas_series(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per region, the wide daily frames reduced in place (no long frame of every cell):
    hourly sums per function (stacked, empty hours dropped) and per-minute sums over functions."""
    hourly, minute = [], []
    for d in sorted((root / "quantiles").glob("R*")):
        wide = pd.concat([pd.read_csv(f) for f in sorted(glob(str(d / "requests" / "day_*.csv")))],
                         ignore_index=True).drop(columns="day").set_index("time")
        h = wide.groupby(wide.index // 3600).sum(min_count=1).stack().dropna()
        hourly.append(h.rename_axis(["hour", "funcID"]).rename("requests").reset_index().assign(region=d.name))
        m = wide.sum(axis=1, min_count=1).dropna()
        minute.append(m.rename("requests").reset_index().assign(region=d.name))
        del wide
    return pd.concat(hourly, ignore_index=True), pd.concat(minute, ignore_index=True)


def pandas_queries(data_dir: str | Path) -> dict[str, pl.DataFrame]:
    """pandas from the CSVs (``read_csv``, ``groupby``; the wide series reduced per region)."""
    root = Path(data_dir)
    cs = _pandas_events(root)
    out = {
        "cs_hourly": cs.groupby(["region", "hour"])[list(COSTS)].mean()
        .join(cs.groupby(["region", "hour"]).size().rename("n")).reset_index(),
        "cs_func": cs.groupby(["region", "funcID"]).size().rename("n").reset_index(),
        "cs_median": cs.groupby("region")["totalCost_cold_start"].median().rename("median_s").reset_index(),
    }
    del cs
    out["series_hourly"], out["series_minute"] = _pandas_series(root)
    return _tidy({k: pl.from_pandas(v) for k, v in out.items()})
