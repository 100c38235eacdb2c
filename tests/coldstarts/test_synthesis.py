"""One region of the synthetic trace (paperkit.coldstarts.synthesis): stratified sampling, pod
spans from the platform's level structure, pods alive per minute, cold-start costs. Expected
values by hand."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from paperkit.coldstarts import platform, policies, schema, synthesis
from paperkit.coldstarts.workload import MINUTES


def _fn(n: int, exec_s: float = 1.0) -> synthesis.Functions:
    z = np.zeros(n)
    return synthesis.Functions(np.array([f"{i}---1---pool22-300-128" for i in range(n)], dtype=object),
                               np.arange(n), np.ones(n, np.int64), np.array(["pool22-300-128"] * n),
                               np.array([""] * n), np.array(["APIG-S"] * n), z + 0.3, z + 128,
                               np.zeros(n, np.int64), z + exec_s, z + 0.1, np.ones(n, np.int64))


def test_stratified_rows_keep_each_stratum_share():
    strata = np.array(["a"] * 600 + ["b"] * 300 + ["c"] * 100)
    rows = synthesis.stratified_rows(np.random.default_rng(0), strata, 100)
    got = {s: int((strata[rows] == s).sum()) for s in "abc"}
    assert got == {"a": 60, "b": 30, "c": 10}
    assert len(set(rows.tolist())) == 100
    every = synthesis.stratified_rows(np.random.default_rng(1), strata, 1000)
    assert sorted(every.tolist()) == list(range(1000))


def test_pod_ends_split_at_idle_gaps_longer_than_the_keep_alive():
    # one function, 1 s requests at 0, 30 (idle 29 s: warm) and 200 s (idle 169 s: a new pod);
    # a second function: two overlapping requests (two levels: two pods)
    fn = _fn(2)
    table = pl.DataFrame({"region": ["R2", "R2"], "funcID": fn.func_id.tolist(),
                          "trigger": ["APIG-S", "APIG-S"], "memory_mb": [128.0, 128.0]})
    w = platform.workload_from_arrivals(table, np.array([0, 3, 5]),
                                        np.array([0.0, 30.0, 200.0, 10.0, 10.5]),
                                        np.ones(5), n_minutes=10)
    st = platform.prepare(w)
    ev = platform.evaluate(st, policies.Fixed(), events=True).cold_starts
    f = np.searchsorted(fn.func_id, np.array(ev["funcID"].to_list(), dtype=object))
    t_us = np.round(ev["t_s"].to_numpy() * platform.US).astype(np.int64)
    end = synthesis.pod_ends(st, 60.0, f, t_us, fn) / platform.US
    got = sorted(zip(f.tolist(), (t_us / platform.US).tolist(), end.tolist()))
    # function 1: level 1 is busy 10-11.5 s, level 2 10.5-11 s (the level view: a pod per level)
    assert got == [(0, 0.0, 31.0), (0, 200.0, 201.0), (1, 10.0, 11.5), (1, 10.5, 11.0)]
    # a longer keep-alive keeps the first pod until the last request
    end = synthesis.pod_ends(st, 200.0, f[:1], t_us[:1], fn) / platform.US
    assert end.tolist() == [201.0]


def test_alive_cells_span_cold_start_to_last_end_plus_keep_alive():
    run = synthesis.PlatformRun(np.array([30.0, 86_390.0]), np.array([1, 0]),
                                np.array([100.0, 86_500.0]))
    k, v = synthesis.alive_cells(0, 2, run, 60.0)
    m, f = np.divmod(k, 2)
    # pod 1: minutes 0..2 (deleted at 160 s); pod 0: minute 1439 of day 0 (it runs on into day 1)
    assert list(zip(m.tolist(), f.tolist())) == [(0, 1), (1, 1), (2, 1), (MINUTES - 1, 0)]
    assert (v == 1).all()
    k1, _ = synthesis.alive_cells(1, 2, run, 60.0)
    assert np.divmod(k1, 2)[0].tolist() == [0, 1, 2]   # until 86,560 s: minutes 0..2 of day 1


def test_cold_start_costs_add_up_and_follow_the_pool_class():
    rng = np.random.default_rng(0)
    klass = np.repeat([0, 1, 2], 4000)
    c = synthesis.cold_start_costs(rng, "R2", klass)
    parts = sum(c[k] for k in schema.COMPONENTS)
    assert np.abs(parts - c["totalCost_cold_start"]).max() < 2e-6
    med = [np.median(c["totalCost_cold_start"][klass == k]) for k in range(3)]
    assert med[0] < med[1] < med[2]                      # small < large < created from scratch
    assert med[2] == pytest.approx(10.5, rel=0.05)       # the Custom/http creation mode
    assert (c["deployDependencyCost"] == 0).mean() == pytest.approx(0.5, abs=0.03)
