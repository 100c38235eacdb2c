"""Closed-form pieces of the T3 model: GEMM roofline, ring RS/AG, ideal bounds, byte accounting.

All functions are pure; times in s, sizes in bytes. N = TP degree, S = output bytes, beta = link bytes/s per
direction, alpha = link latency.
"""
from __future__ import annotations

import math

from paperkit.t3 import DRAM_CATEGORIES, dram, llc
from paperkit.t3.data import measured_gemm_times
from paperkit.t3.hardware import HardwareProfile
from paperkit.t3.params import ModelParams
from paperkit.t3.workloads import Workload


# ----------------------------------------------------------------------------------------------- GEMM
def gemm_tiles(w: Workload, p: ModelParams) -> tuple[int, int]:
    """(tile rows, tile columns) of the [T, H] output."""
    return llc.tile_grid(w, p)


def gemm_waves(w: Workload, hw: HardwareProfile, p: ModelParams, n_cu: int | None = None) -> int:
    """Number of workgroup waves on ``n_cu`` CUs (default: all)."""
    rows, cols = gemm_tiles(w, p)
    return math.ceil(rows * cols / llc.wave_tiles(hw, p, n_cu))


def gemm_traffic(w: Workload, hw: HardwareProfile, p: ModelParams, t_gemm: float, bypass_output: bool,
                 output: str = "writes") -> dram.Traffic:
    """The GEMM's mean DRAM demand over ``t_gemm`` (bytes/s); ``output``: 'writes', 'updates' or 'none'."""
    reads = llc.gemm_read_bytes(w, hw, p, bypass_output) / t_gemm
    out = w.out_bytes / t_gemm
    return dram.Traffic(reads=reads, writes=out if output == "writes" else 0.0,
                        updates=out if output == "updates" else 0.0)


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
    per-tile time at the roofline rate, stretched by the DRAM time its traffic needs (reads after the LLC,
    output writes with their write-queue drains) where that exceeds it."""
    n = n_cu or hw.n_cu
    t_meas = measured_gemm_time(w, hw)
    if t_meas is not None:
        return t_meas * hw.n_cu / n
    tile_flops = 2.0 * p.tile_m * p.tile_n * w.k
    per_cu = hw.gemm_flops / hw.n_cu
    t_compute = gemm_waves(w, hw, p, n) * tile_flops / (per_cu * p.wg_per_cu)
    u = dram.cost(gemm_traffic(w, hw, p, t_compute, bypass_output=False), hw.dram_bw)
    return t_compute * max(1.0, u)


# ------------------------------------------------------------------------------------------ collectives
def link_chunk_time(w: Workload, hw: HardwareProfile) -> float:
    """t_l = alpha + S/(N beta): one ring hop of one chunk."""
    return hw.link_latency + w.out_bytes / (w.tp * hw.link_bw)


def _comm_bw(hw: HardwareProfile, n_cu_comm: int | None) -> float:
    return hw.dram_bw if n_cu_comm is None else min(hw.dram_bw, n_cu_comm * hw.cu_mem_gbps * 1e9)


def rs_step_dram(c: float) -> dram.Traffic:
    """DRAM bytes of one step of the CU ring RS (direct to peer, as NCCL/RCCL): the incoming chunk lands
    in my memory (write c), then local and received chunks are read (2c) and the sum goes to the peer."""
    return dram.Traffic(reads=2 * c, writes=c)


def rs_time_baseline(w: Workload, hw: HardwareProfile, p: ModelParams, n_cu_comm: int | None = None) -> float:
    """CU-based ring RS: N-1 steps of alpha + max(link, DRAM) + exposed reduction slice + sync overhead.

    DRAM per step: :func:`rs_step_dram` (its DRAM time includes the write-queue drains, dram.cost).
    ``n_cu_comm`` limits the kernel's DRAM bandwidth to n_cu_comm * cu_mem_gbps.
    """
    n, c = w.tp, w.out_bytes / w.tp
    bw = _comm_bw(hw, n_cu_comm)
    t_dram = dram.cost(rs_step_dram(c), bw)
    step = (hw.link_latency + max(c / hw.link_bw, t_dram) + 3 * c / bw / p.rs_slices
            + p.rs_step_overhead_us * 1e-6)
    return (n - 1) * step


def rs_step_dram_nmc(c: float) -> dram.Traffic:
    """DRAM bytes of one step of the NMC ring RS: DMA read of the partial sum (c), incoming update (c)."""
    return dram.Traffic(reads=c, updates=c)


def rs_time_nmc(w: Workload, hw: HardwareProfile, p: ModelParams) -> float:
    """Ring RS with near-memory reductions and DMA: no CU pass, incoming data op-and-stored in the bank.

    The DMA forwards each tracked packet as soon as it is reduced, so the packets of consecutive steps
    pipeline over the link and the hop latency is paid once: alpha + (N-1) max(link, DRAM) per chunk."""
    n, c = w.tp, w.out_bytes / w.tp
    return hw.link_latency + (n - 1) * max(c / hw.link_bw, dram.cost(rs_step_dram_nmc(c), hw.dram_bw))


def ag_time(w: Workload, hw: HardwareProfile, p: ModelParams, n_cu_comm: int | None = None) -> float:
    """CU-based ring AG: N-1 steps of alpha + max(link, DRAM read + write) + sync overhead (never overlapped)."""
    n, c = w.tp, w.out_bytes / w.tp
    t_dram = dram.cost(dram.Traffic(reads=c, writes=c), _comm_bw(hw, n_cu_comm))
    return (n - 1) * (hw.link_latency + max(c / hw.link_bw, t_dram) + p.rs_step_overhead_us * 1e-6)


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
NEAR_MEMORY_CONFIGS = ("ideal-nmc", "t3", "t3-mca")
"""Configurations whose reduce-scatter reduces near memory (DMA reads, incoming op-and-store updates)."""
FUSED_CONFIGS = ("t3", "t3-mca")
"""Configurations whose GEMM stores feed the RS directly (stage 0 remote, the rest near-memory updates)."""


def dram_bytes(w: Workload, hw: HardwareProfile, p: ModelParams, config: str) -> dict[str, float]:
    """DRAM bytes per category for one GPU and one sublayer (the Fig. 18 accounting); N = TP, S = output.

    Direct-to-peer ring (NCCL/RCCL): a peer's chunk is written straight into my memory, and only the final
    result is written locally.
    - GEMM: reads after the LLC (llc.py; T3's output bypasses the LLC); writes S, or under T3 the local
      near-memory updates of stages 1..N-1, (N-1)S/N (stage 0 goes to the neighbour).
    - CU ring RS (Sequential, Ideal, sw-split): reads of the local and the received chunk, 2(N-1)S/N;
      writes of the incoming chunks, (N-1)S/N, and of the final result, S/N.
    - NMC RS (:data:`NEAR_MEMORY_CONFIGS`): DMA reads of the partial sums of stages 1..N-2, (N-2)S/N;
      incoming op-and-store updates, (N-1)S/N; no plain writes.
    - AG: every configuration, reads (N-1)S/N (my chunk, then forwarded ones), writes (N-1)S/N (incoming).
    """
    n, s = w.tp, w.out_bytes
    part = (n - 1) * s / n
    fused, nmc = config in FUSED_CONFIGS, config in NEAR_MEMORY_CONFIGS
    out = {
        "gemm_read": llc.gemm_read_bytes(w, hw, p, bypass_output=fused),
        "gemm_write": part if fused else s,
        "rs_read": (n - 2) * s / n if nmc else 2 * part,
        "rs_write": 0.0 if nmc else part + s / n,
        "rs_update": part if nmc else 0.0,
        "ag_read": part,
        "ag_write": part,
    }
    assert tuple(out) == DRAM_CATEGORIES
    return out
