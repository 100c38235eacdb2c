"""``make mutants`` (paperkit/mutants.py) without running mutmut: the module table, the hostile
MODULES/JOBS values refused before anything runs, the generated mutmut configuration, the tally
of mutmut's results and the score files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from paperkit import mutants, paths

ROOT = paths.ROOT


def test_the_table_names_real_files_and_fast_tests():
    names = [m.name for m in mutants.MODULES]
    assert len(names) == len(set(names)) and {"claims", "validator", "polca", "fuyou", "t3",
                                              "platform"} <= set(names)
    for m in mutants.MODULES:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", m.name)
        assert all(s.startswith("paperkit/") and s.endswith(".py") for s in m.sources), m
        assert all(t.startswith("tests/") and ".." not in t for t in m.tests), m
        if all((ROOT / s).is_file() for s in m.sources):
            assert mutants.test_files(m, ROOT), f"{m.name}: no test file matches {m.tests}"
    claims = mutants.by_name()["claims"]
    assert "tests/core/test_claims_rule.py" in mutants.test_files(claims, ROOT)


def test_select_in_table_order():
    assert [m.name for m in mutants.select(["validator,claims"])] == ["claims", "validator"]
    assert [m.name for m in mutants.select(["t3 claims", "polca"])] == ["claims", "polca", "t3"]
    assert mutants.select([]) == list(mutants.MODULES) == mutants.select([" , "])


@pytest.mark.parametrize("hostile", ["claims;rm -rf /", "$(whoami)", "`id`", "../claims",
                                     "/etc/passwd", "CLAIMS", "claims\x00", "nan", "claim",
                                     "paperkit/claims.py", "-claims"])
def test_hostile_module_names_are_refused(hostile):
    with pytest.raises(mutants.UsageError, match="^MODULES: unknown module .*; choose from "
                                                 "claims, validator"):
        mutants.select(["claims", hostile])


@pytest.mark.parametrize("text,ok", [("1", 1), ("2", 2), ("16", 16), ("0", None), ("17", None),
                                     ("-1", None), ("nan", None), ("1e3", None), (" 2", None),
                                     ("", None), ("99999999999999999999", None), ("2.0", None)])
def test_jobs(text, ok):
    if ok is None:
        with pytest.raises(mutants.UsageError, match=r"^JOBS: expected a whole number in 1\.\.16"):
            mutants.parse_jobs(text)
    else:
        assert mutants.parse_jobs(text) == ok


def test_make_variables_are_read_from_makeflags():
    assert mutants.from_make(" -j2 -- SCALE=0.1 MODULES=claims,t3 jobs=3") == (["claims,t3"], "3")
    assert mutants.from_make("-- MODULES=a\\;\\ b") == (["a; b"], None)
    assert mutants.from_make("") == ([], None)


def test_main_refuses_hostile_values_before_running_anything(build_dir, capsys, monkeypatch):
    monkeypatch.setattr(mutants, "run_module", lambda *a: pytest.fail("ran mutmut"))
    monkeypatch.setenv("MAKEFLAGS", " -- MODULES=claims;touch\\ pwned")
    assert mutants.main(["--from-make"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: MODULES: unknown module 'claims;touch'") and err.count("\n") == 1
    monkeypatch.setenv("MAKEFLAGS", " -- JOBS=1e9")
    assert mutants.main(["--from-make"]) == 2
    assert capsys.readouterr().err.startswith("error: JOBS: ")
    assert not build_dir.exists()


def test_make_never_hands_the_value_to_a_shell(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    marker = tmp_path / "pwned"
    p = subprocess.run(["make", "-n", "-o", ".venv/.paperkit-installed", "mutants",
                        f"MODULES=claims; touch {marker}", f"JOBS=$(shell touch {marker})"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    recipe = [ln for ln in p.stdout.splitlines() if "paperkit.mutants" in ln]
    assert recipe == [".venv/bin/python -m paperkit.mutants --from-make"]
    assert "touch" not in p.stdout and not marker.exists()


def test_generated_config(tmp_path):
    mod = mutants.by_name()["validator"]
    ws = mutants.workspace(mod, ROOT, tmp_path)
    (ws / "mutants" / "stale").write_text("x")
    ws = mutants.workspace(mod, ROOT, tmp_path)          # a fresh workspace every run
    assert ws == tmp_path / "validator" and list((ws / "mutants").iterdir()) == []
    for part in ("paperkit", "tests", "data", "notebooks"):
        assert (ws / part).resolve() == ROOT / part
    cfg = tomllib.loads((ws / "pyproject.toml").read_text())
    mm = cfg["tool"]["mutmut"]
    assert mm["only_mutate"] == ["paperkit/coldstarts/validate.py", "paperkit/coldstarts/schema.py"]
    assert mm["source_paths"] == ["paperkit"] and mm["also_copy"] == ["data", "notebooks"]
    assert mm["pytest_add_cli_args_test_selection"] == mutants.test_files(mod, ROOT)
    assert "tests/coldstarts/test_validate_rules.py" in mm["pytest_add_cli_args_test_selection"]
    assert mm["process_isolation"] == "forkserver" and mm["timeout_constant"] == 10.0
    claims_cfg = mutants.config_text(mutants.by_name()["claims"], ROOT)
    assert tomllib.loads(claims_cfg)["tool"]["mutmut"]["process_isolation"] == "fork"
    assert "--import-mode=importlib" in cfg["tool"]["pytest"]["ini_options"]["addopts"]


def _meta(ws: Path, src: str, codes: dict) -> None:
    path = ws / "mutants" / (src + ".meta")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exit_code_by_key": codes}))


def test_tally_by_hand(tmp_path):
    mod = mutants.Module("m", ("paperkit/a.py", "paperkit/b.py"), ("tests/x.py",))
    _meta(tmp_path, "paperkit/a.py", {"a__1": 1, "a__2": 0, "a__3": 36, "a__4": 3})
    _meta(tmp_path, "paperkit/b.py", {"b__1": 33, "b__2": None, "b__3": 99, "b__4": 1})
    t = mutants.tally(tmp_path, mod)
    assert (t["killed"], t["total"], t["score"]) == (4, 8, 50.0)
    assert t["counts"] == {"killed": 3, "survived": 1, "timeout": 1, "no tests": 1,
                           "not checked": 1, "suspicious": 1}
    assert t["survivors"] == ["a__2 (survived)", "b__1 (no tests)", "b__2 (not checked)",
                              "b__3 (suspicious)"]
    (tmp_path / "mutants" / "paperkit" / "b.py.meta").unlink()
    with pytest.raises(RuntimeError, match="b.py.meta: mutmut wrote no results for paperkit/b.py"):
        mutants.tally(tmp_path, mod)


def test_scores_files_merge_and_render(tmp_path):
    one = {"module": "claims", "sources": ["paperkit/claims.py"], "killed": 2, "total": 3,
           "score": 66.7, "counts": {"killed": 2, "survived": 1}, "survivors": ["x"],
           "seconds": 61.6}
    (tmp_path / "scores.json").write_text(json.dumps([one, {"module": "gone"}, "junk"]))
    absent = {"module": "platform", "sources": ["paperkit/coldstarts/platform.py"],
              "absent": ["paperkit/coldstarts/platform.py"]}
    got = mutants.merged([absent, {**one, "score": 100.0}], tmp_path)
    assert [r["module"] for r in got] == ["claims", "platform"] and got[0]["score"] == 100.0
    (tmp_path / "scores.json").write_text("not json")
    assert mutants.merged([one], tmp_path) == [one]
    md = mutants.markdown([one, absent])
    assert md.splitlines()[2] == "| claims | `paperkit/claims.py` | 2 / 3 | 66.7 % | 1 | 0 | 0 | 62 |"
    assert md.splitlines()[3] == "| platform | `paperkit/coldstarts/platform.py` | absent | | | | | |"
    timed = mutants.markdown([{**one, "counts": {"killed": 1, "timeout": 1, "survived": 1}}])
    assert timed.splitlines()[2] == "| claims | `paperkit/claims.py` | 2 / 3 | 66.7 % | 1 | 0 | 1 | 62 |"


def test_a_module_not_written_yet_is_reported_absent(tmp_path):
    mod = mutants.Module("new", ("paperkit/not_yet.py",), ("tests/test_mutants.py",))
    assert mutants.run_module(mod, ROOT, tmp_path, 1) == {
        "module": "new", "sources": ["paperkit/not_yet.py"], "absent": ["paperkit/not_yet.py"]}
    assert not (tmp_path / "new").exists()
    mod = mutants.Module("bare", ("paperkit/claims.py",), ("tests/none_*.py",))
    with pytest.raises(mutants.UsageError, match="bare: no test file matches tests/none_"):
        mutants.run_module(mod, ROOT, tmp_path, 1)


def test_the_cli_prints_its_usage():
    p = subprocess.run([sys.executable, "-m", "paperkit.mutants", "--help"], capture_output=True,
                       text=True, env=os.environ | {"PYTHONPATH": str(ROOT)}, timeout=60)
    assert p.returncode == 0 and "claims, validator, polca" in p.stdout


def test_listed_bugs_apply_to_one_place_or_are_reported_stale(tmp_path, monkeypatch):
    for bug in mutants.LISTED:
        assert bug.module in mutants.by_name() and bug.old != bug.new
        assert bug.path in mutants.by_name()[bug.module].sources, bug
    stale = mutants.Listed("claims", "paperkit/claims.py", "no such text", "x", "stale")
    mod = mutants.by_name()["claims"]
    monkeypatch.setattr(mutants.subprocess, "run", lambda *a, **k: pytest.fail("ran the tests"))
    assert mutants.run_listed(stale, mod, ROOT, tmp_path)["status"].startswith("not applicable")


@pytest.mark.parametrize("rc,status", [(1, "killed"), (0, "survived"), (2, "error (pytest exit 2)")])
def test_listed_bug_verdicts(tmp_path, monkeypatch, rc, status):
    seen = {}

    def fake_run(cmd, cwd, env, **kw):
        seen["src"] = (Path(cwd) / "paperkit" / "claims.py").read_text()
        seen["env"] = env
        return subprocess.CompletedProcess(cmd, rc)
    monkeypatch.setattr(mutants.subprocess, "run", fake_run)
    bug = mutants.LISTED[0]
    got = mutants.run_listed(bug, mutants.by_name()["claims"], ROOT, tmp_path)
    assert got == {"what": bug.what, "path": bug.path, "status": status}
    assert bug.new in seen["src"] and bug.old not in seen["src"]     # the copy was mutated
    assert seen["env"]["PYTHONPATH"] == str(tmp_path / "claims" / "listed")
    assert bug.old in (ROOT / bug.path).read_text()                  # the checkout was not
    md = mutants.markdown([{"module": "claims", "sources": ["paperkit/claims.py"],
                            "listed": [got]}])
    assert f"| claims | {bug.what} (`{bug.path}`) | {status} |" in md
    assert "| claims | `paperkit/claims.py` | not run | | | | |" in md
