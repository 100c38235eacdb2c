"""The platform simulator: hand-built answers, the closed form against a plain per-request
simulator (Hypothesis), and the keep-alive laws (cold starts fall, idle time rises)."""
from __future__ import annotations

import heapq

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit.coldstarts import platform as P
from paperkit.coldstarts import replay
from paperkit.coldstarts.policies import Decision, Fixed


def _fn(n: int, trigger=None, region="R1") -> pl.DataFrame:
    return pl.DataFrame({"region": [region] * n, "funcID": [f"f{i:03d}" for i in range(n)],
                         "trigger": pl.Series([trigger] * n, dtype=pl.String),
                         "memory_mb": [128.0] * n})


def reference(t_us: list[int], e_us: list[int], pre_us: int, ka_us: int, end_us: int) -> tuple:
    """A plain per-request platform for one function: pods serve one request at a time; a pod
    that falls idle at f is available from f + pre to f + pre + ka (inclusive); a request takes
    the available idle pod that fell idle last, else starts a pod (a cold start; a pending
    pre-warm of the last-idled pod is cancelled). Returns (cold, idle us, pre-warms)."""
    busy: list[int] = []          # heap of departure times
    idle: list[list[int]] = []    # [fell idle at, available from, expires at]
    cold = pre = 0
    idle_us = 0.0

    def expire(now: int) -> None:
        nonlocal idle_us, pre
        for pod in [p for p in idle if p[2] < now]:
            idle_us += pod[2] - pod[1]
            pre += pre_us > 0
            idle.remove(pod)

    for t, e in zip(t_us, e_us):
        while busy and busy[0] <= t:
            f = heapq.heappop(busy)
            expire(f)
            idle.append([f, f + pre_us, f + pre_us + ka_us])
        expire(t)
        ok = [p for p in idle if p[1] <= t]
        if ok:
            pod = max(ok, key=lambda p: p[0])
            idle_us += t - pod[1]
            pre += pre_us > 0
            idle.remove(pod)
        else:
            cold += 1
            pending = [p for p in idle if p[1] > t]
            if pending:
                idle.remove(max(pending, key=lambda p: p[0]))
        heapq.heappush(busy, t + e)
    while busy:
        f = heapq.heappop(busy)
        idle.append([f, f + pre_us, f + pre_us + ka_us])
    for pod in idle:
        if pod[1] <= end_us:
            idle_us += min(pod[2], end_us) - pod[1]
            pre += pre_us > 0
    return cold, idle_us, pre


class Windows:
    name = "windows"

    def __init__(self, pre_s: float, ka_s: float):
        self.pre_s, self.ka_s = pre_s, ka_s

    def decide(self, history):
        return Decision(keep_alive_s=self.ka_s, prewarm_s=self.pre_s)


