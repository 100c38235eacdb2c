"""One look for every paper's figures, byte-deterministic figure files, and the figure index.

Design: :func:`set_theme` applies one seaborn theme (paper context, colour-blind palette,
portable fonts). :func:`save` stamps the data tier on the figure in words a reader can see (so a
figure can never be mistaken for the paper's own data; a combined tier is explained on the
figure), in a footer strip added below the content (:func:`reserve_footer`: the stamp never
covers a label or tick; a drawing with no data is stamped ``schematic``), runs the layout check
(:mod:`paperkit.figlayout`: no text over text, nothing cut, legible at 1024 px; a bad figure
fails the notebook) and writes PNG + PDF with every timestamp and version string removed, atomically, so two
runs give identical bytes and an interrupted run leaves nothing half-written. Beside them it
writes ``<name>.json``: the tier and the figure's index entry, which the report reads.

**The figure index.** Each paper lists its figures in ``paperkit/<paper>/figures.toml``: one
``[[figure]]`` per file with the paper's figure (or table) number it reproduces (``"Fig. 3"``),
or ``"paperkit"`` for figures with no counterpart in the paper, the notebook that draws it, one
line on what it shows, and the claim ids (or id prefixes ending in ``-``) that belong under it.
File names say the same: ``fig03_...``, ``fig12_13_...`` or ``tab1_...`` for the paper's,
``own_...`` for paperkit's own. :func:`save` refuses a name that is not in the index.

**One palette per paper.** The same file's ``[palette]`` table maps each entity the paper's
figures show (policies, systems, runtimes, triggers, configurations) to one colour
(:func:`palette`, :func:`colour`), the paper's own colours where they are known.
"""

from __future__ import annotations

import io
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib as mpl
import matplotlib.colors as mcolors
import seaborn as sns
from matplotlib.figure import Figure

from paperkit import TIERS, atomic, figlayout, paths

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


def palette(paper: str, path: Path | None = None) -> dict[str, str]:
    """The paper's one palette: entity (policy, system, runtime, trigger...) -> colour, from the
    ``[palette]`` table of ``paperkit/<paper>/figures.toml``; every figure of the paper takes
    its colours from here, so an entity has one colour everywhere. Colours are matplotlib
    colours, distinct within the palette (an error names the file and the entry)."""
    path = path or index_file(paper)
    if not path.is_file():
        return {}
    raw = tomllib.loads(path.read_text(encoding="utf-8")).get("palette", {})
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: [palette] must map entity names to colours")
    seen: dict[str, str] = {}
    for entity, colour_ in raw.items():
        if not isinstance(colour_, str) or not mcolors.is_color_like(colour_):
            raise ValueError(f"{path}: palette entry {entity!r} = {colour_!r} is not a colour "
                             "(use a name like 'tab:blue' or a hex code like '#1f77b4')")
        hexed = mcolors.to_hex(colour_)
        if hexed in seen:
            raise ValueError(f"{path}: palette entries {seen[hexed]!r} and {entity!r} share "
                             f"the colour {hexed}: one colour per entity")
        seen[hexed] = entity
    return dict(raw)


def colour(paper: str, entity: str) -> str:
    """The colour of ``entity`` in the paper's palette (:func:`palette`)."""
    pal = palette(paper)
    if entity not in pal:
        raise KeyError(f"{entity!r} has no colour in {_rel(index_file(paper))} [palette]; "
                       f"entities there: {', '.join(pal) or 'none'}")
    return pal[entity]


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
    a paperkit model)``; ``schematic`` for a drawing with no data."""
    if tier == "schematic":
        return SCHEMATIC_LABEL
    tier = check_tier(tier)
    parts = tier.split("+")
    if len(parts) == 1:
        return f"data: {tier} ({TIER_WORDS[tier]})"
    return f"data: {tier} ({' + '.join(TIER_WORDS[p] for p in parts)})"


SCHEMATIC_LABEL = "schematic (drawn by paperkit: no data)"
STAMP_STRIP_IN = 0.24
"""Height (inches) of the footer strip added below a figure for its stamp: one 7.5 pt line
with its box (15.6 px at 150 dpi in a 36 px strip)."""
_STRIP_ATTR = "_paperkit_footer"


def _grow_rect(rect: tuple, frac: float, tight: bool) -> tuple:
    """A layout engine's rect squeezed into the part of the figure above the footer."""
    left, bottom, a, b = rect if rect is not None else (0, 0, 1, 1)
    if tight:  # (left, bottom, right, top)
        return (left, frac + bottom * (1 - frac), a, frac + b * (1 - frac))
    return (left, frac + bottom * (1 - frac), a, b * (1 - frac))  # (left, bottom, w, h)


