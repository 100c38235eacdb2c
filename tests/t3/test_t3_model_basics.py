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
    with pytest.raises(ValueError, match="nmc_kappa"):
        ModelParams(nmc_kappa=5)


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
    # NMC RS: link-bound (c/beta = 83.9 us > 2.5 c / B = 15.7 us)
    assert cf.rs_time_nmc(w, HW, P0) == pytest.approx(7 * t_l)
    # baseline RS: + exposed reduction of one slice (3c/B/8) + 2 us sync per step
    assert cf.rs_time_baseline(w, HW, P0) == pytest.approx(7 * (t_l + 3 * c / 1e12 / 8 + 2e-6))
    assert cf.ag_time(w, HW, P0) == pytest.approx(7 * (t_l + 2e-6))


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
    p_other = P0.replace(gemm_read_burst=30.0, mca_threshold=0.9)
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


def test_byte_accounting_hand_values():
    w = Workload("mega-gpt-2", 8, "op", 8192)   # weights fit in the LLC: re-read factor 1
    s, part = w.out_bytes, 7 * w.out_bytes / 8
    seq = cf.dram_bytes(w, HW, P0, "sequential")
    assert seq == pytest.approx({"gemm_read": w.a_bytes + w.b_bytes, "gemm_write": s, "rs_read": 2 * part,
                                 "rs_write": 2 * part, "ag_read": part, "ag_write": part})
    t3 = cf.dram_bytes(w, HW, P0, "t3-mca")
    assert t3 == pytest.approx({"gemm_read": w.a_bytes + w.b_bytes, "gemm_write": part, "rs_read": 6 * s / 8,
                                "rs_write": part, "ag_read": part, "ag_write": part})
    # total saving = S/N (stage 0 remote) + 2(N-1)S/N - (N-2)S/N ... = 2 S exactly here
    assert sum(seq.values()) - sum(t3.values()) == pytest.approx(2 * s)


def test_llc_reread_factor():
    small = Workload("mega-gpt-2", 8, "op", 8192)
    assert cf.llc_reread_factor(small, HW, P0, False) == 1.0
    big = Workload("t-nlg", 8, "fc2", 8192)      # 18 MB of weights > 16 MB LLC
    base, bypass = cf.llc_reread_factor(big, HW, P0, False), cf.llc_reread_factor(big, HW, P0, True)
    assert base > bypass > 1.0
    assert cf.llc_reread_factor(big, HW.replace(llc_mb=1024.0), P0, False) == 1.0


def test_default_params_load_fitted():
    p = default_params()
    assert 1 <= p.gemm_read_burst <= 64 and 0 <= p.mca_threshold <= 1
