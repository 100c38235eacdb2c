"""Notebook 08's comparison: groups, sums and the X8 claim values on a hand-built 3-day trace."""
from __future__ import annotations

import numpy as np
import polars as pl

from paperkit.coldstarts import keepalive, replay

N_MIN = 3 * 1440


def _cells() -> replay.Cells:
    rng = np.random.default_rng(2)
    fn = pl.DataFrame({"region": ["R1", "R1", "R2", "R2", "R2"],
                       "funcID": ["a", "b", "c", "d", "e"],
                       "trigger": pl.Series([None, None, "TIMER-A", "APIG-S", "OBS-A"],
                                            dtype=pl.String),
                       "memory_mb": [128.0, 256.0, 128.0, 512.0, 1024.0]})
    parts = []
    for f, period in ((0, 5), (2, 3)):                               # timers: every 5 / 3 min
        m = np.arange(0, N_MIN, period)
        parts.append((np.full(m.size, f), m, np.ones(m.size)))
    for f, lam in ((1, 0.3), (3, 4.0), (4, 0.05)):                   # Poisson / bursts
        r = rng.poisson(lam, N_MIN)
        m = np.flatnonzero(r)
        parts.append((np.full(m.size, f), m, r[m]))
    f, m, r = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return replay.make_cells(fn, f, m, r, np.full(f.size, 0.2), N_MIN)


def test_groups_sums_and_claims():
    pf = keepalive.per_function(_cells(), keepalive.default_policies())
    assert pf.height == 5 * len(keepalive.default_policies())
    assert dict(zip(pf["funcID"][:5], pf["group"][:5])) == {
        "a": "unknown", "b": "unknown", "c": "TIMER-A", "d": "APIG-S", "e": "OBS-A"}
    assert pf.filter(pl.col("funcID") == "a")["timer_like"].all()      # inferred from its series
    g = keepalive.by_group(pf)
    assert g["group"].unique(maintain_order=True).to_list() == ["all", "TIMER-A", "APIG-S",
                                                                "OBS-A", "unknown"]
    all60 = g.filter((pl.col("group") == "all") & (pl.col("policy") == "fixed 60 s")).row(0, named=True)
    parts = g.filter((pl.col("group") != "all") & (pl.col("policy") == "fixed 60 s"))
    assert all60["cold_starts"] == parts["cold_starts"].sum()
    assert all60["cold_start_rate"] == all60["cold_starts"] / all60["requests"]
    t = keepalive.timers(pf)
    fixed = t.filter(pl.col("policy") == "fixed 60 s").row(0, named=True)
    assert fixed["cold_starts"] == fixed["requests"]                # 3- and 5-min timers: all cold
    cv = keepalive.claim_values(pf)
    assert cv == {"X8-keepalive-monotone": 1.0, "X8-timer-prewarm-fewer": 1.0,
                  "X8-timer-prewarm-waste": 1.0, "X8-hybrid-fewer": 1.0,
                  "X8-hybrid-waste": cv["X8-hybrid-waste"]}
    prewarm = t.filter(pl.col("policy") == "timer-prewarm").row(0, named=True)
    assert prewarm["cold_starts"] < 0.5 * fixed["cold_starts"]       # days 1-2 pre-warmed


def test_monotone_detects_a_violation():
    pf = pl.DataFrame({"region": ["R1"] * 3, "keep_alive_s": [10.0, 60.0, 600.0],
                       "cold_starts": [5, 5, 1], "idle_pod_s": [1.0, 2.0, 3.0]})
    assert not keepalive.monotone_in_every_region(pf)
    assert keepalive.monotone_in_every_region(pf.with_columns(cold_starts=pl.Series([6, 5, 1])))
    assert not keepalive.monotone_in_every_region(pf.head(2).with_columns(
        cold_starts=pl.Series([6, 5])))


def test_plot_has_one_panel_per_group():
    pf = keepalive.per_function(_cells(), keepalive.default_policies())
    fig = keepalive.plot_tradeoff(keepalive.by_group(pf))
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["all", "TIMER-A", "APIG-S", "OBS-A", "unknown"]
    assert all(ax.get_xscale() == "log" and ax.get_yscale() == "log" for ax in fig.axes
               if ax.get_visible())
