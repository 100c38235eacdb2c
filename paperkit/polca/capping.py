"""Effect of GPU frequency caps and power caps on power and latency, per phase. MODELLED.

Capping was NOT re-measured (project rule: clocks and power limits are never changed); the
parameters are fitted to the paper's reported numbers (spec C14-C17, tags [S]):

- dynamic power scales as ``g(r) = r**alpha`` with ``r = f / f_max``; a level ``L`` (x TDP)
  becomes ``idle + (L - idle) g(r)``;
- latency stretches as ``r**-s``: prefill is compute-bound (``s_prefill = 1``, assumption);
  per workload an end-to-end sensitivity ``s`` is fitted (GPT-NeoX, BLOOM, training), and the
  decode sensitivity ``s_decode`` follows from BLOOM's prefill share of end-to-end time;
- a power cap ``P_cap`` (W) is reactive: a phase above it runs at the clock that brings it to
  the cap, ``r = ((P_cap/TDP - idle) / (L - idle))**(1/alpha)``; spikes shorter than the
  firmware reaction time are not clipped (kept as a parameter, documented, not simulated).

Anchor points: C14 20 % peak cut at the lowest clock of the C17 range (1.1 GHz of 1.41) for
<= ~7 % loss; C15 ~13 % cut -> GPT-NeoX 0 %, BLOOM 5 %; C16 training 20 % cut -> ~10 % loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

A100_FMAX_MHZ = 1410.0
A100_IDLE_FRAC = 63.0 / 400.0
PEAK_LEVEL = 1.02  # A100 prefill spike level (x TDP) at saturation, from perf_model.csv


@dataclass(frozen=True)
class CapAnchors:
    """The paper's numbers the model is fitted to (fractions, not %). Defaults: spec C14-C17."""

    f_min_mhz: float = 1100.0       # C17 lowest locked clock
    cut_at_fmin: float = 0.20       # C14/C16 peak-power reduction at f_min
    cut_mid: float = 0.13           # C15 peak-power reduction
    loss_neox_mid: float = 0.00     # C15 GPT-NeoX loss at cut_mid
    loss_bloom_mid: float = 0.05    # C15 BLOOM-176B loss at cut_mid
    loss_max_fmin: float = 0.07     # C14 "at most ~7 %" loss at f_min (BLOOM, worst case)
    loss_train_fmin: float = 0.10   # C16 training loss at f_min
    bloom_prefill_share: float = 0.027  # BLOOM TP8 prompt 512 bs1: 174 ms of 6.4 s e2e (public)


@dataclass(frozen=True)
class CapModel:
    """Fitted capping model. ``s`` = end-to-end latency exponents per workload."""

    alpha: float
    s_neox: float
    s_bloom: float
    s_train: float
    s_prefill: float
    s_decode: float
    idle: float = A100_IDLE_FRAC
    peak_level: float = PEAK_LEVEL
    fmax_mhz: float = A100_FMAX_MHZ

    def ratio(self, f_mhz: float | np.ndarray) -> np.ndarray:
        """Clock ratio r = f / f_max."""
        return np.asarray(f_mhz, dtype=float) / self.fmax_mhz

    def power(self, level, r):
        """Power (x TDP) of a phase at uncapped level ``level`` under clock ratio ``r``."""
        level = np.asarray(level, dtype=float)
        return self.idle + (level - self.idle) * np.asarray(r, dtype=float) ** self.alpha

    def peak_cut(self, r):
        """Fractional reduction of the prefill spike at clock ratio ``r``."""
        return 1.0 - self.power(self.peak_level, r) / self.peak_level

    def ratio_for_cut(self, cut: float) -> float:
        """Clock ratio giving peak reduction ``cut`` (inverse of :meth:`peak_cut`)."""
        dyn = self.peak_level - self.idle
        x = 1.0 - cut * self.peak_level / dyn
        if not 0.0 < x <= 1.0:
            raise ValueError(f"peak cut {cut} is not reachable with idle {self.idle}")
        return float(x ** (1.0 / self.alpha))

    def slowdown(self, r, phase: str = "prefill"):
        """Latency multiplier (>= 1) of a phase ('prefill', 'decode') or workload
        ('neox', 'bloom', 'train') at clock ratio ``r``."""
        s = {"prefill": self.s_prefill, "decode": self.s_decode, "neox": self.s_neox,
             "bloom": self.s_bloom, "train": self.s_train}
        if phase not in s:
            raise ValueError(f"unknown phase {phase!r}; choose from {sorted(s)}")
        return np.asarray(r, dtype=float) ** (-s[phase])

    def ratio_under_power_cap(self, level, cap_frac):
        """Clock ratio a reactive power cap ``cap_frac`` (x TDP) imposes on a phase at ``level``."""
        level = np.asarray(level, dtype=float)
        dyn = np.maximum(level - self.idle, 1e-9)
        x = np.clip((cap_frac - self.idle) / dyn, 1e-6, 1.0)
        return x ** (1.0 / self.alpha)


