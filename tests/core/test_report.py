import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from paperkit import claims, figures, paths, provenance, report, runner  # noqa: E402

TOML = ('[[claim]]\nid="A"\ntext="t"\nvalue=1.0\nunit="x"\nsource="[s]"\nreliability="exact"\n'
        '[[claim]]\nid="B"\ntext="u"\nvalue=2.0\nunit="x"\nsource="[s]"\n'
        'reliability="approximate"\n'
        '[[claim]]\nid="C"\ntext="v"\nvalue=2.0\nunit="x"\nsource="[s]"\nreliability="exact"\n'
        'role="consistency"\n')


@pytest.fixture(autouse=True)
def demo_claims_file(tmp_path, monkeypatch):
    """The report re-judges every record against ``data/claims/<paper>.toml``: the demo
    paper's claims file lives in the test's folder."""
    monkeypatch.setattr(paths, "claims_file", lambda paper: tmp_path / f"{paper}.toml")


@pytest.fixture
def demo_notebooks(tmp_path, monkeypatch):
    """A notebooks folder holding only paper "demo" (01_demo and 02_demo)."""
    nbdir = tmp_path / "notebooks" / "demo"
    nbdir.mkdir(parents=True)
    for stem in ("01_demo", "02_demo"):
        (nbdir / f"{stem}.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, '
                                             '"nbformat_minor": 5}')
    monkeypatch.setenv("PAPERKIT_NOTEBOOKS_DIR", str(tmp_path / "notebooks"))
    return nbdir


def _notebook(build_dir, tmp_path, nb="01_demo", scale=0.01):
    toml = tmp_path / "demo.toml"
    toml.write_text(TOML)
    provenance.reset()
    provenance.note_input("synthetic", generator="g", version=1, seed=0, scale=scale)
    tab = claims.ClaimsTable("demo", nb, claims=claims.load_claims("demo", toml))
    tab.record("A", 1.02, tier="synthetic", role="calibration")
    tab.record("B", 3.0, tier="modelled")
    tab.record("C", 2.0, tier="public")
    tab.write()
    provenance.reset()


def test_report_leads_with_the_independent_share(build_dir, tmp_path, demo_notebooks):
    _notebook(build_dir, tmp_path)
    _notebook(build_dir, tmp_path, "02_demo")
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    figures.save(fig, "fig1", paper="demo", tier="synthetic")
    plt.close(fig)
    (build_dir / "timings").mkdir()
    (build_dir / "timings" / "demo__01_demo.json").write_text(json.dumps(
        {"paper": "demo", "notebook": "01_demo", "seconds": 3.2}))
    md, htm = report.write(build_dir)
    text = md.read_text()
    assert text.index("## Scoreboard") < text.index("## demo")
    # B is recorded by both notebooks: one claim, one vote; A and C are other roles
    assert "| demo | 0 of 1 (0%) | 1 of 3 claims (33%) | paperkit's model |" in text
    assert "2 calibration, 2 consistency" in text
    assert "figures/demo/fig1.png" in text
    page = htm.read_text()
    assert "<td>0 of 1 (0%)</td>" in page and "src='figures/demo/fig1.png'" in page
    assert "data:image/png;base64," not in page  # figures are linked by default
    _, htm = report.write(build_dir, embed=True)
    assert "data:image/png;base64," in htm.read_text()
    summary = report.summary(report.collect(build_dir), build_dir)
    assert summary.splitlines()[1].split()[:2] == ["demo", "0/1"]
    assert "01_demo 3" in summary
    assert "Warning" not in text  # one coherent run


def test_mixed_parameters_data_and_unfinished_runs_are_marked(build_dir, tmp_path):
    _notebook(build_dir, tmp_path, "01_demo", scale=0.01)
    _notebook(build_dir, tmp_path, "02_demo", scale=0.1)
    data = report.collect(build_dir)
    found = report.problems(data, build_dir)
    assert any("ran on different data" in p and "scale=0.1" in p for p in found)
    runner.write_state("interrupted", papers=["demo"], notebook="demo/02_demo")
    found = report.problems(report.collect(build_dir), build_dir)
    assert any("interrupted in demo/02_demo" in p for p in found)
    md, _ = report.write(build_dir)
    assert "not one complete, coherent run" in md.read_text()


