"""One look for every paper's figures, byte-deterministic figure files, and the figure index.

Design: :func:`set_theme` applies one seaborn theme (paper context, colour-blind palette,
portable fonts). :func:`save` stamps the data tier on the figure in words a reader can see (so a
figure can never be mistaken for the paper's own data; a combined tier is explained on the
figure) and writes PNG + PDF with every timestamp and version string removed, atomically, so two
runs give identical bytes and an interrupted run leaves nothing half-written. Beside them it
writes ``<name>.json``: the tier and the figure's index entry, which the report reads.

**The figure index.** Each paper lists its figures in ``paperkit/<paper>/figures.toml``: one
``[[figure]]`` per file with the paper's figure (or table) number it reproduces (``"Fig. 3"``),
or ``"paperkit"`` for figures with no counterpart in the paper, the notebook that draws it, one
line on what it shows, and the claim ids (or id prefixes ending in ``-``) that belong under it.
File names say the same: ``fig03_...``, ``fig12_13_...`` or ``tab1_...`` for the paper's,
``own_...`` for paperkit's own. :func:`save` refuses a name that is not in the index.
"""

from __future__ import annotations

import io
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib as mpl
import seaborn as sns
from matplotlib.figure import Figure

from paperkit import TIERS, atomic, paths

PNG_DPI = 150
_PNG_METADATA = {"Software": None}
_PDF_METADATA = {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}
_STAMP_ATTR = "_paperkit_tier_stamp"

RC = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "path",
    "svg.hashsalt": "paperkit",
    "figure.dpi": 100,
    "savefig.dpi": PNG_DPI,
    "axes.titlesize": "medium",
    "legend.frameon": False,
}


NAME_RE = re.compile(r"^((fig|tab)\d+[a-z]?(_\d+[a-z]?)*|own)_[a-z0-9_]+$")
"""Figure file stems: the paper's figure/table number first, or ``own_`` for paperkit's own."""
TIER_WORDS = {"public": "released data", "measured": "paperkit measurement",
              "modelled": "paperkit model", "synthetic": "paperkit generator"}


@dataclass(frozen=True)
class FigureEntry:
    """One figure of a paper's index (``paperkit/<paper>/figures.toml``)."""

    file: str
    paper_figure: str
    notebook: str
    shows: str
    claims: list[str] = field(default_factory=list)

    @property
    def own(self) -> bool:
        """A figure of paperkit's own, with no counterpart in the paper."""
        return self.paper_figure == "paperkit"

    def claim_ids(self, ids: list[str]) -> list[str]:
        """The ids among ``ids`` that belong under this figure (exact ids or ``X-`` prefixes)."""
        return [i for i in ids if any(i == c or (c.endswith("-") and i.startswith(c))
                                      for c in self.claims)]


def index_file(paper: str) -> Path:
    """``paperkit/<paper>/figures.toml``."""
    return paths.ROOT / "paperkit" / paper / "figures.toml"


def load_index(paper: str, path: Path | None = None) -> dict[str, FigureEntry]:
    """The paper's figure index by file stem (empty when the paper has none)."""
    path = path or index_file(paper)
    if not path.is_file():
        return {}
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, FigureEntry] = {}
    for i, raw in enumerate(doc.get("figure", [])):
        try:
            entry = FigureEntry(**raw)
        except TypeError as exc:
            raise ValueError(f"{path}, figure #{i + 1}: {exc}") from None
        if not NAME_RE.match(entry.file):
            raise ValueError(f"{path}: figure file {entry.file!r} must start with the paper's "
                             "number (fig03_, fig12_13_, tab1_) or own_")
        if entry.own != entry.file.startswith("own_"):
            raise ValueError(f"{path}: {entry.file!r}: own_ files have paper_figure = "
                             "\"paperkit\", and only they")
        out[entry.file] = entry
    return out


def set_theme() -> None:
    """Apply paperkit's single seaborn theme (call once at the top of a notebook)."""
    sns.set_theme(context="paper", style="whitegrid", palette="colorblind", rc=RC)


