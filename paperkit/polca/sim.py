"""Row power-oversubscription simulator: POLCA and baseline policies. MODELLED.

Input: :class:`~paperkit.polca.workload.Aggregates` for LP (0) and HP (1) servers and the
provisioned power ``p_prov_w``. Row power under a control state is computed from the class
sums (frequency caps: ``static + g(r) (pre / r + dec)``, prefill stretched at 1/r;
power caps: the pre-clamped sums; brake: ``static + g(r_brake) (pre + dec)``).

Controller (:mod:`paperkit.polca.control`: stages of caps per class plus a Markov decision
rule; POLCA, uniform, power-cap and brake-only are built on it), run per EVENT, not per second:
the power of every stage is computed once and the next firing telemetry tick found by binary
search. Telemetry every ``tel_s`` of the row power metered as a trailing mean over ``meter_s``;
a cap decision takes effect ``oob_s`` later and no new decision is taken meanwhile (dead time);
the power brake engages ``brake_s`` after telemetry >= ``brake_at`` and holds ``brake_hold_s``;
decisions are frozen during a brake. The first controller is :mod:`paperkit.polca.reference`
(the oracle). Protection (breaker, UPS) runs on the TRUE 1-s power (:mod:`protection`).

Metrics vs an uncapped run on the same requests (common random numbers): brake events,
capping episodes, time per stage; protection on the true power (trips, excursions above 100 %);
TTFT, TBT and end-to-end latency at P50/P99 per class from the serving loop
(:mod:`paperkit.polca.serving`, queue included); service-time-only impacts and throughput
(service-capacity loss).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from paperkit.polca import control as api
from paperkit.polca import protection, serving
from paperkit.polca.capping import CapModel
from paperkit.polca.phase import PhaseModel
from paperkit.polca.rowtrace import metered
from paperkit.polca.workload import Aggregates

@dataclass(frozen=True)
class Policy:
    """A controller plus the engine's timing (fractions of provisioned power, seconds, MHz).

    ``kind`` names a built-in controller (:data:`paperkit.polca.control.BUILTIN`: ``polca``,
    ``uniform``, ``power-cap``, ``brake-only``; ``powercap``/``brake`` are older spellings)
    built from the threshold and clock fields below, or is any label when ``controller`` is given.

    Telemetry (what the controller sees): every ``tel_s`` the row power as a trailing mean over
    ``meter_s`` (a PDU reading; the paper does not give its period [?], 10 s assumed, 1 s = raw);
    a cap decision lands ``oob_s`` later (no new decision meanwhile). The power brake fires on the
    same telemetry at ``brake_at`` and lands ``brake_s`` later for ``brake_hold_s``. Protection
    (:mod:`paperkit.polca.protection`) sees the true 1-s power instead."""

    kind: str = "polca"
    controller: object | None = field(default=None, compare=False)
    t1: float = 0.80
    t2: float = 0.89
    hyst: float = 0.05
    oob_s: int = 40
    tel_s: int = 2
    meter_s: int = 10               # PDU metering: trailing mean (s) that the controller sees [?]
    brake_at: float = 1.0
    brake_s: int = 5
    brake_hold_s: int = 60
    brake_mhz: float = 288.0
    lp_t1_mhz: float = 1275.0
    lp_t2_mhz: float = 1110.0
    hp_t2_mhz: float = 1305.0
    fmax_mhz: float = 1410.0
    cap_levels: tuple[float, float] = api.PAPER_POWER_CAPS

    def __post_init__(self) -> None:
        if self.controller is None and self.kind not in ALIASES:
            raise ValueError(f"Policy.kind={self.kind!r} is no built-in controller ({sorted(api.BUILTIN)}); "
                             "pass controller= for your own")
        if not 0 < self.t1 <= self.t2 <= self.brake_at:
            raise ValueError(f"need 0 < t1 <= t2 <= brake_at, got {self.t1}, {self.t2}, {self.brake_at}")
        if self.meter_s < 1:
            raise ValueError(f"meter_s must be >= 1 s, got {self.meter_s}")
        if self.tel_s < 1 or self.oob_s < 0 or self.brake_s < 0 or self.brake_hold_s < 1:
            raise ValueError("tel_s >= 1, oob_s >= 0, brake_s >= 0, brake_hold_s >= 1 required")
        if self.controller is not None:
            api.check(self.controller)

    def ctl(self) -> api.Controller:
        """The controller: the given one, or the built-in ``kind`` with this policy's parameters."""
        if self.controller is not None:
            return self.controller
        kind = ALIASES[self.kind]
        if kind == "brake-only":
            return api.BrakeOnly()
        kw = dict(t1=self.t1, t2=self.t2, hyst=self.hyst, lp_t1_mhz=self.lp_t1_mhz, lp_t2_mhz=self.lp_t2_mhz,
                  hp_t2_mhz=self.hp_t2_mhz, fmax_mhz=self.fmax_mhz)
        if kind == "power-cap":
            kw["levels"] = self.cap_levels
        return api.BUILTIN[kind](**kw)

    @property
    def max_stage(self) -> int:
        return len(self.ctl().stages()) - 1


