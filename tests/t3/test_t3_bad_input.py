"""Bad input gets a clear error: the T3 command lines exit 2 naming the option (no traceback), and
the notebook parameters (hardware, tokens, other_frac) raise ValueError naming the parameter."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paperkit.t3 import __main__ as t3_main
from paperkit.t3 import bench, calibrate
from paperkit.t3 import model as t3_model
from paperkit.t3.analysis import layer_breakdown
from paperkit.t3.hardware import load_profile, profile_names
from paperkit.t3.params import default_params
from paperkit.t3.workloads import workload_set

ROOT = Path(__file__).resolve().parents[2]
SIM = ["simulate", "--model", "t-nlg", "--tp", "8", "--sublayer", "fc2", "--config", "t3"]


def _set(args: list[str], opt: str, *values: str) -> list[str]:
    args = list(args)
    if opt in args:
        i = args.index(opt)
        args[i + 1:i + 2] = list(values)
    else:
        args += [opt, *values]
    return args




# -- notebook parameters ------------------------------------------------------------------
def test_notebook_parameters_raise_named_value_errors():
    with pytest.raises(ValueError, match="unknown hardware profile 'unknown'") as e:
        load_profile("unknown")
    assert all(name in str(e.value) for name in profile_names())
    with pytest.raises(ValueError, match="tokens must be >= 1, got 0"):
        workload_set("main", 0)
    with pytest.raises(ValueError, match=r"other_frac must be in \[0, 1\)"):
        layer_breakdown("t-nlg", 8, 8192, load_profile(), default_params(), "train", 1.0)


# -- python -m paperkit.t3 simulate --------------------------------------------------------
@pytest.mark.parametrize("opt, value", [
    ("--tp", "1.7"), ("--tp", ""), ("--tp", "8x"), ("--tp", "0"), ("--tokens", "1e3"), ("--tokens", "0"),
    ("--tokens", "-8192"), ("--cu-split", "-1"), ("--cu-split", "16.0"),
    ("--llc-mb", "nan"), ("--llc-mb", "0"), ("--link-gbps", "inf"), ("--link-gbps", "-450"),
])
def test_simulate_rejects_bad_numbers(opt, value, capsys, exit_2):
    err = exit_2(t3_main.main, _set(SIM, opt, value))
    assert f"argument {opt}: expected " in err and repr(value) in err


def test_simulate_domain_errors_name_the_option(capsys, exit_2):
    assert "tp must be >= 2" in exit_2(t3_main.main, _set(SIM, "--tp", "1"))
    assert "--cu-split 1000 must be below" in exit_2(
        t3_main.main, SIM + ["--config", "sw-split", "--cu-split", "1000"])


def test_simulate_package_value_error_is_a_message(monkeypatch, capsys, exit_2):
    def boom(*a, **k):
        raise ValueError("unknown config 'x'; choose one of [...]")
    monkeypatch.setattr(t3_model, "simulate", boom)
    err = exit_2(t3_main.main, SIM)
    assert err.strip() == "error: unknown config 'x'; choose one of [...]"


def test_module_bad_tokens_no_traceback():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "paperkit.t3"] + _set(SIM, "--tokens", "1e3"),
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert p.returncode == 2 and p.stdout == ""
    assert "argument --tokens: expected an integer >= 1, got '1e3'" in p.stderr
    assert "Traceback" not in p.stderr


# -- python -m paperkit.t3.calibrate, python -m paperkit.t3.bench --------------------------
@pytest.mark.parametrize("args, opt", [
    (["--scale", "0"], "--scale"), (["--scale", "1.5"], "--scale"), (["--scale", "nan"], "--scale"),
    (["--reps", "-1"], "--reps"), (["--reps", "0"], "--reps"), (["--reps", "2.5"], "--reps"),
    (["--warmup", "-1"], "--warmup"), (["--tokens", "0"], "--tokens"), (["--tokens", "2048", "1e3"], "--tokens"),
    (["--device", "gpu"], "--device"),
])
def test_calibrate_rejects_bad_values(args, opt, tmp_path, monkeypatch, capsys, exit_2):
    monkeypatch.setattr(calibrate, "run_campaign", lambda *a, **k: pytest.fail("ran the campaign"))
    err = exit_2(calibrate.main, ["--out", str(tmp_path), *args])
    assert f"argument {opt}: " in err


def test_calibrate_scale_message_names_the_range(tmp_path, monkeypatch, capsys, exit_2):
    monkeypatch.setattr(calibrate, "run_campaign", lambda *a, **k: pytest.fail("ran the campaign"))
    err = exit_2(calibrate.main, ["--out", str(tmp_path), "--scale", "0"])
    assert "argument --scale: expected a number in (0, 1], got '0'" in err


def test_calibrate_package_value_error_is_a_message(tmp_path, monkeypatch, capsys, exit_2):
    def boom(*a, **k):
        raise ValueError("reps must be >= 1, got 0")
    monkeypatch.setattr(calibrate, "run_campaign", boom)
    err = exit_2(calibrate.main, ["--out", str(tmp_path)])
    assert err.strip() == "error: reps must be >= 1, got 0"


def test_bench_rejects_arguments(monkeypatch, capsys, exit_2):
    monkeypatch.setattr(bench, "figure_sweep", lambda: pytest.fail("ran the benchmark"))
    err = exit_2(bench.main, ["--reps", "3"])
    assert "unrecognized arguments: --reps 3" in err
