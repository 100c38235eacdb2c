"""Fuyou's iteration time from its mechanism, with three named fitted parameters.

Design. One closed form per system, each term a resource's busy time for one iteration of a GPT
model (L layers, hidden h, P params, micro-batch B, sequence s) on the paper's RTX 4090 testbed
(:data:`TESTBED`, every constant with its source). Terms (bytes / bandwidth, FLOPs / rate):

* **GPU**: forward ``L F`` and backward ``2 L F`` plus the recompute that activation swapping
  does not save, ``L (F - saved(c))``; rate ``peak x gpu_eff``.
* **Traffic that does not grow with batch** (this is what makes small batches I/O-bound):
  fp16 parameters in twice (2P + 2P bytes SSD->DRAM->GPU), fp16 gradients out (2P, GPU->DRAM, never
  to the SSD), optimizer states through the SSD array (read 12P, write 12P + 2P fp16 copy). The
  array is one queue: read time and write time add; bandwidth ``n x per-drive x ssd_eff``.
* **Activation memory under checkpointing and swapping**: two fp16 checkpoints per layer
  (``4 B s h`` bytes) plus a swapped fraction ``c`` of the GEMM outputs (up to ``18 B s h``) go
  GPU->DRAM in forward and back in backward. The GPU must hold the FIFO of parameter blocks and
  one layer's working activations plus two layers of swapped activations
  (:func:`paperkit.fuyou.memory.requirements`); ``c`` is the fastest choice that fits in 24 GB,
  and a batch with no fitting ``c`` does not fit.
* **PCIe shared** between parameter and activation traffic, per direction (full duplex).
* **CPU Adam** as a DRAM-bandwidth-bound stream: 30 bytes per parameter (read fp32 p, g, m, v;
  write p, m, v and the fp16 copy) at the DRAM bandwidth.
* **Overlap of backward with the out-of-core optimizer**: Fuyou's backward phase lasts
  ``max(GPU, SSD, PCIe, CPU) + overlap_loss x min(GPU, SSD)`` plus the tail of one sub-group
  (7e8 params) whose update cannot overlap; ``overlap_loss`` (0: perfect overlap, 1: serial) is
  where the overlap stalls (head-of-line waits between the SSD queue and the GPU).

Fitted parameters (at most three, :class:`Fitted`): ``gpu_eff`` (achieved fraction of the 4090's
dense FP16 peak; replaces the former unsourced 0.75), ``ssd_eff`` (fraction of n x vendor
bandwidth that RAID-0 + ext4 + libaio deliver; replaces the assumed 0.8), ``overlap_loss``.
They are fitted by least squares on relative error to a stated subset of the authors' artifact
measurements (:func:`fit`) and validated on the rest (:func:`validate`) and by leaving out one
SSD count at a time (:func:`leave_one_out`).

Baselines from their schedules: ZeRO-Infinity runs the optimizer after backward, sub-group by
sub-group read -> Adam -> write without overlap (DeepSpeed ``pipeline_read/write`` off), copies
one checkpoint per layer synchronously to DRAM and recomputes everything; ZeRO-Offload keeps
fp16 params on the GPU and fp32 states in DRAM, optimizer after backward. TFLOPS are credited
with the factor-4 convention (:meth:`ModelShape.iteration_flops`) for every system.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import polars as pl
from scipy.optimize import least_squares

from .hardware import HardwareProfile, get_profile
from .memory import requirements
from .shapes import ModelShape, param_count

SUBGROUP_PARAMS = 7e8  # artifact config.json sub_group_size
ADAM_BYTES_PER_PARAM = 30.0  # fp32 p, g, m, v read (16 B) + p, m, v write (12 B) + fp16 p (2 B)
COEFFS = tuple(float(c) for c in np.round(np.linspace(0.0, 1.0, 21), 3))


@dataclass(frozen=True)
class Testbed:
    """Sourced constants of the paper's RTX 4090 box (units in the names)."""

    gpu_peak_flops: float = 165.2e12  # RTX 4090 dense FP16 tensor, FP32 accumulate (NVIDIA Ada whitepaper)
    gpu_mem_b: float = 24e9  # RTX 4090
    pcie_bps: float = 20e9  # pinned PCIe 4.0 x16 per direction, the authors' artifact constant (utils.py)
    ssd_read_bps: float = 6.5e9  # Intel D7-P5510 3.84 TB, vendor sheet, per drive
    ssd_write_bps: float = 3.4e9  # same
    dram_bps: float = 409.6e9  # 2 sockets x 8 channels DDR4-3200 (paper: 204.8 GB/s per socket)
    cpu_mem_b: float = 768e9  # testbed DRAM