ALIASES = {**{k: k for k in api.BUILTIN}, "powercap": "power-cap", "brake": "brake-only"}


@dataclass
class RunResult:
    """Outcome of one policy run. ``timeline``: (start_s, stage, braking) rows."""

    policy: Policy
    metrics: dict[str, float]
    timeline: np.ndarray
    power: np.ndarray | None = field(default=None, repr=False)


def _cap_index(agg: Aggregates, level: float) -> int:
    for k, v in enumerate(agg.cap_levels):
        if abs(v - level) < 1e-9:
            return k
    raise ValueError(f"power cap {level:g} x TDP was not generated; the row has cap_levels={agg.cap_levels}")


def _row_w(agg: Aggregates, caps: api.Caps | None, brake_g: float, cm: CapModel, sl: slice) -> np.ndarray:
    """Row power (W) over the time slice ``sl`` under ``caps`` (None: braking, GPU dynamic power
    scaled by ``brake_g``)."""
    st = agg.static.sum()
    if caps is None:
        return st + brake_g * (agg.pre[:, sl].sum(axis=0) + agg.dec[:, sl].sum(axis=0))
    if caps.uncapped:
        return st + agg.pre[:, sl].sum(axis=0) + agg.dec[:, sl].sum(axis=0)
    if caps.knob == "power":
        k = (_cap_index(agg, caps.lp), _cap_index(agg, caps.hp))
        if k[0] == k[1]:
            return st + agg.clamp[:, k[0], sl].sum(axis=0)
        return st + agg.clamp[0, k[0], sl] + agg.clamp[1, k[1], sl]
    out = np.full(agg.pre[0, sl].shape, st, dtype=np.float64)
    for c, r in enumerate((caps.lp, caps.hp)):
        out += r ** cm.alpha * (agg.pre[c, sl] / r + agg.dec[c, sl])
    return out


