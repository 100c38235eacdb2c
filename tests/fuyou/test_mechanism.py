"""The mechanism model: the authors' data, the fit and its validation, physical limits."""
import shutil

import polars as pl
import pytest

from paperkit import registry

from paperkit.fuyou import data, mechanism
from paperkit.fuyou.hardware import get_profile
from paperkit.fuyou.model import RESOURCES, predict
from paperkit.fuyou.shapes import ModelShape

POINTS = data.artifact_sweep()
FIT = mechanism.Fitted(gpu_eff=0.75, ssd_eff=0.9, overlap_loss=0.2)


def test_artifact_sweep_is_the_authors_13_points():
    assert POINTS.height == 13
    assert sorted(set(POINTS["batch"].to_list())) == [32, 48, 64]
    assert POINTS.filter(batch=48)["ssds"].to_list() == [1, 2, 3, 6, 12]
    assert (POINTS["tflops"] > 0).all()


def test_artifact_sweep_refuses_an_altered_copy(tmp_path, monkeypatch):
    pub = tmp_path / "public"
    (pub / "lohan_artifact").mkdir(parents=True)
    src = registry.paths.public_dir() / data.ARTIFACT_SWEEP
    shutil.copy(src, pub / data.ARTIFACT_SWEEP)
    monkeypatch.setattr(registry, "_default", registry.Registry(public=pub, cache=tmp_path / "c",
                                                                  mirror=False))
    assert data.artifact_sweep().height == 13
    (pub / data.ARTIFACT_SWEEP).write_text(src.read_text().replace("37.5", "38.5"))
    with pytest.raises(registry.DataCorrupt, match="sha256.*git checkout"):
        data.artifact_sweep()


def test_small_batches_are_io_bound_and_every_measured_batch_fits():
    frame = mechanism.predict_points(POINTS, FIT)
    assert frame["model_tflops"].null_count() == 0  # batch 64 on 24 GB is not rejected
    assert frame.filter(ssds=1)["bound"].unique().to_list() == ["SSD"]
    # per-iteration SSD traffic does not grow with batch: the 1-SSD iteration time barely moves
    t = [mechanism.fuyou(mechanism.shape_13b(b), 1, FIT)["ssd_bwd_s"] for b in (32, 48, 64)]
    assert max(t) == pytest.approx(min(t))


def test_fit_on_batch_48_and_held_out_error():
    fitted, frame = mechanism.validate(POINTS, 48)
    assert set(vars(fitted)) == set(mechanism.PARAM_NAMES)
    lo, hi = mechanism.BOUNDS
    assert all(lo[i] <= v <= hi[i] for i, v in enumerate(fitted.as_array()))
    assert frame.filter(role="fit").height == 5 and frame.filter(role="held out").height == 8
    assert mechanism.mean_abs_err(frame.filter(role="fit")) < 0.05
    assert mechanism.mean_abs_err(frame.filter(role="held out")) < 0.15  # the goal


def test_leave_one_ssd_count_out():
    loo = mechanism.leave_one_out(POINTS)
    assert sorted(set(loo["left_out"].to_list())) == [1, 2, 3, 6, 12] and loo.height == 13
    assert mechanism.mean_abs_err(loo) < 0.15


def test_fit_needs_three_points():
    with pytest.raises(ValueError, match="at least 3"):
        mechanism.fit(POINTS.head(2))


def test_profiles_use_the_fitted_efficiencies():
    """The discrete-event model's 4090 profile carries the mechanism fit's two efficiencies."""
    fitted, _ = mechanism.validate(POINTS, 48)
    hw = get_profile("fuyou-4090")
    assert hw.gpu_efficiency == pytest.approx(fitted.gpu_eff, abs=0.01)
    assert hw.ssd_raid_efficiency == pytest.approx(fitted.ssd_eff, abs=0.01)


# ---- physical limits, term by term, over a sweep -------------------------------------------
SWEEP = [(m, b, n, f) for m in ("6.7B", "13B", "30B") for b in (1, 8, 32, 64)
         for n in (1, 2, 6, 12) for f in (FIT, mechanism.Fitted(1.0, 1.0, 0.0))]


def _check_limits(p: dict, n: int, f: mechanism.Fitted, tb=mechanism.TESTBED) -> None:
    T = p["iteration_s"]
    rd, wr = n * tb.ssd_read_bps * f.ssd_eff, n * tb.ssd_write_bps * f.ssd_eff
    assert p["gpu_flops_done"] / T <= tb.gpu_peak_flops * f.gpu_eff * (1 + 1e-9)
    assert p["ssd_read_b"] / T <= rd * (1 + 1e-9)
    assert p["ssd_write_b"] / T <= wr * (1 + 1e-9)
    assert p["ssd_read_b"] / rd + p["ssd_write_b"] / wr <= T * (1 + 1e-9)  # one shared array
    for k in ("h2d_b", "d2h_b"):
        if k in p:
            assert p[k] / T <= tb.pcie_bps * (1 + 1e-9)
    if "dram_b" in p:
        assert p["dram_b"] / T <= tb.dram_bps


@pytest.mark.parametrize("model,batch,n,f", SWEEP)
def test_no_prediction_exceeds_a_physical_limit(model, batch, n, f):
    shape = ModelShape.preset(model, batch)
    p = mechanism.fuyou(shape, n, f)
    if p is not None:
        _check_limits(p, n, f)
    _check_limits(mechanism.zero_infinity(shape, n, f), n, f)


@pytest.mark.parametrize("system", ["fuyou", "zero-infinity", "zero-offload"])
@pytest.mark.parametrize("batch,n", [(1, 1), (8, 3), (32, 12), (64, 6)])
def test_des_busy_terms_within_the_iteration(system, batch, n):
    """The discrete-event model: no resource busier than the iteration, bytes within bandwidth."""
    hw = get_profile("fuyou-4090", n_ssd=n)
    p = predict(ModelShape.preset("13B", batch), hw, system)
    for r in RESOURCES:
        assert p.busy_s[r] <= p.makespan_s * (1 + 1e-9), r
    assert p.bytes["H2D"] / p.makespan_s <= hw.h2d_gbs * 1e9 * (1 + 1e-9)
    assert p.bytes["D2H"] / p.makespan_s <= hw.d2h_gbs * 1e9 * (1 + 1e-9)
    assert p.bytes["SSD"] / p.makespan_s <= max(hw.ssd_read_bps, hw.ssd_write_bps) * (1 + 1e-9)
    assert p.busy_s["GPU"] * hw.gpu_flops >= 0


def test_zero_infinity_needs_a_slow_nvme_path_for_the_papers_number():
    s = mechanism.shape_13b(16)
    zi = mechanism.zero_infinity(s, 12, FIT)
    assert zi["opt_s"] == pytest.approx(zi["opt_read_s"] + zi["opt_adam_s"] + zi["opt_write_s"])
    eff = mechanism.zero_infinity_bandwidth_for(s, 12, FIT, 45.0)
    assert 0 < eff < FIT.ssd_eff
    again = mechanism.zero_infinity(s, 12, mechanism.Fitted(FIT.gpu_eff, eff, 0.0))
    assert again["tflops"] == pytest.approx(45.0, rel=1e-6)
