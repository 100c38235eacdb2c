"""Runtime grouping and the Region 2 metadata join (Figs 8, 9, 14-17)."""
from __future__ import annotations

import polars as pl

from .pools import config_group_expr, funcid_expr, pool_from_funcid_expr
from .triggers import TRIGGER_COL, trigger_category_expr

#: Fig 8b/e groups (legend order); C#, Go1.x, PHP7.3 and 'unknown' are pooled into 'other'.
RUNTIME_GROUPS: tuple[str, ...] = ("Custom", "Java", "Node.js", "Python2", "Python3", "http", "other")
#: Runtimes drawn in Figs 9, 15, 17a (the 'unknown' runtime is not plotted).
PLOTTED_RUNTIMES: tuple[str, ...] = (
    "C#", "Custom", "Go1.x", "Java", "Node.js", "PHP7.3", "Python2", "Python3", "http",
)


def runtime_group_expr(col: str = "runtime") -> pl.Expr:
    """Fig 8 runtime group: the six big runtimes by name, everything else (and null) ``other``."""
    c = pl.col(col)
    return (
        pl.when(c.is_in(list(RUNTIME_GROUPS[:-1]))).then(c)
        .otherwise(pl.lit("other")).alias("runtime_group")
    )


def annotate_meta(meta: pl.DataFrame | pl.LazyFrame):
    """Add ``trigger`` (7 categories), ``runtime_group``, ``poolName`` and ``config`` to the metadata."""
    missing = {"funcID", "runtime", TRIGGER_COL} - set(meta.collect_schema().names())
    if missing:
        raise ValueError(f"metadata lacks columns {sorted(missing)}; expected the Region 2 "
                         "df_funcID_runtime_triggerType.csv layout")
    return meta.with_columns(
        trigger_category_expr(TRIGGER_COL), runtime_group_expr("runtime"), pool_from_funcid_expr("funcID"),
    ).with_columns(config_group_expr("poolName"))


def join_meta(cold_starts: pl.LazyFrame, meta: pl.DataFrame) -> pl.LazyFrame:
    """Left-join cold starts to annotated metadata on funcID (built from funcName, userID, podID).

    Cold starts with no metadata row get runtime ``unknown`` and trigger ``unknown``.
    """
    m = annotate_meta(meta).select("funcID", "runtime", "runtime_group", "trigger", "config").lazy()
    return (
        cold_starts.with_columns(funcid_expr())
        .join(m, on="funcID", how="left")
        .with_columns(
            pl.col("runtime").fill_null("unknown"),
            pl.col("runtime_group").fill_null("other"),
            pl.col("trigger").fill_null("unknown"),
        )
    )
