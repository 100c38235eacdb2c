"""The request side (paperkit.coldstarts.workload): processes by trigger, clock-aligned timers,
calibration of the daily volumes, Poisson/burst/chain cells. Expected values by hand."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit.coldstarts import workload as W
from paperkit.coldstarts.fingerprints import REGION_TARGETS


@pytest.mark.parametrize("trigger,expected", [
    ("TIMER-A", (True, "")), ("APIG-S TIMER-A", (True, "http")), ("APIG-S", (False, "http")),
    ("OBS-A", (False, "storage")), ("workflow-S", (False, "workflow")),
    ("TIMER-A workflow-S", (True, "workflow")), ("APIG-S workflow-S", (False, "workflow")),
    ("SMN-A", (False, "event")), ("LTS-A", (False, "event")), ("KAFKA-S", (False, "http")),
    ("unknown", (False, "http")), (None, (False, "http")), ("APIG-S OBS-A", (False, "http")),
    ("DIS-A OBS-A SMN-A TIMER-A", (True, "event"))])
def test_process_of(trigger, expected):
    assert W.process_of(trigger) == expected


def _workload(period, phase, daily=None, process=None, parent=None, user=None):
    n = len(period)
    return W.Workload("R2", np.zeros(n, np.int64) if user is None else np.asarray(user),
                      np.array(process or [""] * n), np.asarray(period, np.int64),
                      np.asarray(phase, np.int64),
                      np.zeros(n) if daily is None else np.asarray(daily, float),
                      np.full(n, -1, np.int64) if parent is None else np.asarray(parent),
                      np.ones(31), np.ones(W.MINUTES))


def test_timer_cells_are_clock_aligned():
    # f0: every 60 s; f1: every 300 s from minute 2; f2: daily at 01:00; f3: every 7200 s from 1 h
    w = _workload([60, 300, 86400, 7200], [0, 120, 3600, 3600])
    k, v = W.timer_cells(w, day=3)
    m, f = np.divmod(k, w.n)
    assert (v == 1).all()
    assert (m[f == 0] == np.arange(1440)).all()
    assert (m[f == 1] == np.arange(2, 1440, 5)).all()
    assert m[f == 2].tolist() == [60]
    assert m[f == 3].tolist() == list(range(60, 1440, 120))


def test_timer_phase_carries_across_days():
    # a 7-minute period does not divide the day: day 1 continues day 0's grid (absolute clock)
    w = _workload([420], [0])
    k0, _ = W.timer_cells(w, 0)
    k1, _ = W.timer_cells(w, 1)
    absolute = np.concatenate([k0, k1 + 1440])
    assert (np.diff(absolute) == 7).all()


def test_timer_periods_minute_share_and_phases_on_grid():
    rng = np.random.default_rng(0)
    p = W.timer_periods(rng, 20_000, 0.25)
    assert abs((p == 60).mean() - 0.25) < 0.02
    assert set(np.unique(p)) <= set(W.TIMER_PERIODS_S)
    ph = W.timer_phases(rng, p)
    assert ((ph % np.where(p >= 3600, 3600, 60)) == 0).all()
    assert (ph < p).all() and (ph >= 0).all()
    assert (W.timer_periods(rng, 1000, 0.0) != 60).all()
    with pytest.raises(ValueError):
        W.timer_periods(rng, 10, 1.5)


def test_fit_volumes_hits_total_and_median():
    rng = np.random.default_rng(3)
    z = W.stratified_normal(rng, 1000)
    timer = np.where(np.arange(1000) < 400, 24.0, 0.0)
    rest = np.arange(1000) >= 300      # 100 of the timers also have traffic
    mu, sigma = W.fit_volumes(z, timer, rest, 1e7, 5.0)
    v = timer.copy()
    v[rest] += np.exp(mu + sigma * z[rest])
    assert v.sum() == pytest.approx(1e7, rel=1e-6)
    assert np.median(v) == pytest.approx(5.0, rel=1e-6)
    assert sigma > 1.0
    with pytest.raises(ValueError):
        W.fit_volumes(z, timer, rest, timer.sum() / 2, 5.0)


def test_stratified_normal_is_symmetric_quantiles():
    z = W.stratified_normal(np.random.default_rng(0), 101)
    assert sorted(z)[50] == 0.0
    assert np.sort(z) == pytest.approx(-np.sort(z)[::-1])


def test_poisson_cells_follow_intensity_and_mean():
    w = _workload([0, 0], [0, 0], daily=[1e5, 50.0], process=["http", "http"])
    inten = np.where(np.arange(1440) < 720, 2.0, 0.0)  # all traffic in the first half-day
    w = dataclasses.replace(w, intensity=inten)
    rng = np.random.default_rng(1)
    k, v = W.poisson_cells(w, 0, np.array([0, 1]), np.array([1e5, 50.0]), rng)
    m, f = np.divmod(k, 2)
    assert (m < 720).all()
    assert v[f == 0].sum() == pytest.approx(1e5, rel=0.02)   # dense branch
    assert 20 < v[f == 1].sum() < 90                          # sparse branch, Poisson(50)
    assert (np.diff(k) > 0).all()


def test_storage_bursts_mean_size():
    n = 1
    w = _workload([0] * n, [0] * n, daily=[8000.0], process=["storage"])
    rng = np.random.default_rng(2)
    tot = sum(W.day_requests(w, d, rng)[1].sum() for d in range(5))
    assert tot / 5 == pytest.approx(8000, rel=0.1)
    k, v = W.day_requests(w, 0, rng)
    assert v.max() >= 10     # bursts, not single requests


def test_workflow_child_only_in_parent_minutes():
    w = _workload([60, 0], [0, 0], daily=[0.0, 720.0], process=["", "workflow"],
                  parent=[-1, 0])
    k, v = W.day_requests(w, 0, np.random.default_rng(5))
    m, f = np.divmod(k, 2)
    assert (v[f == 1] <= 1).all()                          # at most the parent's one request
    assert set(m[f == 1]) <= set(m[f == 0])
    assert 600 < v[f == 1].sum() < 840                     # q = 720 / 1440


def test_parents_prefer_same_user():
    rng = np.random.default_rng(0)
    proc = np.array(["http", "workflow", "http", "workflow"])
    par = W._parents(rng, np.array([1, 1, 2, 3]), proc)
    assert par.tolist()[:2] == [-1, 0]
    assert par[3] in (0, 2) and par[2] == -1


def test_region_workload_calibration():
    tgt = REGION_TARGETS["R5"]
    rng = np.random.default_rng(0)
    trig = ["TIMER-A"] * 300 + ["APIG-S"] * 200 + ["OBS-A"] * 20 + ["workflow-S"] * 30
    w = W.region_workload("R5", W.request_side(tgt), trig, np.arange(550) // 2, rng)
    ed = w.expected_daily()
    assert ed.sum() * 31 == pytest.approx(tgt.n_requests, rel=1e-6)
    assert np.median(ed) == pytest.approx(tgt.daily_median, rel=1e-6)
    assert (w.period_s == 60).sum() == pytest.approx(tgt.minute_timer_share * 550, abs=8)
    assert w.day_mult.mean() == pytest.approx(1.0)
    assert w.intensity.mean() == pytest.approx(1.0)


@settings(max_examples=15, deadline=None)
@given(period=st.sampled_from(sorted(W.TIMER_PERIODS_S)), phase_steps=st.integers(0, 1000),
       day=st.integers(0, 30))
def test_timer_count_per_day_is_conserved(period, phase_steps, day):
    """Law: a timer fires DAY/period times a day (period divides the day), whatever its phase."""
    grid = 3600 if period >= 3600 else 60
    w = _workload([period], [(phase_steps * grid) % period])
    k, v = W.timer_cells(w, day)
    assert v.sum() == 86400 // period


@pytest.mark.parametrize("field,bad", [
    ("n_requests", float("nan")), ("n_requests", 1e30), ("n_requests", -1.0),
    ("daily_median", 0.0), ("minute_timer_share", 1.5), ("n_functions", 0),
    ("day_mult", (1.0,) * 30), ("intensity", (float("nan"),) * 1440),
    ("intensity", (0.0,) * 1440), ("day_mult", (-1.0,) * 31)])
def test_request_side_refuses_bad_values(field, bad):
    good = W.request_side(REGION_TARGETS["R1"])
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(good, **{field: bad})


def test_ecdf_line_counts_zeros():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from paperkit.coldstarts.plots.style import ecdf_line
    fig, ax = plt.subplots()
    ecdf_line(ax, [0, 0, 0, 1, 2, 3], "a", count_zeros=True)
    ecdf_line(ax, [0, 0, 0, 1, 2, 3], "b")
    y_zero, y_plain = ax.lines[0].get_ydata(), ax.lines[1].get_ydata()
    assert list(y_zero) == [0.5, 4 / 6, 5 / 6, 1.0]
    assert list(y_plain) == [1 / 3, 2 / 3, 1.0]
    plt.close(fig)


def test_fit_volumes_unreachable_median_takes_closest_end():
    # three functions: two daily timers fix the median at 1/day whatever the third does
    z = np.array([0.0, -1.0, 1.0, 0.5, -0.5])
    timer = np.array([0.0, 0.0, 0.0, 1.0, 1.0])
    rest = np.array([True, True, True, False, False])
    mu, sigma = W.fit_volumes(z, timer, rest, 1000.0, 1e6)   # a median above the total
    v = timer.copy()
    v[rest] += np.exp(mu + sigma * z[rest])
    assert v.sum() == pytest.approx(1000.0, rel=1e-6)
    # one non-timer function: it takes the whole rest of the total
    mu, sigma = W.fit_volumes(np.array([0.3, 0.0]), np.array([0.0, 2.0]),
                              np.array([True, False]), 12.0, 5.0)
    assert (np.exp(mu), sigma) == (pytest.approx(10.0), 0.0)


def test_http_day_volume_follows_the_calendar():
    tgt = REGION_TARGETS["R2"]
    w = W.region_workload("R2", W.request_side(tgt), ["APIG-S"] * 50, np.arange(50),
                          np.random.default_rng(0))
    rng = np.random.default_rng(1)
    per_day = np.array([W.day_requests(w, d, rng)[1].sum() for d in range(31)])
    assert per_day / per_day.mean() == pytest.approx(w.day_mult, rel=0.02)
    assert int(np.argmax(per_day)) == 13   # the last workday before the holiday (Fig. 7a)
