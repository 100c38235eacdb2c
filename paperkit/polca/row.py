"""Assemble a simulated row: fitted models, synthetic trace, arrival rates, per-group activity.

The baseline row (``n0`` = 40 servers) follows the synthetic row trace ``u(t)``: the common
per-server arrival rate is the one whose expected server power equals ``u(t) p_prov / n0``.
``p_prov`` is fixed so that a server at ``lam_peak`` req/s draws ``peak / n0`` of it, i.e. the
baseline row peaks at the trace's 79 %. Added servers (oversubscription ``x``) get the same rate
(the spec's case (i), same per-server load) and their own random streams.
Servers are generated in tranches (baseline, then each oversubscription step) and classes, so one
generation serves a whole sweep (:func:`paperkit.polca.workload.combine`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from paperkit.polca import capping, control, data, measure, phase, rowtrace, workload

GPUS = ("a100", "h200")
H200_SERVER = workload.ServerConfig(gpus=8, tdp_w=measure.H200_TDP_W, nongpu_base_w=2800.0)
"""An 8 x H200 server: splitwise-sim's non-A100 server idle (2800 W) as the non-GPU base."""


@dataclass(frozen=True)
class RowConfig:
    """Row set-up. ``days`` < 42 takes whole days around the trace's peak."""

    days: float = 2.0
    n0: int = 40
    oversub: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
    lp_share: float = 0.5          # the row's LP share (default of :meth:`Row.classes`)
    lp_shares: tuple[float, ...] = (0.25, 0.5, 0.75)  # shares generated alongside (sensitivity)
    lam_peak: float = 1.5          # per-server req/s at the row's peak (assumption)
    prefill_level: str = "peak"    # 'peak' (spike level, conservative) or 'fitted' (kappa fit)
    seed: int = 0
    trace_seed: int = 0
    cap_levels: tuple[float, ...] = control.PAPER_POWER_CAPS  # reactive GPU power caps (x TDP), power-cap policy
    samples_per_hour: int = 400
    gpu: str = "a100"              # 'a100' (public BLOOM-176B TP8 fit) or 'h200' (measured 7B fit)

    def __post_init__(self) -> None:
        for f in (self.lp_share, *self.lp_shares):
            if not 0 <= f <= 1:
                raise ValueError(f"lp_share must be in [0, 1], got {f}")
        if self.gpu not in GPUS:
            raise ValueError(f"gpu must be one of {GPUS}, got {self.gpu!r}")
        if self.prefill_level not in ("peak", "fitted"):
            raise ValueError(f"prefill_level must be 'peak' or 'fitted', got {self.prefill_level!r}")
        if not self.oversub or min(self.oversub) < 0 or list(self.oversub) != sorted(self.oversub):
            raise ValueError(f"oversub must be sorted non-negative fractions, got {self.oversub}")
        if not 1 / 24 <= self.days <= 42:
            raise ValueError(f"days must be within [1/24, 42], got {self.days}")
        for name in ("seed", "trace_seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {v!r}")

    def shares(self) -> tuple[float, ...]:
        """Every LP share the generated row can be split by (sorted)."""
        return tuple(sorted({self.lp_share, *self.lp_shares}))

    def sizes(self) -> list[int]:
        """Servers in the row at each oversubscription level."""
        return [int(round(self.n0 * (1 + x))) for x in self.oversub]


@lru_cache(maxsize=4)
def models(prefill_level: str = "peak", gpu: str = "a100") -> tuple[phase.PhaseModel, capping.CapModel, workload.TokenMix]:
    """Phase model, capping model, Azure token mix. ``a100``: BLOOM-176B TP8 fitted to the
    public A100 data; ``h200``: the 7B-shaped model fitted to the measured H200 phases (one GPU,
    taken as each of a server's 8 GPUs in lockstep), capping model refitted to its idle and
    spike level with the clocks scaled to the H200's 1980 MHz."""
    mix = workload.TokenMix.from_requests(data.azure_requests())
    if gpu == "h200":
        pm = h200_phase_model()
        fmax = H200_FMAX_MHZ
        anchors = dataclasses.replace(capping.CapAnchors(), f_min_mhz=capping.CapAnchors().f_min_mhz
                                      * fmax / capping.A100_FMAX_MHZ)
        cm = capping.fit_cap_model(anchors, idle=pm.idle, peak_level=pm.p_sat, fmax_mhz=fmax)
    else:
        pm = phase.fit_all(data.perf_model())["bloom-176b TP8"]
        cm = capping.fit_cap_model(idle=pm.idle)
    if prefill_level == "peak":
        pm = dataclasses.replace(pm, kappa=1.0)
    return pm, cm, mix


