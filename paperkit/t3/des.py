"""Discrete-event model of one GPU in a symmetric ring running a fused GEMM + reduce-scatter.

Design (contention as a mechanism, no free slowdown multiplier):

- Fluid model: between two events every stream runs at a constant rate, recomputed at each event from
  the DRAM arbitration. One function per mode (:func:`run_t3`, :func:`run_t3_mca`, :func:`run_sw_split`)
  builds a :class:`_Mode` (arbitration, data path, release rule) and hands it to one event loop (:func:`_run`).
- GEMM DRAM demand over time, from its shape: the N stages (staggered order c_g(s) = (g + s) mod N) are
  split into ``packets_per_stage`` packets. Each packet first fetches its operands (bytes = LLC re-read
  factor x (A + B) / packets, so tile traffic, K and LLC reuse enter through ``closed_form``), issued as a
  burst of ``gemm_read_burst`` x the mean read rate (capped by what DRAM can carry), then computes; its
  output is written during the whole packet (Sequential/sw-split: plain writes; T3: near-memory updates of
  occupancy ``nmc_kappa`` per byte; T3 stage 0: remote stores, no local DRAM). The packet's full-speed time
  is T_GEMM/(N P), so alone the DES GEMM takes exactly the closed-form T_GEMM.
- Reduce-scatter traffic, step by step: a packet on the link costs DRAM ``(reads + kappa x updates)`` per
  link byte (T3: DMA read of the partial sum for stages >= 1, plus the neighbour's incoming update, which by
  symmetry arrives at the same rate); the CU-based ring of sw-split reads local + received and writes
  incoming + result (4 bytes per link byte, capped by its CUs).
- Arbitration (bytes/s granted from demands d_g, d_c, bandwidth B):
  * proportional (T3 without MCA; FR-FCFS proxy): both get their demand if d_g + d_c <= B, else both are
    scaled by B / (d_g + d_c);
  * MCA: the GEMM has priority; communication is issued only while the GEMM's demand is below a dynamic
    threshold theta_dyn = u1 + mca_threshold (1 - u1), u1 = the GEMM's DRAM utilisation measured in its
    first stage, and a starvation floor ``mca_floor`` always goes to communication.
- The GEMM slows down only by its bandwidth shortfall: in each phase its rate is min(1, granted / demand).
  A memory-bound phase (the operand burst) therefore slows under contention; a compute phase whose writes
  fit in what is left does not.
- Symmetry (as in the paper's simulator): the neighbour's contribution to my stage-s chunk arrives when my
  own stage-(s-1) packet has crossed the link, plus the latency alpha. Only one GPU is simulated.
- Release: T3 forwards a packet once its local part and the incoming part are done (Tracker + DMA);
  sw-split's ring kernel is step-synchronous and adds a per-step sync and the reduction of one packet.
"""
from __future__ import annotations

import functools
import heapq
import math
from dataclasses import dataclass, field
from typing import Callable

from paperkit.t3 import closed_form as cf
from paperkit.t3.hardware import HardwareProfile
from paperkit.t3.params import ModelParams
from paperkit.t3.workloads import Workload

DES_MODES = ("t3", "t3-mca", "sw-split")
_EPS = 1e-15


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


# ------------------------------------------------------------------------------------------- arbitration
def share_proportional(d_g: float, d_c: float, bw: float) -> tuple[float, float]:
    """Bandwidth granted to (GEMM, communication) under demand-proportional sharing."""
    tot = d_g + d_c
    if tot <= bw:
        return d_g, d_c
    return d_g * bw / tot, d_c * bw / tot


def share_mca(d_g: float, d_c: float, bw: float, theta: float, floor: float) -> tuple[float, float]:
    """MCA: GEMM first; communication gets at most max(floor, theta - d_g) (all in bytes/s)."""
    a_c = min(d_c, max(floor, theta - d_g))
    a_g = min(d_g, bw - a_c)
    return a_g, min(a_c, bw - a_g)


def first_stage_utilisation(w: Workload, hw: HardwareProfile, p: ModelParams) -> float:
    """u1: the GEMM's mean DRAM utilisation in stage 0 of T3 (operand reads; its outputs go remote)."""
    rho = cf.llc_reread_factor(w, hw, p, bypass_output=True)
    return min(1.0, rho * (w.a_bytes + w.b_bytes) / cf.gemm_time(w, hw, p) / hw.dram_bw)


