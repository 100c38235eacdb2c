"""NVML sampler and random-weight harness at toy size on the CPU."""

import json

import polars as pl
import pytest
import torch

from paperkit.polca import harness, sampler


def test_sampler_without_nvml_records_nothing_and_says_so(tmp_path):
    with sampler.PowerSampler(hz=50) as s:
        s.phase("prefill")
        s.phase("decode")
    if not s.recording:
        assert s.status.startswith(("no-nvml", "no-gpu"))
        assert s.frame().height == 0
    assert s.frame().schema == pl.Schema(sampler.SCHEMA)
    assert s.phases()["phase"].to_list() == ["idle", "prefill", "decode"]
    out = s.write(tmp_path / "p.parquet")
    assert pl.read_parquet(out).columns == list(sampler.SCHEMA)
    with pytest.raises(ValueError, match=">= 20 Hz"):
        sampler.PowerSampler(hz=5)


@pytest.mark.parametrize("name", sorted(harness.ARCHS))
def test_models_random_not_zero(name):
    arch = harness.ARCHS[name].toy()
    m = harness.build_model(arch)
    ws = [p for p in m.parameters() if p.ndim == 2]
    assert all(float(w.detach().abs().mean()) > 1e-3 for w in ws)
    assert float(ws[0].detach().std()) == pytest.approx(0.02, rel=0.2)


def test_infer_shapes_and_phases():
    arch = harness.ARCHS["gpt-neox-20b"].toy()
    m = harness.build_model(arch).eval()
    s = sampler.PowerSampler()
    rows = harness.infer(m, arch, prompt=8, batch=2, out_tokens=3, device="cpu", sampler=s, tag="t")
    assert [r["phase"] for r in rows] == ["prefill", "decode"]
    assert s.phases()["phase"].to_list()[-3:] == ["prefill|t", "decode|t", "idle"]


def test_truncated_bloom_keeps_width():
    a = harness.ARCHS["bloom-176b"].truncated(12)
    assert a.hidden == 14336 and a.layers == 12 and a.name == "bloom-176b-L12"
    with pytest.raises(ValueError):
        harness.ARCHS["bloom-176b"].truncated(0)


def test_campaign_toy(tmp_path):
    prov = harness.campaign(tmp_path, harness.CampaignConfig.tiny())
    runs = pl.read_parquet(tmp_path / "runs.parquet")
    assert set(runs["phase"]) == {"prefill", "decode", "train-step"}
    assert set(runs["model"]) >= {"gpt-neox-20b", "flan-t5-xxl", "roberta-large", "bloom-176b-L12"}
    from paperkit import measured
    for name in ("runs", "power"):
        doc = measured.read_provenance(tmp_path / f"{name}.provenance.json")  # the one schema
        assert doc["extra"]["toy"] is True and doc["machine"] == tmp_path.name
        assert doc["files"] == {f"{name}.parquet": measured.sha256(tmp_path / f"{name}.parquet")}
    assert not (tmp_path / "provenance.json").exists()
    if not torch.cuda.is_available():
        assert prov["samples"] == 0 and "nothing recorded" in prov["sampler_status"]


def test_e0_table():
    t = harness.e0_table()
    assert t.height == 5 and t["model"][0] == "roberta-large"


def test_summarise_fake_samples():
    """summarise() on a hand-made sample frame (a test fixture, not measured data)."""
    phases = pl.DataFrame({"t_s": [0.0, 1.0, 1.5, 3.0, 4.0],
                           "phase": ["idle", "prefill|m|p8|b1|o4", "decode|m|p8|b1|o4", "idle", "end"]})
    t = [0.5, 1.1, 1.2, 1.6, 2.0, 2.5, 3.5]
    w = [60.0, 400.0, 380.0, 250.0, 250.0, 260.0, 60.0]
    power = pl.DataFrame({"t_s": t, "gpu": [0] * 7, "power_inst_w": w})
    runs = pl.DataFrame({"model": ["m", "m"], "prompt": [8, 8], "batch": [1, 1], "out": [4, 4], "step": [-1, -1],
                         "phase": ["prefill", "decode"], "ms": [500.0, 1500.0], "tokens": [4, 4]})
    s = harness.summarise(runs, power, phases, tdp_w=400.0)
    assert s.height == 1
    assert s["peak_power"][0] == pytest.approx(1.0)
    assert s["average_power"][0] == pytest.approx(sum(w[1:6]) / 5 / 400.0)
    assert s["prompt_ms"][0] == 500.0 and s["token_ms"][0] == 375.0
    assert harness.summarise(runs, power.clear(), phases, 400.0).height == 0
    with pytest.raises(ValueError, match="tdp_w"):
        harness.summarise(runs, power, phases, 0.0)
