"""One entry point for every configuration: ``simulate`` (one point) and ``sweep`` (a polars frame).

Sequential, Ideal-GEMM-RS-Overlap and Ideal-RS+NMC are closed forms; T3, T3-MCA and sw-split run the DES.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from paperkit.t3 import CONFIGS, DRAM_CATEGORIES
from paperkit.t3 import closed_form as cf
from paperkit.t3.des import run_des
from paperkit.t3.hardware import HardwareProfile, load_profile
from paperkit.t3.params import ModelParams, default_params
from paperkit.t3.workloads import Workload


@dataclass
class Result:
    """One sublayer under one configuration. Times in s, bytes in bytes."""

    workload: Workload
    config: str
    time_s: float
    sequential_s: float
    gemm_s: float            # GEMM alone (all CUs)
    rs_s: float              # baseline CU ring RS alone
    ag_s: float              # AG (sequential, after RS, in every configuration)
    dram_bytes: dict[str, float]
    tracker_peak_tiles: int = 0
    tracker_stall_s: float = 0.0
    timeline: list = field(default_factory=list, repr=False)

    @property
    def speedup_vs_sequential(self) -> float:
        return self.sequential_s / self.time_s

    def to_dict(self, digits: int = 6) -> dict:
        """JSON-friendly dict with rounded floats (times in s, bytes as integers)."""
        w = self.workload
        return {
            "model": w.model, "tp": w.tp, "sublayer": w.sublayer, "tokens": w.tokens, "config": self.config,
            "time_s": float(f"{self.time_s:.{digits}g}"),
            "sequential_s": float(f"{self.sequential_s:.{digits}g}"),
            "speedup_vs_sequential": round(self.speedup_vs_sequential, 4),
            "gemm_s": float(f"{self.gemm_s:.{digits}g}"),
            "rs_s": float(f"{self.rs_s:.{digits}g}"),
            "ag_s": float(f"{self.ag_s:.{digits}g}"),
            "dram_bytes": {k: int(round(v)) for k, v in self.dram_bytes.items()},
            "dram_bytes_total": int(round(sum(self.dram_bytes.values()))),
            "tracker_peak_tiles": self.tracker_peak_tiles,
            "tracker_stall_s": float(f"{self.tracker_stall_s:.{digits}g}"),
        }


def simulate(w: Workload, config: str, hw: HardwareProfile | None = None, p: ModelParams | None = None,
             record: bool = False) -> Result:
    """Time, speedup and DRAM bytes of one sublayer ``w`` under ``config`` (one of ``CONFIGS``)."""
    if config not in CONFIGS:
        raise ValueError(f"unknown config {config!r}; choose one of {CONFIGS}")
    hw = hw or load_profile()
    p = p or default_params()
    g, rs, ag = cf.gemm_time(w, hw, p), cf.rs_time_baseline(w, hw, p), cf.ag_time(w, hw, p)
    seq = g + rs + ag
    peak, stall = 0, 0.0
    timeline: list = []
    if config == "sequential":
        t = seq
        if record:
            timeline = sequential_timeline(w, hw, p)
    elif config == "ideal":
        t = cf.ideal_time(w, hw, p)
    elif config == "ideal-nmc":
        t = cf.ideal_nmc_time(w, hw, p)
    else:
        r = run_des(w, hw, p, mode=config, record=record)
        t, peak, stall = r.total, r.tracker_peak_tiles, r.tracker_stall_s
        if record:
            part = (w.tp - 1) * w.out_bytes / w.tp
            timeline = r.timeline + [(r.rs_done, r.rs_done + r.ag_time) + (0.0,) * 5
                                     + (part / r.ag_time, part / r.ag_time)]
    return Result(workload=w, config=config, time_s=t, sequential_s=seq, gemm_s=g, rs_s=rs, ag_s=ag,
                  dram_bytes=cf.dram_bytes(w, hw, p, config), tracker_peak_tiles=peak, tracker_stall_s=stall,
                  timeline=timeline)


def sequential_timeline(w: Workload, hw: HardwareProfile, p: ModelParams) -> list[tuple]:
    """Phase-constant DRAM rates of the Sequential run: GEMM, then RS, then AG (rows like the DES)."""
    
    b = cf.dram_bytes(w, hw, p, "sequential")
    g, rs, ag = cf.gemm_time(w, hw, p), cf.rs_time_baseline(w, hw, p), cf.ag_time(w, hw, p)
    phases = ((0.0, g, ("gemm_read", "gemm_write")), (g, g + rs, ("rs_read", "rs_write", "rs_update")),
              (g + rs, g + rs + ag, ("ag_read", "ag_write")))
    return [(t0, t1) + tuple(b[c] / (t1 - t0) if c in cats else 0.0 for c in DRAM_CATEGORIES)
            for t0, t1, cats in phases]


def timeline_frame(res: Result, n_bins: int = 200, t_end: float | None = None) -> pl.DataFrame:
    """Time-binned DRAM bandwidth (GB/s) by category from a recorded result (the Fig. 17 analogue).

    Columns: t_us (bin centre), category, gbps. ``t_end`` fixes the time axis (e.g. to the sequential time).
    """
    if not res.timeline:
        raise ValueError("result has no timeline; call simulate(..., record=True) with a DES or sequential config")
    t_end = t_end or max(r[1] for r in res.timeline)
    width = t_end / n_bins
    acc = [[0.0] * len(DRAM_CATEGORIES) for _ in range(n_bins)]
    for row in res.timeline:
        t0, t1, rates = row[0], row[1], row[2:]
        b0, b1 = int(t0 / width), min(n_bins - 1, int(t1 / width))
        for b in range(b0, b1 + 1):
            lo, hi = max(t0, b * width), min(t1, (b + 1) * width)
            if hi > lo:
                for i, rate in enumerate(rates):
                    acc[b][i] += rate * (hi - lo)
    data = {"t_us": [], "category": [], "gbps": []}
    for b in range(n_bins):
        for i, cat in enumerate(DRAM_CATEGORIES):
            data["t_us"].append((b + 0.5) * width * 1e6)
            data["category"].append(cat)
            data["gbps"].append(acc[b][i] / width / 1e9)
    return pl.DataFrame(data).sort(["t_us", "category"])


def sweep(workloads: list[Workload], configs: tuple[str, ...] = CONFIGS, hw: HardwareProfile | None = None,
          p: ModelParams | None = None) -> pl.DataFrame:
    """One row per (workload, config): times (us), speedup, DRAM bytes per category (MB), sorted."""
    hw = hw or load_profile()
    p = p or default_params()
    rows = []
    for w in workloads:
        for c in configs:
            r = simulate(w, c, hw, p)
            row = {"model": w.model, "tp": w.tp, "sublayer": w.sublayer, "tokens": w.tokens, "config": c,
                   "time_us": r.time_s * 1e6, "sequential_us": r.sequential_s * 1e6,
                   "gemm_us": r.gemm_s * 1e6, "rs_us": r.rs_s * 1e6, "ag_us": r.ag_s * 1e6,
                   "speedup": r.speedup_vs_sequential}
            for k, v in r.dram_bytes.items():
                row[f"{k}_mb"] = v / 1e6
            row["dram_total_mb"] = sum(r.dram_bytes.values()) / 1e6
            rows.append(row)
    return pl.DataFrame(rows).sort(["model", "tp", "sublayer", "tokens", "config"])
