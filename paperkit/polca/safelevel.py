"""The safe oversubscription level: bisection over the level, over seeds. MODELLED.

Design. A level ``x`` (servers per provisioned watt, over the paper's row of ``n0`` = 40) is
safe when, over the horizon, nothing trips on TRUE power (:mod:`protection`: breaker, UPS), no
power brake fires (the paper's zero-brake result, C3) and high-priority P50 TTFT and TBT from
the serving loop stay within 1 % of the uncapped row's ([Q] "<1% P50 latency impact"):
:func:`safe`, and :func:`is_safe`, the same test computed lazily (it stops at the first clause
that fails). Servers come whole: level ``x`` deploys the fewest whole servers that reach it
(:func:`paperkit.polca.row.servers_at`) on a budget raised in proportion between two
whole-server levels (:func:`paperkit.polca.row.budget_w`), so the level is resolved finer
than one server of 40 (2.5 %): on a lattice of ``resolution`` (1 % by default).

One generation per seed holds every server count (each added server is its own tranche,
:func:`level_row`); the largest safe lattice point is found by bisection (safety is taken as
monotone in the level: more servers per provisioned watt never make a row safer), about
``log2(points + 1) + 1`` runs per policy and seed, the policies in lockstep so a probed server
count's class sums are formed once. Seeds run in parallel worker processes (``jobs``; forked
after the parent has filled every cache the workers read, so they run numpy only). The result
per policy is the median and range over seeds (per-server random streams; the envelope and its
calibration are fixed, fitted on seed 0).
"""

from __future__ import annotations

import math
import multiprocessing
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from paperkit.polca import protection
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


def is_safe(agg, p_prov_w: float, pol: sim.Policy, cm, pm) -> bool:
    """``safe(sim.run(agg, p_prov_w, pol, cm, pm).metrics)``, computed lazily: the controller
    first (a brake fails), then protection on the true power (a trip fails), then the HP
    serving loop only (the criterion reads no LP metric)."""
    power = sim.state_power(agg, p_prov_w, pol, cm)
    tl, brakes = sim.control(agg, p_prov_w, pol, cm, power)
    m = {"brake_events": float(brakes), "breaker_trips": 0.0, "ups_trips": 0.0,
         "hp_ttft_p50_impact": 0.0, "hp_tbt_p50_impact": 0.0}
    if brakes:
        return safe(m)
    m.update(protection.protect(sim.power_series(agg, p_prov_w, pol, cm, tl, power)))
    if m["breaker_trips"] or m["ups_trips"]:
        return safe(m)
    m.update(sim.serving_metrics(agg, pol, pm, cm, tl, classes=(1,)))
    return safe(m)


@dataclass(frozen=True)
class Search:
    """Bisection set-up: levels ``0, resolution, 2 resolution, ...`` up to ``max_added / n0``
    (``max_added`` whole servers above ``n0`` are generated), horizon ``days``."""

    days: float = 42.0
    n0: int = 40
    max_added: int = 20
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    resolution: float = 0.01

    def __post_init__(self) -> None:
        if not 1 <= self.max_added <= 4 * self.n0:
            raise ValueError(f"max_added must be in 1..{4 * self.n0}, got {self.max_added}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {self.seeds}")
        if not (isinstance(self.resolution, (int, float)) and 1e-4 <= self.resolution <= self.max_added / self.n0):
            raise ValueError(f"resolution must be in [0.0001, {self.max_added / self.n0:g}], got {self.resolution!r}")

    @property
    def top(self) -> int:
        """Index of the highest lattice point (``top * resolution <= max_added / n0``)."""
        return math.floor(self.max_added / self.n0 / self.resolution + 1e-9)

    def level(self, k: int) -> float:
        """Lattice point ``k`` (fraction of ``n0``)."""
        return round(k * self.resolution, 12)


def level_row(s: Search, seed: int, lp_shares: tuple[float, ...] = (0.5,)) -> R.Row:
    """One generation holding every server count ``n0 .. n0 + max_added`` (LP share 0.5, and
    ``lp_shares`` for sensitivities)."""
    levels = tuple(k / s.n0 for k in range(s.max_added + 1))
    return R.build(R.RowConfig(days=s.days, n0=s.n0, oversub=levels, lp_shares=lp_shares, seed=seed))


