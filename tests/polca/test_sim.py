"""Row simulator: self-consistency with its synthetic input, controller behaviour, sweep."""

import numpy as np
import polars as pl
import pytest

from paperkit.polca import row as R
from paperkit.polca import capping, data, phase, reference, rowtrace, safelevel, sim, sweep, workload


@pytest.fixture(scope="module")
def small_row():
    return R.build(R.RowConfig(days=1, oversub=(0.0, 0.3, 0.5), samples_per_hour=200))


def test_replica_follows_its_envelope_and_the_seen_row_is_calibrated(small_row):
    """The uncapped simulated baseline row follows its envelope (E11 self-check, up to the
    provisioned-power scale), and as the controller sees it (10 s PDU mean) it peaks at the
    calibrated 79 % at most: the six-week peak falls on the window's day or another."""
    rw = small_row
    p = rw.classes(0.0).uncapped_row_w() / rw.p_prov_w
    scale = R.calibration(0).prov_scale
    assert 0.9 < scale < 1.0  # the replica's noise adds to the envelope's peak: less to provision for
    assert float(np.mean(np.abs(p * scale / rw.u - 1))) < 0.05
    seen = R.seen_stats(p)
    assert 0.75 < seen["peak"] <= 0.79 + 1e-6
    # the 1-s bursts the meter averages away: true power rises more than the seen row
    assert rowtrace.max_rise(p, 40) > seen["rise_40s"]


def test_oversubscribed_row_exceeds_budget_without_control(small_row):
    p = small_row.classes(0.5).uncapped_row_w() / small_row.p_prov_w
    assert p.max() > 1.0


def test_polca_beats_brake_only(small_row):
    agg = small_row.classes(0.5)
    kw = dict(cm=small_row.cm, pm=small_row.pm)
    polca = sim.run(agg, small_row.p_prov_w, sim.Policy(kind="polca"), **kw).metrics
    brake = sim.run(agg, small_row.p_prov_w, sim.Policy(kind="brake"), **kw).metrics
    assert brake["brake_events"] > polca["brake_events"]
    assert brake["episodes_stage1"] == 0 and polca["episodes_stage1"] > 0
    assert polca["lp_p50_impact"] > polca["hp_p50_impact"]  # LP is capped first


def test_no_control_needed_below_t1(small_row):
    agg = small_row.classes(0.0)
    m = sim.run(agg, small_row.p_prov_w * 2.0, sim.Policy(), small_row.cm, small_row.pm).metrics
    assert m["episodes_stage1"] == 0 and m["brake_events"] == 0 and m["hp_p50_impact"] == 0.0


def test_cap_lands_after_oob_latency(small_row):
    agg = small_row.classes(0.5)
    pol = sim.Policy(oob_s=40)
    tl, _ = sim.control(agg, small_row.p_prov_w, pol, small_row.cm)
    p = sim.power_series(agg, small_row.p_prov_w, sim.Policy(kind="brake"), small_row.cm, np.array([[0, 0, 0]]))
    first_cross = int(np.flatnonzero(rowtrace.metered(p, pol.meter_s)[:: pol.tel_s] > pol.t1)[0]) * pol.tel_s
    first_cap = int(tl[1, 0])
    assert first_cap == first_cross + 40


def test_policy_validation():
    with pytest.raises(ValueError, match="no built-in controller"):
        sim.Policy(kind="magic")
    with pytest.raises(ValueError, match="t1 <= t2"):
        sim.Policy(t1=0.9, t2=0.8)
    with pytest.raises(ValueError, match="oversub"):
        R.RowConfig(oversub=(0.3, 0.1))


def test_sweep_and_max(small_row):
    df = sweep.passes(sweep.oversub_sweep(small_row, {"POLCA": sim.Policy(), "brake only": sim.Policy(kind="brake")}))
    assert df.height == 6 and df["policy"].to_list() == ["POLCA"] * 3 + ["brake only"] * 3
    for name in ("POLCA", "brake only"):
        d = df.filter(pl.col("policy") == name).sort("oversub")
        oks = [bool(safelevel.safe(r)) for r in d.to_dicts()]
        assert d["ok"].to_list() == oks  # the frame criterion is the per-run criterion
        want = -1.0 if not oks[0] else max(x for x, _ in zip(d["oversub"], oks) if all(oks[: list(d["oversub"]).index(x) + 1]))
        assert sweep.max_oversub(df, name) == want
    assert not df.filter((pl.col("policy") == "brake only") & (pl.col("oversub") == 0.5))["ok"][0]
    with pytest.raises(ValueError, match="not in the sweep"):
        sweep.max_oversub(df, "nope")