def test_strict_report_refuses_an_incoherent_build(build_dir, tmp_path, capsys):
    _notebook(build_dir, tmp_path)
    runner.write_state("failed", papers=["demo"], notebook="demo/01_demo")
    assert report.main(["--strict"]) == 1
    assert "report refused" in capsys.readouterr().err
    assert not (build_dir / "report.md").exists()


def test_missing_notebooks_of_a_known_paper(build_dir, tmp_path, demo_notebooks):
    _notebook(build_dir, tmp_path)
    found = report.problems(report.collect(build_dir), build_dir)
    assert found == ["demo: missing notebooks 02_demo"]


@pytest.mark.parametrize("state", ["running", "failed"])
def test_runner_state_is_reported(build_dir, tmp_path, state):
    _notebook(build_dir, tmp_path)
    runner.write_state(state, papers=["demo"])
    assert any(state in p for p in report.problems(report.collect(build_dir), build_dir))


def test_figures_get_captions_and_their_claims_underneath(build_dir, tmp_path, demo_notebooks,
                                                        monkeypatch):
    idx = tmp_path / "figures.toml"
    idx.write_text('[[figure]]\nfile = "fig02_demo"\npaper_figure = "Fig. 2"\n'
                   'notebook = "01_demo"\nshows = "a line"\nclaims = ["B"]\n')
    monkeypatch.setattr(figures, "index_file", lambda paper: idx)
    _notebook(build_dir, tmp_path)
    _notebook(build_dir, tmp_path, "02_demo")
    fig, ax = plt.subplots()
    figures.save(fig, "fig02_demo", paper="demo", tier="modelled")
    plt.close(fig)
    secs = report.sections("demo", report.collect(build_dir)["demo"])
    assert secs[0]["kind"] == "figure" and [r["id"] for r in secs[0]["rows"]] == ["B"]
    assert report.caption(secs[0]["meta"]) == "Fig. 2 — a line (data: modelled (paperkit model))"
    assert [s.get("notebook") for s in secs[1:]] == ["01_demo", "02_demo"]
    page = report.render_html(report.collect(build_dir), build_dir)
    assert page.index("<nav id='toc'>") < page.index("id='scoreboard'")
    assert "href='#demo-fig02_demo'" in page and "id='claims-demo-fig02_demo'" in page


def test_failure_records_are_listed(build_dir, tmp_path, demo_notebooks):
    _notebook(build_dir, tmp_path)
    rec = build_dir / "failed" / "demo__02_demo.json"
    rec.parent.mkdir(parents=True)
    rec.write_text(json.dumps({"paper": "demo", "notebook": "02_demo", "state": "failed",
                               "message": "cell 3: ZeroDivisionError"}))
    found = report.problems(report.collect(build_dir), build_dir)
    assert "demo/02_demo failed: cell 3: ZeroDivisionError" in found


def test_compare_lists_changed_claims_and_parameters(tmp_path, monkeypatch):
    for name, value in (("a", 1.0), ("b", 1.5)):
        build = tmp_path / name
        monkeypatch.setenv("PAPERKIT_BUILD_DIR", str(build))
        toml = tmp_path / "demo.toml"
        toml.write_text(TOML)
        tab = claims.ClaimsTable("demo", "01_demo", claims=claims.load_claims("demo", toml))
        tab.record("A", value, tier="modelled")
        tab.write()
    lines = report.compare(tmp_path / "a", tmp_path / "b")
    assert lines == ["demo/A: 1 match (check) -> 1.5 off (check)"]
    with pytest.raises(FileNotFoundError, match="build folders"):
        report.compare(tmp_path / "a", tmp_path / "nope")


def test_parameters_given_to_some_notebooks_only_are_a_mixed_build():
    def doc(values, over):
        return {"run": {"parameters": values, "overrides": over}}
    same_defaults_differ = {"01": doc({"batch": 1}, {}), "02": doc({"batch": 16}, {})}
    assert report._shared_param_conflicts("p", same_defaults_differ) == []
    mixed = {"01": doc({"scale": 0.1}, {"scale": 0.1}), "02": doc({"scale": 0.01}, {})}
    assert report._shared_param_conflicts("p", mixed) == [
        "p: parameter SCALE differs between notebooks (0.1 in 01; default in 02)"]
