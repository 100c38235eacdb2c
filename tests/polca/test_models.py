"""Phase power fit, capping model, synthetic traces."""

import numpy as np
import polars as pl
import pytest

from paperkit.polca import capping, data, phase, rowtrace


@pytest.fixture(scope="module")
def perf():
    return data.perf_model()


def test_perf_model_power_rows(perf):
    assert set(perf["hardware"]) == {"a100-80gb"}
    bloom = perf.filter((pl.col("model") == "bloom-176b") & (pl.col("batch_size") == 1)).sort("prompt_size")
    assert bloom["prompt_size"].to_list() == [128, 256, 512, 1024, 2048, 4096, 8192]
    assert bloom["peak_power"][0] == pytest.approx(0.6909, abs=1e-3)


def test_azure_counts():
    req = data.azure_requests()
    s = data.azure_summary(req)
    assert s["requests"].to_list() == [8819, 19366]
    with pytest.raises(ValueError, match="unknown Azure service"):
        data.azure_requests(("chat",))


def test_phase_fit_quality_bloom(perf):
    models = phase.fit_all(perf)
    q = phase.fit_quality(models, perf).filter(pl.col("group") == "bloom-176b TP8")
    r2 = dict(zip(q["quantity"], q["r2"]))
    assert r2["peak_power"] > 0.95 and r2["prompt_ms"] > 0.99
    m = models["bloom-176b TP8"]
    assert m.peak(8192) > m.peak(128) + 0.25      # peak rises with prompt length
    assert abs(m.mean_power(8192, 1) - 0.54) < 0.05  # mean stays low


def test_phase_fit_rejects_bad_input(perf):
    with pytest.raises(ValueError, match="one \\(model"):
        phase.fit_phase_model(perf)
    with pytest.raises(ValueError, match="needs columns"):
        phase.fit_phase_model(perf.drop("tokens"))


def test_cap_model_hits_anchors():
    m = capping.fit_cap_model()
    t = dict(zip(*capping.anchor_table(m).select("anchor", "model").to_dict(as_series=False).values()))
    assert t["C14 peak cut at 1.1 GHz"] == pytest.approx(0.20, abs=1e-6)
    assert t["C15 GPT-NeoX loss at 13% cut"] == pytest.approx(0.0, abs=1e-9)
    assert 0.03 < t["C15 BLOOM loss at 13% cut"] < 0.06
    assert m.slowdown(0.8, "prefill") > m.slowdown(0.8, "decode") > 1.0  # prefill compute-bound
    assert m.ratio_for_cut(float(m.peak_cut(0.9))) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="unknown phase"):
        m.slowdown(0.9, "verify")


def test_power_cap_ratio():
    m = capping.fit_cap_model()
    assert float(m.ratio_under_power_cap(0.5, 0.8)) == 1.0     # below the cap: untouched
    r = float(m.ratio_under_power_cap(1.0, 0.8))
    assert float(m.power(1.0, r)) == pytest.approx(0.8)


def test_row_trace_calibrated():
    cfg = rowtrace.RowTraceConfig(days=7, seed=1)
    u = rowtrace.synthetic_row_trace(cfg)
    st = rowtrace.trace_stats(u)
    assert st["peak"] == pytest.approx(0.79, abs=1e-9)
    assert st["spike40"] == pytest.approx(0.118, abs=1e-4)
    assert u.size == 7 * 86400


def test_max_rise_simple():
    u = np.r_[np.zeros(100), np.linspace(0, 1, 11), np.ones(100)]
    assert rowtrace.max_rise(u, 10) == pytest.approx(1.0)
    assert rowtrace.max_rise(u, 5) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        rowtrace.max_rise(u, 0)


def test_training_trace_calibrated():
    v = rowtrace.synthetic_training_trace(rowtrace.TrainingTraceConfig(seconds=600))
    st = rowtrace.trace_stats(v, 0.1)
    assert st["peak"] == pytest.approx(0.97) and st["spike2"] == pytest.approx(0.375)


def test_cli_fit_json_and_bad_args(capsys):
    import json as _json

    from paperkit.polca.__main__ import main

    main(["capmodel"])
    out = _json.loads(capsys.readouterr().out)
    assert out["model"]["s_neox"] == 0.0
    with pytest.raises(SystemExit) as e:
        main(["sweep", "--days", "100"])
    assert e.value.code == 2
    assert "--days" in capsys.readouterr().err
