"""The report trusts nothing in build/ (issue 18): verdicts are re-judged from the claims file,
invented ids are refused, damaged records are named and set aside, a huge file is refused at
once, and a failing report step fails the make target and leaves no report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from paperkit import buildrecords, claims, paths, report

TOML = ('[[claim]]\nid="A"\ntext="t"\nvalue=1.0\nunit="x"\nsource="[A]"\nreliability="exact"\n'
        '[[claim]]\nid="B"\ntext="u"\nvalue=2.0\nunit="x"\nsource="[A]"\nreliability="exact"\n'
        'role="calibration"\n')
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def built(build_dir, tmp_path, monkeypatch):
    """One notebook of paper "demo": A off (3 vs 1), B a calibration match."""
    (tmp_path / "demo.toml").write_text(TOML)
    monkeypatch.setattr(paths, "claims_file", lambda paper: tmp_path / f"{paper}.toml")
    tab = claims.ClaimsTable("demo", "01_demo")
    tab.record("A", 3.0, tier="modelled")
    tab.record("B", 2.0, tier="modelled")
    tab.write()
    return build_dir


def _claims_file(build: Path) -> Path:
    return build / "claims" / "01_demo.json"


def _edit(build: Path, change) -> None:
    f = _claims_file(build)
    doc = json.loads(f.read_text())
    change(doc)
    f.write_text(json.dumps(doc))


def test_hand_edited_verdicts_and_roles_do_not_change_the_headline(built):
    before = report.headlines(report.collect(built))["demo"]
    assert (before["checks"], before["matched"]) == (1, 0)

    def edit(doc):
        doc["claims"][0]["verdict"] = "match"          # A: off -> "match"
        doc["claims"][1]["role"] = "check"             # B: calibration -> "check"
        doc["headline"] = {"checks": 2, "matched": 2}
    _edit(built, edit)
    data, findings = report.collect_all(built)
    after = report.headlines(data)["demo"]
    assert (after["checks"], after["matched"]) == (1, 0)
    assert [r["verdict"] for r in report.rows(data["demo"])] == ["off", "match"]
    assert [r["role"] for r in report.rows(data["demo"])] == ["check", "calibration"]
    assert any("demo:A was recorded as 'match'" in f and "the rule gives 'off'" in f
               for f in findings), findings


def test_an_edited_paper_value_is_replaced_by_the_claims_files(built):
    _edit(built, lambda doc: doc["claims"][0].update(paper=3.0, tolerance=10))
    r = report.rows(report.collect(built)["demo"])[0]
    assert (r["paper"], r["verdict"]) == (1.0, "off")


def test_an_id_not_in_the_claims_file_is_refused_and_named(built):
    _edit(built, lambda doc: doc["claims"].append(dict(doc["claims"][0], id="Z9",
                                                       verdict="match", reproduced=1.0)))
    data, findings = report.collect_all(built)
    assert [r["id"] for r in report.rows(data["demo"])] == ["A", "B"]
    assert any("'Z9' is not in data/claims/demo.toml" in f for f in findings)
    md, _ = report.write(built)
    top = md.read_text().split("## Run")[0]
    assert "Z9" in top


@pytest.mark.parametrize("content,why", [
    ("{not json", "not valid JSON"),
    ('{"paper_name": "demo", "notebook": "01_demo", "claims": "oops"}', "'claims' is str"),
    ("[1, 2]", "a JSON object was expected"),
    ('{"paper_name": "demo", "notebook": "01_demo", "claims": [{"id": "A", "tier": "modelled",'
     ' "reproduced": 1.0}]}', "no 'role'"),
    ('{"paper_name": "demo", "notebook": "01_demo", "claims": [{"id": "A", "role": "check", '
     '"tier": "modelled", "reproduced": "NaN"}]}', "not a finite number"),
    ('{"paper_name": "demo", "notebook": "01_demo", "claims": [], "run": "x"}', "'run' is str"),
    ('{"paper_name": "nosuch", "notebook": "01_x", "claims": []}', "no usable claims file"),
    ("\xff\xfe garbage", "not valid JSON"),
])
def test_a_damaged_claims_record_is_named_set_aside_and_listed_first(built, content, why):
    bad = built / "claims" / "02_bad.json"
    bad.write_bytes(content.encode("latin-1"))
    data, findings = report.collect_all(built)
    assert report.headlines(data)["demo"]["checks"] == 1  # the good file still counts
    assert any(f.startswith("claims/02_bad.json is damaged and was set aside") and why in f
               for f in findings), findings
    md, htm = report.write(built)
    text = md.read_text()
    assert text.index("claims/02_bad.json") < text.index("## Run")
    assert "claims/02_bad.json" in htm.read_text().split("<nav")[0]


@pytest.mark.parametrize("name,content", [
    ("failed/demo__02.json", "garbage"), ("failed/demo__03.json", "{}"),
    ("timings/demo__01_demo.json", '{"paper": "demo", "notebook": "01_demo", "seconds": "x"}'),
    ("run-state.json", "garbage"), ("run-state.json", "{}"), ("run-state.json", "[]"),
])
def test_damaged_failure_timing_and_state_records(built, name, content, capsys):
    f = built / name
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(content)
    data, findings = report.collect_all(built)
    assert any(x.startswith(f"{name} is damaged and was set aside") for x in findings), findings
    assert report.main([]) == 0
    assert name in (built / "report.md").read_text().split("## Run")[0]
    assert "WARNING: " + name in capsys.readouterr().out


def test_a_huge_claims_file_is_refused_at_once(built):
    big = built / "claims" / "03_huge.json"
    row = json.dumps({"id": "A", "role": "check", "tier": "modelled", "reproduced": 1.0})
    with big.open("w") as f:
        f.write('{"paper_name": "demo", "notebook": "03_huge", "claims": [')
        f.write(",".join([row] * 700_000))
        f.write("]}")
    assert big.stat().st_size > 40e6
    t0 = time.perf_counter()
    data, findings = report.collect_all(built)
    assert time.perf_counter() - t0 < 5
    assert any("03_huge.json" in f and "MB limit" in f for f in findings)
    assert "03_huge" not in data["demo"]["claims"]


def test_the_record_limit_is_tight_enough_and_loose_enough():
    """The limit sits between a real notebook's claims file and the hostile one."""
    assert 200_000 < buildrecords.MAX_RECORD_BYTES < 46_000_000


