"""Performance model of SSD-offloaded fine-tuning: Fuyou vs ZeRO-Infinity vs ZeRO-Offload.

Inputs are only hardware constants (``HardwareProfile``) and the model shape (``ModelShape``);
nothing is fitted to the paper's throughput. Each system is a task graph over five FIFO
resources (GPU, H2D, D2H, SSD shared by reads and writes, CPU Adam), built layer by layer:

* Fuyou: fp16 params streamed SSD->CPU->GPU with a FIFO prefetch window of ``fifo_depth``
  layers (twice per iteration); checkpoints + swapped activations go GPU->CPU->SSD
  (``pipelined_swap``: on separate streams; off: each hop waits, and compute waits for it);
  the CPU Adam of layer i (read 12P_i, Adam, write 14P_i) runs while the GPU computes backward of
  earlier layers (``overlap_opt``), with read-before-write re-ordering (``rearrange``); the swap
  amount is chosen by minimising the modelled iteration time (``swap_coeff=None``).
* ZeRO-Infinity: same streaming; one checkpoint per layer copied synchronously to CPU memory;
  full recompute; optimizer after backward, each sub-group read -> Adam -> write serialized
  (DeepSpeed's ``pipeline_read/write`` default false).
* ZeRO-Offload: model states in CPU DRAM (fp16 params resident on GPU), optimizer after
  backward, updated fp16 params copied back to the GPU.

Reported TFLOPS use ``ModelShape.iteration_flops`` (factor-4 convention) for every system.
The closed forms (``closed_form``) take the per-phase maximum of resource busy times plus the
non-overlapped parts; the DES and closed form are compared in the tests.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from .hardware import HardwareProfile
from .memory import FUYOU_CPU_BUFFERS_B, activation_placement, check_fit  # noqa: F401
from .shapes import ModelShape
from .timeline import RESOURCES, Timeline

SYSTEMS = ("fuyou", "zero-infinity", "zero-offload")
SWAP_GRID = tuple(float(x) for x in np.round(np.linspace(0.0, 1.0, 11), 2))


@dataclass(frozen=True)
class Schedule:
    """A system and its switches (the Fuyou ablations)."""

    system: str = "fuyou"
    overlap_opt: bool = True  # CPU Adam overlapped with backward
    rearrange: bool = True  # SSD: read group i before writing group i+1
    pipelined_swap: bool = True  # GPU-CPU-SSD activation hops on their own streams
    swap_coeff: float | None = None  # fraction of swappable activations swapped; None = auto
    fifo_depth: int = 3  # layers prefetched ahead
    zero_pipeline_io: bool = False  # ZeRO-Infinity optimizer read/Adam/write overlap

    def __post_init__(self) -> None:
        if self.system not in SYSTEMS:
            raise ValueError(f"unknown system {self.system!r}; choose one of {SYSTEMS}")
        if self.fifo_depth < 1:
            raise ValueError(f"fifo_depth must be >= 1, got {self.fifo_depth}")
        if self.swap_coeff is not None and not 0.0 <= self.swap_coeff <= 1.0:
            raise ValueError(f"swap_coeff must be in [0, 1] or None, got {self.swap_coeff}")

    @classmethod
    def named(cls, system: str, **switches) -> "Schedule":
        """The default schedule of a system (ZeRO systems: no Fuyou technique)."""
        if system == "fuyou":
            return cls(system=system, **switches)
        base = dict(system=system, overlap_opt=False, rearrange=False, pipelined_swap=False,
                    swap_coeff=0.0)
        base.update(switches)
        return cls(**base)


def require_ssds(hw: HardwareProfile, system: str) -> None:
    """ValueError unless ``hw`` has SSDs for ``system`` (all but ZeRO-Offload stream from them)."""
    if system != "zero-offload" and hw.n_ssd < 1:
        raise ValueError(f"n_ssd must be >= 1 for {system} (it streams model states from the SSD "
                         f"array; only zero-offload runs without SSDs), got n_ssd={hw.n_ssd} "
                         f"(hardware {hw.name!r})")


def build_timeline(shape: ModelShape, hw: HardwareProfile, sched: Schedule,
                   coeff: float = 0.0, cpu_mem_gb: float | None = None) -> Timeline:
    """The discrete-event timeline of one steady-state iteration (seconds)."""
    require_ssds(hw, sched.system)
    t = Timeline()
    cb = shape.compute_bytes
    L, k = shape.layers, sched.fifo_depth
    Pl, F = shape.params_per_layer, shape.layer_fwd_flops
    R, rd, wr = hw.gpu_flops, hw.ssd_read_bps, hw.ssd_write_bps
    h2d, d2h, adam = hw.h2d_gbs * 1e9, hw.d2h_gbs * 1e9, hw.adam_params_per_s
    sysname = sched.system
    offload = sysname == "zero-offload"
    if sysname == "fuyou":
        swap_b, saved = shape.swap_saving(coeff)
        a_cpu, a_ssd = activation_placement(shape, hw, coeff, cpu_mem_gb)
        act_b = shape.ckpt_bytes_per_layer + swap_b
    else:  # one checkpoint per layer kept in CPU memory, full recompute
        saved, a_ssd, act_b = 0.0, 0.0, shape.ckpt_bytes_per_layer / 2
    if sysname == "zero-offload":
        act_b = 0.0  # checkpoints stay in GPU memory

    def fetch(l: int, phase: str, slot: str | None) -> tuple[str | None, str | None]:
        """Issue the prefetch of layer l's fp16 params (and activations in backward)."""
        deps = [slot] if slot else []
        hp = None
        if not offload:
            rp = t.add(f"rd_p16_{phase}{l}", "SSD", cb * Pl / rd, deps, "param read", l, cb * Pl)
            hp = t.add(f"h2d_p16_{phase}{l}", "H2D", cb * Pl / h2d, [rp], "param H2D", l, cb * Pl)
        ha = None
        if phase == "b" and act_b > 0 and sched.pipelined_swap:
            ra = (t.add(f"rd_act{l}", "SSD", a_ssd / rd, deps, "act read", l, a_ssd)
                  if a_ssd > 0 else None)
            ha = t.add(f"h2d_act{l}", "H2D", act_b / h2d, [ra] + deps, "act H2D", l, act_b)
        return hp, ha

    # ---- forward -------------------------------------------------------------------------
    pre = {l: fetch(l, "f", None) for l in range(min(k, L))}
    prev = None
    for l in range(L):
        hp, _ = pre.pop(l)
        fw = t.add(f"fwd{l}", "GPU", F / R, [hp, prev], "forward", l)
        done = fw
        if act_b > 0:
            dd = t.add(f"d2h_act{l}", "D2H", act_b / d2h, [fw], "act D2H", l, act_b)
            done = dd
            if a_ssd > 0:
                done = t.add(f"wr_act{l}", "SSD", a_ssd / wr, [dd], "act write", l, a_ssd)
        prev = fw if sched.pipelined_swap else done
        if l + k < L:
            pre[l + k] = fetch(l + k, "f", fw)

    # ---- backward (+ overlapped optimizer) -----------------------------------------------
    bwd_flops = 2 * F + (F - saved)
    pre = {l: fetch(l, "b", None) for l in range(L - 1, max(L - 1 - k, -1), -1)}
    last_write_pending: int | None = None
    cpu_prev = None
    opt_prev_write = None
    for l in range(L - 1, -1, -1):
        hp, ha = pre.pop(l)
        deps = [hp, prev, ha]
        if act_b > 0 and not sched.pipelined_swap:  # synchronous: fetch activations now
            ra = (t.add(f"rd_act{l}", "SSD", a_ssd / rd, [prev], "act read", l, a_ssd)
                  if a_ssd > 0 else prev)
            deps.append(t.add(f"h2d_act{l}", "H2D", act_b / h2d, [ra], "act H2D", l, act_b))
        bw = t.add(f"bwd{l}", "GPU", bwd_flops / R, deps, "backward+recompute", l)
        gd = t.add(f"d2h_grad{l}", "D2H", cb * Pl / d2h, [bw], "grad D2H", l, cb * Pl)
        prev = bw
        if l - k >= 0:
            pre[l - k] = fetch(l - k, "b", bw)
        if sched.overlap_opt and sysname == "fuyou":
            cpu_prev, last_write_pending = _opt_group(t, l, Pl, rd, wr, adam, gd, cpu_prev,
                                                      last_write_pending, sched.rearrange, cb)
    if sched.overlap_opt and sysname == "fuyou":
        lw = last_write_pending
        t.add(f"opt_wr{lw}", "SSD", (12 + cb) * Pl / wr, [f"adam{lw}"], "opt write", lw,
              (12 + cb) * Pl)
        return t
    # ---- optimizer after backward ---------------------------------------------------------
    end_bwd = prev
    for l in range(L - 1, -1, -1):
        gd = f"d2h_grad{l}"
        if offload:
            cpu_prev = t.add(f"adam{l}", "CPU", Pl / adam, [end_bwd, gd, cpu_prev], "adam", l)
            t.add(f"h2d_p16_upd{l}", "H2D", cb * Pl / h2d, [cpu_prev], "param H2D", l, cb * Pl)
        elif sysname == "fuyou":  # ablation: same grouped pipeline, started after backward
            cpu_prev, last_write_pending = _opt_group(t, l, Pl, rd, wr, adam, end_bwd,
                                                      cpu_prev, last_write_pending,
                                                      sched.rearrange, cb)
        else:  # ZeRO-Infinity: read -> Adam -> write, serialized unless zero_pipeline_io
            dep = [end_bwd] if sched.zero_pipeline_io else [end_bwd, opt_prev_write]
            r_ = t.add(f"opt_rd{l}", "SSD", 12 * Pl / rd, dep, "opt read", l, 12 * Pl)
            cpu_prev = t.add(f"adam{l}", "CPU", Pl / adam, [r_, gd, cpu_prev], "adam", l)
            opt_prev_write = t.add(f"opt_wr{l}", "SSD", (12 + cb) * Pl / wr, [cpu_prev],
                                   "opt write", l, (12 + cb) * Pl)
    if sysname == "fuyou":
        lw = last_write_pending
        t.add(f"opt_wr{lw}", "SSD", (12 + cb) * Pl / wr, [f"adam{lw}"], "opt write", lw,
              (12 + cb) * Pl)
    return t


