"""Fitting and validating the mechanism model's three parameters on the authors' measurements.

Fitted parameters (:data:`PARAM_NAMES`, the 4090 profile's fields): ``gpu_efficiency`` (achieved
fraction of the dense FP16 peak), ``ssd_raid_efficiency`` (fraction of the array's rate,
``min(n x per-drive, host ceiling)``, that RAID-0 + ext4 + libaio deliver), ``overlap_loss``
(backward/optimizer overlap stall). Least squares on relative error over a stated subset of the
authors' artifact sweep (:func:`fit`), judged on the rest (:func:`validate`) and by leaving out
one SSD count at a time (:func:`leave_one_out`). A measured point the model rejects as "does not
fit" counts as 100 % off.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.optimize import least_squares

from .hardware import HardwareProfile, get_profile
from .prediction import predict
from .shapes import ModelShape, param_count

PARAM_NAMES = ("gpu_efficiency", "ssd_raid_efficiency", "overlap_loss")
BOUNDS = (np.array([0.3, 0.3, 0.0]), np.array([1.0, 1.0, 1.0]))
STARTS = ((0.9, 0.9, 0.2), (0.7, 0.7, 0.6), (1.0, 1.0, 0.0))
UNFIT_RESIDUAL = 1.0


@dataclass(frozen=True)
class Fitted:
    """The three fitted parameters (module docstring)."""

    gpu_efficiency: float
    ssd_raid_efficiency: float
    overlap_loss: float

    def profile(self, base: str = "fuyou-4090", **overrides) -> HardwareProfile:
        """``base`` with these parameters (and ``overrides``, e.g. ``n_ssd``)."""
        return get_profile(base, **vars(self), **overrides)

    @classmethod
    def of(cls, hw: HardwareProfile) -> "Fitted":
        return cls(*(float(getattr(hw, k)) for k in PARAM_NAMES))


def point_shape(row: dict) -> ModelShape:
    """The GPT shape of one measured point (params from the shape, not the nominal size)."""
    L, h = int(row["layers"]), int(row["hidden"])
    return ModelShape(params=float(param_count(L, h)), layers=L, hidden=h,
                      heads=int(row["heads"]), batch=int(row["batch"]))


def predict_points(points: pl.DataFrame, fitted: Fitted) -> pl.DataFrame:
    """``points`` with the model's ``model_tflops``, relative ``err`` (model / measured - 1),
    swap fraction and the busiest backward resource (``bound``)."""
    rows = []
    for r in points.sort(["batch", "ssds"]).iter_rows(named=True):
        p = predict(point_shape(r), fitted.profile(n_ssd=int(r["ssds"])), "fuyou")
        bound = (max(("GPU", "SSD", "H2D"), key=lambda k: p.busy_s[k]) if p.fits
                 else "does not fit")
        rows.append(r | dict(model_tflops=p.tflops, swap_coeff=p.swap_coeff if p.fits else None,
                             err=p.tflops / r["tflops"] - 1 if p.fits else None, bound=bound))
    return pl.DataFrame(rows).sort(["batch", "ssds"])


def _residuals(x: np.ndarray, points: pl.DataFrame) -> np.ndarray:
    frame = predict_points(points, Fitted(*(float(v) for v in x)))
    return frame["err"].fill_null(UNFIT_RESIDUAL).to_numpy()


def fit(points: pl.DataFrame) -> Fitted:
    """Least squares on relative error over ``points`` from :data:`STARTS` (deterministic)."""
    if points.height < len(PARAM_NAMES):
        raise ValueError(f"fit needs at least {len(PARAM_NAMES)} points, got {points.height}")
    best = None
    for x0 in STARTS:
        res = least_squares(_residuals, np.array(x0), bounds=BOUNDS, args=(points,),
                            diff_step=1e-3, method="trf")
        if best is None or res.cost < best.cost - 1e-15:
            best = res
    return Fitted(*(round(float(v), 3) for v in best.x))


def mean_abs_err(frame: pl.DataFrame) -> float:
    """Mean |model / measured - 1| over the rows (a rejected point counts as 100 %)."""
    return float(frame["err"].fill_null(UNFIT_RESIDUAL).abs().mean())


def validate(points: pl.DataFrame, fit_batch: int = 48) -> tuple[Fitted, pl.DataFrame]:
    """Fit on the ``fit_batch`` sweep; every point with its error and role (fit / held out)."""
    fitted = fit(points.filter(pl.col("batch") == fit_batch))
    frame = predict_points(points, fitted).with_columns(
        role=pl.when(pl.col("batch") == fit_batch).then(pl.lit("fit")).otherwise(pl.lit("held out")))
    return fitted, frame


def leave_one_out(points: pl.DataFrame) -> pl.DataFrame:
    """Fit on every other SSD count (all batches), predict the left-out points."""
    rows = []
    for n in sorted(set(points["ssds"].to_list())):
        f = fit(points.filter(pl.col("ssds") != n))
        pred = predict_points(points.filter(pl.col("ssds") == n), f)
        rows.append(pred.with_columns(left_out=pl.lit(n), **{k: pl.lit(v) for k, v in vars(f).items()}))
    return pl.concat(rows).sort(["left_out", "batch"])


def errors(frame: pl.DataFrame, loo: pl.DataFrame | None = None) -> pl.DataFrame:
    """Mean absolute relative error on the fit subset, the held-out points, and leave-one-out."""
    rows = [dict(subset=s, points=frame.filter(role=s).height,
                 mean_abs_err=mean_abs_err(frame.filter(role=s))) for s in ("fit", "held out")]
    if loo is not None:
        rows.append(dict(subset="leave one SSD count out", points=loo.height,
                         mean_abs_err=mean_abs_err(loo)))
    return pl.DataFrame(rows)


def curve(fitted: Fitted, batches: list[int], n_ssds: list[int], layers: int = 40,
          hidden: int = 5120, heads: int = 40) -> pl.DataFrame:
    """Modelled Fuyou TFLOPS over batches and SSD counts (13B shape by default)."""
    grid = pl.DataFrame([dict(batch=b, ssds=n, layers=layers, hidden=hidden, heads=heads,
                              tflops=1.0) for b in batches for n in n_ssds])
    return (predict_points(grid, fitted).select("batch", "ssds", "model_tflops", "swap_coeff")
            .with_columns(source=pl.lit("model")))
