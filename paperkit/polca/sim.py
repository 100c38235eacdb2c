"""Row power-oversubscription simulator: POLCA and baseline policies. MODELLED.

Input: :class:`~paperkit.polca.workload.Aggregates` for LP (0) and HP (1) servers and the
provisioned power ``p_prov_w``. Row power under a control state is computed from the class
sums (frequency caps: ``static + g(r) (pre / r + dec)``, prefill stretched at 1/r;
power caps: the pre-clamped sums; brake: ``static + g(r_brake) (pre + dec)``).

Controller (event-driven, no Python loop per second): telemetry every ``tel_s`` of the row power
metered as a trailing mean over ``meter_s`` (1 = raw 1 s power; the PDU period is unknown [?]); a cap decision
takes effect ``oob_s`` later and no new decision is taken meanwhile (dead time); the power
brake engages ``brake_s`` after p >= ``brake_at`` and holds ``brake_hold_s``; decisions are
frozen during a brake. Stages (LP, HP clocks in MHz) per policy kind:

- ``polca``: 0 (-,-), 1 p>T1 (1275,-), 2 p>T2 (1110,-), 3 still >T2 after stage 2 (1110,1305);
  release 2/3 -> 1 when p < T2-h, 1 -> 0 when p < T1-h;
- ``uniform``: priority-unaware, 1 (1275,1275), 2 (1110,1110);
- ``powercap``: reactive GPU power caps on all servers, 1 ``cap_levels[0]``, 2 ``cap_levels[1]``;
- ``brake``: no capping, power brake only.

Metrics vs an uncapped run on the same requests (common random numbers): brake events,
capping episodes, time per stage, HP/LP P50/P99 latency impact (service time only; queueing is
not modelled) and throughput impact (service-capacity loss).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from paperkit.polca.capping import CapModel
from paperkit.polca.phase import PhaseModel
from paperkit.polca.rowtrace import metered
from paperkit.polca.workload import Aggregates

KINDS = ("polca", "uniform", "powercap", "brake")


@dataclass(frozen=True)
class Policy:
    """Row power policy parameters (fractions of provisioned power, seconds, MHz)."""

    kind: str = "polca"
    t1: float = 0.80
    t2: float = 0.89
    hyst: float = 0.05
    oob_s: int = 40
    tel_s: int = 2
    meter_s: int = 1               # PDU metering: trailing mean (s) that the controller sees
    brake_at: float = 1.0
    brake_s: int = 5
    brake_hold_s: int = 60
    brake_mhz: float = 288.0
    lp_t1_mhz: float = 1275.0
    lp_t2_mhz: float = 1110.0
    hp_t2_mhz: float = 1305.0
    fmax_mhz: float = 1410.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Policy.kind={self.kind!r}; choose from {KINDS}")
        if not 0 < self.t1 <= self.t2 <= self.brake_at:
            raise ValueError(f"need 0 < t1 <= t2 <= brake_at, got {self.t1}, {self.t2}, {self.brake_at}")
        if self.meter_s < 1:
            raise ValueError(f"meter_s must be >= 1 s, got {self.meter_s}")
        if self.tel_s < 1 or self.oob_s < 0 or self.brake_s < 0 or self.brake_hold_s < 1:
            raise ValueError("tel_s >= 1, oob_s >= 0, brake_s >= 0, brake_hold_s >= 1 required")

    @property
    def max_stage(self) -> int:
        return {"polca": 3, "uniform": 2, "powercap": 2, "brake": 0}[self.kind]

    def ratios(self, stage: int) -> tuple[float, float]:
        """(LP, HP) clock ratios of a frequency-cap stage."""
        f = self.fmax_mhz
        if self.kind == "polca":
            table = [(f, f), (self.lp_t1_mhz, f), (self.lp_t2_mhz, f), (self.lp_t2_mhz, self.hp_t2_mhz)]
        else:  # uniform
            table = [(f, f), (self.lp_t1_mhz, self.lp_t1_mhz), (self.lp_t2_mhz, self.lp_t2_mhz)]
        lp, hp = table[stage]
        return lp / f, hp / f


@dataclass
class RunResult:
    """Outcome of one policy run. ``timeline``: (start_s, stage, braking) rows."""

    policy: Policy
    metrics: dict[str, float]
    timeline: np.ndarray
    power: np.ndarray | None = field(default=None, repr=False)


def _row_w(agg: Aggregates, pol: Policy, cm: CapModel, stage: int, braking: bool, sl: slice) -> np.ndarray:
    """Row power (W) over the time slice ``sl`` under a control state."""
    st = agg.static.sum()
    if braking:
        g = (pol.brake_mhz / pol.fmax_mhz) ** cm.alpha
        return st + g * (agg.pre[:, sl].sum(axis=0) + agg.dec[:, sl].sum(axis=0))
    if pol.kind == "powercap" and stage > 0:
        return st + agg.clamp[:, stage - 1, sl].sum(axis=0)
    if pol.kind in ("polca", "uniform") and stage > 0:
        out = np.full(agg.pre[0, sl].shape, st, dtype=np.float64)
        for c, r in enumerate(pol.ratios(stage)):
            out += r ** cm.alpha * (agg.pre[c, sl] / r + agg.dec[c, sl])
        return out
    return st + agg.pre[:, sl].sum(axis=0) + agg.dec[:, sl].sum(axis=0)


def _decide(p: np.ndarray, stage: int, pol: Policy) -> tuple[np.ndarray, np.ndarray]:
    """Per tick: does a decision fire, and to which stage (vectorised over ticks)."""
    tgt = np.full(p.shape, -1, dtype=np.int64)
    if pol.max_stage == 0:
        return tgt >= 0, tgt
    if stage < pol.max_stage:
        up = 2 if stage < 2 else 3
        tgt = np.where(p > pol.t2, up, tgt)
        if stage == 0:
            tgt = np.where((tgt < 0) & (p > pol.t1), 1, tgt)
    if stage >= 2:
        tgt = np.where((tgt < 0) & (p < pol.t2 - pol.hyst), 1, tgt)
    if stage == 1:
        tgt = np.where((tgt < 0) & (p < pol.t1 - pol.hyst), 0, tgt)
    return tgt >= 0, tgt


def state_power(agg: Aggregates, p_prov_w: float, pol: Policy, cm: CapModel) -> dict:
    """Normalised row power per second of every control state: ``{stage: array}`` for the
    stages of ``pol`` and ``{"brake": array}`` (computed once per run, reused by the controller
    and by :func:`power_series`)."""
    whole = slice(None)
    out = {s: _row_w(agg, pol, cm, s, False, whole) / p_prov_w for s in range(pol.max_stage + 1)}
    out["brake"] = _row_w(agg, pol, cm, 0, True, whole) / p_prov_w
    return out


@dataclass
class _Triggers:
    """Per stage: telemetry ticks (index k = time k * tel_s) at which the brake condition or a
    cap decision fires, and the decision's target stage per tick."""

    brake: dict[int, np.ndarray]
    decide: dict[int, np.ndarray]
    target: dict[int, np.ndarray]