def _opt_group(t: Timeline, l: int, Pl: float, rd: float, wr: float, adam: float,
               ready: str, cpu_prev: str | None, pending: int | None,
               rearrange: bool, cb: int = 2) -> tuple[str, int]:
    """Fuyou's per-group optimizer step: read 12P_l, Adam, and the delayed write-back of the
    previous group (after this read when ``rearrange``, before it otherwise)."""
    def write_prev() -> None:
        if pending is not None:
            t.add(f"opt_wr{pending}", "SSD", (12 + cb) * Pl / wr, [f"adam{pending}"], "opt write",
                  pending, (12 + cb) * Pl)
    if not rearrange:
        write_prev()
    r_ = t.add(f"opt_rd{l}", "SSD", 12 * Pl / rd, [ready], "opt read", l, 12 * Pl)
    if rearrange:
        write_prev()
    a = t.add(f"adam{l}", "CPU", Pl / adam, [r_, ready, cpu_prev], "adam", l)
    return a, l


def closed_form(shape: ModelShape, hw: HardwareProfile, sched: Schedule,
                coeff: float = 0.0, cpu_mem_gb: float | None = None) -> float:
    """Iteration time (s) from per-phase resource maxima (fuyou.md section 2.4)."""
    require_ssds(hw, sched.system)
    L, P, F = shape.layers, shape.params, shape.layer_fwd_flops
    cb = shape.compute_bytes
    R, rd, wr = hw.gpu_flops, hw.ssd_read_bps, hw.ssd_write_bps
    h2d, d2h, adam = hw.h2d_gbs * 1e9, hw.d2h_gbs * 1e9, hw.adam_params_per_s
    Pl = P / L
    if sched.system == "fuyou":
        swap_b, saved = shape.swap_saving(coeff)
        _, a_ssd = activation_placement(shape, hw, coeff, cpu_mem_gb)
        A = (shape.ckpt_bytes_per_layer + swap_b) * L
        A_ssd = a_ssd * L
        fill = cb * Pl / rd + cb * Pl / h2d
        t_fwd = max(L * F / R, cb * P / h2d, A / d2h, cb * P / rd + A_ssd / wr) + fill
        gpu_b = L * (3 * F - saved) / R
        tail = 12 * Pl / rd + Pl / adam + (12 + cb) * Pl / wr
        if sched.overlap_opt:
            t_bo = max(gpu_b, (cb * P + A) / h2d, cb * P / d2h,
                       (cb * P + 12 * P + A_ssd) / rd + (12 + cb) * P / wr, P / adam) + tail
        else:
            t_bo = (max(gpu_b, (cb * P + A) / h2d, cb * P / d2h, (cb * P + A_ssd) / rd)
                    + max(12 * P / rd + (12 + cb) * P / wr, P / adam) + tail)
        return t_fwd + t_bo
    ck = shape.ckpt_bytes_per_layer / 2
    if sched.system == "zero-offload":
        return (L * F / R + max(L * 3 * F / R, cb * P / d2h) + P / adam + Pl / adam
                + cb * Pl / h2d)
    t_fwd = max(L * F / R + L * ck / d2h, cb * P / rd, cb * P / h2d) + cb * Pl / rd
    t_bwd = max(L * (3 * F / R + ck / h2d), cb * P / rd, cb * P / h2d)
    if sched.zero_pipeline_io:
        t_opt = max(12 * P / rd + (12 + cb) * P / wr, P / adam) + Pl / adam
    else:
        t_opt = 12 * P / rd + P / adam + (12 + cb) * P / wr
    return t_fwd + t_bwd + t_opt


