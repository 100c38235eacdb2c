"""POLCA measurements: the GPU campaign entry point and the committed H200 power data set.

Design: the GPU campaign itself is :mod:`paperkit.polca.harness` (``make gpu-polca CARD=h200``,
random-weight LLM-shaped models, an NVML sampler, read-only on the GPU). This module imports
measurements made outside that campaign into ``data/measured/polca/`` through
:mod:`paperkit.measured` (one provenance record per data file) and reads them back.

The H200 data set (``data/measured/polca/h200_2026-11-28/``): NVML instantaneous power polled
every ~10 ms (the reading refreshes at ~9.8 Hz, so rows repeat) on one lent H200 (700 W limit,
left as found), across phases listed in ``phases.json``: idle, a bf16 GEMM, a device copy, a
7B-shaped decoder (random weights, eager PyTorch) in prefill at batch 1, 8, 32 (2048 tokens) and
decode at batch 1, 16, 32 (2048-token context), and a 1.3B-shaped training step.

CLI: ``python -m paperkit.polca.measure DIR`` imports ``DIR/nvml_power.csv`` and
``DIR/phases.json`` (the folder handed over with the lent machine's results).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import polars as pl

from paperkit import measured, paths
from paperkit.cli import exit_on_bad_input

H200_DIR = "polca/h200_2026-11-28"
H200_TDP_W = 700.0
H200_FILES = ("nvml_power.csv", "phases.json")
H200_RECORD = {
    "machine": "h200-lent-2026-11-28",
    "device": "NVIDIA H200 (141 GB), one GPU, 700 W enforced power limit (range 200-700 W), left as found",
    "driver": "580.159.04",
    "software": {"cuda": "13.0", "torch": "2.11.0+cu130"},
    "date": "2026-11-28",
    "command": ("one prepared measurement script on the lent machine (not part of paperkit); imported "
                "with `python -m paperkit.polca.measure DIR`"),
    "notes": ("NVML instantaneous power polled every ~10 ms; the reading refreshes at ~9.8 Hz, so rows "
              "repeat. Clocks, power limits and modes were never changed. Random weights (never zeros); "
              "eager PyTorch, no CUDA graphs, no serving engine; one GPU, no tensor parallelism. The "
              "7B-shaped decode runs against a 2048-token cache without KV-cache writes."),
}


def import_h200(src: Path, dest: Path | None = None) -> list[Path]:
    """Copy the H200 files from ``src`` under ``data/measured/polca/`` with a provenance record each."""
    dest = Path(dest) if dest else paths.measured_dir() / H200_DIR
    out = []
    for name in H200_FILES:
        f = Path(src) / name
        if not f.is_file():
            raise FileNotFoundError(f"{f} is missing: the H200 folder holds {', '.join(H200_FILES)}")
        extra = {"tdp_w": H200_TDP_W, "power_update_hz": 9.76, "sample_period_s": 0.01}
        out.append(measured.write(dest, {name: f.read_bytes()}, extra=extra, **H200_RECORD))
    return out


def h200_power() -> pl.DataFrame:
    """H200 samples: ``t_s``, ``power_w``, ``energy_j``, ``sm_mhz``; repeated readings dropped."""
    df = pl.read_csv(measured.path(f"{H200_DIR}/nvml_power.csv"))
    df = df.select("t_s", (pl.col("power_mW") / 1000).alias("power_w"),
                   (pl.col("energy_mJ") / 1000).alias("energy_j"), pl.col("sm_MHz").alias("sm_mhz"))
    return df.filter(pl.col("power_w") != pl.col("power_w").shift(1).fill_null(-1.0)).sort("t_s")


def h200_phases() -> pl.DataFrame:
    """One row per measured phase: name, start/end (s, same clock as :func:`h200_power`), iterations."""
    doc = json.loads(measured.path(f"{H200_DIR}/phases.json").read_text(encoding="utf-8"))
    return pl.DataFrame([{"phase": p["name"], "start_s": float(p["start"]), "end_s": float(p["end"]),
                          "iters": int(p["iters"])} for p in doc["phases"]]).sort("start_s")


def h200_phase_levels(skip_s: float = 0.5) -> pl.DataFrame:
    """Per phase: median (plateau), mean and max NVML power in W and x 700 W TDP, over the
    phase without its first ``skip_s`` (launch transients); sorted by phase start."""
    pw = h200_power()
    rows = []
    for r in h200_phases().iter_rows(named=True):
        w = pw.filter((pl.col("t_s") >= r["start_s"] + skip_s) & (pl.col("t_s") < r["end_s"]))["power_w"]
        rows.append({"phase": r["phase"], "start_s": r["start_s"], "samples": w.len(),
                     "median_w": float(w.median()), "mean_w": float(w.mean()), "max_w": float(w.max())})
    df = pl.DataFrame(rows)
    return df.with_columns((pl.col(c) / H200_TDP_W).alias(c.replace("_w", "_tdp"))
                           for c in ("median_w", "mean_w", "max_w")).sort("start_s")


def campaign_runs() -> pl.DataFrame | None:
    """Results of ``make gpu-polca`` runs (``data/measured/polca/<card>/runs.parquet``), or None."""
    files = sorted((paths.measured_dir() / "polca").glob("*/runs.parquet"))
    if not files:
        return None
    return pl.concat([pl.read_parquet(f).with_columns(pl.lit(f.parent.name).alias("card")) for f in files])


def h200_results() -> dict:
    """The throughput figures recorded with the phases (prefill tokens/s, decode steps/s, ...)."""
    return json.loads(measured.path(f"{H200_DIR}/phases.json").read_text(encoding="utf-8"))["results"]


@exit_on_bad_input
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="paperkit.polca.measure", description=__doc__.splitlines()[0])
    ap.add_argument("src", help="folder holding nvml_power.csv and phases.json")
    a = ap.parse_args(argv)
    for p in import_h200(Path(a.src)):
        print(p)


if __name__ == "__main__":
    main()
