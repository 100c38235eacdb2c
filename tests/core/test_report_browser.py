"""The report as a reader sees it: rendered by a real headless Chromium (Debian package)."""

from __future__ import annotations

import html
import json
import re
import subprocess

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from paperkit import claims, figures, paths, report  # noqa: E402



def render(page, browser: str) -> dict:
    """Load ``page`` in headless Chromium and return the report's own self-check."""
    out = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                          "--allow-file-access-from-files", "--virtual-time-budget=8000",
                          "--dump-dom", page.as_uri() + "#selfcheck"],
                         capture_output=True, text=True, timeout=120, check=True)
    found = re.search(r"<pre id=\"selfcheck\">(.*?)</pre>", out.stdout, re.S)
    assert found, out.stdout[-2000:] + out.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(autouse=True)
def demo_claims_file(tmp_path, monkeypatch):
    """The report re-judges every record against ``data/claims/<paper>.toml``: the demo
    paper's claims file lives in the test's folder."""
    monkeypatch.setattr(paths, "claims_file", lambda paper: tmp_path / f"{paper}.toml")


@pytest.fixture
def demo_build(build_dir, tmp_path, monkeypatch):
    idx = tmp_path / "figures.toml"
    idx.write_text('[[figure]]\nfile = "fig01_wide"\npaper_figure = "Fig. 1"\nnotebook = "01_demo"\n'
                   'shows = "a very wide figure"\nclaims = ["A"]\n'
                   '[[figure]]\nfile = "own_small"\npaper_figure = "paperkit"\n'
                   'notebook = "01_demo"\nshows = "a small one"\n')
    monkeypatch.setattr(figures, "index_file", lambda paper: idx)
    toml = tmp_path / "demo.toml"
    toml.write_text('[[claim]]\nid="A"\ntext="t"\nvalue=1.0\nunit="x"\nsource="[s]"\n'
                    'reliability="exact"\n[[claim]]\nid="B"\ntext="u"\nvalue=2.0\nunit="x"\n'
                    'source="[s]"\nreliability="approximate"\n')
    tab = claims.ClaimsTable("demo", "01_demo", claims=claims.load_claims("demo", toml))
    tab.record("A", 1.02, tier="modelled")
    tab.record("B", 3.0, tier="modelled")
    tab.write()
    for name, size in (("fig01_wide", (15, 3)), ("own_small", (3, 2))):
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        ax.plot([0, 1])
        figures.save(fig, name, paper="demo", tier="modelled")
        plt.close(fig)
    return build_dir


@pytest.mark.parametrize("embed", [False, True])
def test_toc_figures_and_claims_are_visible(demo_build, embed, chromium):
    _, page = report.write(demo_build, embed=embed)
    seen = render(page, chromium)
    assert seen["toc"] and seen["tocLinks"] >= 4
    assert [i["src"] for i in seen["images"]] == ["fig01_wide", "own_small"]
    assert all(i["ok"] for i in seen["images"]), seen["images"]
    wide, small = seen["images"]
    assert abs(small["width"] - 3 * 96) <= 2  # its physical size (+ border), not the page width
    assert wide["width"] < 15 * 96  # a wide one shrinks to the page
    assert [t["id"] for t in seen["tables"]] == ["claims-demo-fig01_wide",
                                                 "claims-demo-claims-01_demo"]
    assert all(t["ok"] for t in seen["tables"]), seen["tables"]


def test_a_broken_figure_link_is_seen(demo_build, chromium):
    """The check can fail: a figure whose file does not load is reported as not shown."""
    _, page = report.write(demo_build)
    page.write_text(page.read_text().replace("fig01_wide.png", "missing.png"))
    seen = render(page, chromium)
    assert [i["ok"] for i in seen["images"]] == [False, True]
