"""Bad input gets a clear error: notebook parameters (n_ssd, model) raise ValueError naming the
parameter; the command lines exit 2 with a message naming the option, never a traceback."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paperkit.fuyou import __main__ as cli_main
from paperkit.fuyou import bench, measure, sweeps
from paperkit.fuyou.hardware import get_profile
from paperkit.fuyou.mechanism import Schedule
from paperkit.fuyou.prediction import predict
from paperkit.fuyou.shapes import PRESETS, ModelShape

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["predict", "--system", "fuyou", "--hardware", "fuyou-4090", "--params", "12.85e9",
        "--layers", "40", "--hidden", "5120", "--heads", "40", "--batch", "16"]


def _set(args: list[str], opt: str, value: str) -> list[str]:
    args = list(args)
    if opt in args:
        args[args.index(opt) + 1] = value
    else:
        args += [opt, value]
    return args




# -- notebook parameters: the functions the notebooks call ------------------------------------
def test_zero_ssds_names_n_ssd_and_range():  # 01_throughput_model, n_ssd=0
    with pytest.raises(ValueError, match=r"n_ssd must be >= 1 for fuyou.*got n_ssd=0"):
        sweeps.throughput(["fuyou-4090"], ["13B"], [8], n_ssd=0)
    hw = get_profile("fuyou-4090").with_(n_ssd=0)  # 03_schedules_ablations
    with pytest.raises(ValueError, match="n_ssd must be >= 1"):
        predict(ModelShape.preset("13B", 16), hw, "zero-infinity")
    with pytest.raises(ValueError, match="n_ssd must be >= 1"):
        sweeps.gantt(hw, "13B", 16, Schedule())


def test_zero_ssds_still_valid_for_zero_offload():
    pred = predict(ModelShape.preset("1.3B", 1), get_profile("fuyou-4090", n_ssd=0), "zero-offload")
    assert pred.n_ssd == 0 and pred.makespan_s > 0


@pytest.mark.parametrize("n", [-1, 2.5, True, "12"])
def test_bad_n_ssd_type_or_sign(n):
    with pytest.raises(ValueError, match=r"n_ssd must be an integer >= 0"):
        get_profile("fuyou-4090", n_ssd=n)


def test_unknown_model_key_lists_valid_keys():  # 03_schedules_ablations, model="unknown"
    with pytest.raises(ValueError, match="unknown model preset 'unknown'") as e:
        ModelShape.preset("unknown", 16)
    assert all(k in str(e.value) for k in PRESETS)
    with pytest.raises(ValueError, match="'unknown'"):
        sweeps.phase_shares(["fuyou-4090"], "unknown", [8])


# -- python -m paperkit.fuyou --------------------------------------------------------------
@pytest.mark.parametrize("opt, value", [
    ("--batch", "1.7"), ("--batch", "0"), ("--batch", "1e3"), ("--batch", ""), ("--batch", " 3x"),
    ("--params", "nan"), ("--params", "inf"), ("--params", "-1"), ("--layers", "40.0"),
    ("--hidden", "-5120"), ("--heads", "forty"), ("--seq", "1e3"),
    ("--ssds", "inf"), ("--ssds", "-1"), ("--ssds", "2.5"),
    ("--cpu-mem-gb", "nan"), ("--cpu-mem-gb", "0"), ("--swap-coeff", "1.5"), ("--swap-coeff", "nan"),
])
def test_predict_rejects_bad_numbers(opt, value, capsys, exit_2):
    err = exit_2(cli_main.main, _set(ARGS, opt, value))
    assert f"argument {opt}: expected " in err and repr(value) in err


def test_predict_zero_ssds(capsys, exit_2):
    err = exit_2(cli_main.main, _set(ARGS, "--ssds", "0"))
    assert "--ssds: n_ssd must be >= 1 for fuyou" in err
    err = exit_2(cli_main.main, _set(ARGS, "--hardware", "dgx-a100"))
    assert "--hardware: n_ssd must be >= 1" in err
    assert cli_main.main(_set(_set(ARGS, "--ssds", "0"), "--system", "zero-offload")) == 0


def test_predict_domain_error_is_a_message(monkeypatch, capsys, exit_2):
    def boom(*a, **k):
        raise ValueError("cpu_mem_gb must be > 0, got -1")
    monkeypatch.setattr(cli_main, "predict", boom)
    err = exit_2(cli_main.main, ARGS)
    assert err.strip() == "error: cpu_mem_gb must be > 0, got -1"


@pytest.mark.parametrize("value", ["0", "1.5", "nan"])
def test_profile_cpu_rejects_bad_mb(value, tmp_path, monkeypatch, capsys, exit_2):
    monkeypatch.setattr(measure, "write_cpu_profile", lambda *a, **k: pytest.fail("measured"))
    err = exit_2(cli_main.main, ["profile-cpu", "--out", str(tmp_path), "--mb", value])
    assert "argument --mb: expected an integer >= 1" in err


def test_module_bad_number_no_traceback():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "paperkit.fuyou"] + _set(ARGS, "--batch", "1.7"),
                       capture_output=True, text=True, env=env, cwd=ROOT)
    assert p.returncode == 2 and p.stdout == ""
    assert "argument --batch: expected an integer >= 1, got '1.7'" in p.stderr
    assert "Traceback" not in p.stderr


# -- python -m paperkit.fuyou.measure, python -m paperkit.fuyou.bench ----------------------
@pytest.mark.parametrize("opt, value", [("--budget-s", "nan"), ("--budget-s", "0"), ("--steps", "0"),
                                        ("--steps", "1.5"), ("--disk-mbps", "-1"), ("--disk-mbps", "inf"),
                                        ("--device", "gpu"), ("--device", "")])
def test_measure_rejects_bad_values(opt, value, tmp_path, monkeypatch, capsys, exit_2):
    monkeypatch.setattr(measure, "campaign", lambda *a, **k: pytest.fail("ran the campaign"))
    monkeypatch.setattr(measure, "record_timelines", lambda *a, **k: pytest.fail("ran the engine"))
    err = exit_2(measure.main, ["--machine", "x", "--out", str(tmp_path), "--timeline", opt, value])
    assert f"argument {opt}: expected " in err


@pytest.mark.skipif(measure.torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_measure_timeline_cuda_without_gpu(tmp_path, monkeypatch, capsys, exit_2):
    monkeypatch.setattr(measure, "record_timelines", lambda *a, **k: pytest.fail("ran the engine"))
    err = exit_2(measure.main, ["--machine", "x", "--out", str(tmp_path), "--timeline", "--device", "cuda"])
    assert "argument --device: 'cuda': no CUDA device is available here" in err


def test_bench_rejects_arguments(monkeypatch, capsys, exit_2):
    monkeypatch.setattr(bench, "run", lambda: pytest.fail("ran the benchmark"))
    err = exit_2(bench.main, ["--scale", "2"])
    assert "unrecognized arguments: --scale 2" in err