TESTBED = Testbed()
PARAM_NAMES = ("gpu_eff", "ssd_eff", "overlap_loss")


@dataclass(frozen=True)
class Fitted:
    """The three fitted parameters (see the module docstring)."""

    gpu_eff: float
    ssd_eff: float
    overlap_loss: float

    def as_array(self) -> np.ndarray:
        return np.array([self.gpu_eff, self.ssd_eff, self.overlap_loss])


BOUNDS = (np.array([0.3, 0.3, 0.0]), np.array([1.0, 1.0, 1.0]))


def shape_13b(batch: int, layers: int = 40, hidden: int = 5120, heads: int = 40,
              seq: int = 1024) -> ModelShape:
    """The artifact's GPT shape (params from the shape, not the nominal 13e9)."""
    return ModelShape(params=float(param_count(layers, hidden, seq)), layers=layers,
                      hidden=hidden, heads=heads, batch=batch, seq=seq)


@lru_cache(maxsize=None)
def gpu_need_b(shape: ModelShape, coeff: float) -> float:
    """Fuyou's GPU memory need (bytes) at swap fraction ``coeff`` (memory.requirements)."""
    return requirements(shape, _profile_4090(), "fuyou", coeff)[0]


@lru_cache(maxsize=1)
def _profile_4090() -> HardwareProfile:
    return get_profile("fuyou-4090")


def _rates(n_ssd: int, fitted: Fitted, tb: Testbed) -> tuple[float, float, float]:
    """(GPU FLOP/s, SSD array read B/s, SSD array write B/s) under the fitted efficiencies."""
    if n_ssd < 1:
        raise ValueError(f"n_ssd must be >= 1 (Fuyou streams its states from the SSDs), got {n_ssd}")
    return (tb.gpu_peak_flops * fitted.gpu_eff, n_ssd * tb.ssd_read_bps * fitted.ssd_eff,
            n_ssd * tb.ssd_write_bps * fitted.ssd_eff)


def fuyou_terms(shape: ModelShape, n_ssd: int, fitted: Fitted, coeff: float,
                tb: Testbed = TESTBED) -> dict[str, float]:
    """Every term of one Fuyou iteration at swap fraction ``coeff``: seconds (``*_s``), bytes
    (``*_b``) and executed GPU FLOPs; ``iteration_s`` combines them (module docstring)."""
    R, rd, wr = _rates(n_ssd, fitted, tb)
    L, P, F = shape.layers, shape.params, shape.layer_fwd_flops
    swap_b, saved = shape.swap_saving(coeff)
    act_b = L * (shape.ckpt_bytes_per_layer + swap_b)  # each way: out in forward, in in backward
    G = min(SUBGROUP_PARAMS, P)
    t = dict(gpu_fwd_s=L * F / R, ssd_fwd_s=2 * P / rd, h2d_fwd_s=2 * P / tb.pcie_bps,
             d2h_fwd_s=act_b / tb.pcie_bps,
             gpu_bwd_s=L * (3 * F - saved) / R, ssd_bwd_s=14 * P / rd + 14 * P / wr,
             h2d_bwd_s=(2 * P + act_b) / tb.pcie_bps, d2h_bwd_s=2 * P / tb.pcie_bps,
             adam_s=ADAM_BYTES_PER_PARAM * P / tb.dram_bps,
             tail_s=12 * G / rd + ADAM_BYTES_PER_PARAM * G / tb.dram_bps + 14 * G / wr)
    fwd = max(t["gpu_fwd_s"], t["ssd_fwd_s"], t["h2d_fwd_s"], t["d2h_fwd_s"])
    stall = fitted.overlap_loss * min(t["gpu_bwd_s"], t["ssd_bwd_s"])
    bwd = max(t["gpu_bwd_s"], t["ssd_bwd_s"], t["h2d_bwd_s"], t["d2h_bwd_s"], t["adam_s"])
    return t | dict(fwd_s=fwd, bwd_opt_s=bwd + stall + t["tail_s"], stall_s=stall,
                    iteration_s=fwd + bwd + stall + t["tail_s"], coeff=coeff,
                    gpu_flops_done=L * (4 * F - saved), ssd_read_b=16 * P, ssd_write_b=14 * P,
                    h2d_b=4 * P + act_b, d2h_b=2 * P + act_b, dram_b=ADAM_BYTES_PER_PARAM * P,
                    gpu_need_b=gpu_need_b(shape, coeff))


