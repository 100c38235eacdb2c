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


@dataclass
class _Pass:
    """One iteration's timeline under construction, with the constants every task needs."""

    t: Timeline
    sched: Schedule
    L: int
    k: int
    cb: int
    Pl: float
    F: float
    R: float
    rd: float
    wr: float
    h2d: float
    d2h: float
    adam: float
    act_b: float = 0.0  # activation bytes per layer moved GPU<->CPU
    a_ssd: float = 0.0  # of which to/from the SSDs
    saved: float = 0.0  # recompute FLOPs saved per layer by swapping
    stream_params: bool = True  # fp16 params come from the SSDs (not resident on the GPU)


def _pass(shape: ModelShape, hw: HardwareProfile, sched: Schedule) -> _Pass:
    return _Pass(t=Timeline(), sched=sched, L=shape.layers, k=sched.fifo_depth,
                 cb=shape.compute_bytes, Pl=shape.params_per_layer, F=shape.layer_fwd_flops,
                 R=hw.gpu_flops, rd=hw.ssd_read_bps, wr=hw.ssd_write_bps,
                 h2d=hw.h2d_gbs * 1e9, d2h=hw.d2h_gbs * 1e9, adam=hw.adam_params_per_s)


def _fetch(p: _Pass, l: int, phase: str, slot: str | None) -> tuple[str | None, str | None]:
    """Issue the prefetch of layer l's fp16 params (and its activations in backward)."""
    t, cb, Pl = p.t, p.cb, p.Pl
    deps = [slot] if slot else []
    hp = ha = None
    if p.stream_params:
        rp = t.add(f"rd_p16_{phase}{l}", "SSD", cb * Pl / p.rd, deps, "param read", l, cb * Pl)
        hp = t.add(f"h2d_p16_{phase}{l}", "H2D", cb * Pl / p.h2d, [rp], "param H2D", l, cb * Pl)
    if phase == "b" and p.act_b > 0 and p.sched.pipelined_swap:
        ra = (t.add(f"rd_act{l}", "SSD", p.a_ssd / p.rd, deps, "act read", l, p.a_ssd)
              if p.a_ssd > 0 else None)
        ha = t.add(f"h2d_act{l}", "H2D", p.act_b / p.h2d, [ra] + deps, "act H2D", l, p.act_b)
    return hp, ha


def _forward(p: _Pass) -> str:
    """Forward over the layers with a FIFO prefetch window; activations out after each layer."""
    t, L, k = p.t, p.L, p.k
    pre = {l: _fetch(p, l, "f", None) for l in range(min(k, L))}
    prev = None
    for l in range(L):
        hp, _ = pre.pop(l)
        fw = t.add(f"fwd{l}", "GPU", p.F / p.R, [hp, prev], "forward", l)
        done = fw
        if p.act_b > 0:
            done = t.add(f"d2h_act{l}", "D2H", p.act_b / p.d2h, [fw], "act D2H", l, p.act_b)
            if p.a_ssd > 0:
                done = t.add(f"wr_act{l}", "SSD", p.a_ssd / p.wr, [done], "act write", l, p.a_ssd)
        prev = fw if p.sched.pipelined_swap else done
        if l + k < L:
            pre[l + k] = _fetch(p, l + k, "f", fw)
    return prev


def _backward(p: _Pass, prev: str, on_grad=None) -> str:
    """Backward (+ recompute) from the last layer; ``on_grad(l, grad_task)`` runs after each
    layer's gradient copy (Fuyou's overlapped optimizer). Returns the last backward task."""
    t, L, k, cb, Pl = p.t, p.L, p.k, p.cb, p.Pl
    pre = {l: _fetch(p, l, "b", None) for l in range(L - 1, max(L - 1 - k, -1), -1)}
    for l in range(L - 1, -1, -1):
        hp, ha = pre.pop(l)
        deps = [hp, prev, ha]
        if p.act_b > 0 and not p.sched.pipelined_swap:  # synchronous: fetch activations now
            ra = (t.add(f"rd_act{l}", "SSD", p.a_ssd / p.rd, [prev], "act read", l, p.a_ssd)
                  if p.a_ssd > 0 else prev)
            deps.append(t.add(f"h2d_act{l}", "H2D", p.act_b / p.h2d, [ra], "act H2D", l, p.act_b))
        bw = t.add(f"bwd{l}", "GPU", (3 * p.F - p.saved) / p.R, deps, "backward+recompute", l)
        gd = t.add(f"d2h_grad{l}", "D2H", cb * Pl / p.d2h, [bw], "grad D2H", l, cb * Pl)
        prev = bw
        if l - k >= 0:
            pre[l - k] = _fetch(p, l - k, "b", bw)
        if on_grad is not None:
            on_grad(l, gd)
    return prev


