"""The committed H200 measurement: provenance, per-phase levels, the fitted phase model."""


import numpy as np
import pytest

from paperkit import measured, paths
from paperkit.polca import compute, measure
from paperkit.polca import row as R


def test_h200_files_have_valid_provenance():
    for name in measure.H200_FILES:
        f = measured.path(f"{measure.H200_DIR}/{name}")
        doc = measured.read_provenance(measured.provenance_file(f))
        assert doc["driver"] == "580.159.04" and doc["software"]["torch"] == "2.11.0+cu130"
        assert doc["date"] == "2026-11-28" and doc["files"][name] == measured.sha256(f)


def test_phase_levels_show_prefill_spike_above_decode_plateau():
    lv = measure.h200_phase_levels()
    get = dict(zip(lv["phase"], lv["median_tdp"]))
    assert get["idle"] < 0.25
    pre = [v for k, v in get.items() if "prefill" in k]
    dec = [v for k, v in get.items() if "decode" in k]
    assert min(pre) > max(dec)  # prefill plateau above every decode plateau
    assert (lv["max_tdp"] >= lv["median_tdp"]).all()


def test_fitted_h200_phase_model():
    pm = R.h200_phase_model()
    assert pm.tdp_w == 700.0 and 0.9 < pm.p_sat < 1.1 and 0.8 < pm.kappa <= 1.0
    assert pm.d_1 > 0  # decode power rises with batch on the H200
    lv = measure.h200_phase_levels()
    b32 = float(lv.filter(lv["phase"].str.contains("decode_b32"))["median_tdp"][0])
    assert float(pm.decode_level(32)) == pytest.approx(b32, abs=0.1)
    assert float(pm.prefill_ms(2048)) == pytest.approx(2048 / measure.h200_results()["prefill_b1_tokens_per_s"]
                                                       * 1000, abs=30)


def test_scaled_policy_keeps_clock_fractions():
    pol = compute.scaled_policy(1980.0)
    base = compute.Policy()
    assert pol.fmax_mhz == 1980.0
    got, want = pol.ctl().stages(), base.ctl().stages()
    assert [v for c in got for v in (c.lp, c.hp)] == pytest.approx([v for c in want for v in (c.lp, c.hp)])
    assert pol.brake_mhz / 1980 == pytest.approx(base.brake_mhz / 1410)
    assert pol.ctl().stages()[3].hp == pytest.approx(1305 / 1410)


def test_phase_comparison_has_both_gpus():
    from paperkit.polca import data

    pm = R.models()[0]
    comp = compute.phase_comparison(measure.h200_phase_levels(), data.perf_model(), pm)
    assert set(comp["gpu"]) == {"H200 (measured, 7B-shaped)", "A100 (public, BLOOM-176B TP8)"}
    assert comp.equals(comp.sort(["phase", "gpu", "stat", "batch"]))


def test_readme_holds_the_figure_index():
    from paperkit import figures

    readme = (paths.ROOT / "notebooks" / "polca" / "README.md").read_text(encoding="utf-8")
    assert figures.index_markdown("polca") in readme
    index = figures.load_index("polca")
    assert all(e.notebook.startswith("0") for e in index.values())
    for name, e in index.items():  # every figure names a notebook that exists and saves it
        nb = paths.ROOT / "notebooks" / "polca" / f"{e.notebook}.ipynb"
        assert nb.is_file() and f'"{name}"' in nb.read_text(encoding="utf-8").replace('\\"', '"'), name