# ------------------------------------------------------------------ make: a failing report step
def _fake_venv(tmp_path: Path, report_exit: int) -> Path:
    """A venv whose python runs the real runner commands as no-ops and a report that exits
    ``report_exit`` (after writing a report when it succeeds)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    py = venv / "bin" / "python"
    py.write_text("#!/bin/bash\n"
                  'if [ "$2" = paperkit.report ]; then\n'
                  f'  [ {report_exit} = 0 ] && echo new > "$PAPERKIT_BUILD_DIR/report.md"\n'
                  f"  exit {report_exit}\nfi\nexit 0\n")
    py.chmod(0o755)
    (venv / ".paperkit-installed").touch()
    return venv


@pytest.mark.skipif(shutil.which("make") is None, reason="make is part of the toolchain")
@pytest.mark.parametrize("target", [["nb", "NB=t3/02_sublayer_speedups"], ["t3"]])
def test_a_failing_report_step_fails_the_target_and_removes_the_old_report(tmp_path, target):
    build = tmp_path / "build"
    build.mkdir()
    for exit_code, expect_rc in ((1, 2), (0, 0)):
        (build / "report.md").write_text("old")
        (build / "report.html").write_text("old")
        venv = _fake_venv(tmp_path / str(exit_code), exit_code)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
        out = subprocess.run(["make", "-s", f"VENV={venv}", *target],
                             cwd=ROOT, env=env | {"PAPERKIT_BUILD_DIR": str(build)},
                             capture_output=True, text=True, timeout=120)
        if exit_code:
            assert out.returncode == expect_rc, out.stderr
            assert "the report step failed" in out.stderr
            assert not (build / "report.md").exists() and not (build / "report.html").exists()
        else:
            assert out.returncode == 0, out.stderr
            assert (build / "report.md").read_text() == "new\n"


def test_make_refuses_a_jobs_value_that_is_not_a_number(tmp_path):
    out = subprocess.run(["make", "-n", "reproduce", "JOBS=2;touch /tmp/pwned-wt19"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "JOBS must be a whole number" in out.stderr
    assert not Path("/tmp/pwned-wt19").exists()


def test_the_readme_snapshot_is_computed_from_the_build(built, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{report.SNAPSHOT_BEGIN}\nold numbers\n{report.SNAPSHOT_END}\nrest\n")
    report.update_readme(readme, report.collect(built))
    text = readme.read_text()
    assert "old numbers" not in text and text.endswith(f"{report.SNAPSHOT_END}\nrest\n")
    assert "| demo | 0 of 1 (0%) |" in text and "1 checks are off" in text
    readme.write_text("# no markers\n")
    with pytest.raises(ValueError, match="needs one"):
        report.update_readme(readme, report.collect(built))


def test_the_data_paper_is_scored_apart_and_says_what_synthetic_checks_measure(build_dir,
                                                                               tmp_path,
                                                                               monkeypatch):
    (tmp_path / "model.toml").write_text(TOML)
    (tmp_path / "dataset.toml").write_text('paper_kind = "data"\n' + TOML)
    monkeypatch.setattr(paths, "claims_file", lambda paper: tmp_path / f"{paper}.toml")
    for paper, tier, value in (("model", "modelled", 1.0), ("dataset", "synthetic", 3.0)):
        tab = claims.ClaimsTable(paper, f"01_{paper}")
        tab.record("A", value, tier=tier)
        tab.write()
    data = report.collect(build_dir)
    heads = report.headlines(data)
    assert "overall" not in heads
    assert heads["model papers"]["members"] == ["model"]
    assert (heads["model papers"]["checks"], heads["model papers"]["matched"]) == (1, 1)
    assert (heads["data paper"]["checks"], heads["data paper"]["matched"]) == (1, 0)
    assert heads["data paper"]["measures"].startswith("checks run on the synthetic trace")
    assert "generator" in heads["dataset"]["measures"]
    md, _ = report.write(build_dir)
    assert "| data paper (dataset) | 0 of 1 (0%) |" in md.read_text()
    assert "[dataset:A](#dataset-01_dataset-A)" in md.read_text()


def test_every_committed_claims_file_declares_a_known_kind():
    kinds = {p: claims.load_meta(p).kind for p in ("coldstarts", "polca", "fuyou", "t3")}
    assert kinds == {"coldstarts": "data", "polca": "model", "fuyou": "model", "t3": "model"}


def test_compare_skips_a_damaged_build_record(built, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(built, other)
    (other / "claims" / "02_bad.json").write_text("{not json")
    assert report.compare(built, other) == []
