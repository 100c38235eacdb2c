import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from paperkit import claims, figures, report  # noqa: E402


def test_report_sections_counts_and_embedded_figures(build_dir, tmp_path):
    toml = tmp_path / "demo.toml"
    toml.write_text('[[claim]]\nid="A"\ntext="t"\nvalue=1.0\nunit="x"\nsource="[s]"\n'
                    'reliability="primary"\ntolerance=0.1\n'
                    '[[claim]]\nid="B"\ntext="u"\nvalue=2.0\nunit="x"\nsource="[s]"\n'
                    'reliability="approximate"\ntolerance=0.1\n')
    tab = claims.ClaimsTable("demo", "01_demo", claims=claims.load_claims("demo", toml))
    tab.record("A", 1.05, tier="synthetic", role="calibration")
    tab.record("B", 3.0, tier="modelled")
    tab.write()
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    figures.save(fig, "fig1", paper="demo", tier="synthetic")
    plt.close(fig)
    (build_dir / "timings").mkdir()
    (build_dir / "timings" / "demo__01_demo.json").write_text(json.dumps(
        {"paper": "demo", "notebook": "01_demo", "seconds": 3.2}))
    md, htm = report.write(build_dir)
    text = md.read_text()
    assert "## demo" in text
    assert "1 match (1 of them calibration inputs), 1 off, 0 not checkable" in text
    assert "figures/demo/fig1.png" in text
    assert "data:image/png;base64," in htm.read_text()
    summary = report.summary(report.collect(build_dir))
    assert "demo" in summary and "01_demo 3" in summary
