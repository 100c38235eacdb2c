"""Closed-form pieces of the T3 model: GEMM roofline, LLC re-reads, ring RS/AG, ideal bounds, byte accounting.

All functions are pure; times in s, sizes in bytes. N = TP degree, S = output bytes, beta = link bytes/s per
direction, alpha = link latency.
"""
from __future__ import annotations

import math

from paperkit.t3 import DRAM_CATEGORIES
from paperkit.t3.data import measured_gemm_times
from paperkit.t3.hardware import HardwareProfile
from paperkit.t3.params import ModelParams
from paperkit.t3.workloads import Workload


# ----------------------------------------------------------------------------------------------- GEMM
def gemm_tiles(w: Workload, p: ModelParams) -> tuple[int, int]:
    """(tile rows, tile columns) of the [T, H] output."""
    return math.ceil(w.tokens / p.tile_m), math.ceil(w.hidden / p.tile_n)


def gemm_waves(w: Workload, hw: HardwareProfile, p: ModelParams, n_cu: int | None = None) -> int:
    """Number of workgroup waves on ``n_cu`` CUs (default: all)."""
    rows, cols = gemm_tiles(w, p)
    return math.ceil(rows * cols / ((n_cu or hw.n_cu) * p.wg_per_cu))


def llc_reread_factor(w: Workload, hw: HardwareProfile, p: ModelParams, bypass_output: bool) -> float:
    """GEMM DRAM read bytes / (A + B bytes), from a grouped-raster LLC model.

    The GEMM sweeps groups of ``raster_group`` tile rows column by column (the usual BLAS swizzle). Inside a
    group each weight column panel is reused from the LLC and each A row panel is read once. Between groups
    the whole weight B (plus the group's A panels) must stay in the LLC share left to the inputs; the part that
    does not fit is re-read by every further group. In the baseline the write-allocated output holds
    ``llc_output_share`` of the LLC; T3's bypassed (uncached) output writes leave the whole LLC to the inputs.
    """
    rows, _ = gemm_tiles(w, p)
    group = min(rows, p.raster_group)
    passes = math.ceil(rows / group)
    a_group = group * p.tile_m * w.k * 2.0
    cap = hw.llc_bytes * (1.0 if bypass_output else 1.0 - p.llc_output_share)
    miss = min(1.0, max(0.0, (w.b_bytes + a_group - cap) / w.b_bytes))
    reads = w.a_bytes + w.b_bytes * (1.0 + (passes - 1) * miss)
    return reads / (w.a_bytes + w.b_bytes)


def gemm_dram_bytes(w: Workload, hw: HardwareProfile, p: ModelParams, bypass_output: bool = False) -> float:
    """GEMM DRAM bytes if run alone: inputs x re-read factor + output writes."""
    return llc_reread_factor(w, hw, p, bypass_output) * (w.a_bytes + w.b_bytes) + w.out_bytes


def measured_gemm_time(w: Workload, hw: HardwareProfile) -> float | None:
    """The profile's measured GEMM time for this shape (scaled linearly to ``w.tokens``), or None."""
    if not hw.gemm_table:
        return None
    table = measured_gemm_times(hw.gemm_table)
    hits = [(t, tok) for (h, k, tok), t in table.items() if h == w.hidden and k == w.k]
    if not hits:
        return None
    t, tok = min(hits, key=lambda x: abs(x[1] - w.tokens))
    return t * w.tokens / tok


def gemm_time(w: Workload, hw: HardwareProfile, p: ModelParams, n_cu: int | None = None) -> float:
    """GEMM time alone on ``n_cu`` CUs: measured (profile with a GEMM table, scaled by CUs), else waves x
    per-tile time at the roofline rate, or the DRAM bound."""
    n = n_cu or hw.n_cu
    t_meas = measured_gemm_time(w, hw)
    if t_meas is not None:
        return t_meas * hw.n_cu / n
    tile_flops = 2.0 * p.tile_m * p.tile_n * w.k
    per_cu = hw.gemm_flops / hw.n_cu
    t_compute = gemm_waves(w, hw, p, n) * tile_flops / (per_cu * p.wg_per_cu)
    t_mem = gemm_dram_bytes(w, hw, p) / hw.dram_bw
    return max(t_compute, t_mem)


# ------------------------------------------------------------------------------------------ collectives
def link_chunk_time(w: Workload, hw: HardwareProfile) -> float:
    """t_l = alpha + S/(N beta): one ring hop of one chunk."""
    return hw.link_latency + w.out_bytes / (w.tp * hw.link_bw)


def _comm_bw(hw: HardwareProfile, n_cu_comm: int | None) -> float:
    return hw.dram_bw if n_cu_comm is None else min(hw.dram_bw, n_cu_comm * hw.cu_mem_gbps * 1e9)