@dataclass(frozen=True)
class Prediction:
    """One prediction; times in s, bytes in B, TFLOPS under the factor-4 convention."""

    system: str
    hardware: str
    n_ssd: int
    params: float
    layers: int
    hidden: int
    heads: int
    batch: int
    seq: int
    fits: bool
    reason: str
    iteration_s: float | None
    tflops: float | None
    tflops_no_recompute: float | None
    gpu_busy_fraction: float
    swap_coeff: float
    closed_form_s: float
    makespan_s: float
    busy_s: dict
    bytes: dict

    def to_dict(self, ndigits: int = 4) -> dict:
        """JSON-ready dict with rounded floats (4 significant digits)."""
        def rnd(v):
            if isinstance(v, float):
                return float(f"{v:.{ndigits}g}") if math.isfinite(v) else None
            if isinstance(v, dict):
                return {k: rnd(x) for k, x in sorted(v.items())}
            return v
        return {k: rnd(v) for k, v in sorted(asdict(self).items())}


def simulate(shape: ModelShape, hw: HardwareProfile, sched: Schedule,
             cpu_mem_gb: float | None = None) -> tuple[Timeline, float]:
    """Timeline at the schedule's swap coefficient, or the best one on ``SWAP_GRID``."""
    if sched.system != "fuyou":
        return build_timeline(shape, hw, sched, 0.0, cpu_mem_gb), 0.0
    if sched.swap_coeff is not None:
        return build_timeline(shape, hw, sched, sched.swap_coeff, cpu_mem_gb), sched.swap_coeff
    best = None
    for c in SWAP_GRID:  # iteration time vs swap amount is convex: keep the minimum
        tl = build_timeline(shape, hw, sched, c, cpu_mem_gb)
        if best is None or tl.makespan < best[0].makespan - 1e-12:
            best = (tl, c)
    return best