def mca_threshold_bw(w: Workload, hw: HardwareProfile, p: ModelParams) -> float:
    """MCA's dynamic threshold in bytes/s: u1 + mca_threshold x (1 - u1), times B."""
    u1 = first_stage_utilisation(w, hw, p)
    return (u1 + p.mca_threshold * (1.0 - u1)) * hw.dram_bw


def gemm_demand_profile(w: Workload, hw: HardwareProfile, p: ModelParams, n_cu: int | None = None,
                        bypass_output: bool = True) -> dict[str, float]:
    """The GEMM's DRAM demand over a packet at full speed, from its shape (bytes/s; shares 0..1).

    read_mean_bps: LLC re-read factor x (A + B) / T_GEMM; fetch_peak_bps: the operand burst,
    min(gemm_read_burst x mean, B - output rate) but never below the mean; fetch_share: the part of each
    packet spent in the burst (its memory-bound phase); write_bps: output bytes / T_GEMM.
    """
    t_gemm = cf.gemm_time(w, hw, p, n_cu=n_cu)
    read = cf.llc_reread_factor(w, hw, p, bypass_output=bypass_output) * (w.a_bytes + w.b_bytes) / t_gemm
    write = w.out_bytes / t_gemm
    peak = max(read, min(hw.dram_bw - write, p.gemm_read_burst * read))
    return {"read_mean_bps": read, "fetch_peak_bps": peak, "fetch_share": read / peak if peak > 0 else 0.0,
            "write_bps": write}


# ----------------------------------------------------------------------------------------------- modes
@dataclass
class _Mode:
    """What differs between the DES modes."""

    name: str
    gemm_cus: int
    write_cost: Callable[[int], float]          # DRAM occupancy per output byte of stage s
    comm_cost: Callable[[int], tuple[float, float, float]]  # stage -> (read, write bytes, occupancy) per link byte
    allocate: Callable[[float, float], tuple[float, float]]
    comm_cap_bw: float                          # most DRAM bandwidth the communication can draw
    chunk_overhead_s: float = 0.0               # per-stage launch/sync gap of the GEMM (sw-split)
    step_delay_s: float | None = None           # sw-split: step-synchronous release with this delay
    bypass_output: bool = True


def _t3_mode(hw: HardwareProfile, p: ModelParams, name: str, allocate) -> _Mode:
    return _Mode(name=name, gemm_cus=hw.n_cu, write_cost=lambda s: 0.0 if s == 0 else p.nmc_kappa,
                 comm_cost=lambda s: ((1.0 if s >= 1 else 0.0), 1.0, (1.0 if s >= 1 else 0.0) + p.nmc_kappa),
                 allocate=allocate, comm_cap_bw=hw.dram_bw)


def run_t3(w: Workload, hw: HardwareProfile, p: ModelParams, record: bool = False) -> DesResult:
    """T3 without MCA: proportional DRAM sharing between the GEMM and the RS traffic."""
    bw = hw.dram_bw
    return _run(w, hw, p, _t3_mode(hw, p, "t3", lambda g, c: share_proportional(g, c, bw)), record)


def run_t3_mca(w: Workload, hw: HardwareProfile, p: ModelParams, record: bool = False) -> DesResult:
    """T3-MCA: GEMM priority, communication under the dynamic threshold and the starvation floor."""
    bw, theta, floor = hw.dram_bw, mca_threshold_bw(w, hw, p), p.mca_floor * hw.dram_bw
    return _run(w, hw, p, _t3_mode(hw, p, "t3-mca", lambda g, c: share_mca(g, c, bw, theta, floor)), record)


def run_sw_split(w: Workload, hw: HardwareProfile, p: ModelParams, record: bool = False) -> DesResult:
    """Software baseline: chunked GEMM on n_cu - cu_split CUs, CU ring RS on cu_split CUs, proportional DRAM."""
    if p.cu_split >= hw.n_cu:
        raise ValueError(f"cu_split={p.cu_split} must be below n_cu={hw.n_cu}")
    bw = hw.dram_bw
    cap = min(bw, p.cu_split * hw.cu_mem_gbps * 1e9)
    pkt_bytes = w.out_bytes / (w.tp * p.packets_per_stage)
    return _run(w, hw, p, _Mode(
        name="sw-split", gemm_cus=hw.n_cu - p.cu_split, write_cost=lambda s: 1.0,
        comm_cost=lambda s: (2.0, 2.0, 4.0), allocate=lambda g, c: share_proportional(g, c, bw),
        comm_cap_bw=cap,
        chunk_overhead_s=(hw.chunk_overhead_us if hw.chunk_overhead_us >= 0 else p.sw_chunk_overhead_us) * 1e-6,
        step_delay_s=p.rs_step_overhead_us * 1e-6 + 3 * pkt_bytes / cap, bypass_output=False), record)


