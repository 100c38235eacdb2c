"""The one model against the authors' data: the fit, its validation, and the shape of the sweep
(small batches I/O-bound at many SSDs, the largest batches fit, 175B, ZeRO-Infinity)."""
import shutil
from functools import lru_cache

import pytest

from paperkit import registry
from paperkit.fuyou import data, fitting, sweeps
from paperkit.fuyou.hardware import get_profile
from paperkit.fuyou.mechanism import DEEPSPEED, RESOURCES, Schedule, attention_hbm_s, rates
from paperkit.fuyou.prediction import predict
from paperkit.fuyou.shapes import ModelShape



@lru_cache(maxsize=1)
def points():
    """The authors' sweep, read on first use (not at collection: a polars query at import starts
    its thread pool, and ``make mutants`` forks its workers from a process that collected)."""
    return data.artifact_sweep()

HW = get_profile("fuyou-4090")


def test_artifact_sweep_is_the_authors_13_points():
    assert points().height == 13
    assert sorted(set(points()["batch"].to_list())) == [32, 48, 64]
    assert points().filter(batch=48)["ssds"].to_list() == [1, 2, 3, 6, 12]
    assert (points()["tflops"] > 0).all()


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


def test_fit_on_batch_48_held_out_error_and_profile_carries_the_fit():
    fitted, frame = fitting.validate(points(), 48)
    lo, hi = fitting.BOUNDS
    assert all(lo[i] <= v <= hi[i] for i, v in enumerate(vars(fitted).values()))
    assert frame.filter(role="fit").height == 5 and frame.filter(role="held out").height == 8
    assert fitting.mean_abs_err(frame.filter(role="fit")) < 0.05
    assert fitting.mean_abs_err(frame.filter(role="held out")) < 0.15
    assert frame["model_tflops"].null_count() == 0  # every measured batch fits on 24 GB
    on_file = fitting.Fitted.of(HW)
    for k, v in vars(fitted).items():
        assert getattr(on_file, k) == pytest.approx(v, abs=0.01), k


def test_fit_needs_three_points():
    with pytest.raises(ValueError, match="at least 3"):
        fitting.fit(points().head(2))


def test_the_array_is_capped_by_its_host_link():
    """12 x 6.5 GB/s = 78 GB/s of drives behind one PCIe 4.0 x16 (31.5 GB/s): capped; 3 drives
    (19.5 / 10.2 GB/s) are not."""
    e = HW.ssd_raid_efficiency
    assert rates(HW)["rd"] == pytest.approx(31.5e9 * e)
    assert rates(HW)["wr"] == pytest.approx(31.5e9 * e)
    three = rates(HW.with_(n_ssd=3))
    assert three["rd"] == pytest.approx(19.5e9 * e) and three["wr"] == pytest.approx(10.2e9 * e)


def test_small_batches_at_twelve_ssds_are_io_bound():
    s = ModelShape.preset("13B", batch=8)
    p = predict(s, HW, "fuyou")
    assert p.busy_s["SSD"] > p.busy_s["GPU"]
    # SSD time per iteration: 16P read + 14P written at the host ceiling (the last sub-group's
    # share runs after backward, but is counted once)
    assert p.busy_s["SSD"] == pytest.approx(30 * s.params / rates(HW)["rd"])


def test_largest_batches_fit_and_175b_at_32_does_not():
    for b in (64, 96):
        assert predict(ModelShape.preset("13B", b), HW, "fuyou").fits, b
    assert not predict(ModelShape.preset("13B", 128), HW, "fuyou").fits
    for b in (8, 16):
        assert predict(ModelShape.preset("175B", b), HW, "fuyou").fits, b
    p = predict(ModelShape.preset("175B", 32), HW, "fuyou")
    assert not p.fits and p.reason.startswith("GPU")


def test_175b_writes_about_2p4_tb_per_iteration_and_wear():
    s = ModelShape.preset("175B", 8)
    p = predict(s, HW, "fuyou")
    assert p.ssd_write_b == pytest.approx(14 * s.params, rel=0.01)
    assert 2.3e12 < p.ssd_write_b < 2.5e12
    assert p.ssd_life_iterations == pytest.approx(12 * 7008e12 / p.ssd_write_b)
    assert p.ssd_life_tokens == pytest.approx(p.ssd_life_iterations * 8 * 1024)


