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
import numbers
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from paperkit.polca import capping, data, phase, rowtrace, workload


@dataclass(frozen=True)
class RowConfig:
    """Row set-up. ``days`` < 42 takes whole days around the trace's peak."""

    days: float = 2.0
    n0: int = 40
    oversub: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
    lp_share: float = 0.5
    lam_peak: float = 1.5          # per-server req/s at the row's peak (assumption)
    prefill_level: str = "peak"    # 'peak' (spike level, conservative) or 'fitted' (kappa fit)
    seed: int = 0
    trace_seed: int = 0
    cap_levels: tuple[float, ...] = (0.60, 0.55)  # reactive power caps (x TDP), powercap policy
    samples_per_hour: int = 400

    def __post_init__(self) -> None:
        if not 0 <= self.lp_share <= 1:
            raise ValueError(f"lp_share must be in [0, 1], got {self.lp_share}")
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

    def sizes(self) -> list[int]:
        """Servers in the row at each oversubscription level."""
        return [int(round(self.n0 * (1 + x))) for x in self.oversub]


@lru_cache(maxsize=4)
def models(prefill_level: str = "peak") -> tuple[phase.PhaseModel, capping.CapModel, workload.TokenMix]:
    """BLOOM-176B TP8 phase model (public A100 fit), capping model, Azure token mix."""
    pm = phase.fit_all(data.perf_model())["bloom-176b TP8"]
    if prefill_level == "peak":
        pm = dataclasses.replace(pm, kappa=1.0)
    cm = capping.fit_cap_model(idle=pm.idle)
    mix = workload.TokenMix.from_requests(data.azure_requests())
    return pm, cm, mix


@lru_cache(maxsize=2)
def full_trace(trace_seed: int = 0) -> np.ndarray:
    """The six-week synthetic row trace (calibrated on the full horizon)."""
    return rowtrace.synthetic_row_trace(rowtrace.RowTraceConfig(seed=trace_seed))


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

    def classes(self, x: float) -> workload.Aggregates:
        """LP/HP aggregates of the row at oversubscription ``x`` (one of ``cfg.oversub``)."""
        if x not in self.cfg.oversub:
            raise ValueError(f"x={x} was not generated; choose from {self.cfg.oversub}")
        k = self.cfg.oversub.index(x)
        groups = [g for tr in range(k + 1) for g in (2 * tr, 2 * tr + 1)]
        return workload.combine(self.agg, groups, {g for g in groups if g % 2 == 1})


def server_groups(cfg: RowConfig) -> np.ndarray:
    """Group id per server: ``2 * tranche + is_hp``; LP servers spread evenly at ``lp_share``."""
    sizes = cfg.sizes()
    s = np.arange(sizes[-1])
    tranche = np.searchsorted(np.array(sizes), s, side="right")
    lp = (np.floor((s + 1) * cfg.lp_share) - np.floor(s * cfg.lp_share)) >= 1
    return 2 * tranche + (~lp).astype(np.int64)


def build(cfg: RowConfig = RowConfig()) -> Row:
    """Generate the row for ``cfg`` (all tranches)."""
    pm, cm, mix = models(cfg.prefill_level)
    u_full = full_trace(cfg.trace_seed)
    w0, w1 = rowtrace.peak_window(u_full, cfg.days)
    u = u_full[w0:w1]
    srv = workload.ServerConfig()
    rates, pw = workload.rate_lookup(pm, mix, srv, lam_max=max(3.0, 2 * cfg.lam_peak))
    p_prov = cfg.n0 * float(np.interp(cfg.lam_peak, rates, pw)) / float(u_full.max())
    lam = workload.rate_for_power(u * p_prov / cfg.n0, rates, pw)
    grp = server_groups(cfg)
    agg = workload.generate(lam, grp.size, grp, pm, mix, srv, cap_levels=cfg.cap_levels, seed=cfg.seed,
                            sample_per_chunk=cfg.samples_per_hour)
    agg.samples["t"] = agg.samples["t"].astype(np.int64)
    return Row(cfg, agg, p_prov, u, lam, pm, cm, (w0, w1))
