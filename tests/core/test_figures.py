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
