"""One prediction of the mechanism model (:mod:`paperkit.fuyou.mechanism`) for one optimizer
step (``Schedule.grad_accum`` micro-batches) as a record: what ``python -m paperkit.fuyou
predict`` prints, what every sweep and claim reads.

Throughput is reported three ways: credited TFLOPS (factor-4 convention, every system),
executed TFLOPS (the FLOPs the GPU runs) and tokens per second; ``credit_not_executed`` is the
share of the credited FLOPs that Fuyou never executes because swapping replaced recompute.
SSD wear: bytes written per iteration and the array's life in iterations and tokens from the
drives' rated endurance (``ssd_endurance_tbw`` per drive, RAID-0 spreads writes evenly).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from .hardware import HardwareProfile
from .mechanism import RESOURCES, Schedule, busy_s, require_ssds, terms
from .memory import check_fit
from .shapes import ModelShape


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
    executed_tflops: float | None
    tokens_per_s: float | None
    credit_not_executed: float | None
    gpu_busy_fraction: float | None
    swap_coeff: float
    makespan_s: float | None
    busy_s: dict
    bytes: dict
    ssd_write_b: float | None
    ssd_life_iterations: float | None
    ssd_life_tokens: float | None

    def to_dict(self, ndigits: int = 4) -> dict:
        """JSON-ready dict with rounded floats (4 significant digits)."""
        def rnd(v):
            if isinstance(v, float):
                return float(f"{v:.{ndigits}g}") if math.isfinite(v) else None
            if isinstance(v, dict):
                return {k: rnd(x) for k, x in sorted(v.items())}
            return v
        return {k: rnd(v) for k, v in sorted(asdict(self).items())}


def _life(hw: HardwareProfile, written_b: float) -> float | None:
    """Iterations until the array reaches its rated endurance (None without SSD writes)."""
    if written_b <= 0 or hw.n_ssd < 1:
        return None
    return hw.n_ssd * hw.ssd_endurance_tbw * 1e12 / written_b


def predict(shape: ModelShape, hw: HardwareProfile, sched: Schedule | str = "fuyou",
            cpu_mem_gb: float | None = None) -> Prediction:
    """Predict one iteration of ``sched`` (or a system name) on ``hw`` for ``shape``."""
    if isinstance(sched, str):
        sched = Schedule.named(sched)
    require_ssds(hw, sched.system)
    if cpu_mem_gb is not None:
        hw = replace(hw, cpu_mem_gb=float(cpu_mem_gb))
    t = terms(shape, hw, sched)
    coeff = t["coeff"] if t else (sched.swap_coeff or 0.0)
    fit = check_fit(shape, hw, sched.system, coeff)
    base = dict(system=sched.system, hardware=hw.name, n_ssd=hw.n_ssd, params=float(shape.params),
                layers=shape.layers, hidden=shape.hidden, heads=shape.heads, batch=shape.batch,
                seq=shape.seq, swap_coeff=coeff)
    if t is None or not fit.fits:
        none = dict.fromkeys(("iteration_s", "tflops", "tflops_no_recompute", "executed_tflops",
                              "tokens_per_s", "credit_not_executed", "gpu_busy_fraction",
                              "makespan_s", "ssd_write_b", "ssd_life_iterations",
                              "ssd_life_tokens"))
        return Prediction(fits=False, reason=fit.reason or "GPU memory: no swap fraction fits",
                          busy_s={r: 0.0 for r in RESOURCES},
                          bytes={r: 0.0 for r in RESOURCES}, **base, **none)
    T, busy, k = t["iteration_s"], busy_s(t), t["micro_batches"]
    life = _life(hw, t["ssd_write_b"])
    credited = k * shape.iteration_flops()
    return Prediction(
        fits=True, reason="", iteration_s=T, makespan_s=T, tflops=credited / T / 1e12,
        tflops_no_recompute=k * shape.model_flops() / T / 1e12,
        executed_tflops=t["executed_flops"] / T / 1e12, tokens_per_s=k * shape.tokens / T,
        credit_not_executed=1.0 - t["executed_flops"] / credited,
        gpu_busy_fraction=min(1.0, busy["GPU"] / T), busy_s=busy, bytes=dict(t["bytes"]),
        ssd_write_b=t["ssd_write_b"], ssd_life_iterations=life,
        ssd_life_tokens=life * k * shape.tokens if life else None, **base)
