"""Bad input gets a clear error: notebook parameters (model_key, f_min_mhz, days, lp_share, seed)
raise ValueError naming the parameter; the POLCA command lines exit 2 naming the option."""
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paperkit.polca import __main__ as polca_main
from paperkit.polca import bench, capping, data, harness, phase
from paperkit.polca import row as R

ROOT = Path(__file__).resolve().parents[2]




# -- notebook parameters ------------------------------------------------------------------
def test_unknown_model_key_lists_the_valid_keys():  # 01_characterisation: models[model_key]
    models = phase.fit_all(data.perf_model())
    assert models["bloom-176b TP8"] is not None and "unknown" not in models
    with pytest.raises(ValueError, match=r"unknown model_key 'unknown'; choose one of \[") as e:
        models["unknown"]
    assert isinstance(e.value, KeyError)  # dict semantics kept for callers catching KeyError
    assert all(k in str(e.value) for k in models)
    assert models.get("unknown") is None


def test_phase_models_missing_key_without_data():
    m = phase.PhaseModels({"a TP1": 1})
    with pytest.raises(KeyError, match=r"unknown model_key 'b'; choose one of \['a TP1'\]"):
        m["b"]


@pytest.mark.parametrize("f", [0.0, -5.0, capping.A100_FMAX_MHZ, 2000.0, math.nan])
def test_f_min_mhz_out_of_range(f):  # 02_capping
    with pytest.raises(ValueError, match=r"f_min_mhz must be in \(0, 1410\) MHz"):
        capping.fit_cap_model(capping.CapAnchors(f_min_mhz=f))


@pytest.mark.parametrize("kw, name", [(dict(days=0.0), "days"), (dict(days=-1.0), "days"),
                                      (dict(days=math.inf), "days"), (dict(days=math.nan), "days"),
                                      (dict(lp_share=1.5), "lp_share"), (dict(lp_share=math.nan), "lp_share"),
                                      (dict(seed=-1), "seed"), (dict(seed=0.5), "seed"),
                                      (dict(trace_seed=-3), "trace_seed")])
def test_row_config_names_the_parameter(kw, name):  # 03/04: days, lp_share, seed
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        R.RowConfig(**kw)


# -- python -m paperkit.polca ----------------------------------------------------------------
@pytest.mark.parametrize("opt, value, expected", [
    ("--days", "inf", "[0.0416667, 42]"), ("--days", "nan", "[0.0416667, 42]"), ("--days", "0", "[0.0416667, 42]"),
    ("--days", "100", "[0.0416667, 42]"), ("--days", "", "[0.0416667, 42]"), ("--days", "2d", "[0.0416667, 42]"),
    ("--lp-share", "1.5", "[0, 1]"), ("--lp-share", "-0.1", "[0, 1]"), ("--lp-share", "nan", "[0, 1]"),
])
def test_sweep_rejects_bad_numbers(opt, value, expected, monkeypatch, capsys, exit_2):
    monkeypatch.setattr(R, "build", lambda *a, **k: pytest.fail("ran the sweep"))
    err = exit_2(polca_main.main, ["sweep", opt, value])
    assert f"argument {opt}: expected a number in {expected}, got {value!r}" in err


def test_package_value_error_is_a_message(monkeypatch, capsys, exit_2):
    def boom(cfg):
        raise ValueError("days must be within [1/24, 42], got 0")
    monkeypatch.setattr(R, "build", boom)
    err = exit_2(polca_main.main, ["sweep"])
    assert err.strip() == "error: days must be within [1/24, 42], got 0"


def test_module_bad_days_no_traceback():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "paperkit.polca", "sweep", "--days", "inf"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert p.returncode == 2 and p.stdout == ""
    assert "argument --days: expected a number in" in p.stderr and "got 'inf'" in p.stderr
    assert "Traceback" not in p.stderr


# -- python -m paperkit.polca.bench, python -m paperkit.polca.harness ------------------------
@pytest.mark.parametrize("opt, value", [("--days", "inf"), ("--days", "-1"), ("--days", "43"),
                                        ("--days", ""), ("--jobs", "0"), ("--jobs", "1e9"),
                                        ("--jobs", "2; rm -rf /"), ("--seeds", "nan")])
def test_bench_rejects_bad_values(opt, value, monkeypatch, capsys, exit_2):
    monkeypatch.setattr(R, "models", lambda *a, **k: pytest.fail("ran the benchmark"))
    err = exit_2(bench.main, [opt, value])
    assert f"argument {opt}: expected " in err and repr(value) in err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "9 min"])
def test_harness_rejects_bad_budget(value, tmp_path, monkeypatch, capsys, exit_2):
    monkeypatch.setattr(harness, "campaign", lambda *a, **k: pytest.fail("ran the campaign"))
    err = exit_2(harness.main, ["--out", str(tmp_path), "--budget-s", value])
    assert f"argument --budget-s: expected a number > 0, got {value!r}" in err