def largest_safe(is_safe_k: Callable[[int], bool], top: int) -> int:
    """Largest ``k`` in ``0..top`` with ``is_safe_k(k)``, by bisection (-1 if 0 is unsafe). The
    bracket starts at (-1, top + 1): ``k`` = 0 is probed only if the search comes down to it."""
    lo, hi = -1, top + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if is_safe_k(mid) else (lo, mid)
    return lo


def seed_levels(rw: R.Row, pols: dict[str, sim.Policy], s: Search, lp_share: float | None = None) -> dict[str, int]:
    """Largest safe lattice index per policy on one generated row: :func:`largest_safe`'s
    bisection run for every policy in lockstep, so each probed server count's class sums are
    formed once per round for all the policies probing it (and then dropped)."""
    br = {name: [-1, s.top + 1] for name in pols}
    while any(hi - lo > 1 for lo, hi in br.values()):
        want: dict[int, list[tuple[str, int]]] = {}
        for name, (lo, hi) in br.items():
            if hi - lo > 1:
                k = (lo + hi) // 2
                want.setdefault(R.servers_at(s.n0, s.level(k)), []).append((name, k))
        for n, probes in sorted(want.items()):
            agg = rw.classes((n - s.n0) / s.n0, lp_share)
            for name, k in probes:
                ok = is_safe(agg, R.budget_w(rw.p_prov_w, s.n0, s.level(k)), pols[name], rw.cm, rw.pm)
                br[name][0 if ok else 1] = k
            del agg
    return {name: lo for name, (lo, _) in sorted(br.items())}


def summary(ks: list[int], s: Search) -> dict:
    """The CLI's result: median and range over seeds of the safe level (fractions of n0)."""
    xs = [s.level(k) for k in ks]
    return {"safe_oversub": float(statistics.median(xs)), "range": [min(xs), max(xs)], "seeds": len(xs),
            "resolution": s.resolution, "criterion": CRITERION}


def warm(s: Search) -> None:
    """Fill the caches every seed's generation reads (fits, token mix, envelope, rate table), so
    a forked worker never runs polars (it deadlocks in a child forked after its pool started)."""
    cfg = R.RowConfig(days=s.days, n0=s.n0)
    R.models(cfg.prefill_level, cfg.gpu)
    R.full_trace(cfg.trace_seed)
    R.rate_table(cfg.prefill_level, cfg.gpu, max(3.0, 2 * cfg.lam_peak))


_TASK: Callable | None = None


def _call(seed: int):
    t0 = time.perf_counter()
    return seed, _TASK(seed), time.perf_counter() - t0  # type: ignore[misc]


def map_seeds(task: Callable[[int], dict], seeds: tuple[int, ...], jobs: int = 1,
              on_seed: Callable[[int, float], None] | None = None,
              meanwhile: Callable[[], object] | None = None) -> tuple[dict[int, dict], object]:
    """``({seed: task(seed)}, meanwhile())``: the seeds in ``jobs`` forked worker processes (1:
    in this process, after ``meanwhile``), ``meanwhile`` (if given) in this process while the
    workers run. ``on_seed(seed, seconds)`` is called here as each seed finishes (progress)."""
    global _TASK
    out: dict[int, dict] = {}
    if jobs <= 1 or not seeds:
        extra = meanwhile() if meanwhile else None
        for seed in seeds:
            t0 = time.perf_counter()
            out[seed] = task(seed)
            if on_seed:
                on_seed(seed, time.perf_counter() - t0)
        return out, extra
    _TASK = task
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(seeds))) as pool:
            pending = pool.imap_unordered(_call, seeds)
            extra = meanwhile() if meanwhile else None
            for seed, res, dt in pending:
                out[seed] = res
                if on_seed:
                    on_seed(seed, dt)
    finally:
        _TASK = None
    return out, extra


def safe_levels(pols: dict[str, sim.Policy], s: Search = Search(), jobs: int = 1,
                on_seed: Callable[[int, float], None] | None = None) -> dict[str, dict]:
    """:func:`summary` per policy, every policy on the same generated rows (one per seed)."""
    warm(s)
    per_seed, _ = map_seeds(lambda seed: seed_levels(level_row(s, seed), pols, s), s.seeds, jobs, on_seed)
    return {name: summary([per_seed[seed][name] for seed in s.seeds], s) for name in pols}