def build_timeline(shape: ModelShape, hw: HardwareProfile, sched: Schedule,
                   coeff: float = 0.0, cpu_mem_gb: float | None = None) -> Timeline:
    """The discrete-event timeline of one steady-state iteration (seconds), per system."""
    require_ssds(hw, sched.system)
    p = _pass(shape, hw, sched)
    if sched.system == "fuyou":
        return _fuyou_timeline(p, shape, hw, coeff, cpu_mem_gb)
    if sched.system == "zero-infinity":
        return _zero_infinity_timeline(p, shape)
    return _zero_offload_timeline(p)


def _fuyou_timeline(p: _Pass, shape: ModelShape, hw: HardwareProfile, coeff: float,
                    cpu_mem_gb: float | None) -> Timeline:
    """Fuyou: checkpoints + swapped activations out (CPU first, then SSD), partial recompute,
    per-group optimizer overlapped with backward (or after it, the ``overlap_opt`` ablation)."""
    swap_b, p.saved = shape.swap_saving(coeff)
    _, p.a_ssd = activation_placement(shape, hw, coeff, cpu_mem_gb)
    p.act_b = shape.ckpt_bytes_per_layer + swap_b
    t, state = p.t, {"cpu": None, "pending": None}

    def opt(l: int, ready: str) -> None:
        state["cpu"], state["pending"] = _opt_group(t, l, p.Pl, p.rd, p.wr, p.adam, ready,
                                                    state["cpu"], state["pending"],
                                                    p.sched.rearrange, p.cb)
    end_bwd = _backward(p, _forward(p), opt if p.sched.overlap_opt else None)
    if not p.sched.overlap_opt:  # ablation: the same grouped pipeline, started after backward
        for l in range(p.L - 1, -1, -1):
            opt(l, end_bwd)
    lw = state["pending"]
    t.add(f"opt_wr{lw}", "SSD", (12 + p.cb) * p.Pl / p.wr, [f"adam{lw}"], "opt write", lw,
          (12 + p.cb) * p.Pl)
    return t


def _zero_infinity_timeline(p: _Pass, shape: ModelShape) -> Timeline:
    """ZeRO-Infinity: one checkpoint per layer to CPU memory, full recompute; after backward
    each sub-group reads, updates and writes, serialized unless ``zero_pipeline_io``."""
    p.act_b = shape.ckpt_bytes_per_layer / 2
    t, Pl, cb = p.t, p.Pl, p.cb
    end_bwd = _backward(p, _forward(p))
    cpu_prev = prev_write = None
    for l in range(p.L - 1, -1, -1):
        dep = [end_bwd] if p.sched.zero_pipeline_io else [end_bwd, prev_write]
        r_ = t.add(f"opt_rd{l}", "SSD", 12 * Pl / p.rd, dep, "opt read", l, 12 * Pl)
        cpu_prev = t.add(f"adam{l}", "CPU", Pl / p.adam, [r_, f"d2h_grad{l}", cpu_prev], "adam", l)
        prev_write = t.add(f"opt_wr{l}", "SSD", (12 + cb) * Pl / p.wr, [cpu_prev], "opt write",
                           l, (12 + cb) * Pl)
    return t


def _zero_offload_timeline(p: _Pass) -> Timeline:
    """ZeRO-Offload: fp16 params and checkpoints stay on the GPU, full recompute; after
    backward CPU Adam per layer, then the updated fp16 params go back to the GPU."""
    p.stream_params = False
    t, Pl, cb = p.t, p.Pl, p.cb
    end_bwd = _backward(p, _forward(p))
    cpu_prev = None
    for l in range(p.L - 1, -1, -1):
        cpu_prev = t.add(f"adam{l}", "CPU", Pl / p.adam, [end_bwd, f"d2h_grad{l}", cpu_prev],
                         "adam", l)
        t.add(f"h2d_p16_upd{l}", "H2D", cb * Pl / p.h2d, [cpu_prev], "param H2D", l, cb * Pl)
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
