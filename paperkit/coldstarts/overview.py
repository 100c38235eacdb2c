"""Dataset overview (notebook 01): Table 1 (schema summary) and the Figure 1 plot. Fig. 1's data
is :func:`paperkit.coldstarts.data.region_sizes`; its claim values are in :mod:`.analysis.claimvalues`.

Counts on a synthetic trace at ``scale`` < 1 are compared with the paper after dividing by
``scale``. Most of these numbers are calibration inputs of the generator
(:mod:`paperkit.coldstarts.fingerprints`), so on the synthetic tier they are recorded with
``role="calibration"``: a match only shows that the pipeline recovers what the generator was given.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl

from paperkit.coldstarts import schema

# release unit and Table 1's field/granularity for each released column (the paper's Table 1)
_UNITS: dict[str, tuple[str, str]] = {
    "day": ("day index 0-30", "-"), "time": ("s since trace start (ms resolution)", "timestamp (ms)"),
    "clusterName": ("int 1-4", "cluster name (hashed)"), "funcName": ("int", "function name (hashed)"),
    "userID": ("int", "user ID (hashed)"), "requestID": ("64-hex hash", "request ID (hashed)"),
    "totalCost_cold_start": ("s", "cold start time (µs)"),
    "podAllocationCost": ("s", "pod allocation time (µs)"),
    "deployCodeCost": ("s (ms resolution)", "deploy code time (µs)"),
    "deployDependencyCost": ("s (ms resolution)", "deploy dependency time (µs)"),
    "schedulingCost": ("s", "scheduling time (µs)"), "podID": ("<pool>-<10 digits>", "pod ID (hashed)"),
    "time_worker": ("s since trace start", "timestamp at worker (ms)"),
    "time_frontend": ("s since trace start", "-"), "totalCost_worker": ("s", "execution time (µs)"),
    "cpu_usage": ("cores", "CPU usage (millicores)"), "memory_usage": ("MB", "memory usage (bytes)"),
    "requestBodySize": ("bytes", "-"), "funcID": ("funcName---userID---poolName", "function name"),
    "cpu_request": ("millicores", "CPU-MEM config"), "runtime": ("string", "runtime"),
    "triggerType-invocationType": ("space-separated list", "trigger type"),
}

TABLES: dict[str, tuple[str, dict[str, pl.DataType]]] = {
    "pod-level": ("cold_start/R{n}/day_XX.csv: 5 regions, 31 days", schema.COLD_START),
    "request-level": ("per_request/R{n}/*.csv: 5 regions, day 30 only", schema.REQUEST),
    "function-level": ("runtime_triggerType/df_funcID_runtime_triggerType.csv: Region 2",
                       schema.FUNCTION_META),
}

# Figure 1 readings for the overlay: functions, requests, pods per region
FIG1_READINGS: dict[str, tuple[float, float, float]] = {
    "R1": (2600, 3.9e10, 7.0e6), "R2": (2418, 1.3e10, 2.1e6), "R3": (240, 2.9e10, 3.2e5),
    "R4": (8300, 4.3e9, 1.6e6), "R5": (550, 1.3e8, 8.0e5)}


def table_files() -> pl.DataFrame:
    """The three released tables: table level, files and coverage."""
    return pl.DataFrame([(t, f) for t, (f, _) in TABLES.items()], orient="row",
                        schema=["table", "files and coverage"])


def schema_table() -> pl.DataFrame:
    """Table 1 as released: table level, column, polars dtype, release unit, Table 1 field."""
    rows = []
    for table, (_, cols) in TABLES.items():
        for col, dtype in cols.items():
            unit, t1 = _UNITS.get(col, ("s", "-"))
            rows.append((table, col, str(dtype), unit, t1))
    return pl.DataFrame(rows, orient="row", schema=["table", "column", "dtype", "release unit",
                                                    "Table 1 field"])


def plot_region_sizes(sizes: pl.DataFrame, scale: float, tier: str, functions: float = 1.0):
    """Figure 1: functions (x, log) vs requests (y, log), bubble area ~ pods; the paper's
    readings (requests and pods times ``scale``, functions times ``functions``, the share of the
    release's functions the trace keeps) as open circles. Returns the matplotlib figure."""

    df = sizes.filter(pl.col("n_requests").is_not_null()).sort("region")
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    pmax = max([v[2] for v in FIG1_READINGS.values()] + df["n_pods"].to_list()) * scale
    area = lambda p: 2000 * (p / pmax)  # noqa: E731
    for r, (nf, nr, npod) in sorted(FIG1_READINGS.items()):
        ax.scatter(nf * functions, nr * scale, s=area(npod * scale), facecolors="none",
                   edgecolors="grey", linestyles="--", linewidths=1)
    for row in df.iter_rows(named=True):
        ax.scatter(row["n_functions"], row["n_requests"], s=area(row["n_pods"]), alpha=0.6)
        ax.annotate(row["region"], (row["n_functions"], row["n_requests"]), ha="center",
                    va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of functions")
    ax.set_ylabel("requests over the trace")
    sfx = "" if scale == 1 else (f"\n(paper requests, pods x {scale:g}"
                                 + (f", functions x {functions:g})" if functions != 1 else ")"))
    ax.set_title(f"Region sizes (bubble area = pods); dashed: the paper's Fig. 1{sfx}", fontsize=9)
    ax.margins(0.25)
    fig.tight_layout()
    return fig
