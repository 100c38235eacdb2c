"""Plot helpers for the Fuyou notebooks (matplotlib/seaborn; pandas at the seaborn boundary)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
import seaborn as sns

RES_ORDER = ["GPU", "H2D", "D2H", "SSD", "CPU"]
KIND_COLORS = {
    "forward": "#0173b2", "backward+recompute": "#005a8c", "loss": "#0173b2",
    "param read": "#de8f05", "param read (fwd)": "#de8f05", "param read (bwd)": "#de8f05",
    "param H2D": "#ece133", "act D2H": "#029e73", "act H2D": "#56b4e9", "grad D2H": "#cc78bc",
    "act write": "#029e73", "act read": "#56b4e9", "opt read": "#d55e00",
    "opt write": "#ca9161", "adam": "#949494",
}


def gantt(ax: plt.Axes, frame: pl.DataFrame, title: str, t0: float | None = None) -> None:
    """Busy intervals per resource (rows) coloured by task kind."""
    f = frame.sort(["resource", "start_s"])
    base = float(f["start_s"].min()) if t0 is None else t0
    res = [r for r in RES_ORDER if r in set(f["resource"].to_list())]
    for i, r in enumerate(res):
        sub = f.filter(pl.col("resource") == r)
        for k in sorted(set(sub["kind"].to_list())):
            ks = sub.filter(pl.col("kind") == k)
            spans = [(s - base, max(e - s, 1e-9)) for s, e in zip(ks["start_s"], ks["end_s"])]
            ax.broken_barh(spans, (i - 0.4, 0.8), color=KIND_COLORS.get(k, "0.5"), linewidth=0)
    ax.set_yticks(range(len(res)), res)
    ax.invert_yaxis()
    ax.set_xlabel("time (s)")
    ax.set_title(title)


def kind_legend(fig: plt.Figure, kinds: list[str]) -> None:
    """One legend for the task kinds present."""
    from matplotlib.patches import Patch

    handles = [Patch(color=KIND_COLORS.get(k, "0.5"), label=k) for k in kinds]
    fig.legend(handles=handles, loc="lower center", ncol=min(6, len(handles)), fontsize=6,
               bbox_to_anchor=(0.5, 0.0))


def bars_with_oom(ax: plt.Axes, frame: pl.DataFrame, x: str, hue: str,
                  hue_order: list[str], title: str) -> None:
    """Bar chart of TFLOPS with 'OOM' written where a configuration does not fit."""
    pdf = frame.with_columns(pl.col("tflops").fill_null(0.0)).to_pandas()
    sns.barplot(pdf, x=x, y="tflops", hue=hue, hue_order=hue_order, ax=ax, errorbar=None)
    xs = sorted(pdf[x].unique())
    n = len(hue_order)
    for j, h in enumerate(hue_order):
        for i, xv in enumerate(xs):
            row = pdf[(pdf[x] == xv) & (pdf[hue] == h)]
            if len(row) and not bool(row["fits"].iloc[0]):
                ax.text(i + (j - (n - 1) / 2) * 0.8 / n, 2, "OOM", rotation=90, ha="center",
                        va="bottom", fontsize=6)
    ax.set_ylabel("TFLOPS (factor-4 convention)")
    ax.set_title(title)


def fmt_table(frame: pl.DataFrame, digits: int = 4) -> str:
    """Plain-text table with floats at ``digits`` significant digits (stable for nbval)."""
    def f(v):
        if isinstance(v, float):
            return "" if v != v else f"{v:.{digits}g}"
        return "" if v is None else str(v)
    cols = frame.columns
    rows = [[f(v) for v in r] for r in frame.iter_rows()]
    w = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(cols)]
    lines = ["  ".join(c.rjust(w[i]) for i, c in enumerate(cols))]
    lines += ["  ".join(v.rjust(w[i]) for i, v in enumerate(r)) for r in rows]
    return "\n".join(lines)