def test_combine_and_groups(small_row):
    cfg = R.RowConfig(oversub=(0.0, 0.3), lp_share=0.25)
    g, keys = R.server_groups(cfg)
    F = len(cfg.shares())
    assert g.size == 52 and ((keys[g] >> F)[:40] == 0).all() and ((keys[g] >> F)[40:] == 1).all()
    j = cfg.shares().index(0.25)
    assert (((keys[g][:40] >> j) & 1) == 0).sum() == 10  # 25 % LP
    # one generation serves every LP share: same total power, HP static share follows the share
    for share in (0.25, 0.5, 0.75):
        agg = small_row.classes(0.3, share)
        assert agg.static[0] / agg.static.sum() == pytest.approx(share)
        assert np.allclose(agg.uncapped_row_w(), small_row.classes(0.3).uncapped_row_w(), rtol=1e-5)
    with pytest.raises(ValueError, match="lp_share"):
        small_row.classes(0.3, 0.1)
    with pytest.raises(ValueError, match="group"):
        workload.generate(np.ones(10), 3, np.array([0, 1]), *R.models()[::2][:1], R.models()[2])


def test_metering_smooths(small_row):
    from paperkit.polca.rowtrace import metered

    x = np.r_[np.zeros(5), np.ones(5)]
    assert np.array_equal(metered(x, 1), x) and np.allclose(metered(x, 2)[4:7], [0.0, 0.5, 1.0])
    assert np.allclose(metered(x, 3)[:3], [0.0, 0.0, 0.0]) and metered(x, 3)[6] == pytest.approx(2 / 3)
    agg = small_row.classes(0.5)
    raw = sim.run(agg, small_row.p_prov_w, sim.Policy(kind="brake", meter_s=1), small_row.cm, small_row.pm).metrics
    avg = sim.run(agg, small_row.p_prov_w, sim.Policy(kind="brake", meter_s=30), small_row.cm, small_row.pm).metrics
    # the controller sees less and brakes less; the TRUE row is not safer for it
    assert avg["seen_max_power"] < raw["seen_max_power"] and avg["brake_events"] < raw["brake_events"]
    assert avg["overload_s"] > raw["overload_s"] and avg["longest_excursion_s"] > raw["longest_excursion_s"]
    assert raw["seen_max_power"] == raw["max_power"]  # 1 s metering is the true power
    with pytest.raises(ValueError, match="meter_s"):
        sim.Policy(meter_s=0)


@pytest.mark.parametrize("oob_s,brake_s", [(0, 0), (40, 5)])
def test_polca_escalation_order_and_zero_latency(small_row, oob_s, brake_s):
    agg = small_row.classes(0.5)
    pol = sim.Policy(oob_s=oob_s, brake_s=brake_s)
    tl, brakes = sim.control(agg, small_row.p_prov_w, pol, small_row.cm)
    assert (np.diff(tl[:, 0]) > 0).all()
    st = tl[:, 1]
    # HP (stage 3) only after LP was capped to the T2 level (stage 2)
    for i in np.flatnonzero(st == 3):
        assert st[i - 1] >= 2
    assert st.max() == 3 and len(tl) > 2  # the controller keeps acting after the first landing


@pytest.mark.parametrize("pol", [sim.Policy(), sim.Policy(kind="brake"), sim.Policy(kind="powercap"),
                                 sim.Policy(kind="uniform"), sim.Policy(meter_s=1), sim.Policy(meter_s=10), sim.Policy(oob_s=0, brake_s=0),
                                 sim.Policy(kind="power-cap", meter_s=1), sim.Policy(kind="brake-only", brake_at=1.05),
                                 sim.Policy(tel_s=1, t2=0.85)])
def test_fast_controller_equals_the_reference(small_row, pol):
    """The per-event controller gives the first (windowed) controller's timeline exactly."""
    for x in (0.3, 0.5):
        agg = small_row.classes(x)
        tl, n = sim.control(agg, small_row.p_prov_w, pol, small_row.cm)
        tl_ref, n_ref = reference.control_reference(agg, small_row.p_prov_w, pol, small_row.cm)
        assert n == n_ref and np.array_equal(tl, tl_ref)