def rs_time_baseline(w: Workload, hw: HardwareProfile, p: ModelParams, n_cu_comm: int | None = None) -> float:
    """CU-based ring RS: N-1 steps of alpha + max(link, DRAM) + exposed reduction slice + sync overhead.

    DRAM per step: the incoming chunk is written (S/N), then local and received chunks are read and the sum
    written (3 S/N). ``n_cu_comm`` limits the kernel's DRAM bandwidth to n_cu_comm * cu_mem_gbps.
    """
    n, c = w.tp, w.out_bytes / w.tp
    bw = _comm_bw(hw, n_cu_comm)
    step = (hw.link_latency + max(c / hw.link_bw, 4 * c / bw) + 3 * c / bw / p.rs_slices
            + p.rs_step_overhead_us * 1e-6)
    return (n - 1) * step


def rs_time_nmc(w: Workload, hw: HardwareProfile, p: ModelParams) -> float:
    """Ring RS with near-memory reductions and DMA: no CU pass, incoming data op-and-stored in memory."""
    n, c = w.tp, w.out_bytes / w.tp
    step = hw.link_latency + max(c / hw.link_bw, (1.0 + p.nmc_kappa) * c / hw.dram_bw)
    return (n - 1) * step


def ag_time(w: Workload, hw: HardwareProfile, p: ModelParams, n_cu_comm: int | None = None) -> float:
    """CU-based ring AG: N-1 steps of alpha + max(link, DRAM read+write) + sync overhead (never overlapped)."""
    n, c = w.tp, w.out_bytes / w.tp
    bw = _comm_bw(hw, n_cu_comm)
    return (n - 1) * (hw.link_latency + max(c / hw.link_bw, 2 * c / bw) + p.rs_step_overhead_us * 1e-6)


# ------------------------------------------------------------------------------------ configurations
def sequential_time(w: Workload, hw: HardwareProfile, p: ModelParams) -> float:
    """Sequential: T_GEMM + T_RS + T_AG."""
    return gemm_time(w, hw, p) + rs_time_baseline(w, hw, p) + ag_time(w, hw, p)


def ideal_time(w: Workload, hw: HardwareProfile, p: ModelParams) -> float:
    """Ideal-GEMM-RS-Overlap: max(T_GEMM, T_RS) + T_AG, no contention, no fitting."""
    return max(gemm_time(w, hw, p), rs_time_baseline(w, hw, p)) + ag_time(w, hw, p)


def ideal_nmc_time(w: Workload, hw: HardwareProfile, p: ModelParams) -> float:
    """Ideal-RS+NMC: max(T_GEMM, T_RS^NMC) + T_AG."""
    return max(gemm_time(w, hw, p), rs_time_nmc(w, hw, p)) + ag_time(w, hw, p)


def t3_pipeline_time(w: Workload, hw: HardwareProfile, p: ModelParams) -> float:
    """Contention-free T3 at chunk granularity, then AG.

    t_c = T_GEMM/N is one stage, t_l one hop. delivered_s (my stage-s partial at the neighbour):
    delivered_0 = max(t_c, t_l) (stage 0 streams out as remote stores), then
    delivered_s = max((s+1) t_c, delivered_{s-1}) + t_l (by symmetry the neighbour's stage s-1 partial
    reaches me at delivered_{s-1}); the owned chunk is complete at max(N t_c, delivered_{N-2}).
    """
    n = w.tp
    t_c = gemm_time(w, hw, p) / n
    t_l = link_chunk_time(w, hw)
    delivered = max(t_c, t_l)
    for s in range(1, n - 1):
        delivered = max((s + 1) * t_c, delivered) + t_l
    done = max(n * t_c, delivered)
    return done + ag_time(w, hw, p)


# ------------------------------------------------------------------------------------ byte accounting
def dram_bytes(w: Workload, hw: HardwareProfile, p: ModelParams, config: str) -> dict[str, float]:
    """DRAM bytes per category for one GPU and one sublayer (the Fig. 18 accounting).

    Sequential / ideal / sw-split: GEMM reads rho*(A+B), writes S; RS reads 2(N-1)S/N, writes 2(N-1)S/N
    (incoming + result); AG reads and writes (N-1)S/N each.
    T3 / T3-MCA: GEMM reads rho'*(A+B) (bypassed outputs), local updates (N-1)S/N (stage 0 goes remote);
    RS writes = incoming updates (N-1)S/N, RS reads = DMA reads (N-2)S/N; AG unchanged.
    Ideal-RS+NMC: GEMM as Sequential, RS as T3.
    """
    n, s = w.tp, w.out_bytes
    part = (n - 1) * s / n
    t3_like = config in ("t3", "t3-mca")
    rho = llc_reread_factor(w, hw, p, bypass_output=t3_like)
    out = {
        "gemm_read": rho * (w.a_bytes + w.b_bytes),
        "gemm_write": part if t3_like else s,
        "rs_read": (n - 2) * s / n if config in ("t3", "t3-mca", "ideal-nmc") else 2 * part,
        "rs_write": part if config in ("t3", "t3-mca", "ideal-nmc") else 2 * part,
        "ag_read": part,
        "ag_write": part,
    }
    assert tuple(out) == DRAM_CATEGORIES
    return out
