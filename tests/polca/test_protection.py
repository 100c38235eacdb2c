"""Protection on true power (breaker and UPS trip curves, excursions) and the serving loop."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit.polca import protection as P
from paperkit.polca import serving


def test_breaker_curve_by_hand():
    b = P.Breaker()
    assert b.rating == pytest.approx(1.25)  # provisioned power is 80 % of In (NEC 210.20(A))
    # 2.55 In -> the earliest permitted IEC 60898-1 trip, 1 s; 1.13 In and below never trips
    assert b.allowed_s(np.array([2.55 * 1.25]))[0] == pytest.approx(1.0)
    assert b.allowed_s(np.array([1.13 * 1.25, 1.3]))[0] == np.inf and b.allowed_s(np.array([1.3]))[0] == np.inf
    m = 1.45
    assert b.allowed_s(np.array([m * 1.25]))[0] == pytest.approx((2.55 ** 2 - 1.13 ** 2) / (m * m - 1.13 ** 2))
    assert b.allowed_s(np.array([m * 1.25]))[0] < 3600  # trips within 1 h at 1.45 In


def test_ups_curve_by_hand():
    u = P.Ups()
    got = u.allowed_s(np.array([0.9, 1.0, 1.05, 1.10, 1.2, 1.25, 1.3]))
    assert got.tolist() == [np.inf, np.inf, 120.0, 120.0, 30.0, 30.0, 0.0]


def test_trips_integrate_over_one_excursion_and_restart():
    u = P.Ups()
    assert P.trips(np.r_[0.9, np.full(31, 1.2), 0.9], u.allowed_s, 1.0) == 1
    assert P.trips(np.r_[0.9, np.full(29, 1.2), 0.9], u.allowed_s, 1.0) == 0
    two = np.r_[np.full(20, 1.2), 0.95, np.full(20, 1.2)]  # 40 s at 120 % in two excursions
    assert P.trips(two, u.allowed_s, 1.0) == 0
    assert P.trips(np.r_[0.9, 1.3, 0.9], u.allowed_s, 1.0) == 1
    assert P.trips(np.r_[np.full(15, 1.2), np.full(61, 1.05)], u.allowed_s, 1.0) == 1  # 0.5 + 0.508
    assert P.trips(np.full(10, 0.99), u.allowed_s, 1.0) == 0


def test_excursions_by_hand():
    e = P.excursions(np.array([0.9, 1.1, 1.2, 0.9, 1.05, 0.8]))
    assert e == {"excursions": 2.0, "excursion_s": 3.0, "longest_excursion_s": 2.0, "true_peak": 1.2}
    assert P.excursions(np.array([0.5, 1.0]))["excursions"] == 0.0  # 100 % is not above 100 %
    out = P.protect(np.r_[np.full(40, 1.2)])
    assert out["ups_trips"] == 1.0 and out["breaker_trips"] == 0.0


def _lindley_loop(w, cap=1.0):
    q, out = 0.0, []
    for x in w:
        q = max(0.0, q + x - cap)
        out.append(q)
    return np.array(out)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=60))
def test_lindley_closed_form_equals_the_recursion(w):
    assert np.allclose(serving.lindley(np.array(w)), _lindley_loop(w), atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(0, 5, allow_nan=False), min_size=2, max_size=40),
       st.lists(st.sampled_from([0.5, 0.9, 0.99]), min_size=2, max_size=40), st.floats(0, 10))
def test_varying_filter_equals_the_recursion(x, rho, b0):
    n = min(len(x), len(rho))
    x, rho = np.array(x[:n]), np.array(rho[:n])
    b, out = b0, []
    for xi, ri in zip(x, rho):
        b = ri * b + xi
        out.append(b)
    assert np.allclose(serving.varying_filter(x, rho, b0), out, rtol=1e-9, atol=1e-9)


def _load():
    from paperkit.polca import row as R

    pm, cm, mix = R.models()
    arr = np.full(600, 40 * 1.5)  # 40 servers at 1.5 req/s
    return serving.ClassLoad.of(arr, 40, pm, mix.mu_p, mix.mu_o), cm


def test_capped_servers_queue_and_batch_grows():
    ld, cm = _load()
    r = np.r_[np.ones(200), np.full(100, 288 / 1410), np.ones(300)]  # a 100-s brake
    sp, sd = cm.slowdown(r, "prefill"), cm.slowdown(r, "decode")
    base = serving.base_series(ld)
    q1, b1 = serving.capped_series(ld, base, sp, sd)
    assert base[0].max() == 0.0 and q1[299] > 1.0  # the brake builds a prefill backlog
    assert b1[299] > base[1][299] * 1.3  # slower decode keeps more requests in flight
    assert q1[-1] < q1[299]  # and both drain after it
    assert np.array_equal(q1[:200], base[0][:200]) and np.array_equal(b1[:200], base[1][:200])


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 590), st.integers(1, 120), st.sampled_from([288 / 1410, 1110 / 1410])),
                max_size=4), st.integers(5, 400))
def test_windowed_capped_series_equals_the_whole_recursion(slows, drain):
    """Recomputing only around slowed intervals (plus a drain margin, extended until back on the
    base) gives the recursion run over every second."""
    ld, cm = _load()
    r = np.ones(600)
    for a, n, v in slows:
        r[a:a + n] = v
    sp, sd = cm.slowdown(r, "prefill"), cm.slowdown(r, "decode")
    base = serving.base_series(ld)
    q, b = serving.capped_series(ld, base, sp, sd, drain_s=drain)
    b_init = float(ld.n[0]) / (1.0 - float(np.exp(-1.0 / ld.d0)))  # steady state, as base_series
    qf, bf = serving._series(ld, sp, sd, slice(None), 0.0, b_init)
    assert np.allclose(q, qf, atol=1e-6) and np.allclose(b, bf, rtol=1e-6, atol=1e-5)


def test_lindley_with_an_initial_backlog():
    assert serving.lindley(np.array([0.0, 0.0, 3.0, 0.0]), 1.0, q0=1.5).tolist() == [0.5, 0.0, 2.0, 1.0]


@settings(max_examples=25, deadline=None)
@given(st.floats(1.001, 1.3), st.integers(1, 200), st.integers(1, 200))
def test_a_longer_or_higher_excursion_never_trips_less(level, n, extra):
    """Law: trips are monotone in an excursion's length and height (UPS and breaker)."""
    u, b = P.Ups(), P.Breaker()
    for dev, lvl in ((u, 1.0), (b, b.rating * b.m0)):
        short = np.r_[0.9, np.full(n, level * (1.6 if dev is b else 1.0)), 0.9]
        longer = np.r_[0.9, np.full(n + extra, level * (1.6 if dev is b else 1.0)), 0.9]
        higher = np.r_[0.9, np.full(n, min(level + 0.05, 1.3) * (1.6 if dev is b else 1.0)), 0.9]
        t0 = P.trips(short, dev.allowed_s, lvl)
        assert P.trips(longer, dev.allowed_s, lvl) >= t0 and P.trips(higher, dev.allowed_s, lvl) >= t0
