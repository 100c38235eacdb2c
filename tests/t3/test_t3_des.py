"""The discrete-event model: orderings, limits, byte conservation, the Tracker, MCA against FR-FCFS."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit.t3 import DRAM_CATEGORIES
from paperkit.t3 import closed_form as cf
from paperkit.t3.des import mca_threshold, run_des
from paperkit.t3.hardware import load_profile
from paperkit.t3.model import simulate, timeline_frame
from paperkit.t3.params import ModelParams, default_params
from paperkit.t3.workloads import Workload, workload_set

HW = load_profile()
P = default_params()


def test_orderings_over_main_set():
    for w in workload_set("main"):
        t = {c: simulate(w, c, HW, P).time_s for c in ("sequential", "ideal", "ideal-nmc", "t3", "t3-mca",
                                                        "sw-split")}
        assert t["sequential"] > t["t3"] >= t["ideal-nmc"] * (1 - 1e-9), w.label
        assert t["sequential"] > t["t3-mca"] >= t["ideal-nmc"] * (1 - 1e-9), w.label
        assert t["ideal"] >= t["ideal-nmc"], w.label
        assert t["sw-split"] > t["ideal"], w.label  # may even lose to Sequential (Fig. 6: slowdowns)


def test_mca_at_or_above_t3_on_fc_layers():
    """Acceptance: MCA wins back what interleaving takes, on every FC layer (and loses nowhere)."""
    for w in workload_set("main"):
        t3, mca = simulate(w, "t3", HW, P).speedup_vs_sequential, simulate(w, "t3-mca", HW, P).speedup_vs_sequential
        assert mca >= t3 - 1e-9, w.label
        if w.sublayer in ("fc1", "fc2"):
            assert mca > t3 * 1.05, w.label


def test_des_agrees_with_closed_form_where_it_should():
    """Where DRAM cannot bind and the Tracker never fills, the DES of T3 and of T3-MCA is the closed-form
    pipeline bound to within the packet granularity, and its GEMM is the closed-form GEMM."""
    hw = HW.replace(dram_gbps=1e6, tracker_entries=10**6)
    for w in workload_set("main"):
        for mode in ("t3", "t3-mca"):
            r = run_des(w, hw, P, mode)
            assert r.total == pytest.approx(cf.t3_pipeline_time(w, hw, P), rel=0.02), (w.label, mode)
            assert r.gemm_alone == pytest.approx(cf.gemm_time(w, hw, P), rel=1e-12)
            assert r.gemm_done == pytest.approx(r.gemm_alone, rel=1e-9) and r.tracker_stall_s == 0


@pytest.mark.parametrize("config", ["t3", "t3-mca", "sequential", "sw-split"])
def test_dram_bytes_conserved_in_timeline(config):
    """The recorded rates integrate to the byte accounting, category by category."""
    w = Workload("t-nlg", 8, "fc2")
    r = simulate(w, config, HW, P, record=True)
    b = r.dram_bytes
    for i, cat in enumerate(DRAM_CATEGORIES):
        integ = sum((row[1] - row[0]) * row[2 + i] for row in r.timeline)
        assert integ == pytest.approx(b[cat], rel=1e-6, abs=1.0), cat


def test_tracker_limit_enforced_and_stalls_producer():
    """256 entries (Table 1): peak occupancy never exceeds them; where the RS is the bottleneck the producer
    stalls (and finishes later than with an unbounded Tracker); a tiny Tracker stalls more but completes."""
    w = Workload("mega-gpt-2", 16, "op")          # RS-bound: the GEMM runs ahead of the ring
    r = run_des(w, HW, P, "t3")
    assert 0 < r.tracker_peak_tiles <= 256 and r.tracker_stall_s > 0
    free = run_des(w, HW.replace(tracker_entries=10**6), P, "t3")
    assert free.tracker_peak_tiles > 256 and free.tracker_stall_s == 0
    assert r.gemm_done > free.gemm_done
    tiny = run_des(w, HW.replace(tracker_entries=8), P, "t3")
    assert tiny.tracker_stall_s > r.tracker_stall_s and tiny.total >= r.total * (1 - 1e-9)
    for x in workload_set("main"):
        assert run_des(x, HW, P, "t3-mca").tracker_peak_tiles <= 256, x.label


def test_gemm_slows_only_when_dram_is_short():
    w = Workload("t-nlg", 8, "fc2")
    big = HW.replace(dram_gbps=1e5)
    assert run_des(w, big, P, "t3").gemm_done == pytest.approx(cf.gemm_time(w, big, P), rel=1e-3)
    assert run_des(w, HW, P, "t3").gemm_done > cf.gemm_time(w, HW, P) * 1.05       # interleaving costs
    assert run_des(w, HW, P, "t3-mca").gemm_done < run_des(w, HW, P, "t3").gemm_done


def test_interleave_run_drives_t3_not_the_bounds():
    w = Workload("t-nlg", 8, "fc1")
    short, long = P.replace(interleave_run=2.0), P.replace(interleave_run=64.0)
    assert run_des(w, HW, short, "t3").total > run_des(w, HW, long, "t3").total
    assert cf.ideal_nmc_time(w, HW, short) == cf.ideal_nmc_time(w, HW, long)


def test_mca_threshold_from_first_stage_intensity():
    fc, op = Workload("t-nlg", 8, "fc2"), Workload("t-nlg", 8, "op")
    assert mca_threshold(fc, HW, P) > mca_threshold(op, HW, P) >= 1.0


def test_sw_split_fewer_cus_for_comm_slows_rs():
    w = Workload("t-nlg", 16, "op")
    t8 = run_des(w, HW, P.replace(cu_split=8), "sw-split").total
    t16 = run_des(w, HW, P.replace(cu_split=16), "sw-split").total
    assert t8 > t16     # 8 CUs cannot feed the link
    with pytest.raises(ValueError, match="cu_split"):
        run_des(w, HW, P.replace(cu_split=80), "sw-split")


def test_bad_mode_and_timeline():
    w = Workload("t-nlg", 8, "op")
    with pytest.raises(ValueError, match="unknown DES mode"):
        run_des(w, HW, P, "ideal")
    with pytest.raises(ValueError, match="unknown config"):
        simulate(w, "fast")
    r = simulate(w, "t3-mca", HW, P, record=True)
    tl = timeline_frame(r, n_bins=50)
    assert tl.height == 50 * len(DRAM_CATEGORIES) and (tl["gbps"] >= 0).all()
    with pytest.raises(ValueError, match="no timeline"):
        timeline_frame(simulate(w, "ideal"))


def test_tp2_and_tracker_params():
    w = Workload("mega-gpt-2", 2, "op", 1024)
    r = simulate(w, "t3", HW, P)
    assert r.sequential_s > r.time_s > 0
    with pytest.raises(ValueError, match="tracker_full"):
        ModelParams(tracker_full="drop")


def test_deterministic():
    w = Workload("t-nlg", 16, "fc1")
    a, b = simulate(w, "t3-mca", HW, P, record=True), simulate(w, "t3-mca", HW, P, record=True)
    assert a.time_s == b.time_s and a.timeline == b.timeline


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(["mega-gpt-2", "t-nlg", "gpt-3"]), st.sampled_from([2, 4, 8, 16]),
       st.sampled_from(["op", "fc2", "fc1", "ip"]), st.integers(128, 4096), st.sampled_from(["t3", "t3-mca"]))
def test_timeline_conserves_bytes_any_shape(model, tp, sub, tokens, config):
    """For any shape and TP degree, the DES moves exactly the accounted bytes (what is sent is received: the
    incoming updates equal the RS's link bytes) and finishes no earlier than the contention-free bound."""
    w = Workload(model, tp, sub, tokens)
    r = simulate(w, config, HW, P, record=True)
    for i, cat in enumerate(DRAM_CATEGORIES):
        integ = sum((row[1] - row[0]) * row[2 + i] for row in r.timeline)
        assert integ == pytest.approx(r.dram_bytes[cat], rel=1e-6, abs=1.0), cat
    assert r.time_s >= cf.ideal_nmc_time(w, HW, P) * (1 - 1e-9)
    assert r.tracker_peak_tiles <= HW.tracker_entries or r.tracker_peak_tiles == math.ceil(
        cf.gemm_tiles(w, P)[0] * cf.gemm_tiles(w, P)[1] / (tp * P.packets_per_stage))
