"""Figure 12: Spearman matrices per region."""
from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
import seaborn as sns
from matplotlib.figure import Figure

from ..analysis.correlation import VARIABLES, matrix


def fig12_spearman(long: pl.DataFrame) -> Figure:
    """Fig 12: 6x6 Spearman heat maps (coolwarm, -1..1), annotated with 1 decimal and '*' if p < 0.05."""
    regions = sorted(long["region"].unique().to_list())
    labels = [lab for _, lab in VARIABLES]
    fig, axes = plt.subplots(1, len(regions), figsize=(4.2 * len(regions), 4.2), squeeze=False)
    for ax, r in zip(axes[0], regions):
        m = matrix(long, r)
        pv = long.filter(pl.col("region") == r).pivot(on="col", index="row", values="p")
        pv = {row[0]: dict(zip(pv.columns[1:], row[1:])) for row in pv.iter_rows()}
        vals = m.select(labels).to_numpy()
        annot = [[f"{vals[i, j]:.1f}" + ("*" if pv[labels[i]][labels[j]] < 0.05 else "") for j in range(6)]
                 for i in range(6)]
        sns.heatmap(vals, vmin=-1, vmax=1, cmap="coolwarm", annot=annot, fmt="", ax=ax, cbar=False,
                    xticklabels=labels, yticklabels=labels if r == regions[0] else False, annot_kws={"size": 7})
        ax.set_title(r, fontsize=10)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig
