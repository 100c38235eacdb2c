"""Hardware profiles, workloads and the closed-form pieces against hand-computed values."""
import math

import pytest

from paperkit.t3 import closed_form as cf
from paperkit.t3.hardware import load_profile, profile_names
from paperkit.t3.params import ModelParams, default_params
from paperkit.t3.workloads import DEFAULT_TOKENS, Workload, workload_set

HW = load_profile("t3-table1")
P0 = ModelParams()


def test_table1_profile_values():
    assert HW.n_cu == 80 and HW.llc_mb == 16.0 and HW.link_latency_ns == 500.0
    assert HW.peak_flops == pytest.approx(80 * 1.4e9 * 1024)          # 114.7 TFLOP/s
    assert HW.gemm_flops == pytest.approx(0.7 * 114.688e12)
    assert HW.dram_bw == 1e12 and HW.link_bw == 75e9
    assert "t3-table1-link150" in profile_names()


def test_bad_profile_and_fields():
    with pytest.raises(ValueError, match="unknown hardware profile"):
        load_profile("nope")
    with pytest.raises(ValueError, match="unknown hardware field"):
        HW.replace(foo=1)
    with pytest.raises(ValueError, match="gemm_efficiency"):
        HW.replace(gemm_efficiency=1.5)
    with pytest.raises(ValueError, match="interleave_run"):
        ModelParams(interleave_run=0.5)


def test_workload_shapes():
    w = Workload("mega-gpt-2", 8, "fc2", 8192)
    assert w.k == 4 * 3072 // 8 == 1536
    assert w.flops == 2 * 8192 * 1536 * 3072
    assert w.out_bytes == 2 * 8192 * 3072 == 50331648
    assert Workload("t-nlg", 16, "ip").k == 3 * 4256 // 16
    assert len(workload_set("main")) == 16 and len(workload_set("large")) == 12
    assert DEFAULT_TOKENS == 8192
    with pytest.raises(ValueError, match="unknown model"):
        Workload("bert", 8, "op")
    with pytest.raises(ValueError, match="tp must be"):
        Workload("t-nlg", 1, "op")
    with pytest.raises(ValueError, match="choose 'main' or 'large'"):
        workload_set("huge")


def test_ring_times_hand_values():
    w = Workload("mega-gpt-2", 8, "op", 8192)
    t_l = 0.5e-6 + 50331648 / 8 / 75e9
    assert cf.link_chunk_time(w, HW) == pytest.approx(t_l)
    c = 50331648 / 8
    # NMC RS: link-bound (c/beta = 83.9 us > (2 + 19/24) c / B = 17.6 us), packets pipeline the hops:
    # the latency is paid once
    assert cf.rs_time_nmc(w, HW, P0) == pytest.approx(0.5e-6 + 7 * c / 75e9)
    # baseline RS: + exposed reduction of one slice (3c/B/8) + 2 us sync per step
    assert cf.rs_time_baseline(w, HW, P0) == pytest.approx(7 * (t_l + 3 * c / 1e12 / 8 + 2e-6))
    assert cf.ag_time(w, HW, P0) == pytest.approx(7 * (t_l + 2e-6))
    # DRAM-bound on a slow HBM: the RS step's DRAM time is 2 reads + the incoming write with its drains
    slow = HW.replace(dram_gbps=100.0)
    step = 0.5e-6 + c * (3 + 19 / 24) / 100e9 + 3 * c / 100e9 / 8 + 2e-6
    assert cf.rs_time_baseline(w, slow, P0) == pytest.approx(7 * step)
    assert cf.ag_time(w, slow, P0) == pytest.approx(7 * (0.5e-6 + c * (2 + 19 / 24) / 100e9 + 2e-6))
    assert cf.rs_time_nmc(w, slow, P0) == pytest.approx(0.5e-6 + 7 * c * (2 + 19 / 24) / 100e9)


def test_busbw_identity_link_bound():
    """nccl-tests: busbw(RS) = algbw (N-1)/N equals the link bandwidth for a pure link-bound ring."""
    hw = HW.replace(link_latency_ns=0.0, dram_gbps=1e6)
    for tp in (8, 16):
        w = Workload("t-nlg", tp, "fc2", 4096)
        t = cf.rs_time_nmc(w, hw, P0)
        assert w.out_bytes / t * (tp - 1) / tp == pytest.approx(hw.link_bw)


def test_gemm_time_roofline_and_waves():
    w = Workload("mega-gpt-2", 8, "fc2", 8192)
    waves = math.ceil(64 * 24 / 80)
    assert cf.gemm_waves(w, HW, P0) == waves == 20
    per_tile = 2 * 128 * 128 * 1536 / (HW.gemm_flops / 80)
    assert cf.gemm_time(w, HW, P0) == pytest.approx(waves * per_tile)
    assert cf.gemm_time(w, HW, P0, n_cu=64) > cf.gemm_time(w, HW, P0)


def test_ideal_bound_unfitted_hand_value():
    """C4: max(T_GEMM, T_RS) + T_AG from Table 1 alone (no fitted parameter enters)."""
    w = Workload("t-nlg", 16, "fc2", 8192)
    g, rs, ag = cf.gemm_time(w, HW, P0), cf.rs_time_baseline(w, HW, P0), cf.ag_time(w, HW, P0)
    assert cf.ideal_time(w, HW, P0) == pytest.approx(max(g, rs) + ag)
    assert cf.sequential_time(w, HW, P0) == pytest.approx(g + rs + ag)
    p_other = P0.replace(interleave_run=2.0)
    assert cf.ideal_time(w, HW, p_other) == cf.ideal_time(w, HW, P0)
    # the ideal speedup can never exceed (G + 2R)/(max(G, R) + R) <= 1.5 when R == AG
    for x in workload_set("main"):
        assert cf.sequential_time(x, HW, P0) / cf.ideal_time(x, HW, P0) <= 1.5 + 1e-9


def test_t3_pipeline_close_to_ideal_nmc():
    """Spec section 6.2: without contention the chunk pipeline costs about a stage against the NMC bound."""
    for w in workload_set("main"):
        t3 = cf.t3_pipeline_time(w, HW, P0)
        bound = cf.ideal_nmc_time(w, HW, P0)
        assert bound * 0.99 <= t3 <= bound * 1.10, w.label


def test_gemm_time_stretches_when_memory_bound():
    """On a slow HBM the GEMM takes the DRAM time of its reads and output writes (with their drains)."""
    w = Workload("mega-gpt-2", 8, "fc2", 8192)
    slow = HW.replace(dram_gbps=200.0)
    reads = 19.25 * w.a_bytes + w.b_bytes
    assert cf.gemm_time(w, slow, P0) == pytest.approx((reads + w.out_bytes * (1 + 19 / 24)) / 200e9)


def test_default_params_load_fitted():
    p = default_params()
    assert 1 <= p.interleave_run <= 64
