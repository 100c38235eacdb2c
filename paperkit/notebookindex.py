"""The landing notebook's table (``notebooks/index.ipynb``): every paper, every notebook, what it
shows, its parameters and its last run time, computed from the notebooks themselves.

Design: nothing is typed twice. The title is the notebook's first markdown heading, the figures
come from the paper's figure index (``paperkit/<paper>/figures.toml``), the parameters from its
``parameters`` cell (:func:`paperkit.params.notebook_params`), the paper's title from its claims
file, and the run time from the last ``make`` run's timing records (``build/timings``; a
notebook not run yet on this machine says so).
"""

from __future__ import annotations

import html
import json
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from paperkit import buildrecords, figures, paths
from paperkit.params import notebook_params
from paperkit.runner import discover, papers

COLUMNS = ["notebook", "what it shows", "paper figures", "parameters (default)", "last run"]


def title(nb: Path) -> str:
    """The first markdown heading of ``nb`` without its ``#`` marks (else its file name)."""
    doc = json.loads(nb.read_text(encoding="utf-8"))
    for cell in doc.get("cells", []):
        if cell.get("cell_type") == "markdown":
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for line in src.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return nb.stem


def paper_title(paper: str) -> str:
    """The ``title`` of ``data/claims/<paper>.toml`` (else the paper's name)."""
    f = paths.claims_file(paper)
    try:
        return str(tomllib.loads(f.read_text(encoding="utf-8")).get("title", paper))
    except (OSError, tomllib.TOMLDecodeError):
        return paper


def last_run(paper: str, stem: str, build: Path | None = None) -> str:
    """``"12 s"`` from the last make run's timing record, else ``"not run yet"``."""
    f = (build or paths.ROOT / "build") / "timings" / f"{paper}__{stem}.json"
    try:
        seconds = buildrecords.load_json(f)["seconds"]
        return f"{float(seconds):.0f} s"
    except (OSError, KeyError, TypeError, ValueError):
        return "not run yet"


def entries(build: Path | None = None) -> list[dict[str, Any]]:
    """One row per notebook of every paper, in run order."""
    out = []
    for paper in papers():
        index = figures.load_index(paper)
        for nb in discover(paper):
            figs = list(dict.fromkeys(e.paper_figure if not e.own else "paperkit's own"
                                      for e in index.values() if e.notebook == nb.stem))
            params = ", ".join(f"{p.name.upper()}={p.default}"
                               for p in notebook_params(nb).values())
            out.append({"paper": paper, "path": f"{paper}/{nb.name}", "notebook": nb.stem,
                        "what it shows": title(nb), "paper figures": ", ".join(figs),
                        "parameters (default)": params or "none",
                        "last run": last_run(paper, nb.stem, build)})
    return out


def frame(build: Path | None = None) -> pd.DataFrame:
    """:func:`entries` as a table (paper, then :data:`COLUMNS`)."""
    return pd.DataFrame(entries(build), columns=["paper", *COLUMNS])


def to_html(build: Path | None = None) -> str:
    """One heading and one table per paper, each notebook linked (relative to notebooks/)."""
    e = html.escape
    rows = entries(build)
    parts = []
    for paper in dict.fromkeys(r["paper"] for r in rows):
        parts.append(f"<h3>{e(paper_title(paper))}</h3><p><a href='{e(paper)}/README.md'>"
                     f"{e(paper)}: the paper's page</a></p>")
        parts.append("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in COLUMNS) + "</tr>")
        for r in (r for r in rows if r["paper"] == paper):
            cells = [f"<a href='{e(r['path'])}'>{e(r['notebook'])}</a>"]
            cells += [e(r[c]) for c in COLUMNS[1:]]
            styles = ["text-align:left"] * (len(cells) - 1) + ["white-space:nowrap"]
            parts.append("<tr>" + "".join(f"<td style='{st}'>{c}</td>"
                                          for st, c in zip(styles, cells)) + "</tr>")
        parts.append("</table>")
    return "".join(parts)


class Index:
    """Displays as the HTML tables in Jupyter and as plain text elsewhere."""

    def __init__(self, build: Path | None = None) -> None:
        self.build = build

    def _repr_html_(self) -> str:
        return to_html(self.build)

    def __repr__(self) -> str:
        """One line per notebook (run times are left to the HTML: they change per machine)."""
        return "\n".join(f"{r['path']}: {r['what it shows']} [{r['parameters (default)']}]"
                         for r in entries(self.build))


def show(build: Path | None = None) -> Index:
    """The landing table (the index notebook's one code cell ends with it)."""
    return Index(build)
