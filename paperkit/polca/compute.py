"""POLCA compute role: the notebooks' one entry to the models and the simulator.

Design: a thin facade over the internal modules (:mod:`phase`, :mod:`capping`, :mod:`rowtrace`,
:mod:`workload`, :mod:`row`, :mod:`sim`, :mod:`sweep`, :mod:`harness`) plus the small frame
builders the notebooks need (pure functions, frames or arrays in, frames out). Figures are in
:mod:`plots`, claim values in :mod:`claimvalues`, inputs in :mod:`data` and :mod:`measure`.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dataclasses import dataclass

from paperkit.polca import capping, phase, rowtrace, safelevel, sim, sweep
from paperkit.polca.control import Caps, Controller, PAPER_POWER_CAPS  # noqa: F401
from paperkit.polca.safelevel import CRITERION, Search, level_row, safe_levels, summary  # noqa: F401
from paperkit.polca.archs import e0_table  # noqa: F401
from paperkit.polca.capping import CapAnchors, anchor_table, fit_cap_model, knob_sweep  # noqa: F401
from paperkit.polca.phase import fit_all, fit_quality  # noqa: F401
from paperkit.polca.row import (RowConfig, build, calibration, full_trace, h200_phase_model,  # noqa: F401
                                matched_lam_peak, models, seen_stats, H200_FMAX_MHZ, TELEMETRY_METER_S)
from paperkit.polca.rowtrace import (max_rise, metered, peak_window, synthetic_training_trace, trace_stats)  # noqa: F401
from paperkit.polca.sim import Policy  # noqa: F401
from paperkit.polca.sweep import (BASELINES, HP_P50_MAX, max_oversub, meets, oversub_sweep, passes,  # noqa: F401
                                  sensitivity)

SENSITIVITY = {"T1=0.75": {"t1": 0.75}, "T1=0.85": {"t1": 0.85}, "T2=0.85": {"t2": 0.85},
               "T2=0.93": {"t2": 0.93}, "OOB=20s": {"oob_s": 20}, "OOB=80s": {"oob_s": 80},
               "LP=0.25": {"lp_share": 0.25}, "LP=0.75": {"lp_share": 0.75},
               "meter=1s": {"meter_s": 1}, "meter=30s": {"meter_s": 30}}
"""POLCA variants of the sensitivity sweep (E13): pairs around each default."""


def fit_curves(pm: phase.PhaseModel) -> pl.DataFrame:
    """Fitted peak and mean (x TDP) over prompt (bs 1) and batch (prompt 512) sweeps."""
    P = np.array([128, 256, 512, 1024, 2048, 4096, 8192], float)
    B = np.array([1, 2, 4, 8, 16], float)
    a = pl.DataFrame({"sweep": "prompt", "x": P, "peak": pm.peak(P), "mean": pm.mean_power(P, 1.0)})
    b = pl.DataFrame({"sweep": "batch", "x": B, "peak": pm.peak(512 * B), "mean": pm.mean_power(512.0, B)})
    return pl.concat([a, b]).sort(["sweep", "x"])


def request_timeline(pm: phase.PhaseModel, prompt: int = 2048, batch: int = 1, out_tokens: int = 128,
                     dt_ms: float = 10.0) -> pl.DataFrame:
    """Modelled power (x TDP) of one request over time: idle, prefill spike, decode plateau, idle."""
    tp = float(pm.prefill_ms(prompt * batch))
    td = out_tokens * float(pm.tbt_ms(batch, prompt))
    t = np.arange(-500.0, tp + td + 500.0, dt_ms)
    p = np.where(t < 0, pm.idle, np.where(t < tp, float(pm.peak(prompt * batch)),
                                           np.where(t < tp + td, float(pm.decode_level(batch)), pm.idle)))
    return pl.DataFrame({"t_s": t / 1000.0, "power_tdp": p})


def daily_envelope(u: np.ndarray) -> pl.DataFrame:
    """Per day: min, mean, max of a 1 s normalised trace."""
    d = u[: u.size // rowtrace.DAY_S * rowtrace.DAY_S].reshape(-1, rowtrace.DAY_S)
    return pl.DataFrame({"day": np.arange(d.shape[0]), "min": d.min(1), "mean": d.mean(1), "max": d.max(1)})


def policy_power(row, x: float, policies: dict[str, sim.Policy], span_s: int = 2 * rowtrace.DAY_S) -> pl.DataFrame:
    """Row power (fraction of provisioned, 10 s means) per policy at oversubscription ``x``,
    over ``span_s`` seconds centred on the uncapped row's peak (hours from the window start)."""
    agg = row.classes(x)
    peak = int(np.argmax(agg.uncapped_row_w()))
    a = min(max(0, peak - span_s // 2), max(0, agg.seconds - span_s)) // 10 * 10
    out = []
    for name, pol in sorted(policies.items()):
        res = sim.run(agg, row.p_prov_w, pol, row.cm, row.pm, keep_power=True)
        w = res.power[a:a + span_s]
        p = w[: w.size // 10 * 10].reshape(-1, 10).mean(1)
        out.append(pl.DataFrame({"policy": name, "hour": np.arange(p.size) / 360.0, "power": p}))
    return pl.concat(out)


def scaled_policy(fmax_mhz: float, base: sim.Policy = sim.Policy()) -> sim.Policy:
    """``base`` with every clock mapped to another GPU by its fraction of the maximum clock."""
    f = fmax_mhz / base.fmax_mhz
    return sim.Policy(**{**base.__dict__, "fmax_mhz": fmax_mhz, "brake_mhz": base.brake_mhz * f,
                         "lp_t1_mhz": base.lp_t1_mhz * f, "lp_t2_mhz": base.lp_t2_mhz * f,
                         "hp_t2_mhz": base.hp_t2_mhz * f})


def phase_comparison(h200_levels: pl.DataFrame, a100_perf: pl.DataFrame, a100_pm: phase.PhaseModel) -> pl.DataFrame:
    """Per-phase power (x each GPU's TDP) on the H200 (measured: plateau = median, spike = max)
    beside the A100 (public BLOOM-176B TP8: prefill peak at prompt 2048 x batch from
    ``perf_model.csv``; decode plateau from the phase model fitted to it). Long frame:
    gpu, phase (prefill/decode), batch, stat (plateau/spike), tdp; sorted."""
    rows = []
    for r in h200_levels.iter_rows(named=True):
        parts = r["phase"].split("_")
        for kind in ("prefill", "decode"):
            if kind in parts:
                b = int(parts[parts.index(kind) + 1][1:])
                rows += [{"gpu": "H200 (measured, 7B-shaped)", "phase": kind, "batch": b, "stat": "plateau",
                          "tdp": r["median_tdp"]},
                         {"gpu": "H200 (measured, 7B-shaped)", "phase": kind, "batch": b, "stat": "spike",
                          "tdp": r["max_tdp"]}]
    bloom = a100_perf.filter(pl.col("model") == "bloom-176b")
    for b in (1, 2, 4, 8, 16):
        at = bloom.filter((pl.col("batch_size") == b) & (pl.col("prompt_size") == (2048 if b == 1 else 512)))
        if at.height:
            rows.append({"gpu": "A100 (public, BLOOM-176B TP8)", "phase": "prefill", "batch": b, "stat": "spike",
                         "tdp": float(at["peak_power"][0])})
    for b in (1, 16, 32):
        rows.append({"gpu": "A100 (public, BLOOM-176B TP8)", "phase": "decode", "batch": b, "stat": "plateau",
                     "tdp": float(a100_pm.decode_level(b))})
    return pl.DataFrame(rows).sort(["phase", "gpu", "stat", "batch"])


def h200_window(power: pl.DataFrame, phases: pl.DataFrame, first: str, last: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Samples and phases from the start of phase ``first`` to the end of ``last``; time from 0."""
    t0 = float(phases.filter(pl.col("phase") == first)["start_s"][0])
    t1 = float(phases.filter(pl.col("phase") == last)["end_s"][0])
    ph = phases.filter((pl.col("start_s") >= t0) & (pl.col("end_s") <= t1))
    pw = power.filter((pl.col("t_s") >= t0) & (pl.col("t_s") < t1))
    return (pw.with_columns(pl.col("t_s") - t0),
            ph.with_columns(pl.col("start_s") - t0, pl.col("end_s") - t0))


def training_caps(cm: capping.CapModel) -> pl.DataFrame:
    """E6 (modelled): normalised peak power and iteration time of training under power caps
    and SM clock caps, from the capping model (the A100 knob ranges)."""
    return knob_sweep(cm).filter(pl.col("workload") == "train").sort(["knob", "value"])


GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
"""Levels of the figure grid (E12/E13), all whole servers of a 40-server row."""


@dataclass
class Evaluation:
    """The oversubscription evaluation: safe levels per policy (median and range over seeds),
    and on seed 0 the grid sweep, the sensitivity bisections and the seen-vs-true panels."""

    safe: dict[str, dict]
    grid: pl.DataFrame
    sens: pl.DataFrame
    panels: dict[str, pl.DataFrame]
    panel_level: float


def evaluate(s: Search, pols: dict[str, sim.Policy], variants: dict[str, dict], panel_pols: tuple[str, str],
             grid_pols: tuple[str, ...], jobs: int = 2) -> Evaluation:
    """Run :class:`Evaluation`: the first seed, with every LP share and the extras, in this
    process while the other seeds run in ``jobs`` forked workers (:func:`safelevel.map_seeds`)."""
    safelevel.warm(s)

    def first() -> tuple:
        rw = level_row(s, s.seeds[0], (0.25, 0.5, 0.75))
        ks = safelevel.seed_levels(rw, pols, s)
        grid = sweep.passes(sweep.oversub_sweep(rw, {n: pols[n] for n in grid_pols}, levels=[
            x for x in rw.cfg.oversub if any(abs(x - g) < 1e-9 for g in GRID)]))
        sens = sweep.sensitivity(rw, variants, s, pols[panel_pols[0]])
        level = s.level(min(ks[panel_pols[1]] + 1, s.top))  # the first level the second policy fails
        return ks, grid, sens, seen_true_panels(rw, level, {n: pols[n] for n in panel_pols}), level

    rest, (ks0, grid, sens, panels, level) = safelevel.map_seeds(
        lambda seed: safelevel.seed_levels(level_row(s, seed), pols, s), s.seeds[1:], jobs, meanwhile=first)
    per = {name: [ks0[name]] + [rest[seed][name] for seed in s.seeds[1:]] for name in pols}
    return Evaluation({name: summary(ks, s) for name, ks in per.items()}, grid, sens, panels, level)


def seen_true_panels(rw, x: float, pols: dict[str, sim.Policy], span_s: int = 1800) -> dict[str, pl.DataFrame]:
    """Per policy at level ``x``: true and seen power, stage and braking over ``span_s`` seconds
    around the first brake of any of them (else around the true peak)."""
    agg, p_prov = rw.at(x)
    res = {n: sim.run(agg, p_prov, p, rw.cm, rw.pm, keep_power=True) for n, p in pols.items()}
    brakes = [int(r.timeline[r.timeline[:, 2] == 1][0, 0]) for r in res.values() if (r.timeline[:, 2] == 1).any()]
    mid = min(brakes) if brakes else int(np.argmax(next(iter(res.values())).power))
    a = int(np.clip(mid - span_s // 2, 0, agg.seconds - span_s))
    out = {}
    for n, r in res.items():
        tl = r.timeline
        idx = np.searchsorted(tl[:, 0], np.arange(a, a + span_s), side="right") - 1
        out[n] = pl.DataFrame({"s": np.arange(span_s), "true": r.power[a:a + span_s],
                               "seen": metered(r.power, pols[n].meter_s)[a:a + span_s],
                               "stage": tl[idx, 1], "braking": tl[idx, 2]})
    return out
