"""Figure 12: Spearman matrices per region."""
from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
import seaborn as sns
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ..analysis.correlation import VARIABLES, matrix


def fig12_spearman(long: pl.DataFrame) -> Figure:
    """Fig 12: 6x6 Spearman heat maps (coolwarm, -1..1), annotated with 1 decimal and '*' if p < 0.05."""
    regions = sorted(long["region"].unique().to_list())
    labels = [lab for _, lab in VARIABLES]
    fig, grid = plt.subplots(2, 3, figsize=(11, 7.6))
    axes = grid.ravel()
    for k, (ax, r) in enumerate(zip(axes, regions)):
        m = matrix(long, r)
        pv = long.filter(pl.col("region") == r).pivot(on="col", index="row", values="p")
        pv = {row[0]: dict(zip(pv.columns[1:], row[1:])) for row in pv.iter_rows()}
        vals = m.select(labels).to_numpy()
        annot = [[f"{vals[i, j]:.1f}" + ("*" if pv[labels[i]][labels[j]] < 0.05 else "") for j in range(6)]
                 for i in range(6)]
        sns.heatmap(vals, vmin=-1, vmax=1, cmap="coolwarm", annot=annot, fmt="", ax=ax, cbar=False,
                    xticklabels=labels if k >= 2 else False, yticklabels=labels if k % 3 == 0 else False,
                    annot_kws={"size": 8})
        ax.set_title(f"Region {r[1:]}", fontsize=10)
        ax.tick_params(labelsize=8)
    for ax in axes[len(regions):]:
        ax.axis("off")
    fig.tight_layout()
    cax = axes[-1].inset_axes([0.35, 0.1, 0.08, 0.8])
    fig.colorbar(ScalarMappable(Normalize(-1, 1), "coolwarm"), cax=cax,
                 label="Spearman rho (* marks p < 0.05)")
    return fig
