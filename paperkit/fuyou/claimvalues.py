"""Reproduced values for the claims in ``data/claims/fuyou.toml``, by fixed rules.

Rules (fixed before comparing with the paper): throughput claims take each system's best
TFLOPS over the batch sizes of the sweep that fit (the paper reports peak throughput; its
batch is TODO-PDF); range claims take the median over the sweep; yes/no claims are 1/0.
"""
from __future__ import annotations

import statistics

import polars as pl

from .hardware import get_profile
from .memory import check_fit
from .shapes import ModelShape
from .sweeps import best_over_batches, gpus_for_pooling

BATCHES = [8, 16, 32, 64]


def best_tflops(tp: pl.DataFrame, hardware: str, model: str, system: str) -> float | None:
    """Best TFLOPS over batches that fit, or None if no batch fits."""
    b = best_over_batches(tp).filter(hardware=hardware, model=model, system=system)
    return float(b["tflops"][0]) if b.height else None


def best_batch(tp: pl.DataFrame, hardware: str, model: str, system: str) -> int | None:
    b = best_over_batches(tp).filter(hardware=hardware, model=model, system=system)
    return int(b["batch"][0]) if b.height else None


def best_baseline_ratio(tp: pl.DataFrame, hardware: str, model: str) -> float | None:
    """Fuyou's best TFLOPS over the best baseline's (ZeRO-Infinity, ZeRO-Offload, Colossal-AI),
    each at its own best feasible batch."""
    fy = best_tflops(tp, hardware, model, "fuyou")
    base = [x for s in ("zero-infinity", "zero-offload", "colossal-ai")
            if (x := best_tflops(tp, hardware, model, s)) is not None]
    return fy / max(base) if fy and base else None


def fits(hardware: str, model: str, system: str, cpu_mem_gb: float | None = None,
         batch: int = 1) -> float:
    """1.0 if ``system`` can train ``model`` at ``batch`` on ``hardware``, else 0.0."""
    prof = get_profile(hardware)
    if cpu_mem_gb is not None:
        prof = prof.with_(cpu_mem_gb=float(cpu_mem_gb))
    return float(check_fit(ModelShape.preset(model, batch), prof, system).fits)


def median_gpu_idle(tp: pl.DataFrame, system: str, model: str,
                    hardware: list[str]) -> tuple[float, float, float]:
    """(median, min, max) GPU idle fraction of ``system`` over the sweep's fitting rows."""
    rows = tp.filter(pl.col("system") == system, pl.col("model") == model,
                     pl.col("hardware").is_in(hardware), pl.col("fits"))
    idle = sorted((1.0 - rows["gpu_busy"]).to_list())
    return statistics.median(idle), idle[0], idle[-1]


def pooling_gpus(params: float = 100e9) -> int:
    """A100-80GB GPUs to hold 16 B/param of model states (H5)."""
    return gpus_for_pooling(params, 80.0)


def speedup(tp: pl.DataFrame, hardware: str, model: str, system: str = "fuyou",
            baseline: str = "zero-infinity") -> float | None:
    """Best TFLOPS of ``system`` over the best of ``baseline`` (None if either never fits)."""
    a, b = best_tflops(tp, hardware, model, system), best_tflops(tp, hardware, model, baseline)
    return a / b if a and b else None


def beats_cluster(cost: pl.DataFrame, config: str = "Fuyou, 1x RTX 4090",
                  basis: str = "whole server") -> tuple[float, float, float]:
    """(1.0 if ``config`` has more TFLOPS per 1000 USD than the DGX cluster else 0.0, its value,
    the cluster's) on the ``basis`` cost (``sweeps.cost_effectiveness``)."""
    c = cost.filter(pl.col("cost") == basis)
    mine = float(c.filter(pl.col("config") == config)["tflops_per_kusd"][0])
    dgx = float(c.filter(pl.col("config").str.contains("DGX"))["tflops_per_kusd"][0])
    return float(mine > dgx), mine, dgx