_RUNNERS = {"t3": run_t3, "t3-mca": run_t3_mca, "sw-split": run_sw_split}


@functools.lru_cache(maxsize=4096)
def _run_cached(w: Workload, hw: HardwareProfile, p: ModelParams, mode: str) -> DesResult:
    return _RUNNERS[mode](w, hw, p, False)


def clear_memo() -> None:
    """Forget memoised DES runs (the benchmark starts from an empty memo)."""
    _run_cached.cache_clear()


def run_des(w: Workload, hw: HardwareProfile, p: ModelParams, mode: str = "t3",
            record: bool = False) -> DesResult:
    """Simulate one fused GEMM-RS sublayer (then a sequential AG). ``mode`` in t3, t3-mca, sw-split.

    Runs without a timeline are memoised (every input is a frozen dataclass; the DES is deterministic)."""
    if mode not in _RUNNERS:
        raise ValueError(f"unknown DES mode {mode!r}; choose one of {DES_MODES}")
    return _RUNNERS[mode](w, hw, p, True) if record else _run_cached(w, hw, p, mode)


# -------------------------------------------------------------------------------------------- the loop
class _Ring:
    """State of the simulated GPU: GEMM packets ([gap], fetch, compute phase), link, releases.

    Per stage, the demands are precomputed: ``phase_demand[s][kind]`` = (read, write, occupancy) bytes/s of the
    GEMM at full speed; ``comm[s]`` = (read, write bytes per link byte, occupancy per link byte, demand bytes/s).
    """

    def __init__(self, w: Workload, hw: HardwareProfile, p: ModelParams, m: _Mode, record: bool = False):
        self.n, self.pk, self.m = w.tp, p.packets_per_stage, m
        self.t_gemm = cf.gemm_time(w, hw, p, n_cu=m.gemm_cus)
        self.t_pkt = self.t_gemm / (self.n * self.pk)
        prof = gemm_demand_profile(w, hw, p, m.gemm_cus, m.bypass_output)
        out, peak, self.fetch_frac = prof["write_bps"], prof["fetch_peak_bps"], prof["fetch_share"]
        self.comm = [m.comm_cost(s) + (min(hw.link_bw * m.comm_cost(s)[2], m.comm_cap_bw),) for s in range(self.n)]
        self.phase_demand = []
        for s in range(self.n):
            cost = m.write_cost(s)
            wr = out if cost > 0 else 0.0
            self.phase_demand.append({"gap": (0.0, 0.0, 0.0), "fetch": (peak, wr, peak + wr * cost),
                                      "compute": (0.0, wr, wr * cost),
                                      "packet": (prof["read_mean_bps"], wr, prof["read_mean_bps"] + wr * cost)})
        # Without a timeline, a packet whose burst cannot run short (the burst and the largest communication
        # demand are both granted in full) needs no fetch/compute resolution: one phase at the mean demand
        # gives the same times with half the events.
        d_c = max(c[3] for c in self.comm)
        self.merge = not record and all(m.allocate(d["fetch"][2], d_c) == (d["fetch"][2], d_c)
                                        for d in self.phase_demand)
        self.pkt_bytes = w.out_bytes / (self.n * self.pk)
        self.alpha = hw.link_latency
        rows, cols = cf.gemm_tiles(w, p)
        self.tiles_per_pkt = math.ceil(rows * cols / (self.n * self.pk))
        self.gemm_done = [[math.inf] * self.pk for _ in range(self.n)]
        self.arrival = [[math.inf] * self.pk for _ in range(self.n)]
        self.ready: list[tuple[float, int, int]] = []
        self.g_idx, self.link, self.link_rem, self.sent = 0, None, 0.0, 0
        self.tracked = self.peak_tracked = 0
        self._start_packet()

    def _start_packet(self) -> None:
        """Phases of the next GEMM packet: [gap], fetch, compute as [demand, remaining full-speed s]."""
        dem = self.phase_demand[self.g_idx // self.pk]
        gap = self.m.chunk_overhead_s if self.g_idx % self.pk == 0 else 0.0
        parts = ((("packet", self.t_pkt),) if self.merge else
                 (("fetch", self.fetch_frac * self.t_pkt), ("compute", (1 - self.fetch_frac) * self.t_pkt)))
        self.phases = [[dem[k], t] for k, t in (("gap", gap),) + parts if t > 0]

    def gemm_finished_phase(self, now: float) -> None:
        self.phases.pop(0)
        if self.phases:
            return
        s, k = divmod(self.g_idx, self.pk)
        self.gemm_done[s][k] = now
        self.tracked += self.tiles_per_pkt if 1 <= s <= self.n - 2 else 0
        self.g_idx += 1
        if self.g_idx < self.n * self.pk:
            self._start_packet()
        if s <= self.n - 2:
            self._maybe_release(s, k)

    def _release_time(self, s: int, k: int) -> float:
        if self.m.step_delay_s is None:
            return self.gemm_done[s][k] if s == 0 else max(self.gemm_done[s][k], self.arrival[s - 1][k])
        if s == 0:
            return self.gemm_done[0][self.pk - 1]
        return max(self.gemm_done[s][self.pk - 1], max(self.arrival[s - 1])) + self.m.step_delay_s

    def _maybe_release(self, s: int, k: int) -> None:
        """Queue packet (s, k) for the link once its local and incoming parts are both known."""
        if self.m.step_delay_s is None:
            if math.isfinite(self.gemm_done[s][k]) and (s == 0 or math.isfinite(self.arrival[s - 1][k])):
                heapq.heappush(self.ready, (self._release_time(s, k), s, k))
            return
        whole = math.isfinite(self.gemm_done[s][self.pk - 1])
        if whole and (s == 0 or math.isfinite(max(self.arrival[s - 1]))) and k == self.pk - 1:
            for kk in range(self.pk):
                heapq.heappush(self.ready, (self._release_time(s, kk), s, kk))

    def link_finished(self, now: float) -> None:
        s, k = self.link
        self.arrival[s][k] = now + self.alpha
        self.sent += 1
        self.tracked -= self.tiles_per_pkt if s >= 1 else 0
        self.link = None
        if s + 1 <= self.n - 2:
            self._maybe_release(s + 1, k if self.m.step_delay_s is None else self.pk - 1)


_IDLE = (0.0, 0.0, 0.0, 0.0)


def _run(w: Workload, hw: HardwareProfile, p: ModelParams, m: _Mode, record: bool) -> DesResult:
    """The event loop shared by every mode."""
    r = _Ring(w, hw, p, m, record)
    total_pkts, to_send, allocate, ready = r.n * r.pk, (r.n - 1) * r.pk, m.allocate, r.ready
    now, events, timeline, tol_g, tol_l = 0.0, 0, [], r.t_pkt * 1e-9, r.pkt_bytes * 1e-9
    while r.g_idx < total_pkts or r.sent < to_send:
        events += 1
        if r.link is None and ready and ready[0][0] <= now + _EPS:
            _, s0, k0 = heapq.heappop(ready)
            r.link, r.link_rem = (s0, k0), r.pkt_bytes
        gemm_active = r.g_idx < total_pkts
        phase = r.phases[0] if gemm_active else None
        g_read, g_write, d_g = phase[0] if gemm_active else _IDLE[:3]
        c_read, c_write, c_cost, d_c = r.comm[r.link[0]] if r.link is not None else _IDLE
        a_g, a_c = allocate(d_g, d_c)
        r_g = (a_g / d_g if 0 < a_g < d_g else (1.0 if a_g >= d_g else 0.0)) if gemm_active else 0.0
        r_l = a_c / c_cost if r.link is not None else 0.0
        dt = phase[1] / r_g if gemm_active and r_g > 0 else math.inf
        if r.link is not None and r_l > 0:
            dt = min(dt, r.link_rem / r_l)
        elif r.link is None and ready:
            dt = min(dt, max(0.0, ready[0][0] - now))
        if dt == math.inf:
            raise RuntimeError(f"DES deadlock for {w.label} ({m.name}) at t={now}")
        if record and dt > 0:
            timeline.append((now, now + dt, g_read * r_g, g_write * r_g, c_read * r_l, c_write * r_l))
        now += dt
        if gemm_active:
            phase[1] -= r_g * dt
            if phase[1] <= tol_g:
                r.gemm_finished_phase(now)
        if r.link is not None:
            r.link_rem -= r_l * dt
            if r.link_rem <= tol_l:
                r.link_finished(now)
        if r.tracked > r.peak_tracked:
            r.peak_tracked = r.tracked
    last_gemm = r.gemm_done[r.n - 1][r.pk - 1]
    final = max([last_gemm] + r.arrival[r.n - 2])
    return DesResult(rs_done=final, gemm_done=last_gemm, ag_time=cf.ag_time(w, hw, p), gemm_alone=r.t_gemm,
                     tracker_peak_tiles=r.peak_tracked, n_events=events, timeline=timeline)
