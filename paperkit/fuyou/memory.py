"""Capacity feasibility (GPU, CPU, SSD) and maximum trainable model size. Bytes, GB = 1e9 B.

Per-system accounting (assumptions stated, derived from the systems' buffer layouts):

* Fuyou: GPU holds ``fifo_depth`` layers of fp16 params, one layer of fp16 grads, one layer's
  working activations and a FIFO of activations; CPU holds fixed pinned buffers (6 x 1.2e9 fp16
  + 8 x 7e8 fp32, artifact config) -- activations spill to SSD, so CPU memory does not bound P;
  SSD holds 14P + spilled activations.
* ZeRO-Infinity: CPU holds one fp16 checkpoint per layer, a pinned fp32 gradient buffer of 4P
  (DeepSpeed ZeRO-3 with optimizer offload) and ~5 GB of swap buffers. ASSUMPTION, switch
  ``pinned_pow2``: pinned host allocations are rounded up to a power of two (torch's caching
  host allocator), which applies to the 4P buffer. SSD holds 14P.
* ZeRO-Offload: fp16 params resident on GPU (2P) + checkpoints; CPU holds fp32 p, m, v, grads
  (16P).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .hardware import HardwareProfile
from .shapes import PRESETS, ModelShape

GPU_RESERVE_B = 1.5e9  # CUDA context + allocator fragmentation
CPU_RESERVE_B = 16e9  # OS + framework
FIFO_DEPTH = 3


# Fixed host buffers of Fuyou (artifact config): 6 x 1.2e9 fp16 param buffers + 8 x 7e8 fp32
FUYOU_CPU_BUFFERS_B = 6 * 1.2e9 * 2 + 8 * 7e8 * 4


def activation_placement(shape: ModelShape, hw: HardwareProfile, coeff: float,
                         cpu_mem_gb: float | None = None) -> tuple[float, float]:
    """(bytes to CPU, bytes to SSD) per layer for Fuyou: CPU memory first, rest to SSD."""
    swap_b, _ = shape.swap_saving(coeff)
    per_layer = shape.ckpt_bytes_per_layer + swap_b
    mem = (hw.cpu_mem_gb if cpu_mem_gb is None else cpu_mem_gb) * 1e9
    free = max(0.0, mem - FUYOU_CPU_BUFFERS_B - CPU_RESERVE_B)  # 16 GB for OS + framework
    total = per_layer * shape.layers
    to_cpu = min(total, free) / shape.layers
    return to_cpu, per_layer - to_cpu


@dataclass(frozen=True)
class Fit:
    """Feasibility verdict with the required and available bytes per tier."""

    fits: bool
    reason: str
    gpu_need_b: float
    cpu_need_b: float
    ssd_need_b: float


def _pow2(x: float) -> float:
    return float(2 ** math.ceil(math.log2(x))) if x > 0 else 0.0


def requirements(shape: ModelShape, hw: HardwareProfile, system: str, coeff: float = 0.0,
                 pinned_pow2: bool = True) -> tuple[float, float, float]:
    """(GPU, CPU, SSD) bytes needed by ``system``."""
    P, Pl, L = shape.params, shape.params_per_layer, shape.layers
    work = shape.layer_working_bytes()
    ck1 = shape.ckpt_bytes_per_layer / 2  # one checkpoint per layer
    if system == "fuyou":
        swap_b, _ = shape.swap_saving(coeff)
        act_layer = shape.ckpt_bytes_per_layer + swap_b
        gpu = FIFO_DEPTH * 2 * Pl + 2 * Pl + work + 2 * act_layer + GPU_RESERVE_B
        _, a_ssd = activation_placement(shape, hw, coeff)
        cpu = FUYOU_CPU_BUFFERS_B + FIFO_DEPTH * act_layer + CPU_RESERVE_B
        ssd = 14 * P + a_ssd * L
    elif system == "zero-infinity":
        gpu = FIFO_DEPTH * 2 * Pl + 2 * Pl + work + GPU_RESERVE_B
        grad = _pow2(4 * P) if pinned_pow2 else 4 * P
        cpu = L * ck1 + grad + 5e9 + CPU_RESERVE_B
        ssd = 14 * P
    elif system == "zero-offload":
        gpu = 2 * P + 2 * Pl + L * ck1 + work + GPU_RESERVE_B
        cpu = 16 * P + CPU_RESERVE_B
        ssd = 0.0
    else:
        raise ValueError(f"unknown system {system!r}")
    return gpu, cpu, ssd


def check_fit(shape: ModelShape, hw: HardwareProfile, system: str, coeff: float = 0.0,
              pinned_pow2: bool = True) -> Fit:
    """Does ``system`` fit ``shape`` on ``hw``? The reason names the first tier that overflows."""
    gpu, cpu, ssd = requirements(shape, hw, system, coeff, pinned_pow2)
    caps = {"GPU": hw.gpu_mem_gb * 1e9 * hw.n_gpus, "CPU": hw.cpu_mem_gb * 1e9,
            "SSD": hw.n_ssd * hw.ssd_capacity_gb * 1e9}
    for tier, need in (("GPU", gpu), ("CPU", cpu), ("SSD", ssd)):
        if need > caps[tier]:
            return Fit(False, f"{tier} memory: needs {need / 1e9:.4g} GB > "
                              f"{caps[tier] / 1e9:.4g} GB", gpu, cpu, ssd)
    return Fit(True, "", gpu, cpu, ssd)


def max_trainable(hw: HardwareProfile, system: str, cpu_mem_gb: float, batch: int = 1,
                  seq: int = 1024, pinned_pow2: bool = True) -> tuple[str, float]:
    """Largest preset (name, params) that fits at ``batch``; ("none", 0.0) if none does."""
    best = ("none", 0.0)
    hw2 = hw.with_(cpu_mem_gb=float(cpu_mem_gb))
    for name in PRESETS:
        shape = ModelShape.preset(name, batch=batch, seq=seq)
        if check_fit(shape, hw2, system, 0.0, pinned_pow2).fits and shape.params > best[1]:
            best = (name, shape.params)
    return best
