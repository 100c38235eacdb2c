"""The landing notebook (issue 19 §3): computed from the notebooks, opened by `make lab`."""

from __future__ import annotations

import json
import subprocess

from paperkit import notebookindex, paths
from paperkit.params import notebook_params
from paperkit.runner import discover, papers

INDEX = paths.notebooks_dir() / "index.ipynb"


def test_every_notebook_of_every_paper_is_listed_with_its_own_facts(tmp_path):
    rows = notebookindex.entries(tmp_path)
    expect = [(p, nb.stem) for p in papers() for nb in discover(p)]
    assert [(r["paper"], r["notebook"]) for r in rows] == expect
    assert {r["paper"] for r in rows} == {"coldstarts", "polca", "fuyou", "t3"}
    t3 = next(r for r in rows if r["notebook"] == "02_sublayer_speedups")
    nb = paths.notebooks_dir() / "t3" / "02_sublayer_speedups.ipynb"
    first = "".join(json.loads(nb.read_text())["cells"][0]["source"]).splitlines()[0]
    assert t3["what it shows"] == first.lstrip("# ")
    assert t3["parameters (default)"] == ", ".join(
        f"{p.name.upper()}={p.default}" for p in notebook_params(nb).values())
    assert {r["last run"] for r in rows} == {"not run yet"}


def test_run_time_comes_from_the_last_runs_timing_record(tmp_path):
    (tmp_path / "timings").mkdir()
    (tmp_path / "timings" / "t3__01_motivation.json").write_text(
        '{"paper": "t3", "notebook": "01_motivation", "seconds": 12.4}')
    (tmp_path / "timings" / "t3__02_sublayer_speedups.json").write_text("garbage")
    rows = {r["notebook"]: r["last run"] for r in notebookindex.entries(tmp_path)}
    assert rows["01_motivation"] == "12 s"
    assert rows["02_sublayer_speedups"] == "not run yet"


def test_the_html_links_each_notebook_and_paper_page(tmp_path):
    page = notebookindex.to_html(tmp_path)
    assert "href='t3/02_sublayer_speedups.ipynb'" in page and "href='polca/README.md'" in page
    assert page.count("<table>") == 4


def test_the_index_notebook_shows_the_computed_table():
    doc = json.loads(INDEX.read_text())
    code = [c for c in doc["cells"] if c["cell_type"] == "code"]
    assert len(code) == 1 and "notebookindex.show()" in "".join(code[0]["source"])
    outputs = code[0]["outputs"]
    assert outputs and "text/html" in outputs[0]["data"]


def test_make_lab_opens_the_index_and_writes_to_a_scratch_build():
    out = subprocess.run(["make", "-n", "lab"], cwd=paths.ROOT, capture_output=True, text=True,
                         timeout=60).stdout
    assert "default_url=/lab/tree/index.ipynb" in out
    assert "PAPERKIT_BATCH= PAPERKIT_BUILD_DIR=" in out and "/lab " in out
