"""One look for every paper's figures, and byte-deterministic figure files.

Design: :func:`set_theme` applies one seaborn theme (paper context, colour-blind palette,
portable fonts). :func:`save` stamps the data tier on the figure (so a figure can never be
mistaken for the paper's own data) and writes PNG + PDF with every timestamp and version
string removed, through a temporary file and a rename, so two runs give identical bytes and
an interrupted run leaves nothing half-written.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from paperkit import TIERS, paths

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


def set_theme() -> None:
    """Apply paperkit's single seaborn theme (call once at the top of a notebook)."""
    import seaborn as sns

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


def stamp_tier(fig: Figure, tier: str) -> None:
    """Write ``data: <tier>`` in the figure's bottom-right corner (once per figure)."""
    tier = check_tier(tier)
    old = getattr(fig, _STAMP_ATTR, None)
    if old is not None:
        old.set_text(f"data: {tier}")
        return
    text = fig.text(0.995, 0.005, f"data: {tier}", ha="right", va="bottom",
                    fontsize=6, color="0.35", style="italic")
    setattr(fig, _STAMP_ATTR, text)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


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
    """Stamp ``tier`` on ``fig`` and write ``<figures_dir(paper)>/<name>.<fmt>`` for each format.

    Returns ``{fmt: path}``. Two calls on the same figure give byte-identical files.
    """
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"figure name {name!r} must be a plain file stem like 'fig3_cdf'")
    stamp_tier(fig, tier)
    out = {}
    for fmt in formats:
        path = paths.figures_dir(paper) / f"{name}.{fmt}"
        _atomic_write(path, render(fig, fmt))
        out[fmt] = path
    return out
