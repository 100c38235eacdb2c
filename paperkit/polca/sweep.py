"""Oversubscription sweep and sensitivities (MODELLED on a SYNTHETIC trace).

The pass criterion is :func:`paperkit.polca.safelevel.meets` (nothing trips on true power, no
brake, HP P50 TTFT and TBT within 1 %). :func:`oversub_sweep` runs every policy at every
generated level on one generated row (for figures on a grid); the safe level itself comes from
the bisection of :mod:`safelevel`. :func:`sensitivity` bisects POLCA variants on one row.
"""

from __future__ import annotations

import dataclasses

import polars as pl

from paperkit.polca import safelevel, sim
from paperkit.polca.row import Row

HP_P50_MAX = safelevel.HP_P50_MAX
BASELINES = {"POLCA": sim.Policy(kind="polca"), "brake only": sim.Policy(kind="brake-only"),
             "reactive power cap": sim.Policy(kind="power-cap"),
             "uniform freq cap": sim.Policy(kind="uniform")}


class _Cols:
    def __getitem__(self, k: str) -> pl.Expr:
        return pl.col(k)


def meets(m, hp_p50_max: float = HP_P50_MAX):
    """The pass criterion (:func:`paperkit.polca.safelevel.meets`) on a metrics dict."""
    return safelevel.meets(m, hp_p50_max)


def run_level(row: Row, x: float, pols: dict[str, sim.Policy], lp_share: float | None = None) -> dict[str, dict]:
    """Metrics of several policies at one oversubscription level (and LP share); the level's
    class sums are formed once for all of them."""
    agg = row.classes(x, lp_share)
    return {name: sim.run(agg, row.p_prov_w, pol, row.cm, row.pm).metrics for name, pol in sorted(pols.items())}


def oversub_sweep(row: Row, policies: dict[str, sim.Policy] | None = None,
                  lp_share: float | None = None, levels=None) -> pl.DataFrame:
    """One row per (policy, oversubscription level) with all run metrics; sorted. ``levels``:
    a subset of ``row.cfg.oversub`` (default all)."""
    policies = BASELINES if policies is None else policies
    rows = []
    for x in (row.cfg.oversub if levels is None else levels):
        for name, m in run_level(row, x, policies, lp_share).items():
            rows.append({"policy": name, "oversub": float(x), "servers": int(round(row.cfg.n0 * (1 + x))), **m})
    return pl.DataFrame(rows).sort(["policy", "oversub"])


def passes(df: pl.DataFrame, hp_p50_max: float = HP_P50_MAX) -> pl.DataFrame:
    """Add ``ok``: the row meets the criterion (:func:`meets`)."""
    return df.with_columns(safelevel.meets(_Cols(), hp_p50_max).alias("ok"))


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


def sensitivity(rw: Row, variants: dict[str, dict], s: "safelevel.Search", base: sim.Policy = sim.Policy()) -> pl.DataFrame:
    """Safe level (bisection on the lattice of ``s``, one row: ``rw`` from
    :func:`safelevel.level_row`) of POLCA variants. A variant is a dict of ``Policy`` overrides,
    plus optionally ``lp_share`` (one of ``rw.cfg.shares()``). Variants on one LP share are
    bisected in lockstep (:func:`safelevel.seed_levels`)."""
    by_share: dict[float | None, dict[str, sim.Policy]] = {}
    for name in sorted(variants):
        over = dict(variants[name])
        share = over.pop("lp_share", None)
        by_share.setdefault(share, {})[name] = dataclasses.replace(base, **over)
    out = []
    for share, pols in by_share.items():
        for name, k in safelevel.seed_levels(rw, pols, s, share).items():
            out.append({"variant": name, "safe_oversub": s.level(k)})
    return pl.DataFrame(out).sort("variant")
