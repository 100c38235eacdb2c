"""Oversubscription sweep and sensitivities (MODELLED on a SYNTHETIC trace).

The pass criterion (spec §3.5, C1/C2) is written once, in :func:`meets`: zero power-brake
events and HP P50 latency impact below ``HP_P50_MAX`` (1 %). :func:`oversub_sweep` runs every
policy at every generated level on one generated row (the row is generated once for all
levels and LP shares, and each run's controller cost is per event, see :mod:`sim`);
:func:`max_oversub` returns the largest level meeting the criterion with every lower level.
"""

from __future__ import annotations

import dataclasses

import polars as pl

from paperkit.polca import sim
from paperkit.polca.row import Row

HP_P50_MAX = 0.01
BASELINES = {"POLCA": sim.Policy(kind="polca"), "brake only": sim.Policy(kind="brake"),
             "reactive power cap": sim.Policy(kind="powercap"),
             "uniform freq cap": sim.Policy(kind="uniform")}


def meets(brake_events, hp_p50_impact, hp_p50_max: float = HP_P50_MAX):
    """The pass criterion: no brake event and HP P50 impact below ``hp_p50_max``. Works on
    numbers and on polars expressions alike."""
    return (brake_events == 0) & (hp_p50_impact < hp_p50_max)


def run_level(row: Row, x: float, pols: dict[str, sim.Policy], lp_share: float | None = None) -> dict[str, dict]:
    """Metrics of several policies at one oversubscription level (and LP share); the level's
    class sums are formed once for all of them."""
    agg = row.classes(x, lp_share)
    return {name: sim.run(agg, row.p_prov_w, pol, row.cm, row.pm).metrics for name, pol in sorted(pols.items())}


def oversub_sweep(row: Row, policies: dict[str, sim.Policy] | None = None,
                  lp_share: float | None = None) -> pl.DataFrame:
    """One row per (policy, oversubscription level) with all run metrics; sorted."""
    policies = BASELINES if policies is None else policies
    rows = []
    for x in row.cfg.oversub:
        for name, m in run_level(row, x, policies, lp_share).items():
            rows.append({"policy": name, "oversub": float(x), "servers": int(round(row.cfg.n0 * (1 + x))), **m})
    return pl.DataFrame(rows).sort(["policy", "oversub"])


def passes(df: pl.DataFrame, hp_p50_max: float = HP_P50_MAX) -> pl.DataFrame:
    """Add ``ok``: the row meets the criterion (:func:`meets`)."""
    return df.with_columns(meets(pl.col("brake_events"), pl.col("hp_p50_impact"), hp_p50_max).alias("ok"))


def largest_passing(levels, oks) -> float:
    """Largest level such that it and every lower level pass (-1 if the lowest fails)."""
    best = -1.0
    for x, ok in sorted(zip(levels, oks)):
        if not ok:
            break
        best = float(x)
    return best


def max_oversub(df: pl.DataFrame, policy: str = "POLCA", hp_p50_max: float = HP_P50_MAX) -> float:
    """Largest level of ``policy`` in a sweep frame meeting the criterion with all lower levels."""
    d = passes(df.filter(pl.col("policy") == policy), hp_p50_max).sort("oversub")
    if d.height == 0:
        raise ValueError(f"policy {policy!r} not in the sweep; have {sorted(set(df['policy']))}")
    return largest_passing(d["oversub"].to_list(), d["ok"].to_list())


def sensitivity(row: Row, variants: dict[str, dict], base: sim.Policy = sim.Policy(),
                hp_p50_max: float = HP_P50_MAX) -> pl.DataFrame:
    """Max oversubscription and key metrics at +30 % for POLCA variants. A variant is a dict of
    ``Policy`` overrides, plus optionally ``lp_share`` (one of ``row.cfg.shares()``).
    Every level runs (the controller is cheap), so the answer does not depend on an early stop."""
    x30 = min(row.cfg.oversub, key=lambda v: abs(v - 0.3))
    by_share: dict = {}
    for name, over in variants.items():
        over = dict(over)
        share = over.pop("lp_share", None)
        by_share.setdefault(share, {})[name] = dataclasses.replace(base, **over)
    res: dict[str, dict] = {name: {} for name in variants}
    for share, pols in by_share.items():
        for x in row.cfg.oversub:
            for name, m in run_level(row, x, pols, share).items():
                res[name][x] = m
    out = []
    for name in sorted(variants):
        ms = res[name]
        oks = [bool(meets(ms[x]["brake_events"], ms[x]["hp_p50_impact"], hp_p50_max)) for x in row.cfg.oversub]
        at = ms[x30]
        out.append({"variant": name, "max_oversub": largest_passing(list(row.cfg.oversub), oks),
                    "brakes_at_30": float(at["brake_events"]), "hp_p50_at_30": float(at["hp_p50_impact"]),
                    "lp_p50_at_30": float(at["lp_p50_impact"])})
    return pl.DataFrame(out).sort("variant")