def test_poisson_icdf_and_decay_filter():
    from scipy.signal import lfilter

    rng = np.random.default_rng(1)
    lam = np.repeat([0.1, 1.5, 6.0], 20_000)
    n = workload.poisson_icdf(rng.random((4, lam.size)), lam)
    for k, m in enumerate((0.1, 1.5, 6.0)):
        blk = n[:, k * 20_000:(k + 1) * 20_000]
        assert blk.mean() == pytest.approx(m, rel=0.03) and blk.var() == pytest.approx(m, rel=0.05)
    b = workload.decay_filter(n[:, :5000], 0.9, np.full(4, 2.0))
    ref, _ = lfilter([1.0], [1.0, -0.9], n[:, :5000], axis=1, zi=np.full((4, 1), 1.8))
    assert np.allclose(b, ref, rtol=1e-4, atol=1e-4)


def test_decode_occupancy_is_the_poisson_probability_of_a_request_in_flight():
    b = np.array([0.0, 0.4, 0.6, 3.0], np.float32)
    occ = workload.decode_occupancy(b)
    assert np.allclose(occ, 1 - np.exp(-b), atol=1e-6)
    assert 0 < occ[1] < occ[2] < 1  # no step at 0.5


def test_pass_criterion_is_written_once():
    good = {"breaker_trips": 0.0, "ups_trips": 0.0, "brake_events": 0.0, "hp_ttft_p50_impact": 0.005,
            "hp_tbt_p50_impact": 0.0}
    assert sweep.meets(good) and not sweep.meets({**good, "brake_events": 1.0})
    assert not sweep.meets({**good, "hp_ttft_p50_impact": sweep.HP_P50_MAX})
    df = pl.DataFrame([good, {**good, "ups_trips": 1.0}, {**good, "hp_tbt_p50_impact": 0.02}])
    assert sweep.passes(df)["ok"].to_list() == [True, False, False]
    assert sweep.largest_passing([0.0, 0.1, 0.2], [True, True, False]) == 0.1
    assert sweep.largest_passing([0.0, 0.1], [False, True]) == -1.0


def test_replica_claim_values(small_row):
    from paperkit.polca import claimvalues

    rw = small_row
    p = rw.classes(0.0).uncapped_row_w() / rw.p_prov_w
    assert claimvalues.replica_mape(rw.u, rw.u) == 0.0
    assert claimvalues.replica_mape(p * R.calibration(0).prov_scale, rw.u) < 0.03  # C25 (consistency)
    s = claimvalues.replica_summary(p, rw.u)
    assert s["statistic"].to_list() == sorted(s["statistic"].to_list())
    assert claimvalues.x30([0.0, 0.2, 0.3, 0.5]) == 0.3


def _samples(t, cls, pre_level, dec_level):
    n = len(t)
    smp = {"t": np.array(t, np.int64), "cls": np.array(cls, np.int64), "pre_level": np.array(pre_level),
           "dec_level": np.array(dec_level), "prompt": np.full(n, 1024.0), "output": np.full(n, 128.0),
           "batch": np.full(n, 8.0)}
    z = np.zeros((2, 20))
    return workload.Aggregates(z, z, np.zeros((2, 2, 20)), np.zeros(2), z, (0.90625, 0.8125), smp)


def test_sample_ratios_by_hand():
    """Each sampled request gets its class's clock ratio in the stage its second falls in; a brake
    gives every class 288 / 1410; a power cap gives the clock the cap imposes on its level."""
    cm = capping.fit_cap_model()
    agg = _samples([0, 5, 5, 10, 10, 15, 19], [0, 0, 1, 0, 1, 1, 0], [0.9] * 7, [0.6] * 7)
    tl = np.array([(0, 0, 0), (4, 1, 0), (9, 3, 0), (14, 0, 1), (19, 2, 0)])
    f = 1410.0
    r_pre, r_dec = sim.sample_ratios(agg, sim.Policy(), cm, tl)
    want = [1.0, 1275 / f, 1.0, 1110 / f, 1305 / f, 288 / f, 1110 / f]
    assert r_pre == pytest.approx(want) and r_dec == pytest.approx(want)
    pc = sim.Policy(kind="power-cap")
    r_pre, r_dec = sim.sample_ratios(agg, pc, cm, np.array([(0, 0, 0), (4, 1, 0), (9, 2, 0), (14, 0, 1)]))
    lvl1, lvl2 = cm.ratio_under_power_cap(np.array([0.9, 0.6]), 0.90625), cm.ratio_under_power_cap(np.array([0.9, 0.6]), 0.8125)
    assert r_pre == pytest.approx([1.0, lvl1[0], lvl1[0], lvl2[0], lvl2[0], 288 / f, 288 / f])
    assert r_dec == pytest.approx([1.0, lvl1[1], lvl1[1], lvl2[1], lvl2[1], 288 / f, 288 / f])