def fuyou(shape: ModelShape, n_ssd: int, fitted: Fitted, tb: Testbed = TESTBED) -> dict | None:
    """The fastest Fuyou iteration over the swap fractions that fit in GPU memory, with its
    terms and credited ``tflops``; None when no swap fraction fits (the batch is too large)."""
    best = None
    for c in COEFFS:
        if gpu_need_b(shape, c) > tb.gpu_mem_b:
            continue
        t = fuyou_terms(shape, n_ssd, fitted, c, tb)
        if best is None or t["iteration_s"] < best["iteration_s"] - 1e-12:
            best = t
    if best is None:
        return None
    return best | dict(tflops=shape.iteration_flops() / best["iteration_s"] / 1e12)


def zero_infinity(shape: ModelShape, n_ssd: int, fitted: Fitted, tb: Testbed = TESTBED
                  ) -> dict[str, float]:
    """ZeRO-Infinity's schedule: forward and backward (full recompute) each wait for a
    synchronous copy of one fp16 checkpoint per layer; fp16 params stream from the SSDs through
    CPU bounce buffers; after backward the optimizer reads 12P, runs Adam, writes 14P, per
    sub-group with no overlap between the three (so the three times add)."""
    R, rd, wr = _rates(n_ssd, fitted, tb)
    L, P, F = shape.layers, shape.params, shape.layer_fwd_flops
    ck_b = L * shape.ckpt_bytes_per_layer / 2
    t = dict(fwd_s=max(L * F / R + ck_b / tb.pcie_bps, 2 * P / rd, 2 * P / tb.pcie_bps),
             bwd_s=max(L * 3 * F / R + ck_b / tb.pcie_bps, 2 * P / rd, 2 * P / tb.pcie_bps),
             opt_read_s=12 * P / rd, opt_adam_s=ADAM_BYTES_PER_PARAM * P / tb.dram_bps,
             opt_write_s=14 * P / wr)
    t["opt_s"] = t["opt_read_s"] + t["opt_adam_s"] + t["opt_write_s"]
    t["iteration_s"] = t["fwd_s"] + t["bwd_s"] + t["opt_s"]
    return t | dict(tflops=shape.iteration_flops() / t["iteration_s"] / 1e12,
                    gpu_flops_done=4 * L * F, ssd_read_b=16 * P, ssd_write_b=14 * P)


def zero_infinity_bandwidth_for(shape: ModelShape, n_ssd: int, fitted: Fitted,
                                tflops: float, tb: Testbed = TESTBED) -> float:
    """The SSD efficiency (fraction of n x vendor bandwidth) at which :func:`zero_infinity`
    gives ``tflops``: how slow ZeRO-Infinity's NVMe path would have to be. NaN if unreachable."""
    target = shape.iteration_flops() / (tflops * 1e12)
    lo, hi = 1e-4, 1.0
    f = lambda e: zero_infinity(shape, n_ssd, replace(fitted, ssd_eff=e), tb)["iteration_s"]
    if f(hi) > target or f(lo) < target:
        return float("nan")
    for _ in range(60):  # bisection: iteration time falls as the efficiency rises
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) > target else (lo, mid)
    return (lo + hi) / 2


# ---- fitting and validation on the authors' measurements --------------------------------------
STARTS = ((0.9, 0.9, 0.2), (0.7, 0.7, 0.6), (1.0, 1.0, 0.0))
UNFIT_RESIDUAL = 1.0  # a measured point the model rejects as "does not fit" counts as 100 % off


def _shape(row: dict) -> ModelShape:
    return shape_13b(int(row["batch"]), int(row["layers"]), int(row["hidden"]), int(row["heads"]))


def predict_points(points: pl.DataFrame, fitted: Fitted) -> pl.DataFrame:
    """``points`` (ssds, batch, layers, hidden, heads, tflops measured) with the model's
    ``model_tflops``, relative ``err`` (model / measured - 1), swap fraction and bound."""
    rows = []
    for r in points.sort(["batch", "ssds"]).iter_rows(named=True):
        p = fuyou(_shape(r), int(r["ssds"]), fitted)
        rows.append(r | dict(
            model_tflops=p["tflops"] if p else None,
            err=p["tflops"] / r["tflops"] - 1 if p else None,
            swap_coeff=p["coeff"] if p else None,
            bound=(max(("GPU", p["gpu_bwd_s"]), ("SSD", p["ssd_bwd_s"]),
                       ("PCIe", p["h2d_bwd_s"]), key=lambda kv: kv[1])[0] if p else "does not fit")))
    return pl.DataFrame(rows).sort(["batch", "ssds"])


