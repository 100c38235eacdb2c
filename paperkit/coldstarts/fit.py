"""Maximum-likelihood fits used by the paper (Fig. 10): LogNormal for cold-start time, Weibull for
inter-arrival times. Inputs are in seconds; zeros and non-finite values are dropped (log scale).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special


def _positive(x) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64).ravel()
    a = a[np.isfinite(a) & (a > 0)]
    if a.size < 2:
        raise ValueError(f"need at least 2 positive finite values to fit, got {a.size}")
    return a


def fit_lognormal(x) -> tuple[float, float]:
    """MLE of LogNormal(mu, sigma) (sigma = sd of ln x, MLE i.e. ddof=0). Returns (mu, sigma)."""
    lx = np.log(_positive(x))
    return float(lx.mean()), float(lx.std())


def fit_weibull(x) -> tuple[float, float]:
    """MLE of Weibull(shape k, scale lambda) (location 0). Returns (shape, scale) in x's unit.

    Solves the profile-likelihood equation for k with Brent's method, then
    lambda = (mean(x^k))^(1/k); x is normalised by its geometric mean for numerical stability.
    """
    a = _positive(x)
    g = math.exp(np.log(a).mean())
    y = a / g
    ly = np.log(y)
    mean_ly = ly.mean()

    def score(k: float) -> float:
        yk = np.exp(k * ly)
        return float((yk * ly).sum() / yk.sum() - 1.0 / k - mean_ly)

    lo, hi = 1e-3, 1.0
    while score(hi) < 0 and hi < 1e3:
        hi *= 2.0
    if score(lo) > 0 or score(hi) < 0:
        raise ValueError("Weibull MLE did not bracket a solution (degenerate sample?)")
    k = optimize.brentq(score, lo, hi, xtol=1e-10)
    lam = g * float(np.exp(k * ly).mean()) ** (1.0 / k)
    return float(k), float(lam)


def weibull_mean(shape: float, scale: float) -> float:
    """Mean of Weibull(shape, scale)."""
    return float(scale * special.gamma(1.0 + 1.0 / shape))


def weibull_median(shape: float, scale: float) -> float:
    """Median of Weibull(shape, scale)."""
    return float(scale * math.log(2.0) ** (1.0 / shape))


def lognormal_mean_sd(mu: float, sigma: float) -> tuple[float, float]:
    """Mean and standard deviation of LogNormal(mu, sigma)."""
    m = math.exp(mu + sigma ** 2 / 2)
    return m, m * math.sqrt(math.exp(sigma ** 2) - 1.0)
