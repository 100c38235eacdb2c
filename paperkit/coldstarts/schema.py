"""Released columns and dtypes of the cold-start trace (as in the release's README), and validation.

Every table is described by an ordered mapping ``column -> polars dtype``. :func:`check_header`
compares a CSV's header with a schema and raises ``ValueError`` naming the file and the offending
column; the loader calls it before converting any file.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

COLD_START: dict[str, pl.DataType] = {
    "day": pl.Int64,                     # 0..30
    "time": pl.Float64,                  # s since dataset start, ms resolution
    "clusterName": pl.Int64,             # 1..4
    "funcName": pl.Int64,                # anonymised
    "userID": pl.Int64,                  # anonymised
    "requestID": pl.String,              # 64-hex hash
    "totalCost_cold_start": pl.Float64,  # s; = sum of the four components below
    "podAllocationCost": pl.Float64,     # s
    "deployCodeCost": pl.Float64,        # s, ms resolution
    "deployDependencyCost": pl.Float64,  # s, ms resolution (0 without layers)
    "schedulingCost": pl.Float64,        # s
    "podID": pl.String,                  # <poolName>-<10-digit id>
}
"""Cold-start events, ``cold_start/R{n}/day_XX.csv`` (one row per cold start)."""

COMPONENTS: tuple[str, ...] = ("podAllocationCost", "deployCodeCost", "deployDependencyCost",
                               "schedulingCost")
"""The four cold-start components; they add up to ``totalCost_cold_start``."""

TOTAL_DECIMALS = 6
"""Decimals of ``totalCost_cold_start`` in the release (s; the components have ~9 or 3)."""

COMPONENT_SUM_TOL_S = 0.5 * 10.0 ** -TOTAL_DECIMALS + 1e-9
"""Largest allowed ``|sum(COMPONENTS) - totalCost_cold_start|`` (s): half a unit of the total's
6th decimal (the total is the rounded sum) plus 1 ns for the ~9-decimal components' own rounding
and float parsing. A dropped or swapped component is off by far more."""

MAX_COST_S = 86_400.0
"""Largest cold-start cost or component (s): one day. A day file covers 86,400 s of the trace, so
no one cold start in it can last longer; beyond that a value is a unit or transcription error
(``1e308`` would overflow the sums to infinity)."""

POD_ID_RE = r"^[A-Za-z0-9_.]+-\d+-\d+-\d{10}$"
"""A complete podID: ``<poolName>-<10-digit id>`` (poolName = prefix-cpu-memory, as
:mod:`.rules` parses it), e.g. ``pool22-300-128-0910999690``."""

COMPONENT_KEYS: dict[str, str] = {
    "podAllocationCost": "pod_allocation",
    "deployCodeCost": "deploy_code",
    "deployDependencyCost": "deploy_dependency",
    "schedulingCost": "scheduling",
}
"""Short names used in summaries."""

SERIES_INDEX: dict[str, pl.DataType] = {"day": pl.Int64, "time": pl.Int64}
"""Leading columns of every per-minute series file; then one Float64 column per funcID."""

SERIES_LONG: dict[str, pl.DataType] = {
    "region": pl.String, "day": pl.Int64, "time": pl.Int64, "funcID": pl.String,
    "value": pl.Float64,
}
"""Long form returned by :func:`paperkit.coldstarts.load.scan_series` (empty cells dropped)."""

COUNT_SERIES: tuple[str, ...] = ("requests", "num_pods", "num_cold_starts")
"""Series whose empty cells mean 0 (the others are statistics: empty = no data)."""

SERIES_METRICS: tuple[str, ...] = (
    "busCost", "cpu_usage", "deployCodeCost", "deployDependencyCost", "frontendCost",
    "memory_usage", "podAllocationCost", "readBodyCost", "requestBodySize", "runtimeCost",
    "schedulingCost", "totalCost", "totalCost_cold_start", "totalCost_frontend", "workerCost",
    "writeRspCost")
SERIES_STATS: tuple[str, ...] = (
    "avg", "std", "quantile_000", "quantile_025", "quantile_050", "quantile_075", "quantile_090",
    "quantile_095", "quantile_099", "quantile_100")


def released_series_names() -> list[str]:
    """All time-series folder names of the release (§2.4): 3 counts + 16 metrics x 10 stats."""
    return list(COUNT_SERIES) + [f"{m}_{s}" for m in SERIES_METRICS for s in SERIES_STATS]


REQUEST: dict[str, pl.DataType] = {
    "time_worker": pl.Float64, "time_frontend": pl.Float64, "requestID": pl.String,
    "clusterName": pl.Int64, "funcName": pl.Int64, "podID": pl.String, "userID": pl.Int64,
    "totalCost_worker": pl.Float64, "workerCost": pl.Float64, "runtimeCost": pl.Float64,
    "totalCost_frontend": pl.Float64, "frontendCost": pl.Float64, "busCost": pl.Float64,
    "readBodyCost": pl.Float64, "writeRspCost": pl.Float64,
    "cpu_usage": pl.Float64,        # cores
    "memory_usage": pl.Float64,     # MB
    "requestBodySize": pl.Float64,  # bytes
}
"""Per-request rows, ``per_request/R{n}/*.csv`` (day 30 only)."""

FUNCTION_META: dict[str, pl.DataType] = {
    "funcID": pl.String,                       # funcName---userID---poolName
    "cpu_request": pl.Int64,                   # millicores
    "runtime": pl.String,
    "triggerType-invocationType": pl.String,   # space-separated list, e.g. "APIG-S TIMER-A"
}
"""Region 2 runtime/trigger table, ``runtime_triggerType/df_funcID_runtime_triggerType.csv``."""

META_RELPATH = "runtime_triggerType/df_funcID_runtime_triggerType.csv"
REGISTRY_META_NAME = "huawei2025/df_funcID_runtime_triggerType.csv"


def not_text_problem(path: Path) -> str:
    """Why ``path`` is not UTF-8 text, for a message: gzip-compressed, zip, or another encoding."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        return "is gzip-compressed, not a CSV: decompress it first (gunzip)"
    if magic[:4] == b"PK\x03\x04":
        return "is a zip archive, not a CSV: extract it first"
    return "is not UTF-8 text (another encoding?): convert it to UTF-8 or extract it again"


def read_header(path: Path) -> list[str]:
    """Column names of a CSV file (first line), without reading the rest."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            line = f.readline()
    except UnicodeDecodeError:
        raise ValueError(f"{path} {not_text_problem(path)}") from None
    if not line.strip():
        raise ValueError(f"{path}: empty file, expected a CSV header")
    return parse_header(line)


def parse_header(line: str) -> list[str]:
    """Column names of one CSV header line (a UTF-8 byte-order mark, surrounding spaces and
    quotes removed)."""
    return [c.strip().strip('"') for c in line.lstrip("\ufeff").rstrip("\r\n").split(",")]


def is_index_column(name: str) -> bool:
    """A pandas-written row-index column ("" or "Unnamed: 0"): tolerated and dropped on load."""
    return name == "" or name.startswith("Unnamed:")


def check_columns(columns: list[str], schema: dict[str, pl.DataType], source: str | Path, *,
                  extra_ok: bool = False) -> None:
    """Raise ``ValueError`` naming ``source`` and the column if ``columns`` do not match ``schema``.

    Column order is not checked; missing columns and (unless ``extra_ok``) unexpected columns are.
    A leading pandas index column (:func:`is_index_column`) is allowed.
    """
    columns = [c for c in columns if not is_index_column(c)]
    missing = [c for c in schema if c not in columns]
    if missing:
        raise ValueError(f"{source}: missing column {missing[0]!r} (expected columns: "
                         f"{', '.join(schema)}); is this a file of the cold-start release?")
    if not extra_ok:
        extra = [c for c in columns if c not in schema]
        if extra:
            raise ValueError(f"{source}: unexpected column {extra[0]!r} (expected columns: "
                             f"{', '.join(schema)})")
    dup = {c for c in columns if columns.count(c) > 1}
    if dup:
        raise ValueError(f"{source}: duplicate column {sorted(dup)[0]!r}")


def check_header(path: Path, schema: dict[str, pl.DataType], *, extra_ok: bool = False) -> list[str]:
    """Validate the header of CSV ``path`` against ``schema``; return the header."""
    cols = read_header(path)
    check_columns(cols, schema, path, extra_ok=extra_ok)
    return cols


def check_frame(df: pl.DataFrame | pl.LazyFrame, schema: dict[str, pl.DataType],
                source: str) -> None:
    """Raise ``ValueError`` naming ``source`` and the column if a frame lacks a column or has a
    different dtype than ``schema``."""
    have = df.collect_schema() if isinstance(df, pl.LazyFrame) else df.schema
    for col, dtype in schema.items():
        if col not in have:
            raise ValueError(f"{source}: missing column {col!r}")
        if have[col] != dtype:
            raise ValueError(f"{source}: column {col!r} has dtype {have[col]}, expected {dtype}")


def series_schema(columns: list[str]) -> dict[str, pl.DataType]:
    """Full dtype mapping of a wide series file with header ``columns``: day, time, then Float64."""
    return {c: SERIES_INDEX.get(c, pl.Float64) for c in columns}
