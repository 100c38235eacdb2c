"""Synthetic normalised row power traces calibrated to the paper's production statistics.
SYNTHETIC: the paper's six-week production trace (40 servers, 2023-06-21..08-02) is not public.

Inference row (E1/E4/E11): ``u(t) = base + a_d * diurnal(t) * weekly(t) + sigma * OU(t)`` at 1 s,
with an Ornstein-Uhlenbeck burst term (time constant ``tau_s``). Calibration (exact, on the
generated series): ``sigma`` by bisection so that the max 40 s rise equals ``spike40`` (11.8 %
[Q]); then a shift so that the peak equals ``peak`` (79 % [Q]).

Training row (E1/E4): iterations alternating compute (high) and boundary (low) power, scaled so
that the peak is 97 % and the max 2 s rise is 37.5 % [Q].

Statistics (:func:`trace_stats`): peak = max, ``spike_w`` = max over t of
``u(t) - min(u[t-w .. t])`` (largest rise within a ``w``-second window), all in units of the
provisioned power.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import minimum_filter1d
from scipy.optimize import brentq
from scipy.signal import lfilter

DAY_S = 86_400
WEEK_S = 7 * DAY_S


@dataclass(frozen=True)
class RowTraceConfig:
    """Synthetic inference-row trace parameters (fractions of provisioned power, seconds)."""

    days: float = 42.0          # six weeks
    peak: float = 0.79          # [Q] inference peak utilisation
    spike40: float = 0.118      # [Q] max rise within 40 s (OOB latency)
    base: float = 0.50          # night-time level before the shift (assumption)
    diurnal_amp: float = 0.22   # day-night swing (assumption; shape only, not in the paper)
    weekend_factor: float = 0.75  # weekend swing relative to weekdays (assumption)
    tau_s: float = 60.0         # burst correlation time (assumption)
    peak_hour: float = 15.0     # hour of the diurnal maximum (assumption)
    seed: int = 0


def diurnal_envelope(t_s: np.ndarray, cfg: RowTraceConfig) -> np.ndarray:
    """Deterministic day/week shape in [0, 1]: raised cosine peaking at ``peak_hour``."""
    hour = (t_s % DAY_S) / 3600.0
    day = (t_s // DAY_S) % 7
    shape = 0.5 * (1.0 + np.cos(2 * np.pi * (hour - cfg.peak_hour) / 24.0))
    shape = shape ** 1.5  # a narrower daytime plateau
    return np.where(day >= 5, cfg.weekend_factor, 1.0) * shape


def ou_process(n: int, tau_s: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance AR(1) (discretised OU) series of length ``n`` at 1 s steps."""
    rho = float(np.exp(-1.0 / tau_s))
    z = rng.standard_normal(n) * np.sqrt(1 - rho * rho)
    x0 = rng.standard_normal()
    y, _ = lfilter([1.0], [1.0, -rho], z, zi=[rho * x0])
    return y


