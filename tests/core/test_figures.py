import json
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from paperkit import figures  # noqa: E402

SCRIPT = """
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt, numpy as np
from paperkit import figures
figures.set_theme()
fig, ax = plt.subplots()
ax.plot(np.arange(10), np.random.default_rng(0).random(10), label="a")
ax.set_title("determinism"); ax.legend()
figures.save(fig, "det", paper="demo", tier="synthetic")
"""


def test_two_processes_give_identical_bytes(tmp_path):
    digests = []
    for run in ("a", "b"):
        env = {"PAPERKIT_BUILD_DIR": str(tmp_path / run), "PATH": "/usr/bin:/bin",
               "MPLBACKEND": "Agg", "HOME": str(tmp_path)}
        subprocess.run([sys.executable, "-c", SCRIPT], check=True, env=env)
        d = tmp_path / run / "figures" / "demo"
        digests.append({p.name: p.read_bytes() for p in sorted(d.iterdir())})
    assert set(digests[0]) == {"det.png", "det.pdf", "det.json"}
    assert digests[0] == digests[1]
    assert b"CreationDate" not in digests[0]["det.pdf"]
    assert b"Matplotlib" not in digests[0]["det.png"]


def test_save_stamps_tier_once(build_dir):
    fig, ax = plt.subplots()
    out = figures.save(fig, "x", paper="demo", tier="public+modelled")
    figures.save(fig, "x", paper="demo", tier="measured")
    stamps = [t.get_text() for t in fig.texts if t.get_text().startswith("data:")]
    assert stamps == ["data: measured (paperkit measurement)"]
    assert out["png"].read_bytes()[:4] == b"\x89PNG"
    assert not list(out["png"].parent.glob(".*tmp*"))
    plt.close(fig)


@pytest.mark.parametrize("tier", ["paper", "public+made-up", ""])
def test_bad_tier_is_rejected(build_dir, tier):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="unknown data tier"):
        figures.save(fig, "x", paper="demo", tier=tier)
    plt.close(fig)


def test_bad_name_is_rejected(build_dir):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="plain file stem"):
        figures.save(fig, "../x", paper="demo", tier="synthetic")
    plt.close(fig)


def test_combined_tiers_are_explained_in_words():
    assert figures.tier_label("public+modelled") == (
        "data: public+modelled (released data + paperkit model)")


def test_index_entries_and_names(tmp_path, build_dir, monkeypatch):
    idx = tmp_path / "figures.toml"
    idx.write_text('[[figure]]\nfile = "fig03_cdf"\npaper_figure = "Fig. 3"\nnotebook = "02_x"\n'
                   'shows = "a CDF"\nclaims = ["F3-", "D1"]\n'
                   '[[figure]]\nfile = "own_extra"\npaper_figure = "paperkit"\nnotebook = "02_x"\n'
                   'shows = "ours"\n')
    monkeypatch.setattr(figures, "index_file", lambda paper: idx)
    index = figures.load_index("demo")
    assert index["fig03_cdf"].claim_ids(["F3-a", "F30-b", "D1", "D10"]) == ["F3-a", "D1"]
    assert index["own_extra"].own and not index["fig03_cdf"].own
    fig, _ = plt.subplots()
    figures.save(fig, "fig03_cdf", paper="demo", tier="synthetic")
    meta = json.loads((build_dir / "figures" / "demo" / "fig03_cdf.json").read_text())
    assert meta["paper_figure"] == "Fig. 3" and meta["tier"] == "synthetic"
    with pytest.raises(ValueError, match="not in .*add an entry"):
        figures.save(fig, "fig04_other", paper="demo", tier="synthetic")
    plt.close(fig)
    assert "| `own_extra` | paperkit's own | `02_x` | ours |" in figures.index_markdown("demo")


@pytest.mark.parametrize("bad", ["e12_e13_oversub", "overall_tp", "fig_x", "own"])
def test_index_rejects_names_without_a_paper_number(tmp_path, monkeypatch, bad):
    idx = tmp_path / "figures.toml"
    idx.write_text(f'[[figure]]\nfile = "{bad}"\npaper_figure = "Fig. 1"\nnotebook = "n"\n'
                   'shows = "s"\n')
    monkeypatch.setattr(figures, "index_file", lambda paper: idx)
    with pytest.raises(ValueError, match="must start with the paper's number"):
        figures.load_index("demo")


def test_every_paper_index_is_complete():
    """Each paper's index loads, names existing notebooks, and its claims exist."""
    from paperkit import claims, paths

    for paper in ("coldstarts", "polca", "fuyou", "t3"):
        index = figures.load_index(paper)
        assert index, paper
        ids = list(claims.load_claims(paper))
        for e in index.values():
            assert (paths.notebooks_dir() / paper / f"{e.notebook}.ipynb").is_file(), e
            for c in e.claims:
                assert e.claim_ids(ids), (paper, e.file, c)


# ------------------------------------------------------------------ layout check (issue 19 §2)
from paperkit import figlayout  # noqa: E402


def _save(fig, build_dir, name="x", **kw):
    kw.setdefault("tier", "synthetic")
    return figures.save(fig, name, paper="demo", **kw)


