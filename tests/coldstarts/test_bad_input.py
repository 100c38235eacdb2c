"""Bad input gets a clear error: the cold-start command lines exit 2 naming the option, never a
traceback (``python -m paperkit.coldstarts generate``, ``python -m paperkit.coldstarts.bench``)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paperkit.coldstarts import __main__ as cs_main
from paperkit.coldstarts import bench, generate

ROOT = Path(__file__).resolve().parents[2]




@pytest.fixture
def no_generate(monkeypatch):
    monkeypatch.setattr(generate, "generate_trace", lambda *a, **k: pytest.fail("generated a trace"))


@pytest.mark.parametrize("opt, value, expected", [
    ("--scale", "0", "a number in (0, 10]"), ("--scale", "11", "a number in (0, 10]"),
    ("--scale", "nan", "a number in (0, 10]"), ("--scale", "inf", "a number in (0, 10]"),
    ("--scale", "", "a number in (0, 10]"), ("--scale", "1%", "a number in (0, 10]"),
    ("--seed", "-1", "an integer >= 0"), ("--seed", "1.5", "an integer >= 0"), ("--seed", "1e3", "an integer >= 0"),
    ("--days", "0", "an integer in 1..31"), ("--days", "32", "an integer in 1..31"),
    ("--days", "1.7", "an integer in 1..31"), ("--days", " 3x", "an integer in 1..31"),
    ("--functions", "0", "a number in (0, 1]"), ("--functions", "1.5", "a number in (0, 1]"),
    ("--functions", "nan", "a number in (0, 1]"),
])
def test_generate_rejects_bad_numbers(opt, value, expected, tmp_path, no_generate, capsys, exit_2):
    err = exit_2(cs_main.main, ["generate", str(tmp_path / "g"), opt, value])
    assert f"argument {opt}: expected {expected}, got {value!r}" in err


def test_generate_unknown_region_is_a_message(tmp_path, capsys, exit_2):
    err = exit_2(cs_main.main, ["generate", str(tmp_path / "g"), "--regions", "R1,R9"])
    assert "--regions: unknown 'R9' in 'R1,R9'; choose from R1, R2, R3, R4, R5" in err
    assert not (tmp_path / "g").exists()


def test_package_key_error_is_a_message(tmp_path, monkeypatch, capsys, exit_2):
    def boom(*a, **k):
        raise KeyError("R9")
    monkeypatch.setattr(generate, "generate_trace", boom)
    err = exit_2(cs_main.main, ["generate", str(tmp_path / "g")])
    assert err.strip() == "error: unknown key 'R9'"


def test_module_bad_days_no_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "paperkit.coldstarts", "generate", str(tmp_path / "g"),
                        "--days", "1.7"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert p.returncode == 2 and p.stdout == ""
    assert "argument --days: expected an integer in 1..31, got '1.7'" in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "g").exists()


@pytest.mark.parametrize("opt, value", [("--scale", "0"), ("--scale", "nan"), ("--scale", "10.5"),
                                        ("--seed", "-1"), ("--seed", ""), ("--seed", "0.5")])
def test_bench_rejects_bad_values(opt, value, tmp_path, monkeypatch, capsys, exit_2):
    monkeypatch.setattr(bench, "_run_step_child", lambda *a, **k: pytest.fail("ran a step"))
    monkeypatch.setattr(bench, "_run_step_here", lambda *a, **k: pytest.fail("ran a step"))
    err = exit_2(bench.main, ["--data-dir", str(tmp_path), opt, value])
    assert f"argument {opt}: expected " in err and repr(value) in err
