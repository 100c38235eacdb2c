"""Discrete-event model of one GPU in a symmetric ring running a fused GEMM + reduce-scatter.

Design (contention as a mechanism, no free slowdown multiplier):

- Fluid model: between two events every stream runs at a constant rate, recomputed at each event by the
  memory controller's arbiter (``dram.py``). One function per mode (:func:`run_t3`, :func:`run_t3_mca`,
  :func:`run_sw_split`) builds a :class:`_Mode` (arbiter, data path, release rule) for one event loop (:func:`_run`).
- GEMM DRAM demand, from its shape: the N stages (staggered order c_g(s) = (g + s) mod N) are split into
  ``packets_per_stage`` packets; each packet reads its share of the GEMM's reads after the LLC (``llc.py``:
  explicit tiles and wave order) and stores its output (Sequential/sw-split: plain writes; T3: near-memory
  updates; T3 stage 0: remote stores, no local DRAM). At full speed a packet takes T_GEMM/(N P).
- Reduce-scatter traffic per link byte: T3: the DMA read of the partial sum (stages >= 1) and the
  neighbour's incoming update (by symmetry at the same rate); the CU ring of sw-split: local + received
  reads, the incoming write and, spread over the steps, the final result write.
- Arbitration: the arbiter returns progress fractions for the GEMM and the communication from their
  demands; FR-FCFS (T3) loses DRAM time to interleaving, MCA (T3-MCA) holds the communication back while the
  memory queue is busy (``dram.FrFcfs``, ``dram.Mca``). The GEMM slows only by its DRAM shortfall.
- Tracker (``tracker_entries``, Table 1: 256): a GEMM packet of stages 1..N-2 whose incoming update has not
  arrived takes one entry per WG tile when it starts; the entries are freed when the DMA reads the tile. When
  the entries are all in use the producer stalls (``tracker_full = "stall"``) until a DMA frees some.
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

from paperkit.t3 import closed_form as cf
from paperkit.t3 import dram
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
    tracker_peak_tiles: int  # most Tracker entries (WG tiles) in use at once
    tracker_stall_s: float  # time the producer stalled on a full Tracker
    n_events: int
    timeline: list[tuple] = field(default_factory=list)
    """(t0, t1, gemm_read, gemm_write, rs_read, rs_write, rs_update, ag_read, ag_write) rates over [t0, t1)."""

    @property
    def total(self) -> float:
        return self.rs_done + self.ag_time


# ----------------------------------------------------------------------------------------------- modes
@dataclass
class _Mode:
    """What differs between the DES modes."""

    name: str
    gemm_cus: int
    output: tuple[str, ...]                     # per stage: 'writes', 'updates' or 'none' (remote stores)
    comm: tuple[dram.Traffic, ...]              # per stage: DRAM bytes per link byte
    arbiter: dram.Arbiter
    comm_cap_bw: float                          # most channel bytes/s the communication can draw
    chunk_overhead_s: float = 0.0               # per-stage launch/sync gap of the GEMM (sw-split)
    step_delay_s: float | None = None           # sw-split: step-synchronous release with this delay
    bypass_output: bool = True
    tracker_entries: int | None = None          # None: no Tracker (sw-split)


def _t3_mode(w: Workload, hw: HardwareProfile, name: str, arbiter: dram.Arbiter) -> _Mode:
    n = w.tp
    return _Mode(name=name, gemm_cus=hw.n_cu, output=("none",) + ("updates",) * (n - 1),
                 comm=tuple(dram.Traffic(reads=1.0 if s >= 1 else 0.0, updates=1.0) for s in range(n)),
                 arbiter=arbiter, comm_cap_bw=hw.dram_bw, tracker_entries=hw.tracker_entries)


def run_t3(w: Workload, hw: HardwareProfile, p: ModelParams, record: bool = False) -> DesResult:
    """T3 without MCA: FR-FCFS, the RS interleaved with the GEMM's reads (``dram.FrFcfs``)."""
    return _run(w, hw, p, _t3_mode(w, hw, "t3", dram.FrFcfs(hw.dram_bw, p.interleave_run)), record)