def test_the_stamp_sits_below_every_axis_label_and_tick(build_dir):
    for layout in (None, "constrained", "tight"):
        fig, ax = plt.subplots(figsize=(4, 3), layout=layout)
        if layout is None:
            fig.subplots_adjust(left=0.2, bottom=0.25)
        ax.plot([0, 10], [0, 1])
        ax.set_xlabel("a long x label that reaches the right edge")
        ax.set_ylabel("y")
        h0 = fig.get_figheight()
        _save(fig, build_dir)
        assert fig.get_figheight() == pytest.approx(h0 + figures.STAMP_STRIP_IN)
        stamp = getattr(fig, figures._STAMP_ATTR)
        placed = figlayout.drawn_texts(fig)
        box = stamp.get_window_extent()
        others = [p for p in placed if p.artist is not stamp]
        assert min(p.box.y0 for p in others) >= box.y1 - 1, layout
        plt.close(fig)


def test_saving_twice_does_not_grow_the_figure_twice(build_dir):
    fig, ax = plt.subplots(figsize=(4, 3))
    _save(fig, build_dir)
    a = (build_dir / "figures" / "demo" / "x.png").read_bytes()
    _save(fig, build_dir)
    assert fig.get_figheight() == pytest.approx(3 + figures.STAMP_STRIP_IN)
    assert (build_dir / "figures" / "demo" / "x.png").read_bytes() == a
    plt.close(fig)


def test_overlapping_texts_fail_the_save_and_name_both(build_dir):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.text(0.5, 0.5, "first label", transform=ax.transAxes)
    ax.text(0.52, 0.5, "second label", transform=ax.transAxes)
    with pytest.raises(figlayout.FigureLayoutError, match="'first label' overlaps text "
                                                          "'second label'"):
        _save(fig, build_dir)
    assert not (build_dir / "figures" / "demo" / "x.png").exists()
    plt.close(fig)


def test_a_title_cut_at_the_canvas_edge_fails(build_dir):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("a title much too long for a figure three inches wide, cut at both ends")
    with pytest.raises(figlayout.FigureLayoutError, match="cut at the edge"):
        _save(fig, build_dir)
    plt.close(fig)


def test_crowded_tick_labels_fail_and_a_clean_figure_passes(build_dir):
    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    ax.set_xticks(range(12), [f"label{i:02d}" for i in range(12)])
    assert any("overlaps" in p for p in figlayout.problems(fig))
    ax.set_xticks(range(0, 12, 4), ["a", "b", "c"])
    stamp_free = figlayout.problems(fig)
    assert stamp_free == []
    plt.close(fig)


def test_rotated_tick_labels_are_compared_by_their_rotated_boxes(build_dir):
    fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
    ax.set_xticks(range(8), [f"category {i}" for i in range(8)], rotation=45, ha="right")
    assert figlayout.problems(fig) == []
    plt.close(fig)


def test_ticks_out_of_view_are_not_checked():
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.set_xticks([0, 1, 100, 100.01], ["a", "b", "hidden", "hidden2"])
    ax.set_xlim(-0.5, 1.5)
    assert figlayout.problems(fig) == []
    plt.close(fig)


def test_a_very_wide_multi_panel_figure_is_illegible_at_1024_px():
    fig, axes = plt.subplots(1, 6, figsize=(24, 3), layout="constrained")
    found = figlayout.problems(fig)
    assert any("px high" in p and "1024 px" in p for p in found), found
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3), layout="constrained")
    assert figlayout.problems(fig) == []
    plt.close(fig)


def test_schematic_is_stamped_as_such(build_dir):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_axis_off()
    _save(fig, build_dir, tier=None, schematic=True)
    stamp = getattr(fig, figures._STAMP_ATTR)
    assert stamp.get_text() == figures.SCHEMATIC_LABEL and "data" not in stamp.get_text()[:5]
    meta = json.loads((build_dir / "figures" / "demo" / "x.json").read_text())
    assert meta["tier"] == "schematic"
    with pytest.raises(ValueError, match="not both"):
        _save(fig, build_dir, tier="public", schematic=True)
    with pytest.raises(ValueError, match="schematic=True"):
        _save(fig, build_dir, tier=None)
    plt.close(fig)


def test_a_narrow_figure_gets_the_short_stamp(build_dir):
    fig, ax = plt.subplots(figsize=(2.2, 2), layout="constrained")
    ax.set_xticks([])
    ax.set_yticks([])
    _save(fig, build_dir, tier="public+modelled")
    assert getattr(fig, figures._STAMP_ATTR).get_text() == "data: public+modelled"
    plt.close(fig)


def test_palette_one_colour_per_entity(tmp_path, monkeypatch):
    idx = tmp_path / "figures.toml"
    monkeypatch.setattr(figures, "index_file", lambda paper: idx)
    idx.write_text('[palette]\n"brake only" = "#1b9e77"\nPOLCA = "tab:blue"\n')
    assert figures.palette("demo") == {"brake only": "#1b9e77", "POLCA": "tab:blue"}
    assert figures.colour("demo", "POLCA") == "tab:blue"
    with pytest.raises(KeyError, match="no colour"):
        figures.colour("demo", "T3")
    idx.write_text('[palette]\na = "#1f77b4"\nb = "tab:blue"\n')
    with pytest.raises(ValueError, match="share the colour"):
        figures.palette("demo")
    idx.write_text('[palette]\na = "not-a-colour"\n')
    with pytest.raises(ValueError, match="not a colour"):
        figures.palette("demo")
