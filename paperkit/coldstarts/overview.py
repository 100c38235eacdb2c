"""Dataset overview (notebook 01): Table 1 (schema summary), Figure 1 (region sizes) and the
claims of the paper's §2.1 and Figure 1.

Counts on a synthetic trace at ``scale`` < 1 are compared with the paper after dividing by
``scale``. Most of these numbers are calibration inputs of the generator
(:mod:`paperkit.coldstarts.fingerprints`), so on the synthetic tier they are recorded with
``role="calibration"``: a match only shows that the pipeline recovers what the generator was given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from scipy import stats

from paperkit.coldstarts import generate, schema
from paperkit.coldstarts.data import Trace

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


def spread_decades(x: list[float]) -> float:
    """log10(max / min) of positive values."""
    a = np.asarray(x, dtype=float)
    return float(math.log10(a.max() / a.min()))


def rank_correlation(x: list[float], y: list[float]) -> float:
    """Spearman rank correlation."""
    return float(stats.spearmanr(x, y).statistic)


def plot_region_sizes(sizes: pl.DataFrame, scale: float, tier: str):
    """Figure 1: functions (x, log) vs requests (y, log), bubble area ~ pods; the paper's
    readings times ``scale`` as open circles. Returns the matplotlib figure."""

    df = sizes.filter(pl.col("n_requests").is_not_null()).sort("region")
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    pmax = max([v[2] for v in FIG1_READINGS.values()] + df["n_pods"].to_list()) * scale
    area = lambda p: 2000 * (p / pmax)  # noqa: E731
    for r, (nf, nr, npod) in sorted(FIG1_READINGS.items()):
        ax.scatter(nf * scale, nr * scale, s=area(npod * scale), facecolors="none",
                   edgecolors="grey", linestyles="--", linewidths=1)
    for row in df.iter_rows(named=True):
        ax.scatter(row["n_functions"], row["n_requests"], s=area(row["n_pods"]), alpha=0.6)
        ax.annotate(row["region"], (row["n_functions"], row["n_requests"]), ha="center",
                    va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of functions")
    ax.set_ylabel("requests over the trace")
    sfx = "" if scale == 1 else f" (paper readings x scale {scale:g})"
    ax.set_title(f"Region sizes; bubble area = pods; dashed = paper's Fig. 1{sfx}", fontsize=9)
    ax.margins(0.25)
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class ClaimValue:
    """One value for the claims table."""

    id: str
    value: float | None
    tier: str
    role: str | None = None  # None: the claims file's role
    note: str = ""
    reason: str = ""  # set when not checkable


def overview_claims(trace: Trace, sizes: pl.DataFrame, meta: pl.DataFrame, meta_tier: str,
                    n_columns: int) -> list[ClaimValue]:
    """Values for the §0 and Figure 1 claims. Counts are divided by ``trace.scale``; on the
    synthetic tier every quantity the generator was calibrated to gets role "calibration", and the
    exact released row counts are not checkable."""
    syn = trace.tier == "synthetic"
    role = "calibration" if syn else None
    s = trace.scale
    div = f"trace count / scale {s:g}" if s != 1 else ""
    out: list[ClaimValue] = []
    has_req = sizes["n_requests"].null_count() == 0
    req = sizes["n_requests"].sum() if has_req else None
    out.append(ClaimValue("D1", req / s if has_req else None, trace.tier, role,
                          div, "" if has_req else "needs the quantiles/requests series"))
    out.append(ClaimValue("D2", sizes["n_cold_starts"].sum() / s, trace.tier, role, div))
    out.append(ClaimValue("D3", sizes["n_pods"].sum() / s, trace.tier, role,
                          "distinct podIDs in cold_start/ (pods alive at the start not in the "
                          "trace)" + (f"; {div}" if div else "")))
    out.append(ClaimValue("D4", float(sizes.height), trace.tier, role))
    out.append(ClaimValue("D5", float(sizes["n_clusters"].max()), trace.tier, role,
                          "max over regions of distinct clusterName"))
    out.append(ClaimValue("D6", float(sizes["n_days"].max()), trace.tier, role,
                          "distinct days with cold starts"))
    out.append(ClaimValue("D7", None, trace.tier, reason="a platform setting, not a trace field"))
    for cid, n in (("D8", sizes["n_cold_starts"].sum()),
                   ("D9", sizes.filter(pl.col("region") == "R2")["n_cold_starts"].sum())):
        if syn:
            out.append(ClaimValue(cid, None, trace.tier, reason="exact count of the real release; "
                                  "needs the real trace (make data GROUPS=huawei-coldstart)"))
        else:
            out.append(ClaimValue(cid, float(n), trace.tier))
    out.append(ClaimValue("D10", float(n_columns), trace.tier, role,
                          "columns of scan_cold_starts (released + region)"))
    mrole = None if meta_tier == "public" else "calibration"
    ids = meta["funcID"].str.split("---")
    out.append(ClaimValue("D11", float(meta.height), meta_tier, mrole, "runtime/trigger table rows"))
    out.append(ClaimValue("D12", float(ids.list.get(0).n_unique()), meta_tier, mrole))
    out.append(ClaimValue("D13", float(ids.list.get(1).n_unique()), meta_tier, mrole))
    for row in sizes.iter_rows(named=True):
        r = row["region"]
        floor = syn and row["n_functions"] <= generate.MIN_FUNCTIONS
        out.append(ClaimValue(
            f"F1-functions-{r}", None if floor else row["n_functions"] / s, trace.tier, role,
            f"{row['functions_source']}" + (f"; {div}" if div else ""),
            "the generator's minimum of 3 functions per region applies at this scale" if floor else ""))
        out.append(ClaimValue(
            f"F1-requests-{r}", row["n_requests"] / s if row["n_requests"] is not None else None,
            trace.tier, role, div, "" if row["n_requests"] is not None else
            "needs the quantiles/requests series"))
        out.append(ClaimValue(f"F1-pods-{r}", row["n_pods"] / s, trace.tier, role,
                              "distinct podIDs" + (f"; {div}" if div else "")))
    if has_req and sizes.height >= 3:
        out.append(ClaimValue("F1-span", spread_decades(sizes["n_requests"].to_list()),
                              trace.tier, role, "over the regions present"))
        out.append(ClaimValue("F1-rank", rank_correlation(sizes["n_functions"].to_list(),
                                                          sizes["n_requests"].to_list()),
                              trace.tier, role, "over the regions present"))
    else:
        for cid in ("F1-span", "F1-rank"):
            out.append(ClaimValue(cid, None, trace.tier,
                                  reason="needs the requests series of at least 3 regions"))
    return out


def record_claims(tab, values: list[ClaimValue]) -> None:
    """Record :func:`overview_claims` values into a :class:`paperkit.claims.ClaimsTable`."""
    for v in values:
        if v.value is None or v.reason:
            tab.not_checkable(v.id, tier=v.tier, reason=v.reason or "no value")
        else:
            tab.record(v.id, v.value, tier=v.tier, role=v.role, note=v.note)
