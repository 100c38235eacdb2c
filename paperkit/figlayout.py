"""The layout check every saved figure passes: no text over other text, nothing cut at the
canvas edge, text legible when the report shows the figure 1024 px wide.

Design: :func:`problems` draws the figure once (Agg), gathers every text that is drawn (titles,
axis labels, the tick labels of the ticks in view, legends, annotations, figure texts, the tier
stamp) with its bounding box in display pixels, and returns plain-words problems:

- two texts whose boxes overlap by more than :data:`OVERLAP_PX` in both directions (two texts
  both rotated by an angle that is not a multiple of 90 degrees are compared by their rotated
  rectangles, not by their loose axis-aligned boxes);
- a text whose box leaves the canvas by more than :data:`OVERLAP_PX`;
- a text smaller than :data:`MIN_TEXT_PX` once the figure is scaled to :data:`VIEW_WIDTH_PX`.

:func:`check` raises :class:`FigureLayoutError` with all of them (``figures.save`` calls it
before writing a file, so a notebook that saves a bad figure fails loudly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

OVERLAP_PX = 1.0
"""Boxes may touch: an overlap up to one pixel (anti-aliasing, rounding) is not a problem."""
VIEW_WIDTH_PX = 1024
"""The width the report is checked at (issue 19: legible at 1024 px)."""
MIN_TEXT_PX = 6.0
"""Smallest text height allowed at that width: half the report's smallest own text (12 px)."""


class FigureLayoutError(ValueError):
    """A figure's text overlaps other text, is cut at the edge, or is too small to read."""


@dataclass(frozen=True)
class Placed:
    """One drawn text: its string, box (display px), angle and font size (pt)."""

    text: str
    box: Bbox
    angle: float
    size: float
    artist: Text

    @property
    def slanted(self) -> bool:
        return not math.isclose(self.angle % 90, 0, abs_tol=1e-6)


def _drawn_ticks(axis: Axis) -> list[Text]:
    try:
        ticks = axis._update_ticks()  # noqa: SLF001 -- the ticks matplotlib will draw
    except AttributeError:  # pragma: no cover -- older matplotlib
        ticks = axis.get_major_ticks() + axis.get_minor_ticks()
    return [lab for t in ticks for lab in (t.label1, t.label2) if lab.get_visible()]


def _all_tick_labels(fig: Figure) -> set[int]:
    out: set[int] = set()
    for ax in fig.get_axes():
        for axis in ax._axis_map.values():  # noqa: SLF001 -- x, y (and z) axes
            for t in axis.majorTicks + axis.minorTicks:
                out |= {id(t.label1), id(t.label2)}
    return out


def drawn_texts(fig: Figure) -> list[Placed]:
    """Every text the figure draws, with its box in display pixels (the figure is drawn)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ticks = _all_tick_labels(fig)
    texts = [t for t in fig.findobj(Text) if id(t) not in ticks]
    for ax in fig.get_axes():
        if ax.get_visible() and ax.axison:
            for axis in ax._axis_map.values():  # noqa: SLF001
                if axis.get_visible():
                    texts += _drawn_ticks(axis)
    out, seen = [], set()
    for t in texts:
        if id(t) in seen or not t.get_visible() or not t.get_text().strip():
            continue
        if t.axes is not None and not t.axes.get_visible():
            continue
        seen.add(id(t))
        box = t.get_window_extent(renderer)
        if box.width <= 0 or box.height <= 0 or not np.isfinite(box.get_points()).all():
            continue
        out.append(Placed(t.get_text(), box, t.get_rotation(), t.get_fontsize(), t))
    return out


def _corners(p: Placed) -> np.ndarray:
    """The text's rotated rectangle (4 corners, display px)."""
    t = p.artist
    angle = math.radians(p.angle)
    t.set_rotation(0)
    try:
        flat = t.get_window_extent(t.figure.canvas.get_renderer())
    finally:
        t.set_rotation(p.angle)
    w, h = flat.width, flat.height
    c = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    centre = np.array([(p.box.x0 + p.box.x1) / 2, (p.box.y0 + p.box.y1) / 2])
    return c @ rot.T + centre


def _separated(a: np.ndarray, b: np.ndarray) -> bool:
    """Separating-axis test of two convex quadrilaterals (with the pixel allowance)."""
    for poly in (a, b):
        for i in range(4):
            edge = poly[(i + 1) % 4] - poly[i]
            normal = np.array([-edge[1], edge[0]]) / (np.hypot(*edge) or 1.0)
            pa, pb = a @ normal, b @ normal
            if pa.max() <= pb.min() + OVERLAP_PX or pb.max() <= pa.min() + OVERLAP_PX:
                return True
    return False


def _overlap(a: Placed, b: Placed) -> bool:
    ix = min(a.box.x1, b.box.x1) - max(a.box.x0, b.box.x0)
    iy = min(a.box.y1, b.box.y1) - max(a.box.y0, b.box.y0)
    if ix <= OVERLAP_PX or iy <= OVERLAP_PX:
        return False
    if a.slanted or b.slanted:
        return not _separated(_corners(a), _corners(b))
    return True


def _short(s: str) -> str:
    s = " ".join(s.split())
    return repr(s if len(s) <= 40 else s[:37] + "...")


def problems(fig: Figure) -> list[str]:
    """Plain-words layout problems of ``fig`` (empty when it is fine)."""
    placed = drawn_texts(fig)
    w_px, h_px = fig.bbox.width, fig.bbox.height
    out = []
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            if _overlap(a, b):
                out.append(f"text {_short(a.text)} overlaps text {_short(b.text)}")
    for p in placed:
        if (p.box.x0 < -OVERLAP_PX or p.box.y0 < -OVERLAP_PX or p.box.x1 > w_px + OVERLAP_PX
                or p.box.y1 > h_px + OVERLAP_PX):
            out.append(f"text {_short(p.text)} is cut at the edge of the figure")
    width_in = fig.get_figwidth()
    scale = min(1.0, VIEW_WIDTH_PX / (width_in * 96.0))
    for p in placed:
        px = p.size / 72.0 * 96.0 * scale
        if px < MIN_TEXT_PX:
            out.append(f"text {_short(p.text)} is {px:.1f} px high when the figure "
                       f"({width_in:.1f} in wide) is shown {VIEW_WIDTH_PX} px wide "
                       f"(at least {MIN_TEXT_PX:g} px): make the figure narrower (panels in "
                       "rows) or the text larger")
            break
    return out


def check(fig: Figure, name: str = "figure") -> None:
    """Raise :class:`FigureLayoutError` listing every problem of ``fig``."""
    found = problems(fig)
    if found:
        raise FigureLayoutError(f"{name}: " + "; ".join(found)
                                + " (paperkit.figlayout checks every saved figure)")