def mca_threshold(w: Workload, hw: HardwareProfile, p: ModelParams) -> float:
    """MCA's dynamic threshold (requests) from the GEMM's DRAM share in its first stage (``dram.dynamic_threshold``)."""
    t = cf.gemm_time(w, hw, p)
    return dram.dynamic_threshold(dram.cost(cf.gemm_traffic(w, hw, p, t, True, "none"), hw.dram_bw))


def run_t3_mca(w: Workload, hw: HardwareProfile, p: ModelParams, record: bool = False) -> DesResult:
    """T3-MCA: GEMM first, the RS issued only below the queue-occupancy threshold (``dram.Mca``)."""
    arb = dram.Mca(hw.dram_bw, mca_threshold(w, hw, p), p.mca_floor, p.interleave_run)
    return _run(w, hw, p, _t3_mode(w, hw, "t3-mca", arb), record)


def run_sw_split(w: Workload, hw: HardwareProfile, p: ModelParams, record: bool = False) -> DesResult:
    """Software baseline: chunked GEMM on n_cu - cu_split CUs, CU ring RS on cu_split CUs, FR-FCFS."""
    if p.cu_split >= hw.n_cu:
        raise ValueError(f"cu_split={p.cu_split} must be below n_cu={hw.n_cu}")
    cap = min(hw.dram_bw, p.cu_split * hw.cu_mem_gbps * 1e9)
    pkt_bytes = w.out_bytes / (w.tp * p.packets_per_stage)
    per_link = dram.Traffic(reads=2.0, writes=1.0 + 1.0 / (w.tp - 1))
    return _run(w, hw, p, _Mode(
        name="sw-split", gemm_cus=hw.n_cu - p.cu_split, output=("writes",) * w.tp, comm=(per_link,) * w.tp,
        arbiter=dram.FrFcfs(hw.dram_bw, p.interleave_run), comm_cap_bw=cap,
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
    """State of the simulated GPU: GEMM packets ([gap], work), Tracker, link, releases.

    ``gemm_demand[s]``: the GEMM's DRAM demand (dram.Traffic, bytes/s) at full speed in stage s;
    ``comm_demand[s]``: the RS's demand at its full rate ``comm_rate[s]`` (link bytes/s).
    """

    def __init__(self, w: Workload, hw: HardwareProfile, p: ModelParams, m: _Mode):
        self.n, self.pk, self.m = w.tp, p.packets_per_stage, m
        self.t_gemm = cf.gemm_time(w, hw, p, n_cu=m.gemm_cus)
        self.t_pkt = self.t_gemm / (self.n * self.pk)
        self.gemm_demand = [cf.gemm_traffic(w, hw, p, self.t_gemm, m.bypass_output, m.output[s])
                            for s in range(self.n)]
        self.comm_rate = [min(hw.link_bw, m.comm_cap_bw / c.total) for c in m.comm]
        self.comm_demand = [c.scaled(r) for c, r in zip(m.comm, self.comm_rate)]
        self.pkt_bytes = w.out_bytes / (self.n * self.pk)
        self.alpha = hw.link_latency
        rows, cols = cf.gemm_tiles(w, p)
        self.tiles_per_pkt = math.ceil(rows * cols / (self.n * self.pk))
        self.gemm_done = [[math.inf] * self.pk for _ in range(self.n)]
        self.arrival = [[math.inf] * self.pk for _ in range(self.n)]
        self.holds = [[0] * self.pk for _ in range(self.n)]   # Tracker entries held by packet (s, k)
        self.ready: list[tuple[float, int, int]] = []
        self.g_idx, self.link, self.link_rem, self.sent = 0, None, 0.0, 0
        self.tracked = self.peak_tracked = 0
        self.blocked, self.stall_s = False, 0.0
        self._start_packet()

    def _needs_entries(self, s: int, k: int) -> int:
        if self.m.tracker_entries is None or not 1 <= s <= self.n - 2 or math.isfinite(self.arrival[s - 1][k]):
            return 0
        return self.tiles_per_pkt

    def _start_packet(self) -> None:
        """Phases of the next GEMM packet ([gap], work), or a stall when the Tracker is full."""
        s, k = divmod(self.g_idx, self.pk)
        need = self._needs_entries(s, k)
        if need and self.tracked and self.tracked + need > self.m.tracker_entries:
            self.blocked, self.phases = True, []
            return
        self.blocked = False
        self.holds[s][k] = need
        self.tracked += need
        self.peak_tracked = max(self.peak_tracked, self.tracked)
        gap = self.m.chunk_overhead_s if k == 0 else 0.0
        dem = self.gemm_demand[s]
        self.phases = [[d, t] for d, t in ((dram.Traffic(), gap), (dem, self.t_pkt)) if t > 0]

    def gemm_finished_phase(self, now: float) -> None:
        self.phases.pop(0)
        if self.phases:
            return
        s, k = divmod(self.g_idx, self.pk)
        self.gemm_done[s][k] = now
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

    def link_started(self, s: int, k: int) -> None:
        """The DMA reads packet (s, k): its Tracker entries are free again (a stalled producer resumes)."""
        self.link, self.link_rem = (s, k), self.pkt_bytes
        self.tracked -= self.holds[s][k]
        self.holds[s][k] = 0
        if self.blocked:
            self._start_packet()

    def link_finished(self, now: float) -> None:
        s, k = self.link
        self.arrival[s][k] = now + self.alpha
        self.sent += 1
        self.link = None
        if s + 1 <= self.n - 2:
            self._maybe_release(s + 1, k if self.m.step_delay_s is None else self.pk - 1)


_IDLE = dram.Traffic()


def _step(r: _Ring, now: float) -> tuple[float, float, float, dram.Traffic, dram.Traffic]:
    """Rates until the next event: (dt, GEMM progress fraction, link bytes/s, GEMM and RS traffic)."""
    gemm_active = r.g_idx < r.n * r.pk and not r.blocked
    g = r.phases[0][0] if gemm_active else _IDLE
    s_l = r.link[0] if r.link is not None else None
    c = r.comm_demand[s_l] if s_l is not None else _IDLE
    f_g, f_c = r.m.arbiter(g, c)
    r_g = f_g if gemm_active else 0.0
    r_l = f_c * r.comm_rate[s_l] if s_l is not None else 0.0
    dt = r.phases[0][1] / r_g if gemm_active and r_g > 0 else math.inf
    if s_l is not None and r_l > 0:
        dt = min(dt, r.link_rem / r_l)
    elif s_l is None and r.ready:
        dt = min(dt, max(0.0, r.ready[0][0] - now))
    return dt, r_g, r_l, g.scaled(r_g), c.scaled(f_c)


def _run(w: Workload, hw: HardwareProfile, p: ModelParams, m: _Mode, record: bool) -> DesResult:
    """The event loop shared by every mode."""
    r = _Ring(w, hw, p, m)
    total_pkts, to_send, ready = r.n * r.pk, (r.n - 1) * r.pk, r.ready
    now, events, timeline, tol_g, tol_l = 0.0, 0, [], r.t_pkt * 1e-9, r.pkt_bytes * 1e-9
    while r.g_idx < total_pkts or r.sent < to_send:
        events += 1
        if r.link is None and ready and ready[0][0] <= now + _EPS:
            _, s0, k0 = heapq.heappop(ready)
            r.link_started(s0, k0)
        dt, r_g, r_l, g, c = _step(r, now)
        if dt == math.inf:
            raise RuntimeError(f"DES deadlock for {w.label} ({m.name}) at t={now}")
        if record and dt > 0:
            timeline.append((now, now + dt, g.reads, g.writes + g.updates, c.reads, c.writes, c.updates,
                             0.0, 0.0))
        if r.blocked:
            r.stall_s += dt
        now += dt
        if r_g > 0:
            r.phases[0][1] -= r_g * dt
            if r.phases[0][1] <= tol_g:
                r.gemm_finished_phase(now)
        if r.link is not None:
            r.link_rem -= r_l * dt
            if r.link_rem <= tol_l:
                r.link_finished(now)
    last_gemm = r.gemm_done[r.n - 1][r.pk - 1]
    final = max([last_gemm] + r.arrival[r.n - 2])
    return DesResult(rs_done=final, gemm_done=last_gemm, ag_time=cf.ag_time(w, hw, p), gemm_alone=r.t_gemm,
                     tracker_peak_tiles=r.peak_tracked, tracker_stall_s=r.stall_s, n_events=events,
                     timeline=timeline)