def fit_cap_model(a: CapAnchors = CapAnchors(), idle: float = A100_IDLE_FRAC,
                  peak_level: float = PEAK_LEVEL, fmax_mhz: float = A100_FMAX_MHZ) -> CapModel:
    """Fit alpha to the 20 % cut at ``f_min``; latency exponents by least squares in log space."""
    if not 0 < a.f_min_mhz < fmax_mhz:  # also false for NaN
        raise ValueError(f"f_min_mhz must be in (0, {fmax_mhz:g}) MHz (below the maximum clock), "
                         f"got {a.f_min_mhz}")
    r_min = a.f_min_mhz / fmax_mhz
    dyn = 1.0 - idle / peak_level
    alpha = float(np.log(1.0 - a.cut_at_fmin / dyn) / np.log(r_min))
    r_mid = float((1.0 - a.cut_mid / dyn) ** (1.0 / alpha))

    def exponent(points: list[tuple[float, float]]) -> float:
        x = np.array([-np.log(r) for r, _ in points])
        y = np.array([np.log1p(loss) for _, loss in points])
        return float(np.sum(x * y) / np.sum(x * x))  # LSQ through the origin

    s_bloom = exponent([(r_mid, a.loss_bloom_mid), (r_min, a.loss_max_fmin)])
    s_neox = exponent([(r_mid, a.loss_neox_mid)])
    s_train = exponent([(r_min, a.loss_train_fmin)])
    # decode exponent so that BLOOM's mix (prefill share w, s_prefill=1) matches s_bloom at r_mid
    w = a.bloom_prefill_share
    target = r_mid ** (-s_bloom)
    dec = max((target - w / r_mid) / (1.0 - w), 1.0)
    s_decode = float(np.log(dec) / -np.log(r_mid))
    return CapModel(alpha, s_neox, s_bloom, s_train, 1.0, s_decode, idle, peak_level, fmax_mhz)


def anchor_table(m: CapModel, a: CapAnchors = CapAnchors()) -> pl.DataFrame:
    """Paper anchor vs model value for every anchor point (fractions), sorted by name."""
    r_min = a.f_min_mhz / m.fmax_mhz
    r_mid = m.ratio_for_cut(a.cut_mid)
    rows = [
        ("C14 peak cut at 1.1 GHz", a.cut_at_fmin, float(m.peak_cut(r_min))),
        ("C14 BLOOM loss at 1.1 GHz (<= ~7%)", a.loss_max_fmin, float(m.slowdown(r_min, "bloom") - 1)),
        ("C15 BLOOM loss at 13% cut", a.loss_bloom_mid, float(m.slowdown(r_mid, "bloom") - 1)),
        ("C15 GPT-NeoX loss at 13% cut", a.loss_neox_mid, float(m.slowdown(r_mid, "neox") - 1)),
        ("C16 training loss at 1.1 GHz", a.loss_train_fmin, float(m.slowdown(r_min, "train") - 1)),
    ]
    return pl.DataFrame({"anchor": [r[0] for r in rows], "paper": [r[1] for r in rows],
                         "model": [round(r[2], 4) for r in rows]}).sort("anchor")


def knob_sweep(m: CapModel, freqs_mhz=(1410, 1350, 1305, 1275, 1200, 1110),
               caps_w=(400, 375, 350, 325), tdp_w: float = 400.0) -> pl.DataFrame:
    """Modelled E6/E7 curves: per knob setting and workload, normalised peak power and latency.

    A power cap clips the (reactive, >= 1 s) prefill spike to the cap; its latency cost is the
    prefill-phase slowdown weighted like the workload's frequency sensitivity."""
    rows = []
    for wl in ("bloom", "neox", "train"):
        for f in freqs_mhz:
            r = f / m.fmax_mhz
            rows.append({"knob": "frequency cap", "setting": f"{f} MHz", "value": float(f), "workload": wl,
                         "peak_norm": round(float(1 - m.peak_cut(r)), 4),
                         "latency_norm": round(float(m.slowdown(r, wl)), 4)})
        for c in caps_w:
            frac = c / tdp_w
            r = float(m.ratio_under_power_cap(m.peak_level, frac))
            rows.append({"knob": "power cap", "setting": f"{c} W", "value": float(c), "workload": wl,
                         "peak_norm": round(float(min(frac, m.peak_level) / m.peak_level), 4),
                         "latency_norm": round(float(m.slowdown(r, wl)), 4)})
    return pl.DataFrame(rows).sort(["workload", "knob", "value"])
