"""The ring's bytes by category and the LLC's rereads: hand values, the configurations that reduce near
memory, and conservation laws (Hypothesis)."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit.t3 import DRAM_CATEGORIES, llc
from paperkit.t3 import closed_form as cf
from paperkit.t3.hardware import load_profile
from paperkit.t3.params import ModelParams
from paperkit.t3.workloads import MODELS, SUBLAYERS, Workload, workload_set

HW = load_profile("t3-table1")
P = ModelParams()


def test_sequential_ring_bytes_hand_values():
    """Direct-to-peer ring (NCCL/RCCL): incoming chunks and only the final result are written locally."""
    w = Workload("mega-gpt-2", 8, "op", 8192)      # inputs fit in the LLC: read once
    s, c = w.out_bytes, w.out_bytes / 8
    seq = cf.dram_bytes(w, HW, P, "sequential")
    assert seq == pytest.approx({"gemm_read": w.a_bytes + w.b_bytes, "gemm_write": s, "rs_read": 14 * c,
                                 "rs_write": 7 * c + c, "rs_update": 0.0, "ag_read": 7 * c, "ag_write": 7 * c})
    assert cf.dram_bytes(w, HW, P, "ideal") == seq and cf.dram_bytes(w, HW, P, "sw-split") == seq


def test_t3_ring_bytes_hand_values():
    w = Workload("mega-gpt-2", 8, "op", 8192)
    c = w.out_bytes / 8
    t3 = cf.dram_bytes(w, HW, P, "t3-mca")
    assert t3 == pytest.approx({"gemm_read": w.a_bytes + w.b_bytes, "gemm_write": 7 * c, "rs_read": 6 * c,
                                "rs_write": 0.0, "rs_update": 7 * c, "ag_read": 7 * c, "ag_write": 7 * c})
    assert cf.dram_bytes(w, HW, P, "t3") == t3
    seq = cf.dram_bytes(w, HW, P, "sequential")
    # saving: stage 0 goes remote (c), RS reads 14c -> 6c, result writes 8c -> 7c updates: 10 c
    assert sum(seq.values()) - sum(t3.values()) == pytest.approx(10 * c)


def test_near_memory_configurations():
    """Ideal-RS+NMC reduces near memory like T3 (its RS bytes are T3's); its GEMM is the Sequential one."""
    assert cf.NEAR_MEMORY_CONFIGS == ("ideal-nmc", "t3", "t3-mca")
    assert cf.FUSED_CONFIGS == ("t3", "t3-mca")  # only T3 feeds the RS from the GEMM's stores
    w = Workload("t-nlg", 16, "fc1", 4096)
    nmc, t3, seq = (cf.dram_bytes(w, HW, P, c) for c in ("ideal-nmc", "t3", "sequential"))
    for k in ("rs_read", "rs_write", "rs_update", "ag_read", "ag_write"):
        assert nmc[k] == t3[k], k
    for k in ("gemm_read", "gemm_write"):
        assert nmc[k] == seq[k], k
    assert nmc["rs_update"] > 0 and seq["rs_update"] == 0


@st.composite
def shapes(draw):
    model = draw(st.sampled_from(sorted(MODELS)))
    sub = draw(st.sampled_from(sorted(SUBLAYERS)))
    h = MODELS[model]["hidden"]
    tps = [n for n in (2, 4, 8, 16, 32, 64) if (SUBLAYERS[sub]["k_mult"] * h) % n == 0]
    return Workload(model, draw(st.sampled_from(tps)), sub, draw(st.integers(1, 40000)))


@settings(max_examples=40, deadline=None)
@given(shapes(), st.sampled_from(["sequential", "ideal", "ideal-nmc", "t3", "t3-mca", "sw-split"]))
def test_bytes_conserved(w, config):
    """What a GPU sends on the ring its neighbour receives (symmetry: my received bytes equal my sent
    bytes); RS and AG each move (N-1)S/N; the GEMM's output is all stored; totals are category sums."""
    n, s = w.tp, w.out_bytes
    b = cf.dram_bytes(w, HW, P, config)
    assert tuple(b) == DRAM_CATEGORIES and min(b.values()) >= 0
    part = (n - 1) * s / n
    fused = config in cf.FUSED_CONFIGS
    received = b["rs_update"] if config in cf.NEAR_MEMORY_CONFIGS else b["rs_write"] - s / n
    sent = b["rs_read"] + s / n if config in cf.NEAR_MEMORY_CONFIGS else b["rs_read"] / 2
    if fused:  # stage 0 is stored straight into the neighbour: sent without a DMA read
        assert sent == pytest.approx(part)
    assert received == pytest.approx(part)
    assert b["ag_read"] == pytest.approx(part) and b["ag_write"] == pytest.approx(part)
    assert b["gemm_write"] + (s / n if fused else 0.0) == pytest.approx(s)
    assert b["gemm_read"] >= w.a_bytes + w.b_bytes - 1e-6
    seq = cf.dram_bytes(w, HW, P, "sequential")
    if config != "sequential":
        assert sum(b.values()) <= sum(seq.values()) + 1e-6


def test_llc_inputs_fit_op_not_fc_ip():
    """Table 1's 16 MB LLC: OP's inputs fit, FC's do not, and IP's do not except Mega-GPT-2 TP 16
    (12.9 MB of inputs at T = 8192)."""
    for w in workload_set("main"):
        fits = llc.inputs_fit(w, HW, P)
        if w.sublayer == "op":
            assert fits, w.label
        elif w.sublayer in ("fc1", "fc2"):
            assert not fits, w.label
        else:
            assert fits == (w.model == "mega-gpt-2" and w.tp == 16), w.label


def test_llc_rereads_hand_value():
    """Mega-GPT-2 TP 8 FC-2: 64 x 24 = 1536 tiles in 80-tile waves: 19 full waves span every tile row, the
    last one 16 tiles (16 rows), so A (25.2 MB) streams 19.25 times and B (9.4 MB) once."""
    w = Workload("mega-gpt-2", 8, "fc2", 8192)
    assert llc.tile_grid(w, P) == (64, 24) and llc.rows_touched_per_wave(w, HW, P) == [64] * 19 + [16]
    assert llc.gemm_read_bytes(w, HW, P) == pytest.approx(19.25 * w.a_bytes + w.b_bytes)
    assert llc.gemm_read_bytes(w, HW.replace(llc_mb=64.0), P) == pytest.approx(w.a_bytes + w.b_bytes)
    assert llc.input_capacity(w, HW, P, False) == pytest.approx(16 * 2**20 - 80 * 128 * 128 * 2)
    assert llc.input_capacity(w, HW, P, True) == pytest.approx(16 * 2**20)
    small = Workload("mega-gpt-2", 8, "fc2", 512)   # 4 tile rows: a wave of 80 tiles covers 4 rows
    assert llc.rows_touched_per_wave(small, HW, P) == [4, 4]


def test_bypass_decides_between_capacities():
    """A working set between the two capacities fits only when T3's output bypasses the LLC."""
    w = Workload("mega-gpt-2", 16, "ip", 8192)     # 12.9 MB of inputs
    hw = HW.replace(llc_mb=14.0)                   # 14.68 MB: 12.05 MB left next to a wave of output
    assert not llc.inputs_fit(w, hw, P, False) and llc.inputs_fit(w, hw, P, True)
    assert llc.gemm_read_bytes(w, hw, P, True) < llc.gemm_read_bytes(w, hw, P, False)


@settings(max_examples=30, deadline=None)
@given(shapes(), st.floats(1.0, 256.0))
def test_llc_reads_monotone_in_capacity(w, mb):
    """More LLC never means more DRAM reads, and reads never fall below one pass over the inputs."""
    small, big = HW.replace(llc_mb=mb), HW.replace(llc_mb=mb * 2)
    assert llc.gemm_read_bytes(w, big, P) <= llc.gemm_read_bytes(w, small, P) + 1e-6
    assert llc.reread_factor(w, small, P) >= 1.0 - 1e-12