def predict(shape: ModelShape, hw: HardwareProfile, sched: Schedule | str = "fuyou",
            cpu_mem_gb: float | None = None) -> Prediction:
    """Predict one iteration of ``sched`` (or a system name) on ``hw`` for ``shape``."""
    if isinstance(sched, str):
        sched = Schedule.named(sched)
    if cpu_mem_gb is not None:
        hw = replace(hw, cpu_mem_gb=float(cpu_mem_gb))
    tl, coeff = simulate(shape, hw, sched)
    fit = check_fit(shape, hw, sched.system, coeff)
    T = tl.makespan
    busy = tl.busy()
    flops = shape.iteration_flops()
    ok = fit.fits
    return Prediction(
        system=sched.system, hardware=hw.name, n_ssd=hw.n_ssd, params=float(shape.params),
        layers=shape.layers, hidden=shape.hidden, heads=shape.heads, batch=shape.batch,
        seq=shape.seq, fits=ok, reason=fit.reason,
        iteration_s=T if ok else None,
        tflops=flops / T / 1e12 if ok else None,
        tflops_no_recompute=shape.model_flops() / T / 1e12 if ok else None,
        gpu_busy_fraction=busy["GPU"] / T, swap_coeff=coeff,
        closed_form_s=closed_form(shape, hw, sched, coeff), makespan_s=T,
        busy_s={r: busy[r] for r in RESOURCES},
        bytes={r: float(tl.bytes_moved[r]) for r in RESOURCES},
    )
