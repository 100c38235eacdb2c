"""The committed notebooks hold the outputs of a default run made the way nbval re-runs them
(inline figures): a refresh under MPLBACKEND=Agg would drop every figure output and make nbval
fail on a machine that draws them."""

from __future__ import annotations

import json

import pytest

from paperkit import runner

NOTEBOOKS = [nb for paper in runner.papers() for nb in runner.discover(paper)]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_cells_that_show_a_figure_hold_its_output(nb):
    doc = json.loads(nb.read_text(encoding="utf-8"))
    missing = []
    for i, cell in enumerate(doc["cells"]):
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and "plt.show()" in src:
            kinds = {k for out in cell.get("outputs", []) for k in out.get("data", {})}
            if "image/png" not in kinds:
                missing.append(i)
    assert missing == [], f"{nb.name}: cells {missing} show a figure but hold no image output"
