"""The mechanism model: shapes, phase timeline, ablations, memory, baselines."""
import math

import pytest

from paperkit.fuyou.hardware import get_profile, load_profiles
from paperkit.fuyou.memory import check_fit, max_trainable
from paperkit.fuyou.mechanism import Schedule, fuyou_terms, iteration_s, terms
from paperkit.fuyou.prediction import predict
from paperkit.fuyou.shapes import ModelShape, param_count
from paperkit.fuyou.timeline import phase_frame

HW4090 = get_profile("fuyou-4090")
HWA100 = get_profile("fuyou-a100")


def test_param_count_matches_spec_table():
    assert param_count(40, 5120) == pytest.approx(12.85e9, rel=2e-3)
    assert param_count(96, 12288) == pytest.approx(174.6e9, rel=2e-3)


def test_flops_convention_factor_four():
    s = ModelShape.preset("13B", batch=8)
    per_layer = 24 * 8 * 1024 * 5120**2 + 4 * 8 * 1024**2 * 5120
    assert s.iteration_flops() == pytest.approx(4 * 40 * per_layer)
    assert s.iteration_flops() / s.model_flops() == pytest.approx(4 / 3)


def test_swap_saving_greedy_and_bounds():
    s = ModelShape.preset("13B", batch=4)
    N, h = s.tokens, s.hidden
    assert s.swap_saving(0.0) == (0.0, 0.0)
    b, f = s.swap_saving(1.0)
    assert b == pytest.approx(18 * N * h) and f == pytest.approx(24 * N * h * h)
    # the first bytes (FC2 output, benefit 4h) save more per byte than the last ones
    b1, f1 = s.swap_saving(0.1)
    assert f1 / b1 == pytest.approx(4 * h)
    assert (f - f1) / (b - b1) < f1 / b1
    with pytest.raises(ValueError, match="swap coefficient"):
        s.swap_saving(1.5)


def test_bad_shape_raises():
    with pytest.raises(ValueError, match="divisible"):
        ModelShape(params=1e9, layers=2, hidden=100, heads=3, batch=1)
    with pytest.raises(ValueError, match="batch"):
        ModelShape(params=1e9, layers=2, hidden=128, heads=2, batch=0)


def test_phase_timeline_is_drawn_from_the_terms():
    shape = ModelShape.preset("13B", batch=16)
    t = terms(shape, HW4090, Schedule())
    f = phase_frame(t)
    assert float(f["end_s"].max()) == pytest.approx(t["iteration_s"], rel=1e-9)
    gpu = f.filter(resource="GPU").sort("start_s")
    assert gpu["end_s"][0] - gpu["start_s"][0] == pytest.approx(t["phases"]["fwd"]["GPU"])
    assert gpu["start_s"][1] == pytest.approx(max(t["phases"]["fwd"].values()))


def test_fuyou_beats_zero_infinity_and_ablations_cost_time():
    shape = ModelShape.preset("13B", batch=16)
    fy = predict(shape, HW4090, "fuyou")
    zi = predict(shape, HW4090, "zero-infinity")
    assert fy.iteration_s < zi.iteration_s
    assert fy.gpu_busy_fraction > zi.gpu_busy_fraction
    for sw in ("overlap_opt", "pipelined_swap"):
        ab = predict(shape, HW4090, Schedule(system="fuyou", **{sw: False}))
        assert ab.makespan_s > fy.makespan_s, sw


def test_more_ssds_never_slower():
    shape = ModelShape.preset("13B", batch=8)
    ts = [predict(shape, HW4090.with_(n_ssd=n), "fuyou").makespan_s for n in (1, 2, 4, 8, 12)]
    assert all(a >= b - 1e-9 for a, b in zip(ts, ts[1:]))
    assert ts[0] > 2 * ts[-1]


def test_ssd_bytes_per_iteration_formula():
    shape = ModelShape.preset("13B", batch=32)
    p = predict(shape, HW4090, Schedule(system="fuyou", swap_coeff=0.0))
    P = shape.params
    assert p.bytes["SSD"] == pytest.approx(4 * P + 12 * P + 14 * P)  # acts stay in 768 GB DRAM
    assert p.ssd_write_b == pytest.approx(14 * P)
    low = predict(shape, HW4090, Schedule(system="fuyou", swap_coeff=0.0), cpu_mem_gb=64)
    assert low.bytes["SSD"] > p.bytes["SSD"]  # activations spill to the SSDs


