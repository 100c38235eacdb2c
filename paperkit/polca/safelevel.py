"""The safe oversubscription level: bisection over the server count, over seeds. MODELLED.

Design. A level (``n`` servers on a row provisioned for ``n0``) is safe when, over the horizon,
nothing trips on TRUE power (:mod:`protection`: breaker, UPS), no power brake fires (the
paper's zero-brake result, C3) and high-priority P50 TTFT and TBT from the serving loop stay
within 1 % of the uncapped row's ([Q] "<1% P50 latency impact"): :func:`safe`. One generation per
seed holds every server count (each added server is its own tranche, :func:`level_row`); the
largest safe count is found by bisection (safety is taken as monotone in the count: more
servers on the same provisioned power never make a row safer), so a policy costs about
``log2(added + 1) + 1`` runs per seed. The resolution is one server: ``1 / n0``.
The result per policy is the median and range over seeds (per-server random streams; the
envelope and its calibration are fixed, fitted on seed 0).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from paperkit.polca import row as R
from paperkit.polca import sim

HP_P50_MAX = 0.01
CRITERION = ("no breaker or UPS trip on true 1-s power (IEC 60898-1 breaker at 0.8 In, UPS overload curve), "
             "no power brake, HP P50 TTFT and TBT impact < 1% (serving loop)")
POLICIES = {"polca": "polca", "brake-only": "brake-only", "uniform": "uniform", "power-cap": "power-cap"}


def meets(m, hp_p50_max: float = HP_P50_MAX):
    """The safety criterion (:data:`CRITERION`), written once: ``m`` maps metric names to numbers
    or to polars expressions (``{k: pl.col(k)}``)."""
    return ((m["breaker_trips"] == 0) & (m["ups_trips"] == 0) & (m["brake_events"] == 0)
            & (m["hp_ttft_p50_impact"] < hp_p50_max) & (m["hp_tbt_p50_impact"] < hp_p50_max))


def safe(m: dict) -> bool:
    """:func:`meets` on one run's metrics."""
    return bool(meets(m))


@dataclass(frozen=True)
class Search:
    """Bisection set-up: ``max_added`` servers above ``n0`` at most, horizon ``days``."""

    days: float = 42.0
    n0: int = 40
    max_added: int = 20
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)

    def __post_init__(self) -> None:
        if not 1 <= self.max_added <= 4 * self.n0:
            raise ValueError(f"max_added must be in 1..{4 * self.n0}, got {self.max_added}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {self.seeds}")

    @property
    def resolution(self) -> float:
        return 1.0 / self.n0


def level_row(s: Search, seed: int, lp_shares: tuple[float, ...] = (0.5,)) -> R.Row:
    """One generation holding every server count ``n0 .. n0 + max_added`` (LP share 0.5, and
    ``lp_shares`` for sensitivities)."""
    levels = tuple(k / s.n0 for k in range(s.max_added + 1))
    return R.build(R.RowConfig(days=s.days, n0=s.n0, oversub=levels, lp_shares=lp_shares, seed=seed))


def largest_safe(is_safe, top: int) -> int:
    """Largest ``k`` in ``0..top`` with ``is_safe(k)``, by bisection (-1 if 0 is unsafe). The
    bracket starts at (-1, top + 1): ``k`` = 0 is probed only if the search comes down to it."""
    lo, hi = -1, top + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if is_safe(mid) else (lo, mid)
    return lo


def seed_levels(rw: R.Row, pols: dict[str, sim.Policy], s: Search) -> dict[str, int]:
    """Largest safe added-server count per policy on one generated row: :func:`largest_safe`'s
    bisection run for every policy in lockstep, so each probed count's class sums are formed once
    for all the policies probing it (and then dropped: memory stays one level)."""
    br = {name: [-1, s.max_added + 1] for name in pols}
    while any(hi - lo > 1 for lo, hi in br.values()):
        want: dict[int, list[str]] = {}
        for name, (lo, hi) in br.items():
            if hi - lo > 1:
                want.setdefault((lo + hi) // 2, []).append(name)
        for k, names in sorted(want.items()):
            agg = rw.classes(rw.cfg.oversub[k])
            for name in names:
                ok = safe(sim.run(agg, rw.p_prov_w, pols[name], rw.cm, rw.pm).metrics)
                br[name][0 if ok else 1] = k
            del agg
    return {name: lo for name, (lo, _) in sorted(br.items())}


def summary(ks: list[int], s: Search) -> dict:
    """The CLI's result: median and range over seeds of the safe level (fractions of n0)."""
    xs = [k / s.n0 for k in ks]
    return {"safe_oversub": float(statistics.median(xs)), "range": [min(xs), max(xs)], "seeds": len(xs),
            "resolution": s.resolution, "criterion": CRITERION}


def safe_levels(pols: dict[str, sim.Policy], s: Search = Search()) -> dict[str, dict]:
    """:func:`summary` per policy, every policy on the same generated rows."""
    per: dict[str, list[int]] = {name: [] for name in pols}
    for seed in s.seeds:
        for name, k in seed_levels(level_row(s, seed), pols, s).items():
            per[name].append(k)
    return {name: summary(ks, s) for name, ks in per.items()}
