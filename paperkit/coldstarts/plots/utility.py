"""Figure 17: pod utility ratio CDFs by runtime and by trigger."""
from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure

from .style import cdf_lines


def fig17_utility(by_runtime: pl.DataFrame, by_trigger: pl.DataFrame) -> Figure:
    """Fig 17: CDF of the pod utility ratio (a) per runtime + 'all', (b) per trigger + 'all'."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    cdf_lines(axes[0], by_runtime, "runtime")
    cdf_lines(axes[1], by_trigger, "trigger")
    for ax, t in zip(axes, "ab"):
        ax.axvline(1, ls="--", lw=0.8, color="0.4")
        ax.set_xlim(1e-1, 1e4)
        ax.set_xlabel("Pod utility ratio")
        ax.set_title(f"({t})", loc="left", fontsize=9)
        ax.legend(fontsize=6)
    fig.tight_layout()
    return fig