def _residuals(x: np.ndarray, points: pl.DataFrame) -> np.ndarray:
    f = Fitted(*(float(v) for v in x))
    out = []
    for r in points.iter_rows(named=True):
        p = fuyou(_shape(r), int(r["ssds"]), f)
        out.append(p["tflops"] / r["tflops"] - 1 if p else UNFIT_RESIDUAL)
    return np.array(out)


def fit(points: pl.DataFrame) -> Fitted:
    """Least squares on relative error over ``points``, from :data:`STARTS` (deterministic;
    the best of the three starts is kept)."""
    if points.height < len(PARAM_NAMES):
        raise ValueError(f"fit needs at least {len(PARAM_NAMES)} points, got {points.height}")
    best = None
    for x0 in STARTS:
        res = least_squares(_residuals, np.array(x0), bounds=BOUNDS, args=(points,),
                            diff_step=1e-3, method="trf")
        if best is None or res.cost < best.cost - 1e-15:
            best = res
    return Fitted(*(round(float(v), 4) for v in best.x))


def mean_abs_err(frame: pl.DataFrame) -> float:
    """Mean |model / measured - 1| over the rows (a rejected point counts as 100 %)."""
    return float(frame["err"].fill_null(UNFIT_RESIDUAL).abs().mean())


def validate(points: pl.DataFrame, fit_batch: int = 48) -> tuple[Fitted, pl.DataFrame]:
    """Fit on the ``fit_batch`` sweep; every point with its error and role (fit / held out)."""
    on = points.filter(pl.col("batch") == fit_batch)
    fitted = fit(on)
    frame = predict_points(points, fitted).with_columns(
        role=pl.when(pl.col("batch") == fit_batch).then(pl.lit("fit")).otherwise(pl.lit("held out")))
    return fitted, frame


def leave_one_out(points: pl.DataFrame) -> pl.DataFrame:
    """Leave one SSD count out: fit on every other SSD count (all batches), predict the left-out
    points. One row per predicted point with the parameters it was predicted with."""
    rows = []
    for n in sorted(set(points["ssds"].to_list())):
        fitted = fit(points.filter(pl.col("ssds") != n))
        pred = predict_points(points.filter(pl.col("ssds") == n), fitted)
        rows.append(pred.with_columns(left_out=pl.lit(n), gpu_eff=pl.lit(fitted.gpu_eff),
                                      ssd_eff=pl.lit(fitted.ssd_eff),
                                      overlap_loss=pl.lit(fitted.overlap_loss)))
    return pl.concat(rows).sort(["left_out", "batch"])


def errors(frame: pl.DataFrame, loo: pl.DataFrame) -> pl.DataFrame:
    """Mean absolute relative error on the fit subset, the held-out points, and leave-one-out."""
    return pl.DataFrame([
        dict(subset="fit", points=frame.filter(role="fit").height,
             mean_abs_err=mean_abs_err(frame.filter(role="fit"))),
        dict(subset="held out", points=frame.filter(role="held out").height,
             mean_abs_err=mean_abs_err(frame.filter(role="held out"))),
        dict(subset="leave one SSD count out", points=loo.height, mean_abs_err=mean_abs_err(loo)),
    ])


def curve(fitted: Fitted, batches: list[int], n_ssds: list[int]) -> pl.DataFrame:
    """Modelled Fuyou TFLOPS for 13B on the 4090 testbed over batches and SSD counts."""
    rows = []
    for b in batches:
        for n in n_ssds:
            p = fuyou(shape_13b(b), n, fitted)
            rows.append(dict(batch=b, ssds=n, model_tflops=p["tflops"] if p else None,
                             swap_coeff=p["coeff"] if p else None, source="model"))
    return pl.DataFrame(rows).sort(["batch", "ssds"])


def baselines(fitted: Fitted, batches: list[int], n_ssd: int = 12) -> pl.DataFrame:
    """Fuyou and ZeRO-Infinity from their schedules (13B, 4090 testbed) per batch, with the
    SSD efficiency ZeRO-Infinity's NVMe path would need for ``target`` TFLOPS (see notebook)."""
    rows = []
    for b in batches:
        s = shape_13b(b)
        fy, zi = fuyou(s, n_ssd, fitted), zero_infinity(s, n_ssd, fitted)
        rows.append(dict(batch=b, fuyou_tflops=fy["tflops"] if fy else None,
                         zero_inf_tflops=zi["tflops"], zero_inf_fwd_s=zi["fwd_s"],
                         zero_inf_bwd_s=zi["bwd_s"], zero_inf_opt_s=zi["opt_s"],
                         zero_inf_opt_share=zi["opt_s"] / zi["iteration_s"]))
    return pl.DataFrame(rows).sort("batch")
