"""The papermill runner on two small fixture notebooks (one succeeds, one fails)."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paperkit import params, paths, runner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"


@pytest.fixture
def demo(tmp_path, monkeypatch, build_dir):
    root = tmp_path / "notebooks"
    shutil.copytree(FIXTURES, root)
    monkeypatch.setattr(paths, "notebooks_dir", lambda: root)
    return root


def test_discovery_and_params(demo):
    assert runner.papers() == ["demo"]
    nbs = runner.discover("demo")
    assert [nb.name for nb in nbs] == ["01_ok.ipynb", "02_fails.ipynb"]
    ps = runner.notebook_params(nbs[0])
    assert {n: p.type for n, p in ps.items()} == {"n": "int", "scale": "float", "label": "str",
                                                  "flag": "bool"}
    with pytest.raises(runner.ParameterError, match="known papers: demo"):
        runner.discover("nope")


def test_unknown_parameter_lists_valid_ones(demo):
    nbs = runner.discover("demo")[:1]
    with pytest.raises(runner.ParameterError) as info:
        runner.resolve(nbs, runner.parse_assignments(["SCLAE=0.1"]))
    msg = str(info.value)
    assert "SCLAE" in msg and "SCALE (float, default 0.5)" in msg and "N (int" in msg


@pytest.mark.parametrize("word,msg", [("N=1.5", "N expects an int"),
                                      ("N=1e3", "N expects an int"),
                                      ("SCALE=big", "SCALE expects a float"),
                                      ("SCALE=nan", "SCALE expects a float \\(finite\\)"),
                                      ("SCALE=inf", "SCALE expects a float \\(finite\\)"),
                                      ("FLAG=maybe", "FLAG expects a bool")])
def test_ill_typed_parameter(demo, word, msg):
    with pytest.raises(runner.ParameterError, match=msg):
        runner.resolve(runner.discover("demo")[:1], runner.parse_assignments([word]))


def test_typed_values_and_make_vars(demo):
    plan = runner.resolve(runner.discover("demo"), runner.parse_assignments(
        ["N=7", "scale=0.25", "FLAG=yes", "LABEL=007", "PYTHON=python3"]))
    first, second = plan.values()
    assert first == {"n": 7, "scale": 0.25, "flag": True, "label": "007"}
    assert second == {}


def test_run_writes_outputs_and_timings(demo, build_dir):
    (demo / "demo" / "02_fails.ipynb").unlink()
    assert runner.run(["demo"], ["N=4", "LABEL=y"]) == 0
    assert (build_dir / "demo_out.txt").read_text() == "4 0.5 y False"
    out = build_dir / "notebooks" / "demo" / "01_ok.ipynb"
    assert out.exists() and not list(out.parent.glob(".*partial*"))
    timing = json.loads((build_dir / "timings" / "demo__01_ok.json").read_text())
    assert timing["parameters"] == {"label": "y", "n": 4}


def test_failure_names_notebook_and_cell_and_leaves_nothing(demo, build_dir, capsys):
    stale = build_dir / "claims" / "02_fails.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    assert runner.run(["demo"], []) == 1
    err = capsys.readouterr().err
    assert "notebooks/demo/02_fails.ipynb" in err or "02_fails.ipynb failed" in err
    assert "cell 3" in err and "deliberate failure" in err
    assert not (build_dir / "notebooks" / "demo" / "02_fails.ipynb").exists()
    assert not list((build_dir / "notebooks" / "demo").glob(".*"))
    assert not stale.exists()
    assert (build_dir / "notebooks" / "demo" / "01_ok.ipynb").exists()


def test_cli_rejects_unknown_parameter_with_exit_2(demo, build_dir):
    env = dict(os.environ, PAPERKIT_NOTEBOOKS_DIR=str(demo))
    proc = subprocess.run([sys.executable, "-m", "paperkit.runner", "run", "demo", "--",
                           "NO_SUCH_PARAM=1"], capture_output=True, text=True, cwd="/", env=env)
    assert proc.returncode == 2
    assert "NO_SUCH_PARAM" in proc.stderr and "valid parameters" in proc.stderr


def test_refresh_in_place_strips_volatile_metadata(demo):
    nb = demo / "demo" / "01_ok.ipynb"
    assert runner.refresh([nb]) == 0
    doc = json.loads(nb.read_text())
    assert "papermill" not in doc["metadata"]
    outs = [o for c in doc["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert any("1.5 x False" in "".join(o.get("text", "")) for o in outs)


def test_notebook_stems_are_unique_across_papers():
    stems = [nb.stem for p in runner.papers() for nb in runner.discover(p)]
    assert len(stems) == len(set(stems)), "claims JSON files are named by notebook stem"


def test_comments_with_equals_signs_do_not_hide_parameters(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('data_dir: str = ""  # "" = synthetic, 1.0 = paper size\n'
                                     "seed = 3  # no annotation\n")
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    ps = runner.notebook_params(path)
    assert ps["data_dir"] == params.Param("data_dir", "str", '""', '"" = synthetic, 1.0 = paper size')
    assert ps["seed"].type == "int"


def test_committed_notebooks_agree_with_papermill():
    """papermill --help-notebook must list the same parameters the runner accepts."""
    import papermill as pm

    for paper in runner.papers():
        for nb in runner.discover(paper):
            ours = {n: p.type for n, p in runner.notebook_params(nb).items()}
            theirs = {n: str(p["inferred_type_name"]) for n, p in pm.inspect_notebook(str(nb)).items()}
            assert ours and ours == theirs, nb.name
            assert all(t in ("int", "float", "str", "bool") for t in ours.values()), nb.name


@pytest.mark.parametrize("makeflags,words", [
    (" -- SCALE=0.1 DATA_DIR=/a\\ b", ["SCALE=0.1", "DATA_DIR=/a b"]),
    (" -j2 --jobserver-auth=3,4 -- LABEL=q\"`date`", ['LABEL=q"`date`']),
    ("-- LABEL=it\\'s$$$$(x)", ["LABEL=it's$$(x)"]),
    (" -j2", []),
])
def test_make_parameters_are_read_without_a_shell(makeflags, words):
    assert params.split_makeflags(makeflags) == words


def test_quotes_and_backticks_reach_the_notebook_as_data(demo, tmp_path):
    """Through make itself: a value with a quote, a backtick and $(...) arrives unchanged."""
    mk = tmp_path / "Makefile"
    mk.write_text("all:\n\t@$(PY) -c 'import os, sys; from paperkit.params import "
                  "split_makeflags as s; print(s(os.environ[\"MAKEFLAGS\"]))'\n")
    value = "it's a `date` $(whoami) \"q\""
    out = subprocess.run(["make", "-s", "-f", str(mk), f"PY={sys.executable}", f"LABEL={value}"],
                         capture_output=True, text=True, check=True, cwd=tmp_path,
                         env=os.environ | {"PYTHONPATH": str(paths.ROOT)}).stdout
    words = ast.literal_eval(out.strip())
    assert f"LABEL={value}" in words
    plan = runner.resolve(runner.discover("demo")[:1],
                          runner.parse_assignments([w for w in words if w.startswith("LABEL")]))
    assert list(plan.values())[0]["label"] == value


@pytest.mark.parametrize("build", ["build/test/make-dry-run", ""])
def test_a_paper_target_plans_its_notebooks(build, tmp_path):
    """``make t3`` hands its notebooks to a sub-make that must name the same targets (the build
    folder was relative in the parent and absolute in the sub-make, so ``make t3`` did nothing
    on a built tree and found no rule on a fresh one)."""
    root = Path(__file__).resolve().parents[2]
    build_dir = build or str(tmp_path / "b")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env["PAPERKIT_BUILD_DIR"] = build_dir
    stamp = root / ".venv" / ".paperkit-installed"
    if not stamp.exists():
        pytest.skip("needs the project's .venv (make venv)")
    p = subprocess.run(["make", "-n", "t3"], cwd=root, env=env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    planned = [ln for ln in p.stdout.splitlines() if "paperkit.runner nb t3/" in ln]
    assert len(planned) == len(list((root / "notebooks" / "t3").glob("[0-9][0-9]_*.ipynb"))) > 0


def test_an_interactive_kernel_writes_to_the_scratch_build(monkeypatch):
    """Outside make/papermill/nbval (PAPERKIT_BATCH unset), a kernel's runs go to build/lab."""
    import paperkit
    monkeypatch.setattr(paperkit, "_in_kernel", lambda: True)
    monkeypatch.delenv("PAPERKIT_BATCH", raising=False)
    monkeypatch.delenv("PAPERKIT_BUILD_DIR", raising=False)
    note = paperkit._interactive_build()
    assert paperkit.paths.build_dir() == paperkit.paths.ROOT / "build" / "lab"
    assert "build/lab/" in note and "interactive run" in note
    monkeypatch.setenv("PAPERKIT_BATCH", "1")
    assert paperkit._interactive_build() is None


def test_the_runner_marks_its_kernels_as_batch_runs(tmp_path, monkeypatch):
    import papermill
    seen = {}

    def fake(nb, out, **kw):
        seen["batch"] = os.environ.get("PAPERKIT_BATCH")
        raise RuntimeError("stop here")
    monkeypatch.delenv("PAPERKIT_BATCH", raising=False)
    monkeypatch.setattr(papermill, "execute_notebook", fake)
    with pytest.raises(runner.NotebookFailed, match="stop here"):
        runner.execute(tmp_path / "x.ipynb", tmp_path / "out" / "x.ipynb", {})
    assert seen == {"batch": "1"}


def test_a_damaged_figure_sidecar_does_not_stop_the_cleanup(build_dir):
    figs = paths.figures_dir("demo")
    figs.mkdir(parents=True)
    (figs / "bad.json").write_text("garbage")
    (figs / "mine.json").write_text('{"notebook": "01_x"}')
    (figs / "mine.png").write_bytes(b"png")
    runner._forget("demo", Path("01_x.ipynb"))
    assert (figs / "bad.json").exists() and not (figs / "mine.png").exists()