def _check_against_reference(w: P.Workload, pre_s: float, ka_s: float) -> None:
    res = P.simulate(w, Windows(pre_s, ka_s), events=True).per_function
    ex = P.as_explicit(w).explicit
    for i in range(w.functions.height):
        sel = ex.func == i
        cold, idle, pre = reference(list(ex.t_us[sel]), list(ex.e_us[sel]), round(pre_s * P.US),
                                    round(ka_s * P.US), w.n_minutes * P.MINUTE_US)
        row = res.row(i, named=True)
        assert (row["cold_starts"], row["prewarms"]) == (cold, pre), (i, row, cold, pre)
        assert row["idle_pod_s"] == pytest.approx(idle / P.US, rel=1e-9, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# hand-built answers
def _timer(period_s: float, ka_s: float, minutes: int = 60, exec_s: float = 0.1):
    t = np.arange(0, minutes * 60, period_s)
    w = P.workload_from_arrivals(_fn(1), [0, t.size], t, np.full(t.size, exec_s), minutes)
    return t.size, P.simulate(w, Fixed(ka_s), events=True)


def test_timer_slower_than_keep_alive_is_always_cold():
    n, res = _timer(90.0, 60.0)
    row = res.per_function.row(0, named=True)
    assert row["cold_starts"] == n == 40
    assert row["idle_pod_s"] == pytest.approx(40 * 60.0)          # every pod idles the full minute
    assert res.cold_starts["t_s"].to_list() == pytest.approx(list(np.arange(0, 3600, 90.0)))


def test_timer_faster_than_keep_alive_has_one_cold_start():
    n, res = _timer(30.0, 60.0)
    row = res.per_function.row(0, named=True)
    assert (row["requests"], row["cold_starts"]) == (n, 1)
    assert row["idle_pod_s"] == pytest.approx(n * 29.9)           # 119 gaps + the tail to 3600 s


def test_keep_alive_boundary_is_inclusive():
    # idle gap exactly equal to the keep-alive: the pod is still there (deleted after it)
    _, res = _timer(60.0, 59.9)
    assert res.per_function["cold_starts"][0] == 1
    _, res = _timer(60.0, 59.899999)
    assert res.per_function["cold_starts"][0] == 60


def test_concurrent_requests_need_one_pod_each():
    # 3 requests at once, 10 s each, then 3 more 30 s later: 3 cold starts, all reused
    t = np.array([0.0, 0.0, 0.0, 40.0, 40.0, 40.0])
    w = P.workload_from_arrivals(_fn(1), [0, 6], t, np.full(6, 10.0), 2)
    row = P.simulate(w, Fixed(60.0)).per_function.row(0, named=True)
    assert row["cold_starts"] == 3
    assert row["idle_pod_s"] == pytest.approx(3 * 30.0 + 3 * 60.0)   # gaps + tails (to 120 s)
    assert row["busy_pod_s"] == pytest.approx(60.0)


def test_prewarm_serves_a_timer_without_idle_minutes():
    t = np.arange(0, 3600, 300.0)                                      # every 5 minutes
    w = P.workload_from_arrivals(_fn(1), [0, t.size], t, np.full(t.size, 1.0), 60)
    row = P.simulate(w, Windows(290.0, 10.0)).per_function.row(0, named=True)
    assert row["cold_starts"] == 1                                     # only the first
    # 9 s idle before each of 11 firings, and 9 s after the last pre-warm (3301 + 290 .. 3600)
    assert row["idle_pod_s"] == pytest.approx(12 * 9.0)
    assert row["prewarms"] == 12


def test_idle_gb_seconds_use_the_pool_memory():
    t = np.array([0.0])
    fn = _fn(1).with_columns(memory_mb=pl.lit(1024.0))
    w = P.workload_from_arrivals(fn, [0, 1], t, np.array([1.0]), 1)
    row = P.simulate(w, Fixed(30.0)).per_function.row(0, named=True)
    assert row["idle_gb_s"] == pytest.approx(30.0) and row["idle_pod_s"] == pytest.approx(30.0)


def test_summary_json_shape():
    _, res = _timer(90.0, 60.0)
    assert res.summary() == {"policy": "fixed", "regions": {
        "R1": {"requests": 40, "cold_starts": 40, "idle_pod_s": 2400.0}}}


# ---------------------------------------------------------------------------------------------
# the fast path against the plain simulator
_arrivals = st.lists(st.tuples(st.integers(0, 5 * 60 * 8), st.integers(1, 400)), min_size=1,
                     max_size=25)


@settings(max_examples=60, deadline=None)
@given(reqs=_arrivals, ka=st.sampled_from([0.0, 1.0, 10.0, 30.0, 60.0]))
def test_explicit_engine_equals_reference(reqs, ka):
    reqs = sorted(reqs)
    t = np.array([r[0] / 8 for r in reqs])                # eighths of a second: exact ties happen
    e = np.array([r[1] / 8 for r in reqs])
    w = P.workload_from_arrivals(_fn(1), [0, t.size], t, e, 5 + 8)
    _check_against_reference(w, 0.0, ka)


_cell = st.tuples(st.integers(0, 7), st.integers(1, 60), st.floats(0.001, 70.0))


@settings(max_examples=80, deadline=None)
@given(cells=st.lists(_cell, min_size=1, max_size=8, unique_by=lambda c: c[0]),
       model=st.sampled_from(["timer", "burst", "poisson"]),
       ka=st.sampled_from([0.0, 0.5, 5.0, 60.0]), seed=st.integers(0, 3),
       exact=st.sampled_from([2, 30]))
def test_minutes_equal_reference(cells, model, ka, seed, exact):
    """Regular minutes (closed form), random minutes (exact order statistics, some overlapping)
    and functions with minute-long requests (free) give the plain simulator's numbers."""
    trig = {"timer": "TIMER-A", "burst": "OBS-A", "poisson": "APIG-S"}[model]
    m, r, e = (np.array([c[i] for c in cells]) for i in range(3))
    cs = replay.make_cells(_fn(1, trig, "R2"), np.zeros(m.size, np.int64), m, r, e, 10)
    _check_against_reference(replay.plan(cs, seed, exact_poisson_below=exact), 0.0, ka)


@settings(max_examples=40, deadline=None)
@given(minutes=st.lists(st.integers(0, 9), min_size=1, max_size=8, unique=True),
       pre=st.sampled_from([5.0, 50.0, 100.0]), ka=st.sampled_from([1.0, 20.0, 80.0]))
def test_prewarm_equals_reference_for_single_pod_functions(minutes, pre, ka):
    m = np.array(sorted(minutes))
    cs = replay.make_cells(_fn(1, "TIMER-A", "R2"), np.zeros(m.size, np.int64), m,
                           np.ones(m.size), np.full(m.size, 0.5), 10)
    _check_against_reference(replay.plan(cs, 1), pre, ka)


# ---------------------------------------------------------------------------------------------
# laws
@settings(max_examples=25, deadline=None)
@given(cells=st.lists(_cell, min_size=1, max_size=10, unique_by=lambda c: c[0]),
       kas=st.lists(st.floats(0.0, 600.0), min_size=2, max_size=4))
def test_cold_starts_fall_and_idle_rises_with_keep_alive(cells, kas):
    m, r, e = (np.array([c[i] for c in cells]) for i in range(3))
    cs = replay.make_cells(_fn(1), np.zeros(m.size, np.int64), m, r, e, 10)
    stc = P.prepare(replay.plan(cs, 0))
    out = [P.evaluate(stc, Fixed(k)).per_function.row(0, named=True) for k in sorted(kas)]
    for a, b in zip(out, out[1:]):
        assert b["cold_starts"] <= a["cold_starts"]
        assert b["idle_pod_s"] >= a["idle_pod_s"] - 1e-9


def test_chunks_do_not_change_the_result():
    rng = np.random.default_rng(5)
    n_f, n_m = 12, 120
    f = np.repeat(np.arange(n_f), n_m)
    m = np.tile(np.arange(n_m), n_f)
    r = rng.poisson(np.repeat(rng.uniform(0.05, 40, n_f), n_m))
    cs = replay.make_cells(_fn(n_f, "APIG-S", "R2"), f, m, r, np.full(r.size, 0.4), n_m)
    whole = replay.simulate(cs, Fixed(10.0), 3, exact_poisson_below=30, events=True)
    parts = replay.simulate(cs, Fixed(10.0), 3, exact_poisson_below=30, chunk_cells=100,
                            events=True)
    assert len(replay.chunks(cs, 100)) > 5
    assert whole.per_function.equals(parts.per_function)
    assert whole.cold_starts.equals(parts.cold_starts)
    assert whole.per_function["cold_starts"].sum() == whole.cold_starts.height > n_f


def test_workload_from_arrivals_by_hand():
    """Three functions (CSR offsets 0, 3, 3, 5: the second has no requests): times rounded to
    microseconds, executions at least 1 us, and each function's per-minute counts in CSR form."""
    t = np.array([0.0000004, 59.9999996, 61.0, 5.0, 130.25])
    e = np.array([0.0, 1.5, 2e-7, 0.25, 3.0])
    w = P.workload_from_arrivals(_fn(3), np.array([0, 3, 3, 5]), t, e)
    assert w.n_minutes == 3  # the last arrival, 130.25 s, is in minute 2
    assert w.explicit.func.tolist() == [0, 0, 0, 2, 2]
    assert w.explicit.t_us.tolist() == [0, 60_000_000, 61_000_000, 5_000_000, 130_250_000]
    assert w.explicit.e_us.tolist() == [1, 1_500_000, 1, 250_000, 3_000_000]
    # function 0: minute 1 holds 59.9999996 s (rounded up to 60 s) and 61 s; function 2: minutes 0 and 2
    assert w.cell_offsets.tolist() == [0, 2, 2, 4]
    assert w.cell_minute.tolist() == [0, 1, 0, 2] and w.cell_requests.tolist() == [1, 2, 1, 1]
    assert w.regular.func.size == 0 and w.n_days == 1
    assert P.workload_from_arrivals(_fn(3), np.array([0, 3, 3, 5]), t, e, 10).n_minutes == 10
    empty = P.workload_from_arrivals(_fn(1), np.array([0, 0]), np.zeros(0), np.zeros(0))
    assert empty.n_minutes == 1 and empty.cell_offsets.tolist() == [0, 0] and empty.cell_requests.size == 0
    for bad_t in (np.array([-1.0, 2.0, 3.0, 4.0, 5.0]), np.array([3.0, 2.0, 4.0, 1.0, 2.0])):
        with pytest.raises(ValueError, match="sorted within each function"):
            P.workload_from_arrivals(_fn(3), np.array([0, 3, 3, 5]), bad_t, e)
    # sorted within each function is enough: function 2 may start before function 0 ends
    assert P.workload_from_arrivals(_fn(3), np.array([0, 3, 3, 5]), np.array([1.0, 2.0, 3.0, 0.5, 0.7]), e).n_minutes == 1
    assert P.Workload(_fn(1), 1441, w.regular, w.explicit, w.cell_offsets, w.cell_minute, w.cell_requests).n_days == 2


class _Lat:
    def mean_s(self, functions: pl.DataFrame) -> np.ndarray:
        return np.array([2.0, 3.0])  # per row of the functions table: a, then b


def test_evaluate_columns_by_hand():
    """Function a (256 MB, region R2): requests at 0, 10 and 100 s of 1 s each; b (128 MB, R1): one
    at 5 s of 2 s; two minutes. A 60 s keep-alive: a is cold at 0 and 100 (the 89 s gap outlives
    the pod), idle 9 s + 60 s + 19 s (its last pod is cut at the 120 s horizon); b idles 60 s."""
    fn = pl.DataFrame({"region": ["R2", "R1"], "funcID": ["a", "b"], "trigger": pl.Series([None, None], dtype=pl.String),
                       "memory_mb": [256.0, 128.0]})
    w = P.workload_from_arrivals(fn, np.array([0, 3, 4]), np.array([0.0, 10.0, 100.0, 5.0]), np.array([1.0, 1.0, 1.0, 2.0]))
    got = P.simulate(w, Fixed(60.0), latency=_Lat()).per_function
    assert got["funcID"].to_list() == ["b", "a"]  # sorted by region, then funcID
    assert got["requests"].to_list() == [1, 3] and got["cold_starts"].to_list() == [1, 2]
    assert got["prewarms"].to_list() == [0, 0] and got["pods"].to_list() == [1, 2]
    assert got["idle_pod_s"].to_list() == pytest.approx([60.0, 88.0])
    assert got["idle_gb_s"].to_list() == pytest.approx([60.0 * 0.125, 88.0 * 0.25])
    assert got["busy_pod_s"].to_list() == pytest.approx([2.0, 3.0])
    assert got["added_latency_s"].to_list() == pytest.approx([3.0, 2 * 2.0])  # cold starts x each one's latency
    none = P.simulate(w, Fixed(0.0), latency=_Lat()).per_function
    assert none["cold_starts"].to_list() == [1, 3] and none["idle_pod_s"].to_list() == [0.0, 0.0]
    default = P.simulate(w, Fixed(60.0)).per_function  # the paper's pooled LogNormal (p.8): its mean
    mean = float(np.exp(0.2965 + 1.326 ** 2 / 2))
    assert default["added_latency_s"].to_list() == pytest.approx([1 * mean, 2 * mean])
