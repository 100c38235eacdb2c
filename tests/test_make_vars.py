"""Make variables never reach a shell: real `make` runs with hostile values.

Each run uses a stand-in virtual environment whose ``bin/python`` only records its arguments, so
the recipes run for real (quoting, ``set -f``, the variable checks) without running paperkit; the
sentinel file a hostile value would create must not exist afterwards. ``make gpu-polca`` runs
with the real environment: on a machine without a GPU it stops at once and writes nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from paperkit import campaign, paths

ROOT = paths.ROOT
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


@pytest.fixture
def fake(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    py = venv / "bin" / "python"
    py.write_text('#!/bin/sh\nprintf \'env:MPLBACKEND=%s\\0\' "$MPLBACKEND" >> "$ARGLOG"\n'
                  'for a in "$@"; do printf \'%s\\0\' "$a"; done >> "$ARGLOG"\n'
                  'printf \'\\n\' >> "$ARGLOG"\n')
    py.chmod(0o755)
    (venv / ".paperkit-installed").touch()
    return types.SimpleNamespace(venv=venv, log=tmp_path / "args", sentinel=tmp_path / "pwned",
                                 build=tmp_path / "build")


def _make(fake, *words: str) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    env = {**os.environ, "ARGLOG": str(fake.log), "PYTHONPATH": str(ROOT)}
    env.pop("MAKEFLAGS", None)
    p = subprocess.run(["make", "--no-print-directory", f"VENV={fake.venv}",
                        f"PAPERKIT_BUILD_DIR={fake.build}", *words], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    calls = ([c.split("\0")[:-1] for c in fake.log.read_text().split("\n") if c]
             if fake.log.exists() else [])
    return p, calls


def _hostile(fake) -> str:
    return f"x;touch {fake.sentinel}`touch {fake.sentinel}`$(touch {fake.sentinel})"


@pytest.mark.parametrize("target,var", [("compare", "A"), ("compare", "B"), ("gpu-polca", "CARD"),
                                        ("gpu-fuyou", "CARD")])
def test_free_text_reaches_python_as_one_argument(fake, target, var):
    val = _hostile(fake)
    words = {"A": "a", "B": "b", "CARD": "c", var: val}
    p, calls = _make(fake, target, *(f"{k}={v}" for k, v in words.items() if k in
                                     ({"A", "B"} if target == "compare" else {"CARD"})))
    assert not fake.sentinel.exists(), p.stderr
    assert calls and val in calls[-1], (calls, p.stderr)


def test_make_functions_in_a_value_are_data(fake):
    val = f"$(shell touch {fake.sentinel})"
    p, calls = _make(fake, "compare", f"A={val}", "B=b")
    assert not fake.sentinel.exists()
    assert calls[-1][-2:] == [val, "b"]


@pytest.mark.parametrize("target,var", [("data", "GROUPS"), ("unit", "PYTEST_ARGS"),
                                        ("nbval", "NBVAL_ARGS"), ("lab", "LAB_ARGS")])
def test_lists_are_split_into_words_never_run(fake, target, var):
    val = f"one;touch {fake.sentinel} * $(touch {fake.sentinel})"
    p, calls = _make(fake, target, f"{var}={val}")
    assert not fake.sentinel.exists(), p.stderr
    assert calls[-1][-5:] == ["one;touch", str(fake.sentinel), "*", "$(touch",
                              f"{fake.sentinel})"], calls
    if target == "unit":  # the recipe's environment still reaches python
        assert calls[-1][0] == "env:MPLBACKEND=Agg"


def test_lab_dir_is_one_argument(fake):
    val = _hostile(fake)
    p, calls = _make(fake, "lab", f"LAB_DIR={val}")
    assert not fake.sentinel.exists()
    assert f"--notebook-dir={val}" in calls[-1]


@pytest.mark.parametrize("words,named", [
    (["nb", "NB=t3/zz`touch {s}`"], "NB="),
    (["nb", "NB=$(shell touch {s})"], "NB="),
    (["nb", "NB=t3/%"], "NB="),
    (["nb", "NB=t3/02_sublayer_speedups t3/x"], "NB="),
    (["bench-x;touch {s}"], "bench-x;touch"),
    (["help", "VENV=v;touch {s}"], "VENV="),
    (["help", "PAPERKIT_BUILD_DIR=/tmp/a b"], "PAPERKIT_BUILD_DIR="),
    (["clean", "PAPERKIT_BUILD_DIR=/"], "clean would delete"),
    (["clean", f"PAPERKIT_BUILD_DIR={ROOT}"], "clean would delete"),
    (["clean", f"PAPERKIT_BUILD_DIR={ROOT.parent}"], "clean would delete"),
])
def test_illegal_values_stop_before_any_recipe_line(fake, words, named):
    words = [w.format(s=fake.sentinel) for w in words]
    env_words = [w for w in words if w.startswith(("VENV=", "PAPERKIT_BUILD_DIR="))]
    p, calls = _make(fake, *[w for w in words if w not in env_words])
    if env_words:  # these replace the stand-ins: run make directly
        p = subprocess.run(["make", "--no-print-directory", *words], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and named in p.stderr, p.stderr
    assert not fake.sentinel.exists() and not calls


def test_gpu_campaign_without_cuda_stops_fast_and_writes_nothing(tmp_path):
    if campaign.cuda_problem() is None:
        pytest.skip("this machine has a CUDA device")
    before = sorted(paths.measured_dir().rglob("*"))
    t0 = time.monotonic()
    p = subprocess.run(["make", "--no-print-directory", "gpu-polca", "CARD=x"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    took = time.monotonic() - t0
    assert p.returncode != 0 and took < 20, (took, p.stderr)
    err = [ln for ln in p.stderr.splitlines() if ln.startswith("error:")]
    assert len(err) == 1 and ("CUDA" in err[0] or "NVIDIA" in err[0]), p.stderr
    assert "Traceback" not in p.stderr
    assert sorted(paths.measured_dir().rglob("*")) == before


class _Fake:
    """A stand-in campaign module: writes two files into --out, or fails half-way."""

    def __init__(self, fail: bool):
        self.fail = fail

    def main(self, argv):
        out = Path(argv[argv.index("--out") + 1])
        (out / "sub").mkdir()
        (out / "a.json").write_text("{}")
        if self.fail:
            raise RuntimeError("campaign died half-way")
        (out / "sub" / "b.json").write_text("{}")


@pytest.mark.parametrize("fail", [False, True])
def test_campaign_publishes_only_when_complete(tmp_path, monkeypatch, fail):
    monkeypatch.setattr(campaign, "cuda_problem", lambda: None)
    monkeypatch.setitem(sys.modules, "fakecampaign", _Fake(fail))
    monkeypatch.setitem(campaign.CAMPAIGNS, "polca",
                        campaign.Campaign("fakecampaign", ("--out", "{out}"), "polca/{card}", True))
    root = tmp_path / "measured"
    (root / "polca" / "h1").mkdir(parents=True)
    (root / "polca" / "h1" / "old.json").write_text("old")
    if fail:
        with pytest.raises(RuntimeError):
            campaign.run("polca", "h1", root=root)
        assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == [
            "polca", "polca/h1", "polca/h1/old.json"]
    else:
        campaign.run("polca", "h1", root=root)
        assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
            "polca/h1/a.json", "polca/h1/sub/b.json"]


@pytest.mark.parametrize("card", ["../x", "/tmp/x", "a/b", "..", ".hidden", "x;y", ""])
def test_campaign_card_must_be_a_plain_name(monkeypatch, card, capsys):
    monkeypatch.setattr(campaign, "cuda_problem", lambda: None)
    with pytest.raises(SystemExit) as exc:
        campaign.main(["polca", card])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "CARD" in err


@pytest.mark.parametrize("value,words", [("nan,128", "every item must be an int"),
                                         ("128,,256", "without empty items")])
def test_list_parameters_are_strict_in_a_real_make_run(tmp_path, value, words):
    p = subprocess.run(["make", "--no-print-directory", "nb", "NB=fuyou/02_capacity_cost",
                        f"CPU_MEMS={value}", f"PAPERKIT_BUILD_DIR={tmp_path / 'b'}"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode != 0 and f"CPU_MEMS={value!r}" in p.stderr and words in p.stderr, p.stderr
    assert not (tmp_path / "b" / "notebooks").exists()


def test_list_parameter_types():
    from paperkit.params import ParameterError, coerce
    assert coerce("1,2.5", "list[float]", name="x") == [1.0, 2.5]
    assert coerce("8,16", "list[int]", name="x") == [8, 16]
    assert coerce("8,16", "str", name="x", items="int") == "8,16"
    assert coerce("8,,16", "str", name="x") == "8,,16"  # a plain str is never split
    for bad, t, items in (("1,inf", "list[float]", ""), ("1.5", "list[int]", ""),
                          ("", "list[str]", ""), ("a,", "list[str]", ""), ("nan", "str", "float"),
                          ("1,nan", "str", "int")):
        with pytest.raises(ParameterError, match="X="):
            coerce(bad, t, name="x", items=items)
