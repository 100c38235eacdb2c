"""Capacity feasibility (GPU, CPU, SSD) and maximum trainable model size. Bytes, GB = 1e9 B.

Per-system accounting (``requirements``; one activation formula, ``ModelShape.layer_working_bytes``):

* Fuyou (artifact): the GPU holds a FIFO of three parameter blocks -- a block is one linear
  module, the largest 4h^2, so three blocks are 12 h^2 fp16 parameters, about one layer --, one
  layer of fp16 gradients, the working activations of the layer in backward (34 sbh with flash
  attention), its incoming/outgoing activation gradients (2 x sbh fp16) and the prefetched
  checkpoints + swapped activations of the next layer. CPU: fixed pinned buffers (6 x 1.2e9
  fp16 + 8 x 7e8 fp32, artifact config) and three layers of activations in flight; the rest of
  the activations spill to the SSDs, so CPU memory does not bound P. SSD: 14P + spilled
  activations.
* ZeRO-Infinity (DeepSpeed defaults, ``mechanism.DEEPSPEED``): the GPU holds the live parameters
  (stage3_max_live_parameters 1e9), the prefetch bucket (5e8) and the reduce bucket (5e8) in
  fp16, one checkpoint per layer (cpu_checkpointing false), the working activations without
  flash attention (34 sbh + 5 a s^2 b) and the activation gradients. CPU: checkpoint copies, a
  pinned fp32 gradient buffer of 4P (ASSUMPTION, switch ``pinned_pow2``: rounded up to a power of
  two by torch's caching host allocator) and ~5 GB of swap buffers. SSD: 14P + 4P fp32 grads.
* ZeRO-Offload: fp16 params resident on the GPU (2P); CPU holds fp32 p, m, v, grads (16P).
* Colossal-AI Gemini: two layers of parameter chunks on the GPU (params streamed), checkpoints
  on the GPU, no flash attention; CPU holds fp32 p, m, v, grads and the fp16 chunks (18P).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .hardware import HardwareProfile
from .shapes import PRESETS, ModelShape

GPU_RESERVE_B = 1.5e9  # CUDA context + allocator fragmentation
CPU_RESERVE_B = 16e9  # OS + framework
ACT_LAYERS_IN_FLIGHT = 3  # Fuyou: layers of activations in DRAM buffers at once


# Fixed host buffers of Fuyou (artifact config): 6 x 1.2e9 fp16 param buffers + 8 x 7e8 fp32
FUYOU_CPU_BUFFERS_B = 6 * 1.2e9 * 2 + 8 * 7e8 * 4


def activation_placement(shape: ModelShape, hw: HardwareProfile, coeff: float,
                         cpu_mem_gb: float | None = None) -> tuple[float, float]:
    """(bytes to CPU, bytes to SSD) per layer for Fuyou: CPU memory first, rest to SSD."""
    swap_b, _ = shape.swap_saving(coeff)
    per_layer = shape.ckpt_bytes_per_layer + swap_b
    mem = (hw.cpu_mem_gb if cpu_mem_gb is None else cpu_mem_gb) * 1e9
    free = max(0.0, mem - FUYOU_CPU_BUFFERS_B - CPU_RESERVE_B)  # 16 GB for OS + framework
    if per_layer * shape.layers <= free:  # all of it fits in CPU memory: nothing to the SSDs
        return per_layer, 0.0               # (no float residue: (a * L) / L can exceed a)
    to_cpu = free / shape.layers
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


FIFO_BLOCKS = 3  # artifact: three parameter blocks in flight
DEEPSPEED_GPU_BUFFERS = 1e9 + 5e8 + 5e8  # live params + prefetch bucket + reduce bucket (elements)


def requirements(shape: ModelShape, hw: HardwareProfile, system: str, coeff: float = 0.0,
                 pinned_pow2: bool = True) -> tuple[float, float, float]:
    """(GPU, CPU, SSD) bytes needed by ``system`` (module docstring)."""
    P, Pl, L, cb = shape.params, shape.params_per_layer, shape.layers, shape.compute_bytes
    sbh = shape.tokens * shape.hidden * cb  # one fp16 activation tensor of the layer
    ck1 = shape.ckpt_bytes_per_layer / 2  # one checkpoint per layer
    if system == "fuyou":
        swap_b, _ = shape.swap_saving(coeff)
        act_layer = shape.ckpt_bytes_per_layer + swap_b
        fifo = FIFO_BLOCKS * 4 * shape.hidden ** 2 * cb
        gpu = (fifo + cb * Pl + shape.layer_working_bytes(flash=True) + 2 * sbh + act_layer
               + GPU_RESERVE_B)
        _, a_ssd = activation_placement(shape, hw, coeff)
        cpu = FUYOU_CPU_BUFFERS_B + ACT_LAYERS_IN_FLIGHT * act_layer + CPU_RESERVE_B
        ssd = 14 * P + a_ssd * L
    elif system == "zero-infinity":
        gpu = (DEEPSPEED_GPU_BUFFERS * cb + L * ck1 + shape.layer_working_bytes(flash=False)
               + 2 * sbh + GPU_RESERVE_B)
        grad = _pow2(4 * P) if pinned_pow2 else 4 * P
        cpu = L * ck1 + grad + 5e9 + CPU_RESERVE_B
        ssd = 18 * P
    elif system == "zero-offload":
        gpu = (cb * P + cb * Pl + L * ck1 + shape.layer_working_bytes(flash=False) + 2 * sbh
               + GPU_RESERVE_B)
        cpu = 16 * P + CPU_RESERVE_B
        ssd = 0.0
    elif system == "colossal-ai":
        gpu = (3 * cb * Pl + L * ck1 + shape.layer_working_bytes(flash=False) + 2 * sbh
               + GPU_RESERVE_B)
        cpu = 18 * P + CPU_RESERVE_B
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