def test_auto_swap_within_one_step_of_brute_force():
    shape = ModelShape.preset("13B", batch=16)
    auto = predict(shape, HW4090, "fuyou")
    fine = [i / 40 for i in range(41)]
    times = [iteration_s(fuyou_terms(shape, HW4090, c)) for c in fine]
    best = fine[times.index(min(times))]
    assert abs(auto.swap_coeff - best) <= 0.1 + 1e-9
    assert auto.makespan_s <= min(times) * 1.02


def test_rearrange_read_before_write_not_slower():
    shape = ModelShape.preset("13B", batch=4)
    on = predict(shape, HW4090.with_(n_ssd=2), Schedule(system="fuyou", swap_coeff=0.0))
    off = predict(shape, HW4090.with_(n_ssd=2),
                  Schedule(system="fuyou", swap_coeff=0.0, rearrange=False))
    assert on.makespan_s <= off.makespan_s + 1e-9


def test_memory_feasibility_headline_cases():
    s175 = ModelShape.preset("175B", batch=1)
    assert check_fit(s175, HW4090, "fuyou").fits
    zi = check_fit(s175, HW4090, "zero-infinity")
    assert not zi.fits and zi.reason.startswith("CPU")
    zo = check_fit(ModelShape.preset("13B", batch=1), HW4090, "zero-offload")
    assert not zo.fits and zo.reason.startswith("GPU")
    # Fuyou's maximum size does not depend on CPU memory (128 GB .. 768 GB)
    sizes = {max_trainable(HW4090, "fuyou", m)[1] for m in (128, 256, 512, 768)}
    assert len(sizes) == 1 and sizes.pop() >= s175.params


def test_predict_not_fitting_reports_reason_and_no_tflops():
    p = predict(ModelShape.preset("175B", batch=8), HW4090, "zero-infinity")
    d = p.to_dict()
    assert d["fits"] is False and "memory" in d["reason"] and d["tflops"] is None
    for key in ("iteration_s", "gpu_busy_fraction", "busy_s", "tflops"):
        assert key in d


def test_profiles_and_overrides():
    profs = load_profiles()
    assert {"fuyou-4090", "fuyou-a100"} <= set(profs)
    assert HW4090.ssd_read_bps == pytest.approx(12 * 6.5e9 * HW4090.ssd_raid_efficiency)
    assert HW4090.ssd_host_gbs == 31.5  # PCIe 4.0 x16 per direction
    assert HW4090.with_(n_ssd=3).ssd_write_bps == pytest.approx(3 * 3.4e9 * HW4090.ssd_raid_efficiency)
    with pytest.raises(ValueError, match="unknown hardware profile"):
        get_profile("rtx-9090")
    with pytest.raises(ValueError, match="unknown hardware field"):
        HW4090.with_(n_ssds=3)
    assert math.isfinite(HW4090.adam_params_per_s)


def test_fuyou_terms_by_hand():
    """One iteration at swap fraction 0 on 1 drive (no host cap), terms derived by hand."""
    hw = HW4090.with_(n_ssd=1, ssd_raid_efficiency=1.0, overlap_loss=0.5)
    s = ModelShape.preset("13B", batch=8)
    P, G, rd, wr = s.params, 7e8, 6.5e9, 3.4e9
    t = fuyou_terms(s, hw, 0.0)
    ph = t["phases"]
    assert ph["fwd"]["SSD"] == pytest.approx(2 * P / rd)  # fp16 params in
    assert ph["bwd"]["SSD"] == pytest.approx(2 * P / rd + 12 * (P - G) / rd + 14 * (P - G) / wr)
    assert ph["tail"]["SSD"] == pytest.approx(12 * G / rd + 14 * G / wr)
    assert ph["bwd"]["GPU"] == pytest.approx(3 * ph["fwd"]["GPU"])  # full recompute at c = 0
    assert t["stall_s"] == pytest.approx(0.5 * min(ph["bwd"]["GPU"], ph["bwd"]["SSD"]))
    expect = sum(max(p.values()) for p in ph.values()) + t["stall_s"]
    assert iteration_s(t) == pytest.approx(expect)
    assert t["executed_flops"] == pytest.approx(s.iteration_flops())


def test_phase_timeline_labels_per_system():
    s = ModelShape.preset("13B", batch=8)
    zi = phase_frame(terms(s, HW4090, Schedule.named("zero-infinity")))
    assert "param fetch (waits)" in set(zi["kind"]) and "backward" in set(zi["kind"])
    fy = phase_frame(terms(s, HW4090, Schedule(grad_accum=2)))
    assert {"backward (+ overlapped optimizer)", "earlier micro-batches (accumulation)"} <= set(fy["kind"])
