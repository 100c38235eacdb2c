"""Turn a calibration run (data/measured/t3_<gpu>.parquet + provenance) into a "this GPU" hardware profile.

Mapping (documented choices): n_cu = SM count; the peak rate is the best GEMM TFLOP/s measured (so
``gemm_efficiency`` = median over the sublayer shapes / best); ``dram_gbps`` = best copy bandwidth (read+write);
``cu_mem_gbps`` = dram_gbps / n_cu * 2 (one SM can pull twice its fair share, an assumption); LLC size and the
link (NVLink per direction) are not measurable on one GPU and must be given. The result is tier "measured"
for the GPU part and "modelled" for everything the model adds on top.
"""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from paperkit import paths

from paperkit.t3.hardware import HardwareProfile


def profile_from_measurement(parquet: Path, llc_mb: float, link_gbps: float, link_latency_ns: float = 500.0,
                             n_cu: int | None = None, clock_ghz: float = 1.0) -> HardwareProfile:
    """A HardwareProfile named ``measured-<device>`` from one calibration parquet (and its provenance json)."""
    parquet = Path(parquet)
    if not parquet.exists():
        raise ValueError(f"no calibration file {parquet}; run `python -m paperkit.t3.calibrate` on a GPU first")
    df = pl.read_parquet(parquet)
    prov_path = parquet.with_name(parquet.stem + ".provenance.json")
    prov = json.loads(prov_path.read_text()) if prov_path.exists() else {}
    n_cu = n_cu or prov.get("sm_count")
    if not n_cu:
        raise ValueError(f"{parquet.name}: the SM count is unknown (CPU run?); pass n_cu explicitly")
    gemm = df.filter(pl.col("kind") == "gemm")
    copy = df.filter(pl.col("kind") == "copy")
    if gemm.is_empty() or copy.is_empty():
        raise ValueError(f"{parquet.name} lacks 'gemm' or 'copy' rows; rerun the full calibration")
    best = float(gemm["tflops"].max()) * 1e12
    median = float(gemm["tflops"].median()) * 1e12
    dram = float(copy["gbps"].max())
    device = str(df["device"][0])
    return HardwareProfile(
        name=f"measured-{device}", n_cu=int(n_cu), clock_ghz=clock_ghz,
        flops_per_cu_clk=best / (n_cu * clock_ghz * 1e9), gemm_efficiency=min(1.0, median / best),
        dram_gbps=dram, llc_mb=llc_mb, link_gbps=link_gbps, link_latency_ns=link_latency_ns,
        cu_mem_gbps=2.0 * dram / n_cu, description=f"this GPU ({device}) from {parquet.name}",
        source=f"measured ({prov.get('utc', 'unknown time')}, commit {prov.get('git_commit', 'unknown')}); "
               f"LLC and link given by the user")


def calibration_status(directory: Path | None = None) -> str:
    """One line for the notebooks: which T3 measurements are committed (calibration parquets, shape tables)."""
    directory = Path(directory) if directory else paths.measured_dir()
    files = sorted(directory.glob("t3_*.parquet")) if directory.exists() else []
    tables = sorted((directory / "t3").glob("*.json")) if (directory / "t3").exists() else []
    tables = [t for t in tables if not t.name.endswith(".provenance.json")]
    if not files and not tables:
        return ("GPU campaign not yet run: no data/measured/t3_<gpu>.parquet. The model stands on the paper's "
                "Table 1 system (profile t3-table1); every number below is tier 'modelled'.")
    parts = [f.name for f in files] + [f"t3/{t.name}" for t in tables]
    return ("Committed T3 measurements: " + ", ".join(parts) + ". No contention measurement yet; the Table 1 "
            "profile (t3-table1) is tier 'modelled', h200-nvlink is 'measured+modelled'.")
