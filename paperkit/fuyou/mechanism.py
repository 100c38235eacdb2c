"""The one performance model of SSD-offloaded fine-tuning (Fuyou, ZeRO-Infinity, ZeRO-Offload,
Colossal-AI Gemini): closed-form per-iteration terms from the mechanism. It serves
``python -m paperkit.fuyou predict``, every figure and every claim; the phase timeline
(:mod:`paperkit.fuyou.timeline`) is drawn from the same terms.

Design. Each system is a list of per-phase resource times (GPU, H2D, D2H, SSD, CPU); a phase
lasts as long as its busiest resource, phases add. Units: s, B, FLOP.

* **Fuyou**: per iteration the GPU executes forward + backward + the recompute that swapping
  does not save; fp16 parameters come in twice (2P + 2P, SSD -> DRAM -> GPU), fp16 gradients go
  out once (2P, never to the SSD), optimizer states go through the SSD array (read 12P, write
  12P + the 2P fp16 copy). The array is one queue (read and write times add); each runs at
  ``min(n x per-drive rate, host ceiling) x ssd_eff``: the host ceiling is a sourced constant of
  the testbed (``HardwareProfile.ssd_host_gbs``), not a fit. Backward overlaps the out-of-core
  optimizer: ``max(GPU, SSD, PCIe, CPU) + overlap_loss x min(GPU, SSD)`` plus one sub-group's
  tail. Activation swapping as the artifact does it: two checkpoints per layer plus a fraction
  ``c`` of the GEMM outputs go GPU -> DRAM (-> SSD when DRAM is short) and back; ``c`` is the
  fastest one whose GPU need fits (:mod:`paperkit.fuyou.memory`), none fitting = does not fit.
* **ZeRO-Infinity** from DeepSpeed's documented defaults (:data:`DEEPSPEED`): optimizer after
  backward, sub-group by sub-group read -> Adam -> write with no overlap
  (``pipeline_read/write`` false); fp32 gradients are swapped to NVMe in backward and read back
  in the step; one checkpoint per layer kept on the GPU (``cpu_checkpointing`` false), full
  recompute, no flash attention; no FIFO (parameters prefetched by the 5e8-element bucket).
* **ZeRO-Offload**: fp16 parameters resident on the GPU, fp32 states in DRAM, Adam after backward.
* **Colossal-AI Gemini** (``placement_policy="auto"``, HybridAdam on the CPU, no NVMe):
  parameter chunks streamed over PCIe when the GPU cannot hold them, Adam after backward.

TFLOPS are credited with the factor-4 convention (:meth:`ModelShape.iteration_flops`) for every
system; ``executed_tflops`` counts only the FLOPs the GPU runs (Fuyou's swapping skips part of
the recompute that the credit counts). Fitted parameters (:data:`PARAM_NAMES`, at most three):
``gpu_eff`` (the profile's ``gpu_efficiency``), ``ssd_eff`` (``ssd_raid_efficiency``),
``overlap_loss``; fitted in :mod:`paperkit.fuyou.fitting`.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .hardware import HardwareProfile
from .memory import activation_placement, check_fit, requirements
from .shapes import ModelShape

SYSTEMS = ("fuyou", "zero-infinity", "zero-offload", "colossal-ai")
RESOURCES = ("GPU", "H2D", "D2H", "SSD", "CPU")
SUBGROUP_PARAMS = 7e8  # Fuyou artifact config.json sub_group_size
ADAM_BYTES_PER_PARAM = 30.0  # fp32 p, g, m, v read (16 B) + p, m, v write (12 B) + fp16 p (2 B)
COEFFS = tuple(i / 20 for i in range(21))
# DeepSpeed's documented defaults (deepspeed.ai/docs/config-json, "aio", "offload_param",
# "offload_optimizer", ZeRO stage 3, activation checkpointing); the same values are the
# defaults of Lightning's DeepSpeedStrategy signature.
DEEPSPEED = dict(aio_block_size=1048576, aio_queue_depth=8, aio_thread_count=1,
                 aio_single_submit=False, aio_overlap_events=True, pin_memory=False,
                 sub_group_size=1e9, stage3_prefetch_bucket_size=5e8, reduce_bucket_size=5e8,
                 stage3_max_live_parameters=1e9, param_buffer_count=5, param_buffer_size=1e8,
                 optimizer_buffer_count=4, pipeline_read=False, pipeline_write=False,
                 cpu_checkpointing=False, overlap_comm=True)  # overlap_comm: stage-3 default


@dataclass(frozen=True)
class Schedule:
    """A system and its switches (the Fuyou ablations)."""

    system: str = "fuyou"
    overlap_opt: bool = True  # CPU Adam overlapped with backward
    rearrange: bool = True  # SSD: read group i before writing group i-1
    pipelined_swap: bool = True  # activation hops on their own streams
    swap_coeff: float | None = None  # fraction of swappable activations swapped; None = auto
    grad_accum: int = 1  # micro-batches per optimizer step (gradient accumulation)

    def __post_init__(self) -> None:
        if self.system not in SYSTEMS:
            raise ValueError(f"unknown system {self.system!r}; choose one of {SYSTEMS}")
        if isinstance(self.grad_accum, bool) or not isinstance(self.grad_accum, int) \
                or not 1 <= self.grad_accum <= 4096:
            raise ValueError(f"grad_accum must be an integer in [1, 4096], got {self.grad_accum!r}")
        if self.swap_coeff is not None and not 0.0 <= self.swap_coeff <= 1.0:
            raise ValueError(f"swap_coeff must be in [0, 1] or None, got {self.swap_coeff}")

    @classmethod
    def named(cls, system: str, **switches) -> "Schedule":
        """The default schedule of a system (baselines: no Fuyou technique)."""
        if system == "fuyou":
            return cls(system=system, **switches)
        base = dict(system=system, overlap_opt=False, rearrange=False, pipelined_swap=False,
                    swap_coeff=0.0)
        return cls(**(base | switches))


def require_ssds(hw: HardwareProfile, system: str) -> None:
    """ValueError unless ``hw`` has SSDs for ``system`` (Fuyou and ZeRO-Infinity stream from them)."""
    if system in ("fuyou", "zero-infinity") and hw.n_ssd < 1:
        raise ValueError(f"n_ssd must be >= 1 for {system} (it streams model states from the SSD "
                         f"array; zero-offload and colossal-ai run without SSDs), got "
                         f"n_ssd={hw.n_ssd} (hardware {hw.name!r})")


def rates(hw: HardwareProfile) -> dict[str, float]:
    """Achieved rates: GPU FLOP/s, SSD array read/write B/s (per-drive sum capped by the host
    ceiling, times the fitted efficiency), PCIe B/s per direction, CPU Adam params/s."""
    host = hw.ssd_host_gbs * 1e9
    e = hw.ssd_raid_efficiency
    return dict(R=hw.gpu_flops, rd=min(hw.n_ssd * hw.ssd_read_gbs * 1e9, host) * e,
                wr=min(hw.n_ssd * hw.ssd_write_gbs * 1e9, host) * e,
                h2d=hw.h2d_gbs * 1e9, d2h=hw.d2h_gbs * 1e9, adam=hw.adam_params_per_s)


def _div(x: float, rate: float) -> float:
    return x / rate if x > 0 else 0.0


def fuyou_terms(shape: ModelShape, hw: HardwareProfile, coeff: float,
                sched: Schedule = Schedule(), cpu_mem_gb: float | None = None) -> dict:
    """Every term of one Fuyou iteration at swap fraction ``coeff`` (module docstring)."""
    r = rates(hw)
    L, P, F, cb = shape.layers, shape.params, shape.layer_fwd_flops, shape.compute_bytes
    swap_b, saved = shape.swap_saving(coeff)
    _, a_ssd = activation_placement(shape, hw, coeff, cpu_mem_gb)
    act, A_ssd = L * (shape.ckpt_bytes_per_layer + swap_b), L * a_ssd
    G = min(SUBGROUP_PARAMS, P)  # the last sub-group: its update cannot overlap backward
    opt_ssd = 12 * (P - G) / r["rd"] + (12 + cb) * (P - G) / r["wr"]
    ph = dict(
        fwd=dict(GPU=L * F / r["R"], SSD=_div(cb * P, r["rd"]) + _div(A_ssd, r["wr"]),
                 H2D=cb * P / r["h2d"], D2H=act / r["d2h"]),
        bwd=dict(GPU=L * (3 * F - saved) / r["R"],
                 SSD=cb * P / r["rd"] + opt_ssd + _div(A_ssd, r["rd"]),
                 H2D=(cb * P + act) / r["h2d"], D2H=cb * P / r["d2h"], CPU=(P - G) / r["adam"]),
        tail=dict(SSD=12 * G / r["rd"] + (12 + cb) * G / r["wr"], CPU=G / r["adam"]))
    if not sched.pipelined_swap:  # each activation hop waits, and compute waits for it
        ph["fwd"]["GPU"] += act / r["d2h"] + _div(A_ssd, r["wr"])
        ph["bwd"]["GPU"] += act / r["h2d"] + _div(A_ssd, r["rd"])
    if not sched.rearrange:  # write-before-read: Adam of a group waits for the queue
        ph["bwd"]["SSD"] += (P - G) / r["adam"]
    stall = hw.overlap_loss * min(ph["bwd"]["GPU"], ph["bwd"]["SSD"])
    if not sched.overlap_opt:  # ablation: the optimizer pass starts after backward
        ph["bwd"]["SSD"] -= opt_ssd
        ph["opt"] = dict(SSD=opt_ssd, CPU=(P - G) / r["adam"])
        ph["bwd"]["CPU"] = 0.0
        stall = 0.0
    return dict(phases=ph, stall_s=stall, coeff=coeff, executed_flops=L * (4 * F - saved),
                bytes=dict(GPU=0.0, H2D=2 * cb * P + act, D2H=cb * P + act,
                           SSD=(cb * 2 + 12) * P + (12 + cb) * P + 2 * A_ssd,
                           CPU=ADAM_BYTES_PER_PARAM * P),
                ssd_write_b=(12 + cb) * P + A_ssd)


def attention_hbm_s(shape: ModelShape, hw: HardwareProfile) -> float:
    """Extra GPU seconds without flash attention: the s^2 tensors (scores, softmax, dropout mask:
    5 a s^2 B bytes in fp16) are written and read back through GPU memory in the forward, the
    recompute and the backward (twice the forward's traffic): 4 x 2 x 5 a s^2 B per layer at the
    GPU's memory bandwidth."""
    per_pass = 2 * 5.0 * shape.heads * shape.seq ** 2 * shape.batch * shape.compute_bytes / 2
    return 4 * shape.layers * per_pass / (hw.gpu_mem_bw_gbs * 1e9)


def zero_infinity_terms(shape: ModelShape, hw: HardwareProfile) -> dict:
    """ZeRO-Infinity from DeepSpeed's defaults (:data:`DEEPSPEED`, module docstring). The NVMe
    parameter swapper has ``param_buffer_count`` = 5 buffers: a layer's four weight matrices hold
    four, so no layer is fetched ahead -- each fetch (NVMe -> pinned DRAM -> GPU, two hops) waits
    for the previous one and compute waits for it (phases ``*_fetch_*`` add)."""
    r = rates(hw)
    L, P, F, cb = shape.layers, shape.params, shape.layer_fwd_flops, shape.compute_bytes
    g32 = 4 * P  # fp32 gradients swapped out in backward, read back in the step
    hbm = attention_hbm_s(shape, hw)
    fetch = dict(SSD=cb * P / r["rd"]), dict(H2D=cb * P / r["h2d"])
    ph = dict(fwd=dict(GPU=L * F / r["R"] + hbm / 4), fwd_fetch_ssd=fetch[0],
              fwd_fetch_h2d=fetch[1],
              bwd=dict(GPU=3 * L * F / r["R"] + 3 * hbm / 4, SSD=g32 / r["wr"],
                       D2H=cb * P / r["d2h"]),
              bwd_fetch_ssd=dict(fetch[0]), bwd_fetch_h2d=dict(fetch[1]),
              # pipeline_read/write false: read, Adam and write of a sub-group do not overlap
              opt_read=dict(SSD=(12 * P + g32) / r["rd"]), opt_adam=dict(CPU=P / r["adam"]),
              opt_write=dict(SSD=(12 + cb) * P / r["wr"]))
    return dict(phases=ph, stall_s=0.0, coeff=0.0, executed_flops=4 * L * F,
                bytes=dict(GPU=0.0, H2D=2 * cb * P, D2H=cb * P,
                           SSD=(2 * cb + 12 + 4) * P + (12 + cb + 4) * P,
                           CPU=ADAM_BYTES_PER_PARAM * P),
                ssd_write_b=(12 + cb + 4) * P)


def cpu_offload_terms(shape: ModelShape, hw: HardwareProfile, system: str) -> dict:
    """ZeRO-Offload (fp16 params resident on the GPU; the updated ones uploaded after Adam) or
    Colossal-AI Gemini (``placement_policy="auto"``: parameter chunks fetched on demand when the
    GPU cannot hold them -- GeminiPlugin's ``max_prefetch`` defaults to 0, so each fetch waits --
    and gradient chunks offloaded); fp32 states in DRAM, full recompute, no flash attention,
    CPU Adam after backward."""
    r = rates(hw)
    L, P, F, cb = shape.layers, shape.params, shape.layer_fwd_flops, shape.compute_bytes
    stream = system == "colossal-ai" and cb * P > hw.gpu_mem_gb * 1e9 / 2
    hbm = attention_hbm_s(shape, hw)
    ph = dict(fwd=dict(GPU=L * F / r["R"] + hbm / 4),
              bwd=dict(GPU=3 * L * F / r["R"] + 3 * hbm / 4, D2H=cb * P / r["d2h"]),
              opt=dict(CPU=P / r["adam"]))
    if stream:
        ph |= dict(fwd_fetch_h2d=dict(H2D=cb * P / r["h2d"]),
                   bwd_fetch_h2d=dict(H2D=cb * P / r["h2d"]))
    else:
        ph["upload"] = dict(H2D=cb * P / r["h2d"])
    return dict(phases=ph, stall_s=0.0, coeff=0.0, executed_flops=4 * L * F,
                bytes=dict(GPU=0.0, H2D=cb * P * (2 if stream else 1), D2H=cb * P, SSD=0.0,
                           CPU=ADAM_BYTES_PER_PARAM * P), ssd_write_b=0.0)


def iteration_s(terms: dict) -> float:
    """Phases add; each lasts as long as its busiest resource; plus Fuyou's overlap stall."""
    return sum(max(p.values(), default=0.0) for p in terms["phases"].values()) + terms["stall_s"]


def busy_s(terms: dict) -> dict[str, float]:
    """Seconds each resource is busy over the iteration."""
    return {res: sum(p.get(res, 0.0) for p in terms["phases"].values()) for res in RESOURCES}


def best_fuyou(shape: ModelShape, hw: HardwareProfile, sched: Schedule = Schedule(),
               cpu_mem_gb: float | None = None) -> dict | None:
    """Fuyou at the schedule's swap fraction, or the fastest one whose GPU need fits; None
    when none fits (the batch is too large for the GPU)."""
    cap = hw.gpu_mem_gb * 1e9 * hw.n_gpus
    coeffs = COEFFS if sched.swap_coeff is None else (sched.swap_coeff,)
    best = None
    for c in coeffs:
        if requirements(shape, hw, "fuyou", c)[0] > cap:
            continue
        t = fuyou_terms(shape, hw, c, sched, cpu_mem_gb)
        t["iteration_s"] = iteration_s(t)
        if best is None or t["iteration_s"] < best["iteration_s"] - 1e-12:
            best = t
    return best


def terms(shape: ModelShape, hw: HardwareProfile, sched: Schedule,
          cpu_mem_gb: float | None = None) -> dict | None:
    """The terms of ``sched.system`` with ``iteration_s``; None if Fuyou fits no swap fraction."""
    require_ssds(hw, sched.system)
    if sched.system == "fuyou":
        t = best_fuyou(shape, hw, sched, cpu_mem_gb)
        if t is None:
            return None
        micro = fuyou_terms(shape, hw, t["coeff"], Schedule(
            overlap_opt=False, pipelined_swap=sched.pipelined_swap), cpu_mem_gb)
    else:
        t = (zero_infinity_terms(shape, hw) if sched.system == "zero-infinity"
             else cpu_offload_terms(shape, hw, sched.system))
        micro = t
    return _accumulate(t, micro, sched.grad_accum)


def _accumulate(t: dict, micro: dict, k: int) -> dict:
    """One optimizer step of ``k`` micro-batches: ``k - 1`` forward/backward passes without the
    optimizer (parameters still stream in; gradients accumulate in DRAM), then ``t``'s pass.
    Adds ``iteration_s`` (seconds per step) and ``micro_batches``."""
    t = dict(t, phases=dict(t["phases"]), bytes=dict(t["bytes"]), micro_batches=k)
    if k > 1:
        for name, res in micro["phases"].items():
            if not name.startswith(("opt", "upload", "tail")):
                t["phases"][f"accum_{name}"] = {r: (k - 1) * v for r, v in res.items()}
        t["executed_flops"] += (k - 1) * micro["executed_flops"]
    t["iteration_s"] = iteration_s(t)
    return t