def test_latency_metrics_by_hand():
    """Service time = prefill + output x TBT, each stretched by the capping model's slowdown at its
    clock ratio; P50 and P99 ratios minus 1 and the throughput loss 1 - base / capped, per class."""
    cm = capping.fit_cap_model()
    pm = next(iter(phase.fit_all(data.perf_model()).values()))
    agg = _samples(list(range(10)), [1] * 5 + [0] * 5, [0.9] * 10, [0.6] * 10)
    one = np.ones(10)
    m = sim.latency_metrics(agg, pm, cm, one, one)
    assert all(m[f"{c}_{k}_impact"] == pytest.approx(0.0) for c in ("hp", "lp") for k in ("service_p50", "service_p99", "tput"))
    assert m["hp_requests_sampled"] == 5.0 and m["lp_requests_sampled"] == 5.0
    r = np.where(np.arange(10) < 5, 1.0, 0.8)  # LP at 0.8 of the clock, HP uncapped
    m = sim.latency_metrics(agg, pm, cm, r, one)
    pre, dec = float(pm.prefill_ms(1024.0)), 128.0 * float(pm.tbt_ms(8.0, 1024.0))
    slow = (pre * float(cm.slowdown(0.8, "prefill")) + dec) / (pre + dec)
    assert m["hp_service_p50_impact"] == pytest.approx(0.0) and m["hp_tput_impact"] == pytest.approx(0.0)
    assert m["lp_service_p50_impact"] == pytest.approx(slow - 1) and m["lp_service_p99_impact"] == pytest.approx(slow - 1)
    assert m["lp_tput_impact"] == pytest.approx(1 - 1 / slow)
    m = sim.latency_metrics(agg, pm, cm, one, r)  # decode at 0.8: the decode slowdown
    slow_d = (pre + dec * float(cm.slowdown(0.8, "decode"))) / (pre + dec)
    assert m["lp_service_p50_impact"] == pytest.approx(slow_d - 1) and abs(slow_d - slow) > 1e-3
    none = _samples([0, 1], [0, 0], [0.9] * 2, [0.6] * 2)
    m = sim.latency_metrics(none, pm, cm, np.ones(2), np.ones(2))
    assert np.isnan(m["hp_service_p50_impact"]) and "hp_requests_sampled" not in m


@pytest.mark.parametrize("kind", ["polca", "brake-only", "power-cap"])
def test_run_metrics_are_what_they_say(small_row, kind):
    """Every run metric recomputed from the run's own timeline and true power, second by second."""
    agg = small_row.classes(0.5)
    res = sim.run(agg, small_row.p_prov_w, sim.Policy(kind=kind), small_row.cm, small_row.pm, keep_power=True)
    m, p, tl, T = res.metrics, res.power, res.timeline, agg.seconds
    stage, brk = np.zeros(T, np.int64), np.zeros(T, bool)
    for (t0, s, b), t1 in zip(tl, np.r_[tl[1:, 0], T]):
        stage[t0:t1], brk[t0:t1] = s, bool(b)
    assert m["seconds"] == T and m["brake_s"] == brk.sum() and m["overload_s"] == (p > 1.0).sum()
    assert m["max_power"] == p.max() and m["mean_power"] == pytest.approx(p.mean())
    assert m["seen_max_power"] == pytest.approx(rowtrace.metered(p, 10).max())
    assert m["brake_events"] == np.count_nonzero(np.diff(np.r_[0, brk.astype(int)]) == 1) > 0  # +50 %: all brake
    for s in (1, 2, 3):
        on = stage >= s
        assert m[f"frac_stage{s}"] == pytest.approx((on & ~brk).sum() / T), s
        assert m[f"episodes_stage{s}"] == np.count_nonzero(np.diff(np.r_[False, on].astype(int)) == 1), s
    if kind != "brake-only":
        assert m["frac_stage1"] > 0 and m["episodes_stage1"] > 0  # the test sees capping
    if kind != "polca":
        assert m["brake_events"] > 0 and m["brake_s"] > 0
    assert {"breaker_trips", "ups_trips", "excursions", "hp_ttft_p50_impact", "lp_tbt_p99_impact",
            "hp_tput_impact", "hp_service_p50_impact"} <= set(m)