def _triggers(power: dict, pol: Policy) -> _Triggers:
    brk, dec, tgt = {}, {}, {}
    for s in range(pol.max_stage + 1):
        p = metered(power[s], pol.meter_s)[:: pol.tel_s]  # what the controller sees per tick
        brk[s] = np.flatnonzero(p >= pol.brake_at)
        fire, tgt[s] = _decide(p, s, pol)
        dec[s] = np.flatnonzero(fire)
    return _Triggers(brk, dec, tgt)


def _next_tick(idx: np.ndarray, k0: int) -> int | None:
    j = int(np.searchsorted(idx, k0))
    return int(idx[j]) if j < idx.size else None


def _first_trigger(tr: _Triggers, stage: int, k0: int, check_brake: bool, check_decide: bool):
    """Earliest tick >= ``k0`` at which something fires: (tick, brake fires, target or -1)."""
    kb = _next_tick(tr.brake[stage], k0) if check_brake else None
    kd = _next_tick(tr.decide[stage], k0) if check_decide else None
    ks = [k for k in (kb, kd) if k is not None]
    if not ks:
        return None
    k = min(ks)
    return k, kb == k, int(tr.target[stage][k]) if kd == k else -1


def control(agg: Aggregates, p_prov_w: float, pol: Policy, cm: CapModel, power: dict | None = None):
    """Run the controller; returns (timeline array, brake_events). Same semantics as
    :func:`control_reference`: the power seen in each state is precomputed once
    (:func:`state_power`), and the next event is found by binary search in the per-state
    trigger ticks, so the cost is per event, not per second."""
    power = state_power(agg, p_prov_w, pol, cm) if power is None else power
    tr = _triggers(power, pol)
    T, tel = agg.seconds, pol.tel_s
    stage, pending, brake_on, brake_off = 0, None, None, None
    timeline, brake_events, t = [(0, 0, 0)], 0, 0
    while t < T:
        if pending and pending[0] <= t:
            stage, pending = pending[1], None
        if brake_off is not None and brake_off <= t:
            brake_on = brake_off = None
        braking = brake_on is not None and brake_on <= t < brake_off
        if (stage, int(braking)) != timeline[-1][1:]:
            timeline.append((t, stage, int(braking)))
        forced = [x for x in (pending[0] if pending else None, brake_on, brake_off) if x is not None and x > t]
        t_next = min(forced + [T])
        fired = None if braking else _first_trigger(tr, stage, -(-t // tel), brake_on is None, pending is None)
        if fired is not None and fired[0] * tel < t_next:
            tau, b, target = fired[0] * tel, fired[1], fired[2]
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


def power_series(agg: Aggregates, p_prov_w: float, pol: Policy, cm: CapModel, timeline: np.ndarray,
                 power: dict | None = None) -> np.ndarray:
    """Normalised row power per second under a timeline from :func:`control`."""
    power = state_power(agg, p_prov_w, pol, cm) if power is None else power
    out = np.empty(agg.seconds, dtype=np.float64)
    ends = np.r_[timeline[1:, 0], agg.seconds]
    for (t0, stage, brk), t1 in zip(timeline, ends):
        out[t0:t1] = power["brake" if brk else int(stage)][t0:t1]
    return out


def sample_ratios(agg: Aggregates, pol: Policy, cm: CapModel, timeline: np.ndarray):
    """Clock ratios (prefill, decode) seen by every sampled request."""
    smp = agg.samples
    idx = np.searchsorted(timeline[:, 0], smp["t"], side="right") - 1
    stage, brk = timeline[idx, 1], timeline[idx, 2].astype(bool)
    r_pre = np.ones(smp["t"].size)
    r_dec = np.ones(smp["t"].size)
    if pol.kind in ("polca", "uniform"):
        for s in range(1, pol.max_stage + 1):
            lp, hp = pol.ratios(s)
            r = np.where(smp["cls"] == 0, lp, hp)
            r_pre = np.where(stage == s, r, r_pre)
            r_dec = np.where(stage == s, r, r_dec)
    elif pol.kind == "powercap":
        for s in range(1, pol.max_stage + 1):
            cap = agg.cap_levels[s - 1]
            r_pre = np.where(stage == s, cm.ratio_under_power_cap(smp["pre_level"], cap), r_pre)
            r_dec = np.where(stage == s, cm.ratio_under_power_cap(smp["dec_level"], cap), r_dec)
    rb = pol.brake_mhz / pol.fmax_mhz
    return np.where(brk, rb, r_pre), np.where(brk, rb, r_dec)


def latency_metrics(agg: Aggregates, pm: PhaseModel, cm: CapModel, r_pre, r_dec) -> dict[str, float]:
    """HP/LP P50, P99 latency impact and throughput impact vs uncapped (fractions)."""
    smp = agg.samples
    pre = pm.prefill_ms(smp["prompt"])
    dec = smp["output"] * pm.tbt_ms(smp["batch"], smp["prompt"])
    base = pre + dec
    capped = pre * cm.slowdown(r_pre, "prefill") + dec * cm.slowdown(r_dec, "decode")
    out = {}
    for c, name in ((1, "hp"), (0, "lp")):
        m = smp["cls"] == c
        if not m.any():
            for k in ("p50", "p99", "tput"):
                out[f"{name}_{k}_impact"] = float("nan")
            continue
        for q, k in ((0.5, "p50"), (0.99, "p99")):
            out[f"{name}_{k}_impact"] = float(np.quantile(capped[m], q, method="linear")
                                              / np.quantile(base[m], q, method="linear") - 1.0)
        out[f"{name}_tput_impact"] = float(1.0 - base[m].sum() / capped[m].sum())
        out[f"{name}_requests_sampled"] = float(m.sum())
    return out


def run(agg: Aggregates, p_prov_w: float, pol: Policy, cm: CapModel, pm: PhaseModel,
        keep_power: bool = False) -> RunResult:
    """One policy run: controller, power series, metrics."""
    if p_prov_w <= 0:
        raise ValueError(f"p_prov_w must be > 0, got {p_prov_w}")
    power = state_power(agg, p_prov_w, pol, cm)
    tl, brakes = control(agg, p_prov_w, pol, cm, power)
    p = metered(power_series(agg, p_prov_w, pol, cm, tl, power), pol.meter_s)
    dur = np.diff(np.r_[tl[:, 0], agg.seconds])
    st, brk = tl[:, 1], tl[:, 2]
    prev = np.r_[0, st[:-1]]
    m = {"brake_events": float(brakes), "brake_s": float(dur[brk == 1].sum()),
         "overload_s": float((p > 1.0).sum()), "max_power": float(p.max()),
         "mean_power": float(p.mean()), "seconds": float(agg.seconds)}
    for s in (1, 2, 3):
        m[f"episodes_stage{s}"] = float(((st >= s) & (prev < s)).sum())
        m[f"frac_stage{s}"] = float(dur[(st >= s) & (brk == 0)].sum() / agg.seconds)
    m.update(latency_metrics(agg, pm, cm, *sample_ratios(agg, pol, cm, tl)))
    return RunResult(pol, m, tl, p if keep_power else None)