def state_power(agg: Aggregates, p_prov_w: float, pol: Policy, cm: CapModel) -> dict:
    """Normalised row power per second of every control state: ``{stage: array}`` for the
    controller's stages and ``{"brake": array}`` (computed once per run, reused by the
    controller and by :func:`power_series`)."""
    whole = slice(None)
    out = {s: _row_w(agg, c, 1.0, cm, whole) / p_prov_w for s, c in enumerate(pol.ctl().stages())}
    out["brake"] = _row_w(agg, None, (pol.brake_mhz / pol.fmax_mhz) ** cm.alpha, cm, whole) / p_prov_w
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
    ctl = pol.ctl()
    n = len(ctl.stages())
    for s in range(n):
        p = metered(power[s], pol.meter_s)[:: pol.tel_s]  # what the controller sees per tick
        brk[s] = np.flatnonzero(p >= pol.brake_at)
        tgt[s] = api.validate_targets(ctl.decide(p, s), p.size, n, ctl.name)
        dec[s] = np.flatnonzero(tgt[s] >= 0)
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
    :func:`paperkit.polca.reference.control_reference`: the power seen in each state is precomputed once
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
    for s, caps in enumerate(pol.ctl().stages()):
        on = stage == s
        if caps.uncapped or not on.any():
            continue
        cap = np.where(smp["cls"] == 0, caps.lp, caps.hp)
        if caps.knob == "clock":
            r_pre, r_dec = np.where(on, cap, r_pre), np.where(on, cap, r_dec)
        else:
            r_pre = np.where(on, cm.ratio_under_power_cap(smp["pre_level"], cap), r_pre)
            r_dec = np.where(on, cm.ratio_under_power_cap(smp["dec_level"], cap), r_dec)
    rb = pol.brake_mhz / pol.fmax_mhz
    return np.where(brk, rb, r_pre), np.where(brk, rb, r_dec)


def latency_metrics(agg: Aggregates, pm: PhaseModel, cm: CapModel, r_pre, r_dec) -> dict[str, float]:
    """Service-time-only impacts (no queue): HP/LP P50, P99 and throughput (service-capacity
    loss) vs uncapped, fractions. The serving loop (:func:`serving_metrics`) adds the queue."""
    smp = agg.samples
    pre = pm.prefill_ms(smp["prompt"])
    dec = smp["output"] * pm.tbt_ms(smp["batch"], smp["prompt"])
    base = pre + dec
    capped = pre * cm.slowdown(r_pre, "prefill") + dec * cm.slowdown(r_dec, "decode")
    out = {}
    for c, name in ((1, "hp"), (0, "lp")):
        m = smp["cls"] == c
        if not m.any():
            for k in ("service_p50", "service_p99", "tput"):
                out[f"{name}_{k}_impact"] = float("nan")
            continue
        for q, k in ((0.5, "service_p50"), (0.99, "service_p99")):
            out[f"{name}_{k}_impact"] = float(np.quantile(capped[m], q, method="linear")
                                              / np.quantile(base[m], q, method="linear") - 1.0)
        out[f"{name}_tput_impact"] = float(1.0 - base[m].sum() / capped[m].sum())
        out[f"{name}_requests_sampled"] = float(m.sum())
    return out