def test_zero_infinity_from_deepspeed_defaults():
    assert DEEPSPEED["aio_queue_depth"] == 8 and DEEPSPEED["aio_block_size"] == 1048576
    assert DEEPSPEED["sub_group_size"] == 1e9 and not DEEPSPEED["cpu_checkpointing"]
    s16 = ModelShape.preset("13B", 16)
    zi = predict(s16, HW, "zero-infinity")
    assert zi.fits and zi.credit_not_executed == 0.0  # full recompute: the credit is executed
    assert not predict(ModelShape.preset("13B", 32), HW, "zero-infinity").fits
    # its SSD traffic includes fp32 gradients out and back in: 20P read, 18P written
    assert zi.bytes["SSD"] == pytest.approx(38 * s16.params)
    fy = predict(s16, HW, "fuyou")
    assert fy.tflops > zi.tflops and fy.credit_not_executed > 0.1


@pytest.mark.parametrize("system", ["fuyou", "zero-infinity", "zero-offload", "colossal-ai"])
@pytest.mark.parametrize("batch,n", [(1, 1), (8, 3), (16, 12)])
def test_busy_terms_within_the_iteration(system, batch, n):
    hw = HW.with_(n_ssd=n, gpu_mem_gb=80.0)
    p = predict(ModelShape.preset("6.7B", batch), hw, system)
    assert p.fits
    for r in RESOURCES:
        assert p.busy_s[r] <= p.iteration_s * (1 + 1e-9), r
    gemm_s = p.executed_tflops * 1e12 * p.iteration_s / hw.gpu_flops
    s = ModelShape.preset("6.7B", batch)
    extra = 0.0 if system == "fuyou" else attention_hbm_s(s, hw)  # no flash attention
    assert p.busy_s["GPU"] == pytest.approx(gemm_s + extra)


def test_attention_without_flash_by_hand():
    s = ModelShape.preset("13B", 16)  # a=40, s=1024, 40 layers
    per_pass = 2 * 5 * 40 * 1024**2 * 16  # scores, softmax, dropout mask written and read
    assert attention_hbm_s(s, HW) == pytest.approx(4 * 40 * per_pass / 1008e9)


def test_gradient_accumulation_amortizes_the_optimizer():
    s = ModelShape.preset("13B", 8)
    one = predict(s, HW, "fuyou")
    four = predict(s, HW, Schedule(grad_accum=4))
    # four micro-batches per step: 4x the tokens, the SSD array written once per step
    assert four.ssd_write_b == pytest.approx(one.ssd_write_b)
    assert four.ssd_life_tokens == pytest.approx(4 * one.ssd_life_tokens)
    assert four.tokens_per_s > one.tokens_per_s  # the optimizer's SSD traffic is amortized
    assert four.iteration_s < 4 * one.iteration_s
    zi = predict(s, HW, Schedule.named("zero-infinity", grad_accum=4))
    assert zi.tflops > predict(s, HW, "zero-infinity").tflops


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, 10**6])
def test_grad_accum_must_be_a_sane_integer(bad):
    with pytest.raises(ValueError, match="grad_accum must be an integer"):
        Schedule(grad_accum=bad)


def test_what_if_knobs_and_profiles():

    f = sweeps.what_if(["fuyou-4090", "rtx5090-pcie5"], "13B", [8, 16, 32, 64], "n_ssd", [6, 12])
    fy = f.filter(system="fuyou")
    assert fy["fits"].all() and (fy["ssd_write_tb"] > 0.17).all()
    b4090 = fy.filter(hardware="fuyou-4090", value=12)["tflops"][0]
    assert fy.filter(hardware="rtx5090-pcie5", value=12)["tflops"][0] > b4090
    with pytest.raises(ValueError, match="knob must be"):
        sweeps.what_if(["fuyou-4090"], "13B", [8], "link_gbps; rm -rf /", [1])
