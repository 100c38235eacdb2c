"""Calibration fit, CLI, analysis helpers and the benchmark."""
import json
import subprocess
import sys

import polars as pl
import pytest

from paperkit.claims import load_claims
from paperkit.t3 import analysis
from paperkit.t3.fit import fit_contention, mca_summary
from paperkit.t3.hardware import load_profile
from paperkit.t3.model import sweep
from paperkit.t3.params import ModelParams, default_params, load_fitted
from paperkit.t3.workloads import workload_set

HW = load_profile()
P = default_params()


def test_committed_fit_hits_headline_targets():
    """C1/C2 are fit targets: the committed parameters must reproduce them (flagged 'calibration')."""
    c = load_claims("t3")
    gm, mx = mca_summary(P, HW)
    # one parameter for two targets: 1% each
    assert gm == pytest.approx(c["C1"].value, rel=0.015)
    assert mx == pytest.approx(c["C2"].value, rel=0.015)


def test_fit_is_deterministic_and_matches_committed_values():
    v = fit_contention(base=ModelParams())
    committed = load_fitted()
    assert v["interleave_run"] == pytest.approx(committed["interleave_run"], rel=1e-3)
    assert v["loss"] < 1e-3


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "paperkit.t3", *args], capture_output=True, text=True,
                          timeout=60)


def test_cli_simulate_json():
    r = _cli("simulate", "--model", "t-nlg", "--tp", "8", "--sublayer", "fc2", "--config", "t3-mca")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"time_s", "speedup_vs_sequential", "dram_bytes", "hardware"} <= set(out)
    assert set(out["dram_bytes"]) == {"gemm_read", "gemm_write", "rs_read", "rs_write", "rs_update", "ag_read",
                                      "ag_write"}
    assert out["tracker_peak_tiles"] <= 256
    assert out["hardware"] == "t3-table1" and out["speedup_vs_sequential"] > 1


def test_cli_bad_arguments_exit_2():
    r = _cli("simulate", "--model", "bert", "--tp", "8", "--sublayer", "fc2", "--config", "t3")
    assert r.returncode == 2 and "bert" in r.stderr
    r = _cli("simulate", "--model", "t-nlg", "--tp", "0", "--sublayer", "fc2", "--config", "t3")
    assert r.returncode == 2 and "--tp" in r.stderr
    r = _cli("simulate", "--model", "t-nlg", "--tp", "1", "--sublayer", "fc2", "--config", "t3")
    assert r.returncode == 2 and "tp must be" in r.stderr


def test_analysis_summaries():
    s = sweep(workload_set("main"), ("sequential", "t3", "t3-mca"), HW, P)
    summ = analysis.speedup_summary(s)
    assert summ["config"].to_list() == ["sequential", "t3", "t3-mca"]
    assert summ.filter(pl.col("config") == "sequential")["geomean"][0] == pytest.approx(1.0)
    red = analysis.byte_reduction(s)
    assert red.height == 16 and red["reduction"].is_between(0, 1).all()
    e2e = analysis.end_to_end(s, HW, P, ("sequential", "t3-mca"))
    assert e2e.filter(pl.col("config") == "sequential")["speedup"].to_list() == pytest.approx([1.0] * 8)
    # Amdahl: speedup_e2e = 1/((1-f) + f/s_sub) bounds
    t3 = e2e.filter(pl.col("config") == "t3-mca")
    assert (t3["speedup"] > 1).all() and (t3["speedup"] < 1 / (1 - t3["ar_fraction"])).all()
    with pytest.raises(ValueError, match="phase"):
        analysis.layer_breakdown("t-nlg", 8, 8192, HW, P, phase="decode")


def test_comm_share_grows_with_faster_gemm():
    a = analysis.comm_share(["t-nlg"], 8192, HW, P)
    b = analysis.comm_share(["t-nlg"], 8192, HW, P, gemm_speed=2.0)
    assert (b["comm"] > a["comm"]).all() and (a["comm"] < 1).all()


def test_bench_sweep_fast():
    import time

    from paperkit.t3.bench import figure_sweep
    t0 = time.perf_counter()
    assert figure_sweep()["points"] > 500
    assert time.perf_counter() - t0 < 10


def test_cli_measured_needs_file_and_sizes(tmp_path):
    r = _cli("simulate", "--model", "t-nlg", "--tp", "8", "--sublayer", "op", "--config", "t3",
             "--measured", str(tmp_path / "t3_x.parquet"))
    assert r.returncode == 2 and "--llc-mb" in r.stderr
    r = _cli("simulate", "--model", "t-nlg", "--tp", "8", "--sublayer", "op", "--config", "t3",
             "--measured", str(tmp_path / "t3_x.parquet"), "--llc-mb", "50", "--link-gbps", "450")
    assert r.returncode == 2 and "no calibration file" in r.stderr


def test_cu_split_and_sensitivity_frames():
    ws = workload_set("main")[:4]
    f = analysis.cu_split_frame(ws, (8, 16), HW, P)
    assert f.height == 4 * 3 and set(f["series"]) == {"ideal overlap", "RS on 8 CUs", "RS on 16 CUs"}
    sens = analysis.sensitivity("link_gbps", [75.0, 150.0], HW, P, 8192, configs=("ideal",))
    assert sens.height == 2
    base = sens.filter(pl.col("value") == 75.0)["geomean"][0]
    assert base == pytest.approx(analysis.speedup_summary(sweep(workload_set("main"), ("sequential", "ideal"), HW, P))
                                 .filter(pl.col("config") == "ideal")["geomean"][0])
    with pytest.raises(ValueError, match="knob"):
        analysis.sensitivity("dram", [1.0], HW, P, 8192)


def test_shape_checks_can_fail():
    s = sweep(workload_set("main"), ("sequential", "ideal", "ideal-nmc", "t3", "t3-mca"), HW, P)
    assert analysis.breakdown_shape_holds(s) == 1.0
    assert analysis.breakdown_shape_holds(s, config="ideal") == 0.0   # no byte saving without T3's data path
    c6 = analysis.contention_shape_holds(s)
    assert c6["loss_fc2"] > 0.05 and c6["loss_fc2"] > c6["loss_op"]
    ample = sweep(workload_set("main"), ("ideal", "ideal-nmc", "t3"), HW.replace(dram_gbps=1e5), P)
    assert analysis.contention_shape_holds(ample)["holds"] == 0.0   # no contention: no FC loss


def test_parameter_table_lists_fitted():
    t = analysis.parameter_table(HW, P)
    fitted = t.filter(pl.col("status").str.starts_with("fitted"))["parameter"].to_list()
    assert fitted == ["interleave_run"]


def test_calibration_status(tmp_path):
    from paperkit.t3.measured import calibration_status
    assert calibration_status(tmp_path).startswith("GPU campaign not yet run")
    (tmp_path / "t3_h100.parquet").write_bytes(b"")
    assert "t3_h100.parquet" in calibration_status(tmp_path)