def class_slowdowns(pol: Policy, cm: CapModel, pm: PhaseModel, timeline: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Per class (0 LP, 1 HP) and second: latency multipliers of prefill and decode, shape (2, T)
    (a power cap acts through the clock it imposes on the prefill spike and the decode plateau)."""
    s_pre, s_dec = np.ones((2, T)), np.ones((2, T))
    ends = np.r_[timeline[1:, 0], T]
    stages = pol.ctl().stages()
    dec_level = pm.d_0 + pm.d_1 * np.log2(8.0)
    rb = pol.brake_mhz / pol.fmax_mhz
    for (t0, stage, brk), t1 in zip(timeline, ends):
        caps = stages[int(stage)]
        if caps.uncapped and not brk:
            continue
        for c, cap in enumerate((caps.lp, caps.hp)):
            if brk:
                rp = rd = rb
            elif caps.knob == "clock":
                rp = rd = cap
            else:
                rp, rd = cm.ratio_under_power_cap(pm.p_sat, cap), cm.ratio_under_power_cap(dec_level, cap)
            s_pre[c, t0:t1] = float(cm.slowdown(rp, "prefill"))
            s_dec[c, t0:t1] = float(cm.slowdown(rd, "decode"))
    return s_pre, s_dec


def serving_metrics(agg: Aggregates, pol: Policy, pm: PhaseModel, cm: CapModel, timeline: np.ndarray,
                    classes: tuple[int, ...] = (1, 0)) -> dict[str, float]:
    """TTFT, TBT and end-to-end latency at P50/P99 per class (``classes``: 1 HP, 0 LP) from the
    serving loop (:mod:`paperkit.polca.serving`), and their impacts vs the same arrivals uncapped
    (the uncapped series and latencies are computed once per aggregate and kept on it)."""
    T, smp = agg.seconds, agg.samples
    s_pre, s_dec = class_slowdowns(pol, cm, pm, timeline, T)
    base = _base_latency(agg, pm)
    out: dict[str, float] = {}
    for c, name in ((1, "hp"), (0, "lp")):
        if c not in classes:
            continue
        ld, series, lat_base = base[c]
        q, b = serving.capped_series(ld, series, s_pre[c], s_dec[c])
        ttft, tbt = serving.request_latency(smp, c, q, b, s_pre[c], s_dec[c], pm)
        lat = (ttft, tbt, ttft + smp["output"][smp["cls"] == c] * tbt / 1000.0)
        for i, k in enumerate(("ttft", "tbt", "e2e")):
            out.update(serving.impacts(lat[i], lat_base[i], f"{name}_{k}"))
        out[f"{name}_p50_impact"] = out[f"{name}_e2e_p50_impact"]
        out[f"{name}_p99_impact"] = out[f"{name}_e2e_p99_impact"]
    return out


def _base_latency(agg: Aggregates, pm: PhaseModel) -> dict:
    """Per class: load, uncapped series and uncapped (TTFT, TBT, e2e) of the sampled requests."""
    key = ("serving_base", id(pm))
    if key in agg.cache:
        return agg.cache[key]
    smp = agg.samples
    servers = agg.servers if agg.servers is not None else np.ones(2)
    mu_p, mu_o = float(np.mean(smp["prompt"])), float(np.mean(smp["output"]))
    one = np.ones(agg.seconds)
    out = {}
    for c in (0, 1):
        ld = serving.ClassLoad.of(agg.arrivals[c], float(servers[c]), pm, mu_p, mu_o)
        series = serving.base_series(ld)
        ttft, tbt = serving.request_latency(smp, c, *series, one, one, pm)
        out[c] = (ld, series, (ttft, tbt, ttft + smp["output"][smp["cls"] == c] * tbt / 1000.0))
    agg.cache[key] = out
    return out


def run(agg: Aggregates, p_prov_w: float, pol: Policy, cm: CapModel, pm: PhaseModel,
        keep_power: bool = False) -> RunResult:
    """One policy run: controller on telemetry, protection on true power, metrics.
    ``max_power``/``overload_s`` are TRUE 1-s power (``seen_max_power``: the telemetry's)."""
    if p_prov_w <= 0:
        raise ValueError(f"p_prov_w must be > 0, got {p_prov_w}")
    power = state_power(agg, p_prov_w, pol, cm)
    tl, brakes = control(agg, p_prov_w, pol, cm, power)
    p = power_series(agg, p_prov_w, pol, cm, tl, power)
    dur = np.diff(np.r_[tl[:, 0], agg.seconds])
    st, brk = tl[:, 1], tl[:, 2]
    prev = np.r_[0, st[:-1]]
    m = {"brake_events": float(brakes), "brake_s": float(dur[brk == 1].sum()),
         "overload_s": float((p > 1.0).sum()), "max_power": float(p.max()),
         "seen_max_power": float(metered(p, pol.meter_s).max()),
         "mean_power": float(p.mean()), "seconds": float(agg.seconds)}
    m.update(protection.protect(p))
    for s in (1, 2, 3):
        m[f"episodes_stage{s}"] = float(((st >= s) & (prev < s)).sum())
        m[f"frac_stage{s}"] = float(dur[(st >= s) & (brk == 0)].sum() / agg.seconds)
    m.update(latency_metrics(agg, pm, cm, *sample_ratios(agg, pol, cm, tl)))
    m.update(serving_metrics(agg, pol, pm, cm, tl))
    return RunResult(pol, m, tl, p if keep_power else None)
