"""Diurnal peaks (Fig 5) and the per-function peak-to-trough ratio (Fig 6).

The paper defines the peak-to-trough ratio only in words ("the ratio between the
highest peak of a function's periodic invocation pattern and its lowest trough";
constant or peak-less functions get 1).  The algorithm chosen here
(:func:`peak_to_trough`):

1. hourly request counts of the function over the whole trace, every hour present
   (missing hours = 0);
2. smooth with a centred rolling mean of ``smooth_hours`` (default 3) hours
   (edges use the nearest value);
3. peaks = ``scipy.signal.find_peaks(s, prominence=p)`` and troughs = the same on
   ``-s``, with ``p = max(min_prominence, rel_prominence * max(s))`` (defaults 1 request/hour
   and 5 %) so that noise of a fraction of a request is not a peak;
4. no peak or no trough -> ratio 1 (constant load, one-off spikes below 1 request/hour);
5. otherwise ratio = max(s[peaks]) / max(min(s[troughs]), trough_floor) with
   ``trough_floor`` = 1 request/hour, so that an idle night gives a finite ratio equal to the
   peak rate in requests/hour.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from .series import MINUTES_PER_DAY, hour_expr, region_totals_per_minute, require


@dataclass(frozen=True)
class PeakConfig:
    """Peak-to-trough parameters (units: hours, requests per hour)."""

    smooth_hours: int = 3
    min_prominence: float = 1.0
    rel_prominence: float = 0.05
    trough_floor: float = 1.0


def ratio_of_series(counts: np.ndarray, cfg: PeakConfig = PeakConfig()) -> float:
    """Peak-to-trough ratio of one hourly count series (see module docstring)."""
    x = np.asarray(counts, dtype=float)
    if x.ndim != 1 or x.size < 3:
        raise ValueError(f"ratio_of_series needs a 1-D series of >= 3 hours, got shape {x.shape}")
    s = uniform_filter1d(x, size=max(1, cfg.smooth_hours), mode="nearest")
    prom = max(cfg.min_prominence, cfg.rel_prominence * float(s.max()))
    pk, _ = find_peaks(s, prominence=prom)
    tr, _ = find_peaks(-s, prominence=prom)
    if pk.size == 0 or tr.size == 0:
        return 1.0
    return float(s[pk].max() / max(float(s[tr].min()), cfg.trough_floor))


def hourly_matrix(requests: pl.LazyFrame) -> tuple[pl.DataFrame, np.ndarray]:
    """Per (region, funcID) the hourly request counts as a dense matrix (missing hours = 0).

    Returns (keys frame region, funcID in row order, float matrix n_funcs x n_hours).
    """
    require(requests, ["region", "funcID", "time", "requests"], "hourly_matrix")
    h = (
        requests.group_by("region", "funcID", hour_expr()).agg(pl.col("requests").fill_null(0).sum())
        .collect(engine="streaming")
    )
    keys = h.select("region", "funcID").unique().sort(["region", "funcID"]).with_row_index("row")
    n_hours = int(h["hour"].max()) + 1 if h.height else 0
    mat = np.zeros((keys.height, n_hours))
    hh = h.join(keys, on=["region", "funcID"])
    mat[hh["row"].to_numpy(), hh["hour"].to_numpy()] = hh["requests"].to_numpy().astype(float)
    return keys.drop("row"), mat


def peak_to_trough(requests: pl.LazyFrame, cfg: PeakConfig = PeakConfig()) -> pl.DataFrame:
    """Fig 6: per (region, funcID) the peak-to-trough ratio; columns region, funcID, ratio."""
    keys, mat = hourly_matrix(requests)
    ratios = [ratio_of_series(row, cfg) for row in mat] if mat.shape[1] >= 3 else [1.0] * keys.height
    return keys.with_columns(pl.Series("ratio", ratios, dtype=pl.Float64)).sort(["region", "funcID"])


def diurnal(requests: pl.LazyFrame, days: int = 3, smooth_minutes: int = 45) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fig 5: normalised per-minute region requests for the first ``days`` days, a smoothed
    signal and the largest peak of each day.

    Normalisation is min-max over the window (0..1).  Smoothing is a centred rolling mean
    of ``smooth_minutes``.  The daily peak is the highest ``find_peaks`` peak of the smoothed
    signal in that day (argmax if there is none).

    Returns (series: region, minute, t_days, norm, smooth;
             peaks: region, day, t_days, frac_of_day).
    """
    tot = region_totals_per_minute(requests, "requests").filter(pl.col("minute") < days * MINUTES_PER_DAY)
    series, peaks = [], []
    for region in sorted(tot["region"].unique().to_list()):
        r = tot.filter(pl.col("region") == region).sort("minute")
        y = r["requests"].to_numpy().astype(float)
        span = y.max() - y.min()
        norm = (y - y.min()) / span if span > 0 else np.zeros_like(y)
        sm = uniform_filter1d(norm, size=smooth_minutes, mode="nearest")
        minute = r["minute"].to_numpy()
        series.append(pl.DataFrame({"region": region, "minute": minute, "t_days": minute / MINUTES_PER_DAY,
                                    "norm": norm, "smooth": sm}))
        pk, _ = find_peaks(sm)
        for d in range(days):
            lo, hi = d * MINUTES_PER_DAY, (d + 1) * MINUTES_PER_DAY
            cand = pk[(minute[pk] >= lo) & (minute[pk] < hi)] if pk.size else pk
            in_day = np.nonzero((minute >= lo) & (minute < hi))[0]
            if in_day.size == 0:
                continue
            best = cand[np.argmax(sm[cand])] if cand.size else in_day[np.argmax(sm[in_day])]
            peaks.append({"region": region, "day": d, "t_days": float(minute[best] / MINUTES_PER_DAY),
                          "frac_of_day": float((minute[best] - lo) / MINUTES_PER_DAY)})
    s = pl.concat(series) if series else pl.DataFrame()
    p = pl.DataFrame(peaks) if peaks else pl.DataFrame(schema={"region": pl.String, "day": pl.Int64,
                                                             "t_days": pl.Float64, "frac_of_day": pl.Float64})
    return s.sort(["region", "minute"]) if s.height else s, p.sort(["region", "day"])
