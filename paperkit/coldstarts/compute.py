"""Role module *compute* of the cold-start package (see paperkit/README.md).

The analysis is large enough to be a package, :mod:`paperkit.coldstarts.analysis`, with one
module per figure family; this module names those modules so that every paper exposes its
computation under the same name. Pure functions from frames to frames; polars throughout.
"""

from __future__ import annotations

from paperkit.coldstarts.analysis import (cdf, composition, correlation, distributions,  # noqa: F401
                                          figure_data, holidays, peaks, pools, regions,
                                          runtimes, series, triggers, utility)

__all__ = ["cdf", "composition", "correlation", "distributions", "figure_data", "holidays",
           "peaks", "pools", "regions", "runtimes", "series", "triggers", "utility"]
