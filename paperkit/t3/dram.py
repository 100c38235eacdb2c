"""HBM2 as a queue of banks: what a traffic mix costs in DRAM time, and the two arbitration policies.

Design (an analytic queue model; every loss is a timing mechanism with a sourced constant):

- Traffic is a rate triple (bytes/s): reads, plain writes, near-memory updates. An update is a
  read-modify-write inside the bank (the near-bank ALU reads the column, adds, writes it back): two column
  accesses of bank time for one atom of channel data.
- Cost = share of DRAM time the mix needs at bandwidth B (1.0 = all of it):
  * one atom time of the bus per read, write or update; in the banks, tCCDL per column access and two
    accesses per update (read-modify-write), spread over the 16 banks (``cost``);
  * write drains: writes and updates wait in the write queue and are drained between its high and low
    watermarks (``wq_high - wq_low`` atoms per drain); each drain turns the bus around twice (tRTW + tWTR);
  * interleaving: a communication stream whose accesses are served between the GEMM's reads breaks the
    open rows of both: every ``run`` atoms of it cost two row switches (2 (tRP + tRCD)). Under FR-FCFS the
    run is short (``interleave_run``, fitted); a stream issued alone, or MCA's held-back communication
    issued as a batch, keeps its rows open (its activations hide behind the other banks' transfers).
- FR-FCFS (T3 without MCA): communication is issued as it comes. With the GEMM using a share u of the
  DRAM time its requests are queued a share u of the time, and that share of the communication is served
  interleaved with them; the rest finds the queue empty. When the costs exceed the DRAM time, both slow by
  the same factor (demand-proportional service).
- MCA (paper Sec. 4.5): the GEMM has priority; communication is issued only while the memory-queue
  occupancy is below ``mca_threshold`` requests, work-conserving otherwise. The queue holds at least theta
  requests a share u**theta of the time (the M/M/1 occupancy tail): communication arriving then is held back
  and released as a batch once the queue drains. So only the share u - u**theta (0 < occupancy < theta) is
  interleaved, and only that part competes with the GEMM (as under FR-FCFS); when DRAM is short the batched
  rest gets what the GEMM leaves, never less than the starvation limit ``mca_floor`` (a share of DRAM time). theta = 1 holds everything back until the queue is empty;
  a large theta approaches FR-FCFS.

Timing constants: GPGPU-Sim's HBM configuration for the V100 model in Accel-Sim
(accel-sim/gpgpu-sim_distribution, configs/tested-cfgs/SM7_QV100/gpgpusim.config, "HBM timing adopted from
hynix JESD235"): nbk=16, CCD=1, RCD=12, RP=12, RC=40, RAS=28, CL=12, WL=2, CDLR=3, WR=10, burst length 2
on a 16-byte bus with data_command_freq_ratio 2 (32-byte atoms, one per command cycle), the address mapping's
6 column bits (64 atoms = a 2 KB row), FR-FCFS queue 64, write queue 64:56:32 (size:high:low watermark).
tRTW and tWTR follow GPGPU-Sim's own formulas (gpu-sim.h): tRTW = CL + BL/ratio + 2 - WL,
tWTR = WL + BL/ratio + CDLR. The timings are in command cycles; only their ratio to the atom time matters,
so they hold at Table 1's 1 TB/s.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class HbmTiming:
    """HBM2 timing in DRAM command cycles (GPGPU-Sim SM7_QV100 configuration, see the module docstring)."""

    atom_bytes: int = 32      # burst length 2 x 16-byte bus
    tCCD: int = 1             # one atom per command cycle
    tCCDL: int = 2            # column to column in the same bank group (CCDL)
    nbk: int = 16
    tRCD: int = 12
    tRP: int = 12
    tRC: int = 40
    CL: int = 12
    WL: int = 2
    tCDLR: int = 3
    tWR: int = 10
    burst_cycles: int = 1     # BL / data_command_freq_ratio = 2 / 2
    row_atoms: int = 64       # 2 KB row: 6 column bits x 32 B
    wq_high: int = 56         # -dram_write_queue_size 64:56:32
    wq_low: int = 32
    sched_queue: int = 64     # -gpgpu_frfcfs_dram_sched_queue_size

    @property
    def tRTW(self) -> int:
        """Read-to-write turnaround (GPGPU-Sim: CL + BL/ratio + 2 - WL)."""
        return self.CL + self.burst_cycles + 2 - self.WL

    @property
    def tWTR(self) -> int:
        """Write-to-read turnaround (GPGPU-Sim: WL + BL/ratio + CDLR)."""
        return self.WL + self.burst_cycles + self.tCDLR

    @property
    def row_switch(self) -> int:
        """Cycles to close one row and open another in a bank: tRP + tRCD."""
        return self.tRP + self.tRCD

    @property
    def drain_atoms(self) -> int:
        """Writes drained per write-queue drain: high minus low watermark."""
        return self.wq_high - self.wq_low

    @property
    def drain_overhead(self) -> float:
        """Extra atom times per drained write: two bus turnarounds per drain."""
        return (self.tRTW + self.tWTR) / self.tCCD / self.drain_atoms


HBM2 = HbmTiming()
UPDATE_ACCESSES = 2  # read-modify-write in the bank: a column read and a column write per atom


@dataclass(frozen=True)
class Traffic:
    """A DRAM demand in bytes/s."""

    reads: float = 0.0
    writes: float = 0.0
    updates: float = 0.0

    def scaled(self, f: float) -> "Traffic":
        return Traffic(self.reads * f, self.writes * f, self.updates * f)

    @property
    def total(self) -> float:
        """Bytes/s that cross the channel (an update's data crosses it once)."""
        return self.reads + self.writes + self.updates


def cost(t: Traffic, bw: float, run: float | None = None, timing: HbmTiming = HBM2) -> float:
    """Share of DRAM time that ``t`` needs at bandwidth ``bw`` (bytes/s).

    Bus: one atom time per read, write or update (an update's data crosses the channel once), plus the
    write-queue drains. Banks: a column access takes tCCDL in its bank, an update two (read-modify-write);
    the banks of a channel work in parallel, so the banks bind only when nbk / tCCDL atoms per cycle are not
    enough (never for these mixes; the term keeps the RMW explicit). ``run``: when given, ``t`` is a stream
    interleaved with another one at ``run`` atoms per row activation, each activation costing two row
    switches (its own row, and the other stream's row again); a stream issued alone or batched keeps its rows
    open and its activations hide behind the other banks' transfers.
    """
    bus = t.total + (t.writes + t.updates) * timing.drain_overhead
    banks = (t.reads + t.writes + UPDATE_ACCESSES * t.updates) * timing.tCCDL / timing.nbk
    conflicts = 0.0 if run is None else t.total * 2 * timing.row_switch / timing.tCCD / run
    return (max(bus, banks) + conflicts) / bw


class Arbiter(Protocol):
    """A memory-controller policy: progress fractions (GEMM, communication), each in [0, 1]."""

    def __call__(self, gemm: Traffic, comm: Traffic) -> tuple[float, float]: ...


def comm_cost(gemm: Traffic, comm: Traffic, bw: float, run: float, interleaved_share: float) -> float:
    """DRAM time share of the communication when a share ``interleaved_share`` of it is issued between the
    GEMM's queued requests (interleaved, ``run`` atoms per row) and the rest alone or batched."""
    return cost(comm, bw) * (1.0 - interleaved_share) + cost(comm, bw, run) * interleaved_share


@dataclass(frozen=True)
class FrFcfs:
    """T3 without MCA: communication issued as it comes; demand-proportional service when DRAM is short."""

    bw: float
    run: float

    def __call__(self, gemm: Traffic, comm: Traffic) -> tuple[float, float]:
        u_g = cost(gemm, self.bw)
        u = u_g + comm_cost(gemm, comm, self.bw, self.run, min(u_g, 1.0))
        return (1.0, 1.0) if u <= 1.0 else (1.0 / u, 1.0 / u)


@dataclass(frozen=True)
class Mca:
    """T3-MCA: GEMM first; communication only while the queue holds fewer than ``threshold`` requests."""

    bw: float
    threshold: float
    floor: float
    run_interleaved: float
    timing: HbmTiming = HBM2

    def __call__(self, gemm: Traffic, comm: Traffic) -> tuple[float, float]:
        u_g = cost(gemm, self.bw)
        busy = min(u_g, 1.0)
        x = max(0.0, busy - busy ** self.threshold)   # share of the communication issued interleaved
        inter = x * cost(comm, self.bw, self.run_interleaved)
        u_c = inter + (1.0 - x) * cost(comm, self.bw)
        if u_g + u_c <= 1.0:
            return 1.0, 1.0
        if u_c <= 0.0:
            return 1.0 / u_g, 1.0
        if u_g <= 0.0:                                 # the GEMM is idle: the communication alone
            return 1.0, 1.0 / u_c
        f_g = min(1.0, 1.0 / (u_g + inter))           # only the interleaved part competes with the GEMM
        f_c = min(1.0, max(self.floor / u_c, (1.0 - f_g * u_g) / u_c))
        if f_g * u_g + f_c * u_c > 1.0:                # the starvation limit
            f_g = (1.0 - f_c * u_c) / u_g
        return f_g, f_c


def dynamic_threshold(first_stage_share: float) -> float:
    """MCA's threshold (requests) from the GEMM's memory intensity in its first stage (paper Sec. 4.5): the
    mean number of requests the GEMM alone keeps in the queue (M/M/1, including the one in service),
    1 / (1 - u1), where u1 is its share of DRAM time in stage 0 (outputs remote). Capped at the queue size."""
    u1 = min(max(first_stage_share, 0.0), 1.0 - 1.0 / HBM2.sched_queue)
    return 1.0 / (1.0 - u1)


def interleave_loss(gemm: Traffic, comm: Traffic, bw: float, run: float, timing: HbmTiming = HBM2) -> float:
    """Share of DRAM time the communication loses to interleaving under FR-FCFS, against issuing it batched."""
    return comm_cost(gemm, comm, bw, run, min(cost(gemm, bw, None, timing), 1.0)) - cost(comm, bw, None, timing)