def max_rise(u: np.ndarray, window_s: int, dt_s: float = 1.0) -> float:
    """Largest rise of ``u`` within ``window_s`` seconds: max_t u(t) - min(u[t-w..t])."""
    w = int(round(window_s / dt_s))
    if w < 1:
        raise ValueError(f"window_s={window_s} is shorter than the sample period {dt_s}")
    if u.size <= w:
        raise ValueError(f"trace of {u.size} samples is shorter than the {w}-sample window")
    lo = minimum_filter1d(u, size=w + 1, origin=w // 2, mode="nearest")
    return float(np.max(u - lo))


def trace_stats(u: np.ndarray, dt_s: float = 1.0) -> dict[str, float]:
    """Peak, mean, p99 (linear), max rise within 2 s and 40 s (fractions of provisioned power)."""
    return {"peak": float(u.max()), "mean": float(u.mean()),
            "p99": float(np.quantile(u, 0.99, method="linear")),
            "spike2": max_rise(u, 2, dt_s), "spike40": max_rise(u, 40, dt_s)}


def metered(x: np.ndarray, meter_s: int) -> np.ndarray:
    """Trailing mean over ``meter_s`` samples (PDU metering); ``meter_s`` = 1 returns ``x``.
    The first ``meter_s - 1`` samples average what there is so far."""
    if meter_s < 1:
        raise ValueError(f"meter_s must be >= 1, got {meter_s}")
    if meter_s == 1:
        return np.asarray(x, dtype=np.float64)
    c = np.cumsum(np.r_[0.0, np.asarray(x, dtype=np.float64)])
    m = min(meter_s, c.size - 1)
    head = c[1:m] / np.arange(1, m)
    return np.concatenate([head, (c[m:] - c[:-m]) / m]) if c.size > m else head


def trace_parts(cfg: RowTraceConfig = RowTraceConfig()) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic diurnal part and unit-variance OU burst part of the trace (1 s)."""
    n = int(cfg.days * DAY_S)
    if n < 3600:
        raise ValueError(f"days={cfg.days} gives fewer than 3600 s; use >= 1/24 day")
    rng = np.random.default_rng(cfg.seed)
    t = np.arange(n, dtype=np.float64)
    return cfg.base + cfg.diurnal_amp * diurnal_envelope(t, cfg), ou_process(n, cfg.tau_s, rng)


def calibrate(det: np.ndarray, ou: np.ndarray, peak: float, spike40: float,
              noise: np.ndarray | None = None, meter_s: int = 1) -> tuple[float, float]:
    """Scale ``sigma`` of the OU part and shift ``c`` so that ``metered(det + sigma ou + c + noise)``
    has max ``peak`` and max 40 s rise ``spike40``. Returns ``(sigma, c)``; ``sigma`` = 0 if the
    noise alone already rises more than ``spike40`` (then only the peak is matched)."""
    noise = np.zeros_like(det) if noise is None else noise

    def series(sig: float) -> np.ndarray:
        return metered(det + sig * ou + noise, meter_s)

    lo, hi = 0.0, 0.05
    if max_rise(series(0.0), 40) >= spike40:
        hi = 0.0
    else:
        while max_rise(series(hi), 40) < spike40:
            hi *= 2
            if hi > 10:
                raise ValueError(f"spike40={spike40} unreachable with this OU part")
        lo = brentq(lambda x: max_rise(series(x), 40) - spike40, lo, hi, xtol=1e-9, rtol=1e-10)
        hi = lo
    sig = 0.5 * (lo + hi)
    return sig, float(peak - series(sig).max())


def synthetic_row_trace(cfg: RowTraceConfig = RowTraceConfig()) -> np.ndarray:
    """Normalised inference-row power at 1 s, calibrated to ``cfg.peak`` and ``cfg.spike40``."""
    det, ou = trace_parts(cfg)
    sig, c = calibrate(det, ou, cfg.peak, cfg.spike40)
    return det + sig * ou + c


def peak_window(u: np.ndarray, days: float) -> tuple[int, int]:
    """Start/end seconds of a ``days``-long window of whole days containing the trace's peak."""
    n = int(days * DAY_S)
    if n >= u.size:
        return 0, u.size
    day0 = int(np.argmax(u)) // DAY_S
    start = min(max(0, (day0 - int(days) // 2) * DAY_S), u.size - n)
    return start, start + n


@dataclass(frozen=True)
class TrainingTraceConfig:
    """Synthetic training-row trace: ``iter_s`` iterations with a ``dip_s`` boundary dip."""

    seconds: int = 3600
    dt_s: float = 0.1
    iter_s: float = 6.0
    dip_s: float = 1.0
    peak: float = 0.97      # [Q]
    spike2: float = 0.375   # [Q] max rise within 2 s
    noise: float = 0.01
    seed: int = 0


def synthetic_training_trace(cfg: TrainingTraceConfig = TrainingTraceConfig()) -> np.ndarray:
    """Normalised training-row power at ``dt_s`` with synchronous iteration-boundary dips."""
    rng = np.random.default_rng(cfg.seed)
    t = np.arange(int(cfg.seconds / cfg.dt_s)) * cfg.dt_s
    dip = ((t % cfg.iter_s) < cfg.dip_s).astype(float)
    x = 1.0 - dip + cfg.noise * rng.standard_normal(t.size)
    x = np.convolve(x, np.ones(3) / 3, mode="same")  # ~0.3 s ramps
    x[:2] = x[2]
    x[-2:] = x[-3]
    scale = cfg.spike2 / max_rise(x, 2, cfg.dt_s)
    x = x * scale
    return x + (cfg.peak - x.max())
