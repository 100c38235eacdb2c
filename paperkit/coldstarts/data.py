"""The data role of the cold-start paper: open a trace, and the one computation of Fig. 1.

Design: :func:`open_trace` is the single entry point that turns the notebooks' parameters
(``data_dir``, ``scale``, ``seed``, ``r2_table``) into a :class:`Trace` (folder, tier, the scale its
counts are divided by); everything else (notebook 01, the figure data of notebooks 02-07,
``summarize``) starts from it. :func:`region_sizes` is Fig. 1's data, used by notebook 01 and by
:mod:`.analysis.figure_data`. Loading itself is :mod:`.load`; generation is :mod:`.generate`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from paperkit import provenance
from paperkit.coldstarts import N_DAYS, generate, load


@dataclass(frozen=True)
class Trace:
    """An opened trace: folder, data tier, the scale its event counts are divided by and the
    share of the release's functions it keeps (its function counts are divided by that)."""

    path: Path
    tier: str
    scale: float
    n_days: int
    r2_table: str = "public"
    functions: float = 1.0

    @property
    def per_function_scale(self) -> float:
        """What per-function counts (requests or cold starts of one function) are divided by:
        the scale, since the trace keeps the functions and shrinks the events per function."""
        return self.scale / self.functions


def open_trace(data_dir: str = "", scale: float = 0.1, seed: int = 0,
               r2_table: str = "public") -> Trace:
    """``data_dir`` (release layout) or, if empty, the cached synthetic trace at (scale, seed)
    with its Region 2 functions from ``r2_table`` ("public" or, when asked for, "synthetic").

    The one entry of every notebook and of ``summarize``: scale is the manifest's for a generated
    trace and 1.0 for the release."""
    path = load.resolve_data_dir(data_dir) if data_dir else generate.synthetic_trace(
        scale, seed, progress=False, meta=r2_table)
    if not path.is_dir():
        raise ValueError(f"DATA_DIR={data_dir!r} is not a folder; pass a trace in the release "
                         "layout (cold_start/R*/day_XX.csv, ...) or '' for the synthetic trace")
    if data_dir:
        provenance.note_input("user", path=path.resolve())
    man = load.manifest(path)
    if man is None:
        return Trace(path, "public", 1.0, N_DAYS, r2_table)
    return Trace(path, "synthetic", float(man["scale"]), int(man["n_days"]), r2_table,
                 manifest_functions(man))


def manifest_functions(man: dict) -> float:
    """The share of the release's functions a generated trace keeps: its manifest's
    ``functions``; generator versions before 5 scaled the functions with ``scale``."""
    return float(man.get("functions", man["scale"]))


def region_sizes(data_dir: str | Path) -> pl.DataFrame:
    """Fig. 1, computed once (notebook 01 and the figure data both use it). Per region: n_functions (funcID columns of the ``requests`` series, else distinct funcIDs
    with a cold start), functions_source, n_requests (null without the series), n_pods (distinct
    podIDs in cold_start/), n_cold_starts, n_clusters, n_days. Sorted by region."""
    cs = load.add_func_id(load.scan_cold_starts(data_dir))
    out = (cs.group_by("region").agg(
        n_cold_starts=pl.len(), n_pods=pl.col("podID").n_unique(),
        n_functions_cs=pl.col("funcID").n_unique(), n_clusters=pl.col("clusterName").n_unique(),
        n_days=pl.col("day").n_unique())
        .collect(engine="in-memory").sort("region"))
    if "requests" in load.available_series(data_dir):
        req = (load.scan_series(data_dir, "requests").group_by("region")
               .agg(n_requests=pl.col("value").sum()).collect(engine="in-memory"))
        fn = load.series_functions(data_dir, "requests").group_by("region").agg(
            n_functions=pl.len())
        out = out.join(req, on="region", how="left").join(fn, on="region", how="left").with_columns(
            functions_source=pl.lit("requests series"))
    else:
        out = out.with_columns(n_requests=pl.lit(None, pl.Float64),
                               n_functions=pl.col("n_functions_cs"),
                               functions_source=pl.lit("cold starts"))
    return out.with_columns(pl.col("n_functions").cast(pl.Int64)).select(
        "region", "n_functions", "functions_source", "n_requests", "n_pods", "n_cold_starts",
        "n_clusters", "n_days").sort("region")
