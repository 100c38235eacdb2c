"""Oversubscription sweep and sensitivities (MODELLED on a SYNTHETIC trace).

Pass criteria (spec §3.5, C1/C2): zero power-brake events and HP P50 latency impact < 1 %.
:func:`oversub_sweep` runs every policy at every generated level; :func:`max_oversub` returns the
largest level meeting the criteria (all lower levels must meet them too).
"""

from __future__ import annotations

import dataclasses

import polars as pl

from paperkit.polca import sim
from paperkit.polca.row import Row

BASELINES = {"POLCA": sim.Policy(kind="polca"), "brake only": sim.Policy(kind="brake"),
             "reactive power cap": sim.Policy(kind="powercap"),
             "uniform freq cap": sim.Policy(kind="uniform")}


def oversub_sweep(row: Row, policies: dict[str, sim.Policy] | None = None) -> pl.DataFrame:
    """One row per (policy, oversubscription level) with all run metrics; sorted."""
    policies = BASELINES if policies is None else policies
    rows = []
    for x in row.cfg.oversub:
        agg = row.classes(x)
        for name, pol in sorted(policies.items()):
            m = sim.run(agg, row.p_prov_w, pol, row.cm, row.pm).metrics
            rows.append({"policy": name, "oversub": float(x), "servers": int(round(row.cfg.n0 * (1 + x))), **m})
    return pl.DataFrame(rows).sort(["policy", "oversub"])


def passes(df: pl.DataFrame, hp_p50_max: float = 0.01) -> pl.DataFrame:
    """Add ``ok`` = no brake events and HP P50 impact below ``hp_p50_max``."""
    return df.with_columns(((pl.col("brake_events") == 0) & (pl.col("hp_p50_impact") < hp_p50_max)).alias("ok"))


def max_oversub(df: pl.DataFrame, policy: str = "POLCA", hp_p50_max: float = 0.01) -> float:
    """Largest level such that it and every lower level pass; 0 passes trivially -> -1 if not."""
    d = passes(df.filter(pl.col("policy") == policy), hp_p50_max).sort("oversub")
    if d.height == 0:
        raise ValueError(f"policy {policy!r} not in the sweep; have {sorted(set(df['policy']))}")
    best = -1.0
    for x, ok in zip(d["oversub"], d["ok"]):
        if not ok:
            break
        best = float(x)
    return best


def sensitivity(row: Row, variants: dict[str, dict], base: sim.Policy = sim.Policy(),
                hp_p50_max: float = 0.01) -> pl.DataFrame:
    """Max oversubscription and key metrics at +30 % for POLCA variants (``Policy`` overrides).
    Levels run in ascending order and stop after the first failing level at or above +30 %."""
    x30 = min(row.cfg.oversub, key=lambda v: abs(v - 0.3))
    out = []
    for name, over in sorted(variants.items()):
        pol = dataclasses.replace(base, **over)
        best, at, failed = -1.0, None, False
        for x in row.cfg.oversub:
            m = sim.run(row.classes(x), row.p_prov_w, pol, row.cm, row.pm).metrics
            ok = m["brake_events"] == 0 and m["hp_p50_impact"] < hp_p50_max
            if ok and not failed:
                best = float(x)
            failed = failed or not ok
            if x == x30:
                at = m
            if failed and x >= x30:
                break
        out.append({"variant": name, "max_oversub": best, "brakes_at_30": float(at["brake_events"]),
                    "hp_p50_at_30": float(at["hp_p50_impact"]), "lp_p50_at_30": float(at["lp_p50_impact"])})
    return pl.DataFrame(out).sort("variant")


def max_oversub_run(row: Row, pol: sim.Policy, hp_p50_max: float = 0.01) -> float:
    """Largest passing level for one policy, running levels upwards and stopping at the first failure."""
    best = -1.0
    for x in row.cfg.oversub:
        m = sim.run(row.classes(x), row.p_prov_w, pol, row.cm, row.pm).metrics
        if not (m["brake_events"] == 0 and m["hp_p50_impact"] < hp_p50_max):
            break
        best = float(x)
    return best
