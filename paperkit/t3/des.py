"""Discrete-event model of one GPU in a symmetric ring running a fused GEMM + reduce-scatter.

Events are processed in time order; between two events every resource runs at a constant rate (a fluid
model), recomputed at each event from the DRAM arbitration policy.

- GEMM: N stages in the staggered order c_g(s) = (g + s) mod N, each split into ``packets_per_stage``
  packets (groups of WF tiles that the Tracker follows together). Full-speed work per packet = T_GEMM/(N P).
- Symmetry (as in the paper's simulator): the neighbour's contribution to my stage-s chunk arrives when my
  own stage-(s-1) packet has crossed the link, plus the latency alpha. So only one GPU is simulated.
- T3 data path: stage-0 packets leave as remote stores the moment they are produced; for 1 <= s <= N-2 the
  Tracker fires a DMA when both the local packet and the incoming packet are complete (DMA reads the partial
  sum from DRAM and sends it); stage N-1 (the owned chunk) is complete when local and incoming are.
- Link: one FIFO server, bytes at ``link_bw``, delivery ``link_latency`` later.
- DRAM: utilisations u_g (GEMM reads + local writes) and u_c (DMA reads + incoming near-memory updates, each
  incoming byte costing ``nmc_kappa``). Arbitration:
  * proportional (T3 default, FR-FCFS proxy): if u_g + u_c > 1 both are scaled down in proportion; GEMM
    requests queue behind communication requests: interference I = u_c / (1 - u);
  * MCA: the GEMM has priority; communication is issued only while u < ``mca_threshold`` (with a starvation
    floor ``mca_floor``): u_c <= max(floor, threshold - u_g); interference I = min(u_c, floor) / (1 - u_g).
  The GEMM then progresses at rate 1 / (1 + interference_gamma * I).
- sw-split baseline: the GEMM runs on n_cu - cu_split CUs with a launch/sync cost per chunk; a CU-based ring
  kernel on cu_split CUs reduces each chunk once the GEMM chunk is done (4 DRAM bytes per link byte, limited to
  cu_split * cu_mem_gbps), under proportional arbitration; each hop adds the kernel's per-step sync and the
  reduction of one packet, and a step starts only when the previous step has fully arrived (as in the
  baseline ring kernel).
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

from paperkit.t3 import closed_form as cf
from paperkit.t3.hardware import HardwareProfile
from paperkit.t3.params import ModelParams
from paperkit.t3.workloads import Workload

DES_MODES = ("t3", "t3-mca", "sw-split")
_EPS = 1e-15
_U_CAP = 0.95  # utilisation cap inside the queueing term 1/(1-u)


@dataclass
class DesResult:
    """Outcome of one DES run. Times in s; rates in bytes/s (timeline columns)."""

    rs_done: float          # fused GEMM + RS complete
    gemm_done: float        # last GEMM packet done
    ag_time: float          # all-gather appended after RS
    gemm_alone: float       # the GEMM's time without contention (on its CUs)
    tracker_peak_tiles: int  # most WG tiles of stages 1..N-2 locally complete whose DMA has not left yet
    n_events: int
    timeline: list[tuple[float, float, float, float, float, float]] = field(default_factory=list)
    """(t0, t1, gemm_read, gemm_write, rs_read, rs_write) rates over [t0, t1)."""

    @property
    def total(self) -> float:
        return self.rs_done + self.ag_time


def run_des(w: Workload, hw: HardwareProfile, p: ModelParams, mode: str = "t3",
            record: bool = False) -> DesResult:
    """Simulate one fused GEMM-RS sublayer (then a sequential AG). ``mode`` in t3, t3-mca, sw-split."""
    if mode not in DES_MODES:
        raise ValueError(f"unknown DES mode {mode!r}; choose one of {DES_MODES}")
    n, pk = w.tp, p.packets_per_stage
    sw = mode == "sw-split"
    mca = mode == "t3-mca"
    if sw and p.cu_split >= hw.n_cu:
        raise ValueError(f"cu_split={p.cu_split} must be below n_cu={hw.n_cu}")
    gemm_cus = hw.n_cu - p.cu_split if sw else hw.n_cu
    t_gemm = cf.gemm_time(w, hw, p, n_cu=gemm_cus)
    work_pkt = t_gemm / (n * pk)
    chunk_over = p.sw_chunk_overhead_us * 1e-6 if sw else 0.0
    B = hw.dram_bw
    beta = hw.link_bw
    alpha = hw.link_latency
    pkt_bytes = w.out_bytes / (n * pk)
    rho = cf.llc_reread_factor(w, hw, p, bypass_output=not sw)
    read_rate = rho * (w.a_bytes + w.b_bytes) / t_gemm     # bytes/s at full GEMM speed
    write_rate = w.out_bytes / t_gemm
    if sw:
        comm_cap_bw = min(B, p.cu_split * hw.cu_mem_gbps * 1e9)
        sw_step_delay = p.rs_step_overhead_us * 1e-6 + 3 * pkt_bytes / comm_cap_bw
    rows, cols = cf.gemm_tiles(w, p)
    tiles_per_pkt = math.ceil(rows * cols / (n * pk))

    # GEMM progress state: packets in stage-major order
    g_total = n * pk
    g_idx = 0
    g_rem = work_pkt + chunk_over
    gemm_done = [[math.inf] * pk for _ in range(n)]
    arrival = [[math.inf] * pk for _ in range(n)]  # arrival (at my neighbour == at me, by symmetry) of (s, k)
    ready_q: list[tuple[float, int, int]] = []      # (release time, s, k) of packets known to be releasable
    link_pkt: tuple[int, int] | None = None
    link_rem = 0.0
    sent = 0
    to_send = (n - 1) * pk
    now = 0.0
    events = 0
    tracked = 0
    tracker_peak = 0
    timeline: list[tuple[float, float, float, float, float, float]] = []

    def release_time(s: int, k: int) -> float:
        if sw:  # the CU ring kernel syncs per step and reduces a packet before forwarding it
            if s == 0:
                return gemm_done[0][pk - 1]
            return max(gemm_done[s][pk - 1], max(arrival[s - 1])) + sw_step_delay  # step-synchronous
        return gemm_done[s][k] if s == 0 else max(gemm_done[s][k], arrival[s - 1][k])

    while g_idx < g_total or sent < to_send:
        events += 1
        # start the link on the earliest released packet
        if link_pkt is None and ready_q and ready_q[0][0] <= now + _EPS:
            _, s0, k0 = heapq.heappop(ready_q)
            link_pkt, link_rem = (s0, k0), pkt_bytes
        gemm_active = g_idx < g_total
        s_g = g_idx // pk if gemm_active else -1
        # nominal demands (fractions of B)
        if gemm_active:
            g_read = read_rate
            g_write = 0.0 if (s_g == 0 and not sw) else write_rate
            if chunk_over and g_rem > work_pkt:  # launch/sync gap: no DRAM traffic
                g_read = g_write = 0.0
        else:
            g_read = g_write = 0.0
        u_g = (g_read + g_write) / B
        r_l = 0.0
        c_read_f = c_write_f = cost = 0.0
        if link_pkt is not None:
            s_l = link_pkt[0]
            if sw:
                c_read_f, c_write_f, cost = 2.0, 2.0, 4.0
                r_l = min(beta, comm_cap_bw / cost)
            else:
                c_read_f = 1.0 if s_l >= 1 else 0.0
                c_write_f = 1.0
                cost = c_read_f + p.nmc_kappa
                r_l = beta
        u_c = r_l * cost / B
        r_g = 1.0 if gemm_active else 0.0
        if mca and link_pkt is not None:
            cap = max(p.mca_floor, p.mca_threshold - u_g)
            if u_c > cap:
                r_l *= cap / u_c
                u_c = cap
            interf = min(u_c, p.mca_floor) / (1.0 - min(u_g, _U_CAP))
        else:
            u = u_g + u_c
            if u > 1.0:
                r_l /= u
                r_g /= u
                u_c /= u
            interf = u_c / (1.0 - min(u_g + u_c, _U_CAP)) if u_g > 0 else 0.0
        if gemm_active and (not chunk_over or g_rem <= work_pkt):
            r_g /= 1.0 + p.interference_gamma * interf
        # next event
        dt = math.inf
        if gemm_active:
            dt = g_rem / r_g
        if link_pkt is not None:
            dt = min(dt, link_rem / r_l)
        elif ready_q:
            dt = min(dt, max(0.0, ready_q[0][0] - now))
        if not math.isfinite(dt):
            raise RuntimeError(f"DES deadlock for {w.label} ({mode}) at t={now}")
        t1 = now + dt
        if record and dt > 0:
            timeline.append((now, t1, g_read * r_g, g_write * r_g, c_read_f * r_l, c_write_f * r_l))
        # advance
        if gemm_active:
            g_rem -= r_g * dt
        if link_pkt is not None:
            link_rem -= r_l * dt
        now = t1
        if gemm_active and g_rem <= work_pkt * 1e-9:
            s, k = divmod(g_idx, pk)
            gemm_done[s][k] = now
            if 1 <= s <= n - 2:  # tiles the Tracker holds until their DMA leaves
                tracked += tiles_per_pkt
            g_idx += 1
            if g_idx < g_total:
                g_rem = work_pkt + (chunk_over if g_idx % pk == 0 else 0.0)
            if s <= n - 2:
                if sw:
                    if k == pk - 1 and (s == 0 or math.isfinite(max(arrival[s - 1]))):
                        for kk in range(pk):
                            heapq.heappush(ready_q, (release_time(s, kk), s, kk))
                elif s == 0 or math.isfinite(arrival[s - 1][k]):
                    heapq.heappush(ready_q, (release_time(s, k), s, k))
        if link_pkt is not None and link_rem <= pkt_bytes * 1e-9:
            s, k = link_pkt
            arrival[s][k] = now + alpha
            sent += 1
            if s >= 1:
                tracked -= tiles_per_pkt
            link_pkt = None
            nxt = s + 1
            if nxt <= n - 2:
                if sw:
                    if math.isfinite(gemm_done[nxt][pk - 1]) and math.isfinite(max(arrival[s])):
                        for kk in range(pk):
                            heapq.heappush(ready_q, (release_time(nxt, kk), nxt, kk))
                elif math.isfinite(gemm_done[nxt][k]):
                    heapq.heappush(ready_q, (release_time(nxt, k), nxt, k))
        tracker_peak = max(tracker_peak, tracked)

    last_gemm = gemm_done[n - 1][pk - 1]
    final = max([last_gemm] + [arrival[n - 2][k] for k in range(pk)])
    return DesResult(rs_done=final, gemm_done=last_gemm, ag_time=cf.ag_time(w, hw, p), gemm_alone=t_gemm,
                     tracker_peak_tiles=tracker_peak, n_events=events, timeline=timeline)