def check_tier(tier: str) -> str:
    """Validate a tier such as ``"synthetic"`` or ``"public+modelled"``; return it."""
    parts = [p.strip() for p in str(tier).split("+")]
    bad = [p for p in parts if p not in TIERS]
    if not parts or bad:
        raise ValueError(
            f"unknown data tier {tier!r}: use one of {', '.join(TIERS)} "
            "(or several joined with '+', e.g. 'public+modelled')"
        )
    return "+".join(parts)


def tier_label(tier: str) -> str:
    """``data: public`` or, for a combined tier, ``data: public+modelled (released data through
    a paperkit model)``."""
    tier = check_tier(tier)
    parts = tier.split("+")
    if len(parts) == 1:
        return f"data: {tier} ({TIER_WORDS[tier]})"
    return f"data: {tier} ({' + '.join(TIER_WORDS[p] for p in parts)})"


def stamp_tier(fig: Figure, tier: str) -> None:
    """Write the tier label in the figure's bottom-right corner (once per figure)."""
    label = tier_label(tier)
    old = getattr(fig, _STAMP_ATTR, None)
    if old is not None:
        old.set_text(label)
        return
    text = fig.text(0.995, 0.003, label, ha="right", va="bottom", fontsize=7.5, color="0.15",
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "#fff4cc",
                          "edgecolor": "0.6", "linewidth": 0.5})
    setattr(fig, _STAMP_ATTR, text)


def render(fig: Figure, fmt: str) -> bytes:
    """The figure's bytes in ``fmt`` ("png" or "pdf"), free of timestamps and versions."""
    buf = io.BytesIO()
    with mpl.rc_context(RC):
        if fmt == "png":
            fig.savefig(buf, format="png", dpi=PNG_DPI, metadata=_PNG_METADATA)
        elif fmt == "pdf":
            fig.savefig(buf, format="pdf", metadata=_PDF_METADATA)
        else:
            raise ValueError(f"unsupported figure format {fmt!r}: use 'png' or 'pdf'")
    return buf.getvalue()


def save(fig: Figure, name: str, *, paper: str, tier: str,
         formats: tuple[str, ...] = ("png", "pdf")) -> dict[str, Path]:
    """Stamp ``tier`` on ``fig`` and write ``<figures_dir(paper)>/<name>.<fmt>`` for each format,
    plus ``<name>.json`` (tier and index entry).

    Returns ``{fmt: path}``. Two calls on the same figure give byte-identical files. A paper
    with an index (``paperkit/<paper>/figures.toml``) must list ``name`` in it.
    """
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"figure name {name!r} must be a plain file stem like 'fig03_cdf'")
    index = load_index(paper)
    if index and name not in index:
        raise ValueError(f"figure {name!r} is not in {_rel(index_file(paper))}; "
                         f"add an entry (paper figure, notebook, what it shows, claims)")
    stamp_tier(fig, tier)
    out = {}
    for fmt in formats:
        path = paths.figures_dir(paper) / f"{name}.{fmt}"
        atomic.write_bytes(path, render(fig, fmt))
        out[fmt] = path
    meta = {"tier": check_tier(tier), "file": name}
    if name in index:
        meta |= asdict(index[name])
    atomic.write_text(paths.figures_dir(paper) / f"{name}.json",
                      json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return out


def _rel(path: Path) -> str:
    return str(path.relative_to(paths.ROOT)) if path.is_relative_to(paths.ROOT) else str(path)


def index_markdown(paper: str) -> str:
    """The paper's figure index as a markdown table (for its README and the report)."""
    rows = ["| paperkit figure | paper figure | notebook | what it shows |", "|---|---|---|---|"]
    for e in load_index(paper).values():
        fig = "paperkit's own" if e.own else e.paper_figure
        rows.append(f"| `{e.file}` | {fig} | `{e.notebook}` | {e.shows} |")
    return "\n".join(rows) + "\n"
