"""Thin plotting layer: one function per paper figure, taking the frames of
:mod:`paperkit.coldstarts.analysis.figure_data` and returning a matplotlib Figure.

No computation beyond reshaping happens here; every frame is sorted before drawing.
"""
from .style import REGION_COLORS  # noqa: F401
