"""The HBM2 cost model and the two arbiters: sourced constants, hand values, laws (Hypothesis)."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit.t3 import dram
from paperkit.t3.dram import HBM2, FrFcfs, Mca, Traffic, cost

B = 1e12


def test_gpgpusim_hbm_constants():
    """SM7_QV100 HBM timing (Accel-Sim's GPGPU-Sim config) and GPGPU-Sim's turnaround formulas."""
    assert (HBM2.tRCD, HBM2.tRP, HBM2.tRC, HBM2.CL, HBM2.WL, HBM2.tCDLR, HBM2.tWR) == (12, 12, 40, 12, 2, 3, 10)
    assert HBM2.tRTW == 12 + 1 + 2 - 2 == 13
    assert HBM2.tWTR == 2 + 1 + 3 == 6
    assert HBM2.drain_atoms == 56 - 32 == 24
    assert HBM2.drain_overhead == pytest.approx(19 / 24)
    assert HBM2.row_switch == 24 and HBM2.atom_bytes == 32 and HBM2.row_atoms * HBM2.atom_bytes == 2048


def test_cost_hand_values():
    assert cost(Traffic(reads=500e9), B) == pytest.approx(0.5)
    assert cost(Traffic(writes=240e9), B) == pytest.approx(0.24 * (1 + 19 / 24))
    assert cost(Traffic(updates=240e9), B) == pytest.approx(0.24 * (1 + 19 / 24))   # bus: once, plus drains
    # interleaved at 8 atoms per row: two row switches (2 x 24 cycles) per 8 atoms
    assert cost(Traffic(reads=100e9), B, run=8) == pytest.approx(0.1 * (1 + 48 / 8))
    # the banks bind only for a bank-heavy mix on few banks: the update's read-modify-write counts twice
    slow_banks = dram.HbmTiming(nbk=2)
    assert cost(Traffic(updates=100e9), B, timing=slow_banks) == pytest.approx(0.1 * 2 * 2 / 2)


def test_frfcfs():
    g, c = Traffic(reads=400e9), Traffic(reads=75e9, updates=75e9)
    u_g = 0.4
    u_c = (1 - u_g) * cost(c, B) + u_g * cost(c, B, 4.0)
    assert FrFcfs(B, 4.0)(g, c) == pytest.approx((1 / (u_g + u_c),) * 2)
    assert FrFcfs(B, 64.0)(Traffic(reads=100e9), Traffic(reads=10e9)) == (1.0, 1.0)


def test_mca_threshold_one_holds_back_everything_interleaved():
    """theta = 1: communication waits for an empty queue, so nothing is interleaved: the GEMM is served in
    full and the communication gets exactly the time left."""
    g, c = Traffic(reads=700e9), Traffic(reads=200e9, updates=200e9)
    f_g, f_c = Mca(B, 1.0, 0.05, 4.0)(g, c)
    assert f_g == 1.0 and f_c == pytest.approx(0.3 / cost(c, B))
    # a large threshold interleaves more: less for both
    f_g2, f_c2 = Mca(B, 64.0, 0.05, 4.0)(g, c)
    assert f_g2 < f_g and f_c2 < f_c


def test_mca_floor_and_saturated_gemm():
    g, c = Traffic(reads=1500e9), Traffic(reads=75e9)
    f_g, f_c = Mca(B, 2.0, 0.05, 4.0)(g, c)
    assert f_c * cost(c, B) == pytest.approx(0.05) and f_g == pytest.approx(0.95 / 1.5)
    assert Mca(B, 2.0, 0.05, 4.0)(Traffic(reads=2e12), Traffic()) == (0.5, 1.0)
    # the GEMM idle (after its last packet): the communication alone, slowed only by its own need
    alone = Traffic(updates=600e9)
    assert Mca(B, 2.0, 0.05, 4.0)(Traffic(), alone) == pytest.approx((1.0, 1 / cost(alone, B)))
    assert FrFcfs(B, 4.0)(Traffic(), alone) == pytest.approx((1 / cost(alone, B),) * 2)


def test_dynamic_threshold():
    assert dram.dynamic_threshold(0.0) == 1.0
    assert dram.dynamic_threshold(0.5) == pytest.approx(2.0)
    assert dram.dynamic_threshold(5.0) == pytest.approx(HBM2.sched_queue)


traffic = st.builds(Traffic, st.floats(0, 2e12), st.floats(0, 5e11), st.floats(0, 5e11))


@settings(max_examples=60, deadline=None)
@given(traffic, traffic, st.floats(1, 64), st.floats(1, 64))
def test_arbiters_conserve_dram_time(g, c, run, theta):
    """Both arbiters return fractions in [0, 1], never hand out more DRAM time than exists, serve everyone
    in full when it fits, and MCA never gives the GEMM less than FR-FCFS does unless the GEMM alone saturates
    DRAM (then MCA's starvation limit serves the communication first)."""
    fr, mca = FrFcfs(B, run)(g, c), Mca(B, theta, 0.05, run)(g, c)
    u_g = cost(g, B)
    share = min(u_g, 1.0)
    for f_g, f_c in (fr, mca):
        assert 0 <= f_g <= 1 and 0 <= f_c <= 1
    fr_used = fr[0] * u_g + fr[1] * dram.comm_cost(g, c, B, run, share)
    assert fr_used <= 1 + 1e-9 or fr == (1.0, 1.0)
    if u_g <= 1 - 0.05:
        assert mca[0] >= fr[0] - 1e-12
    mca_used = mca[0] * u_g + mca[1] * dram.comm_cost(g, c, B, run, max(0.0, share - share ** theta))
    assert mca_used <= 1 + 1e-9 or mca == (1.0, 1.0)
    if u_g + dram.comm_cost(g, c, B, run, share) <= 1:
        assert fr == (1.0, 1.0) and mca == (1.0, 1.0)


def test_interleave_loss_by_hand():
    """Reads only (no write drains): the GEMM keeps the queue busy a share u = min(cost, 1) of the
    time; that share of the communication is interleaved and pays two row switches (tRP + tRCD =
    24 cycles each, GPGPU-Sim's HBM2) per ``run`` atoms, so the loss is u * c * 2 * 24 / run."""
    B = 1e12
    g, c = dram.Traffic(reads=0.5 * B), dram.Traffic(reads=0.2 * B)
    assert dram.interleave_loss(g, c, B, 8.0) == pytest.approx(0.5 * 0.2 * 2 * 24 / 8)
    assert dram.interleave_loss(g, c, B, 64.0) == pytest.approx(0.5 * 0.2 * 2 * 24 / 64)
    assert dram.interleave_loss(dram.Traffic(reads=2 * B), c, B, 8.0) == pytest.approx(0.2 * 2 * 24 / 8)  # u capped at 1
    assert dram.interleave_loss(dram.Traffic(), c, B, 8.0) == 0.0  # an idle GEMM: nothing interleaved
    assert dram.interleave_loss(g, dram.Traffic(), B, 8.0) == 0.0
