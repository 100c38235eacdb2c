"""The discrete-event model: orderings, limits, byte conservation and the arbitration policies."""
import pytest

from paperkit.t3 import closed_form as cf
from paperkit.t3.des import run_des, share_mca, share_proportional
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
        slack = (w.tp - 1) * HW.link_latency  # packets hide per-hop latency that the chunk-level bound charges
        assert t["sequential"] > t["t3"] >= t["ideal-nmc"] - slack, w.label
        assert t["sequential"] > t["t3-mca"] >= t["ideal-nmc"] - slack, w.label
        assert t["ideal"] >= t["ideal-nmc"], w.label
        assert t["sw-split"] > t["ideal"], w.label  # may even lose to Sequential (Fig. 6: slowdowns)


def test_des_agrees_with_closed_form_where_it_should():
    """Where DRAM cannot bind (contention-free: bandwidth far above every demand) the DES of T3 and of T3-MCA
    is the closed-form pipeline bound to within the packet granularity, and its GEMM is the closed-form GEMM."""
    hw = HW.replace(dram_gbps=1e6)
    p = ModelParams(gemm_read_burst=8.0, mca_threshold=0.3)
    for w in workload_set("main"):
        for mode in ("t3", "t3-mca"):
            r = run_des(w, hw, p, mode)
            assert r.total == pytest.approx(cf.t3_pipeline_time(w, hw, p), rel=0.02), (w.label, mode)
            assert r.gemm_alone == pytest.approx(cf.gemm_time(w, hw, p), rel=1e-12)
            assert r.gemm_done >= r.gemm_alone * (1 - 1e-9)


def test_dram_bytes_conserved_in_timeline():
    w = Workload("t-nlg", 8, "fc2")
    r = run_des(w, HW, P, "t3", record=True)
    integ = [sum((row[1] - row[0]) * row[i] for row in r.timeline) for i in range(2, 6)]
    b = cf.dram_bytes(w, HW, P, "t3")
    assert integ[0] == pytest.approx(b["gemm_read"], rel=1e-6)
    assert integ[1] == pytest.approx(b["gemm_write"], rel=1e-6)
    assert integ[2] == pytest.approx(b["rs_read"], rel=1e-6)       # DMA reads (N-2) S/N
    assert integ[3] == pytest.approx(b["rs_write"], rel=1e-6)      # incoming updates (N-1) S/N


def test_arbitration_policies():
    assert share_proportional(0.4, 0.3, 1.0) == (0.4, 0.3)              # enough for both: no shortfall
    g, c = share_proportional(1.5, 0.5, 1.0)
    assert (g, c) == pytest.approx((0.75, 0.25))                          # scaled in proportion to demand
    assert share_mca(1.0, 0.3, 1.0, theta=0.6, floor=0.05) == pytest.approx((0.95, 0.05))  # GEMM first, floor
    assert share_mca(0.2, 0.3, 1.0, theta=0.6, floor=0.05) == pytest.approx((0.2, 0.3))    # below threshold
    assert share_mca(0.4, 0.3, 1.0, theta=0.6, floor=0.05) == pytest.approx((0.4, 0.2))    # capped at theta-d_g


def test_gemm_slows_only_when_memory_bound():
    """A compute-bound GEMM loses nothing to the RS traffic; on a DRAM that the bursts saturate, the
    GEMM loses, the burstier one more, and MCA wins it back."""
    w = Workload("t-nlg", 16, "fc2")
    assert run_des(w, HW, P.replace(gemm_read_burst=1.0), "t3").gemm_done == pytest.approx(
        cf.gemm_time(w, HW, P), rel=1e-6)
    slow = HW.replace(dram_gbps=150.0)
    t = [run_des(w, slow, P.replace(gemm_read_burst=b), "t3").gemm_done for b in (1.0, 4.0)]
    assert t[1] > t[0] > cf.gemm_time(w, slow, P) * 1.01
    assert run_des(w, slow, P.replace(gemm_read_burst=4.0), "t3-mca").gemm_done < t[1]


def test_mca_threshold_throttles_communication():
    w = Workload("mega-gpt-2", 16, "op")   # RS-bound: starving communication must hurt
    loose = run_des(w, HW, P.replace(mca_threshold=1.0), "t3-mca").total
    tight = run_des(w, HW, P.replace(mca_threshold=0.15), "t3-mca").total
    assert tight > loose * 1.05


def test_sw_split_fewer_cus_for_comm_slows_rs():
    w = Workload("t-nlg", 16, "op")
    t8 = run_des(w, HW, P.replace(cu_split=8), "sw-split").total
    t16 = run_des(w, HW, P.replace(cu_split=16), "sw-split").total
    assert t8 > t16     # 8 CUs cannot feed the link (4 DRAM bytes per link byte)
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
    assert tl.height == 50 * 6 and (tl["gbps"] >= 0).all()
    with pytest.raises(ValueError, match="no timeline"):
        timeline_frame(simulate(w, "ideal"))


def test_tp2_and_tracker():
    w = Workload("mega-gpt-2", 2, "op", 1024)
    r = simulate(w, "t3", HW, P)
    assert r.sequential_s > r.time_s > 0
    assert simulate(Workload("t-nlg", 8, "fc2"), "t3", HW, P).tracker_peak_tiles > 0


def test_deterministic():
    w = Workload("t-nlg", 16, "fc1")
    a, b = simulate(w, "t3-mca", HW, P, record=True), simulate(w, "t3-mca", HW, P, record=True)
    assert a.time_s == b.time_s and a.timeline == b.timeline
