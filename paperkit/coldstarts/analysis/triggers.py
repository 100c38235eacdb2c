"""Trigger-combination aggregation rule (paper p.6; Figs 8, 9, 14, 16, 17).

The Region 2 metadata column ``triggerType-invocationType`` holds a space-separated
list of ``<TRIGGER>-<A|S>`` tokens (A = asynchronous, S = synchronous).  The paper
plots 7 categories but never states how multi-trigger combinations are placed.  The
rule implemented here reproduces every bar
of Fig. 9 and the function bars of Fig. 8d:

1. any ``TIMER-A`` token                       -> ``TIMER-A``
2. exactly ``APIG-S``, ``OBS-A``, ``workflow-S`` -> that value
3. ``unknown``, ``unknown-unknown``, ``unknown-A unknown-S`` -> ``unknown``
4. any token ending in ``-S``                  -> ``other S``
5. otherwise                                   -> ``other A``

A missing trigger (function absent from the metadata) maps to ``unknown``.
"""
from __future__ import annotations

import polars as pl

TRIGGER_COL = "triggerType-invocationType"
#: Plot/stack order used by the paper (bottom -> top).
TRIGGER_ORDER: tuple[str, ...] = (
    "TIMER-A", "other A", "other S", "APIG-S", "unknown", "workflow-S", "OBS-A",
)
_SINGLE = ("APIG-S", "OBS-A", "workflow-S")
_UNKNOWN = ("unknown", "unknown-unknown", "unknown-A unknown-S")


def aggregate_trigger(combo: str | None) -> str:
    """Map one trigger combination string to one of :data:`TRIGGER_ORDER`."""
    if combo is None:
        return "unknown"
    if not isinstance(combo, str):
        raise ValueError(f"trigger combination must be a string, got {combo!r}")
    combo = " ".join(combo.split())
    tokens = combo.split(" ") if combo else []
    if "TIMER-A" in tokens:
        return "TIMER-A"
    if combo in _SINGLE:
        return combo
    if combo in _UNKNOWN or not combo:
        return "unknown"
    if any(t.endswith("-S") for t in tokens):
        return "other S"
    return "other A"


def trigger_category_expr(col: str = TRIGGER_COL) -> pl.Expr:
    """Polars expression implementing :func:`aggregate_trigger` on column ``col``."""
    c = pl.col(col).str.strip_chars().str.replace_all(r"\s+", " ")
    return (
        pl.when(c.is_null() | (c == "")).then(pl.lit("unknown"))
        .when(c.str.contains(r"(^| )TIMER-A( |$)")).then(pl.lit("TIMER-A"))
        .when(c.is_in(list(_SINGLE))).then(c)
        .when(c.is_in(list(_UNKNOWN))).then(pl.lit("unknown"))
        .when(c.str.contains(r"-S( |$)")).then(pl.lit("other S"))
        .otherwise(pl.lit("other A"))
        .alias("trigger")
    )


def invocation_class_expr(col: str = TRIGGER_COL) -> pl.Expr:
    """``sync`` if any token ends in ``-S``, ``async`` if all tokens end in ``-A``, else ``unknown``.

    ``unknown-A unknown-S`` therefore counts as sync (it has an ``-S`` token).
    """
    c = pl.col(col)
    toks = c.str.split(" ")
    all_async = toks.list.eval(pl.element().str.ends_with("-A")).list.all()
    return (
        pl.when(c.is_null()).then(pl.lit("unknown"))
        .when(c.str.contains(r"-S( |$)")).then(pl.lit("sync"))
        .when(all_async).then(pl.lit("async"))
        .otherwise(pl.lit("unknown"))
        .alias("invocation")
    )


def trigger_string_shares(meta: pl.DataFrame, col: str = TRIGGER_COL) -> pl.DataFrame:
    """Share of functions per raw trigger string (Fig 9 text claims): columns combo, n, share."""
    if col not in meta.columns:
        raise ValueError(f"metadata frame lacks column {col!r}; columns are {meta.columns}")
    n = meta.height
    return (
        meta.group_by(pl.col(col).alias("combo")).agg(pl.len().alias("n"))
        .with_columns((pl.col("n") / n).alias("share"))
        .sort(["n", "combo"], descending=[True, False])
    )
