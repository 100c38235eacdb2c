"""The cold-start figure index, its README table and the paper's visual encodings."""
from pathlib import Path

from paperkit import figures
from paperkit.coldstarts.plots import style

README = Path(__file__).resolve().parents[2] / "notebooks" / "coldstarts" / "README.md"


def test_readme_holds_exactly_the_index_table():
    text = README.read_text()
    table = figures.index_markdown("coldstarts")
    assert table in text
    rows = [line for line in text.splitlines() if line.startswith(("| `fig", "| `own"))]
    assert len(rows) == len(figures.load_index("coldstarts"))


def test_fig9_trigger_colours_and_legend_order_are_the_papers():
    assert style.TRIGGER_LEGEND_ORDER == ("TIMER-A", "other A", "other S", "APIG-S", "unknown",
                                          "workflow-S", "OBS-A")
    tab10 = style.plt.get_cmap("tab10").colors
    assert style.TRIGGER_COLORS["other S"] == tab10[3]      # red in Fig. 9
    assert style.TRIGGER_COLORS["APIG-S"] == tab10[5]       # brown
    assert style.TRIGGER_COLORS["OBS-A"] == tab10[9]        # cyan


def test_region_line_styles_differ_so_they_read_in_grey():
    styles = [str(style.REGION_LINESTYLES[r]) for r in style.REGIONS]
    assert len(set(styles)) == len(styles)
    assert style.region_style("R2") == {"color": style.REGION_COLORS["R2"], "ls": "--"}
