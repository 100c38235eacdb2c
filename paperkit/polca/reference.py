"""The first row controller, kept as the oracle of :func:`paperkit.polca.sim.control` (tests).
Frozen: its policies are the hard-coded legacy kinds
(``polca``, ``uniform``, ``powercap``, ``brake``) read from a :class:`paperkit.polca.sim.Policy`'s
parameters; the controller API (:mod:`paperkit.polca.control`) must reproduce its timelines.
"""

from __future__ import annotations

import numpy as np

from paperkit.polca.capping import CapModel
from paperkit.polca.rowtrace import metered
from paperkit.polca.workload import Aggregates

LEGACY = {"polca": "polca", "uniform": "uniform", "power-cap": "powercap", "brake-only": "brake",
          "powercap": "powercap", "brake": "brake"}


def _kind(pol) -> str:
    if pol.kind not in LEGACY:
        raise ValueError(f"the reference controller knows only {sorted(LEGACY)}, not {pol.kind!r}")
    return LEGACY[pol.kind]


def max_stage(pol) -> int:
    return {"polca": 3, "uniform": 2, "powercap": 2, "brake": 0}[_kind(pol)]


def ratios(pol, stage: int) -> tuple[float, float]:
    """(LP, HP) clock ratios of a frequency-cap stage."""
    f = pol.fmax_mhz
    if _kind(pol) == "polca":
        table = [(f, f), (pol.lp_t1_mhz, f), (pol.lp_t2_mhz, f), (pol.lp_t2_mhz, pol.hp_t2_mhz)]
    else:  # uniform
        table = [(f, f), (pol.lp_t1_mhz, pol.lp_t1_mhz), (pol.lp_t2_mhz, pol.lp_t2_mhz)]
    lp, hp = table[stage]
    return lp / f, hp / f
def _row_w(agg: Aggregates, pol: Policy, cm: CapModel, stage: int, braking: bool, sl: slice) -> np.ndarray:
    """Row power (W) over the time slice ``sl`` under a control state."""
    st = agg.static.sum()
    if braking:
        g = (pol.brake_mhz / pol.fmax_mhz) ** cm.alpha
        return st + g * (agg.pre[:, sl].sum(axis=0) + agg.dec[:, sl].sum(axis=0))
    if _kind(pol) == "powercap" and stage > 0:
        return st + agg.clamp[:, stage - 1, sl].sum(axis=0)
    if _kind(pol) in ("polca", "uniform") and stage > 0:
        out = np.full(agg.pre[0, sl].shape, st, dtype=np.float64)
        for c, r in enumerate(ratios(pol, stage)):
            out += r ** cm.alpha * (agg.pre[c, sl] / r + agg.dec[c, sl])
        return out
    return st + agg.pre[:, sl].sum(axis=0) + agg.dec[:, sl].sum(axis=0)



def _decide(p: np.ndarray, stage: int, pol: Policy) -> tuple[np.ndarray, np.ndarray]:
    """Per tick: does a decision fire, and to which stage (vectorised over ticks)."""
    tgt = np.full(p.shape, -1, dtype=np.int64)
    if max_stage(pol) == 0:
        return tgt >= 0, tgt
    if stage < max_stage(pol):
        up = 2 if stage < 2 else 3
        tgt = np.where(p > pol.t2, up, tgt)
        if stage == 0:
            tgt = np.where((tgt < 0) & (p > pol.t1), 1, tgt)
    if stage >= 2:
        tgt = np.where((tgt < 0) & (p < pol.t2 - pol.hyst), 1, tgt)
    if stage == 1:
        tgt = np.where((tgt < 0) & (p < pol.t1 - pol.hyst), 0, tgt)
    return tgt >= 0, tgt



def control_reference(agg: Aggregates, p_prov_w: float, pol: Policy, cm: CapModel, window_ticks: int = 4096):
    """The first controller (windowed look-ahead; kept as the oracle of :func:`control` in the
    tests and as the baseline of ``make bench-polca``). Returns (timeline array, brake_events)."""
    T = agg.seconds
    stage, pending, brake_on, brake_off = 0, None, None, None
    timeline = [(0, 0, 0)]
    brake_events = 0
    t = 0
    while t < T:
        # apply everything due by now (cap landings, brake end), then record the state
        if pending and pending[0] <= t:
            stage, pending = pending[1], None
        if brake_off is not None and brake_off <= t:
            brake_on = brake_off = None
        braking = brake_on is not None and brake_on <= t < brake_off
        if (stage, int(braking)) != timeline[-1][1:]:
            timeline.append((t, stage, int(braking)))
        forced = [x for x in (pending[0] if pending else None, brake_on, brake_off)
                  if x is not None and x > t]
        t_next = min(forced + [T])
        first = ((t + pol.tel_s - 1) // pol.tel_s) * pol.tel_s
        fired = None
        win = 32  # look-ahead grows geometrically: events are often close together
        while first < t_next:
            last = min(t_next, first + win * pol.tel_s)
            win = min(win * 4, window_ticks)
            ticks = np.arange(first, last, pol.tel_s)
            if ticks.size == 0:
                break
            if pol.meter_s == 1:
                p = _row_w(agg, pol, cm, stage, braking, slice(first, last, pol.tel_s)) / p_prov_w
            else:  # trailing mean; the current state is assumed over the whole metering window
                a = max(0, first - pol.meter_s + 1)
                w = _row_w(agg, pol, cm, stage, braking, slice(a, last)) / p_prov_w
                p = metered(w, pol.meter_s)[first - a::pol.tel_s][: ticks.size]
            brk = (p >= pol.brake_at) if (brake_on is None and not braking) else np.zeros(p.shape, bool)
            if pending is None and not braking:
                dec, tgt = _decide(p, stage, pol)
            else:
                dec, tgt = np.zeros(p.shape, bool), np.full(p.shape, -1)
            hit = np.flatnonzero(brk | dec)
            if hit.size:
                i = int(hit[0])
                fired = (int(ticks[i]), bool(brk[i]), int(tgt[i]) if dec[i] else -1)
                break
            first = last
        if fired is not None:
            tau, b, target = fired
            if b:
                brake_events += 1
                brake_on, brake_off = tau + pol.brake_s, tau + pol.brake_s + pol.brake_hold_s
            if target >= 0:
                pending = (tau + pol.oob_s, target)
            t = tau + 1  # zero latencies take effect one second later
            continue
        t = t_next
    return _compact(timeline), brake_events



def _compact(timeline: list[tuple[int, int, int]]) -> np.ndarray:
    """(t, stage, braking) rows, keeping only the rows where stage or braking changes."""
    tl = np.array(timeline, dtype=np.int64)
    keep = np.r_[True, (np.diff(tl[:, 1]) != 0) | (np.diff(tl[:, 2]) != 0)]
    return tl[keep]
