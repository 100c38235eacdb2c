"""Fuyou's committed engine campaigns, read back without torch: the engine runs re-modelled by
the one model (:mod:`mechanism`) from the rates the campaign measured, and the engine timelines.

Design: :mod:`measure` runs campaigns (it needs torch and a device); this module only reads what
they committed under ``data/measured/fuyou/`` (through :mod:`paperkit.measured`), so the
notebooks and the model's tests never import torch. Rates are in bytes/s, params/s and FLOP/s;
times in seconds.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from paperkit import measured

from .hardware import HardwareProfile, fuyou_measured_dir
from .mechanism import Schedule, fuyou_terms, iteration_s
from .shapes import ModelShape

THROTTLE_MBPS: dict[str, float] = {"cpu-s-io": 40.0, "cpu-m-io": 200.0}
"""Sizes run with the emulated SSD throttled (MB/s, reads and writes share one device): the
I/O-bound points of the CPU campaign (the page cache would otherwise hide the disk)."""


def meminfo_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        pass
    return 0.0


def profile_from_rates(name: str, device: str, disk: tuple[float, float], link: tuple[float, float],
                       adam: float, flops: float, disk_gb: float, description: str,
                       gpu_mem_gb: float) -> HardwareProfile:
    """A HardwareProfile from measured rates (bytes/s, params/s, FLOP/s; efficiencies 1: the
    rates are achieved ones)."""
    return HardwareProfile(
        name=name, description=description, tier="measured", gpu_name=device,
        gpu_peak_tflops=flops / 1e12, gpu_efficiency=1.0, gpu_mem_gb=gpu_mem_gb,
        h2d_gbs=link[0] / 1e9, d2h_gbs=link[1] / 1e9, n_ssd=1, ssd_read_gbs=disk[0] / 1e9,
        ssd_write_gbs=disk[1] / 1e9, ssd_raid_efficiency=1.0, ssd_capacity_gb=disk_gb,
        cpu_mem_gb=meminfo_gb(), dram_gbs=0.0, cpu_adam_mem_efficiency=1.0,
        cpu_adam_bytes_per_param=28.0, cpu_adam_params_per_s=adam)


def model_s(shape: ModelShape, hw, system: str) -> float:
    """The one model's iteration time (s) for the engine's schedule (timing only: the toy's
    memory is not the modelled systems' buffers). The engine's serial schedule is Fuyou's data
    path with every technique off (optimizer after backward, write before read, synchronous
    activation copies), not DeepSpeed's configuration."""
    sched = Schedule() if system == "fuyou" else Schedule(
        overlap_opt=False, rearrange=False, pipelined_swap=False)
    return iteration_s(fuyou_terms(shape, hw, 0.0, sched))


def throttled(prof: HardwareProfile, size: str) -> HardwareProfile:
    """``prof`` with the disk at the size's throttle: one device shared by reads and writes,
    so each direction gets the throttled rate (the model's SSD is one FIFO server too)."""
    if size not in THROTTLE_MBPS:
        return prof
    bw = THROTTLE_MBPS[size] / 1e3
    return prof.with_(ssd_read_gbs=min(prof.ssd_read_gbs, bw),
                      ssd_write_gbs=min(prof.ssd_write_gbs, bw))

def remodel(runs: pl.DataFrame, prov: dict) -> pl.DataFrame:
    """The model columns of committed engine runs recomputed by today's model from the rates the
    campaign measured (its provenance), so the figure compares with the one model."""
    prof = profile_from_rates("measured", "cpu", (prov["disk_read_bps"], prov["disk_write_bps"]),
                            (prov["h2d_bps"], prov["d2h_bps"]), prov["cpu_adam_params_per_s"],
                            prov["gemm_flops"], 1.0, "rebuilt from the campaign's provenance", meminfo_gb())
    blk, gemm = [], []
    for r in runs.iter_rows(named=True):
        shape = ModelShape(params=float(r["params"]), layers=r["layers"], hidden=r["hidden"],
                           heads=r["heads"], batch=r["batch"], seq=r["seq"],
                           compute_bytes=4 if r["dtype"] == "float32" else 2)
        system = "fuyou" if r["schedule"] == "fuyou" else "zero-infinity"
        hw = throttled(prof, r["size"])
        blk.append(model_s(shape, hw.with_(gpu_peak_tflops=r["block_tflops"]), system))
        gemm.append(model_s(shape, hw, system))
    return runs.with_columns(model_iteration_s=pl.Series(blk, dtype=pl.Float64),
                             model_gemm_iteration_s=pl.Series(gemm, dtype=pl.Float64)).with_columns(
        model_tflops=pl.Series([ModelShape(params=float(r["params"]), layers=r["layers"],
                                           hidden=r["hidden"], heads=r["heads"], batch=r["batch"],
                                           seq=r["seq"]).iteration_flops() for r in
                                runs.iter_rows(named=True)]) / pl.col("model_iteration_s") / 1e12)


def load_campaign(machine: str, directory: str | os.PathLike | None = None
                  ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(engine runs with model error and tokens/s, measured rates) of a committed campaign."""
    path = measured.path(f"{machine}.parquet", fuyou_measured_dir(directory))
    prov = measured.read_provenance(measured.provenance_file(path))["extra"]
    runs = remodel(pl.read_parquet(path), prov).with_columns(
        err=pl.col("model_iteration_s") / pl.col("iteration_s") - 1).sort(["params", "schedule"])
    rates = pl.DataFrame([
        dict(quantity="disk read", value=prov["disk_read_bps"] / 1e9, unit="GB/s"),
        dict(quantity="disk write", value=prov["disk_write_bps"] / 1e9, unit="GB/s"),
        dict(quantity="host->device", value=prov["h2d_bps"] / 1e9, unit="GB/s"),
        dict(quantity="device->host", value=prov["d2h_bps"] / 1e9, unit="GB/s"),
        dict(quantity="CPU Adam", value=prov["cpu_adam_params_per_s"] / 1e6, unit="Mparam/s"),
        dict(quantity="GEMM", value=prov["gemm_flops"] / 1e12, unit="TFLOPS"),
        dict(quantity="load average (1 min)", value=float(prov.get("loadavg_1min", "nan")),
             unit="runnable tasks"),
    ])
    return runs, rates

TIMELINE_SHAPE = dict(layers=6, hidden=64, heads=4, seq=64, batch=2)
"""The toy model whose per-resource timeline ``<machine>_timeline.parquet`` records."""

def load_timelines(machine: str = "cpu", directory: str | os.PathLike | None = None
                   ) -> tuple[dict[str, pl.DataFrame], dict]:
    """The committed timelines (schedule -> frame, serial first) and their provenance."""
    d = fuyou_measured_dir(directory)
    if not (d / f"{machine}_timeline.parquet").exists():
        raise FileNotFoundError(
            f"no committed engine timeline {d / f'{machine}_timeline.parquet'}; record one with "
            f"`python -m paperkit.fuyou.measure --machine {machine} --timeline`")
    path = measured.path(f"{machine}_timeline.parquet", d)
    df = pl.read_parquet(path)
    prov = measured.read_provenance(measured.provenance_file(path))["extra"]
    frames = {s: df.filter(pl.col("schedule") == s).drop("schedule")
                   .sort(["resource", "start_s", "kind"]) for s in ("serial", "fuyou")}
    return frames, prov