def reserve_footer(fig: Figure) -> float:
    """Grow ``fig`` by :data:`STAMP_STRIP_IN` at the bottom, its content moved up unchanged, so
    that the stamp never covers an axis label or tick (once per figure). Returns the strip's
    height as a fraction of the figure's."""
    done = getattr(fig, _STRIP_ATTR, None)
    if done is not None:
        return done
    w, h = fig.get_size_inches()
    frac = STAMP_STRIP_IN / (h + STAMP_STRIP_IN)
    engine = fig.get_layout_engine()
    fig.set_size_inches(w, h + STAMP_STRIP_IN, forward=False)
    settings = engine.get() if engine is not None else {}
    if "rect" in settings:
        tight = "pad" in settings  # TightLayoutEngine: (l, b, r, t); constrained: (l, b, w, h)
        engine.set(rect=_grow_rect(settings["rect"], frac, tight))
    else:
        for ax in fig.get_axes():
            x0, y0, aw, ah = ax.get_position().bounds
            ax.set_position((x0, frac + y0 * (1 - frac), aw, ah * (1 - frac)))
    for t in fig.texts:
        if t.get_transform() == fig.transFigure:
            x, y = t.get_position()
            t.set_position((x, frac + y * (1 - frac)))
    setattr(fig, _STRIP_ATTR, frac)
    return frac


def stamp_tier(fig: Figure, tier: str | None, *, schematic: bool = False) -> None:
    """Write the tier label (or :data:`SCHEMATIC_LABEL`) in a footer strip below the figure's
    content, right-aligned; once per figure. A label too wide for the figure is shortened to
    ``data: <tier>`` (the report's legend explains it)."""
    label = SCHEMATIC_LABEL if schematic else tier_label(tier)
    old = getattr(fig, _STAMP_ATTR, None)
    frac = reserve_footer(fig)
    if old is None:
        old = fig.text(0.995, frac / 2, label, ha="right", va="center", fontsize=7.5,
                       color="0.15", bbox={"boxstyle": "round,pad=0.2", "facecolor": "#fff4cc",
                                           "edgecolor": "0.6", "linewidth": 0.5})
        setattr(fig, _STAMP_ATTR, old)
    old.set_text(label)
    if not schematic and old.get_window_extent(fig.canvas.get_renderer()).width > \
            0.98 * fig.bbox.width:
        old.set_text(f"data: {check_tier(tier)}")


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


def save(fig: Figure, name: str, *, paper: str, tier: str | None = None,
         formats: tuple[str, ...] = ("png", "pdf"), schematic: bool = False,
         check: bool = True) -> dict[str, Path]:
    """Stamp ``tier`` on ``fig`` (below its content), check its layout
    (:func:`paperkit.figlayout.check`: no text over text, nothing cut, legible at 1024 px) and
    write ``<figures_dir(paper)>/<name>.<fmt>`` for each format, plus ``<name>.json`` (tier and
    index entry).

    ``schematic=True`` (and no ``tier``) stamps a drawing that shows no data as such. Returns
    ``{fmt: path}``. Two calls on the same figure give byte-identical files. A paper with an
    index (``paperkit/<paper>/figures.toml``) must list ``name`` in it. ``check=False`` is for
    tests of the check itself.
    """
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"figure name {name!r} must be a plain file stem like 'fig03_cdf'")
    if schematic == (tier is not None):
        raise ValueError(f"figure {name!r}: give a data tier, or schematic=True for a drawing "
                         "with no data (not both)")
    index = load_index(paper)
    if index and name not in index:
        raise ValueError(f"figure {name!r} is not in {_rel(index_file(paper))}; "
                         f"add an entry (paper figure, notebook, what it shows, claims)")
    stamp_tier(fig, tier, schematic=schematic)
    if check:
        figlayout.check(fig, f"figure {name!r} of {paper}")
    out = {}
    for fmt in formats:
        path = paths.figures_dir(paper) / f"{name}.{fmt}"
        atomic.write_bytes(path, render(fig, fmt))
        out[fmt] = path
    meta = {"tier": "schematic" if schematic else check_tier(tier), "file": name,
            "width_in": round(float(fig.get_figwidth()), 3)}
    if name in index:
        meta |= asdict(index[name])
    atomic.write_text(paths.figures_dir(paper) / f"{name}.json",
                      json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return out


check_layout = figlayout.check
"""The layout check :func:`save` runs (re-exported for notebooks and tests)."""


def _rel(path: Path) -> str:
    return str(path.relative_to(paths.ROOT)) if path.is_relative_to(paths.ROOT) else str(path)


def index_markdown(paper: str) -> str:
    """The paper's figure index as a markdown table (for its README and the report)."""
    rows = ["| paperkit figure | paper figure | notebook | what it shows |", "|---|---|---|---|"]
    for e in load_index(paper).values():
        fig = "paperkit's own" if e.own else e.paper_figure
        rows.append(f"| `{e.file}` | {fig} | `{e.notebook}` | {e.shows} |")
    return "\n".join(rows) + "\n"
