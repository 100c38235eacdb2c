"""Protection on TRUE row power (1 s), apart from what the controller sees. MODELLED.

Design: the controller acts on telemetry (a PDU reading, :class:`paperkit.polca.sim.Telemetry`);
the row's protection acts on the power actually drawn. Two devices, each a trip curve with cited
numbers, each integrated over an excursion by Miner's rule (a device trips when the sum of
``dt / t_allow(load)`` over an excursion reaches 1; the sum restarts when the load falls back to
or below the device's continuous rating):

- **Row breaker** (thermal-magnetic, IEC 60898-1 Table 7 conventional currents): no trip below
  1.13 In for 1 h, trip within 1 h at 1.45 In, trip between 1 s and 120 s at 2.55 In (In > 32 A).
  Thermal law ``t = K / (m^2 - 1.13^2)`` with ``K`` at the EARLIEST permitted trip (1 s at
  2.55 In): the worst case. In is the provisioned power over 0.8 (NEC 210.20(A): a continuous
  load is at most 80 % of the breaker rating), so the row's provisioned power is 0.8 In.
- **UPS inverter** (Staco FirstLine UPS manual, form 003-2323 rev B, p. 28, "Inverter overload"):
  100 % continuous, 110 % for 2 min, 125 % for 30 s; above 125 % it transfers at once. The UPS is
  rated at the provisioned power. On battery (the ~10 s ride-through of a utility loss [S]) the
  manual does not guarantee inverter overload at all, so every excursion above 100 % is also
  counted as a ride-through exposure (seconds above 100 %).

Excursions above 100 % (count, total and longest duration, peak) are reported beside the trips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IEC60898_NO_TRIP = 1.13      # conventional non-tripping current (x In), >= 1 h
IEC60898_TRIP_AT = 2.55      # x In: trips between 1 s and 120 s (In > 32 A)
IEC60898_EARLIEST_S = 1.0    # earliest permitted trip at 2.55 In (worst case)
NEC_CONTINUOUS = 0.8         # NEC 210.20(A): continuous load <= 80 % of the breaker rating
UPS_CURVE = ((1.00, np.inf), (1.10, 120.0), (1.25, 30.0))  # (load x rating, seconds allowed), Staco FirstLine


@dataclass(frozen=True)
class Breaker:
    """Thermal trip law ``t = k / (m^2 - m0^2)`` (s) at ``m`` x In; ``rating`` = In / P_prov."""

    m0: float = IEC60898_NO_TRIP
    k: float = IEC60898_EARLIEST_S * (IEC60898_TRIP_AT ** 2 - IEC60898_NO_TRIP ** 2)
    rating: float = 1.0 / NEC_CONTINUOUS

    def allowed_s(self, p: np.ndarray) -> np.ndarray:
        """Seconds the breaker carries row power ``p`` (x provisioned) before tripping."""
        m = np.asarray(p, np.float64) / self.rating
        with np.errstate(divide="ignore"):
            return np.where(m > self.m0, self.k / np.maximum(m * m - self.m0 ** 2, 1e-300), np.inf)


@dataclass(frozen=True)
class Ups:
    """Step overload curve: load above ``curve[i][0]`` (x rating) is allowed ``curve[i+1][1]`` s;
    above the last step, 0 s. ``rating`` in units of provisioned power."""

    curve: tuple[tuple[float, float], ...] = UPS_CURVE
    rating: float = 1.0

    def allowed_s(self, p: np.ndarray) -> np.ndarray:
        m = np.asarray(p, np.float64) / self.rating
        levels = np.array([c[0] for c in self.curve])
        allow = np.array([c[1] for c in self.curve[1:]] + [0.0])
        i = np.searchsorted(levels, m, side="left") - 1  # m in (levels[i], levels[i+1]]
        return np.where(i < 0, np.inf, allow[np.clip(i, 0, allow.size - 1)])


def runs_above(p: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the maximal runs with ``p > level``."""
    above = np.r_[False, np.asarray(p) > level, False]
    d = np.diff(above.astype(np.int8))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def trips(p: np.ndarray, allowed_s, level: float) -> int:
    """Number of excursions above ``level`` whose Miner sum of ``1 / allowed_s(p)`` reaches 1."""
    s, e = runs_above(p, level)
    if s.size == 0:
        return 0
    with np.errstate(divide="ignore"):  # 0 s allowed: an immediate trip (infinite damage)
        dmg = np.cumsum(1.0 / allowed_s(p[np.concatenate([np.arange(a, b) for a, b in zip(s, e)])]))
    ends = np.cumsum(e - s) - 1
    per = np.diff(np.r_[0.0, dmg[ends]])
    return int((per >= 1.0).sum())


def excursions(p: np.ndarray, level: float = 1.0) -> dict[str, float]:
    """Excursions of true power above ``level``: count, total and longest seconds, peak."""
    s, e = runs_above(p, level)
    d = e - s
    return {"excursions": float(s.size), "excursion_s": float(d.sum()),
            "longest_excursion_s": float(d.max()) if d.size else 0.0, "true_peak": float(np.max(p))}


def protect(p_true: np.ndarray, breaker: Breaker = Breaker(), ups: Ups = Ups()) -> dict[str, float]:
    """Trips and excursions of a true 1-s row power series (x provisioned)."""
    out = excursions(p_true)
    out["breaker_trips"] = float(trips(p_true, breaker.allowed_s, breaker.rating * breaker.m0))
    out["ups_trips"] = float(trips(p_true, ups.allowed_s, ups.rating))
    return out