H200_FMAX_MHZ = 1980.0


def h200_phase_model() -> phase.PhaseModel:
    """The phase model fitted to the measured H200 phases (7B-shaped model, random weights)."""
    return phase.fit_measured_phases(measure.h200_phase_levels(), measure.h200_results(), measure.H200_TDP_W,
                                     "7B-shaped on H200 (measured)")


TELEMETRY_METER_S = 10
"""What the controller sees: a 10 s trailing mean of the row power (the PDU period is not given
by the paper [?]; an assumption, shown against 1 s and 30 s in notebook 04)."""


def input_trace(trace_seed: int = 0) -> np.ndarray:
    """The synthetic ENVELOPE the arrivals follow (its own 40 s rise calibrated to 11.8 %)."""
    return rowtrace.synthetic_row_trace(rowtrace.RowTraceConfig(seed=trace_seed))


@lru_cache(maxsize=8)
def rate_table(prefill_level: str, gpu: str, lam_max: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`workload.rate_lookup` for the row's models (cached: every build needs it)."""
    pm, _, mix = models(prefill_level, gpu)
    return workload.rate_lookup(pm, mix, H200_SERVER if gpu == "h200" else workload.ServerConfig(), lam_max=lam_max)


def replica(u_full: np.ndarray, cfg: "RowConfig") -> np.ndarray:
    """The uncapped ``cfg.n0``-server row's true 1-s power (W) driven by envelope ``u_full``."""
    pm, _, mix = models(cfg.prefill_level, cfg.gpu)
    srv = H200_SERVER if cfg.gpu == "h200" else workload.ServerConfig()
    rates, pw = rate_table(cfg.prefill_level, cfg.gpu, max(3.0, 2 * cfg.lam_peak))
    lam = workload.rate_for_power(u_full * float(np.interp(cfg.lam_peak, rates, pw)) / float(u_full.max()), rates, pw)
    agg = workload.generate(lam, cfg.n0, np.zeros(cfg.n0, np.int64), pm, mix, srv, cap_levels=(), seed=cfg.seed,
                            sample_per_chunk=0)
    return agg.uncapped_row_w()


@dataclass(frozen=True)
class Calibration:
    """Fitted on the paper's C4/C5 (calibration, never judged): the envelope's OU amplitude
    ``sigma`` and offset ``c``, and ``prov_scale``, the provisioned power over the one that puts
    the envelope's peak server load at ``lam_peak`` (so the seen row peaks at 79 %)."""

    sigma: float
    c: float
    prov_scale: float


def fit_calibration(trace_seed: int = 0, iters: int = 12, tol: float = 0.002) -> Calibration:
    """Bisection on ``sigma`` (keeping the closest step; the rise is an extreme statistic of a
    noisy replica, not exactly monotone in ``sigma``): the seed-0 replica metered over :data:`TELEMETRY_METER_S`,
    normalised by its own seen peak / 0.79, rises 11.8 % within 40 s [Q]. Each step is one
    six-week replica (the replica's second-by-second noise is part of what the meter sees)."""
    tc = rowtrace.RowTraceConfig(seed=trace_seed)
    det, ou = rowtrace.trace_parts(tc)
    sig_in, c = rowtrace.calibrate(det, ou, tc.peak, tc.spike40)
    cfg = RowConfig(days=42.0, oversub=(0.0,))
    lo, hi, best = 0.0, sig_in, None
    for _ in range(iters):
        sig = 0.5 * (lo + hi)
        u = det + sig * ou + c
        q = rowtrace.metered(replica(u, cfg), TELEMETRY_METER_S)
        rise = rowtrace.max_rise(q / (q.max() / tc.peak), 40)
        if best is None or abs(rise - tc.spike40) < best[0]:
            best = (abs(rise - tc.spike40), sig, q.max() / tc.peak)
        if abs(rise - tc.spike40) < tol:
            break
        lo, hi = (sig, hi) if rise < tc.spike40 else (lo, sig)
    _, sig, prov_w = best
    u = det + sig * ou + c
    pm, _, mix = models(cfg.prefill_level, cfg.gpu)
    rates, pw = workload.rate_lookup(pm, mix, workload.ServerConfig(), lam_max=max(3.0, 2 * cfg.lam_peak))
    return Calibration(float(sig), float(c), float(prov_w / (cfg.n0 * float(np.interp(cfg.lam_peak, rates, pw))
                                                              / float(u.max()))))


CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


def write_calibration(trace_seed: int = 0) -> dict:
    """Refit :func:`fit_calibration` and store it in ``calibration.json`` (keyed by trace seed)."""
    cal = dataclasses.asdict(fit_calibration(trace_seed))
    old = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8")) if CALIBRATION_FILE.is_file() else {}
    old[str(trace_seed)] = cal
    CALIBRATION_FILE.write_text(json.dumps(old, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    calibration.cache_clear()
    full_trace.cache_clear()
    return cal


@lru_cache(maxsize=2)
def calibration(trace_seed: int = 0) -> Calibration:
    """The fitted :class:`Calibration`, from ``calibration.json`` (written by
    ``python -m paperkit.polca calibrate``) when it holds this trace seed, else fitted now."""
    if CALIBRATION_FILE.is_file():
        got = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8")).get(str(trace_seed))
        if got:
            return Calibration(**got)
    return fit_calibration(trace_seed)


@lru_cache(maxsize=2)
def full_trace(trace_seed: int = 0) -> np.ndarray:
    """The six-week envelope the arrivals follow, with the fitted :func:`calibration`."""
    cal = calibration(trace_seed)
    det, ou = rowtrace.trace_parts(rowtrace.RowTraceConfig(seed=trace_seed))
    return det + cal.sigma * ou + cal.c


def seen_stats(p: np.ndarray, meter_s: int = TELEMETRY_METER_S) -> dict[str, float]:
    """Peak and 40 s rise of a true row power series as the controller sees it."""
    q = rowtrace.metered(p, meter_s)
    return {"peak": float(q.max()), "rise_40s": rowtrace.max_rise(q, 40)}


def matched_lam_peak(gpu: str, ref: RowConfig = RowConfig()) -> float:
    """Per-server peak rate for ``gpu`` that gives the same expected decode batch at the row's
    peak as ``ref`` (A100, 1.5 req/s): ``lam / (1 - rho)`` held equal (an assumption: a server
    is loaded to the same concurrency, not the same request rate)."""
    _, _, mix = models(ref.prefill_level, ref.gpu)
    rho_ref = workload.decode_rho(models(ref.prefill_level, ref.gpu)[0], mix, workload.ServerConfig())
    srv = H200_SERVER if gpu == "h200" else workload.ServerConfig()
    rho = workload.decode_rho(models(ref.prefill_level, gpu)[0], mix, srv)
    return ref.lam_peak * (1.0 - rho) / (1.0 - rho_ref)


@dataclass
class Row:
    """A generated row: per-group activity plus what is needed to run policies."""

    cfg: RowConfig
    agg: workload.Aggregates
    p_prov_w: float
    u: np.ndarray
    lam: np.ndarray
    pm: phase.PhaseModel
    cm: capping.CapModel
    window: tuple[int, int]
    group_keys: np.ndarray

    def classes(self, x: float, lp_share: float | None = None) -> workload.Aggregates:
        """LP/HP aggregates of the row at oversubscription ``x`` (one of ``cfg.oversub``) with
        ``lp_share`` of its servers low-priority (one of ``cfg.shares()``; default ``cfg.lp_share``)."""
        if x not in self.cfg.oversub:
            raise ValueError(f"x={x} was not generated; choose from {self.cfg.oversub}")
        share = self.cfg.lp_share if lp_share is None else lp_share
        if share not in self.cfg.shares():
            raise ValueError(f"lp_share={share} was not generated; choose from {self.cfg.shares()}")
        k, j, F = self.cfg.oversub.index(x), self.cfg.shares().index(share), len(self.cfg.shares())
        tranche, bits = self.group_keys >> F, self.group_keys & ((1 << F) - 1)
        groups = [int(g) for g in np.flatnonzero(tranche <= k)]
        return workload.combine(self.agg, groups, {g for g in groups if (bits[g] >> j) & 1})


    def at(self, x: float, lp_share: float | None = None) -> tuple[workload.Aggregates, float]:
        """The row at ANY level ``x`` (fraction of ``n0``): the class sums of the whole-server row
        that reaches it (:func:`servers_at`) and its provisioned power (W, :func:`budget_w`; the
        row's own at whole-server levels)."""
        n = servers_at(self.cfg.n0, x)
        return self.classes((n - self.cfg.n0) / self.cfg.n0, lp_share), budget_w(self.p_prov_w, self.cfg.n0, x)


def servers_at(n0: int, x: float) -> int:
    """Servers deployed at oversubscription level ``x``: the fewest whole servers ``N`` with
    ``N / n0 >= 1 + x`` (servers come whole)."""
    if not (x >= 0 and np.isfinite(x)):
        raise ValueError(f"oversubscription level must be a finite fraction >= 0, got {x!r}")
    return n0 + max(0, math.ceil(n0 * x - 1e-9))


def budget_w(p_prov_w: float, n0: int, x: float) -> float:
    """Provisioned power (W) that puts the ``servers_at(n0, x)``-server row at exactly level
    ``x``: oversubscription is servers per provisioned watt, ``x = N p_srv / P - 1`` with
    ``p_srv = p_prov_w / n0``. Between two whole-server levels the next whole server is
    deployed on a budget raised in proportion (a fraction of a server is a fraction of its
    provisioned power); at whole-server levels it is ``p_prov_w`` itself."""
    return p_prov_w * servers_at(n0, x) / (n0 * (1.0 + x))


def is_hp(n_servers: int, lp_share: float) -> np.ndarray:
    """HP flag per server index; LP servers spread evenly at ``lp_share``."""
    s = np.arange(n_servers)
    return (np.floor((s + 1) * lp_share) - np.floor(s * lp_share)) < 1


def server_groups(cfg: RowConfig) -> tuple[np.ndarray, np.ndarray]:
    """Group id per server and each group's key ``tranche << F | hp bits`` (bit j: HP under
    ``cfg.shares()[j]``, F shares). One generation then serves every level and LP share."""
    sizes = cfg.sizes()
    s = np.arange(sizes[-1])
    tranche = np.searchsorted(np.array(sizes), s, side="right")
    bits = sum(is_hp(s.size, f).astype(np.int64) << j for j, f in enumerate(cfg.shares()))
    keys, group = np.unique((tranche << len(cfg.shares())) | bits, return_inverse=True)
    return group, keys


def build(cfg: RowConfig = RowConfig()) -> Row:
    """Generate the row for ``cfg`` (all tranches)."""
    pm, cm, mix = models(cfg.prefill_level, cfg.gpu)
    u_full = full_trace(cfg.trace_seed)
    w0, w1 = rowtrace.peak_window(u_full, cfg.days)
    u = u_full[w0:w1]
    srv = H200_SERVER if cfg.gpu == "h200" else workload.ServerConfig()
    rates, pw = rate_table(cfg.prefill_level, cfg.gpu, max(3.0, 2 * cfg.lam_peak))
    p_env = cfg.n0 * float(np.interp(cfg.lam_peak, rates, pw)) / float(u_full.max())  # envelope peak -> lam_peak
    lam = workload.rate_for_power(u * p_env / cfg.n0, rates, pw)
    p_prov = p_env * (calibration(cfg.trace_seed).prov_scale if cfg.gpu == "a100" else 1.0)
    grp, keys = server_groups(cfg)
    agg = workload.generate(lam, grp.size, grp, pm, mix, srv, cap_levels=cfg.cap_levels, seed=cfg.seed,
                            sample_per_chunk=cfg.samples_per_hour)
    agg.samples["t"] = agg.samples["t"].astype(np.int64)
    return Row(cfg, agg, p_prov, u, lam, pm, cm, (w0, w1), keys)
